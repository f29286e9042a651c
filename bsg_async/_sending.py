"""From a send's answer to one outcome per recipient, with the exactly-once recovery.

Every multi-recipient send (`send_bulk`, `send_individual`, `viber.send` and each chunk of
`send_many`) goes through `send_chunk`: post the request, then decide each recipient's outcome
from its entry in the answer. A recipient whose entry says "reference already exists" (23, 43)
after an attempt of the same call may have been accepted is not a failure: that earlier attempt
was accepted and its answer lost. Such a recipient, or one the answer forgot, is read back by
reference and reported as the message the service holds. Only the SDK's own retries (or
`resume=True`) lead here: a duplicate reference on a first attempt is the caller's and stays a
refusal.

The outcomes are the batcher's `Sent` and `Failed`; `send_result` presents them as the
`SendResult` of a single request. `single_receipt` does the same for a one-recipient send.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Protocol, cast

import anyio
import attrs

from ._converter import Wire, WireBatch, WireEntry
from ._transport import Answer
from .errors import (
    DUPLICATE_REFERENCE_CODES,
    APIError,
    BSGError,
    DuplicateReferenceError,
    error_for_code,
)
from .models import Receipt, Recipient, Rejection, SendResult
from .models.batch import Failed, Outcome, Sent

__all__ = ["Chunk", "Post", "send_chunk", "send_result", "single_receipt", "recover_duplicate"]

Chunk = list[tuple[int, Recipient]]
"""Recipients of one request, each with its position in the caller's input."""

Post = Callable[[list[Recipient]], Awaitable[Answer]]
"""Sends the request for these recipients (through the pipeline) and returns its answer."""


class StatusReport(Protocol):
    """What a status read by reference gives back (`SmsReport`, `ViberReport`)."""

    @property
    def id(self) -> int: ...
    @property
    def price(self) -> Decimal | None: ...
    @property
    def currency(self) -> str | None: ...


Lookup = Callable[[str], Awaitable[StatusReport]]


@attrs.frozen
class _Unresolved:
    """An entry whose fate only a status read by reference can tell."""

    error: APIError


def _refusal(
    entry: WireEntry, *, uncertain: bool, http_status: int
) -> APIError | _Unresolved | None:
    """Why `entry` is not a plain acceptance: the service's refusal, or an `_Unresolved` fate;
    `None` when it was accepted (no error code, and a message id)."""
    _, code, description, id_, _, _, _ = entry
    if code:
        # "Reference already exists" after an attempt that may have been accepted: that
        # attempt's message, unless a read by reference says otherwise.
        fate_unknown = uncertain and code in DUPLICATE_REFERENCE_CODES
        error = error_for_code(code, description, may_have_been_accepted=fate_unknown)
        return _Unresolved(error) if fate_unknown else error
    if id_ is None:
        return _Unresolved(
            APIError(
                "the service accepted this recipient without giving its message id",
                http_status=http_status,
                may_have_been_accepted=True,
            )
        )
    return None


async def _recover(recipient: Recipient, error: APIError, lookup: Lookup) -> StatusReport:
    """The message the service holds for `recipient`'s reference; raises `error` (whose fate
    is unknown: `may_have_been_accepted`) if the read finds none or fails."""
    try:
        return await lookup(recipient.reference or "")
    except BSGError as lookup_error:
        raise error from lookup_error


# -- one recipient ---------------------------------------------------------------------------


async def single_receipt(
    wire: Wire, answer: Answer, recipient: Recipient, lookup: Lookup
) -> Receipt:
    """The receipt of a single-recipient send, or raise its typed error."""
    entry = wire.single_entry(answer.data, http_status=answer.http_status)
    refusal = _refusal(entry, uncertain=answer.uncertain, http_status=answer.http_status)
    if isinstance(refusal, APIError):
        raise refusal
    if isinstance(refusal, _Unresolved):
        return _receipt(recipient, await _recover(recipient, refusal.error, lookup))
    _, _, _, id_, price, currency, _ = entry
    return Receipt(
        id=cast(int, id_),
        reference=recipient.reference or "",
        price=price,
        currency=currency,
        to=recipient.to,
    )


async def recover_duplicate(
    error: DuplicateReferenceError, recipient: Recipient, lookup: Lookup
) -> Receipt:
    """Resolve a request-level "reference already exists" after an uncertain attempt."""
    if not error.may_have_been_accepted:
        raise error
    return _receipt(recipient, await _recover(recipient, error, lookup))


def _receipt(recipient: Recipient, report: StatusReport) -> Receipt:
    return Receipt(
        id=report.id,
        reference=recipient.reference or "",
        price=report.price,
        currency=report.currency,
        to=recipient.to,
    )


# -- many recipients -------------------------------------------------------------------------


async def send_chunk(
    wire: Wire, chunk: Chunk, post: Post, lookup: Lookup, *, resume: bool = False
) -> list[Outcome]:
    """Send `chunk` in one request; one outcome per recipient, in chunk order.

    Never raises a `BSGError`: a request that finally failed is a `Failed` for each recipient,
    with the request's error and its `may_have_been_accepted`.
    """
    try:
        outcomes, _ = await _send(wire, chunk, post, lookup, resume=resume)
    except BSGError as error:
        return [
            Failed(index, recipient, recipient.reference, error, error.may_have_been_accepted)
            for index, recipient in chunk
        ]
    return outcomes


async def send_result(
    wire: Wire,
    recipients: Sequence[Recipient],
    post: Post,
    lookup: Lookup,
    *,
    resume: bool = False,
) -> SendResult:
    """Send `recipients` in one request and return its `SendResult`, or raise its error."""
    outcomes, batch = await _send(wire, list(enumerate(recipients)), post, lookup, resume=resume)
    entries = tuple(_entry(outcome) for outcome in outcomes)
    if batch is None:
        return SendResult(entries)
    return SendResult(
        entries, task_id=batch.task_id, total_price=batch.total_price, currency=batch.currency
    )


def _entry(outcome: Outcome) -> Receipt | Rejection:
    recipient = cast(Recipient, outcome.recipient)  # a chunk holds `Recipient`s only
    if isinstance(outcome, Sent):
        return Receipt(
            id=outcome.id,
            reference=outcome.reference,
            price=outcome.price,
            currency=outcome.currency,
            to=recipient.to,
        )
    # A recipient refused within an answer always carries the service's `APIError`.
    return Rejection(outcome.reference or "", cast(APIError, outcome.error), recipient.to)


async def _send(
    wire: Wire, chunk: Chunk, post: Post, lookup: Lookup, *, resume: bool
) -> tuple[list[Outcome], WireBatch | None]:
    try:
        answer = await post([recipient for _, recipient in chunk])
    except DuplicateReferenceError as error:
        return await _recover_all(error, chunk, lookup, resume=resume), None
    return await _outcomes(wire, answer, chunk, lookup, resume=resume)


async def _outcomes(
    wire: Wire, answer: Answer, chunk: Chunk, lookup: Lookup, *, resume: bool
) -> tuple[list[Outcome], WireBatch]:
    """One outcome per recipient of `chunk`, in order, from the answer to its request.

    An entry is matched by reference (the first one wins), else by position when the answer
    has one entry per recipient and this one has no reference: an entry naming another
    reference is never taken by position. The usual answer accepts every recipient in request
    order, and is read in one pass; the index by reference is built only for the recipients
    after the first entry that does not. `resume=True` continues an earlier, interrupted send
    of the same references: a duplicate reference is then read back as already accepted, as
    after an uncertain attempt.
    """
    batch = wire.batch(answer.data, http_status=answer.http_status)
    entries = batch.result
    positional = len(entries) == len(chunk)
    currency, uncertain, status = batch.currency, answer.uncertain or resume, answer.http_status

    outcomes: list[Outcome] = []
    add = outcomes.append
    # The usual answer: entry `i` accepts recipient `i`. While it does, no earlier entry can
    # name recipient `i`'s reference (the references of a chunk are unique), so taking entry
    # `i` is what the first-wins rule below would take.
    for (index, recipient), entry in zip(chunk, entries, strict=False):
        reference, error, _, id_, price, entry_currency, _ = entry
        if error or id_ is None or reference is None or reference != recipient.reference:
            break
        add(Sent(index, recipient, id_, price, entry_currency or currency))
    if len(outcomes) == len(chunk):
        return outcomes, batch

    by_reference = _first_by_reference(entries)
    to_read: list[tuple[int, APIError]] = []  # read back by reference below, put in place
    for position in range(len(outcomes), len(chunk)):
        index, recipient = chunk[position]
        reference = recipient.reference
        found = by_reference.get(reference) if reference is not None else None
        if found is None and positional and entries[position][0] is None:  # no reference
            found = entries[position]
        if found is not None:
            _, error, _, id_, price, entry_currency, _ = found
            if not error and id_ is not None:  # accepted
                add(Sent(index, recipient, id_, price, entry_currency or currency))
                continue
            refusal = _refusal(found, uncertain=uncertain, http_status=status)
        else:
            refusal = _Unresolved(
                APIError(
                    "the service's answer has no entry for this recipient",
                    http_status=status,
                    may_have_been_accepted=True,
                )
            )
        if isinstance(refusal, _Unresolved):
            to_read.append((position, refusal.error))
            refusal = refusal.error  # a placeholder until the read below replaces it
        assert refusal is not None  # an entry without error code and with an id was taken
        add(Failed(index, recipient, recipient.reference, refusal, refusal.may_have_been_accepted))

    if to_read:
        await _read_back(outcomes, chunk, to_read, lookup)
    return outcomes, batch


def _first_by_reference(entries: Sequence[WireEntry]) -> dict[str, WireEntry]:
    """The entries by reference; of two naming one reference, the first."""
    found: dict[str, WireEntry] = {}
    for entry in entries:
        reference = entry[0]
        if reference is not None:
            found.setdefault(reference, entry)
    return found


async def _recover_all(
    error: DuplicateReferenceError, chunk: Chunk, lookup: Lookup, *, resume: bool
) -> list[Outcome]:
    """Resolve a request-level "reference already exists" to a multi-recipient send.

    After an uncertain attempt (or with `resume`), the service refused the whole request
    because it already holds some of its references: every recipient is read back by
    reference. One the service does not hold is a `Failed` with `may_have_been_accepted`
    (resending it with the same reference is safe). Otherwise the error is the caller's: raised.
    """
    if not (error.may_have_been_accepted or resume):
        raise error
    outcomes: list[Outcome] = []
    to_read: list[tuple[int, APIError]] = []
    for position, (index, recipient) in enumerate(chunk):
        own = error_for_code(
            error.code or 0,
            error.description,
            http_status=error.http_status,
            may_have_been_accepted=True,
        )
        outcomes.append(Failed(index, recipient, recipient.reference, own, True))
        to_read.append((position, own))
    await _read_back(outcomes, chunk, to_read, lookup)
    return outcomes


async def _read_back(
    outcomes: list[Outcome], chunk: Chunk, to_read: list[tuple[int, APIError]], lookup: Lookup
) -> None:
    """Replace `outcomes[position]` by what a status read by reference tells, concurrently."""

    async def resolve(position: int, error: APIError) -> None:
        index, recipient = chunk[position]
        try:
            report = await _recover(recipient, error, lookup)
        except APIError as failure:
            outcomes[position] = Failed(
                index, recipient, recipient.reference, failure, failure.may_have_been_accepted
            )
        else:
            outcomes[position] = Sent(index, recipient, report.id, report.price, report.currency)

    async with anyio.create_task_group() as group:
        for position, error in to_read:
            group.start_soon(resolve, position, error)
