"""Legacy REST extras: HLR lookups, the API key's balance, price lists and price quotes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

from ._status import StatusEnum, UnknownStatus

__all__ = ["HlrResult", "HlrStatus", "LegacyBalance", "Price", "PriceQuote"]


class HlrStatus(StatusEnum):
    """What an HLR lookup found out about a phone number. The service's list is not in our
    documentation: these are the states an HLR lookup reports everywhere, and any other text
    is kept as an `UnknownStatus`."""

    SENT = "sent"
    ACTIVE = "active"
    ABSENT = "absent"
    UNKNOWN = "unknown"
    FAILED = "failed"


@attrs.frozen
class HlrResult:
    """One HLR lookup, as `bsg.hlr.get` and `bsg.hlr.get_by_reference` return it.

    `status` is `None` until the lookup has an answer; `network` is the network the number
    belongs to (its MCC and MNC, as the service writes them); `created_at` and `status_at` are
    naive `datetime`s in the service's zone unless the client was given a `timezone`. `phone`
    is the number looked up (`msisdn` on the wire).
    """

    id: int
    phone: str | None = None
    reference: str | None = None
    status: HlrStatus | UnknownStatus | None = None
    network: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    created_at: datetime | None = None
    status_at: datetime | None = None


@attrs.frozen
class LegacyBalance:
    """The money of the account behind the API key, as `bsg.account.legacy_balance` returns it.

    `amount` may be negative (postpaid accounts); `limit` is how far below zero it may go. Both
    are `Decimal`s in `currency`, kept with every decimal the service wrote (`"-4.0999333"`).
    """

    amount: Decimal
    currency: str | None = None
    limit: Decimal | None = None


@attrs.frozen
class Price:
    """One row of a price list (`bsg.prices.sms()` and friends): the price of one message to
    one network of one country, in `currency`.

    `type` is the service's name for the kind of traffic; `country` its country code (`"UA"`),
    `mcc` its mobile country code kept as text (a code, not a quantity).
    """

    price: Decimal
    currency: str | None = None
    type: str | None = None
    country: str | None = None
    country_name: str | None = None
    mcc: str | None = None


@attrs.frozen
class PriceQuote:
    """What a send would cost, without sending (`bsg.sms.quote`, `bsg.viber.quote`):
    `total_price` in `currency`, sent by the service as `totalprice`."""

    total_price: Decimal
    currency: str | None = None
