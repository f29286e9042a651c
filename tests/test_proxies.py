"""Proxies from the environment: both backends take the same route, with the same credentials.

A bare server on 127.0.0.1 plays the proxy. The service's host (`bsg.invalid`) does not
resolve, so a request that skipped the proxy fails instead of passing by accident.
"""

from __future__ import annotations

import asyncio
import base64
import json

import httpx
import pytest

from bsg_async import AsyncBSG, InvalidParameterError, RetryPolicy, TransportError
from bsg_async.client import HttpBackend

from .backend_support import backend, needs_aiohttp, raw_server, read_request
from .conftest import API_KEY

__all__ = ["backend"]  # the fixture, imported for pytest

ANSWER = json.dumps(
    {"error": "0", "id": "22125", "reference": "order1", "price": "0.02", "currency": "EUR"}
).encode()
CREDENTIALS = "Basic " + base64.b64encode(b"proxy-user:proxy-secret").decode()
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy setting of the machine running the tests leaks in."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


class Proxy:
    """What the proxy received: each request's line, headers and body. It answers a forwarded
    request as the service would and refuses every tunnel (CONNECT) with a 407."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            raw = await read_request(reader)
            head, _, body = raw.partition(b"\r\n\r\n")
            line, *fields = head.decode("latin-1").split("\r\n")
            headers = {}
            for field in fields:
                name, _, value = field.partition(":")
                headers[name.strip().lower()] = value.strip()
            self.requests.append((line, headers, body))
            if line.startswith("CONNECT "):
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                await writer.drain()
                return
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n%s" % (len(ANSWER), ANSWER)
            )
            await writer.drain()


def with_credentials(proxy_url: str) -> str:
    """`proxy_url` (`http://host:port`) with the test's proxy user and password in it."""
    return proxy_url.replace("http://", "http://proxy-user:proxy-secret@", 1)


def client(backend: HttpBackend, base_url: str) -> AsyncBSG:
    return AsyncBSG(
        API_KEY,
        base_url=base_url,
        http_backend=backend,
        retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01),
    )


async def test_a_plain_http_send_goes_through_the_proxy_with_its_credentials(
    backend: HttpBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = Proxy()
    async with raw_server(proxy) as proxy_url:
        monkeypatch.setenv("HTTP_PROXY", with_credentials(proxy_url))
        async with client(backend, "http://bsg.invalid/rest") as bsg:
            receipt = await bsg.sms.send(
                to="380501234567", text="Hi", sender="Shop", reference="order1"
            )
    assert receipt.id == 22125
    [(line, headers, body)] = proxy.requests
    assert line == "POST http://bsg.invalid/rest/sms/create HTTP/1.1"
    assert headers["host"] == "bsg.invalid"
    assert headers["proxy-authorization"] == CREDENTIALS
    assert headers["x-api-key"] == API_KEY
    assert json.loads(body)["msisdn"] == "380501234567"


async def test_all_proxy_is_used_when_no_proxy_is_set_for_the_scheme(
    backend: HttpBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = Proxy()
    async with raw_server(proxy) as proxy_url:
        monkeypatch.setenv("ALL_PROXY", proxy_url)
        async with client(backend, "http://bsg.invalid/rest") as bsg:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
    [(line, headers, _)] = proxy.requests
    assert line.startswith("POST http://bsg.invalid/rest/sms/create ")
    assert "proxy-authorization" not in headers  # the proxy URL carried no credentials


async def test_a_host_in_no_proxy_is_reached_directly(
    backend: HttpBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy, service = Proxy(), Proxy()
    async with raw_server(proxy) as proxy_url, raw_server(service) as service_url:
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.setenv("NO_PROXY", "example.org, 127.0.0.1")
        async with client(backend, service_url + "/rest") as bsg:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
    assert proxy.requests == []
    [(line, _, _)] = service.requests
    assert line.startswith("POST /rest/sms/create ")  # origin form: no proxy in between


async def test_a_refused_https_tunnel_is_an_error_of_a_message_never_sent(
    backend: HttpBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = Proxy()
    async with raw_server(proxy) as proxy_url:
        monkeypatch.setenv("HTTPS_PROXY", with_credentials(proxy_url))
        async with client(backend, "https://bsg.invalid/rest") as bsg:
            with pytest.raises(TransportError) as caught:
                await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
    assert caught.value.may_have_been_accepted is False
    assert isinstance(caught.value.__cause__, httpx.ProxyError)
    assert "proxy-secret" not in str(caught.value)
    assert len(proxy.requests) == 2  # a refused tunnel is safe to retry: nothing was sent
    for line, headers, _ in proxy.requests:
        assert line == "CONNECT bsg.invalid:443 HTTP/1.1"
        assert headers["proxy-authorization"] == CREDENTIALS


@needs_aiohttp
async def test_a_proxy_aiohttp_cannot_use_is_refused_on_open_without_its_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "socks5://someone:hunter2@proxy.internal:1080")
    bsg = AsyncBSG(API_KEY, http_backend="aiohttp")
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.__aenter__()
    assert caught.value.field == "HTTPS_PROXY"
    assert "hunter2" not in str(caught.value) and "hunter2" not in repr(caught.value)
    assert "socks5://proxy.internal:1080" in str(caught.value)


@needs_aiohttp
def test_routes_follow_the_scheme_all_proxy_and_no_proxy() -> None:
    from bsg_async._aiohttp import EnvironmentProxies

    proxies = EnvironmentProxies(
        {"https": "proxy.internal:3128", "all": "http://fallback:8080", "no": ".corp.example"}
    )
    route = proxies.route
    assert str(route(httpx.URL("https://app.bsg.world/rest")).url) == "http://proxy.internal:3128"
    assert str(route(httpx.URL("http://app.bsg.world/rest")).url) == "http://fallback:8080"
    assert route(httpx.URL("https://api.corp.example/x")) is None  # a subdomain
    assert route(httpx.URL("https://corp.example/x")) is None  # the domain itself
    assert route(httpx.URL("https://notcorp.example/x")) is not None
    assert not EnvironmentProxies({})
    assert route(httpx.URL("https://API.CORP.EXAMPLE:8443/x")) is None  # any case, any port
    assert (
        EnvironmentProxies({"http": "http://p:1", "no": "*"}).route(httpx.URL("http://a")) is None
    )
