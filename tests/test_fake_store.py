"""The fake's one store (`bsg_async.testing._store.Store`), against a plain list as the model.

Every record of the fake lives in a `Store` (messages of each channel, tasks, campaigns, and
what the next endpoints add), so its rules are held here for any sequence of keys, beyond the
scenarios the endpoints' own tests reach.
"""

from __future__ import annotations

import attrs
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bsg_async.testing._store import Page, Store


@attrs.frozen
class Record:
    id: int
    key: str | None


def _filled(keys: list[str | None], *, unique: bool) -> Store[[str | None], Record]:
    store: Store[[str | None], Record] = Store(1000, Record, key=0, unique=unique)
    for key in keys:
        store.add(key)
    return store


KEYS = st.lists(st.none() | st.sampled_from(["a", "b", "c", "d"]), max_size=30)


@given(keys=KEYS, unique=st.booleans())
def test_ids_follow_the_base_in_order_and_find_the_record(
    keys: list[str | None], unique: bool
) -> None:
    store = _filled(keys, unique=unique)

    assert [record.id for record in store] == list(range(1000, 1000 + len(keys)))
    assert all(store.get(record.id) == record for record in store)
    assert store.get(999) is None and store.get(1000 + len(keys)) is None
    assert store.next_id() == 1000 + len(keys)


@given(keys=KEYS, unique=st.booleans())
def test_keys_find_the_first_record_and_count_every_one(
    keys: list[str | None], unique: bool
) -> None:
    store = _filled(keys, unique=unique)

    for key in "abcde":
        holders = [record for record in store if record.key == key]
        assert store.acceptances(key) == len(holders)
        assert store.with_key(key) == holders
        assert store.find(key) == (holders[0] if holders else None)
        assert store.taken(key) == (unique and bool(holders))
    assert store.repeated == {
        key: keys.count(key) for key in set(keys) if key is not None and keys.count(key) > 1
    }
    assert dict(store.counts) == {key: keys.count(key) for key in keys if key is not None}
    assert list(store.by_key) == list(dict.fromkeys(key for key in keys if key is not None))


@given(
    keys=KEYS,
    offset=st.integers(min_value=0, max_value=35),
    limit=st.integers(min_value=1, max_value=10),
)
def test_a_page_is_a_slice_of_the_matching_records_with_their_total(
    keys: list[str | None], offset: int, limit: int
) -> None:
    store = _filled(keys, unique=False)
    matching = [record for record in store if record.key == "a"]

    page = store.page(offset, limit, where=lambda record: record.key == "a")

    assert page == Page(tuple(matching[offset : offset + limit]), len(matching), offset, limit)


def test_views_are_live_and_read_only() -> None:
    store = _filled(["a"], unique=True)
    records, by_key, counts = store.records, store.by_key, store.counts

    store.add("b")

    assert [record.key for record in records] == ["a", "b"]
    assert records[-1] == store.get(1001) and records[:1] == [store.get(1000)]
    assert (by_key["b"].id, counts["b"]) == (1001, 1)
    with pytest.raises(KeyError):
        by_key["z"]
    with pytest.raises(IndexError):
        records[2]
    assert not hasattr(records, "append") and not hasattr(by_key, "__setitem__")


def test_clear_forgets_every_record_and_starts_the_ids_again() -> None:
    store = _filled(["a", "a", None], unique=False)

    store.clear()

    assert (len(store), store.next_id(), store.acceptances("a"), store.repeated) == (0, 1000, 0, {})


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["add", "replace", "remove"]),
        st.integers(min_value=0, max_value=40),
        st.none() | st.sampled_from(["a", "b", "c"]),
    ),
    max_size=40,
)


@given(operations=OPERATIONS, unique=st.booleans())
# an earlier record takes a key a later one holds; the first of two holders goes
@example(operations=[("add", 0, None), ("add", 0, "a"), ("replace", 0, "a")], unique=False)
@example(operations=[("add", 0, "a"), ("add", 0, "a"), ("remove", 0, None)], unique=False)
def test_replaced_and_removed_records_leave_the_store_as_a_plain_model_would(
    operations: list[tuple[str, int, str | None]], unique: bool
) -> None:
    store = _filled([], unique=unique)
    model: dict[int, str | None] = {}
    added = 0
    for operation, pick, key in operations:
        if operation == "add":
            model[store.add(key)] = key
            added += 1
            continue
        ids = sorted(model)
        if not ids:
            with pytest.raises(KeyError):
                store.remove(1000 + pick)
            continue
        chosen = ids[pick % len(ids)]
        if operation == "replace":
            store.replace(chosen, key)
            model[chosen] = key
        else:
            store.remove(chosen)
            del model[chosen]

    assert [(record.id, record.key) for record in store] == sorted(model.items())
    assert list(store.records) == list(store) and len(store) == len(model)
    assert store.next_id() == 1000 + added
    for key in "abc":
        holders = sorted(i for i, k in model.items() if k == key)
        assert store.acceptances(key) == len(holders)
        assert [r.id for r in store.with_key(key)] == holders
        assert store.find(key) == (Record(holders[0], key) if holders else None)
        assert store.taken(key) == (unique and bool(holders))
    assert all(store.get(i) is None for i in range(1000, 1000 + added) if i not in model)


def test_a_removed_record_cannot_be_changed_or_removed_again() -> None:
    store = _filled(["a"], unique=True)
    store.remove(1000)

    with pytest.raises(KeyError):
        store.replace(1000, "b")
    with pytest.raises(KeyError):
        store.remove(1000)
    assert not store.taken("a") and store.add("a") == 1001


def test_create_and_replace_return_the_record_as_it_is_stored() -> None:
    store = _filled(["a"], unique=True)

    created = store.create("b")
    assert created == Record(1001, "b") == store.get(1001)
    replaced = store.replace(1000, "c")
    assert replaced == Record(1000, "c") == store.get(1000)
