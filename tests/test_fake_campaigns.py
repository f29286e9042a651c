"""FakeBSG's SMS, Viber and any-channel campaigns and the SMS campaign price, seen through the
real SDK (over the fake's transport and its ASGI app): what is stored and charged, the
statuses on the fake's clock, the 422 checks named per field as the service names them, the
429 duplicate guard and the SDK's reconciliation. Raw HTTP only for what the SDK would never
send."""

from __future__ import annotations

import calendar
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bsg_async import (
    AsyncBSG,
    CampaignStatus,
    InvalidRequestError,
    RateLimitError,
    RcsChannel,
    Recipient,
    RetryPolicy,
    SmsChannel,
    SmsFallback,
    SmsMessage,
    ViberChannel,
)
from bsg_async.models.one_api import OneApiMessageStatus
from bsg_async.testing import Account, FakeBSG, Lifecycle

from .conftest import API_KEY, ONE_API

START = float(calendar.timegm((2025, 3, 3, 20, 5, 47)))
PHONE, OTHER = "380661231231", "380661231232"
CALM = Lifecycle(undeliverable_rate=0, expired_rate=0, failed_rate=0, non_viber_rate=0, read_rate=0)
ACCOUNT = Account(
    api_keys=[API_KEY],
    contact_lists={1864275: (PHONE, OTHER), 1864276: (OTHER, "380661231233")},
)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> FakeBSG:
    return FakeBSG(seed=1, account=ACCOUNT, clock=Clock(), lifecycle=CALM)


@pytest.fixture(params=["transport", "asgi"])
async def client(request: pytest.FixtureRequest, fake: FakeBSG) -> AsyncIterator[AsyncBSG]:
    """The real SDK on `fake`, through its httpx transport and through its ASGI app."""
    transport = fake.transport if request.param == "transport" else httpx.ASGITransport(fake.app)
    async with AsyncBSG(
        api_key=API_KEY,
        one_api_url=ONE_API,
        transport=transport,
        retry=RetryPolicy(max_attempts=3, base_delay=0.1, max_delay=1.0),
    ) as bsg:
        yield bsg


@pytest.fixture
async def raw(fake: FakeBSG) -> AsyncIterator[httpx.AsyncClient]:
    """Plain httpx with a valid token, for bodies the SDK would never send."""
    async with httpx.AsyncClient(transport=fake.transport, base_url=ONE_API) as http:
        login = await http.post("/api/auth/login", json={"api_key": API_KEY})
        http.headers["Authorization"] = f"Bearer {login.json()['bearer']}"
        yield http


async def test_an_sms_campaign_is_stored_charged_and_searchable(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.sms.send_campaign(
        to=[Recipient(PHONE, "order1"), OTHER], text="Sale", sender="Shop"
    )

    assert (campaign.message_type, campaign.calculated_price) == ("sms", Decimal("0.0400000"))
    assert campaign.name == "SMS api campaign / 2025-03-03 20:05:47"
    assert fake.acceptances("order1", "sms") == 1
    assert fake.acceptances("order1", "rcs") == 0
    assert fake.balance == ACCOUNT.balance - 2 * ACCOUNT.sms_price
    found = [m async for m in client.messages.list(campaign_id=campaign.id)]
    first = found[0]
    assert (first.to, first.type, first.reference) == (PHONE, "sms", "order1")
    assert found[0].amount is not None
    assert found[0].amount.value == ACCOUNT.sms_price


async def test_campaign_statuses_move_on_the_fakes_clock(client: AsyncBSG, fake: FakeBSG) -> None:
    campaign = await client.sms.send_campaign(to=[Recipient(PHONE, "m1")], text="Hi", sender="S")

    fake.advance(60)

    assert (await client.campaigns.get(campaign.id)).status is CampaignStatus.DONE
    detail = await client.campaigns.detail(campaign.id)
    assert (detail.message_type, detail.statistics.delivered if detail.statistics else 0) == (
        "sms",
        1,
    )
    (message,) = [m async for m in client.messages.list(reference="m1")]
    assert message.status is OneApiMessageStatus.DELIVERED


async def test_an_sms_campaign_to_contact_lists_sends_each_contact_once(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.sms.send_campaign(
        contact_lists=[1864275, 1864276], text="Hi", sender="Shop"
    )

    found = [m async for m in client.messages.list(campaign_id=campaign.id)]
    assert sorted(m.to or "" for m in found) == [PHONE, OTHER, "380661231233"]


async def test_an_individual_campaign_keeps_each_messages_text_and_sender(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.sms.send_campaign_individual(
        [SmsMessage(PHONE, "Hi Jack", "ShopA", "jack"), SmsMessage(OTHER, "Hi Anna", "ShopB")]
    )

    jack = fake.rcs.find("jack")
    assert jack is not None
    assert (jack.text, jack.sender, jack.campaign_id, jack.channel) == (
        "Hi Jack",
        "ShopA",
        campaign.id,
        "sms",
    )
    assert [m.sender for m in fake.rcs.campaign_messages(campaign.id)] == ["ShopA", "ShopB"]


async def test_a_viber_campaign_falls_back_to_sms_for_non_viber_users(fake: FakeBSG) -> None:
    fake = FakeBSG(
        seed=1,
        account=ACCOUNT,
        clock=Clock(),
        lifecycle=Lifecycle(non_viber_numbers=[OTHER], undeliverable_rate=0, expired_rate=0),
    )
    async with AsyncBSG(api_key=API_KEY, one_api_url=ONE_API, transport=fake.transport) as bsg:
        campaign = await bsg.viber.send_campaign(
            to=[Recipient(PHONE, "v1"), Recipient(OTHER, "v2")],
            text="Sale",
            sender="Shop",
            sms_fallback=SmsFallback(text="Sale", sender="Shop"),
        )
        fake.advance(60)
        detail = await bsg.campaigns.detail(campaign.id)
        held = {m.reference: m async for m in bsg.messages.list(campaign_id=campaign.id)}

    assert campaign.calculated_price == Decimal("0.4600000")
    assert detail.statistics is not None
    assert (detail.statistics.not_viber_user, detail.message_type) == (1, "viber")
    assert held["v2"].status is OneApiMessageStatus.UNDELIVERED
    assert held["v2"].alternative_channels is not None
    assert fake.acceptances("v1", "viber") == 1


async def test_the_any_channel_campaign_sends_its_first_channel(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.campaigns.send(
        to=[Recipient(PHONE, "a1")],
        channels=[ViberChannel(text="Sale", sender="Shop"), SmsChannel(text="Sale", sender="S")],
    )
    by_lists = await client.campaigns.send(
        contact_lists=[1864275], channels=[SmsChannel(text="Hi", sender="Shop")]
    )

    assert (campaign.message_type, by_lists.message_type) == ("viber", "sms")
    message = fake.rcs.find("a1")
    assert message is not None
    assert (message.channel, message.has_fallback) == ("viber", True)
    assert len(fake.rcs.campaign_messages(by_lists.id)) == 2


async def test_a_viber_campaign_to_contact_lists(client: AsyncBSG, fake: FakeBSG) -> None:
    campaign = await client.viber.send_campaign(
        contact_lists=[1864275],
        text="Hi",
        sender="Shop",
        button_caption="Go",
        button_url="https://shop.example",
    )

    assert campaign.message_type == "viber"
    assert fake.rcs.campaign_messages(campaign.id)[0].submission.options["button_caption"] == "Go"


async def test_the_price_of_an_sms_campaign(client: AsyncBSG, fake: FakeBSG) -> None:
    quote = await client.campaigns.price(to=[PHONE, OTHER], text="Hi", sender="Shop")
    by_lists = await client.campaigns.price(contact_lists=[1864276], text="Hi", sender="Shop")

    assert (quote.total_price, quote.currency) == (Decimal("0.0400000"), ACCOUNT.currency)
    assert by_lists.total_price == Decimal("0.0400000")
    assert len(fake.rcs) == 0  # nothing sent


async def test_an_unknown_tariff_is_refused_as_the_description_shows(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    with pytest.raises(InvalidRequestError, match="Tariff was not found"):
        await client.campaigns.price(to=[PHONE], text="Hi", sender="Shop", tariff=12345)
    with pytest.raises(InvalidRequestError) as caught:
        await client.sms.send_campaign(to=[PHONE], text="Hi", sender="Shop", tariff=12345)

    assert "tariff_code" in caught.value.errors


async def test_a_held_reference_gets_429_and_the_sdk_finds_the_campaign(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    first = await client.sms.send_campaign(to=[Recipient(PHONE, "dup1")], text="Hi", sender="S")

    again = await client.sms.send_campaign(to=[Recipient(PHONE, "dup1")], text="Hi", sender="S")

    assert again.id == first.id
    assert fake.acceptances("dup1", "sms") == 1


async def test_a_held_reference_with_another_first_phone_is_a_rate_limit_error(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    await client.viber.send_campaign(to=[Recipient(PHONE, "dup2")], text="Hi", sender="S")

    with pytest.raises(RateLimitError):
        await client.viber.send_campaign(
            to=[Recipient(OTHER, "fresh"), Recipient(PHONE, "dup2")], text="Hi", sender="S"
        )

    assert fake.acceptances("fresh") == 0


async def test_a_lost_answer_is_retried_and_reconciled_once(fake: FakeBSG) -> None:
    fake.faults.script(["lost_answer"], paths=["/api/campaigns/sms/send-individual"])

    async with AsyncBSG(api_key=API_KEY, one_api_url=ONE_API, transport=fake.transport) as bsg:
        campaign = await bsg.sms.send_campaign_individual([SmsMessage(PHONE, "Hi", "S", "lost1")])

    assert fake.acceptances("lost1", "sms") == 1
    assert fake.rcs.find("lost1") is not None
    assert campaign.id == fake.rcs.find("lost1").campaign_id  # type: ignore[union-attr]


async def post(raw: httpx.AsyncClient, path: str, body: Any) -> tuple[int, Any]:
    answer = await raw.post(path, json=body)
    return answer.status_code, answer.json()


async def test_the_fake_names_every_bad_field_of_an_sms_campaign(raw: httpx.AsyncClient) -> None:
    status, answer = await post(
        raw,
        "/api/campaigns/sms/send",
        {
            "phones": [
                {"number": 12345, "reference_id": "a_b"},
                {"number": "380661231231"},
                {"number": 380661231231},
                "x",
            ],
            "sender": "twelve chars",
            "text": "x" * 766,
            "validity": 73,
            "callback_url": "nope",
        },
    )

    assert status == 422
    assert set(answer["errors"]) == {
        "phones.0.number",
        "phones.0.reference_id",
        "phones.2.number",
        "phones.3",
        "sender",
        "text",
        "validity",
        "callback_url",
    }


async def test_the_fake_checks_the_other_campaign_bodies(raw: httpx.AsyncClient) -> None:
    cases = [
        (
            "/api/campaigns/sms/send-groups",
            {"groups": [99], "sender": "S", "text": "Hi"},
            "groups.0",
        ),
        ("/api/campaigns/sms/send-individual", {"messages": [{"phone": 1}]}, "messages.0.phone"),
        (
            "/api/campaigns/sms/send-individual",
            {
                "messages": [
                    {"phone": 380661231231, "sender": "S", "text": "a", "reference_id": "r"}
                ]
                * 2
            },
            "messages.1.reference_id",
        ),
        (
            "/api/campaigns/viber/send",
            {"phones": [{"number": PHONE}], "sender": "S", "text": "Hi", "button_caption": "Go"},
            "link_url",
        ),
        (
            "/api/campaigns/viber/send",
            {"phones": [{"number": PHONE}], "sender": "S", "text": "Hi", "image_url": "x.jpg"},
            "image_url",
        ),
        (
            "/api/campaigns/send",
            {"channels": ["voice"], "recipients": {"groups": [1864275]}},
            "voice",
        ),
        (
            "/api/campaigns/send",
            {"channels": ["viber", "viber"], "recipients": {"groups": [1864275]}, "viber": {}},
            "channels.1",
        ),
        (
            "/api/campaigns/send",
            {
                "channels": ["sms", "rcs"],
                "recipients": {"groups": [1864275]},
                "sms": {"sender": "S", "text": "Hi"},
            },
            "rcs",
        ),
        ("/api/campaigns/send", {"channels": ["sms"], "recipients": {}, "sms": {}}, "recipients"),
        ("/api/campaigns/send", {"channels": ["sms"], "recipients": {"groups": [1864275]}}, "sms"),
        (
            "/api/campaigns/send",
            {
                "channels": ["sms"],
                "recipients": {"groups": [1864275]},
                "sms": {"sender": "S", "text": "Hi"},
                "dry_run": "maybe",
            },
            "dry_run",
        ),
        ("/api/campaigns/price", {"sender": "S", "text": "Hi"}, "messages"),
        (
            "/api/campaigns/price",
            {"sender": "S", "text": "Hi", "messages": [{"phone": 1}]},
            "messages.0.phone",
        ),
    ]
    for path, body, field in cases:
        status, answer = await post(raw, path, body)
        assert (status, field in answer["errors"]) == (422, True), (path, body, answer)


async def test_the_fake_answers_a_valid_raw_any_channel_body(raw: httpx.AsyncClient) -> None:
    status, answer = await post(
        raw,
        "/api/campaigns/send",
        {
            "channels": ["sms"],
            "recipients": {"phones": [{"number": PHONE, "reference_id": "raw1"}]},
            "sms": {"sender": "Best Seller", "text": "test", "unsubscribe_caption": "Stop: "},
            "tariff_code": 9,
            "validity": 24,
        },
    )

    assert (status, answer["data"]["message_type"]) == (200, "sms")


async def test_the_fake_sends_an_rcs_any_channel_campaign_with_an_sms_fallback(
    raw: httpx.AsyncClient, fake: FakeBSG
) -> None:
    status, answer = await post(
        raw,
        "/api/campaigns/send",
        {
            "channels": ["rcs", "sms"],
            "recipients": {"phones": [{"number": PHONE, "reference_id": "rcs1"}]},
            "rcs": {"sender": "rcs_sender", "text": "Hello!"},
            "sms": {"sender": "testsms", "text": "Hello!"},
        },
    )
    bad, errors = await post(
        raw,
        "/api/campaigns/send",
        {"channels": ["rcs"], "recipients": {"groups": [1864275]}, "rcs": {"sender": "S"}},
    )

    assert (status, answer["data"]["message_type"]) == (200, "rcs")
    message = fake.rcs.find("rcs1")
    assert message is not None
    assert (message.channel, message.text, message.price) == ("rcs", "Hello!", ACCOUNT.rcs_price)
    assert (bad, list(errors["errors"])) == (422, ["rcs.text"])


async def test_an_rcs_any_channel_campaign_through_the_sdk(client: AsyncBSG, fake: FakeBSG) -> None:
    campaign = await client.campaigns.send(
        to=[Recipient(PHONE, "rcsdk1")],
        channels=[RcsChannel(sender="MyShop", text="Hi"), SmsChannel(text="Hi", sender="Shop")],
    )

    message = fake.rcs.find("rcsdk1")
    assert message is not None
    assert (campaign.message_type, message.channel, message.has_fallback) == ("rcs", "rcs", True)
