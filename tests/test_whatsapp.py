"""`bsg.whatsapp`: WhatsApp template messages, single and as a campaign, on the One-API.

The request bodies are asserted against the OpenAPI description's `WhatsAppMessage` and
`SendWhatsAppCampaign` (its "simple" example, plus the required `type`), the answers are its
examples (`MessageResponse`, `CampaignSchema`), and the exactly-once rule (a 429 is looked up,
never resent) is exercised; then everything runs against FakeBSG over its transport and its
ASGI app, which checks bodies as the description does.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

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
    SmsFallback,
    WhatsAppComponent,
    WhatsAppParameter,
    WhatsAppTemplate,
)
from bsg_async.models.one_api import CampaignStatus, OneApiMessageStatus
from bsg_async.testing import FakeBSG

from .conftest import ONE_API
from .fake_support import sdk_on
from .one_api_support import MESSAGE_RESPONSE, bsg, login, sdk_on_asgi, search_page

__all__ = ["bsg", "login"]  # fixtures, imported for pytest

SEND = f"{ONE_API}/api/messages/whatsapp/send"
CAMPAIGN = f"{ONE_API}/api/campaigns/whatsapp/send"
SEARCH = f"{ONE_API}/api/messages"
PHONE = "380661231231"
# The description's `CampaignSchema` example (the campaign send answers it without `data`).
CAMPAIGN_SCHEMA: dict[str, Any] = {
    "finished_at": "2000-01-23T04:56:07.000+00:00",
    "calculated_price": 0.0527088,
    "sender": "testsms",
    "real_start_at": "2000-01-23T04:56:07.000+00:00",
    "name": "SMS api campaign / 2024-04-03 12:14:49",
    "created_at": "2000-01-23T04:56:07.000+00:00",
    "message_type": "sms",
    "currency": "USD",
    "id": 53651994,
    "start_at": "2000-01-23T04:56:07.000+00:00",
    "status": "creation",
    "statistics": {"delivered": 0, "sent": 6},
}
# The description's "simple" request example's template.
SIMPLE_TEMPLATE = {
    "name": "whatsapp_test",
    "language": {"code": "en"},
    "components": [{"type": "body", "parameters": [{"type": "text", "text": "Hello! ☺️"}]}],
}


def simple_template() -> WhatsAppTemplate:
    return WhatsAppTemplate(
        "whatsapp_test", "en", [WhatsAppComponent("body", [WhatsAppParameter(text="Hello! ☺️")])]
    )


def sent(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


# -- whatsapp.send -------------------------------------------------------------------------------


async def test_send_posts_the_documented_body_and_decodes_the_example_answer(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(json=MESSAGE_RESPONSE)

    info = await bsg.whatsapp.send(
        to="+" + PHONE, sender="whatsapp_sender", template=simple_template(), reference="wa42"
    )

    assert sent(route) == {
        "phone": {"number": PHONE, "reference_id": "wa42"},
        "sender": "whatsapp_sender",
        "type": "template",
        "template": SIMPLE_TEMPLATE,
    }
    assert isinstance(info, MessageInfo)
    assert info.id == 3272625619
    assert info.status is OneApiMessageStatus.ACCEPTED
    assert info.amount is not None
    assert info.amount.value == Decimal("1.2079098")
    assert info.created_at == datetime(2025, 4, 14, 13, 41, 24)


async def test_send_with_every_option_writes_buttons_and_flags(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(json=MESSAGE_RESPONSE)
    template = WhatsAppTemplate(
        "order_update",
        "pt_BR",
        (
            WhatsAppComponent("header", [WhatsAppParameter(text="42")]),
            WhatsAppComponent(
                "button", [WhatsAppParameter(payload="stop")], sub_type="quick_reply", index=0
            ),
        ),
    )

    await bsg.whatsapp.send(
        to=PHONE,
        sender="Shop",
        template=template,
        callback_url="https://shop.example/wa",
        add_to_contact_book=False,
        check_stop_list=True,
    )

    body = sent(route)
    assert re.fullmatch(r"[0-9a-f]{32}", body["phone"]["reference_id"])
    assert body["template"] == {
        "name": "order_update",
        "language": {"code": "pt_BR"},
        "components": [
            {"type": "header", "parameters": [{"type": "text", "text": "42"}]},
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": "stop"}],
            },
        ],
    }
    assert body["callback_url"] == "https://shop.example/wa"
    assert (body["add_to_contact_book"], body["check_stop_list"]) == (False, True)


async def test_an_sms_fallback_is_sent_as_the_alternative_channel(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(json=MESSAGE_RESPONSE)

    await bsg.whatsapp.send(
        to=PHONE,
        sender="whatsapp_sender",
        template=simple_template(),
        sms_fallback=SmsFallback(
            text="Hello!", sender="testsms", validity=timedelta(hours=43), check_stop_list=True
        ),
    )

    assert sent(route)["alternative_channel"] == {
        "sms": {"text": "Hello!", "sender": "testsms", "validity": 43, "check_stop_list": True}
    }


@pytest.mark.parametrize(
    ("fallback", "field"),
    [
        ("Hello!", "sms_fallback"),
        (SmsFallback(text="x" * 766, sender="testsms"), "sms_fallback.text"),
        (SmsFallback(text="Hi", sender="A sender too long"), "sms_fallback.sender"),
        (SmsFallback(text="Hi", sender="S", validity=timedelta(days=4)), "sms_fallback.validity"),
    ],
)
async def test_a_bad_sms_fallback_is_refused_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, fallback: Any, field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.whatsapp.send_campaign(
            to=[PHONE], sender="S", template=simple_template(), sms_fallback=fallback
        )

    assert caught.value.field == field
    assert not respx_mock.calls


async def test_a_429_is_not_resent_and_the_held_message_is_returned(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(
        429, json={"message": "Too many duplicate request detected"}
    )
    held = {**MESSAGE_RESPONSE["data"], "reference_id": "wa42", "campaign_id": None}
    search = respx_mock.get(SEARCH).respond(json=search_page([held]))

    info = await bsg.whatsapp.send(
        to=PHONE, sender="whatsapp_sender", template=simple_template(), reference="wa42"
    )

    assert info.id == 3272625619
    assert route.call_count == 1
    assert search.calls.last.request.url.params["filter[reference_id]"] == "wa42"


async def test_a_429_without_a_held_message_is_raised(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(SEND).respond(429, json={"message": "Too many duplicate request detected"})
    respx_mock.get(SEARCH).respond(json=search_page([]))

    with pytest.raises(RateLimitError):
        await bsg.whatsapp.send(to=PHONE, sender="S", template=simple_template())


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: WhatsAppTemplate("", "en"), "name"),
        (lambda: WhatsAppTemplate("t", "english"), "language"),
        (lambda: WhatsAppTemplate("t", "en", [object()]), "components[0]"),
        (lambda: WhatsAppTemplate("t", "en", "body"), "components"),
        (lambda: WhatsAppComponent("footer"), "type"),
        (lambda: WhatsAppComponent("button", sub_type="call"), "sub_type"),
        (lambda: WhatsAppComponent("button", index=-1), "index"),
        (lambda: WhatsAppComponent("button", index=1_000_000_000), "index"),
        (lambda: WhatsAppComponent("body", ["Olena"]), "parameters[0]"),
        (lambda: WhatsAppParameter(), "text"),
        (lambda: WhatsAppParameter(text="a", payload="b"), "text"),
        (lambda: WhatsAppParameter(payload=""), "payload"),
    ],
)
def test_template_values_refuse_what_the_description_does_not_allow(build: Any, field: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        build()

    assert caught.value.field == field


def test_a_parameter_reports_its_wire_type() -> None:
    assert WhatsAppParameter(text="x").type == "text"
    assert WhatsAppParameter(payload="x").type == "payload"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"to": "12345"}, "to"),
        ({"sender": "x" * 41}, "sender"),
        ({"template": SIMPLE_TEMPLATE}, "template"),
        ({"reference": "not-alnum"}, "reference"),
        ({"callback_url": "ftp://x"}, "callback_url"),
        ({"check_stop_list": 1}, "check_stop_list"),
    ],
)
async def test_send_refuses_bad_input_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, options: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {"to": PHONE, "sender": "S", "template": simple_template()}
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.whatsapp.send(**(arguments | options))

    assert caught.value.field == field
    assert not respx_mock.calls


# -- whatsapp.send_campaign ----------------------------------------------------------------------


async def test_send_campaign_posts_the_phones_and_decodes_the_unwrapped_campaign(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(CAMPAIGN).respond(json=CAMPAIGN_SCHEMA)

    campaign = await bsg.whatsapp.send_campaign(
        to=[PHONE, Recipient("380661231232", reference="wa2")],
        sender="whatsapp_sender",
        template=simple_template(),
        check_stop_list=True,
    )

    body = sent(route)
    assert body["phones"][1] == {"number": "380661231232", "reference_id": "wa2"}
    assert re.fullmatch(r"[0-9a-f]{32}", body["phones"][0]["reference_id"])
    assert body["type"] == "template"
    assert body["template"] == SIMPLE_TEMPLATE
    assert body["check_stop_list"] is True
    assert "start_at" not in body
    assert isinstance(campaign, Campaign)
    assert campaign.id == 53651994
    assert campaign.status is CampaignStatus.CREATION
    assert campaign.calculated_price == Decimal("0.0527088")


async def test_send_campaign_schedules_with_start_at(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(CAMPAIGN).respond(json={"data": CAMPAIGN_SCHEMA})
    soon = datetime.now().replace(microsecond=0)

    await bsg.whatsapp.send_campaign(
        to=[PHONE], sender="S", template=simple_template(), start_at=soon
    )

    assert sent(route)["start_at"] == soon.strftime("%Y-%m-%d %H:%M:%S")


async def test_send_campaign_refuses_a_phone_twice_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    with pytest.raises(InvalidParameterError):
        await bsg.whatsapp.send_campaign(to=[PHONE, PHONE], sender="S", template=simple_template())

    assert not respx_mock.calls


# -- against FakeBSG -----------------------------------------------------------------------------


async def exercise(bsg: AsyncBSG, fake: FakeBSG) -> None:
    """A single send, its repeat (the same message, once), and a campaign."""
    template = simple_template()
    info = await bsg.whatsapp.send(
        to=PHONE,
        sender="whatsapp_sender",
        template=template,
        reference="wa42",
        sms_fallback=SmsFallback(text="Hello!", sender="testsms", validity=timedelta(seconds=90)),
    )
    again = await bsg.whatsapp.send(
        to=PHONE, sender="whatsapp_sender", template=template, reference="wa42"
    )
    assert again.id == info.id
    assert info.type == "whatsapp"
    assert fake.rcs.acceptances("wa42") == 1
    assert fake.rcs.find("wa42") is not None
    campaign = await bsg.whatsapp.send_campaign(
        to=[Recipient("380661231232", reference="c1"), Recipient("380661231233", reference="c2")],
        sender="whatsapp_sender",
        template=template,
    )
    assert campaign.message_type == "whatsapp"
    assert [m.channel for m in fake.rcs.campaign_messages(campaign.id)] == ["whatsapp"] * 2
    assert (await bsg.campaigns.get(campaign.id)).id == campaign.id
    fake.advance(600)
    found = [m async for m in bsg.messages.list(campaign_id=campaign.id)]
    assert {m.status for m in found} <= {
        OneApiMessageStatus.DELIVERED,
        OneApiMessageStatus.UNDELIVERED,
        OneApiMessageStatus.EXPIRED,
        OneApiMessageStatus.FAILED,
    }


async def test_sends_work_against_the_fake_transport_exactly_once() -> None:
    fake = FakeBSG(seed=1)
    async with sdk_on(fake) as bsg:
        await exercise(bsg, fake)


async def test_sends_work_against_the_fake_asgi_app_exactly_once() -> None:
    fake = FakeBSG(seed=1)
    async with sdk_on_asgi(fake) as bsg:
        await exercise(bsg, fake)


def valid_single() -> dict[str, Any]:
    return {
        "phone": {"number": PHONE},
        "sender": "whatsapp_sender",
        "type": "template",
        "template": json.loads(json.dumps(SIMPLE_TEMPLATE)),
    }


def without(body: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != key}


def with_template(**changes: Any) -> dict[str, Any]:
    body = valid_single()
    body["template"].update(changes)
    return body


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        (without(valid_single(), "type"), ["type"]),
        ({**valid_single(), "type": "text"}, ["type"]),
        (without(valid_single(), "template"), ["template"]),
        (without(valid_single(), "sender"), ["sender"]),
        ({**valid_single(), "phone": {"number": "12"}}, ["phone.number"]),
        (with_template(language={"code": "xx"}), ["template.language.code"]),
        (with_template(name=None), ["template.name"]),
        (with_template(components="body"), ["template.components"]),
        (with_template(components=[{"type": "footer"}]), ["template.components.0.type"]),
        (
            with_template(components=[{"type": "button", "sub_type": "x", "index": "1234567890"}]),
            ["template.components.0.sub_type", "template.components.0.index"],
        ),
        (
            with_template(components=[{"type": "body", "parameters": [{"type": "image"}]}]),
            ["template.components.0.parameters.0.type"],
        ),
        (
            with_template(
                components=[{"type": "body", "parameters": [{"type": "text", "text": 1}]}]
            ),
            ["template.components.0.parameters.0.text"],
        ),
        (
            with_template(components=[{"type": "body", "parameters": "x"}]),
            ["template.components.0.parameters"],
        ),
        (
            {**valid_single(), "alternative_channel": {"sms": {"text": "Hi"}}},
            ["alternative_channel.sms.sender"],
        ),
    ],
)
async def test_the_fake_answers_422_naming_each_bad_field(
    body: dict[str, Any], fields: list[str]
) -> None:
    async with sdk_on(FakeBSG(seed=1)) as bsg:
        with pytest.raises(InvalidRequestError) as caught:
            await bsg.one_api_request("POST", "/api/messages/whatsapp/send", json=body)

    assert sorted(caught.value.errors) == sorted(fields)


async def test_the_fake_accepts_the_documented_example_with_its_type_and_a_fallback() -> None:
    body = {
        **valid_single(),
        "alternative_channel": {"sms": {"text": "Hello!", "sender": "testsms", "validity": 43}},
    }
    async with sdk_on(FakeBSG(seed=1)) as bsg:
        answer = await bsg.one_api_request("POST", "/api/messages/whatsapp/send", json=body)

    assert answer.data["data"]["type"] == "whatsapp"


async def test_the_fake_refuses_a_campaign_without_phones() -> None:
    body = without(valid_single(), "phone") | {"phones": []}
    async with sdk_on(FakeBSG(seed=1)) as bsg:
        with pytest.raises(InvalidRequestError) as caught:
            await bsg.one_api_request("POST", "/api/campaigns/whatsapp/send", json=body)

    assert list(caught.value.errors) == ["phones"]
