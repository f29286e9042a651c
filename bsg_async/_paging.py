"""One-API answer shapes: the `{"data": {...}}` envelope, and one pagination mechanism for
every paged list; and the one read of a single object on each API (`one_object`, and
`legacy_object` for the legacy REST API, whose answers are the object itself).

A `Pages` is an async iterator over the items of all pages: it asks for `page[offset]` (from
0) and `page[limit]`, decodes each item through the converter, and moves the offset on by the
number of items received. Every answer shape is read: `{"data": [...], "meta": {"page":
{"total", "limit", "offset"}}}`, the tariffs' `{"data": [...], "total": N}` and the 2FA lists'
`{"data": {"list": [...], "total": N}}`. It always ends:
on an empty page, once the offset reaches the reported total, or (when no total is reported)
after a page shorter than the limit. A service that ignores the offset (the same page again)
is an `UnexpectedResponseError`, never an endless loop. Pages are fetched one at a time, only
as the caller iterates; breaking out early fetches no more.

A class rather than an async generator, so an abandoned iteration leaves nothing to finalise.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import _validation as rules
from ._converter import count_from
from .errors import UnexpectedResponseError

if TYPE_CHECKING:
    from ._transport import Answer
    from .client import AsyncBSG

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "Pages",
    "data_object",
    "legacy_object",
    "one_object",
    "page_size",
    "time_filters",
]

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50


def data_object(answer: Answer) -> Any:
    """The object inside a One-API `{"data": {...}}` answer (an unwrapped object is accepted
    as is)."""
    data = answer.data
    if isinstance(data, Mapping) and isinstance(data.get("data"), Mapping):
        return data["data"]
    return data


async def one_object(
    client: AsyncBSG, method: str, path: str, cls: type[T], *, json: Any = None
) -> T:
    """Request `path` and decode the object of its `{"data": {...}}` answer as `cls` (a read,
    or a change answered with the record as it is now)."""
    answer = await client.one_api_request(method, path, json=json)
    return client._wire.structure(data_object(answer), cls, http_status=answer.http_status)


async def legacy_object(
    client: AsyncBSG, method: str, path: str, cls: type[T], *, json: Any = None
) -> T:
    """Request `path` on the legacy REST API and decode its answer, the object itself (no
    envelope), as `cls`: a status read, or a price quote that sends nothing.

    Not for sends: their answers are decoded with `send=True` and recovered when in doubt
    (`_sending`). Raises what the request raises, and `UnexpectedResponseError` for an answer
    it cannot decode.
    """
    answer = await client.legacy_request(method, path, json=json)
    return client._wire.structure(answer.data, cls, http_status=answer.http_status)


def page_size(value: object, bounds: tuple[int, int]) -> int:
    """The `page_size` argument: an int within the endpoint's documented `bounds`.

    Raises `InvalidParameterError` naming `page_size`.
    """
    return rules.integer(value, "page_size", bounds, "items per page")


def time_filters(
    client: AsyncBSG, created_from: datetime | None, created_to: datetime | None
) -> dict[str, str | int]:
    """`created_from` and `created_to` as the filters `filter[from]` and `filter[to]`,
    written `yyyy-mm-dd hh:mm:ss`, where given."""
    params: dict[str, str | int] = {}
    zone = client._wire.zone
    for name, field, value in (
        ("from", "created_from", created_from),
        ("to", "created_to", created_to),
    ):
        if value is not None:
            params[f"filter[{name}]"] = rules.service_time(value, field, zone).strftime(
                rules.TIME_FORMAT
            )
    return params


class Pages(AsyncIterator[T], Generic[T]):
    """The items of a paged One-API list, fetched page by page as iteration goes.

    ```python
    async for campaign in bsg.campaigns.list():
        print(campaign.id, campaign.status)
    ```

    Raises, while iterating, what the request raises (`APIError`, `TransportError`, ...)
    and `UnexpectedResponseError` for a page it cannot decode. Most lists page by
    `page[offset]` and `page[limit]`; `numbered=True` is for those that page by `page` (from 1)
    and `per_page` (the short links).
    """

    def __init__(
        self,
        client: AsyncBSG,
        path: str,
        item_type: type[T],
        *,
        limit: int,
        params: Mapping[str, str | int | Sequence[int]] | None = None,
        numbered: bool = False,
    ) -> None:
        self._client = client
        self._path = path
        self._item_type = item_type
        self._limit = limit
        self._params = dict(params or {})
        self._numbered = numbered
        self._offset = 0
        self._buffer: deque[T] = deque()
        self._previous: list[T] = []
        self._done = False

    def __aiter__(self) -> Pages[T]:
        return self

    async def __anext__(self) -> T:
        while not self._buffer:
            if self._done:
                raise StopAsyncIteration
            await self._fetch()
        return self._buffer.popleft()

    async def _fetch(self) -> None:
        if self._numbered:  # `page` (from 1) and `per_page`, as the short-link lists page
            where: dict[str, str | int] = {
                "page": self._offset // self._limit + 1,
                "per_page": self._limit,
            }
        else:
            where = {"page[offset]": self._offset, "page[limit]": self._limit}
        params = {**self._params, **where}
        answer = await self._client.one_api_request("GET", self._path, params=params)
        items, total = _page(answer.data, answer.http_status)
        wire = self._client._wire
        decoded = [
            wire.structure(item, self._item_type, http_status=answer.http_status) for item in items
        ]
        if decoded and decoded == self._previous:
            self._done = True
            raise UnexpectedResponseError(
                f"the service answered offset {self._offset} with the previous page again",
                http_status=answer.http_status,
                field="$.data",
            )
        self._previous = decoded
        self._offset += len(decoded)
        if (
            not decoded
            or (total is not None and self._offset >= total)
            or (total is None and len(decoded) < self._limit)
        ):
            self._done = True
        self._buffer.extend(decoded)


def _page(data: Any, http_status: int) -> tuple[list[Any], int | None]:
    """The items and the reported total (`None` when not reported) of one page."""
    inner = data.get("data") if isinstance(data, Mapping) else None
    if isinstance(inner, Mapping) and isinstance(inner.get("list"), list):
        return inner["list"], count_from(inner.get("total"))  # the 2FA lists' shape
    if not isinstance(data, Mapping) or not isinstance(data.get("data"), list):
        raise UnexpectedResponseError(
            "expected a page: a JSON object with a 'data' list",
            http_status=http_status,
            field="$.data",
        )
    total: Any = data.get("total")
    meta = data.get("meta")
    if isinstance(meta, Mapping) and isinstance(meta.get("page"), Mapping):
        total = meta["page"].get("total", total)
    return data["data"], count_from(total)  # anything but a count: unknown
