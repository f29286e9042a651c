"""One-API campaigns of SMS and Viber, the any-channel campaign and the SMS campaign price, at
the HTTP level: each request body is valid per BSG's OpenAPI description (its field names and
types: SMS numbers as integers, Viber numbers as strings), each of the description's example
answers is decoded, and the 429 rule (reconcile by `reference_id`, never resend) holds."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    CallSuggestion,
    Campaign,
    CampaignStatus,
    InvalidParameterError,
    InvalidRequestError,
    LinkSuggestion,
    PriceQuote,
    RateLimitError,
    RcsCard,
    RcsChannel,
    Recipient,
    SmsChannel,
    SmsFallback,
    SmsMessage,
    TransportError,
    UnexpectedResponseError,
    ViberChannel,
)

from .conftest import ONE_API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW1wIn0.c2ln"
SMS_SEND = f"{ONE_API}/api/campaigns/sms/send"
SMS_GROUPS = f"{ONE_API}/api/campaigns/sms/send-groups"
SMS_INDIVIDUAL = f"{ONE_API}/api/campaigns/sms/send-individual"
VIBER_SEND = f"{ONE_API}/api/campaigns/viber/send"
ANY_SEND = f"{ONE_API}/api/campaigns/send"
PRICE = f"{ONE_API}/api/campaigns/price"
SEARCH = f"{ONE_API}/api/messages"

# The description's example answer of `sms/send`, `sms/send-groups`, `sms/send-individual`.
SMS_ANSWER: dict[str, Any] = {
    "data": {
        "id": 53703353,
        "name": "SMS api campaign / 2025-03-03 20:05:47",
        "sender": "Vet klinika",
        "status": "done",
        "message_type": "sms",
        "start_at": "2025-03-03 20:05:47",
        "real_start_at": None,
        "finished_at": None,
        "created_at": "2025-03-03 20:05:47",
        "statistics": {"delivered": 0, "sent": 0},
        "calculated_price": 0.015,
        "currency": "USD",
        "alternative_channels": None,
    }
}
# The description's example answer of `viber/send`.
VIBER_ANSWER: dict[str, Any] = {
    "data": {
        "id": 53708808,
        "name": "Viber api campaign / 2025-04-14 13:43:13",
        "sender": "viber_sender",
        "status": "done",
        "message_type": "viber",
        "start_at": "2025-04-14 10:43:13",
        "real_start_at": None,
        "finished_at": None,
        "created_at": "2025-04-14 13:43:13",
        "statistics": {"delivered": 0, "sent": 0},
        "calculated_price": 0.0175696,
        "currency": "USD",
        "alternative_channels": None,
    }
}
# The description's example answer of `campaigns/send`.
ANY_ANSWER: dict[str, Any] = {
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
# The description's example answers of `campaigns/price`.
PRICE_ANSWER = {"price": 0.0527088, "currency": "USD"}
TARIFF_NOT_FOUND = {"message": "Tariff was not found", "errors": []}
PHONE_TOO_LONG = {
    "message": "The given data was invalid.",
    "errors": {"messages0phone": ["This value is too long. It should have 15 characters or less."]},
}
DUPLICATE_429 = {"message": "Too many duplicate request detected"}
REF = "f2d37bf77f6242daa83aaafff1112233"
RCS_REF = "f2d37321654987acbbbcaeff77985541"
PHONE_A, PHONE_B = "380661231231", "380661231232"


@pytest.fixture
def login(respx_mock: respx.MockRouter) -> respx.Route:
    return respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})


def sent(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


def search_page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": items, "meta": {"page": {"total": len(items), "limit": 15, "offset": 0}}}


# -- bsg.sms.send_campaign ---------------------------------------------------------------------


async def test_sms_campaign_posts_integer_numbers_and_decodes_the_documented_answer(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SMS_SEND).respond(json=SMS_ANSWER)

    campaign = await bsg.sms.send_campaign(
        to=["380661231231", Recipient("380661231232", "f2d37bf77f6242daa83f23b0cc84b628")],
        text="The gift for you, follow LINK",
        sender="supercredit",
        tariff=9,
        validity=timedelta(hours=24),
        transliterate=True,
        callback_url="https://shop.example/bsg",
    )

    body = sent(route)
    first, second = body.pop("phones")
    assert first["number"] == 380661231231
    assert re.fullmatch(r"[0-9a-f]{32}", first["reference_id"])
    assert second == {"number": 380661231232, "reference_id": "f2d37bf77f6242daa83f23b0cc84b628"}
    assert body == {
        "sender": "supercredit",
        "text": "The gift for you, follow LINK",
        "tariff_code": 9,
        "validity": 24,
        "transliterate": True,
        "callback_url": "https://shop.example/bsg",
    }
    assert campaign.id == 53703353
    assert campaign.status is CampaignStatus.DONE
    assert campaign.message_type == "sms"
    assert campaign.calculated_price == Decimal("0.015")
    assert (campaign.currency, campaign.real_start_at) == ("USD", None)


async def test_sms_campaign_sends_start_at_on_the_services_clock(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SMS_SEND).respond(json=SMS_ANSWER)
    start = (datetime.now() + timedelta(days=2)).replace(microsecond=0)

    await bsg.sms.send_campaign(
        to=["380661231231"], text="test", sender="Vet klinika", start_at=start
    )

    assert sent(route)["start_at"] == start.strftime("%Y-%m-%d %H:%M:%S")


async def test_sms_campaign_to_contact_lists_posts_groups_to_send_groups(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SMS_GROUPS).respond(json=SMS_ANSWER)

    campaign = await bsg.sms.send_campaign(
        contact_lists=[1864275], text="hello!", sender="Vet klinika"
    )

    assert sent(route) == {"groups": [1864275], "sender": "Vet klinika", "text": "hello!"}
    assert campaign.id == 53703353


async def test_sms_campaign_to_contact_lists_is_not_reconciled_on_429(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SMS_GROUPS).respond(429, json=DUPLICATE_429)

    with pytest.raises(RateLimitError):
        await bsg.sms.send_campaign(contact_lists=[1864275], text="hello!", sender="Vet klinika")

    assert route.call_count == 1


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({}, "to"),
        ({"to": ["380661231231"], "contact_lists": [1]}, "to"),
        ({"to": []}, "to"),
        ({"to": ["12345678"]}, "to[0]"),
        ({"to": ["380661231231", "380661231231"]}, "to[1]"),
        ({"to": [Recipient("380661231231", "order_42")]}, "to[0].reference"),
        ({"to": ["380661231231"], "validity": timedelta(minutes=90)}, "validity"),
        ({"to": ["380661231231"], "validity": 24}, "validity"),
        ({"to": ["380661231231"], "tariff": -1}, "tariff"),
        ({"to": ["380661231231"], "callback_url": "ftp://x"}, "callback_url"),
        ({"to": ["380661231231"], "transliterate": 1}, "transliterate"),
        ({"to": ["380661231231"], "start_at": datetime.now() + timedelta(days=31)}, "start_at"),
        ({"contact_lists": []}, "contact_lists"),
        ({"contact_lists": ["1"]}, "contact_lists[0]"),
        ({"contact_lists": [1, 1]}, "contact_lists"),
    ],
)
async def test_sms_campaign_refuses_bad_arguments_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.sms.send_campaign(text="Hi", sender="Shop", **arguments)

    assert caught.value.field == field
    assert respx_mock.calls.call_count == 0


@pytest.mark.parametrize(
    ("text", "sender", "field"),
    [("x" * 766, "Shop", "text"), ("Hi", "twelve chars", "sender"), ("Hi", "", "sender")],
)
async def test_sms_campaign_checks_text_and_sender(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, text: str, sender: str, field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.sms.send_campaign(to=["380661231231"], text=text, sender=sender)

    assert caught.value.field == field


async def test_sms_campaign_more_than_ten_thousand_phones_is_refused(bsg: AsyncBSG) -> None:
    numbers = [f"38066{i:07d}" for i in range(10_001)]

    with pytest.raises(InvalidParameterError, match="send_campaign_many"):
        await bsg.sms.send_campaign(to=numbers, text="Hi", sender="Shop")


async def test_sms_campaign_429_is_reconciled_by_the_first_reference_never_resent(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SMS_SEND).respond(429, json=DUPLICATE_429)
    item = {
        "id": 1,
        "campaign_id": 53703353,
        "reference_id": "ref1",
        "type": "sms",
        "status": "sent",
        "phone": 380661231231,
    }
    search = respx_mock.get(SEARCH).respond(json=search_page([item]))
    respx_mock.get(f"{ONE_API}/api/campaigns/53703353").respond(json=SMS_ANSWER)

    campaign = await bsg.sms.send_campaign(
        to=[Recipient("380661231231", "ref1")], text="Hi", sender="Shop"
    )

    assert (route.call_count, campaign.id) == (1, 53703353)
    assert search.calls.last.request.url.params["filter[reference_id]"] == "ref1"


async def test_sms_campaign_429_the_search_cannot_resolve_is_raised(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(SMS_SEND).respond(429, json=DUPLICATE_429)
    respx_mock.get(SEARCH).respond(json=search_page([]))

    with pytest.raises(RateLimitError):
        await bsg.sms.send_campaign(to=["380661231231"], text="Hi", sender="Shop")


# -- bsg.sms.send_campaign_individual ----------------------------------------------------------


async def test_individual_campaign_posts_each_message_with_its_own_text_and_sender(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SMS_INDIVIDUAL).respond(json=SMS_ANSWER)

    campaign = await bsg.sms.send_campaign_individual(
        [
            SmsMessage("380661231231", "hello Jack", "Vet klinika", "jack1"),
            SmsMessage("+380661231232", "hello Anna", "Vet klinika"),
        ],
        tariff=9,
        validity=timedelta(hours=24),
    )

    body = sent(route)
    jack, anna = body.pop("messages")
    assert jack == {
        "phone": 380661231231,
        "text": "hello Jack",
        "sender": "Vet klinika",
        "reference_id": "jack1",
    }
    assert (anna["phone"], anna["text"]) == (380661231232, "hello Anna")
    assert re.fullmatch(r"[0-9a-f]{32}", anna["reference_id"])
    assert body == {"tariff_code": 9, "validity": 24}
    assert campaign.id == 53703353


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        ([], "messages"),
        (["380661231231"], "messages[0]"),
        ([SmsMessage("12345678", "Hi", "Shop")], "messages[0]"),
        ([SmsMessage("380661231231", "x" * 766, "Shop")], "messages[0].text"),
        ([SmsMessage("380661231231", "Hi", "twelve chars")], "messages[0].sender"),
        (
            [
                SmsMessage("380661231231", "a", "S", "r1"),
                SmsMessage("380661231232", "b", "S", "r1"),
            ],
            "messages.reference",
        ),
    ],
)
async def test_individual_campaign_refuses_bad_messages(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, messages: list[Any], field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.sms.send_campaign_individual(messages)

    assert caught.value.field == field
    assert respx_mock.calls.call_count == 0


# -- bsg.viber.send_campaign -------------------------------------------------------------------


async def test_viber_campaign_posts_the_complete_documented_body(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(VIBER_SEND).respond(json=VIBER_ANSWER)

    campaign = await bsg.viber.send_campaign(
        to=[Recipient("380971123456", "ref1"), Recipient("380661123456", "ref2")],
        text="some viber text 123",
        sender="Notify",
        image_url="https://img.somesite.com/beauty-image.jpg",
        button_caption="BUTTON",
        button_url="https://sample-site.com/?ad=123456",
        sms_fallback=SmsFallback(text="visit our site", sender="testsms"),
        tariff=9,
        add_to_contact_book=False,
        check_stop_list=False,
        validity=timedelta(hours=72),
    )

    assert sent(route) == {
        "phones": [
            {"number": "380971123456", "reference_id": "ref1"},
            {"number": "380661123456", "reference_id": "ref2"},
        ],
        "text": "some viber text 123",
        "sender": "Notify",
        "image_url": "https://img.somesite.com/beauty-image.jpg",
        "button_caption": "BUTTON",
        "link_url": "https://sample-site.com/?ad=123456",
        "alternative_channel": {"sms": {"text": "visit our site", "sender": "testsms"}},
        "tariff_code": 9,
        "add_to_contact_book": False,
        "check_stop_list": False,
        "validity": 72,
    }
    assert (campaign.id, campaign.message_type) == (53708808, "viber")
    assert campaign.calculated_price == Decimal("0.0175696")


async def test_viber_campaign_to_contact_lists_goes_through_the_any_channel_campaign(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(ANY_SEND).respond(json=VIBER_ANSWER)

    await bsg.viber.send_campaign(
        contact_lists=[1234],
        text="The gift for you",
        sender="viber_store",
        sms_fallback=SmsFallback(text="Gift", sender="testsms"),
    )

    assert sent(route) == {
        "channels": ["viber", "sms"],
        "recipients": {"groups": [1234]},
        "viber": {"sender": "viber_store", "text": "The gift for you"},
        "sms": {"sender": "testsms", "text": "Gift"},
    }


async def test_viber_campaign_to_contact_lists_refuses_a_fallback_it_cannot_carry(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    fallback = SmsFallback(text="Gift", sender="testsms", validity=timedelta(hours=2))

    with pytest.raises(InvalidParameterError) as caught:
        await bsg.viber.send_campaign(
            contact_lists=[1234], text="Hi", sender="Shop", sms_fallback=fallback
        )

    assert caught.value.field == "sms_fallback.validity"
    assert respx_mock.calls.call_count == 0


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"text": "x" * 1001}, "text"),
        ({"sender": "x" * 41}, "sender"),
        ({"image_url": "img.jpg"}, "image_url"),
        ({"button_caption": "Go"}, "button_url"),
        ({"button_caption": "x" * 21, "button_url": "https://a.example"}, "button_caption"),
        ({"button_url": "https://a.example/" + "x" * 240}, "button_url"),
        ({"sms_fallback": "Hi"}, "sms_fallback"),
        ({"validity": timedelta(hours=73)}, "validity"),
        ({"check_stop_list": "no"}, "check_stop_list"),
    ],
)
async def test_viber_campaign_refuses_bad_arguments(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, arguments: dict[str, Any], field: str
) -> None:
    values = {"to": ["380971123456"], "text": "Hi", "sender": "Shop"} | arguments

    with pytest.raises(InvalidParameterError) as caught:
        await bsg.viber.send_campaign(**values)

    assert caught.value.field == field
    assert respx_mock.calls.call_count == 0


# -- bsg.campaigns.send ------------------------------------------------------------------------


async def test_any_channel_campaign_posts_channels_recipients_and_contents(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(ANY_SEND).respond(json=ANY_ANSWER)

    campaign = await bsg.campaigns.send(
        to=[Recipient("380661233211", REF)],
        channels=[
            ViberChannel(
                text="The gift for you, best product",
                sender="supercredit",
                image_url="https://www.google.com/images/logo.png",
                button_caption="Get it FREE",
                button_url="https://my.shop/product/1234567890",
            ),
            SmsChannel(
                text="Hello! Please ignore it!",
                sender="testsms",
                unsubscribe_caption="Unsubscribe: ",
                transliterate=False,
            ),
        ],
        tariff=9,
        validity=timedelta(hours=24),
        add_to_contact_book=True,
        check_stop_list=False,
    )

    assert sent(route) == {
        "channels": ["viber", "sms"],
        "recipients": {
            "phones": [
                {"number": "380661233211", "reference_id": "f2d37bf77f6242daa83aaafff1112233"}
            ]
        },
        "viber": {
            "sender": "supercredit",
            "text": "The gift for you, best product",
            "image_url": "https://www.google.com/images/logo.png",
            "button_caption": "Get it FREE",
            "link_url": "https://my.shop/product/1234567890",
        },
        "sms": {
            "sender": "testsms",
            "text": "Hello! Please ignore it!",
            "unsubscribe_caption": "Unsubscribe: ",
            "transliterate": False,
        },
        "tariff_code": 9,
        "validity": 24,
        "add_to_contact_book": True,
        "check_stop_list": False,
    }
    assert campaign == Campaign(
        id=53651994,
        status=CampaignStatus.DONE,
        name="SMS api campaign / 2024-04-03 12:14:49",
        sender="testsms",
        message_type="sms",
        start_at=datetime(2024, 4, 3, 12, 14, 49),
        real_start_at=datetime(2024, 4, 3, 12, 15, 6),
        finished_at=datetime(2024, 4, 3, 12, 15, 7),
        created_at=datetime(2024, 4, 3, 12, 14, 49),
        statistics=campaign.statistics,
        calculated_price=Decimal(0),
        currency=None,
        alternative_channels=None,
    )
    assert campaign.statistics is not None
    assert (campaign.statistics.delivered, campaign.statistics.sent) == (7, 10)


async def test_any_channel_campaign_takes_one_content_and_contact_lists(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(ANY_SEND).respond(json=ANY_ANSWER)

    await bsg.campaigns.send(
        contact_lists=[1864275], channels=SmsChannel(text="test", sender="Best Seller")
    )

    assert sent(route) == {
        "channels": ["sms"],
        "recipients": {"groups": [1864275]},
        "sms": {"sender": "Best Seller", "text": "test"},
    }


@pytest.mark.parametrize(
    ("channels", "field"),
    [
        ([], "channels"),
        ("sms", "channels"),
        ([ViberChannel(text="b", sender="S"), "sms"], "channels[1]"),
        ([SmsChannel(text="a", sender="S"), SmsChannel(text="b", sender="S")], "channels[1]"),
        (
            [
                SmsChannel(text="a", sender="S"),
                ViberChannel(text="b", sender="S"),
                RcsChannel(sender="S", text="c"),
            ],
            "channels",
        ),
        (None, "channels"),
    ],
)
async def test_any_channel_campaign_refuses_bad_channels(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, channels: Any, field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.campaigns.send(to=["380661233211"], channels=channels)

    assert caught.value.field == field
    assert respx_mock.calls.call_count == 0


def test_contents_check_their_fields_when_built() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        SmsChannel(text="Hi", sender="Shop", unsubscribe_caption="x" * 51)
    assert caught.value.field == "unsubscribe_caption"
    with pytest.raises(InvalidParameterError) as caught:
        SmsChannel(text="Hi", sender="Shop", transliterate="yes")  # type: ignore[arg-type]
    assert caught.value.field == "transliterate"


# -- bsg.campaigns.price -----------------------------------------------------------------------


async def test_price_posts_integer_phones_and_decodes_the_documented_answer(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(PRICE).respond(json=PRICE_ANSWER)

    quote = await bsg.campaigns.price(
        to=["38267161234"], text="hello!", sender="Vet klinika", tariff=9
    )

    assert sent(route) == {
        "sender": "Vet klinika",
        "text": "hello!",
        "messages": [{"phone": 38267161234}],
        "tariff_code": 9,
    }
    assert quote == PriceQuote(total_price=Decimal("0.0527088"), currency="USD")
    assert str(quote.total_price) == "0.0527088"


async def test_price_of_contact_lists_posts_groups(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(PRICE).respond(json={"data": PRICE_ANSWER})

    quote = await bsg.campaigns.price(contact_lists=[1864275], text="hello!", sender="Vet klinika")

    assert sent(route) == {"sender": "Vet klinika", "text": "hello!", "groups": [1864275]}
    assert quote.total_price == Decimal("0.0527088")


@pytest.mark.parametrize("answer", [TARIFF_NOT_FOUND, PHONE_TOO_LONG])
async def test_price_refusals_are_invalid_request_errors(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route, answer: dict[str, Any]
) -> None:
    respx_mock.post(PRICE).respond(422, json=answer)

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.campaigns.price(to=["38267161234"], text="hello!", sender="Vet klinika")

    assert str(answer["message"]) in str(caught.value)


async def test_price_is_retried_after_a_lost_answer(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(PRICE)
    route.side_effect = [httpx.ReadTimeout("lost"), httpx.Response(200, json=PRICE_ANSWER)]

    quote = await bsg.campaigns.price(to=["38267161234"], text="hello!", sender="Vet klinika")

    assert (route.call_count, quote.total_price) == (2, Decimal("0.0527088"))


async def test_a_send_without_any_answer_says_it_may_have_been_accepted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(SMS_GROUPS).mock(side_effect=httpx.ReadTimeout("lost"))

    with pytest.raises(TransportError) as caught:
        await bsg.sms.send_campaign(contact_lists=[1], text="Hi", sender="Shop")

    assert caught.value.may_have_been_accepted


async def test_a_quote_without_a_price_is_an_unexpected_response(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(PRICE).respond(json={"price": None, "currency": "USD"})

    with pytest.raises(UnexpectedResponseError):
        await bsg.campaigns.price(to=["38267161234"], text="hello!", sender="Vet klinika")


async def test_any_channel_campaign_of_rcs_cards_with_an_sms_fallback(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(ANY_SEND).respond(json=ANY_ANSWER)
    card = RcsCard(
        title="The message",
        text="Hello!",
        media_url="https://domain.com/video.mp4",
        suggestions=[
            LinkSuggestion("Go to site", "https://domain.com/"),
            CallSuggestion("Call us", "380991112233"),
        ],
    )

    await bsg.campaigns.send(
        to=[Recipient("380661246980", RCS_REF)],
        channels=[
            RcsChannel(sender="rcs_sender", cards=card),
            SmsChannel(text="Hello! Please ignore it!", sender="testsms"),
        ],
        tariff=9,
        validity=timedelta(hours=72),
        add_to_contact_book=True,
        check_stop_list=False,
    )

    assert sent(route) == {
        "channels": ["rcs", "sms"],
        "recipients": {
            "phones": [
                {"number": "380661246980", "reference_id": "f2d37321654987acbbbcaeff77985541"}
            ]
        },
        "rcs": {
            "sender": "rcs_sender",
            "cards": [
                {
                    "title": "The message",
                    "text": "Hello!",
                    "media": {"url": "https://domain.com/video.mp4"},
                    "suggestions": [
                        {"type": "link", "text": "Go to site", "url": "https://domain.com/"},
                        {"type": "call", "text": "Call us", "phone": "380991112233"},
                    ],
                }
            ],
        },
        "sms": {"sender": "testsms", "text": "Hello! Please ignore it!"},
        "tariff_code": 9,
        "validity": 72,
        "add_to_contact_book": True,
        "check_stop_list": False,
    }


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"sender": "x" * 41, "text": "Hi"}, "sender"),
        ({"sender": "S"}, "text"),
        ({"sender": "S", "text": "x" * 161}, "text"),
        ({"sender": "S", "text": "Hi", "cards": [RcsCard(text="c")]}, "cards"),
    ],
)
def test_rcs_content_checks_its_fields(arguments: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        RcsChannel(**arguments)

    assert caught.value.field == field
