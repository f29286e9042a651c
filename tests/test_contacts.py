"""`bsg.contacts` and `bsg.contacts.fields` over mocked HTTP: request bodies and queries valid
per BSG's OpenAPI description, its example answers decoded, bad input refused before sending,
and a create whose answer was lost resolved without a second contact."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    Contact,
    ContactField,
    ContactFieldType,
    ContactList,
    InvalidParameterError,
    InvalidRequestError,
    SearchCriterion,
    SearchOperator,
    TransportError,
    UnexpectedResponseError,
)

from .conftest import ONE_API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjb250YWN0cyJ9.c2ln"
CONTACTS = f"{ONE_API}/api/contacts"

# The description's example answers (`GET /api/contacts/{id}`: "grouped" and "single").
LIST_1111: dict[str, Any] = {
    "id": 1864618,
    "name": "1111",
    "description": None,
    "default": False,
    "items": 0,
    "created_at": "2025-02-19 14:50:21",
    "stop_list_count": 0,
}
GROUPED: dict[str, Any] = {
    "id": 248452739,
    "phone": 380965901726,
    "fields": {"388077": "Zufafa"},
    "groups": [LIST_1111],
    "hlr_status": "unknown",
    "hlr_last_check": None,
    "created_at": "2025-02-19 14:51:44",
}
SINGLE: dict[str, Any] = {
    "id": 248452953,
    "phone": 380971443455,
    "fields": [],
    "groups": [],
    "hlr_status": "unknown",
    "hlr_last_check": None,
    "created_at": "2025-03-10 13:53:05",
}
# `POST /api/contacts` 201 "several"
CREATED: dict[str, Any] = {
    "id": 248452959,
    "phone": 61401629754,
    "fields": [],
    "created_at": "2025-03-13 14:51:33",
    "hlr_status": "unknown",
    "hlr_last_check": None,
    "groups": [],
}
# `PUT /api/contacts/{id}` 200 "full" (the embedded list without its counts)
UPDATED: dict[str, Any] = {
    "id": 248452959,
    "phone": 61401629754,
    "fields": {"387714": "Ilya Muromets"},
    "created_at": "2025-03-13 14:51:33",
    "hlr_status": "unknown",
    "hlr_last_check": None,
    "groups": [
        {
            "id": 1864618,
            "name": "1111",
            "description": None,
            "default": False,
            "created_at": "2025-02-19 14:50:21",
        }
    ],
}
# `ContactFieldSchema`'s example
FIELD: dict[str, Any] = {
    "is_visible": True,
    "name": "country",
    "description": "The country name",
    "id": 387714,
    "type": "text",
}
DUPLICATE = {"message": "Phone number is already exist in contact book", "errors": []}


@pytest.fixture
def login(respx_mock: respx.MockRouter) -> respx.Route:
    return respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})


def sent(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


# -- contacts ----------------------------------------------------------------------------------


async def test_get_decodes_the_documented_grouped_contact(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{CONTACTS}/248452739").respond(json={"data": GROUPED})

    contact = await bsg.contacts.get(248452739)

    assert contact == Contact(
        id=248452739,
        phone="380965901726",
        fields={388077: "Zufafa"},
        contact_lists=(
            ContactList(
                id=1864618,
                name="1111",
                description=None,
                is_default=False,
                contact_count=0,
                stop_list_count=0,
                created_at=datetime(2025, 2, 19, 14, 50, 21),
            ),
        ),
        hlr_status="unknown",
        hlr_last_check=None,
        created_at=datetime(2025, 2, 19, 14, 51, 44),
    )


async def test_get_reads_the_empty_fields_php_writes_as_a_list(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{CONTACTS}/248452953").respond(json={"data": SINGLE})

    contact = await bsg.contacts.get(248452953)

    assert (contact.phone, dict(contact.fields), contact.contact_lists) == ("380971443455", {}, ())


@pytest.mark.parametrize(
    "fields",
    [[{"388077": "Zufafa"}], [{"id": 388077, "value": "Zufafa"}], {"388077": "Zufafa"}],
)
async def test_get_reads_custom_values_in_every_shape_the_schema_allows(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route, fields: Any
) -> None:
    respx_mock.get(f"{CONTACTS}/1").respond(json={"data": {**GROUPED, "fields": fields}})

    contact = await bsg.contacts.get(1)

    assert dict(contact.fields) == {388077: "Zufafa"}


async def test_get_of_an_undecodable_custom_value_names_the_path(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{CONTACTS}/1").respond(json={"data": {**GROUPED, "fields": {"x": "y"}}})

    with pytest.raises(UnexpectedResponseError) as caught:
        await bsg.contacts.get(1)

    assert caught.value.field == "$.fields"


async def test_get_of_an_unknown_contact_is_the_documented_422(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{CONTACTS}/7").respond(
        422, json={"message": "Invalid contact id", "errors": []}
    )

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.contacts.get(7)

    assert caught.value.description == "Invalid contact id"


async def test_create_sends_the_documented_body_and_decodes_the_answer(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(CONTACTS).respond(201, json={"data": CREATED})

    contact = await bsg.contacts.create(
        "+61401629754", fields={387714: "ALESHA POPOVICH"}, contact_lists=[1864618]
    )

    assert sent(route) == {
        "phone": 61401629754,
        "fields": [{"id": 387714, "value": "ALESHA POPOVICH"}],
        "groups": [1864618],
    }
    assert contact.id == 248452959 and contact.phone == "61401629754"
    assert contact.created_at == datetime(2025, 3, 13, 14, 51, 33)


async def test_create_with_only_the_phone_sends_only_the_phone(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(CONTACTS).respond(201, json={"data": CREATED})

    await bsg.contacts.create("61401629754")

    assert sent(route) == {"phone": 61401629754}


async def test_create_of_a_phone_already_in_the_book_is_refused(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(CONTACTS).respond(422, json=DUPLICATE)
    search = respx_mock.get(f"{CONTACTS}/search")

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.contacts.create("61401629754")

    assert caught.value.description == DUPLICATE["message"]
    assert not caught.value.may_have_been_accepted
    assert not search.called  # a plain refusal: nothing to look up


async def test_create_whose_answer_was_lost_returns_the_contact_it_made(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    create = respx_mock.post(CONTACTS)
    create.side_effect = [httpx.ReadTimeout("lost"), httpx.Response(422, json=DUPLICATE)]
    search = respx_mock.get(f"{CONTACTS}/search").respond(
        json={"data": [CREATED], "meta": {"page": {"limit": 15, "offset": 0, "total": 1}}}
    )

    contact = await bsg.contacts.create("61401629754")

    assert create.call_count == 2
    assert contact.id == 248452959
    params = search.calls.last.request.url.params
    assert (params["search[field]"], params["search[operator]"]) == ("phone", "=")
    assert params["search[value]"] == "61401629754"


async def test_create_whose_answer_was_lost_and_contact_is_missing_raises(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(CONTACTS).side_effect = [
        httpx.ReadTimeout("lost"),
        httpx.Response(422, json=DUPLICATE),
    ]
    respx_mock.get(f"{CONTACTS}/search").respond(
        json={"data": [], "meta": {"page": {"limit": 15, "offset": 0, "total": 0}}}
    )

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.contacts.create("61401629754")

    assert caught.value.may_have_been_accepted


async def test_create_whose_lookup_fails_raises_the_create_error(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(CONTACTS).side_effect = [
        httpx.ReadTimeout("lost"),
        httpx.Response(422, json=DUPLICATE),
    ]
    respx_mock.get(f"{CONTACTS}/search").mock(side_effect=httpx.ConnectError("down"))

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.contacts.create("61401629754")

    assert isinstance(caught.value.__cause__, TransportError)


async def test_update_puts_the_documented_body(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.put(f"{CONTACTS}/248452959").respond(json={"data": UPDATED})

    contact = await bsg.contacts.update(
        248452959, phone="61401629754", fields={387714: "Ilya Muromets"}, contact_lists=[1864618]
    )

    assert sent(route) == {
        "phone": 61401629754,
        "fields": [{"id": 387714, "value": "Ilya Muromets"}],
        "groups": [1864618],
    }
    assert dict(contact.fields) == {387714: "Ilya Muromets"}
    assert contact.contact_lists[0].contact_count is None


async def test_delete_and_delete_many(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    one = respx_mock.delete(f"{CONTACTS}/248452959").respond(204)
    many = respx_mock.post(f"{CONTACTS}/delete").respond(204)

    await bsg.contacts.delete(248452959)
    await bsg.contacts.delete_many([248452959, 248452739, 248452959], contact_lists=[1864618])

    assert one.called
    url = many.calls.last.request.url
    assert url.params.get_list("contact_ids[]") == ["248452959", "248452739"]
    assert url.params.get_list("group_ids[]") == ["1864618"]
    assert many.calls.last.request.content == b""


async def test_delete_many_needs_ids_or_lists(bsg: AsyncBSG) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.contacts.delete_many()

    assert caught.value.field == "ids"


async def test_list_pages_through_the_documented_answer(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    second = {**GROUPED, "id": 248452740, "phone": 380934287926, "fields": {"388077": "Mezemka"}}
    route = respx_mock.get(CONTACTS).respond(json={"data": [GROUPED, second], "total": 2})

    found = [c async for c in bsg.contacts.list(contact_lists=[1864618], page_size=15)]

    assert [c.phone for c in found] == ["380965901726", "380934287926"]
    params = route.calls.last.request.url.params
    assert params.get_list("groups[]") == ["1864618"]
    assert (params["page[offset]"], params["page[limit]"]) == ("0", "15")


async def test_search_sends_one_criterion_as_search_and_decodes_the_example(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    answer = {
        "data": [{**GROUPED, "groups": [{k: v for k, v in LIST_1111.items() if k != "items"}]}],
        "meta": {
            "page": {"limit": 15, "offset": 0, "total": 1},
            "search": {"field": "388077", "operator": "=", "value": "Zufafa"},
        },
    }
    route = respx_mock.get(f"{CONTACTS}/search").respond(json=answer)

    found = [
        c
        async for c in bsg.contacts.search(
            SearchCriterion(388077, "=", "Zufafa"), sort="phone", descending=True, page_size=15
        )
    ]

    assert [c.id for c in found] == [248452739]
    params = dict(route.calls.last.request.url.params)
    assert params == {
        "search[field]": "388077",
        "search[operator]": "=",
        "search[value]": "Zufafa",
        "sort": "phone",
        "way": "desc",
        "page[offset]": "0",
        "page[limit]": "15",
    }


async def test_search_sends_several_criteria_as_search_fields(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(f"{CONTACTS}/search").respond(
        json={"data": [], "meta": {"page": {"limit": 50, "offset": 0, "total": 0}}}
    )
    criteria = [
        SearchCriterion("phone", SearchOperator.LIKE, "38096"),
        SearchCriterion("contact_list_id", "=", 1864618),
        SearchCriterion("created_at", ">=", datetime(2025, 2, 1)),
    ]

    assert [c async for c in bsg.contacts.search(criteria)] == []

    params = route.calls.last.request.url.params
    assert (params["search_fields[0][field]"], params["search_fields[0][operator]"]) == (
        "phone",
        "like",
    )
    assert (params["search_fields[1][field]"], params["search_fields[1][value]"]) == (
        "group_id",
        "1864618",
    )
    assert params["search_fields[2][value]"] == "2025-02-01 00:00:00"
    assert (params["sort"], params["way"]) == ("id", "asc")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda b: b.contacts.search(SearchCriterion("name", "=", "x")), "criteria[0].field"),
        (lambda b: b.contacts.search([]), "criteria"),
        (lambda b: b.contacts.search("phone"), "criteria"),
        (lambda b: b.contacts.search([1]), "criteria[0]"),
        (lambda b: b.contacts.search(SearchCriterion("id", "=", 1), sort="name"), "sort"),
        (lambda b: b.contacts.list(page_size=10), "page_size"),
        (lambda b: b.contacts.list(contact_lists=[0]), "contact_lists[0]"),
    ],
)
def test_bad_list_and_search_arguments_are_refused_at_once(
    bsg: AsyncBSG, call: Any, field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        call(bsg)

    assert caught.value.field == field


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: SearchCriterion("id", "~", 1), "operator"),
        (lambda: SearchCriterion("id", "=", 1.5), "value"),
        (lambda: SearchCriterion(True, "=", 1), "field"),
        (lambda: SearchCriterion(0, "=", 1), "field"),
    ],
)
def test_a_bad_criterion_is_refused_when_made(make: Any, field: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        make()

    assert caught.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "61401629754", "fields": {0: "x"}}, "fields"),
        ({"phone": "61401629754", "fields": {1: 2}}, "fields[1]"),
        ({"phone": "61401629754", "fields": [1]}, "fields"),
        ({"phone": "61401629754", "contact_lists": list(range(1, 102))}, "contact_lists"),
        ({"phone": "61401629754", "contact_lists": "1864618"}, "contact_lists"),
    ],
)
async def test_bad_contact_values_are_refused_before_sending(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.contacts.create(**kwargs)

    assert caught.value.field == field
    assert not respx_mock.calls


# -- custom fields -----------------------------------------------------------------------------


async def test_fields_list_decodes_the_documented_collection(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{CONTACTS}/fields").respond(json={"data": [FIELD, {**FIELD, "id": 387715}]})

    fields = await bsg.contacts.fields.list()

    assert fields[0] == ContactField(
        id=387714,
        name="country",
        type=ContactFieldType.TEXT,
        description="The country name",
        is_visible=True,
    )
    assert [f.id for f in fields] == [387714, 387715]


async def test_fields_list_refuses_an_answer_without_a_data_list(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{CONTACTS}/fields").respond(json={"data": {}})

    with pytest.raises(UnexpectedResponseError):
        await bsg.contacts.fields.list()


async def test_field_create_update_and_delete(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    create = respx_mock.post(f"{CONTACTS}/fields").respond(201, json={"data": FIELD})
    update = respx_mock.patch(f"{CONTACTS}/fields/387714").respond(
        json={"data": {**FIELD, "name": "land"}}
    )
    delete = respx_mock.post(f"{CONTACTS}/fields/delete").respond(204)

    created = await bsg.contacts.fields.create(
        "country", type="text", description="The country name", is_visible=True
    )
    updated = await bsg.contacts.fields.update(387714, name="land")
    await bsg.contacts.fields.delete_many([387714])

    assert sent(create) == {
        "name": "country",
        "type": "text",
        "description": "The country name",
        "is_visible": True,
    }
    assert created.type is ContactFieldType.TEXT
    assert sent(update) == {"name": "land"} and updated.name == "land"
    assert sent(delete) == {"ids": [387714]}


async def test_a_field_of_an_unknown_type_keeps_its_text(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{CONTACTS}/fields").respond(json={"data": [{**FIELD, "type": "Geo"}]})

    [field] = await bsg.contacts.fields.list()

    assert field.type == "Geo" and not isinstance(field.type, ContactFieldType)


async def test_field_settings_of_an_address_book(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{ONE_API}/api/settings/address-book-fields/1").respond(
        json={"data": {"id": 1, "fields": [FIELD]}}
    )

    settings = await bsg.contacts.fields.settings(1)

    assert settings["id"] == 1 and settings["fields"] == [FIELD]


async def test_field_settings_refuses_an_answer_that_is_no_object(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{ONE_API}/api/settings/address-book-fields/1").respond(json=[1])

    with pytest.raises(UnexpectedResponseError):
        await bsg.contacts.fields.settings(1)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda b: b.contacts.fields.create("x" * 31, type="text"), "name"),
        (lambda b: b.contacts.fields.create("country", type="geo"), "type"),
        (lambda b: b.contacts.fields.create("country", type=1), "type"),
        (lambda b: b.contacts.fields.create("c", type="text", description=""), "description"),
        (lambda b: b.contacts.fields.create("c", type="text", is_visible=1), "is_visible"),
        (lambda b: b.contacts.fields.update(387714), "name"),
        (lambda b: b.contacts.fields.update(0, name="x"), "id"),
        (lambda b: b.contacts.fields.delete_many(range(1, 32)), "ids"),
        (lambda b: b.contacts.fields.delete_many([]), "ids"),
        (lambda b: b.contacts.fields.settings(0), "address_book_id"),
        (lambda b: b.contacts.get(0), "id"),
        (lambda b: b.contacts.delete(-1), "id"),
        (lambda b: b.contacts.update(1, phone="1"), "phone"),
    ],
)
async def test_bad_field_values_are_refused_before_sending(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, call: Any, field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await call(bsg)

    assert caught.value.field == field
    assert not respx_mock.calls
