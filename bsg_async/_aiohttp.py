"""An httpx transport over aiohttp: what `AsyncBSG(http_backend="aiohttp")` plugs in under its
`httpx.AsyncClient`, public as `bsg_async.transports.AiohttpTransport`.

It is a transport and nothing more, like those in httpx's `_transports/`: the one
`httpx.AsyncClient` above it builds the requests, drives auth flows, runs event hooks, routes
mounts and decodes; so the request pipeline, its retries and its error classification are
the same on both backends; only the HTTP/1.1 connection pool underneath is aiohttp's, which
stays fast at high concurrency (encode/httpx#3215). Each answer is read whole inside
`handle_async_request`, its connection given back before the response leaves (as httpx's
ASGI and mock transports hand back complete responses). Imported only when that backend is
chosen: aiohttp is an optional extra.

Why our own transport rather than the `httpx-aiohttp` package (checked at 0.2.0):

- **Exactly-once.** It maps every `aiohttp.ClientConnectionError` it has no closer entry for to
  `httpx.ConnectTimeout`, so a connection that dies *after* the request went out
  (`ServerDisconnectedError`, a reset) reads as "never sent": the SDK would then report
  `may_have_been_accepted=False` for a message the service may hold. A refused connection
  also comes out as a timeout instead of `httpx.ConnectError`.
- **Timeouts.** The write timeout is not enforced at all (aiohttp has none, and its read timer
  starts only once the body is written, so a peer that stops reading hangs the request), and
  the pool and connect timeouts are merged into one.
- **Limits and cancellation.** `max_connections=None` becomes aiohttp's default of 100
  instead of no limit, and closing a response awaits, so a cancellation during that close can
  leave the connection unreleased.

Here each httpx timeout has its own enforcement: `pool` bounds the wait for one of
`limits.max_connections` slots (our semaphore; aiohttp's own connector is unlimited), `connect`
is aiohttp's `connect`/`sock_connect`, `read` its `sock_read` (the longest silence while an
answer is awaited or read), and `write` bounds the writing of the body. Failures map to the
httpx exceptions the pipeline classifies, conservatively: only what surely happened before any
byte reached the service (`ConnectError`, `ConnectTimeout`, `PoolTimeout`,
`UnsupportedProtocol`, and `ProxyError` when a proxy refuses the tunnel) says "not sent". The
session is created on the first request (inside the running loop) and closed by `aclose`;
each answer's connection is released synchronously, so no cancellation can stop that half way.

Proxies come from the environment as httpx's default client reads them (`EnvironmentProxies`),
so both backends take the same route; aiohttp's own `trust_env` is not used, because it would
also read `~/.netrc` and send those credentials to the service.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import time
import urllib.request
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, NamedTuple

import aiohttp
import anyio
import httpx
from aiohttp.abc import AbstractStreamWriter
from aiohttp.payload import Payload
from yarl import URL

from .errors import InvalidParameterError

__all__ = ["MIN_AIOHTTP", "AiohttpTransport", "EnvironmentProxies", "translate_error"]

MIN_AIOHTTP = (3, 12)
"""The oldest aiohttp this transport supports (`Payload.write_with_length` is 3.12's)."""


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


if _version(aiohttp.__version__) < MIN_AIOHTTP:  # pragma: no cover - depends on the install
    raise ImportError(
        f"the aiohttp backend needs aiohttp >= {'.'.join(map(str, MIN_AIOHTTP))}, "
        f"found {aiohttp.__version__}"
    )

# Headers aiohttp would add on its own; httpx already sends exactly the ones it means to.
_NO_AUTO_HEADERS = ("Accept", "Accept-Encoding", "Content-Type", "User-Agent")
_INFINITY = float("inf")


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An `httpx.AsyncBaseTransport` sending HTTP/1.1 requests with an aiohttp `ClientSession`.

    `limits`: at most `max_connections` requests hold a connection at once (`None`: no limit;
    a request waits for one at most the `pool` timeout, then `httpx.PoolTimeout`), idle
    connections close after `keepalive_expiry` seconds. aiohttp has no separate cap on idle
    connections, so `max_keepalive_connections` is not applied. `ssl_context` defaults to
    httpx's (the same trust store). Timeouts come from each request, as httpx sets them.
    `trust_env`: route through the proxies the environment names (`EnvironmentProxies`), as
    `httpx.AsyncClient` does by default (a client given a transport leaves proxies to it).
    Every answer comes back read whole, its connection already given back: not for downloads
    larger than memory. Needs an asyncio event loop.

    ```python
    transport = AiohttpTransport(limits=httpx.Limits(max_connections=32))
    async with httpx.AsyncClient(transport=transport, timeout=10.0) as http:
        response = await http.get("https://example.org")
    ```
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits | None = None,
        ssl_context: ssl.SSLContext | None = None,
        trust_env: bool = True,
    ) -> None:
        limits = limits if limits is not None else httpx.Limits()
        self.limits = limits
        self.proxies = EnvironmentProxies() if trust_env else EnvironmentProxies({})
        self._ssl = ssl_context if ssl_context is not None else httpx.create_ssl_context()
        size = limits.max_connections
        self._slots = None if size is None else anyio.Semaphore(size)
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._timeouts: dict[tuple[float | None, float | None], aiohttp.ClientTimeout] = {}

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("this AiohttpTransport is closed")
        connector = aiohttp.TCPConnector(
            limit=0,  # the slots above are the limit, with httpx's pool timeout
            limit_per_host=0,
            keepalive_timeout=self.limits.keepalive_expiry,
            ssl=self._ssl,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # the client above decides about cookies
            auto_decompress=False,  # httpx decodes Content-Encoding
            skip_auto_headers=_NO_AUTO_HEADERS,
            trust_env=False,
            timeout=aiohttp.ClientTimeout(),
        )
        self._session = session
        return session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send `request`; return its response with the body read whole and decoded, and the
        connection given back (on every path, cancellation included).

        The response is complete when it leaves the transport, as `httpx.ASGITransport`'s
        and `httpx.MockTransport`'s are: `response.content` is there and `response.elapsed`
        set (from sending to the last byte read). Not for downloads larger than memory.
        Raises the httpx exception that describes the failure (see the module docstring).
        """
        started = time.perf_counter()
        session = self._session or self._open()
        timeouts: dict[str, float | None] = request.extensions.get("timeout") or {}
        headers = request.headers
        try:
            content = request.content
        except httpx.RequestNotRead:  # a streamed body: sent whole, with its length
            content = await request.aread()
            headers = headers.copy()
            headers.pop("Transfer-Encoding", None)
            headers["Content-Length"] = str(len(content))
        body = _Body(content, timeouts.get("write")) if content else None
        encoding = headers.encoding  # as `multi_items` decodes, without asking per header
        fields = [(name.decode(encoding), value.decode(encoding)) for name, value in headers.raw]
        proxy = self.proxies.route(request.url) if self.proxies else None
        tunnel_headers = None
        if proxy is not None and proxy.authorization is not None:
            # A plain-HTTP request goes to the proxy as it is; an HTTPS one through a CONNECT
            # tunnel, whose own request is the one the proxy reads.
            if request.url.scheme == "https":
                tunnel_headers = {"Proxy-Authorization": proxy.authorization}
            else:
                fields.append(("Proxy-Authorization", proxy.authorization))
        timeout = self._timeout(timeouts.get("connect"), timeouts.get("read"))
        await self._take_slot(timeouts.get("pool"), request)
        try:
            try:
                answer = await session.request(
                    request.method,
                    URL(str(request.url), encoded=True),
                    headers=fields,
                    data=body,
                    allow_redirects=False,
                    proxy=None if proxy is None else proxy.url,
                    proxy_headers=tunnel_headers,
                    timeout=timeout,
                )
            except _FAILURES as exc:
                raise _translated(exc, request, body) from exc
            except ValueError as exc:  # aiohttp will not write a header with a control character
                raise httpx.LocalProtocolError(str(exc) or "ValueError", request=request) from exc
            try:
                data = await answer.read()
            except _FAILURES as exc:
                raise _translated(exc, request, None) from exc
            finally:
                answer.release()  # synchronous: returns the connection, or closes an unread one
        finally:
            self._give_slot()
        response = _httpx_response(answer, request, httpx.ByteStream(data))
        response.read()  # decodes any Content-Encoding with httpx's own decoders
        response.elapsed = timedelta(seconds=time.perf_counter() - started)
        return response

    def _timeout(self, connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
        """aiohttp's timeout for httpx's `connect` and `read`: one per pair, made once."""
        key = (connect, read)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(connect=connect, sock_connect=connect, sock_read=read)
            if len(self._timeouts) < 16:  # a client uses one or two pairs; a bound all the same
                self._timeouts[key] = timeout
        return timeout

    async def _take_slot(self, seconds: float | None, request: httpx.Request) -> None:
        slots = self._slots
        if slots is None:
            return
        try:
            slots.acquire_nowait()  # the common case, without a trip through the event loop
            return
        except anyio.WouldBlock:
            pass
        with anyio.move_on_after(_INFINITY if seconds is None else seconds):
            await slots.acquire()
            return
        raise httpx.PoolTimeout(
            f"no free connection within {seconds} s "
            f"(limits.max_connections={self.limits.max_connections})",
            request=request,
        )

    def _give_slot(self) -> None:
        if self._slots is not None:
            self._slots.release()

    async def aclose(self) -> None:
        """Close the aiohttp session and its connections; the transport cannot be reused."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()


def _httpx_response(
    answer: aiohttp.ClientResponse, request: httpx.Request, stream: httpx.AsyncByteStream
) -> httpx.Response:
    """The httpx response for aiohttp's `answer` to `request`, its body read from `stream`."""
    version = answer.version or aiohttp.HttpVersion11
    extensions: dict[str, Any] = {"http_version": f"HTTP/{version.major}.{version.minor}".encode()}
    if answer.reason:
        extensions["reason_phrase"] = answer.reason.encode("latin-1", "replace")
    return httpx.Response(
        answer.status,
        headers=answer.raw_headers,
        stream=stream,
        request=request,
        extensions=extensions,
    )


class Proxy(NamedTuple):
    """A proxy to send through: its URL without credentials, and the `Proxy-Authorization`
    value made of the credentials its URL carried (`None` without)."""

    url: URL
    authorization: str | None


class EnvironmentProxies:
    """The proxies the environment names, read once (when made), as httpx's default client
    reads them: `HTTP_PROXY`, `HTTPS_PROXY` and `ALL_PROXY` (any case) by the target's scheme,
    and the hosts of `NO_PROXY` reached directly (each entry a host name, which covers its
    subdomains, an IP address, or `*` for every host; ports are not told apart). A proxy URL
    without a scheme is an `http://` one.

    aiohttp sends through `http://` proxies only (an HTTPS target through a CONNECT tunnel);
    any other raises `InvalidParameterError` naming the variable, its URL shown without
    credentials. `proxies` replaces the environment (a mapping like
    `urllib.request.getproxies()`'s, `"no"` for the hosts reached directly).

    ```python
    proxies = EnvironmentProxies({"https": "http://proxy.internal:3128"})
    proxies.route(httpx.URL("https://app.bsg.world/rest/sms/create"))  # -> Proxy(...)
    ```
    """

    def __init__(self, proxies: Mapping[str, str] | None = None) -> None:
        found = urllib.request.getproxies() if proxies is None else proxies
        self._by_scheme = {
            scheme: _proxy(scheme, found[scheme])
            for scheme in ("http", "https", "all")
            if found.get(scheme)
        }
        self._direct = tuple(
            _no_proxy_host(entry) for entry in found.get("no", "").split(",") if entry.strip()
        )
        self._routes: dict[tuple[str, str, int | None], Proxy | None] = {}

    def __bool__(self) -> bool:
        return bool(self._by_scheme)

    def route(self, url: httpx.URL) -> Proxy | None:
        """The proxy for a request to `url`; `None` to connect directly."""
        key = (url.scheme, url.host, url.port)
        try:
            return self._routes[key]
        except KeyError:
            pass
        proxy = self._by_scheme.get(url.scheme) or self._by_scheme.get("all")
        if proxy is not None and _reached_directly(url.host.lower(), self._direct):
            proxy = None
        if len(self._routes) < 64:  # the SDK talks to one or two hosts; a bound all the same
            self._routes[key] = proxy
        return proxy


def _no_proxy_host(entry: str) -> str:
    """The host a `NO_PROXY` entry names: without a leading dot, brackets or a port."""
    host = entry.strip().lower()
    if host.count(":") == 1:  # host:port (an IPv6 address has more colons)
        host = host.partition(":")[0]
    return host.lstrip(".").strip("[]")


def _reached_directly(host: str, entries: tuple[str, ...]) -> bool:
    """Whether `NO_PROXY`'s `entries` name `host`: `*`, the host itself, or a parent domain."""
    return any(entry == "*" or host == entry or host.endswith("." + entry) for entry in entries)


def _proxy(scheme: str, text: str) -> Proxy:
    url = URL(text if "://" in text else f"http://{text}")
    shown = url.with_user(None)  # drops the password as well
    variable = f"{scheme.upper()}_PROXY"
    if url.scheme != "http" or not url.host:
        raise InvalidParameterError(
            variable,
            str(shown),
            "the aiohttp backend sends through http:// proxies only; use http_backend='httpx'",
        )
    authorization = None
    if url.user is not None:  # as httpx encodes a proxy URL's credentials
        credentials = f"{url.user}:{url.password or ''}".encode()
        authorization = "Basic " + base64.b64encode(credentials).decode("ascii")
    return Proxy(shown, authorization)


class _Body(Payload):
    """The request body as aiohttp writes it, under httpx's write timeout.

    aiohttp only awaits while writing when the socket's buffers are full (a peer that stops
    reading); the write timeout bounds exactly that wait.
    """

    _autoclose = True  # bytes in memory: nothing to close

    def __init__(self, content: bytes, write_timeout: float | None) -> None:
        super().__init__(content, content_type=None)
        self._content = content
        self._size = len(content)
        self._write_timeout = write_timeout
        self.timed_out = False

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The body as text."""
        return self._content.decode(encoding, errors)

    async def write(self, writer: AbstractStreamWriter) -> None:
        """Write the whole body."""
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        """Write the body (at most `content_length` bytes) within the write timeout."""
        data = self._content
        if content_length is not None and content_length < len(data):
            data = data[:content_length]
        if self._write_timeout is None:
            await writer.write(data)
            return
        with anyio.move_on_after(self._write_timeout):
            await writer.write(data)
            return
        self.timed_out = True
        raise _WriteTimedOut


class _WriteTimedOut(Exception):
    """Raised in aiohttp's writer when the write timeout expired; aiohttp wraps it."""


_FAILURES = (aiohttp.ClientError, OSError, asyncio.TimeoutError)
"""What aiohttp (or the socket under it) raises when a request fails on the way."""


def _translated(
    exc: BaseException, request: httpx.Request, body: _Body | None
) -> httpx.TransportError:
    """`translate_error` for a failure while `body` (if any) was being sent."""
    return translate_error(exc, request, write_timed_out=body is not None and body.timed_out)


def translate_error(
    exc: BaseException, request: httpx.Request, *, write_timed_out: bool = False
) -> httpx.TransportError:
    """The httpx exception for an aiohttp (or socket) failure of `request`, chained to it.

    Only failures that surely happened before the request reached the service become the
    httpx types the pipeline reads as "not sent"; anything else is "may have been sent".
    """
    message = str(exc) or type(exc).__name__
    error: httpx.TransportError
    if write_timed_out:
        error = httpx.WriteTimeout("timed out writing the request body", request=request)
    elif isinstance(exc, aiohttp.ConnectionTimeoutError):
        error = httpx.ConnectTimeout(message, request=request)
    elif isinstance(exc, asyncio.TimeoutError):  # aiohttp.SocketTimeoutError and the like
        error = httpx.ReadTimeout(message, request=request)
    elif isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS, proxy
        error = httpx.ConnectError(message, request=request)
    elif isinstance(exc, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        error = httpx.UnsupportedProtocol(message, request=request)
    elif isinstance(exc, aiohttp.ClientHttpProxyError):  # the proxy refused the tunnel
        error = httpx.ProxyError(message, request=request)
    elif isinstance(
        exc,
        aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError | aiohttp.ClientResponseError,
    ):
        error = httpx.RemoteProtocolError(message, request=request)
    elif isinstance(exc, aiohttp.ClientConnectionError | OSError):
        error = httpx.ReadError(message, request=request)
    else:
        error = httpx.TransportError(message, request=request)
    error.__cause__ = exc
    return error
