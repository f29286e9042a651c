"""`bsg.contact_lists`: contact lists on the One-API (the wire's "groups").

A contact list groups contacts of the book; a campaign can be sent to lists
(`contact_lists=[...]` on a channel's campaign send). A list's name is unique: a create whose
answer was lost is retried, and when the retry is refused because the name is taken, the list
is looked up by its name and returned.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from types import MappingProxyType
from typing import TYPE_CHECKING

from . import _validation as rules
from ._one_api_sending import post_keyed
from ._paging import DEFAULT_PAGE_SIZE, Pages, one_object
from ._paging import page_size as checked_page_size
from ._search import PAGE_SIZE_BOUNDS, Search
from .models.contacts import ContactList, SearchCriterion

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["ContactListsResource"]

PATH = "/api/groups"
NAME_LENGTH = (3, 50)
DESCRIPTION_MAX = 255
ATTACH_CONTACTS_MAX = 200
ATTACH_LISTS_MAX = 100
SEARCH_FIELDS = MappingProxyType(
    {
        "id": "id",
        "name": "name",
        "description": "description",
        "contact_count": "items",
        "created_at": "created_at",
        "phone": "phone",
    }
)
SORT_FIELDS = frozenset({"id", "contact_count", "name", "description", "created_at"})
SEARCH = Search(f"{PATH}/search", ContactList, SEARCH_FIELDS, SORT_FIELDS)


class ContactListsResource:
    """The contact lists of the One-API, as `bsg.contact_lists`."""

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def create(
        self, name: str, *, description: str | None = None, is_default: bool | None = None
    ) -> ContactList:
        """Create a contact list and return it.

        - `name`: 3 to 50 characters, unique among the account's lists.
        - `description`: 1 to 255 characters; `is_default`: make it the default list.

        ```python
        crm = await bsg.contact_lists.create("CRM leads", description="2025 export")
        ```

        Raises `InvalidParameterError` before sending for a bad value; `InvalidRequestError`
        (HTTP 422 "Contact group is already exists") for a name already taken.
        """
        list_name = _name(name)
        payload = self._client._wire.contact_list(
            list_name, description=_description(description), is_default=_default(is_default)
        )
        find = SEARCH.finder(self._client, "name", list_name)
        return await post_keyed(self._client, PATH, payload, ContactList, find)

    async def get(self, id: int) -> ContactList:
        """One contact list by its id, with its `contact_count`.

        Raises `InvalidParameterError` for an id that is not a positive int; an `APIError`
        (`NotFoundError` or `InvalidRequestError`) for an unknown list.
        """
        list_id = rules.message_id(id, "id")
        return await one_object(self._client, "GET", f"{PATH}/{list_id}", ContactList)

    async def update(
        self,
        id: int,
        *,
        name: str,
        description: str | None = None,
        is_default: bool | None = None,
    ) -> ContactList:
        """Change a contact list (`PUT`: the name is always sent) and return it.

        Raises `InvalidParameterError` before sending for a bad value; `InvalidRequestError`
        (HTTP 422) for an unknown list or a name another list has.
        """
        list_id = rules.message_id(id, "id")
        payload = self._client._wire.contact_list(
            _name(name), description=_description(description), is_default=_default(is_default)
        )
        return await one_object(self._client, "PUT", f"{PATH}/{list_id}", ContactList, json=payload)

    async def delete(self, id: int) -> None:
        """Delete a contact list; its contacts stay in the book.

        Raises `InvalidParameterError` for an id that is not a positive int.
        """
        list_id = rules.message_id(id, "id")
        await self._client.one_api_request("DELETE", f"{PATH}/{list_id}")

    def list(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> AsyncIterator[ContactList]:
        """Every contact list, as an async iterator that fetches pages of `page_size` (15 to
        500) as it goes.

        ```python
        async for contact_list in bsg.contact_lists.list():
            print(contact_list.name, contact_list.contact_count)
        ```
        """
        limit = checked_page_size(page_size, PAGE_SIZE_BOUNDS)
        return Pages(self._client, PATH, ContactList, limit=limit)

    def search(
        self,
        criteria: SearchCriterion | Iterable[SearchCriterion],
        *,
        sort: str = "id",
        descending: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[ContactList]:
        """The contact lists matching every criterion, sorted by `sort` (`"id"`,
        `"contact_count"`, `"name"`, `"description"` or `"created_at"`), as an async iterator
        that fetches pages of `page_size` (15 to 500) as it goes.

        A criterion's field is `"id"`, `"name"`, `"description"`, `"contact_count"`,
        `"created_at"` or `"phone"` (the lists holding that phone).

        ```python
        async for found in bsg.contact_lists.search(SearchCriterion("name", "like", "CRM")):
            print(found.id, found.name)
        ```

        Raises `InvalidParameterError` at once for a bad argument; while iterating, what a
        request raises.
        """
        return SEARCH.pages(
            self._client, criteria, sort=sort, descending=descending, page_size=page_size
        )

    async def attach(self, contacts: Iterable[int], *, contact_lists: Iterable[int]) -> None:
        """Put contacts (1 to 200 ids) in contact lists (1 to 100 ids); a contact already in a
        list stays there once.

        ```python
        await bsg.contact_lists.attach([248452959, 248452739], contact_lists=[1864623])
        ```

        Raises `InvalidParameterError` before sending for a bad or missing id.
        """
        payload = self._membership(contacts, contact_lists)
        await self._client.one_api_request("POST", f"{PATH}/attach", json=payload)

    async def detach(self, contacts: Iterable[int], *, contact_lists: Iterable[int]) -> None:
        """Take contacts (1 to 200 ids) out of contact lists (1 to 100 ids); they stay in the
        book. Raises as `attach`."""
        payload = self._membership(contacts, contact_lists)
        await self._client.one_api_request("POST", f"{PATH}/detach", json=payload)

    def _membership(self, contacts: object, contact_lists: object) -> dict[str, object]:
        return self._client._wire.membership(
            rules.ids(contacts, "contacts", (1, ATTACH_CONTACTS_MAX)),
            rules.ids(contact_lists, "contact_lists", (1, ATTACH_LISTS_MAX)),
        )


def _name(value: object) -> str:
    return rules.text(value, "name", min_length=NAME_LENGTH[0], max_length=NAME_LENGTH[1])


def _description(value: object) -> str | None:
    return rules.optional_text(value, "description", max_length=DESCRIPTION_MAX)


def _default(value: object) -> bool | None:
    return rules.optional_boolean(value, "is_default")
