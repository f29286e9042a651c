"""The fake's address book: contacts, their custom fields, contact lists and the stop list.

One state for the whole fake: the contact-list endpoints create the lists that campaigns to
contact lists (`send-groups`) reach, and the stop list is what a send with `check_stop_list`
honours. Each kind of record lives in a `Store` (one store design); which contacts a list holds
is kept once, by list (`members`). The lists of `Account(contact_lists=...)` are made when the
fake is (and again on `reset()`), with their configured ids, as lists holding contacts of those
phones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

import attrs

from ._fates import format_time
from ._store import Store

__all__ = [
    "CONTACT_ID_BASE",
    "CONTACT_LIST_ID_BASE",
    "FIELD_ID_BASE",
    "STOP_LIST_ID_BASE",
    "STOP_LIST_TYPES",
    "AddressBook",
    "FakeContact",
    "FakeContactField",
    "FakeContactList",
    "FakeStopListEntry",
]

CONTACT_ID_BASE = 248_452_739  # the documentation's example ids
CONTACT_LIST_ID_BASE = 1_864_618
FIELD_ID_BASE = 387_714
STOP_LIST_ID_BASE = 24_142_096
STOP_LIST_TYPES = ("sms", "viber", "rcs", "whatsapp")


@attrs.frozen
class FakeContact:
    """A contact of the fake's book: its `phone` (digits), custom `fields` values by field id
    and when it was created (the fake's clock)."""

    id: int
    phone: str
    fields: Mapping[int, str] = attrs.field(repr=False)
    created_at: float


@attrs.frozen
class FakeContactList:
    """A contact list of the fake: `name` (unique), `description`, `is_default`, created at."""

    id: int
    name: str
    description: str | None
    is_default: bool
    created_at: float


@attrs.frozen
class FakeContactField:
    """A custom contact field: `name`, `type` (`text`, `number`, `date`), `description`,
    `is_visible`."""

    id: int
    name: str
    type: str
    description: str | None
    is_visible: bool


@attrs.frozen
class FakeStopListEntry:
    """A stopped phone number: the stop lists (`types`: `sms`, `viber`, `rcs`, `whatsapp`) it
    is on, and when it was first added."""

    id: int
    phone: str
    types: frozenset[str]
    created_at: float


Contacts = Store[[str, Mapping[int, str], float], FakeContact]
"""The contacts, keyed by phone (unique)."""
ContactLists = Store[[str, str | None, bool, float], FakeContactList]
"""The contact lists, keyed by name (unique)."""
Fields = Store[[str, str, str | None, bool], FakeContactField]
"""The custom fields, keyed by name."""
StopList = Store[[str, frozenset[str], float], FakeStopListEntry]
"""The stop list, keyed by phone (unique)."""


class AddressBook:
    """The address book's state (`fake.address_book`): read it in tests.

    ```python
    [contact_list] = fake.address_book.contact_lists
    assert [c.phone for c in fake.address_book.members(contact_list.id)] == ["380501234567"]
    assert fake.address_book.is_stopped("380501234567", "rcs")
    ```
    """

    def __init__(self, configured: Mapping[int, tuple[str, ...]], now: Callable[[], float]):
        self._configured = configured
        self.now = now
        first_list = min((CONTACT_LIST_ID_BASE, *configured))
        self._contacts: Contacts = Store(CONTACT_ID_BASE, FakeContact, key=0)
        self._lists: ContactLists = Store(first_list, FakeContactList, key=0)
        self._fields: Fields = Store(FIELD_ID_BASE, FakeContactField, key=0)
        self._stop_list: StopList = Store(STOP_LIST_ID_BASE, FakeStopListEntry, key=0)
        self._members: dict[int, dict[int, None]] = {}
        self._seed()

    # -- what tests read ---------------------------------------------------------------------

    @property
    def contacts(self) -> tuple[FakeContact, ...]:
        """Every contact, in id order (a copy)."""
        return tuple(self._contacts)

    @property
    def contact_lists(self) -> tuple[FakeContactList, ...]:
        """Every contact list, in id order (a copy)."""
        return tuple(self._lists)

    @property
    def fields(self) -> tuple[FakeContactField, ...]:
        """Every custom contact field, in id order (a copy)."""
        return tuple(self._fields)

    @property
    def stop_list(self) -> tuple[FakeStopListEntry, ...]:
        """Every stopped phone number, in id order (a copy)."""
        return tuple(self._stop_list)

    def contact(self, contact_id: int) -> FakeContact | None:
        """The contact with this id, or `None`."""
        return self._contacts.get(contact_id)

    def find_contact(self, phone: str) -> FakeContact | None:
        """The contact with this phone, or `None`."""
        return self._contacts.find(phone)

    def contact_list(self, list_id: int) -> FakeContactList | None:
        """The contact list with this id, or `None`."""
        return self._lists.get(list_id)

    def members(self, list_id: int) -> tuple[FakeContact, ...]:
        """The contacts of a contact list, in the order they were put in (empty for an
        unknown list)."""
        found = (self._contacts.get(i) for i in self._members.get(list_id, ()))
        return tuple(contact for contact in found if contact is not None)

    def lists_of(self, contact_id: int) -> tuple[FakeContactList, ...]:
        """The contact lists a contact is in, in list id order."""
        found = (
            self._lists.get(list_id)
            for list_id, members in self._members.items()
            if contact_id in members
        )
        return tuple(sorted((c for c in found if c is not None), key=lambda c: c.id))

    def is_stopped(self, phone: str, channel: str) -> bool:
        """Whether `phone` is on the stop list of `channel` (`"sms"`, `"viber"`, `"rcs"`,
        `"whatsapp"`)."""
        entry = self._stop_list.find(phone)
        return entry is not None and channel in entry.types

    def stop_list_entry(self, phone: str) -> FakeStopListEntry | None:
        """The stop-list entry of `phone`, or `None`."""
        return self._stop_list.find(phone)

    # -- changes (the endpoints') ------------------------------------------------------------

    def add_contact(self, phone: str, fields: Mapping[int, str]) -> FakeContact:
        """A new contact (its phone must not be taken: the endpoint checks)."""
        return self._contacts.create(phone, MappingProxyType(dict(fields)), self.now())

    def change_contact(
        self, contact: FakeContact, phone: str, fields: Mapping[int, str]
    ) -> FakeContact:
        """Give a contact another phone and set these custom values (the others stay); the
        contact as it is now."""
        merged = MappingProxyType({**contact.fields, **fields})
        return self._contacts.replace(contact.id, phone, merged, contact.created_at)

    def remove_contact(self, contact_id: int) -> None:
        """Forget a contact, and take it out of every list."""
        self._contacts.remove(contact_id)
        for members in self._members.values():
            members.pop(contact_id, None)

    def add_list(self, name: str, description: str | None, is_default: bool) -> FakeContactList:
        """A new contact list (its name must not be taken: the endpoint checks)."""
        created = self._lists.create(name, description, is_default, self.now())
        self._members[created.id] = {}
        return created

    def change_list(
        self, contact_list: FakeContactList, name: str, description: str | None, is_default: bool
    ) -> FakeContactList:
        """Rename or redescribe a contact list; the list as it is now."""
        return self._lists.replace(
            contact_list.id, name, description, is_default, contact_list.created_at
        )

    def remove_list(self, list_id: int) -> None:
        """Forget a contact list (its contacts stay in the book)."""
        self._lists.remove(list_id)
        self._members.pop(list_id, None)

    def attach(self, contact_ids: Iterable[int], list_ids: Iterable[int]) -> None:
        """Put the contacts in the lists (once each)."""
        lists = list(list_ids)
        for contact_id in contact_ids:
            for list_id in lists:
                self._members.setdefault(list_id, {})[contact_id] = None

    def detach(self, contact_ids: Iterable[int], list_ids: Iterable[int]) -> None:
        """Take the contacts out of the lists."""
        lists = list(list_ids)
        for contact_id in contact_ids:
            for list_id in lists:
                self._members.get(list_id, {}).pop(contact_id, None)

    def lists_taken(self, name: str) -> bool:
        """Whether a contact list has this name."""
        return self._lists.taken(name)

    def phone_taken(self, phone: str) -> bool:
        """Whether a contact has this phone."""
        return self._contacts.taken(phone)

    def add_field(
        self, name: str, kind: str, description: str | None, is_visible: bool
    ) -> FakeContactField:
        """A new custom field."""
        return self._fields.create(name, kind, description, is_visible)

    def field(self, field_id: int) -> FakeContactField | None:
        """The custom field with this id, or `None`."""
        return self._fields.get(field_id)

    def change_field(
        self, field: FakeContactField, name: str, description: str | None, is_visible: bool
    ) -> FakeContactField:
        """Rename, redescribe, show or hide a custom field; the field as it is now."""
        return self._fields.replace(field.id, name, field.type, description, is_visible)

    def remove_field(self, field_id: int) -> None:
        """Forget a custom field and every contact's value of it."""
        self._fields.remove(field_id)
        for contact in tuple(self._contacts):
            if field_id in contact.fields:
                values = {k: v for k, v in contact.fields.items() if k != field_id}
                self._contacts.replace(
                    contact.id, contact.phone, MappingProxyType(values), contact.created_at
                )

    def stop(self, phones: Iterable[str], types: Iterable[str]) -> list[FakeStopListEntry]:
        """Put the phones on the stop lists of `types`; their entries as they are now."""
        added = frozenset(types)
        entries = []
        for phone in phones:
            entry = self._stop_list.find(phone)
            if entry is None:
                entries.append(self._stop_list.create(phone, added, self.now()))
            else:
                types = entry.types | added
                entries.append(self._stop_list.replace(entry.id, phone, types, entry.created_at))
        return entries

    def unstop(self, entry_ids: Iterable[int], types: Iterable[str]) -> None:
        """Take the entries off the stop lists of `types`; an entry on none is forgotten."""
        removed = frozenset(types)
        for entry_id in entry_ids:
            entry = self._stop_list.get(entry_id)
            if entry is None:
                continue
            left = entry.types - removed
            if left:
                self._stop_list.replace(entry_id, entry.phone, left, entry.created_at)
            else:
                self._stop_list.remove(entry_id)

    def stop_list_entry_by_id(self, entry_id: int) -> FakeStopListEntry | None:
        """The stop-list entry with this id, or `None`."""
        return self._stop_list.get(entry_id)

    # -- JSON ---------------------------------------------------------------------------------

    def list_json(self, contact_list: FakeContactList) -> dict[str, object]:
        """A contact list as the One-API answers it (`ContactGroupSchema`)."""
        members = self.members(contact_list.id)
        return {
            "id": contact_list.id,
            "name": contact_list.name,
            "description": contact_list.description,
            "default": contact_list.is_default,
            "created_at": format_time(contact_list.created_at),
            "items": len(members),
            "stop_list_count": sum(
                1
                for contact in members
                if self.is_stopped(contact.phone, "sms") or self.is_stopped(contact.phone, "viber")
            ),
        }

    def contact_json(self, contact: FakeContact) -> dict[str, object]:
        """A contact as the One-API answers it (`fields` an object by field id, `[]` when
        empty, as PHP writes an empty object)."""
        fields: object = {str(k): v for k, v in contact.fields.items()} or []
        return {
            "id": contact.id,
            "phone": int(contact.phone),
            "fields": fields,
            "groups": [self.list_json(c) for c in self.lists_of(contact.id)],
            "hlr_status": "unknown",
            "hlr_last_check": None,
            "created_at": format_time(contact.created_at),
        }

    @staticmethod
    def field_json(field: FakeContactField) -> dict[str, object]:
        """A custom field as the One-API answers it."""
        return {
            "id": field.id,
            "name": field.name,
            "type": field.type,
            "description": field.description,
            "is_visible": field.is_visible,
        }

    @staticmethod
    def stop_json(entry: FakeStopListEntry) -> dict[str, object]:
        """A stop-list entry as the One-API answers it."""
        return {
            "id": entry.id,
            "phone": int(entry.phone),
            "created_at": format_time(entry.created_at),
            "sms_stoplist": "sms" in entry.types,
            "viber_stoplist": "viber" in entry.types,
            "rcs_stoplist": "rcs" in entry.types,
        }

    # -- lifecycle ----------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget everything, then make the configured lists again."""
        for store in (self._contacts, self._lists, self._fields, self._stop_list):
            store.clear()
        self._members.clear()
        self._seed()

    def _seed(self) -> None:
        """The configured contact lists (`Account.contact_lists`), with their ids."""
        for list_id in sorted(self._configured):
            self._lists.skip_to(list_id)
            self.add_list(f"List {list_id}", None, False)
            contact_ids = []
            for phone in self._configured[list_id]:
                contact = self._contacts.find(phone) or self.add_contact(phone, {})
                contact_ids.append(contact.id)
            self.attach(contact_ids, [list_id])
