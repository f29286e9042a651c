"""`bsg.rcs`: RCS send, campaign and contact-list sends on the One-API (bsg-api.md 8.3, 8.4).

The payloads are those of bsg-api.md: requests are asserted byte for byte (as JSON), answers
decoded into the documented types, and the 429 rule (reconcile by `reference_id`, never resend)
exercised on every path.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from bsg_async import (
    AsyncBSG,
    ClientStateError,
    InvalidParameterError,
    InvalidRequestError,
    RateLimitError,
    Recipient,
    RetryPolicy,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from bsg_async import _validation as rules
from bsg_async.models.one_api import (
    CallSuggestion,
    Campaign,
    CampaignStatus,
    LinkSuggestion,
    MessageInfo,
    OneApiMessageStatus,
    RcsCard,
    RcsOptions,
    SmsFallback,
)

from .conftest import API_KEY, ONE_API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJyY3MifQ.c2ln"  # a token without `exp`
SEND = f"{ONE_API}/api/messages/rcs/send"
CAMPAIGN = f"{ONE_API}/api/campaigns/rcs/send"
GROUPS = f"{ONE_API}/api/campaigns/rcs/send-groups"
SEARCH = f"{ONE_API}/api/messages"
PHONE = "380997087351"

# bsg-api.md 8.4: `MessageInfo`
MESSAGE_INFO: dict[str, Any] = {
    "id": 3266500452,
    "reference_id": "order42",
    "source": "rest",
    "type": "rcs",
    "phone": 380997087351,
    "status": "accepted",
    "validity": 72,
    "amount": {"value": "1.2079098", "currency": "EUR"},
    "sender": "MyShop",
    "created_at": "2024-08-22 11:47:42",
    "sent_at": None,
    "delivered_at": None,
}

# bsg-api.md 8.4: `Campaign`
CAMPAIGN_ANSWER: dict[str, Any] = {
    "id": 4213,
    "name": "RCS campaign 2024-08-22",
    "sender": "MyShop",
    "status": "scheduled",
    "message_type": "rcs",
    "start_at": "2024-08-23 10:00:00",
    "real_start_at": None,
    "finished_at": None,
    "created_at": "2024-08-22 11:47:42",
    "statistics": {"delivered": 0, "sent": 0},
    "calculated_price": 2.4158196,
    "currency": "EUR",
    "alternative_channels": [],
}

# bsg-api.md 8.5: a message-search item
SEARCH_ITEM: dict[str, Any] = {
    "id": 3266500452,
    "campaign_id": None,
    "reference_id": "order42",
    "type": "rcs",
    "status": "sent",
    "amount": {"value": "1.2079098", "currency": "EUR"},
    "phone": 380997087351,
    "sender": "MyShop",
    "created_at": "2024-08-22 11:47:42",
    "sent_at": "2024-08-22 11:47:43",
    "delivered_at": None,
    "country": "UA",
    "parts": 1,
}

DUPLICATE_429 = {"message": "Too many duplicate request detected"}


@pytest.fixture
def login(respx_mock: respx.MockRouter) -> respx.Route:
    """The One-API login route answering a bearer token."""
    return respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})


def body(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": items, "meta": {"page": {"total": len(items), "limit": 15, "offset": 0}}}


# -- rcs.send ----------------------------------------------------------------------------------


async def test_send_text_posts_the_documented_body_and_decodes_message_info(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(json={"data": MESSAGE_INFO})

    info = await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!", reference="order42")

    assert body(route) == {
        "phone": {"number": PHONE, "reference_id": "order42"},
        "sender": "MyShop",
        "options": {"text": "Hello!"},
    }
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {JWT}"
    assert info == MessageInfo(
        id=3266500452,
        status=OneApiMessageStatus.ACCEPTED,
        reference="order42",
        to=PHONE,
        type="rcs",
        source="rest",
        sender="MyShop",
        validity=timedelta(hours=72),
        amount=info.amount,
        created_at=datetime(2024, 8, 22, 11, 47, 42),
        sent_at=None,
        delivered_at=None,
    )
    assert info.amount is not None
    assert info.amount.value == Decimal("1.2079098")
    assert str(info.amount.value) == "1.2079098"
    assert info.amount.currency == "EUR"


async def test_send_generates_a_32_hex_reference_id_when_none_is_given(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(json={"data": MESSAGE_INFO})

    await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!")

    assert re.fullmatch(r"[0-9a-f]{32}", body(route)["phone"]["reference_id"])


async def test_send_strips_a_leading_plus_from_the_phone(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(json={"data": MESSAGE_INFO})

    await bsg.rcs.send(to="+" + PHONE, sender="MyShop", text="Hello!")

    assert body(route)["phone"]["number"] == PHONE


async def test_send_cards_with_every_option_posts_the_documented_body(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(json={"data": MESSAGE_INFO})
    card = RcsCard(
        title="Summer sale",
        text="50% off everything",
        media_url="https://shop.example/sale.png",
        suggestions=[
            LinkSuggestion("Shop now", "https://shop.example/sale", postback_data="shop"),
            CallSuggestion("Call us", "+380501234567", postback_data="call"),
            LinkSuggestion("More", "http://shop.example"),
        ],
    )

    await bsg.rcs.send(
        to=PHONE,
        sender="MyShop",
        cards=[card, RcsCard(media_url="https://shop.example/2.mp4")],
        reference="abc123",
        sms_fallback=SmsFallback(
            text="Sale: shop.example",
            sender="MyShop",
            validity=timedelta(seconds=5400),
            check_stop_list=False,
        ),
        callback_url="https://hooks.example/rcs",
        tariff=0,
        validity=timedelta(seconds=600),
        add_to_contact_book=False,
        check_stop_list=True,
    )

    assert body(route) == {
        "phone": {"number": PHONE, "reference_id": "abc123"},
        "sender": "MyShop",
        "options": {
            "cards": [
                {
                    "title": "Summer sale",
                    "text": "50% off everything",
                    "media": {"url": "https://shop.example/sale.png"},
                    "suggestions": [
                        {
                            "type": "link",
                            "text": "Shop now",
                            "url": "https://shop.example/sale",
                            "postback_data": "shop",
                        },
                        {
                            "type": "call",
                            "text": "Call us",
                            "phone": "380501234567",
                            "postback_data": "call",
                        },
                        {"type": "link", "text": "More", "url": "http://shop.example"},
                    ],
                },
                {"media": {"url": "https://shop.example/2.mp4"}},
            ]
        },
        "alternative_channel": {
            "sms": {
                "text": "Sale: shop.example",
                "sender": "MyShop",
                "validity_seconds": 5400,
                "check_stop_list": False,
            }
        },
        "callback_url": "https://hooks.example/rcs",
        "tariff_code": 0,
        "validity_seconds": 600,
        "add_to_contact_book": False,
        "check_stop_list": True,
    }


async def test_send_accepts_one_card_and_validity_in_hours(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(json={"data": MESSAGE_INFO})

    await bsg.rcs.send(
        to=PHONE, sender="MyShop", cards=RcsCard(text="Hi"), validity=timedelta(hours=24)
    )

    sent = body(route)
    assert sent["options"] == {"cards": [{"text": "Hi"}]}
    assert sent["validity"] == 24
    assert "validity_seconds" not in sent


async def test_send_accepts_ten_cards(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(json={"data": MESSAGE_INFO})

    await bsg.rcs.send(to=PHONE, sender="MyShop", cards=[RcsCard(text=f"{i}") for i in range(10)])

    assert len(body(route)["options"]["cards"]) == 10


async def test_send_retries_a_lost_answer_with_the_same_reference_id(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND)
    route.side_effect = [httpx.Response(503), httpx.Response(200, json={"data": MESSAGE_INFO})]

    info = await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!")

    assert info.id == 3266500452
    assert route.call_count == 2
    assert route.calls[0].request.content == route.calls[1].request.content


_BAD_SEND_ARGUMENTS = [
    ({"to": "38099708"}, "to"),  # 8 digits
    ({"to": "3809970873510000"}, "to"),  # 16 digits
    ({"to": "380 99 708 73 51"}, "to"),
    ({"to": 380997087351}, "to"),
    ({"reference": "order_42"}, "reference"),
    ({"reference": "a" * 33}, "reference"),
    ({"reference": ""}, "reference"),
    ({"sender": ""}, "sender"),
    ({"sender": "s" * 41}, "sender"),
    ({"text": "t" * 161}, "text"),
    ({"text": " "}, "text"),
    ({"text": None}, "text"),
    ({"cards": [RcsCard(text="a")]}, "cards"),  # text and cards together
    ({"text": None, "cards": [RcsCard(text="a")] * 11}, "cards"),
    ({"text": None, "cards": ["a card"]}, "cards[0]"),
    ({"sms_fallback": "SMS"}, "sms_fallback"),
    ({"validity": timedelta(0)}, "validity"),
    ({"validity": timedelta(hours=73)}, "validity"),
    ({"validity": 24}, "validity"),  # hours must be a timedelta
    ({"validity": timedelta(seconds=29)}, "validity"),
    ({"validity": timedelta(seconds=86_401)}, "validity"),
    ({"validity": timedelta(seconds=90.5)}, "validity"),
    ({"callback_url": "https://hooks.example/" + "x" * 79}, "callback_url"),  # 101 characters
    ({"callback_url": "ftp://hooks.example/rcs"}, "callback_url"),
    ({"tariff": -1}, "tariff"),
    ({"tariff": "9"}, "tariff"),
    ({"add_to_contact_book": 1}, "add_to_contact_book"),
    ({"sms_fallback": SmsFallback(text="t" * 766, sender="Shop")}, "sms_fallback.text"),
    ({"sms_fallback": SmsFallback(text="Hi", sender="ShopShopShop")}, "sms_fallback.sender"),
    ({"sms_fallback": SmsFallback(text="Hi", sender="1234567890123456")}, "sms_fallback.sender"),
    ({"sms_fallback": SmsFallback(text="Hi", sender="Магазин")}, "sms_fallback.sender"),
    (
        {"sms_fallback": SmsFallback(text="Hi", sender="Shop", validity=timedelta(hours=73))},
        "sms_fallback.validity",
    ),
    (
        {"sms_fallback": SmsFallback(text="Hi", sender="Shop", validity=timedelta(seconds=29))},
        "sms_fallback.validity",
    ),
    ({"check_stop_list": "yes"}, "check_stop_list"),
]


@pytest.mark.parametrize(("overrides", "field"), _BAD_SEND_ARGUMENTS)
async def test_send_refuses_bad_input_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, overrides: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {"to": PHONE, "sender": "MyShop", "text": "Hi", **overrides}

    with pytest.raises(InvalidParameterError) as caught:
        await bsg.rcs.send(**arguments)

    assert caught.value.field == field
    assert not respx_mock.calls


async def test_a_callback_url_of_100_characters_is_accepted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(json={"data": MESSAGE_INFO})
    url = "https://hooks.example/" + "x" * 78

    await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi", callback_url=url)

    assert len(url) == 100
    assert body(route)["callback_url"] == url


_BAD_MODELS = [
    (lambda: RcsCard(title="t" * 201, text="a"), "title"),
    (lambda: RcsCard(text="t" * 1001), "text"),
    (lambda: RcsCard(text=""), "text"),
    (lambda: RcsCard(), "text"),
    (lambda: RcsCard(media_url="ftp://shop.example/a.png"), "media_url"),
    (lambda: RcsCard(media_url="https://shop.example/" + "x" * 980), "media_url"),
    (
        lambda: RcsCard(text="a", suggestions=[LinkSuggestion("a", "https://a.example")] * 5),
        "suggestions",
    ),
    (lambda: RcsCard(text="a", suggestions=["Buy"]), "suggestions[0]"),
    (lambda: RcsCard(text="a", suggestions="Buy"), "suggestions"),
    (lambda: LinkSuggestion("t" * 26, "https://a.example"), "text"),
    (lambda: LinkSuggestion("Buy", "shop.example"), "url"),
    (lambda: LinkSuggestion("Buy", "https://a.example", postback_data="p" * 26), "postback_data"),
    (lambda: CallSuggestion("Call", "38050123"), "phone"),
    (lambda: CallSuggestion("Call", "3805012345678901"), "phone"),
    (lambda: CallSuggestion("", "380501234567"), "text"),
    (lambda: RcsOptions(), "text"),
    (lambda: RcsOptions(cards="card"), "cards"),
    (lambda: RcsOptions(text="a", cards=[RcsCard(text="b")]), "cards"),
    (lambda: SmsFallback(text="", sender="Shop"), "text"),
    (lambda: SmsFallback(text="Hi", sender=""), "sender"),
    (lambda: SmsFallback(text="Hi", sender="Shop", validity=3600), "validity"),
    (lambda: SmsFallback(text="Hi", sender="Shop", check_stop_list=0), "check_stop_list"),
]


@pytest.mark.parametrize(("build", "field"), _BAD_MODELS)
def test_rcs_values_refuse_documented_limit_violations(build: Any, field: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        build()

    assert caught.value.field == field


def test_rcs_values_accept_the_documented_maximums() -> None:
    card = RcsCard(
        title="t" * 200,
        text="x" * 1000,
        media_url="https://shop.example/" + "m" * 979,
        suggestions=[LinkSuggestion("l" * 25, "https://a.example", postback_data="p" * 25)] * 4,
    )
    fallback = SmsFallback(text="s" * 765, sender="123456789012345", validity=timedelta(hours=72))

    assert len(card.media_url or "") == 1000
    assert len(card.suggestions) == 4
    assert SmsFallback(text="Hi", sender="Shop Ltd 24").sender == "Shop Ltd 24"
    assert fallback.sender == "123456789012345"
    assert RcsOptions(text="x" * 160).text == "x" * 160


@given(st.text(max_size=20) | st.from_regex(r"\+?[0-9]{7,17}", fullmatch=True))
def test_phone_rule_accepts_exactly_9_to_15_digits(value: str) -> None:
    digits = value[1:] if value.startswith("+") else value
    if re.fullmatch(r"[0-9]{9,15}", digits):
        assert rules.msisdn(value, min_digits=rules.ONE_API_PHONE_MIN_DIGITS) == digits
    else:
        with pytest.raises(InvalidParameterError) as caught:
            rules.msisdn(value, min_digits=rules.ONE_API_PHONE_MIN_DIGITS)
        assert caught.value.field == "to"


# -- 422 ---------------------------------------------------------------------------------------


async def test_a_422_becomes_an_invalid_request_error_with_the_per_field_messages(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(SEND).respond(
        422,
        json={
            "message": "The given data was invalid.",
            "errors": {
                "sender": ["The selected sender is invalid."],
                "options.text": ["The options.text may not be greater than 160 characters."],
            },
        },
    )

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi", reference="r1")

    error = caught.value
    assert error.http_status == 422
    assert error.description == "The given data was invalid."
    assert error.field == "sender"
    assert dict(error.errors) == {
        "sender": ("The selected sender is invalid.",),
        "options.text": ("The options.text may not be greater than 160 characters.",),
    }
    assert "The selected sender is invalid." in str(error)
    assert not error.may_have_been_accepted


async def test_a_422_with_errors_as_a_list_keeps_the_messages(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(SEND).respond(
        422, json={"message": "The given data was invalid.", "errors": ["Sender is blocked"]}
    )

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi")

    assert dict(caught.value.errors) == {"": ("Sender is blocked",)}
    assert caught.value.field is None


async def test_a_first_attempt_422_about_the_reference_id_is_the_callers_and_not_reconciled(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(SEND).respond(
        422,
        json={
            "message": "The given data was invalid.",
            "errors": {"phone.reference_id": ["The reference id has already been taken."]},
        },
    )

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi", reference="order42")

    assert caught.value.field == "phone.reference_id"
    assert len(respx_mock.calls) == 2  # the login and the send: no search


# -- the 429 rule ------------------------------------------------------------------------------


async def test_a_429_is_not_resent_and_a_found_message_is_returned(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    send = respx_mock.post(SEND).respond(429, json=DUPLICATE_429)
    search = respx_mock.get(SEARCH).respond(json=page([SEARCH_ITEM]))

    info = await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!", reference="order42")

    assert send.call_count == 1
    assert dict(search.calls.last.request.url.params) == {
        "filter[reference_id]": "order42",
        "page[offset]": "0",
        "page[limit]": "15",
    }
    assert isinstance(info, MessageInfo)
    assert info.id == 3266500452
    assert info.status is OneApiMessageStatus.SENT
    assert info.to == PHONE
    assert info.sent_at == datetime(2024, 8, 22, 11, 47, 43)


async def test_a_duplicate_429_without_a_found_message_raises_rate_limit_may_have_been_accepted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    send = respx_mock.post(SEND).respond(429, json=DUPLICATE_429, headers={"Retry-After": "2"})
    respx_mock.get(SEARCH).respond(json=page([]))

    with pytest.raises(RateLimitError) as caught:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!", reference="order42")

    assert send.call_count == 1
    assert caught.value.http_status == 429
    assert caught.value.retry_after == 2.0
    assert caught.value.may_have_been_accepted


async def test_a_throttling_429_without_a_found_message_was_not_accepted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(SEND).respond(429, json={"message": "Too Many Attempts."})
    respx_mock.get(SEARCH).respond(json=page([]))

    with pytest.raises(RateLimitError) as caught:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!")

    assert not caught.value.may_have_been_accepted


async def test_a_429_after_a_lost_answer_is_reconciled(
    bsg: AsyncBSG,
    respx_mock: respx.MockRouter,
    login: respx.Route,
    backoff_delays: list[float],
) -> None:
    send = respx_mock.post(SEND)
    send.side_effect = [httpx.ReadTimeout("lost"), httpx.Response(429, json=DUPLICATE_429)]
    respx_mock.get(SEARCH).respond(json=page([SEARCH_ITEM]))

    info = await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!", reference="order42")

    assert info.id == 3266500452
    assert send.call_count == 2
    assert len(backoff_delays) == 1


async def test_a_throttling_429_after_a_lost_answer_not_found_may_have_been_accepted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    send = respx_mock.post(SEND)
    send.side_effect = [httpx.Response(502), httpx.Response(429, json={"message": "Slow down"})]
    respx_mock.get(SEARCH).respond(json=page([]))

    with pytest.raises(RateLimitError) as caught:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!")

    assert caught.value.may_have_been_accepted


async def test_a_429_found_message_for_another_phone_is_not_taken(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(SEND).respond(429, json=DUPLICATE_429)
    respx_mock.get(SEARCH).respond(json=page([{**SEARCH_ITEM, "phone": 380501111111}]))

    with pytest.raises(RateLimitError):
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!", reference="order42")


async def test_a_failed_search_raises_the_429_with_the_search_failure_as_cause(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(SEND).respond(429, json={"message": "Too Many Attempts."})
    search = respx_mock.get(SEARCH).respond(500)

    with pytest.raises(RateLimitError) as caught:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!")

    assert isinstance(caught.value.__cause__, ServerError)
    assert caught.value.may_have_been_accepted
    assert search.call_count == 3  # the search, a plain read, is retried as usual


async def test_a_reference_id_422_after_a_lost_answer_is_reconciled(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    send = respx_mock.post(SEND)
    send.side_effect = [
        httpx.ReadTimeout("lost"),
        httpx.Response(
            422,
            json={
                "message": "The given data was invalid.",
                "errors": {"phone.reference_id": ["The reference id has already been taken."]},
            },
        ),
    ]
    respx_mock.get(SEARCH).respond(json=page([SEARCH_ITEM]))

    info = await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!", reference="order42")

    assert info.id == 3266500452
    assert send.call_count == 2


async def test_an_undecodable_success_answer_is_reconciled(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(SEND).respond(json={"data": {"id": "not a number", "status": "accepted"}})
    respx_mock.get(SEARCH).respond(json=page([SEARCH_ITEM]))

    info = await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!", reference="order42")

    assert info.id == 3266500452


async def test_an_undecodable_success_answer_not_found_may_have_been_accepted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(SEND).respond(json={"data": {"status": "accepted"}})
    respx_mock.get(SEARCH).respond(json=page([]))

    with pytest.raises(UnexpectedResponseError) as caught:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!")

    assert caught.value.may_have_been_accepted


async def test_a_transport_failure_after_all_retries_may_have_been_accepted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    send = respx_mock.post(SEND).mock(side_effect=httpx.ReadTimeout("lost"))

    with pytest.raises(TransportError) as caught:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello!")

    assert caught.value.may_have_been_accepted
    assert send.call_count == 3


# -- rcs.send_campaign -------------------------------------------------------------------------


async def test_send_campaign_posts_the_documented_body_and_decodes_the_campaign(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(CAMPAIGN).respond(json={"data": CAMPAIGN_ANSWER})
    start = (datetime.now() + timedelta(days=1)).replace(microsecond=123456)

    campaign = await bsg.rcs.send_campaign(
        to=[Recipient("380661231231", "first1"), "+380661231232"],
        sender="MyShop",
        text="Hello! ☺️",
        sms_fallback=SmsFallback(text="Hello!", sender="MyShop", validity=timedelta(hours=12)),
        start_at=start,
        tariff=9,
        validity=timedelta(hours=48),
        check_stop_list=False,
    )

    sent = body(route)
    second_reference = sent["phones"][1]["reference_id"]
    assert re.fullmatch(r"[0-9a-f]{32}", second_reference)
    assert sent == {
        "phones": [
            {"number": "380661231231", "reference_id": "first1"},
            {"number": "380661231232", "reference_id": second_reference},
        ],
        "sender": "MyShop",
        "options": {"text": "Hello! ☺️"},
        "alternative_channel": {"sms": {"text": "Hello!", "sender": "MyShop", "validity": 12}},
        "start_at": start.strftime("%Y-%m-%d %H:%M:%S"),
        "tariff_code": 9,
        "validity": 48,
        "check_stop_list": False,
    }
    assert campaign == Campaign(
        id=4213,
        status=CampaignStatus.SCHEDULED,
        name="RCS campaign 2024-08-22",
        sender="MyShop",
        message_type="rcs",
        start_at=datetime(2024, 8, 23, 10, 0),
        real_start_at=None,
        finished_at=None,
        created_at=datetime(2024, 8, 22, 11, 47, 42),
        statistics=campaign.statistics,
        calculated_price=Decimal("2.4158196"),
        currency="EUR",
        alternative_channels=None,  # `[]` on the wire
    )
    assert campaign.statistics is not None
    assert campaign.statistics.sent == 0


async def test_send_campaign_accepts_a_single_phone_string(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(CAMPAIGN).respond(json={"data": CAMPAIGN_ANSWER})

    await bsg.rcs.send_campaign(to=PHONE, sender="MyShop", text="Hi")

    assert [p["number"] for p in body(route)["phones"]] == [PHONE]


async def test_send_to_groups_accepts_a_single_id(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(GROUPS).respond(json={"data": CAMPAIGN_ANSWER})

    await bsg.rcs.send_campaign(contact_lists=4012, sender="MyShop", text="Hi")

    assert body(route)["groups"] == [4012]


async def test_send_campaign_accepts_5000_phones(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(CAMPAIGN).respond(json={"data": CAMPAIGN_ANSWER})
    phones = [f"38066{n:07d}" for n in range(5000)]

    await bsg.rcs.send_campaign(to=phones, sender="MyShop", text="Hi")

    sent = body(route)["phones"]
    assert len(sent) == 5000
    assert len({p["reference_id"] for p in sent}) == 5000


async def test_send_campaign_refuses_5001_phones_before_sending(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    phones = (f"38066{n:07d}" for n in range(5001))

    with pytest.raises(InvalidParameterError) as caught:
        await bsg.rcs.send_campaign(to=phones, sender="MyShop", text="Hi")

    assert caught.value.field == "to"
    assert not respx_mock.calls


_BAD_CAMPAIGN_PHONES = [
    ([], "to"),
    (["380661231231", "380661231231"], "to[1]"),
    (["+380661231231", "380661231231"], "to[1]"),
    ([Recipient("380661231231", "r1"), Recipient("380661231232", "r1")], "to.reference"),
    ([Recipient("380661231231", "order_1")], "to[0].reference"),
    (["38066123"], "to[0]"),  # 8 digits: too short for the One-API
    ([380661231231], "to[0]"),
    (42, "to"),
]


@pytest.mark.parametrize(("phones", "field"), _BAD_CAMPAIGN_PHONES)
async def test_send_campaign_refuses_bad_phones_before_sending(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, phones: Any, field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.rcs.send_campaign(to=phones, sender="MyShop", text="Hi")

    assert caught.value.field == field
    assert not respx_mock.calls


async def test_send_campaign_refuses_a_start_more_than_30_days_ahead(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.rcs.send_campaign(
            to=["380661231231"],
            sender="MyShop",
            text="Hi",
            start_at=datetime.now() + timedelta(days=31),
        )

    assert caught.value.field == "start_at"
    assert not respx_mock.calls


@pytest.mark.parametrize("start_at", ["2024-08-23 10:00:00", datetime.now(timezone.utc)])
async def test_send_campaign_refuses_a_start_that_is_not_a_naive_datetime_without_a_zone(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, start_at: Any
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.rcs.send_campaign(
            to=["380661231231"], sender="MyShop", text="Hi", start_at=start_at
        )

    assert caught.value.field == "start_at"
    assert not respx_mock.calls


async def test_send_campaign_converts_an_aware_start_to_the_clients_zone(
    respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(CAMPAIGN).respond(json={"data": CAMPAIGN_ANSWER})
    zone = timezone(timedelta(hours=5, minutes=45), "test-rcs")
    start = (datetime.now(timezone.utc) + timedelta(days=2)).replace(microsecond=0)

    async with AsyncBSG(api_key=API_KEY, one_api_url=ONE_API, timezone=zone) as client:
        campaign = await client.rcs.send_campaign(
            to=["380661231231"], sender="MyShop", text="Hi", start_at=start
        )

    assert body(route)["start_at"] == start.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    assert campaign.created_at == datetime(2024, 8, 22, 11, 47, 42, tzinfo=zone)


async def test_send_campaign_429_is_reconciled_to_the_campaign_of_the_found_message(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    send = respx_mock.post(CAMPAIGN).respond(429, json=DUPLICATE_429)
    search = respx_mock.get(SEARCH).respond(
        json=page([{**SEARCH_ITEM, "reference_id": "first1", "campaign_id": 4213}])
    )
    read = respx_mock.get(f"{ONE_API}/api/campaigns/4213").respond(
        json={"data": {**CAMPAIGN_ANSWER, "status": "sending"}}
    )

    campaign = await bsg.rcs.send_campaign(
        to=[Recipient(PHONE, "first1"), Recipient("380661231232", "second2")],
        sender="MyShop",
        text="Hi",
    )

    assert send.call_count == 1
    assert read.call_count == 1
    assert search.calls.last.request.url.params["filter[reference_id]"] == "first1"
    assert campaign.id == 4213
    assert campaign.status is CampaignStatus.SENDING


async def test_send_campaign_429_whose_message_has_no_campaign_raises(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(CAMPAIGN).respond(429, json={"message": "Too Many Attempts."})
    respx_mock.get(SEARCH).respond(json=page([{**SEARCH_ITEM, "reference_id": "first1"}]))

    with pytest.raises(RateLimitError) as caught:
        await bsg.rcs.send_campaign(to=[Recipient(PHONE, "first1")], sender="MyShop", text="Hi")

    assert caught.value.may_have_been_accepted


async def test_send_campaign_429_whose_campaign_cannot_be_read_raises_the_429(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(CAMPAIGN).respond(429, json=DUPLICATE_429)
    respx_mock.get(SEARCH).respond(
        json=page([{**SEARCH_ITEM, "reference_id": "first1", "campaign_id": 4213}])
    )
    respx_mock.get(f"{ONE_API}/api/campaigns/4213").respond(404, json={"message": "Not found"})

    with pytest.raises(RateLimitError) as caught:
        await bsg.rcs.send_campaign(to=[Recipient(PHONE, "first1")], sender="MyShop", text="Hi")

    assert caught.value.may_have_been_accepted
    assert caught.value.__cause__ is not None


async def test_send_campaign_undecodable_answer_is_reconciled(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(CAMPAIGN).respond(json={"data": {"name": "no id"}})
    respx_mock.get(SEARCH).respond(
        json=page([{**SEARCH_ITEM, "reference_id": "first1", "campaign_id": 4213}])
    )
    respx_mock.get(f"{ONE_API}/api/campaigns/4213").respond(json={"data": CAMPAIGN_ANSWER})

    campaign = await bsg.rcs.send_campaign(
        to=[Recipient(PHONE, "first1")], sender="MyShop", text="Hi"
    )

    assert campaign.id == 4213


async def test_send_campaign_other_errors_are_raised_as_they_are(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(CAMPAIGN).respond(422, json={"message": "The given data was invalid."})

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.rcs.send_campaign(to=["380661231231"], sender="MyShop", text="Hi")

    assert caught.value.errors == {}


# -- rcs.send_to_groups ------------------------------------------------------------------------


async def test_send_to_groups_posts_the_documented_body(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(GROUPS).respond(json={"data": CAMPAIGN_ANSWER})

    start = datetime.now().replace(microsecond=0) + timedelta(days=30)

    campaign = await bsg.rcs.send_campaign(
        contact_lists=[4012, 4013],
        sender="MyShop",
        cards=[RcsCard(text="Hi")],
        start_at=start,
        add_to_contact_book=True,
    )

    assert body(route) == {
        "groups": [4012, 4013],
        "sender": "MyShop",
        "options": {"cards": [{"text": "Hi"}]},
        "start_at": start.strftime("%Y-%m-%d %H:%M:%S"),
        "add_to_contact_book": True,
    }
    assert campaign.id == 4213


@pytest.mark.parametrize(
    ("groups", "field"),
    [
        ([], "contact_lists"),
        ([0], "contact_lists[0]"),
        ([True], "contact_lists[0]"),
        ("12", "contact_lists"),
    ],
)
async def test_send_to_groups_refuses_bad_ids_before_sending(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, groups: Any, field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.rcs.send_campaign(contact_lists=groups, sender="MyShop", text="Hi")

    assert caught.value.field == field
    assert not respx_mock.calls


@pytest.mark.parametrize(
    "recipients",
    [{}, {"to": [PHONE], "contact_lists": [4012]}],
    ids=["neither", "both"],
)
async def test_send_campaign_needs_exactly_one_of_to_and_contact_lists(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, recipients: dict[str, Any]
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.rcs.send_campaign(**recipients, sender="MyShop", text="Hi")

    assert caught.value.field == "to"
    assert "contact_lists" in str(caught.value)
    assert not respx_mock.calls


@pytest.mark.parametrize(
    ("validity", "sent"),
    [
        (timedelta(hours=1), {"validity": 1}),
        (timedelta(hours=72), {"validity": 72}),
        (timedelta(seconds=30), {"validity_seconds": 30}),
        (timedelta(minutes=90), {"validity_seconds": 5400}),
    ],
)
async def test_validity_is_sent_in_hours_when_whole_hours_else_in_seconds(
    bsg: AsyncBSG,
    respx_mock: respx.MockRouter,
    login: respx.Route,
    validity: timedelta,
    sent: dict[str, int],
) -> None:
    route = respx_mock.post(SEND).respond(json={"data": MESSAGE_INFO})

    await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi", validity=validity)

    assert {k: v for k, v in body(route).items() if k.startswith("validity")} == sent


async def test_a_validity_outside_both_ranges_names_both_in_the_error(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi", validity=timedelta(days=4))

    assert caught.value.field == "validity"
    assert "1 to 72" in str(caught.value) and "30 to 86400" in str(caught.value)
    assert not respx_mock.calls


async def test_send_to_groups_accepts_1000_groups_and_refuses_1001(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(GROUPS).respond(json={"data": CAMPAIGN_ANSWER})

    await bsg.rcs.send_campaign(contact_lists=range(1, 1001), sender="MyShop", text="Hi")
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.rcs.send_campaign(contact_lists=range(1, 1002), sender="MyShop", text="Hi")

    assert len(body(route)["groups"]) == 1000
    assert caught.value.field == "contact_lists"
    assert route.call_count == 1


async def test_send_to_groups_does_not_retry_a_failure_that_may_have_been_accepted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(GROUPS).respond(503)

    with pytest.raises(ServerError) as caught:
        await bsg.rcs.send_campaign(contact_lists=[4012], sender="MyShop", text="Hi")

    assert route.call_count == 1
    assert caught.value.may_have_been_accepted


async def test_send_to_groups_retries_a_failure_before_the_request_was_sent(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(GROUPS)
    route.side_effect = [
        httpx.ConnectError("refused"),
        httpx.Response(200, json={"data": CAMPAIGN_ANSWER}),
    ]

    campaign = await bsg.rcs.send_campaign(contact_lists=[4012], sender="MyShop", text="Hi")

    assert campaign.id == 4213
    assert route.call_count == 2


async def test_send_to_groups_raises_a_429_without_resending_or_searching(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(GROUPS).respond(429, json=DUPLICATE_429)

    with pytest.raises(RateLimitError) as caught:
        await bsg.rcs.send_campaign(contact_lists=[4012], sender="MyShop", text="Hi")

    assert route.call_count == 1
    assert caught.value.may_have_been_accepted  # the service called it a duplicate
    assert len(respx_mock.calls) == 2  # the login and the send, no search


async def test_send_to_groups_undecodable_answer_may_have_been_accepted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(GROUPS).respond(json={"data": {"status": "sending"}})

    with pytest.raises(UnexpectedResponseError) as caught:
        await bsg.rcs.send_campaign(contact_lists=[4012], sender="MyShop", text="Hi")

    assert caught.value.may_have_been_accepted


async def test_rcs_sends_need_an_open_client() -> None:
    client = AsyncBSG(api_key=API_KEY, one_api_url=ONE_API, retry=RetryPolicy(max_attempts=1))

    with pytest.raises(ClientStateError):
        await client.rcs.send(to=PHONE, sender="MyShop", text="Hi")
