"""The SQLite store's one thread: calls run one after another in the order given, each
result or exception reaches its caller, and a caller cancelled meanwhile still waits for its
call to end (a transaction that committed is never taken for one that did not); and the
transactions queued for it commit together."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

from bsg_async.outbox import _sqlite
from bsg_async.outbox._serial import SerialThread


async def test_calls_run_in_one_thread_in_the_order_given() -> None:
    serial = SerialThread("test")
    seen: list[tuple[int, str]] = []

    def record(i: int) -> int:
        seen.append((i, threading.current_thread().name))
        return i * 10

    results: dict[int, int] = {}

    async def call(i: int) -> None:
        results[i] = await serial.run(record, i)

    async with anyio.create_task_group() as group:
        for i in range(50):
            group.start_soon(call, i)
            await anyio.lowlevel.checkpoint()  # each call is given before the next starts
    serial.close()
    assert [i for i, _ in seen] == list(range(50))
    assert {name for _, name in seen} == {"test"}
    assert results == {i: i * 10 for i in range(50)}


async def test_an_exception_in_a_call_reaches_its_caller_and_the_thread_goes_on() -> None:
    serial = SerialThread("test")

    def fail() -> None:
        raise ValueError("no such table")

    with pytest.raises(ValueError, match="no such table"):
        await serial.run(fail)
    assert await serial.run(int, "7") == 7
    serial.close()
    with pytest.raises(RuntimeError, match="closed"):
        await serial.run(int, "8")


async def test_a_cancelled_caller_waits_for_its_call_to_end() -> None:
    serial = SerialThread("test")
    started, release = threading.Event(), threading.Event()
    ended: list[str] = []
    scopes: list[anyio.CancelScope] = []

    def slow() -> None:
        started.set()
        release.wait(10)
        ended.append("call")

    async def caller() -> None:
        with anyio.CancelScope() as scope:
            scopes.append(scope)
            await serial.run(slow)
        ended.append("caller")

    async with anyio.create_task_group() as group:
        group.start_soon(caller)
        await anyio.to_thread.run_sync(started.wait, 10)
        scopes[0].cancel()
        await anyio.sleep(0.05)
        assert ended == []  # the caller is still inside `run`, its call still running
        release.set()
    assert ended == ["call", "caller"]
    serial.close()


async def test_transactions_queued_together_commit_as_one_and_a_failing_one_alone(
    tmp_path: Path,
) -> None:
    """Group commit on SQLite: transactions queued while the store's thread is busy run in
    one (one `BEGIN IMMEDIATE`); when one of them raises, the group is rolled back and each
    runs again alone, so its caller gets the error and the others commit."""
    from bsg_async.outbox import Outbox

    async with Outbox.open(f"sqlite:///{tmp_path / 'group.db'}") as outbox:
        backend = outbox._backend
        assert isinstance(backend, _sqlite.SqliteBackend)
        statements: list[str] = []
        backend._conn.set_trace_callback(statements.append)
        await backend._run(backend._conn.execute, "CREATE TABLE t (v INTEGER UNIQUE)")

        def insert(value: int) -> Callable[[sqlite3.Connection], int]:
            def work(db: sqlite3.Connection) -> int:
                db.execute("INSERT INTO t VALUES (?)", (value,))
                return value

            return work

        async def run(works: list[Callable[[sqlite3.Connection], int]]) -> list[object]:
            results: list[object] = [None] * len(works)

            async def one(i: int) -> None:
                try:
                    results[i] = await backend._transact(works[i])
                except sqlite3.IntegrityError as error:
                    results[i] = error

            gate = threading.Event()
            async with anyio.create_task_group() as group:
                group.start_soon(backend._run, gate.wait, 10)  # the thread is busy
                for i in range(len(works)):
                    group.start_soon(one, i)
                await anyio.wait_all_tasks_blocked()  # each queued its transaction
                assert len(backend._queued) == len(works)
                gate.set()
            return results

        statements.clear()
        assert await run([insert(1), insert(2), insert(3)]) == [1, 2, 3]
        assert statements.count("BEGIN IMMEDIATE") == 1

        statements.clear()
        first, failing, last = await run([insert(4), insert(1), insert(5)])
        assert (first, last) == (4, 5) and isinstance(failing, sqlite3.IntegrityError)
        assert statements.count("BEGIN IMMEDIATE") == 4  # the group, then each alone
        values = await backend._run(
            lambda: [v for (v,) in backend._conn.execute("SELECT v FROM t ORDER BY v")]
        )
    assert values == [1, 2, 3, 4, 5]


async def test_a_transaction_cancelled_while_it_waits_for_the_lock_never_runs(
    tmp_path: Path,
) -> None:
    """A transaction of several calls (`add_rows`) holds the lock; one queued meanwhile and
    cancelled before its turn is taken out of the queue, not run in a later caller's group."""
    from bsg_async.outbox import Outbox

    async with Outbox.open(f"sqlite:///{tmp_path / 'cancel.db'}") as outbox:
        backend = outbox._backend
        assert isinstance(backend, _sqlite.SqliteBackend)
        ran: list[str] = []

        def work(name: str) -> Callable[[sqlite3.Connection], None]:
            return lambda db: ran.append(name)

        async with backend._lock:
            with anyio.CancelScope() as scope:
                async with anyio.create_task_group() as group:
                    group.start_soon(backend._transact, work("cancelled"))
                    await anyio.wait_all_tasks_blocked()
                    assert len(backend._queued) == 1
                    scope.cancel()
            assert backend._queued == []
        await backend._transact(work("later"))
    assert ran == ["later"]
