"""`bsg.prices`: the legacy REST API's price lists, one per channel, and the One-API's price
lists per country and operator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, TypeVar

from . import _validation as rules
from ._paging import data_object
from .models.legacy import Price
from .models.reference import CallPrice, CountryPrices

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["PricesResource"]

Product = Literal["sms", "viber", "otp", "hlr"]
"""A messaging product of the One-API's price lists (`otp`: one-time passwords)."""
CallProduct = Literal["auto_dial", "callback"]
"""A call product of the One-API's call price list."""

T = TypeVar("T")

_PRODUCTS = ("sms", "viber", "otp", "hlr")
_CALL_PRODUCTS = ("auto_dial", "callback")


class PricesResource:
    """The price lists of the legacy REST API, as `bsg.prices`: what one message (or one HLR
    lookup) costs to each network, on the account's tariff or on the `tariff` given (0 to 9).

    For the price of one particular send, without sending, see `bsg.sms.quote` and
    `bsg.viber.quote`.
    """

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def sms(self, *, tariff: int | None = None) -> tuple[Price, ...]:
        """The SMS price list (`GET sms/prices[/{tariff}]`), one `Price` per network.

        ```python
        for row in await bsg.prices.sms(tariff=0):
            print(row.country, row.mcc, row.price, row.currency)   # UA 255 0.0050000 EUR
        ```

        Raises `InvalidParameterError` before any request for a `tariff` outside 0 to 9, an
        `APIError` subclass when the service refuses (code 6: no such tariff), `TransportError`
        without an answer.
        """
        return await self._list("sms", tariff)

    async def viber(self, *, tariff: int | None = None) -> tuple[Price, ...]:
        """The Viber price list (`GET viber/prices[/{tariff}]`); raises as `sms` does."""
        return await self._list("viber", tariff)

    async def hlr(self, *, tariff: int | None = None) -> tuple[Price, ...]:
        """The price of an HLR lookup per network (`GET hlr/prices[/{tariff}]`); raises as
        `sms` does."""
        return await self._list("hlr", tariff)

    async def by_country(
        self, product: Product, *, country: str | None = None
    ) -> tuple[CountryPrices, ...]:
        """What one `product` (`"sms"`, `"viber"`, `"otp"` or `"hlr"`) costs, per country and
        per operator, on the One-API (`GET /api/internal/core/prices[/{countryCode}]`, the
        service's "core" price list): every country, or only `country` (ISO 3166-1 alpha-2,
        any case; then a one-item tuple).

        ```python
        (ua,) = await bsg.prices.by_country("sms", country="UA")
        for operator in ua.operators:
            print(operator.name, operator.price, operator.currency)   # MTS Ukraine 0.0210 EUR
        ```

        The service marks these lists internal (see `bsg.reference`). Raises
        `InvalidParameterError` before any request for another `product` or a bad `country`;
        an `APIError` subclass when the service refuses (`NotFoundError` for a country it does
        not know); `TransportError` without an answer.
        """
        kind = rules.choice(product, "product", _PRODUCTS)
        return await self._one_api_list("core", kind, country, CountryPrices)

    async def calls(
        self, product: CallProduct, *, country: str | None = None
    ) -> tuple[CallPrice, ...]:
        """What one call `product` (`"auto_dial"` or `"callback"`) costs per country on the
        One-API (`GET /api/internal/wst/prices[/{countryCode}]`, the service's "wst" price
        list of call products): every country, or only `country` (a one-item tuple).

        ```python
        (ua,) = await bsg.prices.calls("callback", country="UA")
        print(ua.price, ua.currency)   # 0.2365 USD
        ```

        Raises as `by_country` does.
        """
        kind = rules.choice(product, "product", _CALL_PRODUCTS)
        return await self._one_api_list("wst", kind, country, CallPrice)

    async def _one_api_list(
        self,
        family: Literal["core", "wst"],
        product: str,
        country: str | None,
        item: type[T],
    ) -> tuple[T, ...]:
        path = f"/api/internal/{family}/prices"
        if country is not None:
            path += "/" + rules.iso_code(country, "country")
        answer = await self._client.one_api_request("GET", path, params={"product": product})
        wire = self._client._wire
        if country is None:
            return wire.data_items(answer.data, item, http_status=answer.http_status)
        return (wire.structure(data_object(answer), item, http_status=answer.http_status),)

    async def _list(
        self, channel: Literal["sms", "viber", "hlr"], tariff: int | None
    ) -> tuple[Price, ...]:
        number = rules.optional_integer(tariff, "tariff", rules.TARIFF_RANGE)
        path = f"/{channel}/prices" if number is None else f"/{channel}/prices/{number}"
        answer = await self._client.legacy_request("GET", path)
        return self._client._wire.price_list(answer.data, http_status=answer.http_status)
