"""One set of channel contents for every One-API send, and what BSG's OpenAPI description
offers on those sends: SMS short links (`SmsShortLink`), `dry_run`, voice and telegram in the
any-channel campaign, a message's own tariff in the individual SMS campaign.

At the HTTP level (respx) each request body has the description's field names and nesting
(`Sms.short_links[]` objects of `link`, `placeholder`, `domain_ids`, `change_domain_after`,
`protocol`; `Campaign.dry_run`; `MessageUniversal.dry_run`; `individual_message_data
.tariff_code`); against FakeBSG (its transport and its ASGI app) the same sends are checked as
the description says, and a dry run stores and sends nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    Campaign,
    InvalidParameterError,
    InvalidRequestError,
    MessageInfo,
    RateLimitError,
    Recipient,
    RetryPolicy,
    SmsChannel,
    SmsMessage,
    SmsShortLink,
    TelegramChannel,
    ViberChannel,
    VoiceChannel,
)
from bsg_async.testing import FakeBSG

from .conftest import API_KEY, BASE, ONE_API
from .one_api_support import MESSAGE_RESPONSE, bsg, login

__all__ = ["bsg", "login"]  # fixtures, imported for pytest

ANY_SEND = f"{ONE_API}/api/campaigns/send"
SMS_SEND = f"{ONE_API}/api/campaigns/sms/send"
SMS_GROUPS = f"{ONE_API}/api/campaigns/sms/send-groups"
SMS_INDIVIDUAL = f"{ONE_API}/api/campaigns/sms/send-individual"
VIBER_SEND = f"{ONE_API}/api/campaigns/viber/send"
MESSAGE_SEND = f"{ONE_API}/api/messages/send"
SEARCH = f"{ONE_API}/api/messages"
PHONE, OTHER = "380661231231", "380661231232"
DOMAIN_A = "21b6f472-7e9a-4c71-9518-e9a0e0b09284"
DOMAIN_B = "bc7166bf-eff7-4bc6-9e60-9c9f0a852fce"
# The description's example answer of `campaigns/send`.
CAMPAIGN_ANSWER: dict[str, Any] = {
    "data": {
        "id": 53651994,
        "name": "SMS api campaign / 2024-04-03 12:14:49",
        "sender": "testsms",
        "status": "done",
        "message_type": "sms",
        "start_at": "2024-04-03 12:14:49",
        "real_start_at": "2024-04-03 12:15:06",
        "finished_at": "2024-04-03 12:15:07",
        "created_at": "2024-04-03 12:14:49",
        "statistics": {"delivered": 7, "sent": 10},
        "calculated_price": 0,
        "currency": None,
        "alternative_channels": None,
    }
}
DUPLICATE_429 = {"message": "Too many duplicate request detected"}


def netflix() -> SmsShortLink:
    """The short link of the description's "SMS complete" example."""
    return SmsShortLink(
        target="https://www.netflix.com/ua/",
        placeholder="LINK",
        domain_ids=[DOMAIN_A, DOMAIN_B],
        change_domain_after=1,
        with_protocol=False,
    )


NETFLIX_JSON = {
    "link": "https://www.netflix.com/ua/",
    "placeholder": "LINK",
    "domain_ids": [DOMAIN_A, DOMAIN_B],
    "change_domain_after": 1,
    "protocol": False,
}


def sent(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


# -- one set of contents -------------------------------------------------------------------------


def test_the_old_content_names_are_gone() -> None:
    import bsg_async

    assert not {"SmsContent", "ViberContent", "RcsContent"} & set(bsg_async.__all__)


async def test_the_viber_campaign_builds_the_same_viber_value_as_the_chain(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    viber = respx_mock.post(VIBER_SEND).respond(json=CAMPAIGN_ANSWER)
    chain = respx_mock.post(ANY_SEND).respond(json=CAMPAIGN_ANSWER)
    button = {"button_caption": "Go", "button_url": "https://shop.example/sale"}

    await bsg.viber.send_campaign(to=[Recipient(PHONE, "v1")], text="Hi", sender="Shop", **button)
    await bsg.campaigns.send(
        to=[Recipient(PHONE, "v2")], channels=ViberChannel(text="Hi", sender="Shop", **button)
    )

    content = {
        "sender": "Shop",
        "text": "Hi",
        "button_caption": "Go",
        "link_url": "https://shop.example/sale",
    }
    assert sent(viber) == {"phones": [{"number": PHONE, "reference_id": "v1"}], **content}
    assert sent(chain)["viber"] == content


async def test_a_viber_button_needs_both_parts_on_every_send(bsg: AsyncBSG) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.viber.send_campaign(to=[PHONE], text="Hi", sender="Shop", button_caption="Go")
    assert caught.value.field == "button_url"
    with pytest.raises(InvalidParameterError) as caught:
        ViberChannel(text="Hi", sender="Shop", button_url="https://shop.example")
    assert caught.value.field == "button_url"


# -- short links -----------------------------------------------------------------------------


async def test_an_any_channel_sms_carries_its_short_links_as_the_description_nests_them(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(ANY_SEND).respond(json=CAMPAIGN_ANSWER)

    await bsg.campaigns.send(
        to=[Recipient(PHONE, "f2d37bf77f6242daa83f23b0cc84b627")],
        channels=SmsChannel(
            text="The gift for you, follow LINK",
            sender="supercredit",
            unsubscribe_caption="unsubscribe",
            transliterate=True,
            short_links=netflix(),
        ),
    )

    assert sent(route) == {
        "channels": ["sms"],
        "recipients": {
            "phones": [{"number": PHONE, "reference_id": "f2d37bf77f6242daa83f23b0cc84b627"}]
        },
        "sms": {
            "sender": "supercredit",
            "text": "The gift for you, follow LINK",
            "transliterate": True,
            "unsubscribe_caption": "unsubscribe",
            "short_links": [NETFLIX_JSON],
        },
    }


@pytest.mark.parametrize("contact_lists", [False, True])
async def test_an_sms_campaign_sends_short_links_at_the_top_of_its_body(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route, contact_lists: bool
) -> None:
    route = respx_mock.post(SMS_GROUPS if contact_lists else SMS_SEND).respond(json=CAMPAIGN_ANSWER)
    target: dict[str, Any] = (
        {"contact_lists": [1864275]} if contact_lists else {"to": [Recipient(PHONE, "s1")]}
    )

    await bsg.sms.send_campaign(
        **target, text="Sale: LINK", sender="MyShop", short_links=[netflix()]
    )

    body = sent(route)
    assert body["short_links"] == [NETFLIX_JSON]
    assert (body["text"], body["sender"]) == ("Sale: LINK", "MyShop")


async def test_a_universal_sms_carries_its_short_links(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(MESSAGE_SEND).respond(json=MESSAGE_RESPONSE)
    link = SmsShortLink(target="https://shop.example", placeholder="{url}", domain_ids=DOMAIN_A)

    await bsg.messages.send(
        to=PHONE, channels=SmsChannel(text="Go {url}", sender="Shop", short_links=[link])
    )

    assert sent(route)["sms"]["short_links"] == [
        {"link": "https://shop.example", "placeholder": "{url}", "domain_ids": [DOMAIN_A]}
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"target": "shop.example"}, "target"),
        ({"target": None}, "target"),
        ({"placeholder": ""}, "placeholder"),
        ({"placeholder": "x" * 256}, "placeholder"),
        ({"domain_ids": []}, "domain_ids"),
        ({"domain_ids": ["not-a-uuid"]}, "domain_ids[0]"),
        ({"domain_ids": [DOMAIN_A, 7]}, "domain_ids[1]"),
        ({"change_domain_after": 0}, "change_domain_after"),
        ({"change_domain_after": "2"}, "change_domain_after"),
        ({"with_protocol": "yes"}, "with_protocol"),
    ],
)
def test_a_short_link_refuses_what_the_description_does_not_allow(
    fields: dict[str, Any], field: str
) -> None:
    values: dict[str, Any] = {
        "target": "https://shop.example",
        "placeholder": "LINK",
        "domain_ids": [DOMAIN_A],
    } | fields

    with pytest.raises(InvalidParameterError) as caught:
        SmsShortLink(**values)

    assert caught.value.field == field


def test_an_sms_takes_short_links_as_a_list_only() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        SmsChannel(text="Hi", sender="Shop", short_links="https://shop.example")  # type: ignore[arg-type]

    assert caught.value.field == "short_links"


def test_a_short_link_placeholder_must_be_in_the_text() -> None:
    link = SmsShortLink(target="https://shop.example", placeholder="LINK", domain_ids=DOMAIN_A)

    with pytest.raises(InvalidParameterError) as caught:
        SmsChannel(text="Sale today", sender="Shop", short_links=[link])

    assert (caught.value.field, caught.value.value) == ("short_links[0].placeholder", "LINK")


async def test_an_sms_campaign_refuses_bad_short_links_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.sms.send_campaign(
            to=[PHONE], text="Sale", sender="Shop", short_links=["https://shop.example"]
        )

    assert caught.value.field == "short_links[0]"
    assert respx_mock.calls.call_count == 0


# -- dry run -----------------------------------------------------------------------------------


async def test_a_campaign_dry_run_says_so_and_returns_the_answer_as_a_campaign(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(ANY_SEND).respond(json=CAMPAIGN_ANSWER)

    campaign = await bsg.campaigns.send(
        to=[Recipient(PHONE, "d1")], channels=SmsChannel(text="Hi", sender="Shop"), dry_run=True
    )

    assert isinstance(campaign, Campaign)
    assert sent(route)["dry_run"] is True
    assert "dry_run" not in sent(route)["sms"]


async def test_a_campaign_sent_for_real_carries_no_dry_run_field(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(ANY_SEND).respond(json=CAMPAIGN_ANSWER)

    await bsg.campaigns.send(to=[PHONE], channels=SmsChannel(text="Hi", sender="Shop"))

    assert "dry_run" not in sent(route)


async def test_a_dry_run_429_is_raised_never_looked_up(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(ANY_SEND).respond(429, json=DUPLICATE_429)
    search = respx_mock.get(SEARCH).respond(json={"data": []})

    with pytest.raises(RateLimitError):
        await bsg.campaigns.send(
            to=[PHONE], channels=SmsChannel(text="Hi", sender="Shop"), dry_run=True
        )

    assert (route.call_count, search.call_count) == (1, 0)


async def test_a_dry_run_is_retried_as_a_read_after_a_lost_answer(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(MESSAGE_SEND)
    route.side_effect = [httpx.ReadTimeout("lost"), httpx.Response(200, json=MESSAGE_RESPONSE)]

    info = await bsg.messages.send(
        to=PHONE, channels=SmsChannel(text="Hi", sender="Shop"), dry_run=True
    )

    assert isinstance(info, MessageInfo)
    assert route.call_count == 2
    assert sent(route, 0) == sent(route, 1)
    assert sent(route)["dry_run"] is True


@pytest.mark.parametrize("send", ["campaign", "message"])
async def test_dry_run_must_be_a_bool(
    bsg: AsyncBSG, send: str, respx_mock: respx.MockRouter
) -> None:
    channel = SmsChannel(text="Hi", sender="Shop")
    bad: Any = "yes"
    call = (
        bsg.campaigns.send(to=[PHONE], channels=channel, dry_run=bad)
        if send == "campaign"
        else bsg.messages.send(to=PHONE, channels=channel, dry_run=bad)
    )
    with pytest.raises(InvalidParameterError) as caught:
        await call

    assert caught.value.field == "dry_run"
    assert respx_mock.calls.call_count == 0


# -- voice and telegram campaigns ----------------------------------------------------------------


async def test_a_campaign_takes_voice_and_telegram_contents(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(ANY_SEND).respond(json=CAMPAIGN_ANSWER)

    await bsg.campaigns.send(
        contact_lists=[1864275],
        channels=[
            VoiceChannel(
                text="this text will be pronounced",
                category="marketing",
                sender="test",
                voice="dariya",
                language="en",
            ),
            TelegramChannel(text="Hello!", sender="bot"),
        ],
    )

    assert sent(route) == {
        "channels": ["voice", "telegram"],
        "recipients": {"groups": [1864275]},
        "voice": {
            "text": "this text will be pronounced",
            "category": "marketing",
            "sender": "test",
            "voice": "dariya",
            "lang": "en",
        },
        "telegram": {"text": "Hello!", "sender": "bot"},
    }


# -- a message's own tariff ----------------------------------------------------------------------


async def test_an_individual_campaign_sends_each_messages_own_tariff(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SMS_INDIVIDUAL).respond(json=CAMPAIGN_ANSWER)

    await bsg.sms.send_campaign_individual(
        [
            SmsMessage(PHONE, "Hi Jack", "Vet klinika", "r1", tariff=0),
            SmsMessage(OTHER, "Hi Anna", "Vet klinika", "r2"),
        ],
        tariff=9,
    )

    assert sent(route) == {
        "messages": [
            {
                "phone": int(PHONE),
                "text": "Hi Jack",
                "sender": "Vet klinika",
                "reference_id": "r1",
                "tariff_code": 0,
            },
            {"phone": int(OTHER), "text": "Hi Anna", "sender": "Vet klinika", "reference_id": "r2"},
        ],
        "tariff_code": 9,
    }


def test_a_messages_tariff_is_a_non_negative_int() -> None:
    for bad in (-1, "9", 1.5, True):
        with pytest.raises(InvalidParameterError) as caught:
            SmsMessage(PHONE, "Hi", "Shop", tariff=bad)  # type: ignore[arg-type]
        assert caught.value.field == "tariff"


async def test_the_legacy_individual_send_refuses_a_messages_own_tariff() -> None:
    messages = [SmsMessage(PHONE, "Hi", "Shop"), SmsMessage(OTHER, "Hi", "Shop", tariff=3)]
    async with AsyncBSG(api_key=API_KEY, base_url=BASE) as client:
        with (
            respx.mock(assert_all_called=False) as mock,
            pytest.raises(InvalidParameterError) as caught,
        ):
            await client.sms.send_individual(messages)

    assert caught.value.field == "messages[1].tariff"
    assert mock.calls.call_count == 0


# -- against FakeBSG -----------------------------------------------------------------------------


@pytest.fixture
def fake() -> FakeBSG:
    return FakeBSG(seed=1)


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


async def test_the_fake_checks_a_campaign_dry_run_and_keeps_nothing(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.campaigns.send(
        to=[Recipient(PHONE, "dry1"), Recipient(OTHER, "dry2")],
        channels=[ViberChannel(text="Hi", sender="Shop"), SmsChannel(text="Hi", sender="Shop")],
        dry_run=True,
    )

    assert (campaign.id, campaign.message_type) == (0, "viber")
    assert campaign.calculated_price == 2 * fake.account.viber_price
    assert (fake.rcs.messages, fake.rcs.campaigns) == ((), ())
    assert fake.rcs.acceptances("dry1") == 0
    real = await client.campaigns.send(
        to=[Recipient(PHONE, "dry1")], channels=SmsChannel(text="Hi", sender="Shop")
    )
    assert real.id > 0
    assert fake.rcs.acceptances("dry1") == 1


async def test_the_fake_refuses_a_bad_dry_run_as_it_would_the_send(client: AsyncBSG) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client.one_api_request(
            "POST",
            "/api/campaigns/send",
            json={
                "channels": ["sms"],
                "recipients": {"phones": [{"number": PHONE}]},
                "sms": {"sender": "S", "text": "x" * 766},
                "dry_run": True,
            },
        )

    assert list(caught.value.errors) == ["sms.text"]


async def test_a_dry_run_of_a_held_reference_gets_the_429(client: AsyncBSG) -> None:
    channel = SmsChannel(text="Hi", sender="Shop")
    await client.messages.send(to=PHONE, channels=channel, reference="held1")

    with pytest.raises(RateLimitError):
        await client.messages.send(to=PHONE, channels=channel, reference="held1", dry_run=True)


async def test_the_fake_checks_a_message_dry_run_and_keeps_nothing(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    info = await client.messages.send(
        to=PHONE,
        channels=VoiceChannel(text="Your code is 1 2 3 4", category="otp"),
        reference="dry3",
        dry_run=True,
    )

    assert (info.id, info.type, info.reference) == (0, "voice", "dry3")
    assert fake.rcs.messages == ()


async def test_the_fake_sends_voice_and_telegram_campaigns(client: AsyncBSG, fake: FakeBSG) -> None:
    voice = await client.campaigns.send(
        to=[PHONE],
        channels=[VoiceChannel(text="Hello", category="marketing"), TelegramChannel(text="Hi")],
    )
    telegram = await client.campaigns.send(to=[OTHER], channels=TelegramChannel(text="1234"))

    assert (voice.message_type, telegram.message_type) == ("voice", "telegram")
    channels = [message.channel for message in fake.rcs.messages]
    assert channels == ["voice", "telegram"]


async def test_the_fake_keeps_an_sms_campaigns_short_links(client: AsyncBSG, fake: FakeBSG) -> None:
    campaign = await client.sms.send_campaign(
        to=[PHONE], text="Sale: LINK", sender="Shop", short_links=netflix()
    )

    (message,) = fake.rcs.campaign_messages(campaign.id)
    assert message.submission.options["short_links"] == [NETFLIX_JSON]


async def test_the_fake_charges_each_individual_message_on_its_own_tariff(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    code = next(t.code for t in fake.account.tariffs if t.is_active and t.code is not None)

    campaign = await client.sms.send_campaign_individual(
        [SmsMessage(PHONE, "Hi", "Shop", tariff=code), SmsMessage(OTHER, "Hi", "Shop")]
    )

    tariffs = [m.submission.tariff for m in fake.rcs.campaign_messages(campaign.id)]
    assert tariffs == [code, None]


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        (
            "/api/campaigns/sms/send",
            {
                "phones": [{"number": int(PHONE)}],
                "sender": "S",
                "text": "Go LINK",
                "short_links": [{"link": "nope", "placeholder": "LINK", "domain_ids": ["x"]}],
            },
            ["short_links.0.link", "short_links.0.domain_ids.0"],
        ),
        (
            "/api/campaigns/send",
            {
                "channels": ["sms"],
                "recipients": {"groups": [1]},
                "sms": {
                    "sender": "S",
                    "text": "Hi",
                    "short_links": [
                        {"link": "https://a.example", "placeholder": "LINK", "domain_ids": []}
                    ],
                },
            },
            [
                "recipients.groups.0",
                "sms.short_links.0.domain_ids",
                "sms.short_links.0.placeholder",
            ],
        ),
        (
            "/api/messages/send",
            {
                "channels": ["sms"],
                "phone": {"number": PHONE},
                "sms": {
                    "sender": "S",
                    "text": "Hi",
                    "short_links": [{"placeholder": "Hi", "domain_ids": [DOMAIN_A], "protocol": 2}],
                },
            },
            ["sms.short_links.0.link", "sms.short_links.0.protocol"],
        ),
        (
            "/api/campaigns/sms/send-individual",
            {"messages": [{"phone": int(PHONE), "sender": "S", "text": "Hi", "tariff_code": 404}]},
            ["messages.0.tariff_code"],
        ),
        (
            "/api/campaigns/send",
            {
                "channels": ["voice", "sms"],
                "recipients": {"phones": [{"number": PHONE}]},
                "voice": {"text": "Hi", "category": "spam"},
                "sms": {"sender": "S", "text": "Hi", "short_links": ["https://a.example"]},
            },
            ["voice.category", "sms.short_links.0"],
        ),
    ],
)
async def test_the_fake_names_each_bad_new_field(
    client: AsyncBSG, path: str, body: dict[str, Any], fields: list[str]
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client.one_api_request("POST", path, json=body)

    assert sorted(caught.value.errors) == sorted(fields)
