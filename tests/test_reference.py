"""`bsg.reference` and the One-API price lists of `bsg.prices` (countries, currencies, the
"core" and "wst" price lists).

The answers are the OpenAPI description's schema examples (`CountryItem`, `CurrencyItem`,
`CorePriceSchema` with its `OperatorSchema`, `WstPriceSchema`), decoded into the documented
types; the requests are asserted as sent, and every call is run against FakeBSG over its
transport and its ASGI app.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from bsg_async import (
    AsyncBSG,
    CallPrice,
    Country,
    CountryPrices,
    Currency,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    OperatorPrice,
    UnexpectedResponseError,
)
from bsg_async import _validation as rules
from bsg_async.testing import FakeBSG

from .conftest import ONE_API
from .fake_support import sdk_on
from .one_api_support import JWT, bsg, login, sdk_on_asgi

__all__ = ["bsg", "login"]  # fixtures, imported for pytest


# The description's schema examples.
COUNTRY_ITEM = {"id": "AB"}
CURRENCY_ITEM = {"id": "USD", "ratio": 0.8487152, "nominal": 1, "date": "2021-04-27 19:44:06"}
OPERATOR = {
    "id": 3152,
    "mcc": 255,
    "mnc": 1,
    "brand": "MTS",
    "name": "MTS Ukraine",
    "price": 0,
    "currency": "EUR",
    "price_type": "Delivered",
    "sender_registration": True,
}
CORE_PRICE = {
    "tariff": 9,
    "limitation_info": "There must be some info",
    "country_id": "UA",
    "operators": [OPERATOR],
}
WST_PRICE = {"country_code": "UA", "price": 0.2365, "currency": "USD"}


async def test_countries_decode_the_documented_items(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(f"{ONE_API}/api/internal/countries").respond(
        json={"data": [COUNTRY_ITEM, {"id": "UA"}]}
    )

    countries = await bsg.reference.countries()

    assert countries == (Country("AB"), Country("UA"))
    assert route.calls.last.request.url.query == b""
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {JWT}"


async def test_countries_of_two_way_sms_are_asked_as_twoway(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(f"{ONE_API}/api/internal/countries").respond(json={"data": []})

    assert await bsg.reference.countries(service="two_way") == ()

    assert route.calls.last.request.url.params["service"] == "twoway"


async def test_currencies_decode_the_rate_as_a_decimal_from_the_json_text(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(f"{ONE_API}/api/internal/currencies").respond(
        json={"data": [CURRENCY_ITEM]}
    )

    (usd,) = await bsg.reference.currencies(code="usd")

    assert usd == Currency(
        code="USD",
        rate=Decimal("0.8487152"),
        nominal=1,
        updated_at=datetime(2021, 4, 27, 19, 44, 6),
    )
    assert route.calls.last.request.url.params["currency_code"] == "USD"


async def test_the_core_price_list_decodes_countries_and_operators(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(f"{ONE_API}/api/internal/core/prices").respond(
        json={"data": [CORE_PRICE, {**CORE_PRICE, "country_id": "PL", "operators": None}]}
    )

    ua, pl = await bsg.prices.by_country("sms")

    assert route.calls.last.request.url.params["product"] == "sms"
    assert ua == CountryPrices(
        country="UA",
        tariff=9,
        limitation_info="There must be some info",
        operators=(
            OperatorPrice(
                id=3152,
                mcc=255,
                mnc=1,
                brand="MTS",
                name="MTS Ukraine",
                price=Decimal(0),
                currency="EUR",
                price_type="Delivered",
                sender_registration=True,
            ),
        ),
    )
    assert pl.operators == ()


async def test_the_core_price_of_one_country_is_a_one_item_tuple(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(f"{ONE_API}/api/internal/core/prices/UA").respond(
        json={"data": CORE_PRICE}
    )

    (ua,) = await bsg.prices.by_country("otp", country="ua")

    assert ua.country == "UA"
    assert route.calls.last.request.url.params["product"] == "otp"


async def test_the_wst_price_list_is_the_call_products_price_per_country(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    every = respx_mock.get(f"{ONE_API}/api/internal/wst/prices").respond(json={"data": [WST_PRICE]})
    one = respx_mock.get(f"{ONE_API}/api/internal/wst/prices/UA").respond(json={"data": WST_PRICE})

    assert await bsg.prices.calls("auto_dial") == (
        CallPrice(country="UA", price=Decimal("0.2365"), currency="USD"),
    )
    assert await bsg.prices.calls("callback", country="UA") == (
        CallPrice(country="UA", price=Decimal("0.2365"), currency="USD"),
    )
    assert every.calls.last.request.url.params["product"] == "auto_dial"
    assert one.calls.last.request.url.params["product"] == "callback"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda b: b.reference.countries(service="twoway"), "service"),
        (lambda b: b.reference.currencies(code="US"), "code"),
        (lambda b: b.reference.currencies(code="U$D"), "code"),
        (lambda b: b.prices.by_country("rcs"), "product"),
        (lambda b: b.prices.by_country("sms", country="UKR"), "country"),
        (lambda b: b.prices.by_country("sms", country="1A"), "country"),
        (lambda b: b.prices.calls("sms"), "product"),
        (lambda b: b.prices.calls("callback", country=""), "country"),
    ],
)
async def test_bad_arguments_are_refused_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, call: Any, field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await call(bsg)

    assert caught.value.field == field
    assert not respx_mock.calls


async def test_an_answer_without_a_data_list_is_an_unexpected_response(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{ONE_API}/api/internal/countries").respond(json={"data": {"id": "UA"}})

    with pytest.raises(UnexpectedResponseError) as caught:
        await bsg.reference.countries()

    assert caught.value.field == "$.data"


async def test_an_undecodable_price_names_its_path(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    bad = {**CORE_PRICE, "operators": [{**OPERATOR, "price": "cheap"}]}
    respx_mock.get(f"{ONE_API}/api/internal/core/prices").respond(json={"data": [bad]})

    with pytest.raises(UnexpectedResponseError) as caught:
        await bsg.prices.by_country("viber")

    assert caught.value.field == "$.operators[0].price"


@given(st.text(max_size=4))
def test_the_country_rule_takes_exactly_two_latin_letters(value: str) -> None:
    ascii_letters = value.isascii() and value.isalpha()
    if len(value) == 2 and ascii_letters:
        assert rules.iso_code(value, "country") == value.upper()
    else:
        with pytest.raises(InvalidParameterError):
            rules.iso_code(value, "country")


# -- against FakeBSG -----------------------------------------------------------------------------


async def exercise(bsg: AsyncBSG) -> None:
    """Every reference call, as a user makes them, with what the default fake answers."""
    countries = await bsg.reference.countries(service="viber")
    assert [c.code for c in countries] == ["UA", "PL", "DE"]
    (usd,) = await bsg.reference.currencies(code="USD")
    assert usd.rate == Decimal("0.8487152")
    assert len(await bsg.reference.currencies()) == 2
    every = await bsg.prices.by_country("viber")
    assert [p.country for p in every] == ["UA", "PL", "DE"]
    assert every[0].operators[0].price == Decimal("0.23")
    (ua,) = await bsg.prices.by_country("hlr", country="ua")
    assert (ua.tariff, ua.operators[0].mcc, ua.operators[0].price) == (0, 255, Decimal("0.005"))
    (pl,) = await bsg.prices.calls("callback", country="PL")
    assert (pl.price, pl.currency) == (Decimal("0.2365"), "EUR")
    assert len(await bsg.prices.calls("auto_dial")) == 3
    with pytest.raises(NotFoundError):
        await bsg.prices.by_country("sms", country="FR")


async def test_every_call_works_against_the_fake_transport() -> None:
    async with sdk_on(FakeBSG(seed=1)) as bsg:
        await exercise(bsg)


async def test_every_call_works_against_the_fake_asgi_app() -> None:
    fake = FakeBSG(seed=1)
    async with sdk_on_asgi(fake) as bsg:
        await exercise(bsg)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/internal/countries?service=rcs", "service"),
        ("/api/internal/currencies?currency_code=EU", "currency_code"),
        ("/api/internal/core/prices", "product"),
        ("/api/internal/core/prices?product=rcs", "product"),
        ("/api/internal/core/prices/UKR?product=sms", "countryCode"),
        ("/api/internal/wst/prices?product=sms", "product"),
        ("/api/internal/wst/prices/U?product=callback", "countryCode"),
    ],
)
async def test_the_fake_answers_422_naming_a_bad_query_parameter(path: str, field: str) -> None:
    async with sdk_on(FakeBSG(seed=1)) as bsg:
        with pytest.raises(InvalidRequestError) as caught:
            await bsg.one_api_request("GET", path)

    assert list(caught.value.errors) == [field]


async def test_a_with_options_view_makes_its_own_namespaces(bsg: AsyncBSG) -> None:
    assert bsg.prices is bsg.prices
    view = bsg.with_options(max_retries=0)

    for name in ("prices", "hlr", "reference", "whatsapp", "messages"):
        assert getattr(view, name) is not getattr(bsg, name)
        assert getattr(view, name)._client is view
