"""The aiohttp transport itself: every aiohttp failure becomes the httpx exception whose "sent or
not" reading is right (the exactly-once contract), limits and timeouts hold, bodies of any kind
go out, and a closed transport stays closed."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import anyio
import httpx
import pytest

from bsg_async._transport import _NOT_SENT
from bsg_async.testing import Faults

from .backend_support import (
    HAS_AIOHTTP,
    WHY_NO_AIOHTTP,
    LatencyProbe,
    latency_probe,
    raw_server,
    serving,
)
from .conftest import API_KEY

if not HAS_AIOHTTP:  # pragma: no cover - CI installs the extra
    pytest.skip(WHY_NO_AIOHTTP, allow_module_level=True)

import aiohttp

from bsg_async._aiohttp import AiohttpTransport, translate_error

__all__ = ["latency_probe"]  # the fixture, imported for pytest

REQUEST = httpx.Request("POST", "http://127.0.0.1:1/rest/sms/create")
KEY = {"X-API-KEY": API_KEY}


def _connector_error() -> aiohttp.ClientConnectorError:
    key: Any = SimpleNamespace(host="127.0.0.1", port=1, ssl=True)
    return aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))


@pytest.mark.parametrize(
    ("failure", "expected", "not_sent"),
    [
        # Before any byte of the request left: the service cannot have it.
        (_connector_error(), httpx.ConnectError, True),
        (aiohttp.ConnectionTimeoutError("Connection timeout"), httpx.ConnectTimeout, True),
        (aiohttp.InvalidURL("nope://x"), httpx.UnsupportedProtocol, True),
        (aiohttp.NonHttpUrlClientError("nope://x"), httpx.UnsupportedProtocol, True),
        # After the request (or part of it) went out: the service may have it.
        (aiohttp.SocketTimeoutError("Timeout on reading"), httpx.ReadTimeout, False),
        (aiohttp.ServerTimeoutError("Timeout"), httpx.ReadTimeout, False),
        (asyncio.TimeoutError(), httpx.ReadTimeout, False),
        (aiohttp.ServerDisconnectedError(), httpx.RemoteProtocolError, False),
        (aiohttp.ClientPayloadError("not completed"), httpx.RemoteProtocolError, False),
        (aiohttp.ClientOSError(104, "Connection reset by peer"), httpx.ReadError, False),
        (aiohttp.ClientConnectionResetError("reset"), httpx.ReadError, False),
        (aiohttp.ClientConnectionError("Connector is closed."), httpx.ReadError, False),
        (ConnectionResetError(104, "reset"), httpx.ReadError, False),
        (aiohttp.ClientError("something else"), httpx.TransportError, False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else None,
)
def test_each_aiohttp_failure_maps_to_the_httpx_error_that_says_whether_it_was_sent(
    failure: BaseException, expected: type[httpx.TransportError], not_sent: bool
) -> None:
    error = translate_error(failure, REQUEST)

    assert type(error) is expected
    assert isinstance(error, _NOT_SENT) is not_sent
    assert error.__cause__ is failure
    assert error.request is REQUEST
    assert str(error)


def test_a_failure_after_the_write_timeout_is_a_write_timeout() -> None:
    failure = aiohttp.ClientConnectionError("Failed to send bytes into the underlying connection")

    error = translate_error(failure, REQUEST, write_timed_out=True)

    assert type(error) is httpx.WriteTimeout
    assert not isinstance(error, _NOT_SENT)


async def test_without_a_connection_limit_every_request_goes_at_once(
    latency_probe: LatencyProbe,
) -> None:
    transport = AiohttpTransport(limits=httpx.Limits(max_connections=None))
    async with (
        serving(faults=Faults(latency=0.3)) as (_, server),
        httpx.AsyncClient(transport=transport, base_url=server.base_url, headers=KEY) as http,
    ):
        answers: list[int] = []

        async def get(i: int) -> None:
            answers.append((await http.get(f"/sms/{i}")).status_code)

        async with anyio.create_task_group() as group:
            for i in range(6):
                group.start_soon(get, i)

    assert answers == [200] * 6
    assert latency_probe.peak == 6


async def test_connections_are_reused_and_never_exceed_the_limit(
    latency_probe: LatencyProbe,
) -> None:
    transport = AiohttpTransport(limits=httpx.Limits(max_connections=3))
    async with (
        serving(faults=Faults(latency=0.05)) as (_, server),
        httpx.AsyncClient(transport=transport, base_url=server.base_url, headers=KEY) as http,
    ):

        async def get(i: int) -> None:
            (await http.get(f"/sms/{i}")).raise_for_status()

        async with anyio.create_task_group() as group:
            for i in range(12):
                group.start_soon(get, i)
        connector = transport._session.connector if transport._session else None

    assert latency_probe.peak == 3
    assert connector is not None
    assert connector.closed


async def test_a_streamed_request_body_is_sent_whole() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"destination": "phone", "msisdn": "380501234567", '
        yield b'"reference": "streamed1", "originator": "Shop", "body": "Hi"}'

    transport = AiohttpTransport()
    async with (
        serving() as (fake, server),
        httpx.AsyncClient(transport=transport, base_url=server.base_url, headers=KEY) as http,
    ):
        response = await http.post("/sms/create", content=chunks())

    assert response.status_code == 200
    assert response.json()["error"] == "0"
    assert fake.sms.acceptances("streamed1") == 1


async def test_a_gzip_answer_is_decoded_by_httpx() -> None:
    payload = b'{"ok": true}'

    async def gzipped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = gzip.compress(payload)
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()

    async with raw_server(gzipped) as url, httpx.AsyncClient(transport=AiohttpTransport()) as http:
        response = await http.get(url + "/x")

    assert response.content == payload
    assert response.http_version == "HTTP/1.1"
    assert response.reason_phrase == "OK"


async def test_a_closed_transport_refuses_new_requests() -> None:
    transport = AiohttpTransport()
    await transport.aclose()

    with pytest.raises(RuntimeError, match="closed"):
        await transport.handle_async_request(httpx.Request("GET", "http://127.0.0.1:1/"))


async def test_closing_a_transport_that_never_sent_anything_is_fine() -> None:
    transport = AiohttpTransport()

    await transport.aclose()
    await transport.aclose()

    assert transport._session is None


async def test_requests_without_any_timeout_still_go_out() -> None:
    async with (
        serving() as (fake, server),
        httpx.AsyncClient(
            transport=AiohttpTransport(), base_url=server.base_url, headers=KEY, timeout=None
        ) as http,
    ):
        response = await http.post(
            "/sms/create",
            json={
                "destination": "phone",
                "msisdn": "380501234567",
                "reference": "untimed1",
                "originator": "Shop",
                "body": "Hi",
            },
        )

    assert response.status_code == 200
    assert fake.sms.acceptances("untimed1") == 1


async def test_an_empty_answer_without_a_reason_phrase_is_read() -> None:
    async def no_content(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 204 \r\n\r\n")
        await writer.drain()

    async with (
        raw_server(no_content) as url,
        httpx.AsyncClient(transport=AiohttpTransport()) as http,
    ):
        response = await http.get(url + "/x")

    assert response.status_code == 204
    assert response.content == b""


class _Writer:
    """Stands in for aiohttp's stream writer: keeps what is written."""

    def __init__(self) -> None:
        self.written: list[bytes] = []

    async def write(self, chunk: bytes) -> None:
        self.written.append(bytes(chunk))


@pytest.mark.parametrize(
    ("write_timeout", "content_length", "expected"),
    [(None, None, b"abcdef"), (1.0, None, b"abcdef"), (None, 4, b"abcd"), (1.0, 99, b"abcdef")],
)
async def test_a_body_writes_at_most_its_content_length(
    write_timeout: float | None, content_length: int | None, expected: bytes
) -> None:
    from bsg_async._aiohttp import _Body

    body = _Body(b"abcdef", write_timeout)
    writer = _Writer()

    await body.write_with_length(writer, content_length)  # type: ignore[arg-type]

    assert writer.written == [expected]
    assert body.size == 6
    assert body.decode() == "abcdef"


async def test_a_body_written_the_legacy_way_is_written_whole() -> None:
    from bsg_async._aiohttp import _Body

    writer = _Writer()

    await _Body(b"abc", None).write(writer)  # type: ignore[arg-type]

    assert writer.written == [b"abc"]


async def test_every_answer_comes_back_read_decoded_and_its_connection_released() -> None:
    body = gzip.compress(b'{"error": 0}')

    async def gzipped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:  # keep-alive: answer every request on this connection
            try:
                await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()

    async with raw_server(gzipped) as url:
        transport = AiohttpTransport(limits=httpx.Limits(max_connections=1))
        try:
            # The second got the only connection back from the first, without a pool timeout.
            answers = [
                await transport.handle_async_request(
                    httpx.Request("GET", url + "/x", extensions={"timeout": {"pool": 1.0}})
                )
                for _ in "ab"
            ]
        finally:
            await transport.aclose()

    for response in answers:
        assert response.is_closed and response.is_stream_consumed
        assert response.content == b'{"error": 0}'
        assert response.headers["Content-Encoding"] == "gzip"
        assert (response.status_code, response.http_version) == (200, "HTTP/1.1")
        assert response.reason_phrase == "OK"
        assert response.elapsed.total_seconds() > 0


async def test_a_cancelled_read_gives_the_connection_back() -> None:
    served: list[int] = []

    async def stall_then_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        served.append(1)
        if len(served) == 1:  # the head and part of the body, then silence
            writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"err')
            await writer.drain()
            await asyncio.sleep(30)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()

    async with raw_server(stall_then_answer) as url:
        transport = AiohttpTransport(limits=httpx.Limits(max_connections=1))
        try:
            with anyio.move_on_after(0.3) as scope:
                await transport.handle_async_request(httpx.Request("GET", url + "/x"))
            second = await transport.handle_async_request(  # a pool timeout if the slot leaked
                httpx.Request("GET", url + "/x", extensions={"timeout": {"pool": 1.0}})
            )
        finally:
            await transport.aclose()

    assert scope.cancelled_caught
    assert second.content == b"{}"
    assert served == [1, 1]  # the half-read connection was closed, not reused


async def test_an_answer_cut_short_is_a_protocol_error_and_frees_the_slot() -> None:
    async def cut_short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"error"')
        await writer.drain()
        writer.close()

    async with raw_server(cut_short) as url:
        transport = AiohttpTransport(limits=httpx.Limits(max_connections=1))
        try:
            for _ in range(2):  # the slot came back: the second request is not a pool timeout
                with pytest.raises(httpx.RemoteProtocolError):
                    await transport.handle_async_request(
                        httpx.Request("GET", url + "/x", extensions={"timeout": {"pool": 1.0}})
                    )
        finally:
            await transport.aclose()


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\x00b"])
async def test_a_header_aiohttp_will_not_write_is_a_local_protocol_error(value: str) -> None:
    # As httpx raises for the same header (h11 refuses it), not aiohttp's bare ValueError; and
    # the slot is given back.
    answered: list[bytes] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        answered.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    async with raw_server(answer) as url:
        transport = AiohttpTransport(limits=httpx.Limits(max_connections=1))
        try:
            bad = httpx.Request("GET", url + "/x", extensions={"timeout": {"pool": 1.0}})
            bad.headers["X-Note"] = value
            with pytest.raises(httpx.LocalProtocolError):
                await transport.handle_async_request(bad)
            # A pool timeout, not a hang, if the slot leaked.
            good = await transport.handle_async_request(
                httpx.Request("GET", url + "/x", extensions={"timeout": {"pool": 1.0}})
            )
        finally:
            await transport.aclose()

    assert good.status_code == 200
    assert len(answered) == 1 and b"X-Note" not in answered[0]  # only the good one went out
