"""Legacy REST extras: the account balance of the API key, price lists and price quotes."""

from __future__ import annotations

from decimal import Decimal

import attrs

__all__ = ["LegacyBalance", "Price", "PriceQuote"]


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
