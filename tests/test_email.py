"""`bsg.email`: emails on the One-API, through the public API.

respx checks the bodies against BSG's OpenAPI description (its request examples, written out
here) and the retry rule for a request without a reference; FakeBSG serves both endpoints.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    EmailInline,
    EmailReceipt,
    InvalidParameterError,
    InvalidRequestError,
    RetryPolicy,
    ServerError,
)
from bsg_async.testing import FakeBSG

from .conftest import API_KEY, ONE_API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY2NvdW50In0.c2ln"
SEND = f"{ONE_API}/api/email/send-emails"
TEMPLATE = f"{ONE_API}/api/email/send-template-emails"
SENDER = "Test.email 11_22 <user@test1.email.bsg.world>"
HTML = "<html><body><h1>Visit site</h1></body></html>"
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR4nGNgYAAAAAMAASsJTYQAAAAASUVORK5CYII="
)
ANSWER = {"message_id": "67fe4606277a9b4fbf8e6fbb"}  # the description's EmailResponse example


@pytest.fixture
def login(respx_mock: respx.MockRouter) -> respx.Route:
    return respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})


def body(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


async def test_send_writes_the_description_example_with_an_inline(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(201, json=ANSWER)

    receipt = await bsg.email.send(
        to=["user@test.com"],
        sender=SENDER,
        subject="test1",
        html=HTML,
        inlines=[EmailInline("books.jpg", "books", "image/jpeg", PIXEL)],
    )

    assert receipt == EmailReceipt("67fe4606277a9b4fbf8e6fbb")
    assert body(route) == {
        "to": ["user@test.com"],
        "from": SENDER,
        "subject": "test1",
        "htmlbody": HTML,
        "inlines": [
            {
                "name": "books.jpg",
                "cid": "books",
                "content_type": "image/jpeg",
                "content": base64.b64encode(PIXEL).decode(),
            }
        ],
    }


async def test_send_template_writes_variables_as_template_content(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(TEMPLATE).respond(201, json={"data": ANSWER})  # wrapped: accepted

    receipt = await bsg.email.send_template(
        to="user@test.com",
        sender=SENDER,
        subject="test1",
        template_id=19,
        variables={"recipients_name": "Test User", "company_name": "Company Name"},
    )

    assert receipt.id == "67fe4606277a9b4fbf8e6fbb"
    assert body(route) == {
        "to": ["user@test.com"],
        "from": SENDER,
        "subject": "test1",
        "template_id": 19,
        "template_content": {"recipients_name": "Test User", "company_name": "Company Name"},
    }


async def test_a_plain_text_body_goes_as_body(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).respond(201, json=ANSWER)

    await bsg.email.send(to="a@b.co", sender="a@b.co", subject="s", html=HTML, text="plain")

    assert body(route)["body"] == "plain"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"to": []}, "to"),
        ({"to": ["nobody"]}, "to[0]"),
        ({"to": ["a@b.co", "A@b.co"]}, "to[1]"),
        ({"to": [f"{n}@b.co" for n in range(51)]}, "to"),
        ({"to": ["x" * 46 + "@b.co"]}, "to[0]"),
        ({"sender": "Shop"}, "sender"),
        ({"subject": ""}, "subject"),
        ({"subject": "s" * 999}, "subject"),
        ({"html": "x" * 100_001}, "html"),
        ({"text": ""}, "text"),
        ({"inlines": ["logo.png"]}, "inlines[0]"),
        ({"inlines": [EmailInline("a.jpg", "a", "image/jpeg", PIXEL)] * 101}, "inlines"),
    ],
)
async def test_bad_email_arguments_are_refused_before_sending(
    bsg: AsyncBSG, arguments: dict[str, Any], field: str
) -> None:
    good: dict[str, Any] = {"to": "a@b.co", "sender": "a@b.co", "subject": "s", "html": HTML}
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.email.send(**{**good, **arguments})
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"template_id": 0}, "template_id"),
        ({"variables": {"name": 5}}, "variables['name']"),
        ({"variables": ["name"]}, "variables"),
    ],
)
async def test_bad_template_arguments_are_refused_before_sending(
    bsg: AsyncBSG, arguments: dict[str, Any], field: str
) -> None:
    good: dict[str, Any] = {"to": "a@b.co", "sender": "a@b.co", "template_id": 19}
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.email.send_template(**{**good, **arguments})
    assert caught.value.field == field


def test_an_inline_needs_bytes_and_hides_them_from_its_repr() -> None:
    with pytest.raises(InvalidParameterError, match="content"):
        EmailInline("a.png", "a", "image/png", b"")
    assert "secret-bytes" not in repr(EmailInline("a.png", "a", "image/png", b"secret-bytes"))


async def test_an_email_that_may_have_gone_out_is_never_resent(
    respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).mock(side_effect=[httpx.Response(502), httpx.Response(201)])
    async with AsyncBSG(
        api_key=API_KEY, one_api_url=ONE_API, retry=RetryPolicy(max_attempts=3, base_delay=0)
    ) as bsg:
        with pytest.raises(ServerError) as caught:
            await bsg.email.send(to="a@b.co", sender="a@b.co", subject="s", html=HTML)

    assert caught.value.may_have_been_accepted
    assert route.call_count == 1


async def test_an_email_that_surely_did_not_leave_is_retried(
    respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(SEND).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(201, json=ANSWER)]
    )
    async with AsyncBSG(
        api_key=API_KEY, one_api_url=ONE_API, retry=RetryPolicy(max_attempts=3, base_delay=0)
    ) as bsg:
        receipt = await bsg.email.send(to="a@b.co", sender="a@b.co", subject="s", html=HTML)

    assert receipt.id == ANSWER["message_id"]
    assert route.call_count == 2


async def test_the_fake_keeps_what_it_was_sent() -> None:
    fake = FakeBSG(seed=3)
    async with AsyncBSG(api_key="test_k", transport=fake.transport) as bsg:
        first = await bsg.email.send(
            to=["ann@example.com", "bob@example.com"],
            sender=SENDER,
            subject="Hello",
            html=HTML,
            inlines=[EmailInline("books.jpg", "books", "image/jpeg", PIXEL)],
        )
        second = await bsg.email.send_template(
            to="ann@example.com", sender=SENDER, template_id=19, variables={"name": "Ann"}
        )

    assert first.id == "67fe4606277a9b4fbf8e6fbb" != second.id
    sent = fake.email.sent
    assert [email.message_id for email in sent] == [first.id, second.id]
    assert sent[0].to == ("ann@example.com", "bob@example.com")
    assert sent[0].inlines == 1
    assert (sent[1].template_id, dict(sent[1].variables), sent[1].html) == (
        19,
        {"name": "Ann"},
        None,
    )


@pytest.mark.parametrize(
    ("path", "payload", "fields"),
    [
        ("send-emails", {}, {"to", "from", "subject", "htmlbody"}),
        (
            "send-emails",
            {"to": ["x", "a@b.co", "a@b.co"], "from": "Shop", "subject": "s", "htmlbody": "h"},
            {"to.0", "to.2", "from"},
        ),
        (
            "send-emails",
            {
                "to": ["a@b.co"],
                "from": "a@b.co",
                "subject": "s",
                "htmlbody": "h",
                "inlines": [{"name": "n", "cid": "c", "content_type": "t", "content": "!!"}],
            },
            {"inlines.0.content"},
        ),
        ("send-emails", {"to": "a@b.co", "from": "a@b.co", "htmlbody": "h"}, {"to", "subject"}),
        (
            "send-template-emails",
            {"to": ["a@b.co"], "from": "a@b.co", "template_content": []},
            {"template_id", "template_content"},
        ),
        (
            "send-template-emails",
            {"to": ["a@b.co"], "from": "a@b.co", "template_id": 1, "inlines": {}},
            {"inlines"},
        ),
    ],
)
async def test_the_fake_refuses_as_the_description_types_the_fields(
    path: str, payload: Any, fields: set[str]
) -> None:
    fake = FakeBSG(seed=1)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app), base_url="http://fake"
    ) as http:
        login = await http.post("/api/auth/login", json={"api_key": "test_k"})
        headers = {"Authorization": f"Bearer {login.json()['bearer']}"}
        answer = await http.post(f"/api/email/{path}", json=payload, headers=headers)

    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == fields
    assert not fake.email.sent


async def test_a_refusal_names_the_field(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(SEND).respond(
        422, json={"message": "The given data was invalid.", "errors": {"from": ["Unknown."]}}
    )
    with pytest.raises(InvalidRequestError) as caught:
        await bsg.email.send(to="a@b.co", sender="a@b.co", subject="s", html=HTML)
    assert dict(caught.value.errors) == {"from": ("Unknown.",)}
    assert caught.value.field == "from"
