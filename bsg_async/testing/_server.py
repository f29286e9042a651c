"""Serving a fake over real HTTP on 127.0.0.1 with uvicorn (imported only here, lazily)."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio
import attrs

from ._asgi import CUT_ANSWER_LOG

if TYPE_CHECKING:
    from ._fake import FakeBSG

__all__ = ["FakeServer", "serve"]


@attrs.frozen
class FakeServer:
    """Where a served fake listens.

    `url` is `http://host:port` (use it as the One-API URL), `base_url` is `url + "/rest"`
    (use it as the legacy REST base URL).
    """

    host: str
    port: int

    @property
    def url(self) -> str:
        """`http://host:port`."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The legacy REST API's base URL: `http://host:port/rest`."""
        return self.url + "/rest"

    @property
    def one_api_url(self) -> str:
        """The One-API's base URL: `http://host:port`."""
        return self.url


class CutAnswerFilter(logging.Filter):
    """Drops uvicorn's error line for an answer the fake cut on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        """`False` for the "returned without completing response" line."""
        return record.msg != CUT_ANSWER_LOG


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket (port 0: a free port chosen by the system).

    It listens at once, so a client that connects as soon as the address is printed is queued
    until uvicorn accepts, not refused.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say TCP,
    # and without it every keep-alive answer written in two parts waits 40 ms for an ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


@asynccontextmanager
async def serve(
    fake: FakeBSG,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 10.0,
    shutdown_timeout: float = 10.0,
) -> AsyncIterator[FakeServer]:
    """Run uvicorn serving `fake.app` in the current asyncio event loop while inside the block.

    Waits at most `startup_timeout` seconds for the server to listen (raising `TimeoutError`)
    and at most `shutdown_timeout` seconds for it to stop (then it is cancelled).
    """
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - uvicorn is a test dependency
        raise ModuleNotFoundError(
            "serving FakeBSG over HTTP needs uvicorn: pip install 'bsg-async[test]'"
        ) from exc
    sock = listening_socket(host, port)
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        fake.app,
        lifespan="off",
        ws="none",
        log_config=None,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    cut_filter = CutAnswerFilter()
    error_log = logging.getLogger("uvicorn.error")
    error_log.addFilter(cut_filter)
    stopped = anyio.Event()

    async def run() -> None:
        try:
            await server.serve(sockets=[sock])
        finally:
            stopped.set()

    try:
        async with anyio.create_task_group() as group:
            group.start_soon(run)
            with anyio.fail_after(startup_timeout):
                while not server.started:
                    if stopped.is_set():
                        raise RuntimeError("uvicorn stopped before it started serving")
                    await anyio.sleep(0.005)
            try:
                yield FakeServer(host, bound_port)
            finally:
                server.should_exit = True
                with anyio.move_on_after(shutdown_timeout, shield=True):
                    await stopped.wait()
                if not stopped.is_set():  # pragma: no cover - a stuck shutdown
                    group.cancel_scope.cancel()
    finally:
        error_log.removeFilter(cut_filter)
        sock.close()
