"""`bsg.account`: the account's balance (One-API and legacy) and tariffs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from ._paging import DEFAULT_PAGE_SIZE, Pages, legacy_object, one_object
from ._paging import page_size as checked_page_size
from .models.legacy import LegacyBalance
from .models.one_api import Balance, Tariff

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["AccountResource"]

TARIFF_PAGE_SIZE_BOUNDS = (15, 500)


class AccountResource:
    """The account endpoints of the One-API, as `bsg.account`."""

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def balance(self) -> Balance:
        """The account's `Balance`: `balance` and `credit` as `Decimal`s in `currency`.

        ```python
        money = await bsg.account.balance()
        print(money.balance, money.currency)   # Decimal('-50.25') USD
        ```

        Raises `AuthenticationError` for a refused key, `TransportError` without an answer.
        """
        return await one_object(self._client, "GET", "/api/accounts/balance", Balance)

    async def legacy_balance(self) -> LegacyBalance:
        """The balance as the legacy REST API reports it (`GET common/balance`): `amount` and
        the postpaid `limit` as `Decimal`s in `currency`.

        Why a second method: `balance` asks the One-API, which needs a login (a JWT obtained
        with the key); this one is a single request authenticated by the API key alone, the
        same as every SMS and Viber send, so it works where only the legacy API is reachable
        or enabled. The two answer in different shapes, hence two models.

        ```python
        money = await bsg.account.legacy_balance()
        print(money.amount, money.currency)   # Decimal('-4.0999333') EUR
        ```

        Raises `AuthenticationError` for a refused key, `TransportError` without an answer.
        """
        return await legacy_object(self._client, "GET", "/common/balance", LegacyBalance)

    def tariffs(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[Tariff]:
        """The account's tariffs, as an async iterator that fetches pages of `page_size`
        (15 to 500) as it goes. Pass a `Tariff.code` as `tariff` to a send.

        ```python
        codes = [t.code async for t in bsg.account.tariffs() if t.is_active]
        ```

        Raises `InvalidParameterError` at once for a bad `page_size`; while iterating, what a
        request raises.
        """
        return Pages(
            self._client,
            "/api/accounts/tariff",
            Tariff,
            limit=checked_page_size(page_size, TARIFF_PAGE_SIZE_BOUNDS),
        )
