"""`bsg.stop_list`: the account's stop lists on the One-API (one per channel: SMS, Viber, RCS,
WhatsApp).

A send with `check_stop_list` (the default) does not reach a number stopped on its channel.
Adding a number already stopped, or removing one that is not, changes nothing, so both are
retried like any request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from types import MappingProxyType
from typing import TYPE_CHECKING

from . import _validation as rules
from ._paging import DEFAULT_PAGE_SIZE, Pages
from ._paging import page_size as checked_page_size
from ._search import PAGE_SIZE_BOUNDS, Search
from .errors import InvalidParameterError
from .models.contacts import SearchCriterion, StopListChannel, StopListEntry

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["StopListResource"]

PATH = "/api/stoplist"
ADD_MAX = 1000
REMOVE_MAX = 200
SEARCH_FIELDS = MappingProxyType(
    {"id": "id", "phone": "phone", "created_at": "created_at", "channel": "type"}
)
SORT_FIELDS = frozenset({"id", "phone"})
SEARCH = Search(f"{PATH}/search", StopListEntry, SEARCH_FIELDS, SORT_FIELDS)


class StopListResource:
    """The stop lists of the One-API, as `bsg.stop_list`."""

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def add(
        self, phones: Iterable[str], *, channels: Iterable[StopListChannel | str]
    ) -> tuple[StopListEntry, ...]:
        """Stop 1 to 1,000 phone numbers on the given channels (`"sms"`, `"viber"`, `"rcs"`,
        `"whatsapp"`); return their stop-list entries (whose `id` `remove` takes).

        ```python
        [entry] = await bsg.stop_list.add(["380661231231"], channels=["sms", "rcs"])
        ```

        Raises `InvalidParameterError` before sending for a bad phone or channel.
        """
        numbers = _phones(phones)
        payload = self._client._wire.stop_list_add(numbers, _channels(channels))
        answer = await self._client.one_api_request("POST", f"{PATH}/attach", json=payload)
        return self._client._wire.data_items(
            answer.data, StopListEntry, http_status=answer.http_status
        )

    async def remove(
        self, ids: Iterable[int], *, channels: Iterable[StopListChannel | str]
    ) -> None:
        """Take 1 to 200 entries (`StopListEntry.id`) off the stop lists of the given channels.

        ```python
        await bsg.stop_list.remove([entry.id], channels=["rcs"])
        ```

        Raises `InvalidParameterError` before sending for a bad id or channel.
        """
        payload = self._client._wire.stop_list_remove(
            rules.ids(ids, "ids", (1, REMOVE_MAX)), _channels(channels)
        )
        await self._client.one_api_request("POST", f"{PATH}/detach", json=payload)

    def list(
        self,
        *,
        channel: StopListChannel | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[StopListEntry]:
        """Every stopped number (or those stopped on `channel`), as an async iterator that
        fetches pages of `page_size` (15 to 500) as it goes.

        ```python
        stopped = {entry.phone async for entry in bsg.stop_list.list(channel="rcs")}
        ```
        """
        params = {} if channel is None else {"type": _channel(channel, "channel")}
        limit = checked_page_size(page_size, PAGE_SIZE_BOUNDS)
        return Pages(self._client, PATH, StopListEntry, limit=limit, params=params)

    def search(
        self,
        criteria: SearchCriterion | Iterable[SearchCriterion],
        *,
        contact_list: int | None = None,
        sort: str = "id",
        descending: bool = False,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[StopListEntry]:
        """The stopped numbers matching every criterion (and in `contact_list`, when given),
        sorted by `sort` (`"id"` or `"phone"`), as an async iterator that fetches pages of
        `page_size` (15 to 500) as it goes.

        A criterion's field is `"id"`, `"phone"`, `"created_at"` or `"channel"` (the stop
        list's type, wire `type`).

        ```python
        async for entry in bsg.stop_list.search(SearchCriterion("phone", "=", "38267168999")):
            print(entry.id, entry.channels)
        ```

        Raises `InvalidParameterError` at once for a bad argument; while iterating, what a
        request raises.
        """
        params = {}
        if contact_list is not None:
            params["contact_group_id"] = rules.message_id(contact_list, "contact_list")
        return SEARCH.pages(
            self._client,
            criteria,
            sort=sort,
            descending=descending,
            page_size=page_size,
            params=params,
        )


def _phones(value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise InvalidParameterError("phones", value, "expected a list of phone numbers")
    numbers = list(
        dict.fromkeys(
            rules.msisdn(item, f"phones[{index}]", min_digits=rules.ONE_API_PHONE_MIN_DIGITS)
            for index, item in enumerate(value)
        )
    )
    if not numbers:
        raise InvalidParameterError("phones", [], "needs at least one phone number")
    if len(numbers) > ADD_MAX:
        raise InvalidParameterError(
            "phones", f"{len(numbers)} phones", f"at most {ADD_MAX} phones per request"
        )
    return numbers


def _channel(value: object, field: str) -> str:
    return StopListChannel.required(value, field)


def _channels(value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        value = [value]
    found = list(
        dict.fromkeys(_channel(item, f"channels[{index}]") for index, item in enumerate(value))
    )
    if not found:
        raise InvalidParameterError("channels", [], "needs at least one channel")
    return found
