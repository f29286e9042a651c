"""The outbox's values: a campaign's settings, a stored row, a claim, its release, a summary.

Frozen attrs values, and the `Release` a worker fills for one claim: no database, no I/O.
Money is `Decimal`, kept as text in the store.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

import attrs

from .. import _validation as rules
from ..errors import InvalidParameterError
from ..models import Recipient

__all__ = [
    "Claim",
    "OutboxCampaign",
    "OutboxReject",
    "OutboxRow",
    "OutboxSummary",
    "Release",
    "RowState",
    "WorkReport",
]

SMS_CHUNK = 1000
"""Recipients per claim (and per request) of an SMS campaign, unless the campaign says."""

VIBER_CLAIM = 500
"""Recipients per claim of a Viber campaign, unless the campaign says: ten requests of 50 (the
most one request carries), sent one after the other, so the database's fixed cost per claim
and release is spread over ten requests."""


class RowState(str, enum.Enum):
    """Where a row of a campaign stands.

    ```
    pending ──(claim, committed before any request)──► claimed ──► sent | failed
       ▲                                                  │
       └──(a passing failure, or a fate to reconcile)─────┘
    ```
    `sent` and `failed` are final; `pending` and `claimed` are not.
    """

    PENDING = "pending"
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"

    def __str__(self) -> str:
        return str(self.value)


@attrs.frozen
class OutboxCampaign:
    """What a campaign sends: the settings every row of it shares, stored with the campaign.

    `channel` is `"sms"` or `"viber"`; `text` the message (a row may carry its own; `None`:
    every row must); `sender` the sender name (sent as `originator` for SMS, `alpha_name` for
    Viber). `validity` is a `timedelta`: whole **hours** for SMS (1 to 72) and whole
    **seconds** for Viber (15 to 86,400), as the API has it; `tariff` 0 to 9. `fallback_text`
    and `fallback_sender` (Viber only) are the SMS sent to who cannot get Viber.
    `rate_limit` is messages per second for the whole campaign, shared by every worker on any
    machine (`None`: no limit of the campaign's own). `chunk_size` is recipients per claim and
    per request (default: 1,000 for SMS, one request; 500 for Viber, claimed together and sent
    as ten requests of 50, the most one carries). `source` says where the rows
    come from (such as a file and its digest): stored and compared like every other setting,
    so creating the campaign again from another source is refused.

    ```python
    OutboxCampaign("spring-sale", channel="sms", text="Sale: 20% off", sender="Shop")
    ```
    Raises `InvalidParameterError` for a bad value.
    """

    name: str
    channel: Literal["sms", "viber"] = attrs.field(kw_only=True)
    text: str | None = attrs.field(kw_only=True)
    sender: str = attrs.field(kw_only=True)
    validity: timedelta | None = attrs.field(default=None, kw_only=True)
    tariff: int | None = attrs.field(default=None, kw_only=True)
    is_promotional: bool = attrs.field(default=False, kw_only=True)
    fallback_text: str | None = attrs.field(default=None, kw_only=True)
    fallback_sender: str | None = attrs.field(default=None, kw_only=True)
    rate_limit: float | None = attrs.field(default=None, kw_only=True)
    chunk_size: int | None = attrs.field(default=None, kw_only=True)
    source: str | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.name, str) or not 1 <= len(self.name) <= 200:
            raise InvalidParameterError("name", self.name, "expected 1 to 200 characters")
        if self.channel not in ("sms", "viber"):
            raise InvalidParameterError("channel", self.channel, "expected 'sms' or 'viber'")
        viber = self.channel == "viber"
        if self.text is not None:
            rules.text(self.text, "text", max_length=rules.VIBER_TEXT_MAX if viber else None)
        rules.sender(self.sender)
        if viber:
            rules.optional_duration(
                self.validity, "validity", rules.VIBER_VALIDITY_SECONDS, "seconds"
            )
        else:
            rules.optional_duration(self.validity, "validity", rules.SMS_VALIDITY_HOURS, "hours")
        if self.tariff is not None:
            rules.integer(self.tariff, "tariff", rules.TARIFF_RANGE)
        if self.source is not None and not isinstance(self.source, str):
            raise InvalidParameterError("source", self.source, "expected a string or None")
        if self.channel == "sms" and (
            self.fallback_text is not None or self.fallback_sender is not None
        ):
            raise InvalidParameterError(
                "fallback_text", self.fallback_text, "an SMS fallback is for Viber campaigns"
            )
        if self.rate_limit is not None and (
            isinstance(self.rate_limit, bool)
            or not isinstance(self.rate_limit, int | float)
            or not self.rate_limit > 0
        ):
            raise InvalidParameterError("rate_limit", self.rate_limit, "expected a number > 0")
        if self.chunk_size is not None:
            rules.integer(self.chunk_size, "chunk_size", (1, self.max_chunk))

    @property
    def max_chunk(self) -> int:
        """The most recipients one request of this channel may carry."""
        return rules.VIBER_MAX_RECIPIENTS if self.channel == "viber" else 10_000

    @property
    def claim_size(self) -> int:
        """Recipients per claim: `chunk_size`, else 500 for Viber and 1,000 for SMS."""
        if self.chunk_size is not None:
            return self.chunk_size
        return VIBER_CLAIM if self.channel == "viber" else SMS_CHUNK

    def settings_json(self) -> str:
        """The settings as sorted JSON (what the store keeps; the name is kept apart)."""
        values = attrs.asdict(self)
        del values["name"]
        if self.validity is not None:  # JSON has no durations: whole seconds
            values["validity"] = self.validity // timedelta(seconds=1)
        return json.dumps(values, sort_keys=True)

    @classmethod
    def from_json(cls, name: str, text: str) -> OutboxCampaign:
        """The campaign stored by `settings_json`."""
        values: dict[str, Any] = json.loads(text)
        if values.get("validity") is not None:
            values["validity"] = timedelta(seconds=values["validity"])
        return cls(name, **values)


@attrs.frozen
class Claim:
    """A chunk of rows held by one worker under a lease until its outcomes are recorded.

    `resume` is `True` when any of its rows may already have been handed to the service (a
    claim taken over after its lease expired, or rows sent again after a passing failure):
    they go out with `resume=True`, so "reference already exists" resolves to the message the
    service holds. `taken_over` says it was another worker's claim whose lease expired. `id`
    is the chunk's; `generation` counts the chunk's claims, this one included (every row of
    the chunk has been through as many): a release or renewal names both, so a claim that was
    taken over since changes nothing.

    Its rows, in the order added, are three tuples with an entry per row: `seqs` (each row's
    place in the campaign), `recipients` (its number and reference, checked when it was
    added) and `texts` (its own text, `None` for the campaign's). Not an object per row: a
    worker holds a dozen thousand-row claims at once, and the garbage collector walks every
    object that lives through a request (a named tuple per row was a quarter of what its full
    collections walked).
    """

    id: int
    campaign_id: int
    resume: bool
    seqs: tuple[int, ...]
    recipients: tuple[Recipient, ...]
    texts: tuple[str | None, ...]
    taken_over: bool
    generation: int


Shared = tuple["RowState", str | None, str | None, str | None, int | None, str | None, bool]
"""What rows of a release may share: state, price, currency, error type, error code, error,
and whether the service may hold the message (the order of `outcomes_json`'s groups)."""


class Release:
    """What a worker records for its claim's rows when it releases the claim: the rows grouped
    by the values they share, each row by its `seq` with its message id.

    `state` is `sent`, `failed` (final) or `pending` (to be sent again: a passing failure, or
    a fate still unknown). `price` is the `Decimal`'s text (as the store keeps it). The error
    fields describe the last failure, if any. A chunk sent at one price is one group, written
    as one JSON parameter (`_codec.outcomes_json`) and counted without a pass over its rows;
    no object is made per row.
    """

    def __init__(self) -> None:
        self.groups: dict[Shared, dict[int, int | None]] = {}

    def rows(
        self,
        state: RowState,
        price: str | None = None,
        currency: str | None = None,
        error_type: str | None = None,
        error_code: int | None = None,
        error: str | None = None,
        may_have_been_accepted: bool = False,
    ) -> dict[int, int | None]:
        """The rows (`seq` -> message id) recorded with these values: set a row's message id
        (`None` without one) in it to record the row so."""
        shared = (state, price, currency, error_type, error_code, error, may_have_been_accepted)
        found = self.groups.get(shared)
        if found is None:
            found = self.groups[shared] = {}
        return found

    def count(self, state: RowState) -> int:
        """How many rows are recorded in `state`."""
        return sum(len(rows) for shared, rows in self.groups.items() if shared[0] is state)

    def final(self) -> set[int]:
        """The `seq`s of the rows recorded `sent` or `failed`."""
        return set().union(
            *(rows for shared, rows in self.groups.items() if shared[0] is not RowState.PENDING)
        )

    def __len__(self) -> int:
        return sum(map(len, self.groups.values()))

    def __repr__(self) -> str:
        return f"Release({self.groups!r})"


@attrs.frozen
class OutboxRow:
    """One row of a campaign as stored: the results export yields these, in the order added.

    `state` is a `RowState`; `message_id`, `price`, `currency` are the service's once `sent`;
    `error_type` (the SDK's exception class name), `error_code` (the BSG code) and `error`
    describe the last failure; `may_have_been_accepted` says whether the service may hold the
    message despite it. `status` is the last delivery status read or reported (`None` until
    one is), `attempts` the claims the row went through.
    """

    seq: int
    reference: str
    to: str
    text: str | None
    state: RowState
    message_id: int | None
    price: Decimal | None
    currency: str | None
    error_type: str | None
    error_code: int | None
    error: str | None
    may_have_been_accepted: bool
    status: str | None
    attempts: int
    line: int | None = None


@attrs.frozen
class OutboxReject:
    """An input that cannot be sent (a bad number, a reference used twice...), kept with the
    campaign so its results account for every line of the source: `line` (its place in the
    source, unique per campaign), the phone `to` and `reference` as given, the `error` for
    people and a short `reason` to group by.

    ```python
    OutboxReject(3, "12ab", None, "line 3: invalid to='12ab'", "invalid to")
    ```
    """

    line: int
    to: str
    reference: str | None
    error: str
    reason: str | None = None

    def __attrs_post_init__(self) -> None:
        rules.integer(self.line, "line", (0, 2**62))
        for field in ("to", "error"):
            if not isinstance(getattr(self, field), str):
                raise InvalidParameterError(field, getattr(self, field), "expected a string")


@attrs.frozen
class OutboxSummary:
    """A campaign at a glance: rows per `RowState` (every state present, 0 when none), the
    cost of the sent rows per currency, rows per delivery status, and the inputs rejected
    (`OutboxReject`, not rows: never sent)."""

    counts: Mapping[RowState, int]
    cost: Mapping[str, Decimal]
    statuses: Mapping[str, int] = attrs.field(factory=dict)
    rejected: int = 0

    @property
    def total(self) -> int:
        """Rows in the campaign."""
        return sum(self.counts.values())

    @property
    def done(self) -> bool:
        """Whether every row has its final outcome (`sent` or `failed`)."""
        return self.counts[RowState.PENDING] == 0 and self.counts[RowState.CLAIMED] == 0


@attrs.frozen
class WorkReport:
    """What one `Outbox.work` call did.

    `sent` and `failed` count final outcomes this worker recorded, `requeued` rows it put back
    to `pending` (a passing failure, or a fate to reconcile), `claims` the chunks it claimed,
    `taken_over` those it took over from a worker whose lease had expired, `lost` the claims
    another worker took over from it before it could record them (their outcomes are the
    other worker's to record), `pauses` how often it stopped because the service was
    unreachable.
    """

    sent: int = 0
    failed: int = 0
    requeued: int = 0
    claims: int = 0
    taken_over: int = 0
    lost: int = 0
    pauses: int = 0
