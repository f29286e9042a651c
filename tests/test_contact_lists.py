"""`bsg.contact_lists` and `bsg.stop_list` over mocked HTTP: requests valid per BSG's OpenAPI
description, its example answers decoded, bad input refused before sending."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    ContactList,
    InvalidParameterError,
    InvalidRequestError,
    SearchCriterion,
    StopListChannel,
    StopListEntry,
    UnexpectedResponseError,
)

from .conftest import ONE_API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsaXN0cyJ9.c2ln"
GROUPS = f"{ONE_API}/api/groups"
STOP = f"{ONE_API}/api/stoplist"

# The description's example answers.
LIST_1: dict[str, Any] = {  # `POST /api/groups` 201 "required", `GET /api/groups/{id}`
    "id": 1864620,
    "name": "List 1",
    "description": "crm leads 2025 export",
    "default": False,
    "created_at": "2025-02-27 11:48:13",
    "items": 0,
    "stop_list_count": 0,
}
SEVERAL: dict[str, Any] = {  # `GET /api/groups` "several"
    "data": [
        {
            "id": 1864619,
            "name": "Import XLS",
            "description": None,
            "default": False,
            "created_at": "2025-02-27 11:48:13",
            "items": 10000,
            "stop_list_count": 0,
        },
        {
            "id": 1864580,
            "name": "List / 09.01.2025 / 10:31:55",
            "description": None,
            "default": False,
            "created_at": "2025-01-09 08:31:58",
            "items": 10000,
            "stop_list_count": 0,
        },
    ],
    "total": 2,
}
FOUND_LIST: dict[str, Any] = {  # `GET /api/groups/search` "single"
    "data": [
        {
            "id": 1864618,
            "name": "1111",
            "description": None,
            "is_default": False,
            "items": 1001,
            "created_at": "2025-02-19 14:50:21",
        }
    ],
    "meta": {
        "page": {"limit": 15, "offset": 0, "total": 1},
        "search": {"field": "phone", "operator": "=", "value": "380965901726"},
    },
}
STOPPED: dict[str, Any] = {  # `GET /api/stoplist/search` "single"
    "id": 24142096,
    "phone": 38267168999,
    "created_at": "2025-03-27 09:05:57",
    "sms_stoplist": False,
    "viber_stoplist": True,
    "rcs_stoplist": False,
}
COLLECTION: dict[str, Any] = {  # `StopListCollection`'s example
    "phone": 380661231231,
    "sms_stoplist": True,
    "created_at": "2025-03-27 09:05:57",
    "id": 9392897,
    "viber_stoplist": True,
    "rcs_stoplist": True,
}
TAKEN = {"message": "Contact group is already exists", "errors": []}


@pytest.fixture
def login(respx_mock: respx.MockRouter) -> respx.Route:
    return respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})


def sent(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


# -- contact lists -----------------------------------------------------------------------------


async def test_create_sends_the_documented_full_body_and_decodes_the_answer(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(GROUPS).respond(201, json={"data": LIST_1})

    created = await bsg.contact_lists.create(
        "List 2", description="crm leads 2025 export", is_default=False
    )

    assert sent(route) == {
        "name": "List 2",
        "description": "crm leads 2025 export",
        "default": False,
    }
    assert created == ContactList(
        id=1864620,
        name="List 1",
        description="crm leads 2025 export",
        is_default=False,
        contact_count=0,
        stop_list_count=0,
        created_at=datetime(2025, 2, 27, 11, 48, 13),
    )


async def test_create_with_only_the_name(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(GROUPS).respond(201, json={"data": LIST_1})

    await bsg.contact_lists.create("new list 123")

    assert sent(route) == {"name": "new list 123"}


async def test_create_whose_answer_was_lost_returns_the_list_it_made(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(GROUPS).side_effect = [
        httpx.ReadTimeout("lost"),
        httpx.Response(422, json=TAKEN),
    ]
    found = {**FOUND_LIST, "data": [{**FOUND_LIST["data"][0], "name": "List 1", "id": 1864620}]}
    search = respx_mock.get(f"{GROUPS}/search").respond(json=found)

    created = await bsg.contact_lists.create("List 1")

    assert created.id == 1864620
    assert search.calls.last.request.url.params["search[field]"] == "name"


async def test_create_of_a_taken_name_is_refused(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(GROUPS).respond(422, json=TAKEN)

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.contact_lists.create("List 1")

    assert caught.value.description == "Contact group is already exists"


async def test_get_update_delete(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{GROUPS}/1864620").respond(json={"data": LIST_1})
    update = respx_mock.put(f"{GROUPS}/1864620").respond(json={"data": {**LIST_1, "name": "L2"}})
    delete = respx_mock.delete(f"{GROUPS}/1864620").respond(204)

    got = await bsg.contact_lists.get(1864620)
    updated = await bsg.contact_lists.update(1864620, name="List 2", description="x")
    await bsg.contact_lists.delete(1864620)

    assert got.name == "List 1" and got.contact_count == 0
    assert sent(update) == {"name": "List 2", "description": "x"} and updated.name == "L2"
    assert delete.called


async def test_list_decodes_the_documented_page(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(GROUPS).respond(json=SEVERAL)

    found = [c async for c in bsg.contact_lists.list()]

    assert [(c.id, c.contact_count) for c in found] == [(1864619, 10000), (1864580, 10000)]


async def test_search_decodes_the_documented_answer_spelled_is_default(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(f"{GROUPS}/search").respond(json=FOUND_LIST)

    found = [
        c
        async for c in bsg.contact_lists.search(
            SearchCriterion("phone", "=", "380965901726"), sort="contact_count"
        )
    ]

    assert found == [
        ContactList(
            id=1864618,
            name="1111",
            is_default=False,
            contact_count=1001,
            created_at=datetime(2025, 2, 19, 14, 50, 21),
        )
    ]
    params = route.calls.last.request.url.params
    assert (params["search[field]"], params["search[value]"], params["sort"]) == (
        "phone",
        "380965901726",
        "items",
    )


async def test_attach_and_detach_send_the_documented_body(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    attach = respx_mock.post(f"{GROUPS}/attach").respond(json={})
    detach = respx_mock.post(f"{GROUPS}/detach").respond(json={})
    body = {"contacts": [248452959, 248452739, 248452740], "groups": [1864623, 1864621]}

    await bsg.contact_lists.attach(body["contacts"], contact_lists=body["groups"])
    await bsg.contact_lists.detach(body["contacts"], contact_lists=body["groups"])

    assert sent(attach) == body and sent(detach) == body


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda b: b.contact_lists.create("ab"), "name"),
        (lambda b: b.contact_lists.create("x" * 51), "name"),
        (lambda b: b.contact_lists.create("List", description=""), "description"),
        (lambda b: b.contact_lists.create("List", is_default="no"), "is_default"),
        (lambda b: b.contact_lists.update(0, name="List"), "id"),
        (lambda b: b.contact_lists.get(True), "id"),
        (lambda b: b.contact_lists.attach([], contact_lists=[1]), "contacts"),
        (lambda b: b.contact_lists.attach(range(1, 202), contact_lists=[1]), "contacts"),
        (lambda b: b.contact_lists.detach([1], contact_lists=range(1, 102)), "contact_lists"),
    ],
)
async def test_bad_list_values_are_refused_before_sending(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, call: Any, field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await call(bsg)

    assert caught.value.field == field
    assert not respx_mock.calls


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda b: b.contact_lists.search(SearchCriterion(5, "=", "x")), "criteria[0].field"),
        (lambda b: b.contact_lists.search(SearchCriterion("id", "=", 1), sort="x"), "sort"),
        (lambda b: b.contact_lists.list(page_size=501), "page_size"),
        (lambda b: b.stop_list.list(channel="email"), "channel"),
        (lambda b: b.stop_list.search(SearchCriterion("name", "=", "x")), "criteria[0].field"),
        (
            lambda b: b.stop_list.search(SearchCriterion("id", "=", 1), descending="yes"),
            "descending",
        ),
        (
            lambda b: b.stop_list.search(SearchCriterion("id", "=", 1), contact_list=0),
            "contact_list",
        ),
    ],
)
def test_bad_search_arguments_are_refused_at_once(bsg: AsyncBSG, call: Any, field: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        call(bsg)

    assert caught.value.field == field


# -- the stop list -----------------------------------------------------------------------------


async def test_stop_list_add_sends_phones_as_integers_and_decodes_the_entries(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(f"{STOP}/attach").respond(json={"data": [COLLECTION]})

    entries = await bsg.stop_list.add(
        ["+380661231231", "380661231231"], channels=["sms", StopListChannel.VIBER, "RCS"]
    )

    assert sent(route) == {"phones": [380661231231], "types": ["sms", "viber", "rcs"]}
    assert entries == (
        StopListEntry(
            id=9392897,
            phone="380661231231",
            created_at=datetime(2025, 3, 27, 9, 5, 57),
            sms=True,
            viber=True,
            rcs=True,
        ),
    )
    assert entries[0].channels == {StopListChannel.SMS, StopListChannel.VIBER, StopListChannel.RCS}


async def test_stop_list_add_refuses_an_answer_without_a_data_list(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(f"{STOP}/attach").respond(json={})

    with pytest.raises(UnexpectedResponseError):
        await bsg.stop_list.add(["380661231231"], channels="sms")


async def test_stop_list_remove_sends_ids_and_types(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(f"{STOP}/detach").respond(json={})

    await bsg.stop_list.remove([9392897], channels=["whatsapp"])

    assert sent(route) == {"ids": [9392897], "types": ["whatsapp"]}


async def test_stop_list_list_and_search_decode_the_documented_answers(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    listed = respx_mock.get(STOP).respond(json={"data": [COLLECTION], "total": 1})
    meta = {
        "page": {"limit": 30, "offset": 0, "total": 1},
        "search": {"field": "phone", "operator": "=", "value": "38267168999"},
    }
    searched = respx_mock.get(f"{STOP}/search").respond(json={"data": [STOPPED], "meta": meta})

    all_rcs = [e async for e in bsg.stop_list.list(channel="rcs", page_size=20)]
    found = [
        e
        async for e in bsg.stop_list.search(
            SearchCriterion("channel", "=", "viber"), contact_list=1864618, sort="phone"
        )
    ]

    assert [e.id for e in all_rcs] == [9392897]
    assert listed.calls.last.request.url.params["type"] == "rcs"
    assert found[0].channels == {StopListChannel.VIBER} and found[0].phone == "38267168999"
    params = searched.calls.last.request.url.params
    assert (params["search[field]"], params["contact_group_id"], params["sort"]) == (
        "type",
        "1864618",
        "phone",
    )


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda b: b.stop_list.add([], channels=["sms"]), "phones"),
        (lambda b: b.stop_list.add("380661231231", channels=["sms"]), "phones"),
        (lambda b: b.stop_list.add(["12"], channels=["sms"]), "phones[0]"),
        (
            lambda b: b.stop_list.add(
                [str(380661231231 + n) for n in range(1001)], channels=["sms"]
            ),
            "phones",
        ),
        (lambda b: b.stop_list.add(["380661231231"], channels=[]), "channels"),
        (lambda b: b.stop_list.add(["380661231231"], channels=["fax"]), "channels[0]"),
        (lambda b: b.stop_list.remove([0], channels=["sms"]), "ids[0]"),
        (lambda b: b.stop_list.remove(range(1, 202), channels=["sms"]), "ids"),
    ],
)
async def test_bad_stop_list_values_are_refused_before_sending(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, call: Any, field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await call(bsg)

    assert caught.value.field == field
    assert not respx_mock.calls
