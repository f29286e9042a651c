"""FakeBSG's legacy extras: the SDK against the fake's balance, price lists and quotes, over
its transport and its ASGI app."""

from __future__ import annotations

from decimal import Decimal

import attrs
import httpx
import pytest

from bsg_async import AsyncBSG, InvalidRequestError, SenderNotAllowedError, ViberMessage
from bsg_async.testing import FakeBSG, Rules

from .conftest import API_KEY
from .fake_support import ACCOUNT, body, calm_fake, client, fake, raw, sdk_on

__all__ = ["client", "fake", "raw"]  # fixtures, imported for pytest


async def test_legacy_balance_drops_by_what_was_sent(client: AsyncBSG) -> None:
    before = await client.account.legacy_balance()
    await client.sms.send(to="380501234567", text="Hi", sender="Shop")

    after = await client.account.legacy_balance()

    assert before.amount - after.amount == ACCOUNT.sms_price
    assert after.currency == ACCOUNT.currency
    assert str(after.amount) == "99.9800000"  # 7 decimals, as the service writes them


async def test_legacy_balance_limit_is_the_accounts_credit() -> None:
    fake = calm_fake(account=attrs.evolve(ACCOUNT, credit=Decimal("7")))
    async with sdk_on(fake) as bsg:
        balance = await bsg.account.legacy_balance()

    assert balance.limit == Decimal("7")


async def test_price_lists_come_from_the_accounts_prices() -> None:
    account = attrs.evolve(ACCOUNT, sms_price=Decimal("0.03"), hlr_price=Decimal("0.001"))
    async with sdk_on(calm_fake(account=account)) as bsg:
        sms = await bsg.prices.sms(tariff=3)
        hlr = await bsg.prices.hlr()

    assert {row.price for row in sms} == {Decimal("0.03")}
    assert {row.price for row in hlr} == {Decimal("0.001")}
    assert [row.mcc for row in sms] == ["255", "260", "262"]


async def test_price_list_of_an_unknown_tariff_is_code_6(raw: httpx.AsyncClient) -> None:
    answer = await raw.get("/sms/prices/12")

    assert answer.json()["error"] == 6


async def test_sms_quote_is_the_price_times_the_phones_and_sends_nothing(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    quote = await client.sms.quote(["380501234567", "380501234568"], text="Hi", sender="Shop")

    assert quote.total_price == 2 * ACCOUNT.sms_price
    assert quote.currency == ACCOUNT.currency
    assert len(fake.sms.messages) == 0
    assert fake.balance == ACCOUNT.balance


async def test_viber_quote_counts_every_recipient(client: AsyncBSG, fake: FakeBSG) -> None:
    message = ViberMessage(to=["380972920000", "380972920001"], text="Hi", sender="BSG")

    quote = await client.viber.quote([message])

    assert quote.total_price == 2 * ACCOUNT.viber_price
    assert len(fake.viber.messages) == 0


async def test_quote_refused_by_the_services_rules_is_a_typed_error() -> None:
    fake = calm_fake(rules=Rules(allowed_senders=["Shop"]))
    async with sdk_on(fake) as bsg:
        with pytest.raises(SenderNotAllowedError) as info:
            await bsg.sms.quote("380501234567", text="Hi", sender="Other")

    assert info.value.code == 32


async def test_sms_quote_with_a_bad_phone_is_code_21(raw: httpx.AsyncClient) -> None:
    answer = await raw.put(
        "/sms/price",
        content=body(destination="phone", msisdn="12", originator="Shop", body="Hi"),
    )

    assert answer.json()["error"] == "21"


async def test_quote_wants_put_or_post(raw: httpx.AsyncClient) -> None:
    answer = await raw.get("/sms/price")

    assert answer.status_code == 405


async def test_extras_need_the_key(fake: FakeBSG) -> None:
    async with httpx.AsyncClient(
        transport=fake.transport, base_url="https://api.test/rest"
    ) as http:
        answer = await http.get("/common/balance", headers={"X-API-KEY": "live_wrong"})

    assert answer.status_code == 401
    assert answer.json()["error"] == 1


async def test_the_extras_work_against_the_asgi_app(fake: FakeBSG) -> None:
    url = "http://fake.test"
    async with AsyncBSG(
        api_key=API_KEY,
        base_url=f"{url}/rest",
        one_api_url=url,
        transport=httpx.ASGITransport(fake.app),
    ) as bsg:
        balance = await bsg.account.legacy_balance()
        prices = await bsg.prices.viber(tariff=0)
        message = ViberMessage(to=["380972920000"], text="Hi", sender="B")
        quote = await bsg.viber.quote([message])

    assert balance.amount == ACCOUNT.balance
    assert {row.price for row in prices} == {ACCOUNT.viber_price}
    assert quote.total_price == ACCOUNT.viber_price


async def test_quote_of_an_empty_request_is_an_invalid_request(client: AsyncBSG) -> None:
    with pytest.raises(InvalidRequestError) as info:
        await client.legacy_request("PUT", "/viber/price", json={"messages": []})

    assert info.value.code == 24


def _viber(**message: object) -> dict[str, object]:
    return {
        "messages": [
            {"to": [{"msisdn": "380972920000"}], "text": "Hi", "alpha_name": "B"} | message
        ]
    }


@pytest.mark.parametrize(
    ("path", "payload", "code"),
    [
        ("/sms/price", [], "24"),
        ("/sms/price", {"destination": "nowhere"}, "24"),
        ("/sms/price", {"destination": "phones", "phones": []}, "24"),
        (
            "/sms/price",
            {"destination": "phones", "phones": ["x"], "body": "Hi", "originator": "S"},
            "24",
        ),
        ("/sms/price", {"destination": "phone", "validity": 73}, "28"),
        ("/sms/price", {"destination": "phone", "tariff": 10}, "6"),
        (
            "/sms/price",
            {"destination": "phone", "msisdn": "380501234567", "body": "", "originator": "S"},
            "26",
        ),
        (
            "/sms/price",
            {"destination": "individual", "phones": [{"msisdn": "380501234567", "body": "Hi"}]},
            "25",
        ),
        ("/viber/price", {"messages": "x"}, 24),
        ("/viber/price", _viber() | {"validity": 10}, 48),
        ("/viber/price", _viber() | {"tariff": 10}, 6),
        ("/viber/price", _viber(to=[]), 44),
        ("/viber/price", _viber(alpha_name=""), 45),
        ("/viber/price", _viber(text=""), 46),
        ("/viber/price", _viber(to=[{"msisdn": "12"}]), 41),
        ("/viber/price", _viber(to=[{"msisdn": f"38097{i:07d}"} for i in range(51)]), 12),
    ],
)
async def test_fake_refuses_a_bad_quote_with_the_documented_code(
    raw: httpx.AsyncClient, path: str, payload: object, code: object
) -> None:
    answer = await raw.put(path, json=payload)

    assert answer.json()["error"] == code


async def test_sms_quote_of_individual_messages_counts_each(raw: httpx.AsyncClient) -> None:
    phones = [{"msisdn": f"38050123456{i}", "body": "Hi", "originator": "S"} for i in range(3)]

    answer = await raw.put("/sms/price", json={"destination": "individual", "phones": phones})

    assert Decimal(str(answer.json()["totalprice"])) == 3 * ACCOUNT.sms_price
