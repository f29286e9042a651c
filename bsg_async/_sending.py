"""Legacy sends: from a send's answer to one outcome per recipient.

Every multi-recipient send (`send_bulk`, `send_individual`, `viber.send` and each chunk of
`send_many`) goes through `send_chunk`: post the request, then decide each recipient's outcome
from its entry in the answer, matched by reference (the first entry wins; by position only for
an entry without a reference). An acceptance is an entry without an error code that states
the message's id and its price (`_accepted`). A recipient whose entry says "reference already
exists" (23, 43) after an attempt of the same call that may have been accepted, one accepted
without its id or its price, or one the answer forgot, is read back by reference with
`_exactly_once`, whose docstring tells the whole recovery; here is only the legacy API's part
of it: the matching, and the lookup (a status read by reference, which must state the price).

The outcomes are the batcher's `Sent` and `Failed`; `send_result` presents them as the
`SendResult` of a single request. `post_single` sends a one-recipient request and gives its
`Receipt` the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TypeGuard, cast

from ._converter import Wire, WireBatch, WireEntry
from ._exactly_once import Chunk, Held, Pending, read_back, reconcilable, resolve
from ._transport import Answer
from .errors import (
    APIError,
    BSGError,
    DuplicateReferenceError,
    UnexpectedResponseError,
    error_for_code,
    fate_unknown,
)
from .models import Receipt, Recipient, Rejection, SendResult
from .models.batch import Failed, Outcome, Sent

if TYPE_CHECKING:
    from .batch import OutcomeStream, ProgressCallback, Recipients
    from .client import AsyncBSG

__all__ = ["Chunk", "Post", "chunk_stream", "post_single", "send_chunk", "send_result"]

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
"""A status read by reference (`sms.get_by_reference`); raises `NotFoundError` for none."""


def _by_status(lookup: Lookup) -> Callable[[Recipient], Awaitable[Held[Decimal]]]:
    """The legacy API's lookup for `_exactly_once` (a `HeldLookup`): a status read by reference.

    A status without a price does not say what the message the service holds cost: it is an
    `UnexpectedResponseError` naming `$.price`, and the recipient's fate stays unknown.
    """

    async def held(recipient: Recipient) -> Held[Decimal]:
        reference = recipient.reference or ""
        report = await lookup(reference)  # `NotFoundError`: not held
        price = report.price
        if price is None:
            raise UnexpectedResponseError(
                f"the status of message {report.id} (reference {reference!r}) states no price",
                field="$.price",
            )
        return Held(report.id, price, report.currency)

    return held


AcceptedEntry = tuple[str | None, int, str | None, int, Decimal, str | None, str | None]
"""A `WireEntry` that accepts its recipient: its message id and its price are stated."""


def _accepted(entry: WireEntry) -> TypeGuard[AcceptedEntry]:
    """Whether `entry` is a plain acceptance: no error code, a message id and a price. (The
    in-order reading of `_outcomes` tests the same inline, once per recipient.)"""
    _, code, _, id_, price, _, _ = entry
    return not code and id_ is not None and price is not None


def _refusal(entry: WireEntry, *, uncertain: bool, http_status: int) -> tuple[APIError, bool]:
    """Why `entry`, not a plain acceptance (`_accepted`), fails its recipient, and whether its
    fate is unknown (then it is read back by reference)."""
    _, code, description, id_, _, _, _ = entry
    if code:
        error = error_for_code(code, description)
        if reconcilable(error, uncertain=uncertain):
            # "Reference already exists" after an attempt that may have been accepted: that
            # attempt's message, unless a read by reference says otherwise.
            return fate_unknown(error), True
        return error, False
    # Accepted without saying what: the message the service holds is read back.
    if id_ is None:
        message = "the service accepted this recipient without giving its message id"
    else:
        message = "the service accepted this recipient without stating its price"
    return APIError(message, http_status=http_status, may_have_been_accepted=True), True


# -- one recipient ---------------------------------------------------------------------------


async def post_single(
    client: AsyncBSG, path: str, payload: Any, recipient: Recipient, lookup: Lookup
) -> Receipt:
    """POST the one-recipient send `payload` (a message, an HLR lookup) to `path` and return
    its receipt, or raise its typed error; a "reference already exists" after an attempt that
    may have been accepted is resolved by `lookup`."""
    try:
        answer = await client.legacy_request("POST", path, json=payload, send=True)
    except DuplicateReferenceError as error:
        return await recover_duplicate(error, recipient, lookup)
    return await single_receipt(client._wire, answer, recipient, lookup)


async def single_receipt(
    wire: Wire, answer: Answer, recipient: Recipient, lookup: Lookup
) -> Receipt:
    """The receipt of a single-recipient send, or raise its typed error."""
    entry = wire.single_entry(answer.data, http_status=answer.http_status)
    if _accepted(entry):
        _, _, _, id_, price, currency, _ = entry
        return _receipt(recipient, id_, price, currency)
    error, unknown = _refusal(entry, uncertain=answer.uncertain, http_status=answer.http_status)
    if not unknown:
        raise error
    return await _recovered(error, recipient, lookup)


async def recover_duplicate(
    error: DuplicateReferenceError, recipient: Recipient, lookup: Lookup
) -> Receipt:
    """Resolve a request-level "reference already exists" after an uncertain attempt."""
    if not reconcilable(error):
        raise error
    return await _recovered(error, recipient, lookup)


async def _recovered(error: APIError, recipient: Recipient, lookup: Lookup) -> Receipt:
    """The receipt of the message the service holds for `recipient`, or raise `error`."""
    held = await resolve(error, lambda: _by_status(lookup)(recipient))
    return _receipt(recipient, held.id, held.price, held.currency)


def _receipt(recipient: Recipient, id_: int, price: Decimal, currency: str | None) -> Receipt:
    return Receipt(
        id=id_, reference=recipient.reference or "", price=price, currency=currency, to=recipient.to
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


def chunk_stream(
    wire: Wire,
    to: Recipients,
    post: Post,
    lookup: Lookup,
    *,
    max_chunk: int,
    chunk_size: int,
    concurrency: int,
    on_progress: ProgressCallback | None,
    resume: bool,
) -> OutcomeStream:
    """The `OutcomeStream` of a legacy high-volume send (`stream_many`): chunks of
    `chunk_size` (1 to `max_chunk`) recipients, each sent by `send_chunk` with `post`."""
    # Imported here: `batch` imports this module (for `Chunk`).
    from .batch import OutcomeStream
    from .batch import _check_batch_options as check_batch_options

    size, workers = check_batch_options(chunk_size, concurrency, max_chunk=max_chunk)

    async def send(chunk: Chunk) -> list[Outcome]:
        return await send_chunk(wire, chunk, post, lookup, resume=resume)

    return OutcomeStream(to, send, chunk_size=size, concurrency=workers, on_progress=on_progress)


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
        price = outcome.price
        # A legacy `Sent` always has its price: an acceptance states it (`_accepted`), a
        # status read back too (`_by_status`).
        assert price is not None
        return _receipt(recipient, outcome.id, price, outcome.currency)
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
        if (
            error
            or id_ is None
            or price is None
            or reference is None
            or reference != recipient.reference
        ):
            break
        add(Sent(index, recipient, id_, price, entry_currency or currency))
    if len(outcomes) == len(chunk):
        return outcomes, batch

    by_reference = _first_by_reference(entries)
    to_read: list[Pending] = []  # read back by reference below, put in place
    for position in range(len(outcomes), len(chunk)):
        index, recipient = chunk[position]
        reference = recipient.reference
        found = by_reference.get(reference) if reference is not None else None
        if found is None and positional and entries[position][0] is None:  # no reference
            found = entries[position]
        if found is not None:
            if _accepted(found):
                _, _, _, id_, price, entry_currency, _ = found
                add(Sent(index, recipient, id_, price, entry_currency or currency))
                continue
            refused, unknown = _refusal(found, uncertain=uncertain, http_status=status)
        else:
            refused, unknown = (
                APIError(
                    "the service's answer has no entry for this recipient",
                    http_status=status,
                    may_have_been_accepted=True,
                ),
                True,
            )
        if unknown:  # a placeholder until the read below replaces it
            to_read.append((position, refused))
        add(Failed(index, recipient, reference, refused, refused.may_have_been_accepted))

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
    reference. Otherwise the error is the caller's: raised.
    """
    if not reconcilable(error, uncertain=resume):
        raise error
    outcomes: list[Outcome] = []
    to_read: list[Pending] = []
    for position, (index, recipient) in enumerate(chunk):
        own = error_for_code(  # its own: a failed read back chains its cause to it
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
    outcomes: list[Outcome], chunk: Chunk, to_read: list[Pending], lookup: Lookup
) -> None:
    """Replace `outcomes[position]` by what a status read by reference tells; the recipients
    the service does not hold keep their placeholder (their error, fate unknown)."""
    told, _ = await read_back(chunk, to_read, _by_status(lookup))
    for position, outcome in told:
        outcomes[position] = outcome
