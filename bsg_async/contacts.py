"""`bsg.contacts`: the account's contact book on the One-API, and its custom fields
(`bsg.contacts.fields`).

A contact is a phone number (unique in the book) with custom field values and the contact
lists it belongs to. A create whose answer was lost is retried; when the retry is refused
because the phone is already in the book, the contact is looked up by its phone and returned,
so a lost answer neither doubles a contact nor fails a create that happened.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from . import _validation as rules
from ._one_api_sending import post_keyed, post_unreferenced
from ._paging import DEFAULT_PAGE_SIZE, Pages, data_object, one_object
from ._paging import page_size as checked_page_size
from ._search import PAGE_SIZE_BOUNDS, Search
from .errors import InvalidParameterError, UnexpectedResponseError
from .models.contacts import (
    Contact,
    ContactField,
    ContactFieldType,
    SearchCriterion,
)

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["ContactFieldsResource", "ContactsResource"]

PATH = "/api/contacts"
DELETE_MAX = 5000
CONTACT_LISTS_MAX = 100
FIELD_NAME_MAX = 30
FIELD_DESCRIPTION_MAX = 255
FIELDS_DELETE_MAX = 30
SEARCH_FIELDS = MappingProxyType(
    {"id": "id", "phone": "phone", "contact_list_id": "group_id", "created_at": "created_at"}
)
SORT_FIELDS = frozenset({"id", "phone"})
SEARCH = Search(f"{PATH}/search", Contact, SEARCH_FIELDS, SORT_FIELDS, custom_fields=True)


class ContactsResource:
    """The contact book of the One-API, as `bsg.contacts`; its custom fields as
    `bsg.contacts.fields`."""

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    @cached_property
    def fields(self) -> ContactFieldsResource:
        """The custom contact fields: `list`, `create`, `update`, `delete_many`, `settings`."""
        return ContactFieldsResource(self._client)

    async def create(
        self,
        phone: str,
        *,
        fields: Mapping[int, str] | None = None,
        contact_lists: Iterable[int] | None = None,
    ) -> Contact:
        """Add a contact to the book and return it.

        - `phone`: 9 to 15 digits, international format (a leading `+` is stripped).
        - `fields`: custom values by field id (`bsg.contacts.fields.list()` gives the ids).
        - `contact_lists`: ids of up to 100 contact lists to put the contact in.

        ```python
        contact = await bsg.contacts.create("61401629754", fields={387714: "Ilya"},
                                            contact_lists=[1864618])
        ```

        Raises `InvalidParameterError` before sending for a bad value; `InvalidRequestError`
        (HTTP 422) when the phone is already in the book ("Phone number is already exist in
        contact book") or, on a TEST account, not verified.
        """
        number = rules.msisdn(phone, "phone", min_digits=rules.ONE_API_PHONE_MIN_DIGITS)
        payload = self._client._wire.contact(
            number, fields=_field_values(fields), contact_lists=_list_ids(contact_lists)
        )
        find = SEARCH.finder(self._client, "phone", number)
        return await post_keyed(self._client, PATH, payload, Contact, find)

    async def get(self, id: int) -> Contact:
        """One contact by its id, with its custom values and contact lists.

        Raises `InvalidParameterError` for an id that is not a positive int,
        `InvalidRequestError` (HTTP 422 "Invalid contact id") for an unknown contact.
        """
        contact_id = rules.message_id(id, "id")
        return await one_object(self._client, "GET", f"{PATH}/{contact_id}", Contact)

    async def update(
        self,
        id: int,
        *,
        phone: str,
        fields: Mapping[int, str] | None = None,
        contact_lists: Iterable[int] | None = None,
    ) -> Contact:
        """Change a contact (`PUT`: the phone is always sent) and return it as it is now.

        `fields` sets those custom values; `contact_lists` puts the contact in those lists.
        Left out (`None`), they are not sent.

        ```python
        contact = await bsg.contacts.update(248452959, phone="61401629754",
                                            fields={387714: "Ilya Muromets"})
        ```

        Raises `InvalidParameterError` before sending for a bad value; `InvalidRequestError`
        (HTTP 422) for an unknown contact or a phone another contact has.
        """
        contact_id = rules.message_id(id, "id")
        payload = self._client._wire.contact(
            rules.msisdn(phone, "phone", min_digits=rules.ONE_API_PHONE_MIN_DIGITS),
            fields=_field_values(fields),
            contact_lists=_list_ids(contact_lists),
        )
        return await one_object(self._client, "PUT", f"{PATH}/{contact_id}", Contact, json=payload)

    async def delete(self, id: int) -> None:
        """Remove a contact from the book (and from every contact list it was in).

        Raises `InvalidParameterError` for an id that is not a positive int.
        """
        contact_id = rules.message_id(id, "id")
        await self._client.one_api_request("DELETE", f"{PATH}/{contact_id}")

    async def delete_many(
        self, ids: Iterable[int] | None = None, *, contact_lists: Iterable[int] | None = None
    ) -> None:
        """Remove up to 5,000 contacts by id, and/or every contact of the given contact lists
        (the lists themselves stay).

        ```python
        await bsg.contacts.delete_many([248452959, 248452739])
        await bsg.contacts.delete_many(contact_lists=[1864618])
        ```

        Raises `InvalidParameterError` when neither is given or for a bad id.
        """
        params: dict[str, list[int]] = {}
        if ids is not None:
            params["contact_ids[]"] = rules.ids(ids, "ids", (1, DELETE_MAX))
        if contact_lists is not None:
            params["group_ids[]"] = rules.ids(contact_lists, "contact_lists", (1, DELETE_MAX))
        if not params:
            raise InvalidParameterError("ids", None, "give ids, contact_lists, or both")
        await self._client.one_api_request("POST", f"{PATH}/delete", params=params)

    def list(
        self,
        *,
        contact_lists: Iterable[int] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[Contact]:
        """Every contact of the book (or of the given contact lists), as an async iterator
        that fetches pages of `page_size` (15 to 500) as it goes.

        ```python
        async for contact in bsg.contacts.list(contact_lists=[1864618]):
            print(contact.phone, contact.fields)
        ```

        Raises `InvalidParameterError` at once for a bad argument; while iterating, what a
        request raises.
        """
        params: dict[str, list[int]] = {}
        if contact_lists is not None:
            params["groups[]"] = rules.ids(contact_lists, "contact_lists", (1, 1000))
        limit = checked_page_size(page_size, PAGE_SIZE_BOUNDS)
        return Pages(self._client, PATH, Contact, limit=limit, params=params)

    def search(
        self,
        criteria: SearchCriterion | Iterable[SearchCriterion],
        *,
        sort: str = "id",
        descending: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[Contact]:
        """The contacts matching every criterion, sorted by `sort` (`"id"` or `"phone"`), as
        an async iterator that fetches pages of `page_size` (15 to 500) as it goes.

        A criterion's field is `"id"`, `"phone"` (`like` or `=`), `"contact_list_id"`,
        `"created_at"`, or a custom field's id (an `int`; `like` and `=` for text fields).

        ```python
        async for contact in bsg.contacts.search(SearchCriterion("phone", "like", "38096")):
            print(contact.id, contact.phone)
        ```

        Raises `InvalidParameterError` at once for a bad argument; while iterating, what a
        request raises (`InvalidRequestError` for a criterion the service refuses).
        """
        return SEARCH.pages(
            self._client, criteria, sort=sort, descending=descending, page_size=page_size
        )


class ContactFieldsResource:
    """The custom contact fields of the One-API, as `bsg.contacts.fields`."""

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def list(self) -> tuple[ContactField, ...]:
        """Every custom field of the account (the service answers them in one list).

        ```python
        ids = {field.name: field.id for field in await bsg.contacts.fields.list()}
        ```
        """
        answer = await self._client.one_api_request("GET", f"{PATH}/fields")
        return self._client._wire.data_items(
            answer.data, ContactField, http_status=answer.http_status
        )

    async def create(
        self,
        name: str,
        *,
        type: ContactFieldType | str,
        description: str | None = None,
        is_visible: bool | None = None,
    ) -> ContactField:
        """Create a custom field and return it.

        - `name`: 1 to 30 characters; `type`: `"text"`, `"number"` or `"date"`
          (a `ContactFieldType`); `description`: 1 to 255 characters;
          `is_visible`: shown in the web interface (the service's default: `True`).

        ```python
        field = await bsg.contacts.fields.create("country", type="text")
        ```

        The create carries no key the SDK could look it up by, so it is retried only when it
        surely did not reach the service. Raises `InvalidParameterError` before sending for a
        bad value.
        """
        payload = self._client._wire.contact_field(
            name=rules.text(name, "name", max_length=FIELD_NAME_MAX),
            type=_field_type(type),
            description=_description(description),
            is_visible=rules.optional_boolean(is_visible, "is_visible"),
        )
        return await post_unreferenced(self._client, f"{PATH}/fields", payload, ContactField)

    async def update(
        self,
        id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        is_visible: bool | None = None,
    ) -> ContactField:
        """Change a custom field's name, description or visibility (at least one) and return
        it. Raises `InvalidParameterError` before sending for a bad value or none given."""
        field_id = rules.message_id(id, "id")
        payload = self._client._wire.contact_field(
            name=rules.optional_text(name, "name", max_length=FIELD_NAME_MAX),
            type=None,
            description=_description(description),
            is_visible=rules.optional_boolean(is_visible, "is_visible"),
        )
        if not payload:
            raise InvalidParameterError("name", None, "give name, description or is_visible")
        return await one_object(
            self._client, "PATCH", f"{PATH}/fields/{field_id}", ContactField, json=payload
        )

    async def delete_many(self, ids: Iterable[int]) -> None:
        """Delete 1 to 30 custom fields by id (their values go with them).

        Raises `InvalidParameterError` for no ids, more than 30, or a bad id.
        """
        payload = {"ids": rules.ids(ids, "ids", (1, FIELDS_DELETE_MAX))}
        await self._client.one_api_request("POST", f"{PATH}/fields/delete", json=payload)

    async def settings(self, address_book_id: int) -> Mapping[str, Any]:
        """The field settings of an address book (`GET /api/settings/address-book-fields/{id}`),
        as the service answers them: a read-only mapping (the description leaves the shape
        open, so the SDK does not type it).

        Raises `InvalidParameterError` for an id that is not a positive int.
        """
        book_id = rules.message_id(address_book_id, "address_book_id")
        answer = await self._client.one_api_request(
            "GET", f"/api/settings/address-book-fields/{book_id}"
        )
        data = data_object(answer)
        if not isinstance(data, Mapping):
            raise UnexpectedResponseError(
                "expected a JSON object", http_status=answer.http_status, field="$"
            )
        return MappingProxyType(dict(data))


def _list_ids(value: object) -> list[int] | None:
    return None if value is None else rules.ids(value, "contact_lists", (0, CONTACT_LISTS_MAX))


def _field_values(value: object) -> dict[int, str] | None:
    """Custom values by field id: positive int ids, string values."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidParameterError("fields", value, "expected a mapping of field id to value")
    found: dict[int, str] = {}
    for key, text in value.items():
        field_id = rules.message_id(key, "fields")
        if not isinstance(text, str):
            raise InvalidParameterError(f"fields[{field_id}]", text, "expected a str")
        found[field_id] = text
    return found


def _field_type(value: object) -> ContactFieldType:
    return ContactFieldType(ContactFieldType.required(value, "type"))


def _description(value: object) -> str | None:
    return rules.optional_text(value, "description", max_length=FIELD_DESCRIPTION_MAX)
