"""The account's data on the One-API: contacts, their custom fields, contact lists and the stop
list, and the search criteria their searches take. Pure: no I/O.

The answer values are built by the converter (`bsg_async._converter`), which reads the wire's
names (`groups`, `items`, `default`, `sms_stoplist`, ...) into these. The request values check
the documented limits when they are built, so bad input raises `InvalidParameterError`
naming the field before any network traffic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any

import attrs

from ..errors import InvalidParameterError
from ._status import StatusEnum, UnknownStatus

__all__ = [
    "Contact",
    "ContactField",
    "ContactFieldType",
    "ContactList",
    "SearchCriterion",
    "SearchOperator",
    "StopListChannel",
    "StopListEntry",
]


class ContactFieldType(StatusEnum):
    """The kind of value a custom contact field holds (wire `type`)."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"


class StopListChannel(StatusEnum):
    """A stop list: the channel a phone number is stopped on (wire `types`)."""

    SMS = "sms"
    VIBER = "viber"
    RCS = "rcs"
    WHATSAPP = "whatsapp"


class SearchOperator(StatusEnum):
    """How a `SearchCriterion` compares: `like` (contains, for text), `=`, `>`, `>=`, `<`, `<=`."""

    LIKE = "like"
    EQUAL = "="
    GREATER = ">"
    GREATER_OR_EQUAL = ">="
    LESS = "<"
    LESS_OR_EQUAL = "<="


def _operator(value: Any) -> SearchOperator:
    if isinstance(value, SearchOperator):
        return value
    if isinstance(value, str):
        try:
            return SearchOperator(value.strip().lower())
        except ValueError:
            pass
    raise InvalidParameterError(
        "operator", value, "expected one of: like, =, >, >=, <, <= (or a SearchOperator)"
    )


def _criterion_field(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidParameterError(
            attribute.name, value, "expected a field name, or a custom field id (int)"
        )
    if isinstance(value, int) and value < 1:
        raise InvalidParameterError(attribute.name, value, "expected a custom field id >= 1")


def _criterion_value(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, str | int | datetime):
        raise InvalidParameterError(attribute.name, value, "expected a str, an int or a datetime")


@attrs.frozen
class SearchCriterion:
    """One condition of a search: `field` compared by `operator` with `value`.

    `field` is a field of what is searched (each search lists its own: `"phone"`, `"id"`,
    `"created_at"`, ...) or, for contacts, the id of a custom field (an `int`). `value` is a
    `str`, an `int`, or a `datetime` (sent `yyyy-mm-dd hh:mm:ss` on the service's clock).

    ```python
    SearchCriterion("phone", "like", "38050")
    SearchCriterion(388077, "=", "Zufafa")          # a custom field, by its id
    ```

    Raises `InvalidParameterError` for an unknown operator or a value of another type; a
    field the search does not know is refused by the search.
    """

    field: str | int = attrs.field(validator=_criterion_field)
    operator: SearchOperator = attrs.field(converter=_operator)
    value: str | int | datetime = attrs.field(validator=_criterion_value)


@attrs.frozen
class ContactList:
    """A contact list (the wire's "group"), as `bsg.contact_lists` and a contact return it.

    `contact_count` is how many contacts it holds (wire `items`), `stop_list_count` how many of
    them are on the SMS or Viber stop list; `is_default` whether it is the account's default
    list (wire `default`, or `is_default` in a search). A list embedded in a contact may leave
    the counts out (`None`).
    """

    id: int
    name: str | None = None
    description: str | None = None
    is_default: bool | None = None
    contact_count: int | None = None
    stop_list_count: int | None = None
    created_at: datetime | None = None


def _field_values(value: Any) -> Mapping[int, str]:
    return MappingProxyType(dict(value))


@attrs.frozen
class Contact:
    """A contact of the account's contact book, as `bsg.contacts` returns it.

    `phone` is the contact's number (digits); `fields` its custom field values by field id
    (see `bsg.contacts.fields`); `contact_lists` the lists it belongs to (wire `groups`);
    `hlr_status` and `hlr_last_check` the last HLR check of the number (`None`: never).
    """

    id: int
    phone: str
    fields: Mapping[int, str] = attrs.field(
        factory=lambda: MappingProxyType({}), converter=_field_values
    )
    contact_lists: tuple[ContactList, ...] = ()
    hlr_status: str | None = None
    hlr_last_check: datetime | None = None
    created_at: datetime | None = None


@attrs.frozen
class ContactField:
    """A custom contact field: `id`, `name` (1 to 30 characters), `type`, `description` and
    whether it `is_visible` in the web interface. A contact's values are keyed by `id`."""

    id: int
    name: str | None = None
    type: ContactFieldType | UnknownStatus | None = None
    description: str | None = None
    is_visible: bool | None = None


@attrs.frozen
class StopListEntry:
    """A phone number on the stop list: `id` (what `bsg.stop_list.remove` takes), `phone`, when
    it was added, and the channels it is stopped on (`sms`, `viber`, `rcs`)."""

    id: int
    phone: str
    created_at: datetime | None = None
    sms: bool = False
    viber: bool = False
    rcs: bool = False

    @property
    def channels(self) -> frozenset[StopListChannel]:
        """The channels the number is stopped on."""
        flags = (
            (StopListChannel.SMS, self.sms),
            (StopListChannel.VIBER, self.viber),
            (StopListChannel.RCS, self.rcs),
        )
        return frozenset(channel for channel, on in flags if on)


def search_criteria(
    criteria: object, fields: frozenset[str], *, custom_fields: bool = False
) -> tuple[SearchCriterion, ...]:
    """The criteria of a search: one `SearchCriterion` or an iterable of them (at least one),
    each on one of `fields` (or a custom field id, where `custom_fields`). Raises
    `InvalidParameterError` naming `criteria[i].field` for a field the search does not know."""
    if isinstance(criteria, SearchCriterion):
        criteria = (criteria,)
    if isinstance(criteria, str | bytes) or not isinstance(criteria, Iterable):
        raise InvalidParameterError("criteria", criteria, "expected SearchCriterion values")
    found = tuple(criteria)
    if not found:
        raise InvalidParameterError("criteria", [], "needs at least one SearchCriterion")
    for index, criterion in enumerate(found):
        if not isinstance(criterion, SearchCriterion):
            raise InvalidParameterError(
                f"criteria[{index}]", criterion, "expected a SearchCriterion"
            )
        field = criterion.field
        if isinstance(field, int) and custom_fields:
            continue
        if field not in fields:
            known = ", ".join(sorted(fields)) + (", a custom field id" if custom_fields else "")
            raise InvalidParameterError(f"criteria[{index}].field", field, f"expected {known}")
    return found
