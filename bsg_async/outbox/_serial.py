"""One thread of its own for a store's blocking calls, run one after another in the order given.

SQLite's connection is used from this thread only. A thread pool behind a limiter of one
(`anyio.to_thread.run_sync`) hands the connection over through the event loop: the next call
starts only once the loop has taken the previous call's result and given the limiter to the
next waiter. On a worker whose loop is busy decoding answers, those hand-overs were most of
what a claim or a release took (40 to 60 ms, for 5 to 10 ms in the thread), and they bounded
how many chunks a worker could claim. Here the thread takes the next call as soon as it has
finished one; the loop only receives results.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import anyio

__all__ = ["SerialThread"]

T = TypeVar("T")

_Job = tuple[Callable[..., Any], tuple[Any, ...], asyncio.AbstractEventLoop, "asyncio.Future[Any]"]


class SerialThread:
    """Runs blocking calls in one thread of its own, one after another, in the order given.

    The thread starts with the first call and ends after `close` (calls given before it still
    run; calls after it raise `RuntimeError`). A call is not abandoned: a caller cancelled
    meanwhile sees the cancellation once the call has ended, as with `anyio.to_thread.run_sync`,
    so a transaction that committed is never taken for one that did not.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._closed = False

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in the thread, after every call given before it; its result."""
        if self._closed:
            raise RuntimeError(f"{self._name}: closed")
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=self._name, daemon=True)
            self._thread.start()
        self._jobs.put((function, args, loop, done))
        with anyio.CancelScope(shield=True):
            await asyncio.wait((done,))
        return done.result()

    def close(self) -> None:
        """End the thread once the calls given so far have run."""
        self._closed = True
        if self._thread is not None:
            self._jobs.put(None)
            self._thread = None

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            function, args, loop, done = job
            try:
                result = function(*args)
            except BaseException as error:
                _deliver(loop, done.set_exception, done, error)
            else:
                _deliver(loop, done.set_result, done, result)


def _deliver(
    loop: asyncio.AbstractEventLoop,
    settle: Callable[[Any], object],
    done: asyncio.Future[Any],
    value: object,
) -> None:
    def settle_unless_cancelled() -> None:
        if not done.done():
            settle(value)

    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
        loop.call_soon_threadsafe(settle_unless_cancelled)
