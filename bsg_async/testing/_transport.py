"""`fake.transport`: the fake as an `httpx.AsyncBaseTransport`, in process.

A request is processed as soon as it arrives; its answer (or failure) comes `latency` seconds
after the arrival (`anyio.sleep`), so a caller cancelled while waiting leaves the request
processed, as a real server would.

Faults surface as the exceptions a real connection would raise, each constructed with the
request so httpx and the SDK treat them exactly like real ones:

- `connect_error`: `httpx.ConnectError`, raised at once (no latency, nothing processed);
- `reset_before`: `httpx.ReadError` after the latency, nothing processed;
- `reset_after`: `httpx.RemoteProtocolError` after processing (the answer is lost);
- `lost_answer`: `httpx.ReadTimeout` after processing (the answer is lost);
- `429`, `5xx`: ordinary HTTP answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import anyio
import httpx

from ._faults import FaultKind

if TYPE_CHECKING:
    from ._fake import FakeBSG

__all__ = ["FakeTransport"]


async def sleep(seconds: float) -> None:
    """The latency wait; module-level so tests can observe it without waiting."""
    await anyio.sleep(seconds)


class FakeTransport(httpx.AsyncBaseTransport):
    """Serves every request of an `httpx.AsyncClient` from a `FakeBSG`, whatever the host."""

    def __init__(self, fake: FakeBSG) -> None:
        self.fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Answer `request`, or raise the httpx exception of the injected fault."""
        fake = self.fake
        method = request.method
        raw = request.url.raw_path.decode("ascii")
        path, _, query = raw.partition("?")
        arrived = anyio.current_time()
        body = await request.aread()
        fault, latency = fake.plan(method, path)
        if fault is FaultKind.CONNECT_ERROR:
            fake.execute(method, path, query, request.headers, body, fault, 0.0)
            raise httpx.ConnectError(
                "[Errno 111] Connection refused (injected by FakeBSG)", request=request
            )
        exchange = fake.execute(method, path, query, request.headers, body, fault, latency)
        if latency:
            remaining = latency - (anyio.current_time() - arrived)
            if remaining > 0:
                await sleep(remaining)
        if fault is FaultKind.RESET_BEFORE:
            raise httpx.ReadError(
                "[Errno 104] Connection reset by peer (injected by FakeBSG)", request=request
            )
        if fault is FaultKind.RESET_AFTER:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response "
                "(injected by FakeBSG after processing the request)",
                request=request,
            )
        if fault is FaultKind.LOST_ANSWER:
            raise httpx.ReadTimeout(
                "The read operation timed out (injected by FakeBSG after processing the request)",
                request=request,
            )
        return httpx.Response(
            exchange.status,
            headers=list(exchange.headers),
            content=exchange.body,
            request=request,
        )
