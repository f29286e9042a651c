"""The one store of the fake: a typed, keyed collection that holds every kind of record.

SMS, Viber and RCS messages, bulk SMS tasks and RCS campaigns each live in a `Store`, and so
will whatever the next endpoints need (contacts, contact lists, senders, ...): one place for

- ids: handed out in order from the store's `first_id` (the record at position `i` has id
  `first_id + i`), so `get(id)` is an index, not a search;
- lookup by key: a record's key (a message's reference, a sender's name; `None`: no key) finds
  the first record stored with it;
- uniqueness: with `unique=True` a key already held is `taken` (the endpoint refuses it, in
  its own words); with `unique=False` it is stored again and counted (`acceptances`), to show
  what a client relying on the service's guard would do without it;
- changes: `replace(id, ...)` gives a record new fields (and returns it, as `create` returns a
  new one), `remove(id)` forgets it (its id is
  never given again; its key is free once no record holds it), for the records users edit
  (contacts, lists, senders) rather than send;
- paging: `page(offset, limit, where=...)` with the total, as the One-API pages;
- read-only live views (`records`, `by_key`, `counts`) to hand to users.

A store keeps each record as the row of fields it was added with (a tuple: less memory than
the frozen record and several times cheaper to make, which matters when a benchmark pushes
millions of messages through one fake) and builds the record, `make(id, *row)`, when it is
read, so a record read twice is equal, not identical. `make` is the record's class, so a row is
type-checked against the record's fields; `key` is the position of the key among them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, cast, overload

import attrs

__all__ = ["Page", "Store"]

R = TypeVar("R")
P = ParamSpec("P")


@attrs.frozen
class Page(Generic[R]):
    """One page of records: `items` from `offset` on (at most `limit`), of `total` matching."""

    items: tuple[R, ...]
    total: int
    offset: int
    limit: int


class Store(Generic[P, R]):
    """Records of one kind, in id order; see the module docstring.

    ```python
    campaigns = Store(4213, FakeCampaign)
    campaign_id = campaigns.add(name, first_id, count, finishes_at, submission, groups)
    assert campaigns.get(campaign_id) == FakeCampaign(campaign_id, name, ...)
    ```
    """

    def __init__(
        self,
        first_id: int,
        make: Callable[Concatenate[int, P], R],
        *,
        key: int | None = None,
        unique: bool = True,
    ) -> None:
        self.first_id = first_id
        self.unique = unique
        self._make: Callable[..., R] = make  # rows were checked against it by `add`
        self._key = key
        self._rows: list[tuple[Any, ...] | None] = []  # None: removed
        self._removed = 0
        self._by_key: dict[str, int] = {}
        self._extra: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._rows) - self._removed

    def __iter__(self) -> Iterator[R]:
        make, first_id = self._make, self.first_id
        for index, row in enumerate(self._rows):
            if row is not None:
                yield make(first_id + index, *row)

    def next_id(self) -> int:
        """The id the next record gets."""
        return self.first_id + len(self._rows)

    def add(self, *row: P.args, **no_keywords: P.kwargs) -> int:
        """Store a record of these fields (positional, in the record's order, without its id)
        under the next id, and return the id. A key already held counts one more acceptance
        (whether to refuse it is the caller's: see `taken`)."""
        if no_keywords:
            raise TypeError("Store.add takes the record's fields by position")
        index = len(self._rows)
        self._rows.append(row)
        if self._key is not None:
            key = cast("str | None", row[self._key])
            if key is not None:
                if key in self._by_key:
                    self._extra[key] = self._extra.get(key, 0) + 1
                else:
                    self._by_key[key] = index
        return self.first_id + index

    def create(self, *row: P.args, **no_keywords: P.kwargs) -> R:
        """`add`, returning the record stored (as `get` reads it) rather than its id."""
        return self.at(self.add(*row, **no_keywords) - self.first_id)

    def skip_to(self, record_id: int) -> None:
        """Make `record_id` the id the next record gets: the ids before it that were not given
        are never given (as if removed). For records whose ids a user chose (the contact lists
        of the fake's config). Raises `ValueError` for an id already given."""
        if record_id < self.next_id():
            raise ValueError(f"id {record_id} was given already")
        gap = record_id - self.next_id()
        self._rows.extend([None] * gap)
        self._removed += gap

    def replace(self, record_id: int, *row: P.args, **no_keywords: P.kwargs) -> R:
        """Give the record with this id these fields instead, and return it as it is now (its
        key may change; whether the new key is `taken` is the caller's to check first). Raises
        `KeyError` for an unknown or removed id."""
        if no_keywords:
            raise TypeError("Store.replace takes the record's fields by position")
        index = self._index(record_id)
        self._unindex(index)
        self._rows[index] = row
        self._reindex(index)
        return self._make(record_id, *row)

    def remove(self, record_id: int) -> None:
        """Forget the record with this id: its id is not given again, its key is free once no
        other record holds it. Raises `KeyError` for an unknown or removed id."""
        index = self._index(record_id)
        self._unindex(index)
        self._rows[index] = None
        self._removed += 1

    def _index(self, record_id: int) -> int:
        index = record_id - self.first_id
        if not 0 <= index < len(self._rows) or self._rows[index] is None:
            raise KeyError(record_id)
        return index

    def _key_at(self, index: int) -> str | None:
        row = self._rows[index]
        return None if row is None or self._key is None else cast("str | None", row[self._key])

    def _unindex(self, index: int) -> None:
        """Take the record at `index` out of the key index."""
        key = self._key_at(index)
        if key is None:
            return
        extra = self._extra.pop(key, 0)
        if extra > 1:
            self._extra[key] = extra - 1
        if self._by_key[key] != index:
            return
        if not extra:
            del self._by_key[key]
            return
        self._by_key[key] = next(
            i for i in range(index + 1, len(self._rows)) if self._key_at(i) == key
        )

    def _reindex(self, index: int) -> None:
        """Put the record at `index` into the key index."""
        key = self._key_at(index)
        if key is None:
            return
        first = self._by_key.get(key)
        if first is None:
            self._by_key[key] = index
            return
        self._extra[key] = self._extra.get(key, 0) + 1
        self._by_key[key] = min(first, index)

    def at(self, index: int) -> R:
        """The record at position `index` (its id minus `first_id`; negative counts from the
        end). Raises `IndexError` past the end, `KeyError` for a removed record."""
        if index < 0:
            index += len(self._rows)
        row = self._rows[index]
        if row is None:
            raise KeyError(self.first_id + index)
        return self._make(self.first_id + index, *row)

    def get(self, record_id: int) -> R | None:
        """The record with this id, or `None` (unknown or removed)."""
        index = record_id - self.first_id
        if 0 <= index < len(self._rows) and self._rows[index] is not None:
            return self.at(index)
        return None

    def find(self, key: str) -> R | None:
        """The (first) record stored with this key, or `None`."""
        index = self._by_key.get(key)
        return None if index is None else self.at(index)

    def taken(self, key: str) -> bool:
        """Whether storing another record with this key breaks uniqueness (always `False`
        when the store is not `unique`)."""
        return self.unique and key in self._by_key

    def with_key(self, key: str) -> list[R]:
        """Every record stored with this key (more than one only when not `unique`)."""
        index = self._by_key.get(key)
        if index is None:
            return []
        if key not in self._extra:
            return [self.at(index)]
        assert self._key is not None
        position = self._key
        rows = self._rows
        return [
            self.at(i)
            for i in range(index, len(rows))
            if (row := rows[i]) is not None and row[position] == key
        ]

    def acceptances(self, key: str) -> int:
        """How many records were stored with this key."""
        if key not in self._by_key:
            return 0
        return 1 + self._extra.get(key, 0)

    @property
    def repeated(self) -> Mapping[str, int]:
        """Key -> how many records hold it, for keys stored more than once (a copy)."""
        return {key: extra + 1 for key, extra in self._extra.items()}

    def slice(self, start_id: int, count: int) -> list[R]:
        """The `count` records from id `start_id` on (a run stored together, such as the
        messages of one campaign)."""
        start = max(0, start_id - self.first_id)
        stop = min(start + count, len(self._rows))
        return [self.at(i) for i in range(start, stop) if self._rows[i] is not None]

    def page(
        self,
        offset: int,
        limit: int,
        *,
        where: Callable[[R], bool] | None = None,
        among: Iterable[R] | None = None,
    ) -> Page[R]:
        """The records (or those of `among`, a subset found faster) that satisfy `where`, from
        `offset` on, at most `limit` of them, with the total."""
        found = list(self if among is None else among)
        if where is not None:
            found = [record for record in found if where(record)]
        return Page(tuple(found[offset : offset + limit]), len(found), offset, limit)

    def clear(self) -> None:
        """Forget every record (the next one gets `first_id` again)."""
        self._rows.clear()
        self._removed = 0
        self._by_key.clear()
        self._extra.clear()

    # -- read-only live views ------------------------------------------------------------------

    @property
    def records(self) -> Sequence[R]:
        """Every record in id order (a live read-only view)."""
        return _Records(self)

    @property
    def by_key(self) -> Mapping[str, R]:
        """Key -> the (first) record stored with it (a live read-only view)."""
        return _ByKey(self)

    @property
    def counts(self) -> Mapping[str, int]:
        """Key -> how many records were stored with it (a live read-only view)."""
        return _Counts(self)


class _Records(Sequence[R]):
    """Read-only, live: the records of a `Store` in id order."""

    def __init__(self, store: Store[..., R]) -> None:
        self._store = store

    @overload
    def __getitem__(self, index: int) -> R: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[R]: ...
    def __getitem__(self, index: int | slice) -> R | Sequence[R]:
        if self._store._removed:  # positions no longer match ids: count the live records
            return list(self._store)[index]
        if isinstance(index, slice):
            return [self._store.at(i) for i in range(len(self._store))[index]]
        count = len(self._store)
        if not -count <= index < count:
            raise IndexError("record index out of range")
        return self._store.at(index)

    def __len__(self) -> int:
        return len(self._store)

    def __iter__(self) -> Iterator[R]:
        return iter(self._store)


class _Keys(Generic[R]):
    """The keys of a `Store`, live: what its key-indexed views iterate."""

    def __init__(self, store: Store[..., R]) -> None:
        self._store = store

    def __iter__(self) -> Iterator[str]:
        return iter(self._store._by_key)

    def __len__(self) -> int:
        return len(self._store._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._store._by_key


class _ByKey(_Keys[R], Mapping[str, R]):
    """Read-only, live: key -> the (first) record stored with it."""

    def __getitem__(self, key: str) -> R:
        record = self._store.find(key)
        if record is None:
            raise KeyError(key)
        return record


class _Counts(_Keys[R], Mapping[str, int]):
    """Read-only, live: key -> how many records were stored with it."""

    def __getitem__(self, key: str) -> int:
        count = self._store.acceptances(key)
        if not count:
            raise KeyError(key)
        return count
