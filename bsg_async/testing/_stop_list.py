"""The fake One-API's stop-list endpoints, over the fake's `AddressBook`: `POST
/api/stoplist/attach` (up to 1,000 phones on the stop lists of `types`), `POST
/api/stoplist/detach` (up to 200 entry ids off them), `GET /api/stoplist` (paged, 15 to 500,
default 20, optionally of one `type`) and `GET /api/stoplist/search` (by id, phone, created_at
or type; `contact_group_id`). What a stopped number means to a send is the sending area's
(`RcsApi` honours `check_stop_list`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ._address_book import STOP_LIST_TYPES, AddressBook, FakeStopListEntry
from ._check import Check, first
from ._fates import format_time
from ._json import dumps
from ._reply import EMPTY, Reply, invalid
from ._routes import Route
from ._search import Params, listing, search

__all__ = ["PHONE_BOUNDS", "StopListApi", "json_object"]

PHONE_BOUNDS = (100_000_000, 999_999_999_999_999)
ADD_MAX = 1000
REMOVE_MAX = 200
SEARCH_FIELDS = frozenset({"id", "phone", "created_at", "type"})


def json_object(payload: Any) -> dict[str, Any]:
    """A request body that should be a JSON object (anything else: an empty one, which the
    checks then refuse field by field)."""
    return payload if isinstance(payload, dict) else {}


class StopListApi:
    """The stop-list endpoints over an `AddressBook`."""

    def __init__(self, book: AddressBook) -> None:
        self.book = book

    def _types(self, check: Check, value: Any) -> list[str]:
        types = []
        for index, item in enumerate(check.items(value, "types", (1, len(STOP_LIST_TYPES))) or ()):
            if item in STOP_LIST_TYPES:
                types.append(str(item))
            else:
                check.add(f"types.{index}", f"The selected types.{index} is invalid.")
        return types

    def stop(self, payload: Any) -> Reply:
        """`POST /api/stoplist/attach`: the entries as they are now."""
        data = json_object(payload)
        check = Check()
        numbers = check.integers(data.get("phones"), "phones", (1, ADD_MAX), each=PHONE_BOUNDS)
        types = self._types(check, data.get("types"))
        if check.errors or numbers is None:
            return invalid(check.errors)
        entries = self.book.stop([str(number) for number in numbers], types)
        return Reply(200, dumps({"data": [self.book.stop_json(e) for e in entries]}))

    def unstop(self, payload: Any) -> Reply:
        """`POST /api/stoplist/detach`: 200 `{}`."""
        data = json_object(payload)
        check = Check()
        ids = check.integers(data.get("ids"), "ids", (1, REMOVE_MAX))
        types = self._types(check, data.get("types"))
        if check.errors or ids is None:
            return invalid(check.errors)
        self.book.unstop(ids, types)
        return EMPTY

    def _of_type(self, check: Check, params: Params) -> Sequence[FakeStopListEntry]:
        kind = first(params, "type")
        if kind is not None and kind not in STOP_LIST_TYPES:
            check.add("type", "The selected type is invalid.")
        return [e for e in self.book.stop_list if kind is None or kind in e.types]

    def _in_list(self, check: Check, params: Params) -> Sequence[FakeStopListEntry]:
        list_id = check.integer(first(params, "contact_group_id"), "contact_group_id")
        if list_id is None:
            return self.book.stop_list
        phones = {c.phone for c in self.book.members(list_id)}
        return [e for e in self.book.stop_list if e.phone in phones]

    @staticmethod
    def _values(entry: FakeStopListEntry, field: str) -> Iterable[object]:
        if field == "type":
            return sorted(entry.types)
        if field == "created_at":
            return (format_time(entry.created_at),)
        return (entry.id,) if field == "id" else (entry.phone,)

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router`."""
        stop_json = self.book.stop_json
        return (
            Route("POST", "stoplist/attach", lambda call: self.stop(call.json())),
            Route("POST", "stoplist/detach", lambda call: self.unstop(call.json())),
            Route(
                "GET",
                "stoplist/search",
                lambda call: search(
                    call.query,
                    self._in_list,
                    stop_json,
                    allowed=SEARCH_FIELDS.__contains__,
                    sorts={"id": lambda e: e.id, "phone": lambda e: e.phone},
                    values=self._values,
                ),
            ),
            Route(
                "GET",
                "stoplist",
                lambda call: listing(call.query, self._of_type, stop_json, default_limit=20),
            ),
        )
