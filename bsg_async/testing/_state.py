"""What the fake service holds: accepted messages, bulk tasks, and how statuses move over time.

Messages are stored compactly (a reference, a phone and a shared record of the request's text and
options per recipient; `FakeMessage` values are built when asked for), because a benchmark
pushes millions through one fake. A message's status is not
stored: it is computed from its acceptance time, the fake's clock and a fate drawn from a hash of
the seed and the reference, so it is deterministic, costs nothing until read and moves forward
by itself when the clock does.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Literal, overload

import attrs

from ..errors import InvalidParameterError

__all__ = [
    "AcceptanceView",
    "ByReferenceView",
    "Channel",
    "ChannelStore",
    "FakeMessage",
    "Lifecycle",
    "MessageState",
    "MessagesView",
    "Submission",
    "Task",
    "format_time",
]

Channel = Literal["sms", "viber"]

SMS_ID_BASE = 3_000_000_001
VIBER_ID_BASE = 4_700_000_001
FALLBACK_ID_OFFSET = 3_000_000_000  # fallback SMS id = Viber id + offset
TASK_ID_BASE = 21_901


def _rate(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InvalidParameterError(attribute.name, value, "expected a share from 0 to 1")


def _delay(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InvalidParameterError(attribute.name, value, "expected seconds >= 0")


@attrs.frozen
class Lifecycle:
    """How messages move on the fake's clock, and how they end.

    Times are seconds after acceptance: `scheduled` until `sent_after`, `sent` until
    `final_after`, then the message's final status: `delivered` (Viber: later `read` at
    `read_after` for a `read_rate` share), or for a seeded share `undeliverable_rate` /
    `expired_rate` that status instead. A `non_viber_rate` share of phone numbers (drawn per
    number from the seed) is not on Viber: their Viber messages end `undeliverable` and, when
    the message had an SMS fallback (`alt_route`), an SMS is sent at that moment with its own id
    and the same SMS lifecycle.

    RCS messages (One-API) follow the same clock: `accepted` (a single send) or `sending` (a
    campaign's message; `scheduled` before a future `start_at`), `sent` at `sent_after`, then
    `delivered` at `final_after` (later `read` at `read_after` for a `read_rate` share), or for
    seeded shares `undelivered` (`undeliverable_rate`), `expired` (`expired_rate`) or `failed`
    (`failed_rate`, RCS only, drawn after the two others: at `sent_after`, never sent). A
    `non_rcs_rate` share of numbers has no RCS: their messages end `undelivered`, and the SMS
    fallback (`alternative_channel.sms`), when given, is sent then.

    ```python
    FakeBSG(lifecycle=Lifecycle(undeliverable_rate=0, expired_rate=0, non_viber_rate=0))
    ```
    Raises `InvalidParameterError` for a share outside 0..1, shares summing above 1 or times
    out of order.
    """

    sent_after: float = attrs.field(default=1.0, validator=_delay)
    final_after: float = attrs.field(default=5.0, validator=_delay)
    read_after: float = attrs.field(default=30.0, validator=_delay)
    undeliverable_rate: float = attrs.field(default=0.05, validator=_rate)
    expired_rate: float = attrs.field(default=0.02, validator=_rate)
    read_rate: float = attrs.field(default=0.5, validator=_rate)
    non_viber_rate: float = attrs.field(default=0.1, validator=_rate)
    failed_rate: float = attrs.field(default=0.01, validator=_rate)
    non_rcs_rate: float = attrs.field(default=0.1, validator=_rate)

    def __attrs_post_init__(self) -> None:
        if self.undeliverable_rate + self.expired_rate > 1:
            raise InvalidParameterError(
                "expired_rate", self.expired_rate, "undeliverable_rate + expired_rate must be <= 1"
            )
        if not self.sent_after <= self.final_after <= self.read_after:
            raise InvalidParameterError(
                "final_after",
                self.final_after,
                "expected sent_after <= final_after <= read_after",
            )


@attrs.frozen
class Submission:
    """What one create request said about its messages; shared by the messages it created.

    `validity` is in hours for SMS and in seconds for Viber, as sent (`None`: the default).
    `fallback` is the `(originator, text)` of a Viber message's SMS fallback, if it had one.
    `accepted_at` is the fake's clock (Unix seconds) at acceptance.
    """

    channel: Channel
    text: str
    originator: str
    accepted_at: float
    price: Decimal
    currency: str
    validity: int | None = None
    tariff: int | None = None
    task_id: int | None = None
    two_way: bool = False
    is_promotional: bool = False
    image_url: str | None = None
    button_caption: str | None = None
    button_url: str | None = None
    fallback: tuple[str, str] | None = None


@attrs.frozen
class FakeMessage:
    """One message the fake accepted: its id, reference, phone and what it was sent with.

    ```python
    message = fake.sms.find("order42")
    assert message.msisdn == "380501234567" and message.text == "Hi"
    ```
    """

    id: int
    reference: str
    msisdn: str
    submission: Submission = attrs.field(repr=False, eq=False)

    @property
    def channel(self) -> Channel:
        """`"sms"` or `"viber"`."""
        return self.submission.channel

    @property
    def text(self) -> str:
        """The SMS body or Viber text."""
        return self.submission.text

    @property
    def originator(self) -> str:
        """The SMS originator or Viber `alpha_name`."""
        return self.submission.originator

    @property
    def price(self) -> Decimal:
        """The price charged at acceptance."""
        return self.submission.price

    @property
    def currency(self) -> str:
        """The account currency."""
        return self.submission.currency

    @property
    def accepted_at(self) -> float:
        """The fake's clock (Unix seconds) when the message was accepted."""
        return self.submission.accepted_at

    @property
    def task_id(self) -> int | None:
        """The bulk task (`task_id`) the message belongs to, if any."""
        return self.submission.task_id


@attrs.frozen
class MessageState:
    """The state of a message at one moment: its status and the times it reached its stages.

    Times are the fake's clock in Unix seconds, `None` when not reached yet. `fallback` is the
    state of the SMS fallback of a Viber message (with `fallback_id`), once it was sent.
    """

    status: str
    time_in: float
    time_sent: float | None
    time_dr: float | None
    fallback_id: int | None = None
    fallback: MessageState | None = None


@attrs.frozen
class Task:
    """A bulk SMS campaign: the messages with ids `first_id` to `first_id + count - 1`."""

    id: int
    first_id: int
    count: int
    submission: Submission


def unit(seed: int, *parts: str) -> float:
    """A number in [0, 1) fixed by the seed and `parts` (the same in every process)."""
    key = "\x1f".join((str(seed), *parts)).encode()
    digest = hashlib.blake2b(key, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 18446744073709551616.0


def format_time(moment: float | None) -> str:
    """`yyyy-mm-dd hh:mm:ss` (UTC) as the service writes it; `""` for "not yet"."""
    if moment is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(moment))


class ChannelStore:
    """The messages of one channel, stored compactly: parallel lists, records built on demand.

    A message's id is `id_base + index`. `by_reference` maps a reference to the index of its
    first acceptance; with uniqueness off, later acceptances are counted in `extra_acceptances`.
    """

    def __init__(self, channel: Channel, id_base: int) -> None:
        self.channel: Channel = channel
        self.id_base = id_base
        self.references: list[str] = []
        self.msisdns: list[str] = []
        self.submissions: list[Submission] = []
        self.by_reference: dict[str, int] = {}
        self.extra_acceptances: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.references)

    def next_id(self) -> int:
        """The id the next accepted message gets."""
        return self.id_base + len(self.references)

    def accept(self, reference: str, msisdn: str, submission: Submission) -> int:
        """Store a new message and return its id; a known reference counts one more acceptance."""
        index = len(self.references)
        self.references.append(reference)
        self.msisdns.append(msisdn)
        self.submissions.append(submission)
        if reference in self.by_reference:
            self.extra_acceptances[reference] = self.extra_acceptances.get(reference, 0) + 1
        else:
            self.by_reference[reference] = index
        return self.id_base + index

    def at(self, index: int) -> FakeMessage:
        """The message stored at `index`."""
        return FakeMessage(
            self.id_base + index,
            self.references[index],
            self.msisdns[index],
            self.submissions[index],
        )

    def get(self, message_id: int) -> FakeMessage | None:
        """The message with this id, or `None`."""
        index = message_id - self.id_base
        if 0 <= index < len(self.references):
            return self.at(index)
        return None

    def find(self, reference: str) -> FakeMessage | None:
        """The (first) message accepted with this reference, or `None`."""
        index = self.by_reference.get(reference)
        return None if index is None else self.at(index)

    def acceptances(self, reference: str) -> int:
        """How many times a message with this reference was accepted."""
        if reference not in self.by_reference:
            return 0
        return 1 + self.extra_acceptances.get(reference, 0)

    def clear(self) -> None:
        """Forget every message."""
        self.references.clear()
        self.msisdns.clear()
        self.submissions.clear()
        self.by_reference.clear()
        self.extra_acceptances.clear()


class MessagesView(Sequence[FakeMessage]):
    """Read-only, live: the messages of a `ChannelStore` in acceptance order."""

    def __init__(self, store: ChannelStore) -> None:
        self._store = store

    @overload
    def __getitem__(self, index: int) -> FakeMessage: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[FakeMessage]: ...
    def __getitem__(self, index: int | slice) -> FakeMessage | Sequence[FakeMessage]:
        if isinstance(index, slice):
            return [self._store.at(i) for i in range(len(self._store))[index]]
        count = len(self._store)
        if not -count <= index < count:
            raise IndexError("message index out of range")
        return self._store.at(index % count)

    def __len__(self) -> int:
        return len(self._store)

    def __iter__(self) -> Iterator[FakeMessage]:
        store = self._store
        for index in range(len(store)):
            yield store.at(index)


class ByReferenceView(Mapping[str, FakeMessage]):
    """Read-only, live: reference -> the (first) message accepted with it."""

    def __init__(self, store: ChannelStore) -> None:
        self._store = store

    def __getitem__(self, reference: str) -> FakeMessage:
        message = self._store.find(reference)
        if message is None:
            raise KeyError(reference)
        return message

    def __iter__(self) -> Iterator[str]:
        return iter(self._store.by_reference)

    def __len__(self) -> int:
        return len(self._store.by_reference)

    def __contains__(self, reference: object) -> bool:
        return reference in self._store.by_reference


class AcceptanceView(Mapping[str, int]):
    """Read-only, live: reference -> how many times the channel accepted it."""

    def __init__(self, store: ChannelStore) -> None:
        self._store = store

    def __getitem__(self, reference: str) -> int:
        count = self._store.acceptances(reference)
        if not count:
            raise KeyError(reference)
        return count

    def __iter__(self) -> Iterator[str]:
        return iter(self._store.by_reference)

    def __len__(self) -> int:
        return len(self._store.by_reference)

    def __contains__(self, reference: object) -> bool:
        return reference in self._store.by_reference


class Fates:
    """Computes message states from a `Lifecycle`, the seed and the clock."""

    def __init__(self, lifecycle: Lifecycle, seed: int, non_viber: frozenset[str]) -> None:
        self.lifecycle = lifecycle
        self.seed = seed
        self.non_viber_numbers = non_viber

    def is_viber_user(self, msisdn: str) -> bool:
        """Whether this phone number receives Viber messages."""
        if msisdn in self.non_viber_numbers:
            return False
        return unit(self.seed, "viber-user", msisdn) >= self.lifecycle.non_viber_rate

    def _sms_like(self, key: str, start: float, now: float) -> MessageState:
        life = self.lifecycle
        sent_at = start + life.sent_after
        final_at = start + life.final_after
        if now < sent_at:
            return MessageState("scheduled", start, None, None)
        if now < final_at:
            return MessageState("sent", start, sent_at, None)
        draw = unit(self.seed, "fate", key)
        if draw < life.undeliverable_rate:
            final = "undeliverable"
        elif draw < life.undeliverable_rate + life.expired_rate:
            final = "expired"
        else:
            final = "delivered"
        return MessageState(final, start, sent_at, final_at)

    def sms(self, message: FakeMessage, now: float) -> MessageState:
        """The state of an SMS at `now`."""
        return self._sms_like("sms:" + message.reference, message.accepted_at, now)

    def viber(self, message: FakeMessage, now: float) -> MessageState:
        """The state of a Viber message at `now`, with its SMS fallback once sent."""
        life = self.lifecycle
        start = message.accepted_at
        if self.is_viber_user(message.msisdn):
            state = self._sms_like("viber:" + message.reference, start, now)
            if (
                state.status == "delivered"
                and now >= start + life.read_after
                and unit(self.seed, "read", message.reference) < life.read_rate
            ):
                return attrs.evolve(state, status="read")
            return state
        sent_at = start + life.sent_after
        final_at = start + life.final_after
        if now < sent_at:
            return MessageState("scheduled", start, None, None)
        if now < final_at:
            return MessageState("sent", start, sent_at, None)
        fallback = None
        fallback_id = None
        if message.submission.fallback is not None:
            fallback_id = message.id + FALLBACK_ID_OFFSET
            fallback = self._sms_like("fallback:" + message.reference, final_at, now)
        return MessageState("undeliverable", start, sent_at, final_at, fallback_id, fallback)
