"""One-API searches (contacts, contact lists, the stop list): the criteria checked against the
fields a search knows, its sort, and the pages of what it finds.

Every search takes `search[field|operator|value]` (or `search_fields[i][...]` for several
criteria, all of which apply), `sort` and `way`, and pages 15 to 500 items; the codec writes
the query (`Wire.search_params`), `_paging.Pages` fetches it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, TypeVar

from . import _validation as rules
from ._paging import Pages, page_size
from .errors import InvalidParameterError
from .models.contacts import SearchCriterion, search_criteria

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["PAGE_SIZE_BOUNDS", "search_pages"]

T = TypeVar("T")

PAGE_SIZE_BOUNDS = (15, 500)


def search_pages(
    client: AsyncBSG,
    path: str,
    item_type: type[T],
    criteria: SearchCriterion | Iterable[SearchCriterion],
    *,
    fields: Mapping[str, str],
    sorts: frozenset[str],
    sort: object,
    descending: object,
    size: object,
    custom_fields: bool = False,
    params: Mapping[str, str | int] | None = None,
) -> Pages[T]:
    """The pages of a search on `path`: `fields` maps the SDK's field names to the wire's
    (custom field ids too where `custom_fields`); `sort` is one of `sorts`.

    Raises `InvalidParameterError` at once for a bad argument.
    """
    found = search_criteria(criteria, frozenset(fields), custom_fields=custom_fields)
    if not (isinstance(sort, str) and sort in sorts):
        raise InvalidParameterError("sort", sort, f"expected one of: {', '.join(sorted(sorts))}")
    query = client._wire.search_params(
        found, fields, sort=sort, descending=rules.boolean(descending, "descending")
    )
    query.update(params or {})
    limit = page_size(size, PAGE_SIZE_BOUNDS)
    return Pages(client, path, item_type, limit=limit, params=query)
