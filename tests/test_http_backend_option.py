"""`AsyncBSG(http_backend=...)`: the choice is checked before any network traffic, the default
stays pure httpx, and the client's lifecycle is the same on both backends."""

from __future__ import annotations

import sys

import httpx
import pytest
import respx

import bsg_async.client
from bsg_async import AsyncBSG, ClientStateError, InvalidParameterError
from bsg_async.client import HttpBackend

from .backend_support import backend, needs_aiohttp
from .conftest import API_KEY, BASE

__all__ = ["backend"]  # the fixture, imported for pytest


@pytest.mark.parametrize("value", ["requests", "AIOHTTP", "", 1, b"aiohttp"])
def test_an_unknown_backend_is_refused_naming_the_field(value: object) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        AsyncBSG(API_KEY, http_backend=value)  # type: ignore[arg-type]

    assert caught.value.field == "http_backend"
    assert caught.value.value == value
    assert "'httpx' or 'aiohttp'" in str(caught.value)


@pytest.mark.parametrize("name", ["httpx", "aiohttp"])
def test_a_backend_with_a_transport_of_ones_own_is_refused(name: HttpBackend) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with pytest.raises(InvalidParameterError, match="not both") as caught:
        AsyncBSG(API_KEY, http_backend=name, transport=transport)

    assert caught.value.field == "http_backend"
    assert "transport" in str(caught.value)


@pytest.mark.parametrize("name", ["httpx", "aiohttp"])
async def test_a_backend_with_an_http_client_of_ones_own_is_refused(name: HttpBackend) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(InvalidParameterError, match="http_client") as caught:
            AsyncBSG(API_KEY, http_backend=name, http_client=http)

    assert caught.value.field == "http_backend"


def test_aiohttp_without_the_extra_installed_is_refused_with_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As if aiohttp were not installed: importing it (and so our transport) fails.
    monkeypatch.setitem(sys.modules, "aiohttp", None)
    monkeypatch.delitem(sys.modules, "bsg_async._aiohttp", raising=False)
    monkeypatch.delattr(bsg_async, "_aiohttp", raising=False)

    with pytest.raises(InvalidParameterError) as caught:
        AsyncBSG(API_KEY, http_backend="aiohttp")

    assert caught.value.field == "http_backend"
    assert 'pip install "bsg-async[aiohttp]"' in str(caught.value)
    assert isinstance(caught.value.__cause__, ImportError)


def test_the_default_backend_is_httpx() -> None:
    assert AsyncBSG(API_KEY).http_backend == "httpx"


async def test_the_default_backend_still_goes_through_respx(respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{BASE}/sms/7").respond(
        json={"error": 0, "id": "7", "msisdn": "380501234567", "status": "sent"}
    )

    async with AsyncBSG(API_KEY, base_url=BASE) as bsg:
        status = await bsg.sms.get(7)

    assert route.called
    assert status.id == 7


@needs_aiohttp
def test_the_aiohttp_backend_needs_a_running_asyncio_loop() -> None:
    with pytest.raises(InvalidParameterError, match="asyncio event loop") as caught:
        bsg_async.client._aiohttp_transport(httpx.Limits())

    assert caught.value.field == "http_backend"


@needs_aiohttp
async def test_the_aiohttp_backend_uses_an_aiohttp_transport_with_the_clients_limits() -> None:
    from bsg_async.transports import AiohttpTransport

    limits = httpx.Limits(max_connections=7, keepalive_expiry=3.0)
    async with AsyncBSG(API_KEY, http_backend="aiohttp", limits=limits) as bsg:
        http = bsg._open_pipeline.http
        assert isinstance(http, httpx.AsyncClient)
        transport = http._transport

    assert bsg.http_backend == "aiohttp"
    assert isinstance(transport, AiohttpTransport)
    assert transport.limits == limits


@needs_aiohttp
async def test_both_backends_build_the_same_client_but_for_its_transport() -> None:
    from bsg_async.transports import AiohttpTransport

    async with AsyncBSG(API_KEY) as plain, AsyncBSG(API_KEY, http_backend="aiohttp") as fast:
        ours, theirs = plain._open_pipeline.http, fast._open_pipeline.http
        assert type(ours) is type(theirs)
        assert ours.headers == theirs.headers
        assert ours.timeout == theirs.timeout
        assert ours.event_hooks == theirs.event_hooks == {"request": [], "response": []}
        assert isinstance(theirs._transport, AiohttpTransport)
        assert not isinstance(ours._transport, AiohttpTransport)


async def test_the_clients_own_http_client_refuses_cookies_loudly(backend: HttpBackend) -> None:
    async with AsyncBSG(API_KEY, http_backend=backend) as bsg:
        http = bsg._open_pipeline.http
        with pytest.raises(AttributeError, match="keeps no cookies"):
            http.cookies = {"session": "abc"}  # type: ignore[assignment]

        assert len(http.cookies) == 0


async def test_a_closed_client_cannot_be_reopened_on_either_backend(backend: HttpBackend) -> None:
    bsg = AsyncBSG(API_KEY, http_backend=backend)
    async with bsg:
        pass

    with pytest.raises(ClientStateError, match="closed"):
        await bsg.__aenter__()
    with pytest.raises(ClientStateError, match="closed"):
        await bsg.sms.get(1)


async def test_an_open_client_cannot_be_entered_twice_on_either_backend(
    backend: HttpBackend,
) -> None:
    async with AsyncBSG(API_KEY, http_backend=backend) as bsg:
        with pytest.raises(ClientStateError, match="already open"):
            await bsg.__aenter__()


def test_limits_must_be_httpx_limits() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        AsyncBSG(api_key="k", limits={"max_connections": 5})  # type: ignore[arg-type]
    assert caught.value.field == "limits"
