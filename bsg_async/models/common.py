"""Values shared by every channel: recipients and send results."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Literal

import attrs

from .. import _validation as rules
from ..errors import APIError
from ._checks import checked, optional, slot_setters

__all__ = ["Receipt", "Recipient", "Rejection", "SendResult"]


@attrs.frozen
class Recipient:
    """One phone number and the reference (external id) of the message to it.

    `msisdn` is in international format without `+` (a leading `+` is stripped), 7 to 15 digits.
    `reference` is 1 to 32 characters from `[A-Za-z0-9_-]`; leave it `None` and the SDK fixes
    a unique one (32 hex characters) before the first attempt, so every retry reuses it.

    >>> Recipient("+380972000001", reference="order-42")
    Recipient(msisdn='380972000001', reference='order-42')

    Raises `InvalidParameterError` for a bad number or reference.
    """

    # A converter, not a validator: it strips the `+` and reports the value as given.
    msisdn: str = attrs.field(converter=rules.msisdn)
    reference: str | None = attrs.field(
        default=None, validator=optional(checked(rules.reference)), kw_only=False
    )

    @classmethod
    def coerce(cls, value: str | Recipient) -> Recipient:
        """Return `value` if it is a `Recipient`, else a `Recipient` for the phone number."""
        return value if isinstance(value, Recipient) else cls(value)

    def with_reference(self) -> Recipient:
        """This recipient with its reference fixed: its own, or a freshly generated one."""
        if self.reference is not None:
            return self
        return Recipient._checked(self.msisdn, rules.new_reference())  # msisdn checked on init

    @classmethod
    def _checked(cls, msisdn: str, reference: str) -> Recipient:
        """A recipient of values already checked and normalised, made without `__init__`.

        The batch's hot path: attrs' `__init__` would run the converter and validator again,
        which costs more than everything else a recipient needs.
        """
        recipient = object.__new__(cls)
        _set_msisdn(recipient, msisdn)
        _set_reference(recipient, reference)
        return recipient


_set_msisdn, _set_reference = slot_setters(Recipient)


@attrs.frozen
class Receipt:
    """A message the service accepted.

    `id` is the service's message id (use it with `get`), `price` the charge as a `Decimal`
    (`None` only if the service did not state it) in `currency`.
    """

    id: int
    reference: str
    price: Decimal | None
    currency: str | None
    msisdn: str | None = None

    @property
    def accepted(self) -> Literal[True]:
        """Always `True`: tells a `Receipt` from a `Rejection` without `isinstance`."""
        return True


@attrs.frozen
class Rejection:
    """A recipient the service refused within an otherwise successful request.

    `error` is the typed `APIError` with the per-recipient `code` and `description`.
    """

    reference: str
    error: APIError = attrs.field(eq=False)
    msisdn: str | None = None

    @property
    def accepted(self) -> Literal[False]:
        """Always `False`: tells a `Rejection` from a `Receipt` without `isinstance`."""
        return False


@attrs.frozen
class SendResult:
    """The answer to a multi-recipient send: one entry per recipient, **in request order**.

    Each entry is a `Receipt` (accepted) or a `Rejection` (refused with a per-recipient error).
    `task_id` (SMS bulk), `total_price` and `currency` are set where the service gives them.
    Iterating a `SendResult` iterates its entries.
    """

    entries: tuple[Receipt | Rejection, ...]
    task_id: int | None = None
    total_price: Decimal | None = None
    currency: str | None = None

    @property
    def accepted(self) -> tuple[Receipt, ...]:
        """The accepted entries, in request order."""
        return tuple(e for e in self.entries if isinstance(e, Receipt))

    @property
    def rejected(self) -> tuple[Rejection, ...]:
        """The refused entries, in request order."""
        return tuple(e for e in self.entries if isinstance(e, Rejection))

    def __iter__(self) -> Iterator[Receipt | Rejection]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)
