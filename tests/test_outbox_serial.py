"""The SQLite store's one thread: calls run one after another in the order given, each
result or exception reaches its caller, and a caller cancelled meanwhile still waits for its
call to end (a transaction that committed is never taken for one that did not)."""

from __future__ import annotations

import threading

import anyio
import anyio.lowlevel
import pytest

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
