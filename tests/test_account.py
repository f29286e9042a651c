"""`bsg.account`: the One-API balance and tariffs (bsg-api.md 8.2, 8.3, 8.5)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest
import respx

from bsg_async import AsyncBSG, InvalidParameterError, UnexpectedResponseError
from bsg_async.models.one_api import Balance, Tariff

from .conftest import ONE_API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY2NvdW50In0.c2ln"  # a token without `exp`
BALANCE = f"{ONE_API}/api/accounts/balance"
TARIFFS = f"{ONE_API}/api/accounts/tariff"

# bsg-api.md 8.5, as JSON text so the numbers reach the SDK exactly as the service writes them
BALANCE_ANSWER = b'{"data": {"balance": -50.25, "currency": "USD", "credit": 125}}'
TARIFF: dict[str, Any] = {
    "id": 50471,
    "name": "Best quality",
    "code": 9,
    "is_active": True,
    "is_default": False,
}


@pytest.fixture
def login(respx_mock: respx.MockRouter) -> respx.Route:
    """The One-API login route answering a bearer token."""
    return respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})


def serve_tariffs(items: list[dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    """The tariffs endpoint over `items`: `{"data", "total"}`, no `meta`."""

    def respond(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["page[offset]"])
        limit = int(request.url.params["page[limit]"])
        return httpx.Response(
            200, json={"data": items[offset : offset + limit], "total": len(items)}
        )

    return respond


async def test_balance_is_decimal_from_the_json_text(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(BALANCE).respond(
        content=BALANCE_ANSWER, headers={"Content-Type": "application/json"}
    )

    balance = await bsg.account.balance()

    assert balance == Balance(balance=Decimal("-50.25"), currency="USD", credit=Decimal("125"))
    assert str(balance.balance) == "-50.25"
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {JWT}"


async def test_balance_keeps_every_decimal_of_a_long_number(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(BALANCE).respond(
        content=b'{"data": {"balance": 0.1000000000000000055511151231257827, "currency": "EUR"}}',
        headers={"Content-Type": "application/json"},
    )

    balance = await bsg.account.balance()

    assert balance.balance == Decimal("0.1000000000000000055511151231257827")
    assert balance.credit is None


async def test_balance_accepts_an_answer_without_the_data_envelope(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(BALANCE).respond(json={"balance": "12.5000000", "currency": "EUR"})

    balance = await bsg.account.balance()

    assert balance == Balance(balance=Decimal("12.5000000"), currency="EUR")


async def test_balance_without_a_balance_is_an_unexpected_response(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(BALANCE).respond(json={"data": {"currency": "USD"}})

    with pytest.raises(UnexpectedResponseError) as caught:
        await bsg.account.balance()

    assert caught.value.field == "$.balance"


async def test_concurrent_calls_log_in_once(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(BALANCE).respond(
        content=BALANCE_ANSWER, headers={"Content-Type": "application/json"}
    )

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(bsg.account.balance)

    assert route.call_count == 10
    assert login.call_count == 1
    assert (
        login.calls.last.request.content == b'{"api_key":"live_7f3c9a1e5b2d4c8f9e0a1b2c3d4e5f60"}'
    )


async def test_tariffs_decode_the_documented_tariff(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(TARIFFS).mock(side_effect=serve_tariffs([TARIFF]))

    tariffs = [t async for t in bsg.account.tariffs()]

    assert tariffs == [
        Tariff(id=50471, code=9, name="Best quality", is_active=True, is_default=False)
    ]
    assert dict(route.calls.last.request.url.params) == {"page[offset]": "0", "page[limit]": "50"}


async def test_tariffs_walk_every_page_of_the_total_shape(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    items = [{**TARIFF, "id": n, "code": n % 10} for n in range(1, 36)]
    route = respx_mock.get(TARIFFS).mock(side_effect=serve_tariffs(items))

    tariffs = [t async for t in bsg.account.tariffs(page_size=15)]

    assert [t.id for t in tariffs] == list(range(1, 36))
    assert [dict(c.request.url.params) for c in route.calls] == [
        {"page[offset]": "0", "page[limit]": "15"},
        {"page[offset]": "15", "page[limit]": "15"},
        {"page[offset]": "30", "page[limit]": "15"},
    ]


async def test_tariffs_stop_when_the_offset_reaches_the_total(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    items = [{**TARIFF, "id": n} for n in range(1, 31)]
    route = respx_mock.get(TARIFFS).mock(side_effect=serve_tariffs(items))

    tariffs = [t async for t in bsg.account.tariffs(page_size=15)]

    assert len(tariffs) == 30
    assert route.call_count == 2


async def test_tariffs_read_a_total_given_as_a_string_and_booleans_as_numbers(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(TARIFFS).respond(
        json={
            "data": [{**TARIFF, "code": None, "is_active": 1, "is_default": "false"}],
            "total": "1",
        }
    )

    tariffs = [t async for t in bsg.account.tariffs()]

    assert tariffs == [
        Tariff(id=50471, code=None, name="Best quality", is_active=True, is_default=False)
    ]


async def test_a_tariff_flag_that_is_not_a_boolean_is_an_unexpected_response(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(TARIFFS).respond(json={"data": [{**TARIFF, "is_active": "maybe"}], "total": 1})

    with pytest.raises(UnexpectedResponseError) as caught:
        [t async for t in bsg.account.tariffs()]

    assert caught.value.field == "$.is_active"


@pytest.mark.parametrize("total", [True, "many", None, "9" * 5000])
async def test_tariffs_with_an_unreadable_total_stop_after_a_short_page(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route, total: Any
) -> None:
    route = respx_mock.get(TARIFFS)
    route.side_effect = [
        httpx.Response(
            200, json={"data": [{**TARIFF, "id": n} for n in range(15)], "total": total}
        ),
        httpx.Response(200, json={"data": [TARIFF], "total": total}),
    ]

    tariffs = [t async for t in bsg.account.tariffs(page_size=15)]

    assert len(tariffs) == 16
    assert route.call_count == 2


async def test_tariffs_stop_on_an_empty_page(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(TARIFFS)
    route.side_effect = [
        httpx.Response(200, json={"data": [TARIFF] * 15, "total": 1000}),
        httpx.Response(200, json={"data": [], "total": 1000}),
    ]

    tariffs = [t async for t in bsg.account.tariffs(page_size=15)]

    assert len(tariffs) == 15
    assert route.call_count == 2


@pytest.mark.parametrize("size", [14, 501, 0, None, 50.0])
def test_tariffs_page_size_is_15_to_500(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, size: Any
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        bsg.account.tariffs(page_size=size)

    assert caught.value.field == "page_size"
    assert not respx_mock.calls
