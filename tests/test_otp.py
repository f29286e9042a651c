"""`bsg.otp`: one-time passwords (the One-API's TwoFA operations), against mocked HTTP.

The request bodies are the OpenAPI description's `SendOtpRequest`, `VerifyOtpRequest` and
`OtpTemplateCreateRequest`; the answers are its examples.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    OtpCanceledError,
    OtpChannel,
    OtpError,
    OtpExhaustedError,
    OtpExpiredError,
    OtpMessage,
    OtpMessageStatus,
    OtpSession,
    OtpStatus,
    OtpTemplate,
    OtpTemplateStatus,
    OtpWrongCodeError,
    RateLimitError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    UnknownStatus,
)

from .conftest import API_KEY, ONE_API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvdHAifQ.c2ln"  # a token without `exp`
SESSION_ID = "ea5db413-e368-4952-b745-cc2030210c49"
SESSIONS = f"{ONE_API}/api/2fa/authentications"
SEND = f"{SESSIONS}/otp"
VERIFY = f"{SESSIONS}/otp/{SESSION_ID}/verify"
RESEND = f"{SESSIONS}/otp/{SESSION_ID}/resend"
CANCEL = f"{SESSIONS}/{SESSION_ID}/cancel"
TEMPLATES = f"{SESSIONS}/templates"
PRICE = f"{ONE_API}/api/internal/2fa/authentications/full-price"

# The description's example answer to `send_otp` (201)
PENDING: dict[str, Any] = {
    "id": SESSION_ID,
    "recipient": "61401629754",
    "status": "pending",
    "channel": "sms",
    "sender": "SENDER",
    "sender_alt": None,
    "message_text": "Hi {name}, your OTP is {code2fa}",
    "code_lifetime": 300,
    "code_max_tries": 3,
    "code_digits": 5,
    "price": 0,
    "currency": "EUR",
    "country_code": "FR",
    "expired_at": "2022-04-28 14:21:16",
    "created_at": "2022-04-28 14:21:16",
    "finished_at": None,
}
VERIFIED = {**PENDING, "status": "verified", "price": 0.02, "finished_at": "2025-02-11 07:59:43"}
CANCELED = {**PENDING, "status": "canceled", "finished_at": "2025-02-11 07:59:43"}
# `TwoFactorAuthenticationMessagesResource`'s example (status_otp, otp_list)
WITH_MESSAGES: dict[str, Any] = {
    "finished_at": "2000-01-23T04:56:07.000+00:00",
    "sender_alt": "sender_alt",
    "code_max_tries": 5,
    "channel": "sms",
    "created_at": "2000-01-23T04:56:07.000+00:00",
    "expired_at": "2000-01-23T04:56:07.000+00:00",
    "country_code": "FR",
    "message_text": "Your BSG TwoFA confirmation code is {code}. Do not share this with anyone",
    "code_lifetime": 30,
    "sender": "testsms",
    "price": 50.25,
    "recipient": "380501403813",
    "messages": [
        {
            "sent_at": "2022-04-18 11:00:30",
            "sender": "testsms",
            "price": 0.0642918,
            "recipient": "380501403813",
            "channel": "sms",
            "created_at": "2022-04-18 10:55:35",
            "currency": "EUR",
            "id": 1445088940,
            "status": "accepted",
        }
    ],
    "currency": "EUR",
    "id": SESSION_ID,
    "status": "verified",
    "code_digits": 6,
}
TEMPLATE: dict[str, Any] = {
    "updated_at": "2000-01-23T04:56:07.000+00:00",
    "name": "template name",
    "template_id": 515,
    "text": "test code is {code2fa}",
    "countries": ["UA", "PT", "AD", "IT"],
    "status": "requested",
}


def refusal(text: str, message: str = "TwoFA Service error.") -> dict[str, Any]:
    return {"message": message, "errors": [text]}


@pytest.fixture
def login(respx_mock: respx.MockRouter) -> respx.Route:
    return respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})


def sent(route: respx.Route, index: int = -1) -> Any:
    return json.loads(route.calls[index].request.content)


# -- send ------------------------------------------------------------------------------------


async def test_send_posts_the_documented_body_and_decodes_the_session(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(201, json={"data": PENDING})

    session = await bsg.otp.send(
        to="+61401629754",
        sender="SENDER",
        template=12,
        validity=timedelta(minutes=5),
        max_tries=3,
        digits=5,
    )

    assert sent(route) == {
        "recipient": "61401629754",
        "channel": "sms",
        "sender": "SENDER",
        "template_id": 12,
        "code_lifetime": 300,
        "code_max_tries": 3,
        "code_digits": 5,
    }
    assert session == OtpSession(
        id=SESSION_ID,
        status=OtpStatus.PENDING,
        to="61401629754",
        channel=OtpChannel.SMS,
        sender="SENDER",
        sms_sender=None,
        text="Hi {name}, your OTP is {code2fa}",
        validity=timedelta(seconds=300),
        max_tries=3,
        digits=5,
        price=Decimal(0),
        currency="EUR",
        country="FR",
        expires_at=datetime(2022, 4, 28, 14, 21, 16),
        created_at=datetime(2022, 4, 28, 14, 21, 16),
        finished_at=None,
    )
    assert not session.status.is_final  # type: ignore[union-attr]


async def test_a_viber_send_names_its_sms_sender(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(201, json={"data": {**PENDING, "channel": "viber"}})

    session = await bsg.otp.send(
        to="61401629754",
        sender="VIBER_SENDER",
        sms_sender="SMS_SENDER",
        channel="viber",
        template=12,
    )

    body = sent(route)
    assert body["channel"] == "viber" and body["sender_alt"] == "SMS_SENDER"
    assert (body["code_lifetime"], body["code_max_tries"], body["code_digits"]) == (300, 3, 6)
    assert session.channel is OtpChannel.VIBER


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"to": "12345"}, "to"),
        ({"sender": "ab"}, "sender"),
        ({"sender": "S" * 12}, "sender"),
        ({"sender": "S" * 15, "channel": "viber"}, "sender"),
        ({"template": 0}, "template"),
        ({"template": 1_000_000_000}, "template"),
        ({"validity": timedelta(seconds=29)}, "validity"),
        ({"validity": timedelta(seconds=301)}, "validity"),
        ({"validity": timedelta(seconds=60.5)}, "validity"),
        ({"validity": 300}, "validity"),
        ({"max_tries": 0}, "max_tries"),
        ({"max_tries": 6}, "max_tries"),
        ({"digits": 2}, "digits"),
        ({"digits": 10}, "digits"),
        ({"channel": "rcs"}, "channel"),
        ({"sms_sender": "SMS_SENDER"}, "sms_sender"),
        ({"channel": "viber", "sms_sender": "x"}, "sms_sender"),
    ],
)
async def test_send_refuses_a_bad_value_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, options: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {"to": "61401629754", "sender": "SENDER", "template": 12}

    with pytest.raises(InvalidParameterError) as caught:
        await bsg.otp.send(**(arguments | options))

    assert caught.value.field == field
    assert not respx_mock.calls


@pytest.mark.parametrize(
    "text",
    [
        "Template is not available.",
        "Insufficient funds",
        "The recipients phone number is located in a country that is not on the list of "
        "countries allowed for the selected template. Please register new message template.",
    ],
)
async def test_a_refused_send_is_an_invalid_request_with_the_services_words(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route, text: str
) -> None:
    respx_mock.post(SEND).respond(422, json=refusal(text, "The given data was invalid."))

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.otp.send(to="61401629754", sender="SENDER", template=12)

    assert caught.value.errors == {"": (text,)}
    assert not isinstance(caught.value, OtpError)
    assert not caught.value.may_have_been_accepted


async def test_a_send_that_surely_did_not_arrive_is_retried(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND)
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(201, json={"data": PENDING})]

    session = await bsg.otp.send(to="61401629754", sender="SENDER", template=12)

    assert session.id == SESSION_ID and route.call_count == 2


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("lost"), httpx.Response(503), httpx.Response(200, json={"data": []})],
)
async def test_a_send_whose_fate_is_unknown_is_not_repeated(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route, failure: Any
) -> None:
    route = respx_mock.post(SEND)
    route.side_effect = [failure, httpx.Response(201, json={"data": PENDING})]

    with pytest.raises((TransportError, ServerError, UnexpectedResponseError)) as caught:
        await bsg.otp.send(to="61401629754", sender="SENDER", template=12)

    assert caught.value.may_have_been_accepted  # a code may be on its way: say so
    assert route.call_count == 1  # and never send a second code behind the caller's back


# -- verify ----------------------------------------------------------------------------------


async def test_verify_sends_the_code_and_returns_the_verified_session(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(VERIFY).respond(json={"data": VERIFIED})

    session = await bsg.otp.verify(SESSION_ID, " 76928 ")

    assert sent(route) == {"access_code": "76928"}
    assert session.status is OtpStatus.VERIFIED and session.status.is_final
    assert session.price == Decimal("0.02")
    assert session.finished_at == datetime(2025, 2, 11, 7, 59, 43)


@pytest.mark.parametrize(
    ("status", "text", "error"),
    [
        (404, "The code does not match the expected value", OtpWrongCodeError),
        (422, "Authentication expired", OtpExpiredError),
        (422, "Authentication failed status", OtpExhaustedError),
        (422, "Authentication canceled status", OtpCanceledError),
    ],
)
async def test_a_sessions_refusal_is_its_typed_error(
    bsg: AsyncBSG,
    respx_mock: respx.MockRouter,
    login: respx.Route,
    status: int,
    text: str,
    error: type[OtpError],
) -> None:
    route = respx_mock.post(VERIFY).respond(status, json=refusal(text))

    with pytest.raises(error) as caught:
        await bsg.otp.verify(SESSION_ID, "76928")

    assert type(caught.value) is error and isinstance(caught.value, OtpError)
    assert caught.value.description == text and caught.value.http_status == status
    assert str(caught.value) == f"{text} (HTTP {status})"
    assert not caught.value.may_have_been_accepted
    assert route.call_count == 1  # a refusal is an answer: never retried


async def test_an_unknown_session_is_not_found(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(VERIFY).respond(404, json=refusal("Authentication not found"))

    with pytest.raises(NotFoundError) as caught:
        await bsg.otp.verify(SESSION_ID, "76928")

    assert not isinstance(caught.value, OtpError)


@pytest.mark.parametrize("code", ["12", "1234567890", "12a45", "", "١٢٣٤", 12345, None])
async def test_a_malformed_code_is_refused_without_showing_it(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, code: Any
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.otp.verify(SESSION_ID, code)

    assert caught.value.field == "code"
    if code:
        assert str(code) not in str(caught.value) and caught.value.value == "[secure]"
    assert not respx_mock.calls


@pytest.mark.parametrize(
    "session_id", ["", "../../accounts/balance", SESSION_ID + "0", uuid.UUID(SESSION_ID), 5, None]
)
async def test_a_malformed_session_id_is_refused_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, session_id: Any
) -> None:
    for call in (
        lambda: bsg.otp.verify(session_id, "12345"),
        lambda: bsg.otp.resend(session_id),
        lambda: bsg.otp.cancel(session_id),
        lambda: bsg.otp.get(session_id),
    ):
        with pytest.raises(InvalidParameterError) as caught:
            await call()
        assert caught.value.field == "id"
    assert not respx_mock.calls


async def test_a_lost_verify_answer_is_settled_by_reading_the_verified_session(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    verify = respx_mock.post(VERIFY).mock(side_effect=httpx.ReadTimeout("lost"))
    read = respx_mock.get(f"{SESSIONS}/{SESSION_ID}").respond(json={"data": WITH_MESSAGES})

    session = await bsg.otp.verify(SESSION_ID, "76928")

    assert session.status is OtpStatus.VERIFIED
    assert verify.call_count == 1 and read.call_count == 1  # the code is never checked twice


async def test_a_lost_verify_answer_on_a_pending_session_verifies_once_more(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    verify = respx_mock.post(VERIFY)
    verify.side_effect = [httpx.Response(502), httpx.Response(200, json={"data": VERIFIED})]
    respx_mock.get(f"{SESSIONS}/{SESSION_ID}").respond(json={"data": PENDING})

    session = await bsg.otp.verify(SESSION_ID, "76928")

    assert session.status is OtpStatus.VERIFIED and verify.call_count == 2


async def test_a_lost_verify_answer_on_a_finished_session_gets_the_services_refusal(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    verify = respx_mock.post(VERIFY)
    verify.side_effect = [
        httpx.ReadTimeout("lost"),
        httpx.Response(422, json=refusal("Authentication failed status")),
    ]
    respx_mock.get(f"{SESSIONS}/{SESSION_ID}").respond(
        json={"data": {**PENDING, "status": "failed"}}
    )

    with pytest.raises(OtpExhaustedError) as caught:
        await bsg.otp.verify(SESSION_ID, "76928")

    assert not caught.value.may_have_been_accepted and verify.call_count == 2


async def test_a_lost_verify_answer_whose_session_cannot_be_read_is_raised(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(VERIFY).mock(side_effect=httpx.ReadTimeout("lost"))
    respx_mock.get(f"{SESSIONS}/{SESSION_ID}").respond(500)

    with pytest.raises(TransportError) as caught:
        await bsg.otp.verify(SESSION_ID, "76928")

    assert isinstance(caught.value.__cause__, ServerError)


async def test_a_duplicate_429_on_verify_is_settled_not_resent(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    verify = respx_mock.post(VERIFY).respond(
        429, json={"message": "Too many duplicate request detected"}
    )
    respx_mock.get(f"{SESSIONS}/{SESSION_ID}").respond(json={"data": VERIFIED})

    session = await bsg.otp.verify(SESSION_ID, "76928")

    assert session.status is OtpStatus.VERIFIED and verify.call_count == 1


async def test_the_code_is_never_logged(
    bsg: AsyncBSG,
    respx_mock: respx.MockRouter,
    login: respx.Route,
    caplog: pytest.LogCaptureFixture,
) -> None:
    respx_mock.post(VERIFY).side_effect = [
        httpx.ConnectError("refused"),
        httpx.Response(404, json=refusal("The code does not match the expected value")),
    ]
    caplog.set_level(logging.DEBUG, logger="bsg_async")

    with pytest.raises(OtpWrongCodeError) as caught:
        await bsg.otp.verify(SESSION_ID, "918273")

    assert caplog.records
    assert "918273" not in caplog.text and "918273" not in str(caught.value)
    assert API_KEY not in caplog.text


# -- resend, cancel, get ---------------------------------------------------------------------


async def test_resend_posts_no_body_and_returns_the_session(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(RESEND).respond(json={"data": PENDING})

    session = await bsg.otp.resend(SESSION_ID)

    assert route.calls.last.request.content == b""
    assert session.status is OtpStatus.PENDING


async def test_a_resend_whose_fate_is_unknown_is_not_repeated(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(RESEND).mock(side_effect=httpx.ReadTimeout("lost"))

    with pytest.raises(TransportError) as caught:
        await bsg.otp.resend(SESSION_ID)

    assert caught.value.may_have_been_accepted and route.call_count == 1


async def test_resend_of_an_expired_session_is_expired(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(RESEND).respond(422, json=refusal("Authentication expired"))

    with pytest.raises(OtpExpiredError):
        await bsg.otp.resend(SESSION_ID)


async def test_cancel_returns_the_canceled_session(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(CANCEL).respond(json={"data": CANCELED})

    session = await bsg.otp.cancel(SESSION_ID)

    assert session.status is OtpStatus.CANCELED


async def test_a_lost_cancel_answer_is_settled_by_reading_the_session(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    cancel = respx_mock.post(CANCEL).mock(side_effect=httpx.RemoteProtocolError("cut"))
    respx_mock.get(f"{SESSIONS}/{SESSION_ID}").respond(json={"data": CANCELED})

    session = await bsg.otp.cancel(SESSION_ID)

    assert session.status is OtpStatus.CANCELED and cancel.call_count == 1


async def test_cancel_of_a_failed_session_is_exhausted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(CANCEL).respond(422, json=refusal("Authentication failed status"))

    with pytest.raises(OtpExhaustedError):
        await bsg.otp.cancel(SESSION_ID)


async def test_get_decodes_the_session_with_its_messages(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{SESSIONS}/{SESSION_ID}").respond(json={"data": WITH_MESSAGES})

    session = await bsg.otp.get(SESSION_ID)

    assert session.sms_sender == "sender_alt" and session.validity == timedelta(seconds=30)
    assert session.price == Decimal("50.25")
    assert session.finished_at == datetime(2000, 1, 23, 4, 56, 7, tzinfo=timezone.utc)
    assert session.messages == (
        OtpMessage(
            id=1445088940,
            status=OtpMessageStatus.ACCEPTED,
            channel=OtpChannel.SMS,
            to="380501403813",
            sender="testsms",
            price=Decimal("0.0642918"),
            currency="EUR",
            created_at=datetime(2022, 4, 18, 10, 55, 35),
            sent_at=datetime(2022, 4, 18, 11, 0, 30),
        ),
    )


async def test_get_keeps_unknown_statuses(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    message = {**WITH_MESSAGES["messages"][0], "status": "delivered", "channel": "rcs"}
    respx_mock.get(f"{SESSIONS}/{SESSION_ID}").respond(
        json={"data": {**WITH_MESSAGES, "status": "Archived", "messages": [message]}}
    )

    session = await bsg.otp.get(SESSION_ID)

    assert session.status == UnknownStatus("Archived")
    assert session.messages[0].status == "delivered" and session.messages[0].channel == "rcs"


async def test_an_undecodable_session_names_the_path(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{SESSIONS}/{SESSION_ID}").respond(
        json={"data": {**PENDING, "code_lifetime": "five minutes"}}
    )

    with pytest.raises(UnexpectedResponseError) as caught:
        await bsg.otp.get(SESSION_ID)

    assert caught.value.field == "$.code_lifetime"


# -- list ------------------------------------------------------------------------------------


def serve_list(items: list[dict[str, Any]]) -> Any:
    """A 2FA list over `items`: `{"data": {"total", "list"}}`, honouring the page."""

    def respond(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["page[offset]"])
        limit = int(request.url.params["page[limit]"])
        page = items[offset : offset + limit]
        return httpx.Response(200, json={"data": {"total": len(items), "list": page}})

    return respond


async def test_list_pages_through_every_session_with_the_filters(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    items = [{**WITH_MESSAGES, "id": f"{n:08d}-0000-4000-8000-000000000000"} for n in range(25)]
    route = respx_mock.get(SESSIONS).mock(side_effect=serve_list(items))

    sessions = [
        session
        async for session in bsg.otp.list(
            created_from=date(2022, 12, 1),
            created_to=date(2022, 12, 31),
            status=OtpStatus.VERIFIED,
            channel="SMS",
            to="+380501403813",
            country="fr",
            page_size=10,
        )
    ]

    assert [s.id for s in sessions] == [item["id"] for item in items]
    assert route.call_count == 3
    params = route.calls[0].request.url.params
    assert dict(params) == {
        "filter[from]": "2022-12-01",
        "filter[to]": "2022-12-31",
        "filter[status]": "verified",
        "filter[channel]": "sms",
        "filter[recipient]": "380501403813",
        "filter[country_code]": "FR",
        "page[offset]": "0",
        "page[limit]": "10",
    }


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"created_from": "2022-12-01"}, "created_from"),
        ({"created_to": None}, "created_to"),
        ({"created_to": datetime(2022, 12, 31, 23, 0)}, "created_to"),
        ({"created_to": date(2022, 11, 30)}, "created_to"),
        ({"status": "lost"}, "status"),
        ({"channel": "rcs"}, "channel"),
        ({"to": "123"}, "to"),
        ({"country": "FRA"}, "country"),
        ({"page_size": 9}, "page_size"),
        ({"page_size": 501}, "page_size"),
    ],
)
def test_list_refuses_a_bad_argument_at_once(
    bsg: AsyncBSG, options: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {
        "created_from": date(2022, 12, 1),
        "created_to": date(2022, 12, 31),
    }

    with pytest.raises(InvalidParameterError) as caught:
        bsg.otp.list(**(arguments | options))

    assert caught.value.field == field


# -- templates -------------------------------------------------------------------------------


async def test_create_template_posts_the_documented_body(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(TEMPLATES).respond(json={"data": TEMPLATE})

    template = await bsg.otp.templates.create(
        name="template name", text="test code is {code2fa}", countries=["ua", "PT", "AD", "IT"]
    )

    assert sent(route) == {
        "name": "template name",
        "text": "test code is {code2fa}",
        "countries": ["UA", "PT", "AD", "IT"],
    }
    assert template == OtpTemplate(
        id=515,
        name="template name",
        text="test code is {code2fa}",
        countries=("UA", "PT", "AD", "IT"),
        status=OtpTemplateStatus.REQUESTED,
        updated_at=datetime(2000, 1, 23, 4, 56, 7, tzinfo=timezone.utc),
    )


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"name": "ab"}, "name"),
        ({"name": "n" * 51}, "name"),
        ({"text": "no placeholder"}, "text"),
        ({"text": "{code2fa} and {code2fa}"}, "text"),
        ({"countries": ["UKR"]}, "countries[0]"),
        ({"countries": ["UA", 7]}, "countries[1]"),
    ],
)
async def test_create_template_refuses_a_bad_value_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, options: dict[str, Any], field: str
) -> None:
    arguments: dict[str, Any] = {"name": "login", "text": "Code: {code2fa}"}

    with pytest.raises(InvalidParameterError) as caught:
        await bsg.otp.templates.create(**(arguments | options))

    assert caught.value.field == field
    assert not respx_mock.calls


async def test_a_template_create_whose_fate_is_unknown_is_not_repeated(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(TEMPLATES).mock(side_effect=httpx.ReadTimeout("lost"))

    with pytest.raises(TransportError) as caught:
        await bsg.otp.templates.create(name="login", text="Code: {code2fa}")

    assert caught.value.may_have_been_accepted and route.call_count == 1
    assert "countries" not in json.loads(route.calls[0].request.content)


async def test_get_list_and_delete_templates(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{TEMPLATES}/515").respond(json={"data": TEMPLATE})
    listed = respx_mock.get(TEMPLATES).mock(
        side_effect=serve_list([{**TEMPLATE, "template_id": n} for n in range(1, 13)])
    )
    deleted = respx_mock.delete(f"{TEMPLATES}/515").respond(
        json={"data": {"status": "Successfully removed"}}
    )

    template = await bsg.otp.templates.get(515)
    ids = [t.id async for t in bsg.otp.templates.list(status="requested", page_size=10)]
    await bsg.otp.templates.delete(515)

    assert template.id == 515 and template.status is OtpTemplateStatus.REQUESTED
    assert ids == list(range(1, 13)) and listed.call_count == 2
    assert listed.calls[0].request.url.params["filter[status]"] == "requested"
    assert deleted.call_count == 1


async def test_the_default_template_cannot_be_deleted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    text = "Default template is not available for deletion"
    respx_mock.delete(f"{TEMPLATES}/1").respond(
        422, json=refusal(text, "The given data was invalid.")
    )

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.otp.templates.delete(1)

    assert caught.value.errors == {"": (text,)}


@pytest.mark.parametrize("template_id", [0, -1, 10**9, "515", True])
async def test_a_bad_template_id_is_refused_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, template_id: Any
) -> None:
    for call in (bsg.otp.templates.get, bsg.otp.templates.delete):
        with pytest.raises(InvalidParameterError):
            await call(template_id)
    with pytest.raises(InvalidParameterError):
        bsg.otp.templates.list(status="pending")
    assert not respx_mock.calls


# -- price -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "price"),
    [
        ({"price": 0.0542, "currency": "EUR"}, Decimal("0.0542")),
        ({"full_price": "0.0500000"}, Decimal("0.0500000")),
        ({"amount": {"value": 0.1, "currency": "EUR"}}, Decimal("0.1")),
        (0.07, Decimal("0.07")),
    ],
)
async def test_price_reads_the_full_price(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route, data: Any, price: Decimal
) -> None:
    route = respx_mock.get(PRICE).respond(json={"data": data})

    quoted = await bsg.otp.price(currency="EUR", country="ua", operator_id=1, tariff=28)

    assert quoted == price and isinstance(quoted, Decimal)
    assert dict(route.calls[0].request.url.params) == {
        "channel_type": "sms",
        "currency": "EUR",
        "tariff_code": "28",
        "country_code": "UA",
        "operator_id": "1",
    }


@pytest.mark.parametrize("data", [{}, {"price": "free"}, {"price": True}, []])
async def test_a_price_answer_without_a_price_names_the_path(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route, data: Any
) -> None:
    respx_mock.get(PRICE).respond(json={"data": data})

    with pytest.raises(UnexpectedResponseError) as caught:
        await bsg.otp.price(currency="EUR")

    assert caught.value.field == "$.data.price"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"channel": "viber"}, "channel"),
        ({"currency": ""}, "currency"),
        ({"country": "Ukraine"}, "country"),
        ({"operator_id": 0}, "operator_id"),
        ({"tariff": -1}, "tariff"),
    ],
)
async def test_price_refuses_a_bad_argument(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, options: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.otp.price(**({"currency": "EUR"} | options))

    assert caught.value.field == field
    assert not respx_mock.calls


# -- the error tree ------------------------------------------------------------------------------


def test_otp_refusals_are_matched_by_their_exact_text_only() -> None:
    from bsg_async.errors import error_for_status

    wrong = error_for_status(
        404, "TwoFA Service error.", errors={"": ["the code does not match the expected value."]}
    )
    other = error_for_status(404, "TwoFA Service error.", errors={"": ["Authentication gone"]})
    fielded = error_for_status(422, "x", errors={"access_code": ["Authentication expired"]})
    throttled = error_for_status(429, "x", errors={"": ["Authentication expired"]})

    assert type(wrong) is OtpWrongCodeError
    assert type(other) is NotFoundError
    assert type(fielded) is InvalidRequestError
    assert type(throttled) is RateLimitError
