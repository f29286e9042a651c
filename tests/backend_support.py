"""Helpers for the tests that run on both HTTP backends (imported by `test_backends*.py`).

- `backend`: a fixture parametrized over `"httpx"` and `"aiohttp"` (skipped, with the reason,
  when the aiohttp extra is not installed);
- `serving()`: a `FakeBSG` served by uvicorn on 127.0.0.1, the whole block bounded in time;
- `sdk()`: an `AsyncBSG` on a backend, pointed at a served fake;
- `raw_server()`: a bare TCP server on 127.0.0.1 misbehaving in the ways the fake cannot;
- `open_sessions()`: the aiohttp sessions a client holds (none on the httpx backend);
- `latency_probe`: a fixture watching the requests waiting out the fake's latency.
"""

from __future__ import annotations

import asyncio
import gc
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import httpx
import pytest

import bsg_async.testing._asgi
from bsg_async import AsyncBSG, BatchReport, Failed, Recipient, RetryPolicy, Sent
from bsg_async.client import HttpBackend
from bsg_async.testing import FakeBSG, FakeServer

from .conftest import API_KEY
from .fake_support import ACCOUNT, CALM, Clock

try:
    import bsg_async._aiohttp
except ImportError as missing:  # pragma: no cover - CI installs the extra
    HAS_AIOHTTP = False
    WHY_NO_AIOHTTP = (
        f'the aiohttp backend is not installed (pip install "bsg-async[aiohttp]"): {missing}'
    )
else:
    HAS_AIOHTTP = True
    WHY_NO_AIOHTTP = ""

needs_aiohttp = pytest.mark.skipif(not HAS_AIOHTTP, reason=WHY_NO_AIOHTTP)

BACKENDS = [
    pytest.param("httpx", id="httpx"),
    pytest.param("aiohttp", id="aiohttp", marks=needs_aiohttp),
]

SCENARIO_SECONDS = 20.0
"""No scenario may take longer than this (a hang fails the test instead of blocking CI)."""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> HttpBackend:
    """The HTTP backend under test."""
    name: HttpBackend = request.param
    return name


class LatencyProbe:
    """Stands in for the fake's latency wait to see the requests waiting at the service.

    `peak` is the most requests that waited at once; `arrived(n)` is an event set once `n`
    requests are waiting together.
    """

    def __init__(self) -> None:
        self.waiting = 0
        self.peak = 0
        self._events: list[tuple[int, anyio.Event]] = []

    def arrived(self, count: int) -> anyio.Event:
        """An event set when `count` requests wait at the same time."""
        event = anyio.Event()
        self._events.append((count, event))
        return event

    async def sleep(self, seconds: float) -> None:
        """The latency wait, counted."""
        self.waiting += 1
        self.peak = max(self.peak, self.waiting)
        for count, event in self._events:
            if self.waiting >= count:
                event.set()
        try:
            await anyio.sleep(seconds)
        finally:
            self.waiting -= 1


@pytest.fixture
def latency_probe(monkeypatch: pytest.MonkeyPatch) -> LatencyProbe:
    """Watches the requests while they wait out the served fake's latency."""
    probe = LatencyProbe()
    monkeypatch.setattr(bsg_async.testing._asgi, "sleep", probe.sleep)
    return probe


@asynccontextmanager
async def serving(**options: Any) -> AsyncIterator[tuple[FakeBSG, FakeServer]]:
    """A fresh fake (the test key, a fixed clock, calm statuses) served on 127.0.0.1."""
    settings: dict[str, Any] = {
        "seed": 1,
        "account": ACCOUNT,
        "clock": Clock(),
        "lifecycle": CALM,
        **options,
    }
    fake = FakeBSG(**settings)
    with anyio.fail_after(SCENARIO_SECONDS):
        async with fake.serve() as server:
            yield fake, server


def sdk(server: FakeServer, backend: HttpBackend, *, attempts: int = 1, **options: Any) -> AsyncBSG:
    """The SDK on `backend` talking to a served fake; retries off unless `attempts` > 1."""
    return AsyncBSG(
        API_KEY,
        base_url=server.base_url,
        one_api_url=server.url,
        http_backend=backend,
        retry=RetryPolicy(max_attempts=attempts, base_delay=0.01, max_delay=0.05),
        **options,
    )


def http_client(bsg: AsyncBSG) -> httpx.AsyncClient:
    """The open client's `httpx.AsyncClient` (on both backends)."""
    http = bsg._open_pipeline.http
    assert isinstance(http, httpx.AsyncClient)
    return http


def open_sessions(bsg: AsyncBSG) -> list[Any]:
    """The aiohttp `ClientSession` under an open client (empty on the httpx backend)."""
    transport = http_client(bsg)._transport
    session = getattr(transport, "_session", None)
    return [] if session is None else [session]


@contextmanager
def unclosed_reports() -> Iterator[list[str]]:
    """Collects what the event loop is told about unclosed sessions, connectors, transports.

    aiohttp reports an unclosed `ClientSession` or connector with a `ResourceWarning` (an
    error under our warning filters, surfacing through pytest's unraisable-exception hook) and
    with a call to the loop's exception handler, which is recorded here. Garbage is collected
    on the way out, so a leak is reported inside the test that made it.
    """
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    reports: list[str] = []

    def record(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        reports.append(str(context.get("message")))

    loop.set_exception_handler(record)
    try:
        yield reports
        gc.collect()
    finally:
        loop.set_exception_handler(previous)


def closed_port() -> socket.socket:
    """A bound TCP socket that does not listen: connecting to its port is refused.

    Keep it open while the port is used, so no other process can take the port.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    """A bare TCP server on 127.0.0.1 running `handler` per connection; yields its base URL.

    Connections still open when the block ends are closed, and the server with them.
    """
    writers: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        with anyio.fail_after(SCENARIO_SECONDS):
            yield f"http://127.0.0.1:{port}"
    finally:
        server.close()
        for writer in writers:
            writer.close()
        with anyio.move_on_after(5, shield=True):
            await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One whole HTTP/1.1 request (head and `Content-Length` body) from `reader`."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return head + await reader.readexactly(length)


def numbers(count: int, prefix: str) -> list[Recipient]:
    """`count` distinct recipients with distinct references `prefix0`, `prefix1`, ..."""
    return [Recipient(f"38097{i:07d}", f"{prefix}{i}") for i in range(count)]


def assert_exactly_once(
    report: BatchReport, fake: FakeBSG, channel: str, recipients: Sequence[Recipient]
) -> None:
    """One outcome per recipient in input order; the fake accepted each reference at most
    once; every `Sent` carries the fake's id; a `Failed` the fake holds says it may have been
    accepted; the fake holds nothing else."""
    view = fake.sms if channel == "sms" else fake.viber
    assert [outcome.index for outcome in report] == list(range(len(recipients)))
    for outcome, recipient in zip(report, recipients, strict=True):
        reference = recipient.reference
        assert reference is not None
        accepted = view.acceptances(reference)
        assert accepted <= 1
        if isinstance(outcome, Sent):
            message = view.find(reference)
            assert accepted == 1
            assert message is not None
            assert outcome.id == message.id
        else:
            assert isinstance(outcome, Failed)
            assert outcome.reference == reference
            if accepted:
                assert outcome.may_have_been_accepted
    assert fake.duplicates == {}
    assert set(view.accepted) <= {r.reference for r in recipients}


def bsg_is_closed(http: httpx.AsyncClient, sessions: list[object]) -> bool:
    """Whether the httpx client and every aiohttp session under it are closed."""
    return http.is_closed and all(getattr(s, "closed", False) for s in sessions)
