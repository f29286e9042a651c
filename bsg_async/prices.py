"""`bsg.prices`: the legacy REST API's price lists, one per channel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from . import _validation as rules
from .models.legacy import Price

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["PricesResource"]


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

    async def _list(
        self, channel: Literal["sms", "viber", "hlr"], tariff: int | None
    ) -> tuple[Price, ...]:
        number = rules.optional_integer(tariff, "tariff", rules.TARIFF_RANGE)
        path = f"/{channel}/prices" if number is None else f"/{channel}/prices/{number}"
        answer = await self._client.legacy_request("GET", path)
        return self._client._wire.price_list(answer.data, http_status=answer.http_status)
