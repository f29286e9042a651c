"""A program run with a budget of message-creating requests, for the kill-and-resume tests
(`test_cli_resume.py`, `test_outbox_chaos.py`):

    python tests/request_budget.py BUDGET before|after MARKER -m bsg_async campaign send ...
    python tests/request_budget.py BUDGET before|after MARKER tests/outbox_worker.py URL ...

The program's HTTP transports (httpx's and the aiohttp one) let BUDGET requests to a path
ending in `/create` through. Then the program holds: `before` keeps the next such request from
leaving, `after` sends the last one and keeps its answer from the program (the service acted
on it, the program never learns how). Holding, it creates the file MARKER and waits until it is
killed or interrupted; its other requests (lookups by reference) and its store (lease renewals)
go on meanwhile.

So a program run this way cannot record more than BUDGET requests' worth of rows, and a test
that gives its runs budgets smaller than the campaign kills every one of them before it
finished, whether the machine is fast or slow, instead of hoping its kill comes in time.
"""

from __future__ import annotations

import runpy
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import anyio
import httpx

from bsg_async.transports import AiohttpTransport

Send = Callable[[Any, httpx.Request], Awaitable[httpx.Response]]  # (transport, request)
HERE = Path(__file__).resolve()


def budgeted(command: Sequence[str], budget: int, *, hold_after: bool, marker: Path) -> list[str]:
    """`command` (`[python, -m, module, ...]` or `[python, script, ...]`) run under a budget."""
    hold = "after" if hold_after else "before"
    return [command[0], str(HERE), str(budget), hold, str(marker), *command[1:]]


class RequestBudget:
    """Counts the requests that create messages and holds the program once they are spent."""

    def __init__(self, budget: int, *, hold_after: bool, marker: Path) -> None:
        self.left = budget
        self.hold_after = hold_after
        self.marker = marker

    def wrap(self, send: Send) -> Send:
        """A transport's `handle_async_request` under this budget."""

        async def handle_async_request(transport: Any, request: httpx.Request) -> httpx.Response:
            if not request.url.path.endswith("/create"):
                return await send(transport, request)
            if self.left <= 0:
                await self.hold()
            self.left -= 1
            last = self.left == 0
            response = await send(transport, request)
            if last and self.hold_after:
                try:
                    await self.hold()
                finally:
                    with anyio.CancelScope(shield=True):
                        await response.aclose()
            return response

        return handle_async_request

    async def hold(self) -> NoReturn:
        """Say so (the marker file), then wait to be killed or cancelled (Ctrl-C)."""
        self.marker.touch()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover


def main(argv: Sequence[str]) -> None:
    """Install the budget in both transports, then run the program as `python` would."""
    budget, hold, marker, *program = argv
    gate = RequestBudget(int(budget), hold_after=hold == "after", marker=Path(marker))
    for transport in (httpx.AsyncHTTPTransport, AiohttpTransport):
        transport.handle_async_request = gate.wrap(transport.handle_async_request)  # type: ignore[method-assign,assignment]
    if program[0] == "-m":
        sys.argv = [program[1], *program[2:]]
        runpy.run_module(program[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = list(program)
        runpy.run_path(program[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
