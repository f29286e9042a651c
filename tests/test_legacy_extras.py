"""The legacy extras through the public API (bsg-api.md 8.1): the key's balance, price lists,
price quotes. respx checks what is sent and decodes the documented example answers."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    AuthenticationError,
    InvalidParameterError,
    LegacyBalance,
    NotFoundError,
    Price,
    PriceQuote,
    UnexpectedResponseError,
    ViberMessage,
)

from .conftest import API_KEY, BASE

JSON = {"Content-Type": "application/json"}
# bsg-api.md 8.1, as JSON text so the numbers reach the SDK exactly as the service writes them.
BALANCE_ANSWER = b'{"error": 0, "amount": "-4.0999333", "currency": "EUR", "limit": "7"}'
PRICES_ANSWER = (
    b'{"prices": [{"type": "sms", "country": "UA", "country_name": "Ukraine", "mcc": "255",'
    b' "price": "0.0050000", "currency": "EUR"}]}'
)
QUOTE_ANSWER = b'{"totalprice": 0.05, "currency": "USD"}'


def sent(route: respx.Route) -> dict[str, Any]:
    """The JSON body of the route's last request."""
    body: dict[str, Any] = json.loads(route.calls.last.request.content)
    return body


async def test_legacy_balance_keeps_every_decimal_of_the_documented_answer(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{BASE}/common/balance").respond(content=BALANCE_ANSWER, headers=JSON)

    balance = await bsg.account.legacy_balance()

    assert balance == LegacyBalance(Decimal("-4.0999333"), "EUR", Decimal("7"))
    assert str(balance.amount) == "-4.0999333"
    assert route.calls.last.request.headers["X-API-KEY"] == API_KEY


async def test_legacy_balance_refused_key_is_an_authentication_error(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{BASE}/common/balance").respond(
        401, json={"error": 1, "errorDescription": "Invalid API key"}
    )
    with pytest.raises(AuthenticationError):
        await bsg.account.legacy_balance()


@pytest.mark.parametrize("channel", ["sms", "viber", "hlr"])
async def test_price_list_decodes_the_documented_rows(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, channel: str
) -> None:
    route = respx_mock.get(f"{BASE}/{channel}/prices").respond(content=PRICES_ANSWER, headers=JSON)

    rows = await getattr(bsg.prices, channel)()

    assert rows == (Price(Decimal("0.0050000"), "EUR", "sms", "UA", "Ukraine", "255"),)
    assert route.called


async def test_price_list_tariff_zero_goes_in_the_path(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{BASE}/viber/prices/0").respond(json={"prices": []})

    assert await bsg.prices.viber(tariff=0) == ()
    assert route.called


async def test_price_list_mcc_as_a_number_is_kept_as_text(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{BASE}/sms/prices").respond(
        json={"prices": [{"mcc": 255, "price": "0.01", "currency": "EUR"}]}
    )

    (row,) = await bsg.prices.sms()

    assert row.mcc == "255"
    assert row.price == Decimal("0.01")


async def test_price_list_of_the_wrong_shape_names_the_path(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{BASE}/sms/prices").respond(json={"prices": [{"price": "cheap"}]})

    with pytest.raises(UnexpectedResponseError) as info:
        await bsg.prices.sms()

    assert "$.prices[0].price" in str(info.value)


@pytest.mark.parametrize("tariff", [-1, 10, True, "1"])
async def test_price_list_bad_tariff_is_refused_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, tariff: Any
) -> None:
    route = respx_mock.get(url__regex=r".*").respond(json={"prices": []})

    with pytest.raises(InvalidParameterError) as info:
        await bsg.prices.hlr(tariff=tariff)

    assert (info.value.field, info.value.value) == ("tariff", tariff)
    assert not route.called


async def test_sms_quote_sends_a_create_body_under_the_wire_names(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.put(f"{BASE}/sms/price").respond(content=QUOTE_ANSWER, headers=JSON)

    quote = await bsg.sms.quote("+380501234567", text="Hi", sender="Shop", tariff=0)

    assert quote == PriceQuote(Decimal("0.05"), "USD")
    body = sent(route)
    assert body["destination"] == "phone"
    assert (body["msisdn"], body["body"], body["originator"], body["tariff"]) == (
        "380501234567",
        "Hi",
        "Shop",
        0,
    )
    assert len(body["reference"]) == 32


async def test_sms_quote_for_many_phones_sends_a_bulk_body(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.put(f"{BASE}/sms/price").respond(content=QUOTE_ANSWER, headers=JSON)

    await bsg.sms.quote(["380501234567", "380501234568"], text="Hi", sender="Shop")

    body = sent(route)
    assert body["destination"] == "phones"
    assert [p["msisdn"] for p in body["phones"]] == ["380501234567", "380501234568"]


@pytest.mark.parametrize(
    ("arguments", "field", "value"),
    [
        ({"to": "12ab"}, "to", "12ab"),
        ({"to": []}, "to", []),
        ({"text": " "}, "text", " "),
        ({"sender": "x" * 15}, "sender", "x" * 15),
        ({"validity": 73}, "validity", 73),
        ({"tariff": 10}, "tariff", 10),
    ],
)
async def test_sms_quote_bad_input_is_refused_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, arguments: dict[str, Any], field: str, value: Any
) -> None:
    route = respx_mock.put(f"{BASE}/sms/price").respond(content=QUOTE_ANSWER, headers=JSON)
    call = {"to": "380501234567", "text": "Hi", "sender": "Shop"} | arguments

    with pytest.raises(InvalidParameterError) as info:
        await bsg.sms.quote(**call)

    assert (info.value.field, info.value.value) == (field, value)
    assert not route.called


async def test_viber_quote_sends_the_body_of_a_send(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.put(f"{BASE}/viber/price").respond(content=QUOTE_ANSWER, headers=JSON)
    message = ViberMessage(to=["380972920000"], text="Hi", sender="BSG")

    quote = await bsg.viber.quote([message], validity=timedelta(seconds=3600))

    assert quote.total_price == Decimal("0.05")
    body = sent(route)
    assert body["validity"] == 3600
    assert body["messages"][0]["to"][0]["msisdn"] == "380972920000"
    assert body["messages"][0]["text"] == "Hi"


async def test_viber_quote_over_fifty_recipients_is_refused_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.put(f"{BASE}/viber/price").respond(content=QUOTE_ANSWER, headers=JSON)
    message = ViberMessage(to=[f"38097{i:07d}" for i in range(51)], text="Hi", sender="BSG")

    with pytest.raises(InvalidParameterError) as info:
        await bsg.viber.quote([message])

    assert info.value.field == "messages"
    assert not route.called


async def test_quote_error_answer_is_a_typed_error(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.put(f"{BASE}/sms/price").mock(
        return_value=httpx.Response(404, json={"error": 20, "errorDescription": "SMS not found"})
    )

    with pytest.raises(NotFoundError) as info:
        await bsg.sms.quote("380501234567", text="Hi", sender="Shop")

    assert info.value.code == 20
