"""Values shared by every channel: recipients and send results."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from datetime import timedelta
from decimal import Decimal
from itertools import repeat
from typing import Any, Literal

import attrs

from .. import _validation as rules
from ..errors import APIError, InvalidParameterError
from ._checks import checked, non_blank, optional, slot_setters

__all__ = ["Receipt", "Recipient", "Rejection", "SendResult", "SmsFallback"]


@attrs.frozen
class Recipient:
    """One phone number and the reference (external id) of the message to it.

    `to` is the phone number (sent as `msisdn` on the legacy API, `phone.number` on the
    One-API) in international format without `+` (a leading `+` is stripped), 7 to 15 digits.
    `reference` is 1 to 32 characters from `[A-Za-z0-9_-]` (letters and digits only on the
    One-API, sent as `reference_id`); leave it `None` and the SDK fixes a unique one (32 hex
    characters) before the first attempt, so every retry reuses it.

    ```pycon
    >>> Recipient("+380972000001", reference="order-42")
    Recipient(to='380972000001', reference='order-42')

    ```

    Raises `InvalidParameterError` for a bad number or reference.
    """

    # A converter, not a validator: it strips the `+` and reports the value as given.
    to: str = attrs.field(converter=rules.msisdn)
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
        return Recipient._checked(self.to, rules.new_reference())  # `to` checked on init

    @classmethod
    def _checked(cls, to: str, reference: str) -> Recipient:
        """A recipient of values already checked and normalised, made without `__init__`.

        The batch's hot path: attrs' `__init__` would run the converter and validator again,
        which costs more than everything else a recipient needs.
        """
        recipient = object.__new__(cls)
        _set_to(recipient, to)
        _set_reference(recipient, reference)
        return recipient

    @classmethod
    def _checked_many(
        cls, numbers: Sequence[str], references: Sequence[str]
    ) -> tuple[Recipient, ...]:
        """Recipients of values already checked and normalised, as `_checked` makes one, with
        no Python call per recipient (`map` calls the setters from C): the campaign store makes
        a thousand per claim (a quarter less work per recipient than one `_checked` each)."""
        made = tuple(map(object.__new__, repeat(cls, len(numbers))))
        deque(map(_set_to, made, numbers), maxlen=0)
        deque(map(_set_reference, made, references), maxlen=0)
        return made


_set_to, _set_reference = slot_setters(Recipient)


@attrs.frozen
class Receipt:
    """A message the service accepted.

    `id` is the service's message id (use it with `get`), `price` the charge as a `Decimal`
    in `currency`, always stated: an answer that accepts a recipient without its price is read
    back by reference (the status states it), and a status without one is an error with
    `may_have_been_accepted=True`; `to` the phone number where the answer names it (`msisdn`
    on the wire).
    """

    id: int
    reference: str
    price: Decimal
    currency: str | None
    to: str | None = None

    @property
    def accepted(self) -> Literal[True]:
        """Always `True`: tells a `Receipt` from a `Rejection` without `isinstance`."""
        return True


@attrs.frozen
class Rejection:
    """A recipient the service refused within an otherwise successful request.

    `error` is the typed `APIError` with the per-recipient `code` and `description`; `to` the
    phone number where the answer names it.
    """

    reference: str
    error: APIError = attrs.field(eq=False)
    to: str | None = None

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


def _check_validity(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not isinstance(value, timedelta):
        raise InvalidParameterError(attribute.name, value, "expected a timedelta or None")


@attrs.frozen
class SmsFallback:
    """The SMS sent instead when the recipient cannot get a Viber or RCS message: one model
    for both APIs (`alt_route` on the legacy Viber API, `alternative_channel.sms` on the
    One-API).

    - `text`: not empty (on the One-API at most 765 characters, GSM 7-bit).
    - `sender`: the SMS sender name (sent as `originator` on the legacy API): 1 to 14
      characters there; on the One-API up to 11 Latin letters or digits, or up to 15 digits.
    - `validity`: a `timedelta`, One-API only: whole hours from 1 to 72, or whole seconds
      from 30 to 86,400.
    - `check_stop_list`: One-API only; skip numbers on the stop list (the service's default:
      `True`).

    Each API checks its own limits when the message is sent, and the legacy Viber API refuses
    `validity` and `check_stop_list`, which it cannot carry, with `InvalidParameterError`.

    ```pycon
    >>> SmsFallback(text="Your order has shipped", sender="Shop")
    SmsFallback(text='Your order has shipped', sender='Shop', validity=None, check_stop_list=None)

    ```
    """

    text: str = attrs.field(validator=non_blank())
    sender: str = attrs.field(validator=non_blank())
    validity: timedelta | None = attrs.field(default=None, validator=_check_validity)
    check_stop_list: bool | None = attrs.field(
        default=None, validator=optional(checked(rules.boolean))
    )
