"""Duplicate deliveries: the key, the bounded in-memory store, and `Deduplicator` under
concurrency, failure and cancellation."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime

import anyio
import anyio.lowlevel
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bsg_async.errors import InvalidParameterError
from bsg_async.webhooks import (
    Deduplicator,
    IdempotencyStore,
    MemoryIdempotencyStore,
    RcsClick,
    RcsReport,
    RcsStatus,
    idempotency_key,
    parse_rcs_report,
)

from .test_webhooks_parse import DOCUMENTED_REPORT

REPORT = parse_rcs_report(DOCUMENTED_REPORT)


# -- the key ------------------------------------------------------------------------------------


def test_key_is_id_and_status() -> None:
    assert idempotency_key(REPORT) == "rcs:3266500452:delivered"


def test_key_ignores_everything_but_id_and_status() -> None:
    other = RcsReport(id=3266500452, status=RcsStatus.DELIVERED, price=None, to="1")

    assert idempotency_key(other) == idempotency_key(REPORT)


def test_key_differs_by_status_and_by_id() -> None:
    keys = {
        idempotency_key(RcsReport(id=1, status=RcsStatus.SENT)),
        idempotency_key(RcsReport(id=1, status=RcsStatus.DELIVERED)),
        idempotency_key(RcsReport(id=2, status=RcsStatus.SENT)),
    }

    assert len(keys) == 3


def test_key_of_an_unknown_status_ignores_case_and_spaces() -> None:
    assert idempotency_key(RcsReport(id=1, status=" Recalled ")) == idempotency_key(
        RcsReport(id=1, status="recalled")
    )


def test_click_key_depends_on_time_and_postback() -> None:
    when = datetime(2024, 8, 22, 11, 50, 2)
    base = RcsClick(id=1, postback="yes", time_click=when)

    assert idempotency_key(base) == idempotency_key(RcsClick(id=1, postback="yes", time_click=when))
    assert idempotency_key(base) != idempotency_key(RcsClick(id=1, postback="no", time_click=when))
    assert idempotency_key(base) != idempotency_key(RcsClick(id=1, postback="yes"))
    assert idempotency_key(base) != idempotency_key(REPORT)


@given(
    st.tuples(st.integers(min_value=0), st.text(min_size=1)),
    st.tuples(st.integers(min_value=0), st.text(min_size=1)),
)
def test_distinct_reports_have_distinct_keys(a: tuple[int, str], b: tuple[int, str]) -> None:
    first, second = RcsReport(id=a[0], status=a[1]), RcsReport(id=b[0], status=b[1])
    same = first.id == second.id and first.status.strip().lower() == second.status.strip().lower()

    assert (idempotency_key(first) == idempotency_key(second)) is same


# -- the memory store ---------------------------------------------------------------------------


def test_memory_store_is_an_idempotency_store() -> None:
    assert isinstance(MemoryIdempotencyStore(), IdempotencyStore)


async def test_add_is_true_only_the_first_time() -> None:
    store = MemoryIdempotencyStore()

    assert [await store.add("a"), await store.add("a"), await store.add("b")] == [True, False, True]


async def test_discard_forgets_a_key() -> None:
    store = MemoryIdempotencyStore()
    await store.add("a")

    await store.discard("a")
    await store.discard("never-added")

    assert "a" not in store
    assert await store.add("a") is True


async def test_store_holds_at_most_max_keys() -> None:
    store = MemoryIdempotencyStore(max_keys=3)

    for key in "abcdef":
        await store.add(key)

    assert len(store) == 3
    assert [key in store for key in "abcdef"] == [False, False, False, True, True, True]


async def test_the_least_recently_seen_key_is_dropped_first() -> None:
    store = MemoryIdempotencyStore(max_keys=2)
    await store.add("a")
    await store.add("b")

    assert await store.add("a") is False  # seen again: now the most recent
    await store.add("c")

    assert "a" in store
    assert "b" not in store
    assert "c" in store


@given(st.lists(st.text(max_size=3), max_size=60), st.integers(min_value=1, max_value=8))
def test_store_never_exceeds_its_bound_and_keeps_the_newest(keys: list[str], bound: int) -> None:
    store = MemoryIdempotencyStore(max_keys=bound)

    async def feed() -> None:
        for key in keys:
            await store.add(key)

    anyio.run(feed)

    recent: list[str] = []
    for key in reversed(keys):
        if key not in recent:
            recent.append(key)
    assert len(store) == min(bound, len(recent))
    assert all(key in store for key in recent[:bound])


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "10"])
def test_max_keys_must_be_a_positive_integer(bad: object) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        MemoryIdempotencyStore(max_keys=bad)  # type: ignore[arg-type]

    assert caught.value.field == "max_keys"


def test_repr_shows_the_bound_and_the_fill() -> None:
    store = MemoryIdempotencyStore(max_keys=5)
    anyio.run(store.add, "a")

    assert repr(store) == "MemoryIdempotencyStore(max_keys=5, held=1)"
    assert store.max_keys == 5


async def test_concurrent_adds_of_one_key_give_exactly_one_first() -> None:
    store = MemoryIdempotencyStore()
    results: list[bool] = []

    async def add() -> None:
        await anyio.lowlevel.checkpoint()
        results.append(await store.add("same"))

    async with anyio.create_task_group() as tasks:
        for _ in range(200):
            tasks.start_soon(add)

    assert results.count(True) == 1
    assert len(results) == 200


def test_adds_from_many_threads_give_exactly_one_first_per_key() -> None:
    store = MemoryIdempotencyStore(max_keys=10_000)
    firsts: list[str] = []
    lock = threading.Lock()
    keys = [f"rcs:{n}:delivered" for n in range(300)]

    def worker() -> None:
        async def run() -> None:
            for key in keys:
                if await store.add(key):
                    with lock:
                        firsts.append(key)

        asyncio.run(run())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert not any(thread.is_alive() for thread in threads)
    assert sorted(firsts) == sorted(keys)
    assert len(store) == len(keys)


# -- the deduplicator ---------------------------------------------------------------------------


async def test_call_once_runs_the_handler_once_per_key() -> None:
    seen: list[int] = []

    async def handle(report: RcsReport) -> None:
        seen.append(report.id)

    dedupe = Deduplicator()
    again = parse_rcs_report(DOCUMENTED_REPORT.replace('"delivered"', '"DELIVERED"'))

    results = [await dedupe.call_once(r, handle) for r in (REPORT, again, REPORT)]

    assert results == [True, False, False]
    assert seen == [3266500452]


async def test_concurrent_duplicates_run_the_handler_once() -> None:
    calls = 0
    release = anyio.Event()
    skipped_all = anyio.Event()

    async def slow(_: RcsReport) -> None:
        nonlocal calls
        calls += 1
        await release.wait()

    dedupe = Deduplicator(MemoryIdempotencyStore())
    results: list[bool] = []

    async def deliver() -> None:
        results.append(await dedupe.call_once(REPORT, slow))
        if results.count(False) == 19:
            skipped_all.set()

    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            for _ in range(20):
                tasks.start_soon(deliver)
            await skipped_all.wait()  # 19 duplicates answered while the first still runs
            assert calls == 1
            release.set()

    assert calls == 1
    assert sorted(results) == [False] * 19 + [True]


async def test_failed_handler_releases_the_key_and_propagates() -> None:
    store = MemoryIdempotencyStore()
    dedupe = Deduplicator(store)

    async def broken(_: RcsReport) -> None:
        raise LookupError("database down")

    with pytest.raises(LookupError, match="database down"):
        await dedupe.call_once(REPORT, broken)

    assert idempotency_key(REPORT) not in store
    assert await dedupe.call_once(REPORT, _noop) is True


async def test_cancelled_handler_releases_the_key() -> None:
    store = MemoryIdempotencyStore()
    dedupe = Deduplicator(store)

    async def hang(_: RcsReport) -> None:
        await anyio.sleep_forever()

    with anyio.move_on_after(0.01) as scope:
        await dedupe.call_once(REPORT, hang)

    assert scope.cancelled_caught
    assert idempotency_key(REPORT) not in store


async def test_a_custom_store_is_used() -> None:
    class RecordingStore:
        def __init__(self) -> None:
            self.added: list[str] = []
            self.discarded: list[str] = []

        async def add(self, key: str) -> bool:
            first = key not in self.added
            self.added.append(key)
            return first

        async def discard(self, key: str) -> None:
            self.discarded.append(key)

    store = RecordingStore()
    dedupe = Deduplicator(store)

    await dedupe.call_once(REPORT, _noop)
    await dedupe.call_once(REPORT, _noop)

    assert store.added == ["rcs:3266500452:delivered"] * 2
    assert store.discarded == []
    assert dedupe.store is store


def test_a_store_without_the_protocol_is_refused() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        Deduplicator(object())  # type: ignore[arg-type]

    assert caught.value.field == "store"


async def test_default_store_is_a_bounded_memory_store() -> None:
    store = Deduplicator().store

    assert isinstance(store, MemoryIdempotencyStore)
    assert store.max_keys == 100_000


async def _noop(_: object) -> None:
    return None
