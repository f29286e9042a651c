"""How messages move on the fake's clock, for every channel: one timeline, one set of fates.

A message's status is never stored. Its whole timeline (the `Step`s it goes through, each
from a moment on) follows from its acceptance (or campaign start) time, the `Lifecycle` and a
fate drawn from a hash of the seed and the message, so it is deterministic, costs nothing until
read and moves forward by itself when the clock does. The state at a moment is the last step
reached by then, plus the SMS fallback once one was sent.

The channels differ only in words and in a few ways, each a field of their `Route`:

| | SMS | Viber | RCS |
|---|---|---|---|
| first status | `scheduled` | `scheduled` | `accepted` (a campaign's: `sending`) |
| not delivered | `undeliverable` | `undeliverable` | `undelivered` |
| some fail before sending (`failed_rate`) | no | no | yes |
| some are read (`read_rate`) | no | yes | yes |
| some numbers cannot receive it | no | `non_viber_*` | `non_rcs_*` |
| the SMS fallback, for those numbers | - | a whole SMS life of its own | sent, then delivered |

The One-API's SMS and Viber campaigns take the RCS column's words (`accepted`, `undelivered`;
their own draws), Viber with its fallback as RCS's (`ONE_API_SMS`, `ONE_API_VIBER`).
Campaign holds and stops (One-API campaigns) move or cut a timeline (`held`, `Fates.steps`).
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import attrs

from ._config import Lifecycle
from ._records import FakeMessage, FakeRcsMessage
from ._store import Store

__all__ = [
    "FINAL_STATUSES",
    "ONE_API",
    "ONE_API_SMS",
    "ONE_API_VIBER",
    "RCS",
    "SMS",
    "VIBER",
    "Fates",
    "Hold",
    "MessageState",
    "Route",
    "Step",
    "due_steps",
    "format_time",
    "held",
    "unit",
]

# Statuses a message does not leave by itself (`read` may still follow `delivered`).
FINAL_STATUSES = frozenset(
    {"delivered", "read", "undeliverable", "undelivered", "expired", "failed"}
)
_NOT_SENT = frozenset({"scheduled", "accepted", "sending"})


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


@attrs.frozen
class MessageState:
    """The state of a message at one moment: its status and the times it reached its stages.

    Times are the fake's clock in Unix seconds, `None` when not reached yet. `fallback` is the
    state of the SMS fallback of a Viber or RCS message (with `fallback_id`), once it was sent.
    """

    status: str
    time_in: float
    time_sent: float | None
    time_dr: float | None
    fallback_id: int | None = None
    fallback: MessageState | None = None


@attrs.frozen
class Step:
    """One point of a message's timeline: from `at` on, the message is `status`."""

    at: float
    status: str
    time_sent: float | None = None
    time_dr: float | None = None

    def moved(self, move: Callable[[float], float]) -> Step:
        """The same step with each of its times passed through `move`."""
        return Step(
            move(self.at),
            self.status,
            None if self.time_sent is None else move(self.time_sent),
            None if self.time_dr is None else move(self.time_dr),
        )


@attrs.frozen
class Hold:
    """A time a campaign was held (`paused` or `moderation`): from `start` until `end`
    (`None`: still held), on the fake's clock."""

    start: float
    end: float | None = None


def held(moment: float, start: float, sent_at: float, holds: Sequence[Hold]) -> float:
    """When `moment` of a campaign's timeline happens once `holds` (oldest first) delayed it;
    the campaign starts at `start` and sends its messages at `sent_at` (both before holds).

    A hold delays what had not happened when it began by as long as it lasted (forever,
    `math.inf`, while it lasts). A campaign held before its start starts at its release, if
    that is later than its start. A hold that began once the messages were sent delays
    nothing: what follows a sending is up to the networks, as after a stop.
    """
    for hold in holds:
        if hold.start >= sent_at:
            break
        end = math.inf if hold.end is None else hold.end
        if hold.start >= start:  # held while sending: what follows the hold's start waits
            delay = max(0.0, end - hold.start)
            if moment > hold.start:
                moment += delay
        else:  # held before its start: the start waits for the release
            delay = max(0.0, end - start)
            if moment >= start:
                moment += delay
            start += delay
        sent_at += delay
    return moment


@attrs.frozen
class Route:
    """The words and ways of one channel's timeline (see the module docstring's table).

    `fate_tag` and `read_tag` name the seeded draws (kept as they always were, so a seed gives
    the same fates as before); `reach_tag` the draw of who can receive the channel (`None`:
    everyone). `fallback_offset` is added to a message's id to make its SMS fallback's id;
    `fallback_life` tells whether that SMS lives a whole SMS life (scheduled, sent, a seeded
    end) or is sent at once and delivered.
    """

    channel: str
    begin: str
    undelivered: str
    fate_tag: str
    read_tag: str = "read"
    reads: bool = False
    fails: bool = False
    reach_tag: str | None = None
    fallback_offset: int = 0
    fallback_life: bool = True


SMS = Route("sms", "scheduled", "undeliverable", "fate")
VIBER = Route(
    "viber",
    "scheduled",
    "undeliverable",
    "fate",
    reads=True,
    reach_tag="viber-user",
    fallback_offset=3_000_000_000,  # fallback SMS id = Viber id + offset
)
RCS = Route(
    "rcs",
    "accepted",
    "undelivered",
    "rcs-fate",
    read_tag="rcs-read",
    reads=True,
    fails=True,
    reach_tag="rcs-user",
    fallback_offset=1_000_000_000,  # fallback SMS id = RCS message id + offset
    fallback_life=False,
)

ONE_API = Route(
    "one-api",
    "accepted",
    "undelivered",
    "one-api-fate",
    fails=True,
    fallback_offset=1_000_000_000,
    fallback_life=False,
)
"""The One-API messages of the other channels (WhatsApp, a universal send's first channel):
the RCS words, and every number reaches them."""
# The One-API's SMS and Viber campaigns: One-API words, the fallback of Viber as for RCS.
ONE_API_SMS = Route("sms", "accepted", "undelivered", "one-sms-fate")
ONE_API_VIBER = Route(
    "viber",
    "accepted",
    "undelivered",
    "one-viber-fate",
    read_tag="one-viber-read",
    reads=True,
    reach_tag="viber-user",
    fallback_offset=3_000_000_000,
    fallback_life=False,
)
_ONE_API_ROUTES = {"rcs": RCS, "sms": ONE_API_SMS, "viber": ONE_API_VIBER}


@attrs.frozen
class _Subject:
    """What a timeline needs of one message, whatever its channel."""

    route: Route
    id: int
    address: str
    accepted_at: float
    start_at: float
    begin: str
    fate_key: str
    read_key: str
    has_fallback: bool
    stopped: bool = False


class Fates:
    """The timelines and states of the messages of every channel, from a `Lifecycle`, the
    seed and the clock."""

    def __init__(self, lifecycle: Lifecycle, seed: int) -> None:
        self.lifecycle = lifecycle
        self.seed = seed

    def reaches(self, route: Route, address: str) -> bool:
        """Whether a message of `route`'s channel reaches this phone number at all."""
        if route.reach_tag is None:
            return True
        life = self.lifecycle
        if route is RCS:
            excluded, rate = life.non_rcs_numbers, life.non_rcs_rate
        else:
            excluded, rate = life.non_viber_numbers, life.non_viber_rate
        if address in excluded:
            return False
        return unit(self.seed, route.reach_tag, address) >= rate

    def sent_at(self, start_at: float) -> float:
        """When messages starting at `start_at` are sent (or fail), unless held or stopped."""
        return start_at + self.lifecycle.sent_after

    def steps(
        self,
        message: FakeMessage | FakeRcsMessage,
        stopped_at: float | None = None,
        holds: Sequence[Hold] = (),
    ) -> tuple[Step, ...]:
        """The message's whole timeline, first step at its acceptance.

        The holds of its campaign delay what had not happened when each began (`held`). A
        message of a campaign stopped before the message was sent keeps, from then on, the
        status it had when the campaign stopped.
        """
        subject = _subject(message)
        steps = self._steps(subject)
        if holds:
            start, sent_at = subject.start_at, self.sent_at(subject.start_at)
            steps = [step.moved(lambda t: held(t, start, sent_at, holds)) for step in steps]
        if stopped_at is not None:
            left = next((s.at for s in steps if s.status not in _NOT_SENT), math.inf)
            if stopped_at < left:
                steps = [s for s in steps if s.at <= stopped_at] or steps[:1]
        return tuple(steps)

    def final_at(self, message: FakeMessage | FakeRcsMessage) -> float:
        """When the message reaches a final status (`read` aside), without a stop."""
        return next(s.at for s in self.steps(message) if s.status in FINAL_STATUSES)

    def state(
        self,
        message: FakeMessage | FakeRcsMessage,
        now: float,
        stopped_at: float | None = None,
        holds: Sequence[Hold] = (),
    ) -> MessageState:
        """The message's state at `now`, with its SMS fallback once that was sent."""
        step = _reached(self.steps(message, stopped_at, holds), now)
        subject = _subject(message)
        route = subject.route
        fallback_id = None
        fallback = None
        if (
            subject.has_fallback
            and step.status == route.undelivered
            and step.time_dr is not None
            and not self.reaches(route, subject.address)
        ):
            fallback_id = subject.id + route.fallback_offset
            fallback = self._fallback(subject, step.time_dr, now)
        return MessageState(
            step.status,
            subject.accepted_at,
            step.time_sent,
            step.time_dr,
            fallback_id,
            fallback,
        )

    def _steps(self, subject: _Subject) -> list[Step]:
        life, route = self.lifecycle, subject.route
        start = subject.start_at
        steps = []
        if start > subject.accepted_at:
            steps.append(Step(subject.accepted_at, "scheduled"))
        steps.append(Step(start, subject.begin))
        sent_at, final_at = self.sent_at(start), start + life.final_after
        if subject.stopped:  # on the stop list: never sent
            steps.append(Step(sent_at, "failed", None, sent_at))
            return steps
        if not self.reaches(route, subject.address):
            steps.append(Step(sent_at, "sent", sent_at))
            steps.append(Step(final_at, route.undelivered, sent_at, final_at))
            return steps
        draw = unit(self.seed, route.fate_tag, subject.fate_key)
        undelivered = life.undeliverable_rate
        expired = undelivered + life.expired_rate
        if route.fails and expired <= draw < expired + life.failed_rate:
            steps.append(Step(sent_at, "failed", None, sent_at))
            return steps
        steps.append(Step(sent_at, "sent", sent_at))
        if draw < undelivered:
            final = route.undelivered
        elif draw < expired:
            final = "expired"
        else:
            final = "delivered"
        steps.append(Step(final_at, final, sent_at, final_at))
        if (
            final == "delivered"
            and route.reads
            and unit(self.seed, route.read_tag, subject.read_key) < life.read_rate
        ):
            steps.append(Step(start + life.read_after, "read", sent_at, final_at))
        return steps

    def _fallback(self, subject: _Subject, sent: float, now: float) -> MessageState:
        """The state at `now` of the SMS sent at `sent` in place of `subject`."""
        life = self.lifecycle
        if subject.route.fallback_life:  # an SMS of its own, accepted when the channel gave up
            sms = attrs.evolve(
                subject,
                route=SMS,
                accepted_at=sent,
                start_at=sent,
                begin=SMS.begin,
                fate_key="fallback:" + subject.read_key,
                has_fallback=False,
            )
            step = _reached(self._steps(sms), now)
            return MessageState(step.status, sent, step.time_sent, step.time_dr)
        done = sent + life.final_after - life.sent_after
        delivered = now >= done
        return MessageState(
            "delivered" if delivered else "sent", sent, sent, done if delivered else None
        )


def _reached(steps: Sequence[Step], now: float) -> Step:
    """The last step reached at `now` (the first one, if none is yet)."""
    step = steps[0]
    for candidate in steps:
        if candidate.at > now:
            break
        step = candidate
    return step


def _subject(message: FakeMessage | FakeRcsMessage) -> _Subject:
    if isinstance(message, FakeRcsMessage):
        submission = message.submission
        key = str(message.id)
        return _Subject(
            _ONE_API_ROUTES.get(submission.channel, ONE_API),
            message.id,
            message.to,
            submission.accepted_at,
            submission.start_at,
            "accepted" if submission.campaign_id is None else "sending",
            key,
            key,
            message.has_fallback,
            message.stopped,
        )
    route = SMS if message.channel == "sms" else VIBER
    return _Subject(
        route,
        message.id,
        message.to,
        message.accepted_at,
        message.accepted_at,
        route.begin,
        f"{route.channel}:{message.reference}",
        message.reference,
        message.has_fallback,
    )


M = TypeVar("M", FakeMessage, FakeRcsMessage)


def due_steps(
    messages: Store[..., M],
    live: dict[int, int],
    steps_of: Callable[[M], Sequence[Step]],
    now: float,
) -> list[tuple[M, Step]]:
    """The status changes reached by `now` since they were last collected, oldest first.

    `live` maps the position of every message whose status may still change to how many steps
    of its timeline were already collected (0: none yet; the steps reached at its acceptance
    are never reported, the send's answer told them). A count, not a time: the steps already
    reached never change, but releasing a hold at `now` may put a step at `now` after the
    reports up to `now` were collected. Marks them collected; a message leaves `live` once its
    timeline is complete.
    """
    due: list[tuple[float, int, int, M, Step]] = []
    finished = []
    for index, collected in live.items():
        message = messages.at(index)
        steps = steps_of(message)
        accepted_at = message.submission.accepted_at
        order = collected or sum(1 for step in steps if step.at <= accepted_at)
        while order < len(steps) and steps[order].at <= now:
            due.append((steps[order].at, message.id, order, message, steps[order]))
            order += 1
        if order >= len(steps):
            finished.append(index)
        else:
            live[index] = order
    for index in finished:
        del live[index]
    due.sort(key=lambda item: item[:3])
    return [(message, step) for *_, message, step in due]
