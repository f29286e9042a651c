"""One-API searches (contacts, contact lists, the stop list): the criteria checked against the
fields a search knows, its sort, and the pages of what it finds.

Every search takes `search[field|operator|value]` (or `search_fields[i][...]` for several
criteria, all of which apply), `sort` and `way`, and pages 15 to 500 items; the codec writes
the query (`Wire.search_params`), `_paging.Pages` fetches it. A `Search` describes what one
endpoint knows; its `pages` runs a search, its `finder` looks one record up by an exact value
(the lookup a keyed create makes after a lost answer).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Generic, TypeVar

import attrs

from . import _validation as rules
from ._paging import Pages
from ._paging import page_size as checked_page_size
from .models.contacts import SearchCriterion, SearchOperator, search_criteria

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["PAGE_SIZE_BOUNDS", "Search"]

T = TypeVar("T")

PAGE_SIZE_BOUNDS = (15, 500)


@attrs.frozen
class Search(Generic[T]):
    """The search endpoint `path` of one kind of record: `fields` maps the SDK's field names
    to the wire's (custom field ids too where `custom_fields`); a search sorts by one of
    `sorts`."""

    path: str
    item_type: type[T]
    fields: Mapping[str, str]
    sorts: frozenset[str]
    custom_fields: bool = False

    def pages(
        self,
        client: AsyncBSG,
        criteria: SearchCriterion | Iterable[SearchCriterion],
        *,
        sort: object,
        descending: object,
        page_size: object,
        params: Mapping[str, str | int] | None = None,
    ) -> Pages[T]:
        """The pages of the records matching every criterion (and `params`, the endpoint's
        own filters).

        Raises `InvalidParameterError` at once for a bad argument.
        """
        found = search_criteria(criteria, frozenset(self.fields), custom_fields=self.custom_fields)
        query = client._wire.search_params(
            found,
            self.fields,
            sort=rules.choice(sort, "sort", sorted(self.sorts)),
            descending=rules.boolean(descending, "descending"),
        )
        query.update(params or {})
        limit = checked_page_size(page_size, PAGE_SIZE_BOUNDS)
        return Pages(client, self.path, self.item_type, limit=limit, params=query)

    def finder(self, client: AsyncBSG, field: str, value: str) -> Callable[[], Awaitable[T | None]]:
        """A lookup of the record whose `field` (a search field named as the record's
        attribute, such as `phone`) is `value` exactly, or `None`."""

        async def find() -> T | None:
            criterion = SearchCriterion(field, SearchOperator.EQUAL, value)
            pages = self.pages(
                client, criterion, sort="id", descending=False, page_size=PAGE_SIZE_BOUNDS[0]
            )
            async for item in pages:
                if getattr(item, field) == value:
                    return item
            return None

        return find
