"""From a send's answer to one outcome per recipient, with the exactly-once recovery.

A recipient whose entry says "reference already exists" (23, 43) after an attempt of the same
call may have been accepted is not a failure: that earlier attempt was accepted and its answer
lost. Such a recipient, or one the answer forgot, is read back by reference and reported as the
`Receipt` the service holds. Only the SDK's own retries lead here: a duplicate reference on a
first attempt is the caller's and stays a `Rejection`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Protocol

import anyio
import attrs

from ._converter import Wire, WireEntry
from ._transport import Answer
from .errors import (
    APIError,
    BSGError,
    DuplicateReferenceError,
    UnexpectedResponseError,
    error_for_code,
)
from .models import Receipt, Recipient, Rejection, SendResult


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


def _outcome(
    entry: WireEntry,
    recipient: Recipient,
    *,
    currency: str | None,
    uncertain: bool,
    http_status: int,
) -> Receipt | Rejection | _Unresolved:
    reference = recipient.reference or ""
    if entry.error:
        error = error_for_code(entry.error, entry.error_description)
        if isinstance(error, DuplicateReferenceError) and uncertain:
            error.may_have_been_accepted = True
            return _Unresolved(error)
        return Rejection(reference, error, recipient.msisdn)
    if entry.id is None:
        return _Unresolved(
            APIError(
                "the service accepted this recipient without giving its message id",
                http_status=http_status,
                may_have_been_accepted=True,
            )
        )
    return Receipt(
        id=entry.id,
        reference=reference,
        price=entry.price,
        currency=entry.currency or currency,
        msisdn=recipient.msisdn,
    )


async def _recover(recipient: Recipient, error: APIError, lookup: Lookup) -> Receipt:
    """The `Receipt` the service holds for `recipient`'s reference; raises `error` if none."""
    reference = recipient.reference or ""
    try:
        report = await lookup(reference)
    except BSGError as lookup_error:
        error.may_have_been_accepted = True
        raise error from lookup_error
    return Receipt(
        id=report.id,
        reference=reference,
        price=report.price,
        currency=report.currency,
        msisdn=recipient.msisdn,
    )


async def single_receipt(
    wire: Wire, answer: Answer, recipient: Recipient, lookup: Lookup
) -> Receipt:
    """The receipt of a single-recipient send, or raise its typed error."""
    try:
        entry = wire.single_entry(answer.data, http_status=answer.http_status)
    except UnexpectedResponseError as error:
        error.may_have_been_accepted = True
        raise
    outcome = _outcome(
        entry, recipient, currency=None, uncertain=answer.uncertain, http_status=answer.http_status
    )
    if isinstance(outcome, Rejection):
        raise outcome.error
    if isinstance(outcome, _Unresolved):
        return await _recover(recipient, outcome.error, lookup)
    return outcome


async def recover_duplicate(
    error: DuplicateReferenceError, recipient: Recipient, lookup: Lookup
) -> Receipt:
    """Resolve a request-level "reference already exists" after an uncertain attempt."""
    if not error.may_have_been_accepted:
        raise error
    return await _recover(recipient, error, lookup)


async def recover_batch(
    error: DuplicateReferenceError,
    recipients: Sequence[Recipient],
    lookup: Lookup,
    *,
    resume: bool = False,
) -> SendResult:
    """Resolve a request-level "reference already exists" to a multi-recipient send.

    After an uncertain attempt (or with `resume`), the service refused the whole request
    because it already holds some of its references: every recipient is read back by
    reference. One the service does not hold is a `Rejection` with `may_have_been_accepted`
    (resending it with the same reference is safe). Otherwise the error is the caller's: raised.
    """
    if not (error.may_have_been_accepted or resume):
        raise error
    entries: list[Receipt | Rejection] = [
        Rejection(r.reference or "", error, r.msisdn) for r in recipients
    ]

    async def resolve(index: int, recipient: Recipient) -> None:
        own = error_for_code(error.code or 0, error.description, http_status=error.http_status)
        own.may_have_been_accepted = True
        try:
            entries[index] = await _recover(recipient, own, lookup)
        except APIError as failure:
            entries[index] = Rejection(recipient.reference or "", failure, recipient.msisdn)

    async with anyio.create_task_group() as group:
        for index, recipient in enumerate(recipients):
            group.start_soon(resolve, index, recipient)
    return SendResult(tuple(entries))


async def batch_result(
    wire: Wire,
    answer: Answer,
    recipients: Sequence[Recipient],
    lookup: Lookup,
    *,
    resume: bool = False,
) -> SendResult:
    """One entry per recipient, in request order, from a multi-recipient send answer.

    `resume=True` continues an earlier, interrupted send of the same references: a duplicate
    reference is then read back as already accepted, as after an uncertain attempt.
    """
    try:
        batch = wire.batch(answer.data, http_status=answer.http_status)
    except UnexpectedResponseError as error:
        error.may_have_been_accepted = True
        raise
    by_reference: dict[str, WireEntry] = {}
    for entry in batch.result:
        if entry.reference is not None:
            by_reference.setdefault(entry.reference, entry)
    positional = len(batch.result) == len(recipients)
    currency, uncertain, status = batch.currency, answer.uncertain or resume, answer.http_status

    entries: list[Receipt | Rejection] = []
    to_read: list[tuple[int, _Unresolved]] = []  # read back by reference below, put in place
    for index, recipient in enumerate(recipients):
        entry_or_none = by_reference.get(recipient.reference or "")
        if entry_or_none is None and positional and batch.result[index].reference is None:
            entry_or_none = batch.result[index]
        if entry_or_none is None:
            outcome: Receipt | Rejection | _Unresolved = _Unresolved(
                APIError(
                    "the service's answer has no entry for this recipient",
                    http_status=status,
                    may_have_been_accepted=True,
                )
            )
        else:
            outcome = _outcome(
                entry_or_none, recipient, currency=currency, uncertain=uncertain, http_status=status
            )
        if isinstance(outcome, _Unresolved):
            to_read.append((index, outcome))
            outcome = Rejection("", outcome.error)
        entries.append(outcome)

    async def resolve(index: int, unresolved: _Unresolved) -> None:
        recipient = recipients[index]
        try:
            entries[index] = await _recover(recipient, unresolved.error, lookup)
        except APIError as error:
            entries[index] = Rejection(recipient.reference or "", error, recipient.msisdn)

    if to_read:
        async with anyio.create_task_group() as group:
            for index, pending in to_read:
                group.start_soon(resolve, index, pending)
    return SendResult(
        tuple(entries),
        task_id=batch.task_id,
        total_price=batch.total_price,
        currency=batch.currency,
    )
