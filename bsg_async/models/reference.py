"""One-API reference data: countries, currencies, and the price lists per country and
operator. Pure: no I/O.

Built by the converter from the answers of `bsg.reference` and `bsg.prices`; the wire's
names (`id`, `ratio`, `date`, `country_id`, `country_code`) are mapped there.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

__all__ = ["CallPrice", "Country", "CountryPrices", "Currency", "OperatorPrice"]


@attrs.frozen
class Country:
    """A country the service works in: `code` is ISO 3166-1 alpha-2 (`"UA"`; `id` on the
    wire)."""

    code: str


@attrs.frozen
class Currency:
    """A currency the service knows, with its exchange rate to the euro.

    `code` is ISO 4217 (`"USD"`; `id` on the wire); `rate` is the EUR exchange rate for
    `nominal` units (`ratio` on the wire), a `Decimal` read from the JSON text; `updated_at`
    when the rate was set (`date` on the wire), naive in the service's zone unless the client
    has a `timezone`.
    """

    code: str
    rate: Decimal | None = None
    nominal: int | None = None
    updated_at: datetime | None = None


@attrs.frozen
class OperatorPrice:
    """What one message (or lookup) costs on one mobile network.

    `mcc`/`mnc` identify the network, `brand` and `name` name it; `price` is a `Decimal` in
    `currency`, charged per `"Delivered"` or per `"Sent"` message (`price_type`);
    `sender_registration` tells whether a sender name must be registered for that network.
    """

    id: int | None = None
    mcc: int | None = None
    mnc: int | None = None
    brand: str | None = None
    name: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    price_type: str | None = None
    sender_registration: bool | None = None


@attrs.frozen
class CountryPrices:
    """The prices of one product in one country on one tariff, per operator.

    `country` is ISO 3166-1 alpha-2 (`country_id` on the wire); `tariff` the tariff code the
    prices are for; `limitation_info` what the service says restricts sending there (or
    `None`).
    """

    country: str | None = None
    tariff: int | None = None
    limitation_info: str | None = None
    operators: tuple[OperatorPrice, ...] = ()


@attrs.frozen
class CallPrice:
    """The price of a call product (`auto_dial` or `callback`) in one country: `price` a
    `Decimal` in `currency` (`country` is `country_code` on the wire)."""

    country: str | None = None
    price: Decimal | None = None
    currency: str | None = None
