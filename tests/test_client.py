"""`AsyncBSG`: configuration, the three-state lifecycle, resource hygiene and sharing."""

from __future__ import annotations

import contextlib
import gc
import math
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
from anyio.abc import SocketStream
from anyio.streams.buffered import BufferedByteReceiveStream

from bsg_async import AsyncBSG, ClientStateError, InvalidParameterError, RetryPolicy, ServerError
from bsg_async.client import DEFAULT_BASE_URL, DEFAULT_ONE_API_URL

from .conftest import API_KEY, BASE

STATUS = {"error": 0, "id": "211", "status": "delivered", "price": "0.23", "currency": "EUR"}


def ok(request: httpx.Request) -> httpx.Response:
    """Answer every read with the documented status of message 211."""
    return httpx.Response(200, json=STATUS)


class ClosingTransport(httpx.MockTransport):
    """A mock transport that remembers whether the client closed it."""

    def __init__(self, handler: Callable[[httpx.Request], Any] = ok) -> None:
        super().__init__(handler)
        self.closed = False

    async def aclose(self) -> None:
        self.closed = True


def client(transport: httpx.AsyncBaseTransport | None = None, **options: Any) -> AsyncBSG:
    return AsyncBSG(API_KEY, base_url=BASE, transport=transport or ClosingTransport(), **options)


@contextlib.asynccontextmanager
async def serve_http(
    answer: Callable[[str], bytes] = lambda path: b'{"error": 0, "id": "211", "status": "sent"}',
) -> AsyncIterator[str]:
    """A tiny keep-alive HTTP/1.1 server on 127.0.0.1; `answer(path)` is the JSON body to send.

    Used where the real httpx/httpcore socket path matters (unclosed sockets, httpcore logs).
    """
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def handle(stream: SocketStream) -> None:
        reader = BufferedByteReceiveStream(stream)
        async with stream:
            with contextlib.suppress(anyio.EndOfStream, anyio.IncompleteRead, OSError):
                while True:
                    head = await reader.receive_until(b"\r\n\r\n", 65536)
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    if length:
                        await reader.receive_exactly(length)
                    body = answer(head.split(b" ")[1].decode())
                    await stream.send(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                    )

    async with listener, anyio.create_task_group() as group:
        group.start_soon(listener.serve, handle)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            group.cancel_scope.cancel()


# -- lifecycle ----------------------------------------------------------------------------------


async def test_request_before_entering_raises_client_state_error() -> None:
    bsg = client()

    with pytest.raises(ClientStateError, match="not open"):
        await bsg.sms.get(211)


async def test_entering_twice_raises_client_state_error() -> None:
    async with client() as bsg:
        with pytest.raises(ClientStateError, match="already open"):
            await bsg.__aenter__()
        assert (await bsg.sms.get(211)).id == 211  # the failed second entry changed nothing


async def test_use_after_close_raises_client_state_error() -> None:
    async with client() as bsg:
        pass

    assert bsg.is_closed
    with pytest.raises(ClientStateError, match="closed"):
        await bsg.sms.get(211)


async def test_reentering_a_closed_client_raises_client_state_error() -> None:
    bsg = client()
    async with bsg:
        pass

    with pytest.raises(ClientStateError, match="closed"):
        async with bsg:
            pass


async def test_aclose_twice_is_fine() -> None:
    transport = ClosingTransport()
    bsg = client(transport)
    await bsg.__aenter__()

    await bsg.aclose()
    await bsg.aclose()

    assert transport.closed
    assert bsg.is_closed


async def test_aclose_before_entering_closes_the_client_for_good() -> None:
    bsg = client()
    await bsg.aclose()

    with pytest.raises(ClientStateError, match="closed"):
        await bsg.__aenter__()


async def test_own_http_client_is_closed_on_normal_exit() -> None:
    transport = ClosingTransport()
    async with client(transport) as bsg:
        await bsg.sms.get(211)
        assert not transport.closed

    assert transport.closed


async def test_own_http_client_is_closed_when_the_block_raises() -> None:
    transport = ClosingTransport()

    with pytest.raises(LookupError):
        async with client(transport):
            raise LookupError("boom")

    assert transport.closed


async def test_own_http_client_is_closed_when_the_block_is_cancelled() -> None:
    transport = ClosingTransport()
    entered = False

    with anyio.CancelScope() as scope:
        async with client(transport):
            entered = True
            scope.cancel()
            await anyio.sleep(3600)  # cancelled at once: the scope is already cancelled

    assert entered
    assert scope.cancelled_caught
    assert transport.closed


async def test_own_http_client_is_closed_when_a_request_is_cancelled_by_a_deadline() -> None:
    started = anyio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        started.set()
        await anyio.sleep(3600)
        raise AssertionError("not reached")  # pragma: no cover

    transport = ClosingTransport(hang)
    with anyio.move_on_after(5) as scope:
        async with anyio.create_task_group() as group, client(transport) as bsg:
            group.start_soon(bsg.sms.get, 211)
            await started.wait()
            group.cancel_scope.cancel()

    assert not scope.cancelled_caught  # cancelled by our own task group, not the guard deadline
    assert transport.closed


async def test_callers_http_client_is_used_and_not_closed() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["X-Caller"])
        return httpx.Response(200, json=STATUS)

    async with httpx.AsyncClient(
        transport=httpx.MockTransport(handler), headers={"X-Caller": "mine"}
    ) as http:
        async with AsyncBSG(API_KEY, base_url=BASE, http_client=http) as bsg:
            await bsg.sms.get(211)

        assert not http.is_closed
        assert (await http.get(f"{BASE}/sms/211")).status_code == 200  # still usable

    assert seen == ["mine", "mine"]


async def test_closing_leaves_no_open_socket_or_resource_warning() -> None:
    async with serve_http() as base_url:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            async with AsyncBSG(API_KEY, base_url=base_url + "/rest") as bsg:
                report = await bsg.sms.get(211)
            del bsg
            gc.collect()

    assert report.id == 211
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


async def test_a_cancelled_client_leaves_no_open_socket_or_resource_warning() -> None:
    async with serve_http() as base_url:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with anyio.CancelScope() as scope:
                async with AsyncBSG(API_KEY, base_url=base_url + "/rest") as bsg:
                    await bsg.sms.get(211)
                    scope.cancel()
                    await anyio.sleep(3600)
            del bsg
            gc.collect()

    assert scope.cancelled_caught
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_a_client_built_outside_the_event_loop_works_inside_it() -> None:
    bsg = client()

    async def main() -> int:
        async with bsg:
            return (await bsg.sms.get(211)).id

    assert anyio.run(main) == 211


# -- configuration ------------------------------------------------------------------------------


async def test_api_key_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BSG_API_KEY", API_KEY)
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["X-API-KEY"])
        return httpx.Response(200, json=STATUS)

    async with AsyncBSG(base_url=BASE, transport=httpx.MockTransport(handler)) as bsg:
        await bsg.sms.get(211)

    assert keys == [API_KEY]


async def test_explicit_api_key_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BSG_API_KEY", "live_from_environment")
    keys: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["X-API-KEY"])
        return httpx.Response(200, json=STATUS)

    async with AsyncBSG(API_KEY, base_url=BASE, transport=httpx.MockTransport(handler)) as bsg:
        await bsg.sms.get(211)

    assert keys == [API_KEY]


def test_missing_api_key_raises_invalid_parameter_error() -> None:
    with pytest.raises(InvalidParameterError, match="BSG_API_KEY") as info:
        AsyncBSG()

    assert info.value.field == "api_key"


def test_empty_environment_key_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BSG_API_KEY", "")

    with pytest.raises(InvalidParameterError) as info:
        AsyncBSG()

    assert info.value.field == "api_key"


@pytest.mark.parametrize(
    "key",
    # Spaces and control characters would break (or inject) the header; so would non-ASCII.
    ["", "   ", "live_ab cd", "live_abc\n", "live_a\x00bc", "live_\x7fabc", "live_äbc", 12345],
)
def test_malformed_api_key_is_refused_without_echoing_it(key: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        AsyncBSG(key)

    assert info.value.field == "api_key"
    if isinstance(key, str) and key.strip():
        assert key.strip() not in str(info.value)


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("live_abc\n", "ends with a newline: strip it"),
        ("live_abc\r\n", "ends with a newline: strip it"),
        (" live_abc", "starts with whitespace: strip it"),
        ("live_abc\t", "ends with whitespace: strip it"),
        ("live_ab cd", "contains a space (character 8)"),
        ("live_a\x00bc", "contains a control character (character 7)"),
        ("live_äbc", "contains a non-ASCII character (character 6)"),
        ("   ", "is only whitespace"),
        (12345, "is a int, not a str"),
    ],
)
def test_a_malformed_argument_key_says_what_is_wrong_and_where_it_came_from(
    key: Any, problem: str
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        AsyncBSG(key)

    assert f"the key from the api_key argument {problem}" in str(info.value)


def test_a_malformed_environment_key_says_it_came_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BSG_API_KEY", API_KEY + "\n")

    with pytest.raises(InvalidParameterError) as info:
        AsyncBSG()

    message = str(info.value)
    assert "the key from the BSG_API_KEY environment variable ends with a newline" in message
    assert API_KEY not in message and API_KEY[:12] not in message


async def test_base_urls_fall_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BSG_BASE_URL", "http://127.0.0.1:8080/rest/")
    monkeypatch.setenv("BSG_ONE_API_URL", "http://127.0.0.1:8080")
    urls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return httpx.Response(200, json=STATUS)

    async with AsyncBSG(API_KEY, transport=httpx.MockTransport(handler)) as bsg:
        await bsg.sms.get(211)

    assert bsg.base_url == "http://127.0.0.1:8080/rest"
    assert bsg.one_api_url == "http://127.0.0.1:8080"
    assert urls == ["http://127.0.0.1:8080/rest/sms/211"]


def test_base_url_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BSG_BASE_URL", "http://127.0.0.1:8080/rest")
    monkeypatch.setenv("BSG_ONE_API_URL", "http://127.0.0.1:8080")

    bsg = AsyncBSG(API_KEY, base_url=BASE, one_api_url="https://one.test")

    assert (bsg.base_url, bsg.one_api_url) == (BASE, "https://one.test")


def test_without_argument_or_environment_the_urls_are_the_services() -> None:
    bsg = AsyncBSG(API_KEY)

    assert (bsg.base_url, bsg.one_api_url) == (DEFAULT_BASE_URL, DEFAULT_ONE_API_URL)


@pytest.mark.parametrize(
    ("variable", "field"), [("BSG_BASE_URL", "base_url"), ("BSG_ONE_API_URL", "one_api_url")]
)
def test_a_bad_environment_url_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, field: str
) -> None:
    monkeypatch.setenv(variable, "api.bsg.world/rest")

    with pytest.raises(InvalidParameterError, match=variable) as info:
        AsyncBSG(API_KEY)

    assert info.value.field == field


def test_with_instead_of_async_with_says_to_use_async_with() -> None:
    with pytest.raises(TypeError, match="async with"), AsyncBSG(API_KEY):
        pass  # pragma: no cover - never entered


@pytest.mark.parametrize(
    "url",
    [
        "",
        "api.bsg.world/rest",
        "/rest",
        "ftp://api.bsg.world/rest",
        "https://",
        "http:///rest",
        "http://[::1",
        "https://api.bsg.world/rest?x=1",
        "https://api.bsg.world/rest#frag",
        "https://api.bsg.world/rest?",
        "https://api bsg.world/rest",
        42,
    ],
)
@pytest.mark.parametrize("field", ["base_url", "one_api_url"])
def test_bad_base_urls_raise_invalid_parameter_error(url: Any, field: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        AsyncBSG(API_KEY, **{field: url})

    assert info.value.field == field


async def test_base_url_trailing_slash_is_tolerated() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(str(request.url))
        return httpx.Response(200, json=STATUS)

    async with AsyncBSG(
        API_KEY, base_url=BASE + "/", transport=httpx.MockTransport(handler)
    ) as bsg:
        await bsg.sms.get(211)

    assert paths == [f"{BASE}/sms/211"]


@pytest.mark.parametrize(
    "timeout",
    [
        None,
        httpx.Timeout(None),
        httpx.Timeout(5.0, read=None),
        httpx.Timeout(5.0, pool=None),
        math.inf,
        math.nan,
        0,
        -1.0,
        True,
        "30",
    ],
)
def test_infinite_or_bad_timeouts_raise_invalid_parameter_error(timeout: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        AsyncBSG(API_KEY, timeout=timeout)

    assert info.value.field == "timeout"


async def test_default_timeout_is_finite_and_a_given_one_reaches_the_request() -> None:
    seen: list[dict[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json=STATUS)

    for options in ({}, {"timeout": 2.5}):
        async with client(httpx.MockTransport(handler), **options) as bsg:
            await bsg.sms.get(211)

    default, given = seen
    assert all(value is not None and 0 < value < math.inf for value in default.values())
    assert given == {"connect": 2.5, "read": 2.5, "write": 2.5, "pool": 2.5}


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "3", None])
def test_bad_max_concurrency_raises_invalid_parameter_error(value: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        AsyncBSG(API_KEY, max_concurrency=value)

    assert info.value.field == "max_concurrency"


def test_bad_retry_policy_raises_invalid_parameter_error() -> None:
    with pytest.raises(InvalidParameterError) as info:
        AsyncBSG(API_KEY, retry=3)  # type: ignore[arg-type]

    assert info.value.field == "retry"


async def test_transport_and_http_client_together_raise_invalid_parameter_error() -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(InvalidParameterError) as info:
            AsyncBSG(API_KEY, transport=httpx.MockTransport(ok), http_client=http)

    assert info.value.field == "transport"


def test_repr_shows_no_key() -> None:
    bsg = client()

    text = repr(bsg)

    assert API_KEY not in text
    assert API_KEY[5:] not in text
    assert BASE in text
    assert "unopened" in text


async def test_repr_follows_the_lifecycle() -> None:
    bsg = client()
    async with bsg:
        assert "'open'" in repr(bsg)
    assert "'closed'" in repr(bsg)


# -- sharing ------------------------------------------------------------------------------------


async def test_one_client_serves_many_concurrent_tasks() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        message_id = request.url.path.rsplit("/", 1)[1]
        await anyio.lowlevel.checkpoint()  # let the other tasks interleave
        return httpx.Response(200, json={**STATUS, "id": message_id})

    results: dict[int, int] = {}

    async def read(bsg: AsyncBSG, message_id: int) -> None:
        results[message_id] = (await bsg.sms.get(message_id)).id

    async with client(httpx.MockTransport(handler)) as bsg, anyio.create_task_group() as group:
        for message_id in range(1, 101):
            group.start_soon(read, bsg, message_id)

    assert results == {i: i for i in range(1, 101)}


async def test_retry_option_is_used_by_the_client() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503)

    async with client(httpx.MockTransport(handler), retry=RetryPolicy(max_attempts=4)) as bsg:
        with pytest.raises(ServerError, match="503"):
            await bsg.sms.get(211)

    assert calls == 4


def failing_503(calls: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503)

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(("max_retries", "attempts"), [(0, 1), (1, 2), (5, 6)])
async def test_max_retries_is_the_number_of_retries_after_the_first_attempt(
    max_retries: int, attempts: int
) -> None:
    calls: list[httpx.Request] = []

    async with client(failing_503(calls), max_retries=max_retries) as bsg:
        with pytest.raises(ServerError):
            await bsg.sms.get(211)

    assert len(calls) == attempts


def test_max_retries_keeps_the_rest_of_the_given_policy() -> None:
    bsg = client(retry=RetryPolicy(max_attempts=9, base_delay=2.0), max_retries=1)

    assert bsg.retry == RetryPolicy(max_attempts=2, base_delay=2.0)


@pytest.mark.parametrize("value", [-1, 1.5, True, "2"])
def test_bad_max_retries_raises_invalid_parameter_error(value: Any) -> None:
    with pytest.raises(InvalidParameterError) as info:
        client(max_retries=value)

    assert info.value.field == "max_retries"
