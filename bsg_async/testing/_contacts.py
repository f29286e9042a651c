"""The fake One-API's address-book endpoints, over the fake's `AddressBook`:

- contacts: `POST /api/contacts`, `GET|PUT|DELETE /api/contacts/{id}`, `POST
  /api/contacts/delete?contact_ids[]=...&group_ids[]=...`, `GET /api/contacts` (paged, 15 to
  500, `groups[]`), `GET /api/contacts/search`;
- custom fields: `GET|POST /api/contacts/fields`, `PATCH /api/contacts/fields/{id}`, `POST
  /api/contacts/fields/delete`, and `GET /api/settings/address-book-fields/{id}`;
- contact lists: `POST|GET /api/groups`, `GET|PUT|DELETE /api/groups/{id}`, `GET
  /api/groups/search`, `POST /api/groups/attach|detach`.

The stop list's endpoints are `_stop_list`'s.

Invalid data gets HTTP 422 naming each field as the service does; the refusals the
description documents come with its words ("Phone number is already exist in contact book",
"Invalid contact id", "Contact group is already exists", "Contact group is not found").
Lists and searches answer as `_search` makes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs

from ._address_book import AddressBook, FakeContact, FakeContactList
from ._check import UNBOUNDED, Check, at_path_id, path_id
from ._fates import format_time
from ._json import dumps
from ._reply import EMPTY, NO_CONTENT, Reply, invalid, not_found
from ._routes import Call, Route
from ._search import Params, listing, search
from ._stop_list import PHONE_BOUNDS, json_object

__all__ = ["ContactsApi"]

CONTACT_LISTS_MAX = 100
DELETE_MAX = 5000
FIELD_NAME_MAX = 30
DESCRIPTION_MAX = 255
FIELDS_DELETE_MAX = 30
FIELD_TYPES = ("text", "date", "number")
LIST_NAME = (3, 50)
ATTACH_CONTACTS_MAX = 200
ATTACH_LISTS_MAX = 100
CONTACT_SEARCH_FIELD = re.compile(r"[0-9]+|id|phone|group_id|created_at")
LIST_SEARCH_FIELDS = frozenset({"id", "name", "items", "created_at", "phone", "description"})

_INVALID_CONTACT = invalid({}, message="Invalid contact id")
_DUPLICATE_PHONE = invalid({}, message="Phone number is already exist in contact book")
_DUPLICATE_LIST = invalid({}, message="Contact group is already exists")
_UNKNOWN_LIST = invalid({}, message="Contact group is not found")


# -- the endpoints -----------------------------------------------------------------------------


class ContactsApi:
    """The contact, custom-field and contact-list endpoints over an `AddressBook`."""

    def __init__(self, book: AddressBook) -> None:
        self.book = book

    # -- contacts ------------------------------------------------------------------------------

    def _contact_of(self, raw_id: str) -> FakeContact | None:
        return at_path_id(raw_id, self.book.contact)

    def _contact_body(
        self, check: Check, data: Mapping[str, Any]
    ) -> tuple[str | None, dict[int, str], list[int] | None]:
        """The phone, the custom values and the list ids of a create or update body."""
        phone = None
        if check.required(data.get("phone"), "phone"):
            number = check.integer(data.get("phone"), "phone", PHONE_BOUNDS)
            phone = None if number is None else str(number)
        values: dict[int, str] = {}
        raw_fields = data.get("fields")
        if raw_fields is not None:
            for index, item in enumerate(check.items(raw_fields, "fields", (0, UNBOUNDED)) or ()):
                key = f"fields.{index}"
                pair = check.object(item, key)
                if pair is None:
                    continue
                field_id = check.integer(pair.get("id"), f"{key}.id")
                if field_id is None or self.book.field(field_id) is None:
                    check.add(f"{key}.id", f"The selected {key}.id is invalid.")
                    continue
                value = check.text(pair.get("value"), f"{key}.value", DESCRIPTION_MAX)
                if value is not None:
                    values[field_id] = value
        lists = None
        if data.get("groups") is not None:
            lists = self._list_ids(check, data.get("groups"), "groups", (0, CONTACT_LISTS_MAX))
        return phone, values, lists

    def _list_ids(
        self, check: Check, value: Any, key: str, bounds: tuple[int, int]
    ) -> list[int] | None:
        return check.integers(value, key, bounds, known=self._has_list)

    def _has_list(self, list_id: int) -> bool:
        return self.book.contact_list(list_id) is not None

    def create_contact(self, payload: Any) -> Reply:
        """`POST /api/contacts`: 201 with the contact; 422 for a phone already in the book."""
        check = Check()
        phone, values, lists = self._contact_body(check, json_object(payload))
        if check.errors or phone is None:
            return invalid(check.errors)
        if self.book.phone_taken(phone):
            return _DUPLICATE_PHONE
        contact = self.book.add_contact(phone, values)
        self.book.attach([contact.id], lists or ())
        return Reply(201, dumps({"data": self.book.contact_json(contact)}))

    def contact(self, raw_id: str) -> Reply:
        """`GET /api/contacts/{id}`: 422 "Invalid contact id" for an unknown one."""
        contact = self._contact_of(raw_id)
        if contact is None:
            return _INVALID_CONTACT
        return Reply(200, dumps({"data": self.book.contact_json(contact)}))

    def update_contact(self, raw_id: str, payload: Any) -> Reply:
        """`PUT /api/contacts/{id}`: the phone, the values given, and the lists given."""
        contact = self._contact_of(raw_id)
        if contact is None:
            return _INVALID_CONTACT
        check = Check()
        phone, values, lists = self._contact_body(check, json_object(payload))
        if check.errors or phone is None:
            return invalid(check.errors)
        holder = self.book.find_contact(phone)
        if holder is not None and holder.id != contact.id:
            return _DUPLICATE_PHONE
        changed = self.book.change_contact(contact, phone, values)
        if lists is not None:
            self.book.attach([contact.id], lists)
        return Reply(200, dumps({"data": self.book.contact_json(changed)}))

    def delete_contact(self, raw_id: str) -> Reply:
        """`DELETE /api/contacts/{id}`: 204; 422 "Invalid contact id" for an unknown one."""
        contact = self._contact_of(raw_id)
        if contact is None:
            return _INVALID_CONTACT
        self.book.remove_contact(contact.id)
        return NO_CONTENT

    def delete_contacts(self, query: str) -> Reply:
        """`POST /api/contacts/delete`: by `contact_ids[]` and/or `group_ids[]` (the contacts of
        those lists), up to 5,000 of each."""
        params = parse_qs(query, keep_blank_values=True)
        check = Check()
        bounds = (0, DELETE_MAX)
        contact_ids = check.integers(params.get("contact_ids[]", []), "contact_ids", bounds)
        list_ids = check.integers(params.get("group_ids[]", []), "group_ids", bounds)
        if check.errors or contact_ids is None or list_ids is None:
            return invalid(check.errors)
        doomed = set(contact_ids)
        for list_id in list_ids:
            doomed.update(c.id for c in self.book.members(list_id))
        for contact_id in sorted(doomed):
            if self.book.contact(contact_id) is not None:
                self.book.remove_contact(contact_id)
        return NO_CONTENT

    def _contacts_of_lists(self, check: Check, params: Params) -> Sequence[FakeContact]:
        """`GET /api/contacts`'s `groups[]`: the contacts of those lists (all without)."""
        lists = check.integers(params.get("groups[]", []), "groups", (0, UNBOUNDED))
        found = self.book.contacts
        if not lists:
            return found
        wanted = {c.id for i in lists for c in self.book.members(i)}
        return [c for c in found if c.id in wanted]

    def _contact_values(self, contact: FakeContact, field: str) -> Iterable[object]:
        """A contact's values of a searched field (`group_id`: each list it is in)."""
        if field == "id":
            return (contact.id,)
        if field == "phone":
            return (contact.phone,)
        if field == "group_id":
            return tuple(c.id for c in self.book.lists_of(contact.id))
        if field == "created_at":
            return (format_time(contact.created_at),)
        return (contact.fields.get(int(field)),)

    # -- custom fields -------------------------------------------------------------------------

    def fields(self) -> Reply:
        """`GET /api/contacts/fields`: every custom field, `{"data": [...]}`."""
        return Reply(200, dumps({"data": [self.book.field_json(f) for f in self.book.fields]}))

    def create_field(self, payload: Any) -> Reply:
        """`POST /api/contacts/fields`: 201 with the field."""
        data = json_object(payload)
        check = Check()
        name = check.text(data.get("name"), "name", FIELD_NAME_MAX)
        kind = data.get("type")
        if check.required(kind, "type") and kind not in FIELD_TYPES:
            check.add("type", "The selected type is invalid.")
        description = check.text(
            data.get("description"), "description", DESCRIPTION_MAX, required=False
        )
        visible = check.boolean(data.get("is_visible"), "is_visible")
        if check.errors or name is None:
            return invalid(check.errors)
        visible = True if visible is None else visible
        field = self.book.add_field(name, str(kind), description, visible)
        return Reply(201, dumps({"data": self.book.field_json(field)}))

    def update_field(self, raw_id: str, payload: Any) -> Reply:
        """`PATCH /api/contacts/fields/{id}`: name, description and/or visibility."""
        field = at_path_id(raw_id, self.book.field)
        if field is None:
            return not_found("Contact field not found.")
        data = json_object(payload)
        check = Check()
        name = check.text(data.get("name"), "name", FIELD_NAME_MAX, required=False)
        description = check.text(
            data.get("description"), "description", DESCRIPTION_MAX, required=False
        )
        visible = check.boolean(data.get("is_visible"), "is_visible")
        if check.errors:
            return invalid(check.errors)
        changed = self.book.change_field(
            field,
            field.name if name is None else name,
            field.description if description is None else description,
            field.is_visible if visible is None else visible,
        )
        return Reply(200, dumps({"data": self.book.field_json(changed)}))

    def delete_fields(self, payload: Any) -> Reply:
        """`POST /api/contacts/fields/delete`: 1 to 30 ids; 204."""
        check = Check()
        ids = check.integers(json_object(payload).get("ids"), "ids", (1, FIELDS_DELETE_MAX))
        if check.errors or ids is None:
            return invalid(check.errors)
        for field_id in ids:
            if self.book.field(field_id) is not None:
                self.book.remove_field(field_id)
        return NO_CONTENT

    def field_settings(self, raw_id: str) -> Reply:
        """`GET /api/settings/address-book-fields/{id}`: the custom fields of the book (the
        description leaves this answer's shape open; the fake lists the fields)."""
        field_id = path_id(raw_id)
        if field_id is None or field_id < 1:
            return invalid({"id": ["The id must be at least 1."]})
        fields = [self.book.field_json(f) for f in self.book.fields]
        return Reply(200, dumps({"data": {"id": field_id, "fields": fields}}))

    # -- contact lists -------------------------------------------------------------------------

    def _list_of(self, raw_id: str) -> FakeContactList | None:
        return at_path_id(raw_id, self.book.contact_list)

    def _list_body(
        self, check: Check, data: Mapping[str, Any]
    ) -> tuple[str | None, str | None, bool]:
        name = check.text(data.get("name"), "name", LIST_NAME[1])
        if name is not None and len(name) < LIST_NAME[0]:
            check.add("name", f"The name must be at least {LIST_NAME[0]} characters.")
        description = check.text(
            data.get("description"), "description", DESCRIPTION_MAX, required=False
        )
        default = check.boolean(data.get("default"), "default")
        return name, description, bool(default)

    def create_list(self, payload: Any) -> Reply:
        """`POST /api/groups`: 201 with the list; 422 for a name already taken."""
        check = Check()
        name, description, default = self._list_body(check, json_object(payload))
        if check.errors or name is None:
            return invalid(check.errors)
        if self.book.lists_taken(name):
            return _DUPLICATE_LIST
        created = self.book.add_list(name, description, default)
        return Reply(201, dumps({"data": self.book.list_json(created)}))

    def contact_list(self, raw_id: str) -> Reply:
        """`GET /api/groups/{id}`: 404 for an unknown list."""
        found = self._list_of(raw_id)
        if found is None:
            return not_found("Contact group is not found")
        return Reply(200, dumps({"data": self.book.list_json(found)}))

    def update_list(self, raw_id: str, payload: Any) -> Reply:
        """`PUT /api/groups/{id}`: 422 "Contact group is not found" / "... already exists"."""
        found = self._list_of(raw_id)
        if found is None:
            return _UNKNOWN_LIST
        check = Check()
        name, description, default = self._list_body(check, json_object(payload))
        if check.errors or name is None:
            return invalid(check.errors)
        if name != found.name and self.book.lists_taken(name):
            return _DUPLICATE_LIST
        changed = self.book.change_list(found, name, description, default)
        return Reply(200, dumps({"data": self.book.list_json(changed)}))

    def delete_list(self, raw_id: str) -> Reply:
        """`DELETE /api/groups/{id}`: 204; its contacts stay."""
        found = self._list_of(raw_id)
        if found is None:
            return not_found("Contact group is not found")
        self.book.remove_list(found.id)
        return NO_CONTENT

    def _list_values(self, found: FakeContactList, field: str) -> Iterable[object]:
        """A list's values of a searched field (`phone`: each of its contacts')."""
        if field == "phone":
            return tuple(c.phone for c in self.book.members(found.id))
        if field == "items":
            return (len(self.book.members(found.id)),)
        if field == "created_at":
            return (format_time(found.created_at),)
        return (getattr(found, field),)

    def _found_list_json(self, found: FakeContactList) -> dict[str, Any]:
        """A list as the search answers it (`is_default`, no `stop_list_count`)."""
        item = self.book.list_json(found)
        item["is_default"] = item.pop("default")
        del item["stop_list_count"]
        return item

    def _membership(self, payload: Any) -> tuple[list[int], list[int]] | Reply:
        data = json_object(payload)
        check = Check()
        contacts = check.integers(
            data.get("contacts"),
            "contacts",
            (1, ATTACH_CONTACTS_MAX),
            known=lambda contact_id: self.book.contact(contact_id) is not None,
        )
        lists = self._list_ids(check, data.get("groups"), "groups", (1, ATTACH_LISTS_MAX))
        if check.errors or contacts is None or lists is None:
            return invalid(check.errors)
        return contacts, lists

    def attach(self, payload: Any) -> Reply:
        """`POST /api/groups/attach`: the contacts join the lists; 200 `{}`."""
        found = self._membership(payload)
        if isinstance(found, Reply):
            return found
        self.book.attach(*found)
        return EMPTY

    def detach(self, payload: Any) -> Reply:
        """`POST /api/groups/detach`: the contacts leave the lists; 200 `{}`."""
        found = self._membership(payload)
        if isinstance(found, Reply):
            return found
        self.book.detach(*found)
        return EMPTY

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router` (fixed paths before `{id}`)."""

        book = self.book

        def by_id(handler: Callable[[str], Reply]) -> Callable[[Call], Reply]:
            return lambda call: handler(call.params["id"])

        return (
            Route(
                "GET",
                "contacts/search",
                lambda call: search(
                    call.query,
                    lambda check, params: book.contacts,
                    book.contact_json,
                    allowed=lambda field: CONTACT_SEARCH_FIELD.fullmatch(field) is not None,
                    sorts={"id": lambda c: c.id, "phone": lambda c: c.phone},
                    values=self._contact_values,
                ),
            ),
            Route("GET", "contacts/fields", lambda call: self.fields()),
            Route("POST", "contacts/fields", lambda call: self.create_field(call.json())),
            Route("POST", "contacts/fields/delete", lambda call: self.delete_fields(call.json())),
            Route(
                "PATCH",
                "contacts/fields/{id}",
                lambda call: self.update_field(call.params["id"], call.json()),
            ),
            Route("POST", "contacts/delete", lambda call: self.delete_contacts(call.query)),
            Route(
                "GET",
                "contacts",
                lambda call: listing(
                    call.query, self._contacts_of_lists, book.contact_json, default_limit=20
                ),
            ),
            Route("POST", "contacts", lambda call: self.create_contact(call.json())),
            Route("GET", "contacts/{id}", by_id(self.contact)),
            Route(
                "PUT",
                "contacts/{id}",
                lambda call: self.update_contact(call.params["id"], call.json()),
            ),
            Route("DELETE", "contacts/{id}", by_id(self.delete_contact)),
            Route("GET", "settings/address-book-fields/{id}", by_id(self.field_settings)),
            Route(
                "GET",
                "groups/search",
                lambda call: search(
                    call.query,
                    lambda check, params: book.contact_lists,
                    self._found_list_json,
                    allowed=LIST_SEARCH_FIELDS.__contains__,
                    sorts={
                        "id": lambda c: c.id,
                        "items": lambda c: len(book.members(c.id)),
                        "name": lambda c: c.name,
                        "description": lambda c: c.description or "",
                        "created_at": lambda c: c.created_at,
                    },
                    values=self._list_values,
                ),
            ),
            Route("POST", "groups/attach", lambda call: self.attach(call.json())),
            Route("POST", "groups/detach", lambda call: self.detach(call.json())),
            Route(
                "GET",
                "groups",
                lambda call: listing(
                    call.query, lambda check, params: book.contact_lists, book.list_json
                ),
            ),
            Route("POST", "groups", lambda call: self.create_list(call.json())),
            Route("GET", "groups/{id}", by_id(self.contact_list)),
            Route(
                "PUT", "groups/{id}", lambda call: self.update_list(call.params["id"], call.json())
            ),
            Route("DELETE", "groups/{id}", by_id(self.delete_list)),
        )
