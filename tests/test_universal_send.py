"""`bsg.messages.send`: one message over a chain of channels (`POST /api/messages/send`).

The request bodies are the OpenAPI description's `MessageUniversal` examples ("sms", "rcs
simple text", "rcs full", "voice") as the SDK writes them: with the `reference_id` it always
fixes, `type` on every RCS suggestion (the schema requires it), and without what the schema
does not have (the "rcs full" example's `start_at` and `sms.validity`; the "voice" example's
`language`, which the schema calls `lang`). The answer is the description's example. Then
every channel runs against FakeBSG over its transport and its ASGI app.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import respx
from hypothesis import given
from hypothesis import strategies as st

from bsg_async import (
    AsyncBSG,
    CallSuggestion,
    InvalidParameterError,
    InvalidRequestError,
    LinkSuggestion,
    MessageInfo,
    RcsCard,
    RcsChannel,
    SmsChannel,
    TelegramChannel,
    ViberChannel,
    VoiceChannel,
)
from bsg_async.models.one_api import OneApiMessageStatus
from bsg_async.testing import FakeBSG

from .conftest import ONE_API
from .fake_support import sdk_on
from .one_api_support import MESSAGE_RESPONSE, bsg, login, sdk_on_asgi, search_page

__all__ = ["bsg", "login"]  # fixtures, imported for pytest

SEND = f"{ONE_API}/api/messages/send"
SEARCH = f"{ONE_API}/api/messages"
PHONE = "380661231231"
REFERENCE = "f2d37bf77f6242daa83f23b0cc84b627"
SMS_TEXT = "Hello! It\u2019s just test message. Please ignore it!"  # as the example has it
PHONE_OBJECT = {"number": PHONE, "reference_id": REFERENCE}

# The description's request examples, as the SDK writes them (see the module docstring).
SMS_EXAMPLE = {
    "channels": ["sms"],
    "phone": PHONE_OBJECT,
    "sms": {"sender": "test", "text": "Hello!"},
}
RCS_SIMPLE_EXAMPLE = {
    "channels": ["rcs"],
    "phone": PHONE_OBJECT,
    "rcs": {"sender": "rcs_sender", "text": "Hello! ☺️"},
}
RCS_FULL_EXAMPLE = {
    "channels": ["rcs", "sms"],
    "phone": PHONE_OBJECT,
    "rcs": {
        "sender": "rcs_sender",
        "cards": [
            {
                "title": "The message",
                "text": "Hello! ☺️",
                "media": {"url": "https://domain.com/video.mp4"},
                "suggestions": [
                    {
                        "type": "link",
                        "text": "Go to site",
                        "url": "https://domain.com/",
                        "postback_data": "site",
                    },
                    {
                        "type": "call",
                        "text": "Call us",
                        "phone": "380991112233",
                        "postback_data": "call",
                    },
                ],
            }
        ],
    },
    "sms": {"sender": "testsms", "text": SMS_TEXT},
    "tariff_code": 9,
    "validity_seconds": 300,
    "add_to_contact_book": True,
    "check_stop_list": False,
}
VOICE_EXAMPLE = {
    "channels": ["voice"],
    "phone": PHONE_OBJECT,
    "voice": {
        "text": "this text will be pronounced",
        "category": "marketing",
        "sender": "test",
        "voice": "dariya",
        "lang": "en",
    },
}


def full_rcs() -> RcsChannel:
    return RcsChannel(
        sender="rcs_sender",
        cards=RcsCard(
            title="The message",
            text="Hello! ☺️",
            media_url="https://domain.com/video.mp4",
            suggestions=[
                LinkSuggestion("Go to site", "https://domain.com/", postback_data="site"),
                CallSuggestion("Call us", "380991112233", postback_data="call"),
            ],
        ),
    )


EXAMPLES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"channels": SmsChannel(text="Hello!", sender="test")}, SMS_EXAMPLE),
    ({"channels": [RcsChannel(sender="rcs_sender", text="Hello! ☺️")]}, RCS_SIMPLE_EXAMPLE),
    (
        {
            "channels": [
                full_rcs(),
                SmsChannel(text=SMS_TEXT, sender="testsms"),
            ],
            "tariff": 9,
            "validity": timedelta(seconds=300),
            "add_to_contact_book": True,
            "check_stop_list": False,
        },
        RCS_FULL_EXAMPLE,
    ),
    (
        {
            "channels": [
                VoiceChannel(
                    text="this text will be pronounced",
                    category="marketing",
                    sender="test",
                    voice="dariya",
                    language="en",
                )
            ]
        },
        VOICE_EXAMPLE,
    ),
]


@pytest.mark.parametrize(("arguments", "expected"), EXAMPLES)
async def test_send_writes_the_documented_examples_and_decodes_the_answer(
    bsg: AsyncBSG,
    respx_mock: respx.MockRouter,
    login: respx.Route,
    arguments: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    route = respx_mock.post(SEND).respond(json=MESSAGE_RESPONSE)

    info = await bsg.messages.send(to=PHONE, reference=REFERENCE, **arguments)

    assert json.loads(route.calls.last.request.content) == expected
    assert isinstance(info, MessageInfo)
    assert info.id == 3272625619
    assert info.status is OneApiMessageStatus.ACCEPTED
    assert info.amount is not None
    assert info.amount.value == Decimal("1.2079098")


async def test_send_writes_viber_telegram_and_every_option(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(json=MESSAGE_RESPONSE)

    await bsg.messages.send(
        to="+" + PHONE,
        channels=[
            ViberChannel(
                text="Sale",
                sender="Shop",
                image_url="https://example.com/image.jpg",
                button_caption="Open",
                button_url="https://example.com/landing",
            ),
            TelegramChannel(text="Sale", sender="shop_bot"),
        ],
        callback_url="https://shop.example/status",
        validity=timedelta(hours=6),
        respect_curfew=True,
    )

    body = json.loads(route.calls.last.request.content)
    assert re.fullmatch(r"[0-9a-f]{32}", body.pop("phone")["reference_id"])
    assert body == {
        "channels": ["viber", "telegram"],
        "viber": {
            "sender": "Shop",
            "text": "Sale",
            "image_url": "https://example.com/image.jpg",
            "button_caption": "Open",
            "link_url": "https://example.com/landing",
        },
        "telegram": {"text": "Sale", "sender": "shop_bot"},
        "callback_url": "https://shop.example/status",
        "validity": 6,
        "respect_curfew": True,
    }


async def test_sms_options_are_sent_when_given(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(json=MESSAGE_RESPONSE)

    await bsg.messages.send(
        to=PHONE,
        channels=SmsChannel(
            text="Hi", sender="Shop", transliterate=True, unsubscribe_caption="Unsubscribe: "
        ),
    )

    assert json.loads(route.calls.last.request.content)["sms"] == {
        "sender": "Shop",
        "text": "Hi",
        "transliterate": True,
        "unsubscribe_caption": "Unsubscribe: ",
    }


async def test_a_429_is_not_resent_and_the_held_message_is_returned(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(
        429, json={"message": "Too many duplicate request detected"}
    )
    held = {**MESSAGE_RESPONSE["data"], "reference_id": REFERENCE, "campaign_id": None}
    respx_mock.get(SEARCH).respond(json=search_page([held]))

    info = await bsg.messages.send(
        to=PHONE, channels=SmsChannel(text="Hi", sender="Shop"), reference=REFERENCE
    )

    assert info.id == 3272625619
    assert route.call_count == 1


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"channels": []}, "channels"),
        ({"channels": "sms"}, "channels"),
        ({"channels": [{"sms": {"text": "Hi"}}]}, "channels[0]"),
        (
            {"channels": [SmsChannel(text="a", sender="S"), SmsChannel(text="b", sender="S")]},
            "channels[1]",
        ),
        (
            {
                "channels": [
                    SmsChannel(text="a", sender="S"),
                    TelegramChannel(text="b"),
                    VoiceChannel(text="c", category="otp"),
                ]
            },
            "channels",
        ),
        ({"to": "0123"}, "to"),
        ({"reference": "with-dash"}, "reference"),
        ({"callback_url": "https://x.example/" + "a" * 90}, "callback_url"),
        ({"tariff": -1}, "tariff"),
        ({"validity": timedelta(hours=73)}, "validity"),
        ({"validity": 60}, "validity"),
        ({"respect_curfew": "yes"}, "respect_curfew"),
    ],
)
async def test_send_refuses_bad_input_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, options: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {"to": PHONE, "channels": SmsChannel(text="Hi", sender="S")}
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.messages.send(**(arguments | options))

    assert caught.value.field == field
    assert not respx_mock.calls


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: SmsChannel(text="x" * 766, sender="S"), "text"),
        (lambda: SmsChannel(text="Hi", sender="A sender too long"), "sender"),
        (
            lambda: SmsChannel(text="Hi", sender="S", unsubscribe_caption="x" * 51),
            "unsubscribe_caption",
        ),
        (lambda: ViberChannel(text="x" * 1001, sender="S"), "text"),
        (lambda: ViberChannel(text="Hi", sender="x" * 41), "sender"),
        (lambda: ViberChannel(text="Hi", sender="S", image_url="file:///a.png"), "image_url"),
        (lambda: ViberChannel(text="Hi", sender="S", button_caption="Go"), "button_url"),
        (
            lambda: ViberChannel(
                text="Hi", sender="S", button_caption="x" * 21, button_url="https://x.example"
            ),
            "button_caption",
        ),
        (lambda: RcsChannel(sender="S"), "text"),
        (lambda: RcsChannel(sender="S", text="x" * 161), "text"),
        (lambda: RcsChannel(sender="", text="Hi"), "sender"),
        (lambda: VoiceChannel(text="Hi", category="promo"), "category"),
        (lambda: VoiceChannel(text="Hi", category="otp", voice="alexa"), "voice"),
        (lambda: VoiceChannel(text="", category="otp"), "text"),
        (lambda: TelegramChannel(text=" "), "text"),
    ],
)
def test_channel_values_refuse_what_the_description_does_not_allow(build: Any, field: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        build()

    assert caught.value.field == field


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4)))
def test_a_validity_is_sent_in_hours_when_whole_else_in_seconds(value: timedelta) -> None:
    from bsg_async import _validation as rules

    try:
        sent = rules.one_api_validity(value)
    except InvalidParameterError:
        whole_seconds = value % timedelta(seconds=1) == timedelta(0)
        seconds = value // timedelta(seconds=1)
        assert not whole_seconds or not 30 <= seconds <= 86_400
        return
    if "validity" in sent:
        assert timedelta(hours=sent["validity"]) == value
    else:
        assert timedelta(seconds=sent["validity_seconds"]) == value
        assert value % timedelta(hours=1) or value > timedelta(hours=72)


# -- against FakeBSG -----------------------------------------------------------------------------


async def exercise(bsg: AsyncBSG, fake: FakeBSG) -> None:
    """Every channel first in a chain; a repeated reference is one message."""
    chains: list[Any] = [
        [full_rcs(), SmsChannel(text="Hello!", sender="testsms")],
        SmsChannel(text="Hello!", sender="test", transliterate=False),
        [ViberChannel(text="Hi", sender="Shop"), SmsChannel(text="Hi", sender="Shop")],
        VoiceChannel(text="Your code is 1234", category="otp", voice="ostap", language="en"),
        TelegramChannel(text="Your code is 1234"),
    ]
    for index, channels in enumerate(chains):
        info = await bsg.messages.send(
            to=PHONE, channels=channels, reference=f"u{index}", validity=timedelta(hours=1)
        )
        first = channels[0] if isinstance(channels, list) else channels
        assert (
            info.type
            == {
                RcsChannel: "rcs",
                SmsChannel: "sms",
                ViberChannel: "viber",
                VoiceChannel: "voice",
                TelegramChannel: "telegram",
            }[type(first)]
        )
    again = await bsg.messages.send(
        to=PHONE, channels=SmsChannel(text="Hello!", sender="test"), reference="u1"
    )
    assert again.type == "sms"
    assert [fake.rcs.acceptances(f"u{index}") for index in range(5)] == [1] * 5
    voice = fake.rcs.find("u3")
    assert voice is not None
    assert voice.channel == "voice"


async def test_every_channel_works_against_the_fake_transport_exactly_once() -> None:
    fake = FakeBSG(seed=1)
    async with sdk_on(fake) as bsg:
        await exercise(bsg, fake)


async def test_every_channel_works_against_the_fake_asgi_app_exactly_once() -> None:
    fake = FakeBSG(seed=1)
    async with sdk_on_asgi(fake) as bsg:
        await exercise(bsg, fake)


@pytest.mark.parametrize(
    "example", [SMS_EXAMPLE, RCS_SIMPLE_EXAMPLE, RCS_FULL_EXAMPLE, VOICE_EXAMPLE]
)
async def test_the_fake_accepts_each_documented_example(example: dict[str, Any]) -> None:
    async with sdk_on(FakeBSG(seed=1)) as bsg:
        answer = await bsg.one_api_request("POST", "/api/messages/send", json=example)

    assert answer.data["data"]["type"] == example["channels"][0]


def body_with(**fields: Any) -> dict[str, Any]:
    return {
        "channels": ["sms"],
        "phone": {"number": PHONE},
        "sms": {"sender": "S", "text": "Hi"},
    } | fields


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (body_with(channels=[]), ["channels"]),
        (body_with(channels=["sms", "rcs", "viber"]), ["channels"]),
        (body_with(channels=["whatsapp"]), ["channels.0"]),
        (body_with(phone=None), ["phone"]),
        (body_with(sms=None), ["sms"]),
        (body_with(sms={"text": "x" * 766}), ["sms.sender", "sms.text"]),
        (
            body_with(sms={"sender": "S", "text": "Hi", "unsubscribe_caption": "x" * 51}),
            ["sms.unsubscribe_caption"],
        ),
        (body_with(channels=["rcs"], rcs={"sender": "S"}), ["rcs.text"]),
        (body_with(channels=["rcs"], rcs={"text": "Hi", "cards": []}), ["rcs", "rcs.sender"]),
        (
            body_with(channels=["rcs"], rcs={"sender": "S", "cards": [{"title": "t"}]}),
            ["rcs.cards.0.text"],
        ),
        (
            body_with(
                channels=["viber"], viber={"sender": "S", "text": "Hi", "button_caption": "Go"}
            ),
            ["viber.link_url"],
        ),
        (body_with(channels=["viber"], viber={"text": "x" * 1001}), ["viber.sender", "viber.text"]),
        (body_with(channels=["voice"], voice={"text": "Hi"}), ["voice.category"]),
        (
            body_with(channels=["voice"], voice={"text": "Hi", "category": "otp", "voice": "x"}),
            ["voice.voice"],
        ),
        (body_with(channels=["telegram"], telegram={"sender": "b"}), ["telegram.text"]),
        (body_with(validity=73), ["validity"]),
        (body_with(validity=1, validity_seconds=30), ["validity"]),
        (body_with(tariff_code=5), ["tariff_code"]),
        (body_with(dry_run="maybe"), ["dry_run"]),
        (body_with(callback_url="not a url"), ["callback_url"]),
    ],
)
async def test_the_fake_answers_422_naming_each_bad_field(
    body: dict[str, Any], fields: list[str]
) -> None:
    async with sdk_on(FakeBSG(seed=1)) as bsg:
        with pytest.raises(InvalidRequestError) as caught:
            await bsg.one_api_request("POST", "/api/messages/send", json=body)

    assert sorted(caught.value.errors) == sorted(fields)
