"""FakeBSG's address book seen through the real SDK, in process and over the ASGI app:
contacts, custom fields, contact lists and the stop list; the 422 checks as the description
words them; campaigns to lists made through the API; the stop list honoured by RCS sends."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bsg_async import (
    AsyncBSG,
    InvalidRequestError,
    NotFoundError,
    SearchCriterion,
    StopListChannel,
)
from bsg_async.models.one_api import OneApiMessageStatus
from bsg_async.testing import Account, FakeBSG
from bsg_async.testing._address_book import AddressBook

from .conftest import API_KEY
from .fake_support import RETRIES, Clock
from .test_fake_one_api import CALM

URL = "http://fake.test"
PHONES = ("380501234567", "380501234568", "380501234569")


@pytest.fixture
def fake() -> FakeBSG:
    return FakeBSG(seed=3, account=Account(api_keys=[API_KEY]), clock=Clock(), lifecycle=CALM)


@pytest.fixture(params=["transport", "asgi"])
async def client(request: pytest.FixtureRequest, fake: FakeBSG) -> AsyncIterator[AsyncBSG]:
    """The real SDK on `fake`: through `fake.transport`, and over HTTP through `fake.app`."""
    transport = fake.transport if request.param == "transport" else httpx.ASGITransport(fake.app)
    async with AsyncBSG(
        api_key=API_KEY, one_api_url=URL, transport=transport, retry=RETRIES
    ) as bsg:
        yield bsg


@pytest.fixture
async def raw(fake: FakeBSG) -> AsyncIterator[httpx.AsyncClient]:
    """Plain HTTP with a valid token, for requests the SDK's own checks would never send."""
    async with httpx.AsyncClient(transport=fake.transport, base_url=URL) as http:
        token = (await http.post("/api/auth/login", json={"api_key": API_KEY})).json()["bearer"]
        http.headers["Authorization"] = f"Bearer {token}"
        yield http


# -- contacts and fields -----------------------------------------------------------------------


async def test_a_contact_lives_through_create_read_update_search_and_delete(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    name = await client.contacts.fields.create("name", type="text", description="First name")
    crm = await client.contact_lists.create("CRM leads")
    made = await client.contacts.create(PHONES[0], fields={name.id: "Ilya"}, contact_lists=[crm.id])

    got = await client.contacts.get(made.id)
    updated = await client.contacts.update(made.id, phone=PHONES[1], fields={name.id: "Alesha"})
    by_field = [c.id async for c in client.contacts.search(SearchCriterion(name.id, "=", "Alesha"))]
    by_phone = [
        c.id async for c in client.contacts.search(SearchCriterion("phone", "like", "4568"))
    ]
    by_list = [
        c.id async for c in client.contacts.search(SearchCriterion("contact_list_id", "=", crm.id))
    ]
    await client.contacts.delete(made.id)

    assert dict(got.fields) == {name.id: "Ilya"}
    assert [c.name for c in got.contact_lists] == ["CRM leads"]
    assert updated.phone == PHONES[1] and dict(updated.fields) == {name.id: "Alesha"}
    assert by_field == by_phone == by_list == [made.id]
    assert fake.address_book.contacts == ()
    with pytest.raises(InvalidRequestError) as caught:
        await client.contacts.get(made.id)
    assert caught.value.description == "Invalid contact id"


async def test_a_phone_is_in_the_book_once(client: AsyncBSG) -> None:
    first = await client.contacts.create(PHONES[0])
    other = await client.contacts.create(PHONES[1])

    with pytest.raises(InvalidRequestError) as created:
        await client.contacts.create(PHONES[0])
    with pytest.raises(InvalidRequestError) as moved:
        await client.contacts.update(other.id, phone=PHONES[0])

    assert created.value.description == "Phone number is already exist in contact book"
    assert moved.value.description == created.value.description
    assert (await client.contacts.update(first.id, phone=PHONES[0])).id == first.id


async def test_a_lost_create_answer_leaves_one_contact(fake: FakeBSG) -> None:
    fake.faults.script(["lost_answer"], methods=["POST"], paths=["*/api/contacts"])
    async with AsyncBSG(
        api_key=API_KEY, one_api_url=URL, transport=fake.transport, retry=RETRIES
    ) as bsg:
        contact = await bsg.contacts.create(PHONES[0])

    assert [c.id for c in fake.address_book.contacts] == [contact.id]


async def test_contacts_are_listed_by_page_and_by_list(client: AsyncBSG) -> None:
    crm = await client.contact_lists.create("CRM leads")
    made = [await client.contacts.create(f"3805012{n:05d}") for n in range(40)]
    await client.contact_lists.attach([c.id for c in made[:3]], contact_lists=[crm.id])

    everyone = [c.id async for c in client.contacts.list(page_size=15)]
    members = [c.phone async for c in client.contacts.list(contact_lists=[crm.id])]
    newest = [
        c.id
        async for c in client.contacts.search(
            SearchCriterion("id", ">", made[36].id), descending=True, page_size=15
        )
    ]

    assert everyone == [c.id for c in made]
    assert members == [c.phone for c in made[:3]]
    assert newest == [c.id for c in reversed(made[37:])]


async def test_delete_many_by_id_and_by_list(client: AsyncBSG, fake: FakeBSG) -> None:
    crm = await client.contact_lists.create("CRM leads")
    a, b, c = [await client.contacts.create(phone) for phone in PHONES]
    await client.contact_lists.attach([b.id], contact_lists=[crm.id])

    await client.contacts.delete_many([a.id], contact_lists=[crm.id])

    assert [x.id for x in fake.address_book.contacts] == [c.id]
    assert (await client.contact_lists.get(crm.id)).contact_count == 0


async def test_custom_fields_are_created_listed_changed_and_deleted(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    country = await client.contacts.fields.create("country", type="text")
    born = await client.contacts.fields.create("born", type="date", is_visible=False)
    contact = await client.contacts.create(PHONES[0], fields={country.id: "UA"})

    renamed = await client.contacts.fields.update(country.id, name="land", is_visible=False)
    listed = await client.contacts.fields.list()
    settings = await client.contacts.fields.settings(1)
    await client.contacts.fields.delete_many([country.id])

    assert [f.name for f in listed] == ["land", "born"] and born.is_visible is False
    assert renamed.is_visible is False and renamed.description is None
    assert [f["name"] for f in settings["fields"]] == ["land", "born"]
    assert [f.name for f in await client.contacts.fields.list()] == ["born"]
    assert dict((await client.contacts.get(contact.id)).fields) == {}
    with pytest.raises(NotFoundError):
        await client.contacts.fields.update(country.id, name="x")


# -- contact lists -----------------------------------------------------------------------------


async def test_a_contact_list_lives_through_its_operations(client: AsyncBSG, fake: FakeBSG) -> None:
    crm = await client.contact_lists.create("CRM leads", description="2025 export")
    a, b = [await client.contacts.create(phone) for phone in PHONES[:2]]

    await client.contact_lists.attach([a.id, b.id], contact_lists=[crm.id])
    await client.contact_lists.attach([a.id], contact_lists=[crm.id])  # once is enough
    full = await client.contact_lists.get(crm.id)
    await client.contact_lists.detach([a.id], contact_lists=[crm.id])
    renamed = await client.contact_lists.update(crm.id, name="Leads", is_default=True)
    by_phone = [
        c.id async for c in client.contact_lists.search(SearchCriterion("phone", "=", b.phone))
    ]
    by_count = [
        c.contact_count
        async for c in client.contact_lists.search(SearchCriterion("contact_count", ">=", 1))
    ]
    listed = [c.name async for c in client.contact_lists.list()]
    await client.contact_lists.delete(crm.id)

    assert (full.contact_count, full.description) == (2, "2025 export")
    assert (renamed.name, renamed.is_default, renamed.contact_count) == ("Leads", True, 1)
    assert by_phone == [crm.id] and by_count == [1] and listed == ["Leads"]
    assert len(fake.address_book.contacts) == 2  # deleting a list keeps its contacts
    with pytest.raises(NotFoundError):
        await client.contact_lists.get(crm.id)


async def test_a_list_name_is_taken_once(client: AsyncBSG) -> None:
    await client.contact_lists.create("CRM leads")
    other = await client.contact_lists.create("Other")

    with pytest.raises(InvalidRequestError) as created:
        await client.contact_lists.create("CRM leads")
    with pytest.raises(InvalidRequestError) as renamed:
        await client.contact_lists.update(other.id, name="CRM leads")
    with pytest.raises(InvalidRequestError) as unknown:
        await client.contact_lists.update(1, name="Whatever")

    assert created.value.description == renamed.value.description
    assert created.value.description == "Contact group is already exists"
    assert unknown.value.description == "Contact group is not found"


async def test_configured_contact_lists_are_lists_of_the_book() -> None:
    fake = FakeBSG(
        clock=Clock(),
        account=Account(contact_lists={4012: [PHONES[0], PHONES[1]], 4013: [PHONES[1]]}),
    )
    async with AsyncBSG(api_key=API_KEY, one_api_url=URL, transport=fake.transport) as bsg:
        before = [(c.id, c.contact_count) async for c in bsg.contact_lists.list()]
        made = await bsg.contact_lists.create("Made through the API")
        fake.reset()
        after = [c.id async for c in bsg.contact_lists.list()]

    assert before == [(4012, 2), (4013, 1)]
    assert made.id == 4014
    assert after == [4012, 4013]
    assert [c.phone for c in fake.address_book.members(4012)] == list(PHONES[:2])


# -- campaigns to lists, end to end ------------------------------------------------------------


async def test_a_campaign_to_a_list_made_through_the_sdk_reaches_its_contacts(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    contacts = [await client.contacts.create(phone) for phone in PHONES]
    customers = await client.contact_lists.create("Customers")
    await client.contact_lists.attach([c.id for c in contacts[:2]], contact_lists=[customers.id])

    campaign = await client.rcs.send_campaign(
        contact_lists=[customers.id], sender="MyShop", text="Sale!"
    )
    fake.advance(10)
    messages = [m async for m in client.messages.list(campaign_id=campaign.id)]

    assert sorted(m.to or "" for m in messages) == sorted(PHONES[:2])
    assert {m.status for m in messages} == {OneApiMessageStatus.DELIVERED}
    found = fake.rcs.campaign(campaign.id)
    assert found is not None and found.contact_lists == (customers.id,)


async def test_a_campaign_to_an_unknown_or_deleted_list_is_refused(client: AsyncBSG) -> None:
    gone = await client.contact_lists.create("Gone soon")
    await client.contact_lists.delete(gone.id)

    with pytest.raises(InvalidRequestError) as caught:
        await client.rcs.send_campaign(contact_lists=[gone.id], sender="MyShop", text="Hi")

    assert dict(caught.value.errors) == {"groups.0": ("The selected groups.0 is invalid.",)}


# -- the stop list -----------------------------------------------------------------------------


async def test_the_stop_list_adds_lists_searches_and_removes(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    [entry] = await client.stop_list.add([PHONES[0]], channels=["sms"])
    [again, other] = await client.stop_list.add([PHONES[0], PHONES[1]], channels=["rcs"])
    crm = await client.contact_lists.create("CRM leads")
    contact = await client.contacts.create(PHONES[1])
    await client.contact_lists.attach([contact.id], contact_lists=[crm.id])

    rcs = [e.phone async for e in client.stop_list.list(channel="rcs")]
    sms = [e.phone async for e in client.stop_list.list(channel=StopListChannel.SMS)]
    in_list = [
        e.phone
        async for e in client.stop_list.search(
            SearchCriterion("phone", "like", "3805"), contact_list=crm.id
        )
    ]
    by_type = [e.id async for e in client.stop_list.search(SearchCriterion("channel", "=", "sms"))]
    counted = await client.contact_lists.get(crm.id)
    await client.stop_list.remove([entry.id], channels=["sms"])
    await client.stop_list.remove([other.id], channels=["rcs", "sms"])

    assert again.id == entry.id and again.channels == {StopListChannel.SMS, StopListChannel.RCS}
    assert rcs == list(PHONES[:2]) and sms == [PHONES[0]]
    assert in_list == [PHONES[1]] and by_type == [entry.id]
    assert counted.stop_list_count == 0  # counts the SMS and Viber stop lists only
    assert [(e.phone, e.types) for e in fake.address_book.stop_list] == [
        (PHONES[0], frozenset({"rcs"}))
    ]


async def test_an_rcs_send_to_a_stopped_number_is_refused(client: AsyncBSG, fake: FakeBSG) -> None:
    await client.stop_list.add([PHONES[0]], channels=["rcs"])

    with pytest.raises(InvalidRequestError) as caught:
        await client.rcs.send(to=PHONES[0], sender="MyShop", text="Hi")
    unchecked = await client.rcs.send(
        to=PHONES[0], sender="MyShop", text="Hi", check_stop_list=False
    )
    other_channel = await client.rcs.send(to=PHONES[1], sender="MyShop", text="Hi")

    assert "phone.number" in caught.value.errors
    assert unchecked.to == PHONES[0] and other_channel.to == PHONES[1]
    assert len(fake.rcs) == 2


async def test_a_campaign_does_not_send_to_a_stopped_member(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    contacts = [await client.contacts.create(phone) for phone in PHONES]
    customers = await client.contact_lists.create("Customers")
    await client.contact_lists.attach([c.id for c in contacts], contact_lists=[customers.id])
    await client.stop_list.add([PHONES[1]], channels=["rcs"])

    campaign = await client.rcs.send_campaign(
        contact_lists=[customers.id], sender="MyShop", text="Sale!"
    )
    fake.advance(10)
    statuses = {m.to: m.status async for m in client.messages.list(campaign_id=campaign.id)}
    detail = await client.campaigns.detail(campaign.id)

    assert statuses == {
        PHONES[0]: OneApiMessageStatus.DELIVERED,
        PHONES[1]: OneApiMessageStatus.FAILED,
        PHONES[2]: OneApiMessageStatus.DELIVERED,
    }
    assert detail.statistics is not None and detail.statistics.failed == 1
    [stopped] = [m for m in fake.rcs.messages if m.to == PHONES[1]]
    assert stopped.stopped and fake.rcs.state(stopped).time_sent is None


# -- what the SDK would never send: the fake's 422s --------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "errors"),
    [
        ("POST", "/api/contacts", {}, {"phone": ["The phone field is required."]}),
        (
            "POST",
            "/api/contacts",
            {"phone": 12345},
            {"phone": ["The phone must be between 100000000 and 999999999999999."]},
        ),
        (
            "POST",
            "/api/contacts",
            {"phone": 380501234567, "groups": [9], "fields": [{"id": 1, "value": "x"}]},
            {
                "groups.0": ["The selected groups.0 is invalid."],
                "fields.0.id": ["The selected fields.0.id is invalid."],
            },
        ),
        (
            "POST",
            "/api/contacts/fields",
            {"name": "x" * 31, "type": "geo"},
            {
                "name": ["The name must not be greater than 30 characters."],
                "type": ["The selected type is invalid."],
            },
        ),
        (
            "POST",
            "/api/groups",
            {"name": "ab"},
            {"name": ["The name must be at least 3 characters."]},
        ),
        (
            "POST",
            "/api/groups/attach",
            {"contacts": [], "groups": [1]},
            {
                "contacts": ["The contacts must have at least 1 items."],
                "groups.0": ["The selected groups.0 is invalid."],
            },
        ),
        (
            "POST",
            "/api/stoplist/attach",
            {"phones": [380501234567], "types": ["fax"]},
            {"types.0": ["The selected types.0 is invalid."]},
        ),
        (
            "POST",
            "/api/stoplist/detach",
            {"types": ["sms"]},
            {"ids": ["The ids field is required."]},
        ),
        (
            "POST",
            "/api/contacts/fields/delete",
            {"ids": []},
            {"ids": ["The ids must have at least 1 items."]},
        ),
    ],
)
async def test_invalid_bodies_get_422_naming_each_field(
    raw: httpx.AsyncClient, method: str, path: str, body: Any, errors: dict[str, list[str]]
) -> None:
    answer = await raw.request(method, path, json=body)

    assert answer.status_code == 422
    assert answer.json() == {"message": "The given data was invalid.", "errors": errors}


@pytest.mark.parametrize(
    ("path", "errors"),
    [
        (
            "/api/contacts/search?search[field]=name&search[operator]=~",
            {
                "search.field": ["The selected search.field is invalid."],
                "search.operator": ["The selected search.operator is invalid."],
                "search.value": ["The search.value field is required."],
            },
        ),
        (
            "/api/groups/search?search_fields[0][field]=id&search_fields[0][value]=1&sort=x&way=up",
            {"sort": ["The selected sort is invalid."], "way": ["The selected way is invalid."]},
        ),
        (
            "/api/stoplist?type=fax&page[limit]=5",
            {
                "page.limit": ["The page.limit must be between 15 and 500."],
                "type": ["The selected type is invalid."],
            },
        ),
        ("/api/contacts?groups[]=x", {"groups.0": ["The groups.0 must be an integer."]}),
        ("/api/settings/address-book-fields/0", {"id": ["The id must be at least 1."]}),
    ],
)
async def test_invalid_queries_get_422_naming_each_field(
    raw: httpx.AsyncClient, path: str, errors: dict[str, list[str]]
) -> None:
    answer = await raw.get(path)

    assert answer.status_code == 422
    assert answer.json()["errors"] == errors


async def test_the_address_book_needs_a_token(fake: FakeBSG) -> None:
    async with httpx.AsyncClient(transport=fake.transport, base_url=URL) as http:
        answer = await http.get("/api/contacts")

    assert answer.status_code == 401


async def test_a_campaign_to_phones_does_not_send_to_a_stopped_one(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    await client.stop_list.add([PHONES[0]], channels=["rcs"])

    campaign = await client.rcs.send_campaign(to=list(PHONES[:2]), sender="MyShop", text="Hi")
    unchecked = await client.rcs.send_campaign(
        to=[PHONES[0]], sender="MyShop", text="Hi", check_stop_list=False
    )
    fake.advance(10)

    statuses = {m.to: m.status async for m in client.messages.list(campaign_id=campaign.id)}
    assert statuses == {
        PHONES[0]: OneApiMessageStatus.FAILED,
        PHONES[1]: OneApiMessageStatus.DELIVERED,
    }
    [sent] = fake.rcs.campaign_messages(unchecked.id)
    assert not sent.stopped and fake.rcs.status(sent) == "delivered"


# -- properties --------------------------------------------------------------------------------

_OPS = st.lists(
    st.tuples(
        st.sampled_from(["attach", "detach", "remove"]),
        st.lists(st.integers(0, 5), max_size=4),
        st.lists(st.integers(0, 2), max_size=3),
    ),
    max_size=25,
)


@given(ops=_OPS)
def test_a_list_holds_exactly_what_was_attached_and_not_detached_or_removed(
    ops: list[tuple[str, list[int], list[int]]],
) -> None:
    book = AddressBook({}, lambda: 0.0)
    contacts = [book.add_contact(f"38050123456{n}", {}).id for n in range(6)]
    lists = [book.add_list(f"List {n}", None, False).id for n in range(3)]
    model: dict[int, list[int]] = {list_id: [] for list_id in lists}
    gone: set[int] = set()
    for op, who, where in ops:
        people = [contacts[i] for i in who if contacts[i] not in gone]
        targets = [lists[i] for i in where]
        if op == "attach":
            book.attach(people, targets)
            for list_id in targets:
                model[list_id] += [p for p in dict.fromkeys(people) if p not in model[list_id]]
        elif op == "detach":
            book.detach(people, targets)
            for list_id in targets:
                model[list_id] = [p for p in model[list_id] if p not in people]
        else:
            for person in dict.fromkeys(people):
                book.remove_contact(person)
                gone.add(person)
                for members in model.values():
                    if person in members:
                        members.remove(person)

    for list_id in lists:
        assert [c.id for c in book.members(list_id)] == model[list_id]
        found = book.contact_list(list_id)
        assert found is not None and book.list_json(found)["items"] == len(model[list_id])
    for contact_id in set(contacts) - gone:
        expected = [list_id for list_id in lists if contact_id in model[list_id]]
        assert [c.id for c in book.lists_of(contact_id)] == expected


@given(
    phones=st.lists(st.integers(100_000_000, 999_999_999_999), min_size=1, max_size=6),
    add=st.lists(st.sampled_from(["sms", "viber", "rcs", "whatsapp"]), min_size=1),
    remove=st.lists(st.sampled_from(["sms", "viber", "rcs", "whatsapp"])),
)
def test_a_number_is_stopped_on_what_was_added_and_not_removed(
    phones: list[int], add: list[str], remove: list[str]
) -> None:
    book = AddressBook({}, lambda: 0.0)
    numbers = [str(p) for p in phones]
    entries = book.stop(numbers, add)
    book.unstop([e.id for e in entries], remove)

    left = set(add) - set(remove)
    for number in numbers:
        for channel in ("sms", "viber", "rcs", "whatsapp"):
            assert book.is_stopped(number, channel) == (channel in left)
    assert len(book.stop_list) == (len(set(numbers)) if left else 0)


def test_a_store_never_gives_an_id_it_skipped_back() -> None:
    book = AddressBook({7: ("380501234567",)}, lambda: 0.0)

    with pytest.raises(ValueError, match="given already"):
        book._lists.skip_to(7)
    assert book.add_list("Next", None, False).id == 8
