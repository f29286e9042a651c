"""The fake One-API's reference data: countries, currencies and the price lists per country.

- `GET /api/internal/countries[?service=sms|viber|twoway]` -> `{"data": [{"id": "UA"}, ...]}`;
- `GET /api/internal/currencies[?currency_code=USD]` -> `{"data": [{"id", "ratio", "nominal",
  "date"}]}`;
- `GET /api/internal/core/prices[/{countryCode}]?product=sms|viber|otp|hlr` -> the price of
  the product per country and operator (`{"data": [...]}`, or `{"data": {...}}` for one
  country; 404 for a country the fake does not serve);
- `GET /api/internal/wst/prices[/{countryCode}]?product=auto_dial|callback` -> the call
  products' price per country.

The countries are those of the legacy price lists (`NETWORKS`: UA, PL, DE), one operator each,
priced from the `Account` (`sms_price`, `viber_price`, `hlr_price`; OTP as SMS) in its
`currency`, on the account's default tariff. The currencies are EUR (rate 1) and USD (the
description's example rate); the call products cost `CALL_PRICE`. A bad query parameter gets
a 422 naming it, as the description's enums and lengths say.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, unquote

from ._check import Check, first
from ._config import Account
from ._extras import NETWORKS
from ._json import dumps
from ._reply import Reply, invalid, not_found
from ._routes import Route

__all__ = ["CALL_PRICE", "CURRENCIES", "ReferenceApi"]

SERVICES = ("sms", "viber", "twoway")
PRODUCTS = ("sms", "viber", "otp", "hlr")
CALL_PRODUCTS = ("auto_dial", "callback")
CALL_PRICE = Decimal("0.2365")
CURRENCIES: tuple[tuple[str, Decimal, int, str], ...] = (
    ("EUR", Decimal("1"), 1, "2021-04-27 19:44:06"),
    ("USD", Decimal("0.8487152"), 1, "2021-04-27 19:44:06"),
)
"""`(id, ratio, nominal, date)` of every currency the fake knows."""

_OPERATORS = {"UA": (3152, 1, "MTS", "MTS Ukraine"), "PL": (3201, 1, "Orange", "Orange Polska")}
_DEFAULT_OPERATOR = (3301, 1, "Telekom", "Telekom Deutschland")
_COUNTRY = re.compile(r"[A-Za-z]{2}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")


class ReferenceApi:
    """The reference-data endpoints over the account's prices."""

    def __init__(self, account: Account) -> None:
        self.account = account
        default = next((t for t in account.tariffs if t.is_default), None)
        self.tariff = default.code if default is not None else None

    def countries(self, query: str) -> Reply:
        """`GET /api/internal/countries`."""
        service = _param(query, "service")
        if service is not None and service not in SERVICES:
            return invalid({"service": ["The selected service is invalid."]})
        return Reply(200, dumps({"data": [{"id": country} for country, _, _ in NETWORKS]}))

    def currencies(self, query: str) -> Reply:
        """`GET /api/internal/currencies`."""
        code = _param(query, "currency_code")
        check = Check()
        if code is not None:
            check.matches(code, "currency_code", _CURRENCY, "must be 3 characters")
        if check.errors:
            return invalid(check.errors)
        rows = [
            {"id": name, "ratio": ratio, "nominal": nominal, "date": date}
            for name, ratio, nominal, date in CURRENCIES
            if code is None or name == code.upper()
        ]
        return Reply(200, dumps({"data": rows}))

    def core_prices(self, query: str, country: str | None = None) -> Reply:
        """`GET /api/internal/core/prices[/{countryCode}]`."""
        return self._prices(query, country, PRODUCTS, self._core_row)

    def wst_prices(self, query: str, country: str | None = None) -> Reply:
        """`GET /api/internal/wst/prices[/{countryCode}]`."""
        return self._prices(query, country, CALL_PRODUCTS, self._call_row)

    def _prices(
        self, query: str, country: str | None, products: tuple[str, ...], row: Any
    ) -> Reply:
        check = Check()
        product = _param(query, "product")
        if check.required(product, "product") and product not in products:
            check.add("product", "The selected product is invalid.")
        code = None if country is None else unquote(country)
        if code is not None:
            check.matches(code, "countryCode", _COUNTRY, "must be 2 characters")
        if check.errors:
            return invalid(check.errors)
        if code is None:
            rows = [row(name, product) for name, _, _ in NETWORKS]
            return Reply(200, dumps({"data": rows}))
        found = next((name for name, _, _ in NETWORKS if name == code.upper()), None)
        if found is None:
            return not_found("Country not found.")
        return Reply(200, dumps({"data": row(found, product)}))

    def _core_row(self, country: str, product: str) -> dict[str, Any]:
        account = self.account
        price = {"viber": account.viber_price, "hlr": account.hlr_price}.get(
            product, account.sms_price
        )
        mcc = next(int(mcc) for name, _, mcc in NETWORKS if name == country)
        operator_id, mnc, brand, name = _OPERATORS.get(country, _DEFAULT_OPERATOR)
        return {
            "tariff": self.tariff,
            "limitation_info": None,
            "country_id": country,
            "operators": [
                {
                    "id": operator_id,
                    "mcc": mcc,
                    "mnc": mnc,
                    "brand": brand,
                    "name": name,
                    "price": price,
                    "currency": account.currency,
                    "price_type": "Delivered",
                    "sender_registration": country == "UA",
                }
            ],
        }

    def _call_row(self, country: str, _product: str) -> dict[str, Any]:
        return {"country_code": country, "price": CALL_PRICE, "currency": self.account.currency}

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router`."""
        return (
            Route("GET", "internal/countries", lambda call: self.countries(call.query)),
            Route("GET", "internal/currencies", lambda call: self.currencies(call.query)),
            Route("GET", "internal/core/prices", lambda call: self.core_prices(call.query)),
            Route(
                "GET",
                "internal/core/prices/{country}",
                lambda call: self.core_prices(call.query, call.params["country"]),
            ),
            Route("GET", "internal/wst/prices", lambda call: self.wst_prices(call.query)),
            Route(
                "GET",
                "internal/wst/prices/{country}",
                lambda call: self.wst_prices(call.query, call.params["country"]),
            ),
        )


def _param(query: str, name: str) -> str | None:
    return first(parse_qs(query, keep_blank_values=True), name)
