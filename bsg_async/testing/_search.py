"""The fake One-API's lists and searches of records (contacts, contact lists, the stop list):
one way to page, filter and sort them, as the service answers.

A list answers `{"data": [...], "total": N}`; a search `{"data": [...], "meta": {"page",
"search"}}`. A search takes `search[field|operator|value]` and `search_fields[i][...]` (every
criterion applies), `sort` and `way`; `like` finds text in any case, the other operators
compare numbers as numbers and other values as text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import parse_qs

import attrs

from ._check import Check, first, paging
from ._json import dumps
from ._reply import Reply, invalid

__all__ = ["PAGE_BOUNDS", "Criterion", "Params", "listing", "search", "search_criteria"]

R = TypeVar("R")

PAGE_BOUNDS = (15, 500)
OPERATORS = frozenset({"like", "=", ">=", ">", "<", "<="})

Params = Mapping[str, list[str]]
"""A query as `parse_qs` reads it."""


@attrs.frozen
class Criterion:
    """One search condition as received: `field`, `operator`, `value` (all text)."""

    field: str
    operator: str
    value: str

    def holds(self, values: Iterable[object]) -> bool:
        """Whether any of a record's values for `field` satisfies the condition."""
        return any(_compare(value, self.operator, self.value) for value in values)


def search_criteria(
    check: Check, params: Params, allowed: Callable[[str], bool]
) -> list[Criterion]:
    """`search[...]` and every `search_fields[i][...]` of the query, checked."""
    prefixes = [("search", "search")]
    index = 0
    while any(f"search_fields[{index}][{part}]" in params for part in ("field", "value")):
        prefixes.append((f"search_fields[{index}]", f"search_fields.{index}"))
        index += 1
    found = []
    for prefix, key in prefixes:
        field = first(params, f"{prefix}[field]")
        operator = first(params, f"{prefix}[operator]") or "="
        value = first(params, f"{prefix}[value]")
        if field is None and value is None:
            continue
        if field is None or not allowed(field):
            check.add(f"{key}.field", f"The selected {key}.field is invalid.")
        if operator not in OPERATORS:
            check.add(f"{key}.operator", f"The selected {key}.operator is invalid.")
        if value is None:
            check.add(f"{key}.value", f"The {key}.value field is required.")
        if field is not None and value is not None:
            found.append(Criterion(field, operator, value))
    return found


def listing(
    query: str,
    select: Callable[[Check, Params], Sequence[R]],
    to_json: Callable[[R], dict[str, Any]],
    *,
    default_limit: int = 50,
) -> Reply:
    """A paged list (15 to 500 a page): `select` checks the query's own parameters and gives
    the records; answered `{"data": [...], "total": N}`."""
    params = parse_qs(query, keep_blank_values=True)
    check = Check()
    offset, limit = paging(check, params, PAGE_BOUNDS, default_limit)
    records = select(check, params)
    if check.errors:
        return invalid(check.errors)
    page = [to_json(record) for record in records[offset : offset + limit]]
    return Reply(200, dumps({"data": page, "total": len(records)}))


def search(
    query: str,
    select: Callable[[Check, Params], Iterable[R]],
    to_json: Callable[[R], dict[str, Any]],
    *,
    allowed: Callable[[str], bool],
    sorts: Mapping[str, Callable[[R], Any]],
    values: Callable[[R, str], Iterable[object]],
) -> Reply:
    """A paged search (15 to 500 a page): the records `select` gives that satisfy every
    criterion (on `allowed` fields; `values` gives a record's values of a field), sorted by
    one of `sorts`."""
    params = parse_qs(query, keep_blank_values=True)
    check = Check()
    offset, limit = paging(check, params, PAGE_BOUNDS)
    records = select(check, params)
    criteria = search_criteria(check, params, allowed)
    sort = first(params, "sort") or "id"
    if sort not in sorts:
        check.add("sort", "The selected sort is invalid.")
    way = first(params, "way") or "asc"
    if way not in ("asc", "desc"):
        check.add("way", "The selected way is invalid.")
    if check.errors:
        return invalid(check.errors)
    found = [r for r in records if all(c.holds(values(r, c.field)) for c in criteria)]
    found.sort(key=sorts[sort], reverse=way == "desc")
    meta: dict[str, Any] = {"page": {"limit": limit, "offset": offset, "total": len(found)}}
    if criteria:
        shown = criteria[0]
        meta["search"] = {"field": shown.field, "operator": shown.operator, "value": shown.value}
    page = [to_json(record) for record in found[offset : offset + limit]]
    return Reply(200, dumps({"data": page, "meta": meta}))


def _compare(value: object, operator: str, wanted: str) -> bool:
    if value is None:
        return False
    text = str(value)
    if operator == "like":
        return wanted.lower() in text.lower()
    left: Any = text
    right: Any = wanted
    with contextlib.suppress(InvalidOperation):
        left, right = Decimal(text), Decimal(wanted)
    if operator == "=":
        return bool(left == right)
    if type(left) is not type(right):
        return False
    results: dict[str, bool] = {
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }
    return results[operator]
