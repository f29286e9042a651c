"""The records the fake holds: the messages of every channel, bulk SMS tasks, RCS campaigns.

Frozen values, built once when the fake accepts something and kept in a `Store`. A message
shares the record of the request that created it (its `Submission` or `RcsSubmission`), so a
bulk request of a thousand phones stores its text and options once. Statuses are not stored:
`Fates` computes them from these records and the fake's clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, Protocol

import attrs

__all__ = [
    "Channel",
    "OneApiChannel",
    "FakeCampaign",
    "FakeHlr",
    "FakeMessage",
    "FakeRcsMessage",
    "RcsSubmission",
    "Submission",
    "Task",
]

Channel = Literal["sms", "viber"]
OneApiChannel = Literal["sms", "viber", "rcs", "whatsapp", "voice", "telegram"]


@attrs.frozen
class Submission:
    """What one create request said about its messages; shared by the messages it created.

    `validity` is in hours for SMS and in seconds for Viber, as sent (`None`: the default).
    `sender` is the SMS `originator` or Viber `alpha_name`. `fallback` is the
    `(sender, text)` of a Viber message's SMS fallback, if it had one.
    `accepted_at` is the fake's clock (Unix seconds) at acceptance.
    """

    channel: Channel
    text: str
    sender: str
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


class _Sent(Protocol):
    """What every channel's submission records of its acceptance."""

    @property
    def accepted_at(self) -> float: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def currency(self) -> str: ...
    @property
    def fallback(self) -> object: ...


class _Accepted:
    """What every message record tells of its acceptance, read from its submission."""

    __slots__ = ()
    submission: _Sent

    @property
    def price(self) -> Decimal:
        """The amount charged at acceptance, in `currency`."""
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
    def has_fallback(self) -> bool:
        """Whether it was sent with an SMS fallback (Viber `alt_route`, RCS
        `alternative_channel.sms`)."""
        return self.submission.fallback is not None


@attrs.frozen
class FakeHlr:
    """One HLR lookup the fake made: its id, reference, phone, what it found and cost.

    `status` is `"active"` (the fake finds every routable number live); `network` the MCC
    and MNC of the number's network (`None`: not one the fake knows).
    """

    id: int
    reference: str
    phone: str
    status: str
    network: str | None
    price: Decimal
    created: float


@attrs.frozen
class FakeMessage(_Accepted):
    """One message the fake accepted: its id, reference, phone and what it was sent with.

    ```python
    message = fake.sms.find("order42")
    assert message.to == "380501234567" and message.text == "Hi"
    ```

    `to` is the phone number (sent as `msisdn`).
    """

    id: int
    reference: str
    to: str
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
    def sender(self) -> str:
        """The sender name: the SMS `originator` or Viber `alpha_name`."""
        return self.submission.sender

    @property
    def task_id(self) -> int | None:
        """The bulk task (`task_id`) the message belongs to, if any."""
        return self.submission.task_id


@attrs.frozen
class Task:
    """A bulk SMS campaign: the messages with ids `first_id` to `first_id + count - 1`."""

    id: int
    first_id: int
    count: int
    submission: Submission


@attrs.frozen
class RcsSubmission:
    """What one RCS send request said; shared by the messages it created.

    `options` and `fallback` (the `alternative_channel.sms` object) are the JSON objects as
    sent (read-only views). `accepted_at` and `start_at` are the fake's clock in Unix seconds
    (`start_at` is later only for a campaign scheduled ahead). `validity_hours` is what the
    message reports (from `validity`, or `validity_seconds` rounded up, default 72).

    Every One-API send has one: `channel` says which (`"rcs"`; `"sms"` and `"viber"` for their
    campaigns, whose `options` then hold the SMS's `text`, or the Viber message's `text`,
    `image_url`, `button_caption` and `link_url`; `"whatsapp"`, or the first channel of a
    universal send (`"sms"`, `"viber"`, `"voice"`, `"telegram"`), whose content object
    `options` then is).
    """

    sender: str
    accepted_at: float
    start_at: float
    price: Decimal
    currency: str
    validity_hours: int = 72
    validity_seconds: int | None = None
    options: Mapping[str, Any] = attrs.field(factory=dict, repr=False)
    fallback: Mapping[str, Any] | None = attrs.field(default=None, repr=False)
    callback_url: str | None = None
    tariff: int | None = None
    campaign_id: int | None = None
    add_to_contact_book: bool = True
    check_stop_list: bool = True
    channel: OneApiChannel = "rcs"


@attrs.frozen
class FakeRcsMessage(_Accepted):
    """One RCS message the fake accepted (through a single send or a campaign).

    ```python
    message = fake.rcs.find("order42")
    assert message.to == "380501234567" and message.text == "Your order shipped"
    ```

    `reference` is the `reference_id` it was sent with, `to` its `phone.number`.
    """

    id: int
    reference: str | None
    to: str
    submission: RcsSubmission = attrs.field(repr=False, eq=False)
    stopped: bool = False
    """Whether the phone was on the RCS stop list when the message was accepted with
    `check_stop_list`: the message is never sent (it fails at once)."""

    @property
    def sender(self) -> str:
        """The RCS agent name it was sent from."""
        return self.submission.sender

    @property
    def text(self) -> str | None:
        """`options.text`, or `None` for a message of cards."""
        text = self.submission.options.get("text")
        return text if isinstance(text, str) else None

    @property
    def cards(self) -> tuple[Mapping[str, Any], ...]:
        """`options.cards` as sent (empty for a text message)."""
        cards = self.submission.options.get("cards")
        return tuple(cards) if isinstance(cards, list) else ()

    @property
    def suggestions(self) -> tuple[Mapping[str, Any], ...]:
        """Every suggestion (button) of every card, in order."""
        found: list[Mapping[str, Any]] = []
        for card in self.cards:
            suggestions = card.get("suggestions")
            if isinstance(suggestions, list):
                found.extend(s for s in suggestions if isinstance(s, Mapping))
        return tuple(found)

    @property
    def channel(self) -> OneApiChannel:
        """The One-API channel it went out on (`"rcs"`, `"sms"`, `"viber"`, `"whatsapp"`, ...)."""
        return self.submission.channel

    @property
    def campaign_id(self) -> int | None:
        """The campaign it belongs to (`None` for a single send)."""
        return self.submission.campaign_id

    @property
    def callback_url(self) -> str | None:
        """The per-request `callback_url` (single sends only), else `None`."""
        return self.submission.callback_url


@attrs.frozen
class FakeCampaign:
    """An RCS campaign the fake accepted: the messages with ids `first_id` to
    `first_id + count - 1`, starting at `submission.start_at` (the fake's clock).

    `contact_lists` holds the contact-list ids (`groups`) of a `send-groups` campaign;
    `finishes_at` is when its last message reaches a final status, unless it is stopped or
    held first.
    """

    id: int
    name: str
    first_id: int
    count: int
    finishes_at: float
    submission: RcsSubmission = attrs.field(repr=False, eq=False)
    contact_lists: tuple[int, ...] = ()
