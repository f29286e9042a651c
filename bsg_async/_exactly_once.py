"""The exactly-once recovery of every send, legacy and One-API: where a lost answer is resolved.

Every recipient carries a reference fixed before the first attempt, and the service refuses a
second message with a reference it already holds (legacy codes 23 and 43; on the One-API a 429
"Too many duplicate request detected" or a 422 about `reference_id`). So after an attempt whose
fate is unknown (a timeout after the request was written, a reset connection, a 5xx), a
refusal that says "I already hold this reference" is not a failure: it is resolved by reading
that reference back. So is an answer that accepted a recipient without saying how (a legacy
entry without a message id or without a price, or none for that recipient; a One-API success
the SDK cannot decode).

- found: the message the service holds is the outcome (`Sent`, with its id and price);
- not found: the recipient fails with the send's error, which says `may_have_been_accepted`
  when an earlier attempt may have been accepted (sending it again with the **same**
  reference is then safe: the service refuses a reference it holds);
- the lookup itself failed: the recipient fails with the send's error, fate unknown
  (`may_have_been_accepted=True`), chained to the lookup's failure.

This module holds the idea once: `reconcilable` decides which refusals are such a claim (for
both API families), `Held` is what the service holds for a reference, `resolve` reads one
reference back, `read_back` reads many, a few at a time. The family-specific parts plug into
it and live with their sends:

- `_sending.py` (legacy API): how a send's answer entry is matched to its recipient (by
  reference, the first entry wins, by position only without a reference), and the lookup: a
  status read by reference (`sms.get_by_reference`, `viber.get_by_reference`, ...), which
  refuses a status without a price (the service could not tell: the fate stays unknown).
- `_one_api_sending.py` (One-API): the lookup (the message search by `reference_id`), the
  rule that a 429 is never resent, and the high-volume campaign chunk: its messages read
  back by campaign id, each missing reference looked up alone (`read_back`), and the
  recipients the service does not hold sent once more in a campaign of their own. A record
  the service keeps unique by a natural key (a contact's phone, a contact list's name) is
  read back by that key the same way (`post_keyed`, `resolve`).

A duplicate reference on a first attempt (neither after an attempt that may have been
accepted nor on `resume=True`) is the caller's error: it stays a refusal.

Around it: `_transport.py` retries a send with the same bytes and decides, where each answer
is read, whether an error leaves the message possibly accepted (`may_have_been_accepted`);
`batch.py` fixes every reference before the first attempt and keeps the recipients the
service may hold in `OutcomeStream.unsettled` until the caller takes their outcomes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Generic, TypeVar

import anyio
import attrs

from .errors import (
    BSGError,
    DuplicateReferenceError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    fate_unknown,
)
from .models import Recipient
from .models.batch import Failed, Outcome, Sent

__all__ = [
    "LOOKUP_CONCURRENCY",
    "Chunk",
    "Held",
    "HeldLookup",
    "Pending",
    "read_back",
    "reconcilable",
    "resolve",
]

T = TypeVar("T")
E = TypeVar("E", bound=BSGError)
P = TypeVar("P", bound="Decimal | None", covariant=True)

Chunk = list[tuple[int, Recipient]]
"""Recipients of one request, each with its position in the caller's input."""

LOOKUP_CONCURRENCY = 8
"""At most this many lookups of one `read_back` run at a time."""


@attrs.frozen
class Held(Generic[P]):
    """What the service holds for a reference: its message's id and price.

    `Held[Decimal]` where the family always states a price (the legacy API's lookup refuses a
    status without one), `Held[Decimal | None]` on the One-API, whose messages may not be
    priced yet.
    """

    id: int
    price: P
    currency: str | None

    def sent(self, index: int, recipient: Recipient) -> Sent:
        """The outcome of `recipient` (at `index` in the caller's input): this message."""
        return Sent(index, recipient, self.id, self.price, self.currency)


HeldLookup = Callable[[Recipient], Awaitable[Held[Decimal | None] | None]]
"""What the service holds for this recipient's reference. It holds nothing: `None`, or a
`NotFoundError` raised (a status read's own answer, kept as the cause); any other `BSGError`
raised: the service could not tell (the fate stays unknown)."""

Pending = tuple[int, BSGError]
"""A recipient to read back: its position in the chunk, and the error it fails with unless
the service holds it (one error per recipient: it may be chained to a lookup's failure)."""


def reconcilable(error: BSGError, *, uncertain: bool = False) -> bool:
    """Whether `error`, refusing a send, may be the service's claim to hold its message already,
    to be resolved by reading the reference back rather than reported (or resent).

    `uncertain`: an earlier attempt of the same send may have been accepted (also on
    `resume=True`), when `error.may_have_been_accepted` does not already say so. A One-API 429
    always is such a claim (it is never resent); a legacy duplicate reference (23, 43) and a
    One-API 422 about `reference_id` only after an attempt that may have been accepted:
    before, the duplicate is the caller's.
    """
    if isinstance(error, RateLimitError):
        # The One-API's 429 carries no BSG code; the legacy API's throttle (code 11) says
        # "not now", not "I hold it".
        return error.code is None
    if not (uncertain or error.may_have_been_accepted):
        return False
    if isinstance(error, DuplicateReferenceError):
        return True
    return isinstance(error, InvalidRequestError) and any(
        "reference_id" in key for key in error.errors
    )


async def _ask(lookup: Callable[[], Awaitable[T | None]], error: E) -> T | E | None:
    """What `lookup` finds; `None` when nothing (`error` chained to a `NotFoundError` that
    said so); when it fails, `error` with its fate unknown, chained to the lookup's failure."""
    try:
        return await lookup()
    except NotFoundError as absent:
        error.__cause__ = absent
        return None
    except BSGError as lookup_error:
        unknown = fate_unknown(error)
        unknown.__cause__ = lookup_error
        return unknown


async def resolve(error: BSGError, lookup: Callable[[], Awaitable[T | None]]) -> T:
    """What the service holds for one send's reference, in place of `error`; `lookup` answers
    as a `HeldLookup` does (its recipient already bound), with what the caller needs.

    Raises `error` when `lookup` finds nothing, and `error` with its fate unknown
    (`may_have_been_accepted`), chained to the lookup's failure, when `lookup` fails.
    """
    found = await _ask(lookup, error)
    if found is None:
        raise error
    if isinstance(found, BSGError):
        raise found
    return found


async def read_back(
    chunk: Chunk, pending: Sequence[Pending], lookup: HeldLookup
) -> tuple[list[tuple[int, Outcome]], list[Pending]]:
    """Read the `pending` recipients of `chunk` back by reference, `LOOKUP_CONCURRENCY` at a
    time: the outcomes of those it could tell about (`Sent` for the ones the service holds,
    `Failed` with their fate unknown for the ones whose lookup failed), by position, and the
    ones the service does not hold, in position order (the caller fails them or sends them
    again with the same reference)."""
    told: list[tuple[int, Outcome]] = []
    absent: list[Pending] = []
    limiter = anyio.CapacityLimiter(LOOKUP_CONCURRENCY)

    async def read(position: int, error: BSGError) -> None:
        index, recipient = chunk[position]
        async with limiter:
            found = await _ask(lambda: lookup(recipient), error)
        if found is None:
            absent.append((position, error))
        elif isinstance(found, Held):
            told.append((position, found.sent(index, recipient)))
        else:
            told.append((position, Failed(index, recipient, recipient.reference, found, True)))

    async with anyio.create_task_group() as group:
        for position, error in pending:
            group.start_soon(read, position, error)
    absent.sort(key=lambda item: item[0])
    return told, absent
