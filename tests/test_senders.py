"""`bsg.senders`: sender names and their registration, through the public API.

respx checks the requests against BSG's OpenAPI description and decodes its example answers
(written out here); FakeBSG runs a registration from request to a usable sender name.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    InvalidParameterError,
    RateLimitError,
    Sender,
    SenderRequest,
    SenderRequestStatus,
    SenderStatus,
    UnknownStatus,
)
from bsg_async.testing import FakeBSG

from .conftest import ONE_API

# The description's example legal name (Cyrillic, as a user in Ukraine writes it).
LEGAL_NAME = "\u0422\u041e\u0412 \u00abNova Poshta\u00bb"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY2NvdW50In0.c2ln"
SENDERS = f"{ONE_API}/api/senders"
REQUESTS = f"{ONE_API}/api/senders/requests/sms"
LEGAL = f"{ONE_API}/api/senders/requests/legal"
NATURAL = f"{ONE_API}/api/senders/requests/natural"

# The description's examples (Senders200Response, SenderRequests200Response,
# SenderRequestNatural201Response).
SENDER = {
    "country": "",
    "sender": "testsms",
    "created_at": "2000-01-23T04:56:07.000+00:00",
    "id": 1,
    "is_default": False,
    "status": "active",
}
REQUEST = {
    "address": "03026, м. Київ, Столичне шосе, 103, корпус 1, поверх 9.",
    "registered_at": "2000-01-23T04:56:07.000+00:00",
    "informing_purpose": "notifications for customers",
    "status_changed_at": "2000-01-23T04:56:07.000+00:00",
    "created_at": "2000-01-23T04:56:07.000+00:00",
    "description": "Flower selling",
    "type": "sms",
    "country_code": "UA",
    "site_url": "https://bsg.world",
    "sender": "testsms",
    "tax_number": "13167116014",
    "name": "Oleksander Melnik",
    "rejection_reason": "rejection_reason",
    "comment": "",
    "id": 1234,
    "legal_name": LEGAL_NAME,
    "code_of_company": "31316718",
    "status": "new",
}
NATURAL_ANSWER = {
    "data": {
        "id": 11631,
        "name": "Oleksander Melnik",
        "status": "new",
        "type": "sms",
        "created_at": "2025-03-28 10:04:14",
        "country_code": "UA",
        "sender": "testsms",
        "code_of_company": "00032106",
        "site_url": "https://bsg.world",
        "informing_purpose": "notifications for customers",
        "comment": "",
        "description": "Flower selling",
    }
}
LEGAL_ARGUMENTS: dict[str, Any] = {
    "sender": "testsms",
    "country": "ua",
    "company_code": "31316718",
    "tax_number": "13167116014",
    "legal_name": LEGAL_NAME,
    "address": "03026, м. Київ, Столичне шосе, 103",
    "description": "Flower selling",
    "purpose": "notifications for customers",
    "site_url": "https://bsg.world",
}


@pytest.fixture
def login(respx_mock: respx.MockRouter) -> respx.Route:
    return respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})


def body(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


async def test_registered_senders_decode_the_description_example(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(SENDERS).respond(json={"total": 1, "data": [SENDER]})

    senders = await bsg.senders.registered("viber")

    assert senders == (
        Sender(
            sender="testsms",
            id=1,
            status=SenderStatus.ACTIVE,
            country="",
            created_at=datetime(2000, 1, 23, 4, 56, 7, tzinfo=timezone.utc),
            is_default=False,
        ),
    )
    assert route.calls.last.request.url.params["type"] == "viber"


async def test_sender_requests_page_and_filter(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(REQUESTS).respond(
        json={"data": [REQUEST], "meta": {"page": {"total": 1, "offset": 0, "limit": 50}}}
    )

    found = [r async for r in bsg.senders.requests(status="NEW", sender="testsms", country="ua")]

    params = route.calls.last.request.url.params
    assert (params["filter[status]"], params["filter[sender]"]) == ("new", "testsms")
    assert params["filter[country_code]"] == "UA"
    assert params["page[limit]"] == "50"
    (request,) = found
    assert request.status is SenderRequestStatus.NEW
    assert (request.country, request.company_code, request.person_name) == (
        "UA",
        "31316718",
        "Oleksander Melnik",
    )
    assert request.purpose == "notifications for customers"
    assert request.channel == "sms"


async def test_register_legal_sends_both_spellings_of_name_and_address(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(LEGAL).respond(201, json={"data": REQUEST})

    request = await bsg.senders.register_legal(**LEGAL_ARGUMENTS)

    assert request.id == 1234
    assert body(route) == {
        "type": "sms",
        "sender": "testsms",
        "country_code": "UA",
        "code_of_company": "31316718",
        "tax_number": "13167116014",
        "legal_name": LEGAL_NAME,
        "juridical_name": LEGAL_NAME,
        "address": "03026, м. Київ, Столичне шосе, 103",
        "juridical_address": "03026, м. Київ, Столичне шосе, 103",
        "description": "Flower selling",
        "informing_purpose": "notifications for customers",
        "site_url": "https://bsg.world",
    }


async def test_register_natural_decodes_the_description_example(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(NATURAL).respond(201, json=NATURAL_ANSWER)

    request = await bsg.senders.register_natural(
        sender="testsms",
        country="UA",
        company_code="00032106",
        person_name="Oleksander Melnik",
        description="Flower selling",
        purpose="notifications for customers",
        comment="call me",
    )

    assert request == SenderRequest(
        id=11631,
        sender="testsms",
        status=SenderRequestStatus.NEW,
        channel="sms",
        country="UA",
        company_code="00032106",
        person_name="Oleksander Melnik",
        site_url="https://bsg.world",
        description="Flower selling",
        purpose="notifications for customers",
        comment="",
        created_at=datetime(2025, 3, 28, 10, 4, 14),
    )
    assert body(route)["name"] == "Oleksander Melnik"
    assert body(route)["comment"] == "call me"


async def test_an_unknown_status_is_kept(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(SENDERS).respond(json={"data": [{**SENDER, "status": "frozen"}]})

    (sender,) = await bsg.senders.registered()

    assert sender.status == UnknownStatus("frozen")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"sender": "much too long name"}, "sender"),
        ({"country": "UKR"}, "country"),
        ({"company_code": "1" * 31}, "company_code"),
        ({"tax_number": ""}, "tax_number"),
        ({"legal_name": "x" * 101}, "legal_name"),
        ({"address": "x" * 201}, "address"),
        ({"description": "x" * 1001}, "description"),
        ({"purpose": " "}, "purpose"),
        ({"site_url": "ftp://x.example"}, "site_url"),
        ({"site_url": "http://" + "x" * 150}, "site_url"),
        ({"comment": ""}, "comment"),
    ],
)
async def test_bad_registration_fields_are_refused_before_sending(
    bsg: AsyncBSG, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.senders.register_legal(**{**LEGAL_ARGUMENTS, **change})
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("arguments", "field"),
    [({"status": "done"}, "status"), ({"id": 0}, "id"), ({"page_size": 20}, "page_size")],
)
def test_bad_request_filters_are_refused_at_once(arguments: dict[str, Any], field: str) -> None:
    bsg = AsyncBSG(api_key="k")
    with pytest.raises(InvalidParameterError) as caught:
        bsg.senders.requests(**arguments)
    assert caught.value.field == field


async def test_a_bad_channel_is_refused(bsg: AsyncBSG) -> None:
    with pytest.raises(InvalidParameterError, match="channel"):
        await bsg.senders.registered("email")  # type: ignore[arg-type]


# -- against FakeBSG ---------------------------------------------------------------------------


@pytest.fixture
async def faked() -> AsyncIterator[tuple[FakeBSG, AsyncBSG]]:
    fake = FakeBSG(seed=5)
    async with AsyncBSG(api_key="test_k", transport=fake.transport) as bsg:
        yield fake, bsg


async def test_a_registration_from_request_to_usable_name(
    faked: tuple[FakeBSG, AsyncBSG],
) -> None:
    fake, bsg = faked
    assert [s.sender for s in await bsg.senders.registered()] == ["BSG"]

    request = await bsg.senders.register_legal(**LEGAL_ARGUMENTS)
    with pytest.raises(RateLimitError):  # the same name and country again, while pending
        await bsg.senders.register_legal(**LEGAL_ARGUMENTS)
    fake.senders.decide(request.id, "registered")

    (done,) = [r async for r in bsg.senders.requests(id=request.id)]
    assert done.status is SenderRequestStatus.REGISTERED
    assert done.legal_name == LEGAL_ARGUMENTS["legal_name"]
    assert [s.sender for s in await bsg.senders.registered()] == ["BSG", "testsms"]
    assert [s.sender for s in await bsg.senders.registered("viber")] == ["BSG"]


async def test_the_fake_lists_requests_by_status_in_pages(
    faked: tuple[FakeBSG, AsyncBSG],
) -> None:
    fake, bsg = faked
    made = [
        await bsg.senders.register_natural(
            sender=f"Shop{n}",
            country="UA",
            company_code="00032106",
            person_name="Ann",
            description="d",
            purpose="p",
        )
        for n in range(35)
    ]
    fake.senders.decide(made[3].id, "rejected", "no documents")

    rejected = [r async for r in bsg.senders.requests(status=SenderRequestStatus.REJECTED)]
    new = [r async for r in bsg.senders.requests(status="new", page_size=30)]

    assert [(r.sender, r.rejection_reason) for r in rejected] == [("Shop3", "no documents")]
    assert len(new) == 34


@pytest.mark.parametrize(
    ("path", "payload", "fields"),
    [
        ("legal", {}, {"type", "sender", "country_code", "code_of_company", "description"}),
        (
            "natural",
            {"type": "sms", "sender": "Shop", "country_code": "UA", "site_url": "bsg.world"},
            {"code_of_company", "description", "informing_purpose", "name", "site_url"},
        ),
    ],
)
async def test_the_fake_refuses_registrations_per_field(
    path: str, payload: Any, fields: set[str]
) -> None:
    fake = FakeBSG(seed=1)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app), base_url="http://fake"
    ) as http:
        login = await http.post("/api/auth/login", json={"api_key": "test_k"})
        headers = {"Authorization": f"Bearer {login.json()['bearer']}"}
        answer = await http.post(f"/api/senders/requests/{path}", json=payload, headers=headers)
        no_type = await http.get("/api/senders", headers=headers)
        bad_filter = await http.get(
            "/api/senders/requests/sms?filter[status]=done&filter[id]=x", headers=headers
        )

    assert answer.status_code == 422
    assert fields <= set(answer.json()["errors"])
    assert no_type.status_code == 422
    assert set(bad_filter.json()["errors"]) == {"filter.status", "filter.id"}


def test_the_fake_refuses_an_unknown_status_or_request() -> None:
    fake = FakeBSG(seed=1)
    with pytest.raises(ValueError, match="status"):
        fake.senders.decide(1, "maybe")
    with pytest.raises(KeyError):
        fake.senders.decide(1, "registered")
    with pytest.raises(ValueError, match="channel"):
        fake.senders.add("X", channel="email")
    assert fake.senders.add("Promo", status="blocked").status == "blocked"
    assert len(fake.senders.registered) == 3
