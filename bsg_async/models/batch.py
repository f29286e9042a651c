"""Outcomes of high-volume sends (`send_many`, `stream_many`) and status reads (`get_many`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Generic, Literal, TypeVar

import attrs

from ..errors import BatchSendError, BSGError
from ._checks import slot_setters
from .common import Recipient

__all__ = ["BatchReport", "Failed", "LookupFailed", "Outcome", "Sent"]

R = TypeVar("R")


@attrs.frozen(init=False)
class Sent:
    """A recipient the service accepted.

    `index` is the recipient's position in the input, `recipient` carries the reference the
    message was sent with (the caller's, or the one the SDK generated before the first attempt).
    `price` is the charge as a `Decimal` in `currency`. On the legacy API (`sms.send_many`,
    `viber.send_many`, ...) it is always set, as on a `Receipt`; it is `None` only for a
    One-API message (`send_campaign_many`) the service has not priced yet: BSG's description
    of the One-API leaves a message's `amount` optional, and a message read back right after
    its campaign was created may not carry one.
    """

    index: int
    recipient: Recipient
    id: int
    price: Decimal | None
    currency: str | None

    def __init__(
        self,
        index: int,
        recipient: Recipient,
        id: int,
        price: Decimal | None,
        currency: str | None,
    ) -> None:
        # One is made per accepted recipient of every send: the slots are set through their
        # own descriptors, as attrs' frozen `__init__` does through `object.__setattr__` at
        # about 1.5k instructions more each (callgrind). The fields have no converter or
        # validator to skip; equality, hashing, repr and immutability stay attrs'.
        _set_index(self, index)
        _set_recipient(self, recipient)
        _set_id(self, id)
        _set_price(self, price)
        _set_currency(self, currency)

    @property
    def reference(self) -> str:
        """The message's reference (external id)."""
        return self.recipient.reference or ""

    @property
    def ok(self) -> Literal[True]:
        """Always `True`: tells `Sent` from `Failed` without `isinstance`."""
        return True


_set_index, _set_recipient, _set_id, _set_price, _set_currency = slot_setters(Sent)


@attrs.frozen
class Failed:
    """A recipient that was not sent, or whose fate the SDK could not learn.

    `recipient` is the `Recipient` (or, if it could not be made one, the input item as given),
    `reference` the reference it was (or would have been) sent with, `error` the typed reason.
    `may_have_been_accepted` is `True` when the service may hold the message anyway (its answer
    was lost and retries ran out): sending it again with the same reference and `resume=True`
    is safe and resolves it.
    """

    index: int
    recipient: Recipient | object
    reference: str | None
    error: BSGError = attrs.field(eq=False)
    may_have_been_accepted: bool = False

    @property
    def ok(self) -> Literal[False]:
        """Always `False`: tells `Failed` from `Sent` without `isinstance`."""
        return False


Outcome = Sent | Failed
"""One recipient's outcome in a high-volume send: `Sent` or `Failed` (tell them by `.ok`)."""


@attrs.frozen
class BatchReport:
    """Everything `send_many` did: one outcome per input recipient, **in input order**.

    Partial failure never raises; call `raise_for_failures()` to turn it into an exception.
    """

    outcomes: tuple[Outcome, ...]

    @property
    def succeeded(self) -> tuple[Sent, ...]:
        """The recipients the service accepted, in input order."""
        return tuple(o for o in self.outcomes if isinstance(o, Sent))

    @property
    def failed(self) -> tuple[Failed, ...]:
        """The recipients not sent (or of unknown fate), in input order."""
        return tuple(o for o in self.outcomes if isinstance(o, Failed))

    @property
    def total_price(self) -> Mapping[str, Decimal]:
        """The summed price of the accepted messages, per currency."""
        totals: dict[str, Decimal] = {}
        for outcome in self.outcomes:
            if isinstance(outcome, Sent) and outcome.price is not None:
                currency = outcome.currency or ""
                totals[currency] = totals.get(currency, Decimal(0)) + outcome.price
        return totals

    def raise_for_failures(self) -> None:
        """Raise `BatchSendError` (holding the `Failed` outcomes) if any recipient failed."""
        failed = self.failed
        if failed:
            raise BatchSendError(failed, total=len(self.outcomes))

    def __iter__(self) -> Iterator[Outcome]:
        return iter(self.outcomes)

    def __len__(self) -> int:
        return len(self.outcomes)


@attrs.frozen
class LookupFailed(Generic[R]):
    """A status read of `get_many` that failed; `key` is the id or reference asked for."""

    index: int
    key: int | str
    error: BSGError = attrs.field(eq=False)

    @property
    def ok(self) -> Literal[False]:
        """Always `False`: tells a failed read from a report."""
        return False
