"""`DirectClient`: sends the pipeline's requests straight to a transport the SDK owns.

On the aiohttp backend nobody but the SDK sees the `httpx.AsyncClient`: it has no event hooks,
no mounts (the aiohttp transport itself routes through the environment's proxies), no base URL
and no redirects to follow. What it still did per request (merging headers and URLs, its cookie
jar, which parses every response's URL through `urllib`, its INFO log line, wrapping the
response stream) cost about as much CPU as everything the aiohttp transport does for a
50-phone Viber request.
`DirectClient` keeps the parts the SDK relies on, with the same meaning: the default headers,
httpx's timeouts in each request's `timeout` extension, `httpx.Auth` flows driven the way
`AsyncClient.send` drives them, and every response read whole and its connection released.
It keeps no cookies: the BSG API authenticates every request by key or token and sets none.
Two shortcuts for batches, each held to the long way by a test: a request with a JSON body
reuses the headers prepared for the last one, and a transport with `read_whole` (the aiohttp
one) hands back each answer already read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import httpx

__all__ = ["DirectClient"]

# Headers `httpx.Request` adds or treats specially when it prepares a request with a body.
_PREPARED_BY_HTTPX = ("Host", "Content-Length", "Transfer-Encoding")


class DirectClient:
    """The part of `httpx.AsyncClient` the pipeline uses, over `transport`, which it owns.

    `headers` go on every request (a request's own headers win; they are not to be changed
    once passed); `timeout` is sent to the transport with each request, as
    `httpx.AsyncClient` sends it.
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport,
        *,
        headers: Mapping[str, str],
        timeout: httpx.Timeout,
    ) -> None:
        self.transport = transport
        self.headers = httpx.Headers(headers)
        self._timeout = timeout.as_dict()  # read, never changed, by the transport
        self.is_closed = False
        self._last_merge: tuple[httpx.Headers | None, httpx.Headers] = (None, self.headers)
        self._last_prepared: tuple[bytes, httpx.Headers, httpx.Headers] | None = None
        # The aiohttp transport can hand back a response already read (`read_whole`).
        self._read_whole: Callable[[httpx.Request], Awaitable[httpx.Response]] | None = getattr(
            transport, "read_whole", None
        )

    def build_request(
        self,
        method: str,
        url: httpx.URL,
        *,
        content: bytes | None = None,
        headers: httpx.Headers | None = None,
        params: Mapping[str, str | int] | None = None,
    ) -> httpx.Request:
        """A request to the absolute `url` with the default headers, then `headers`."""
        merged = self._merged(headers)
        if content and params is None:  # the usual request: a JSON body, no query to merge
            prepared = self._prepared(url, merged)
            if prepared is not None:
                return self._with_body(method, url, prepared, content)
        return httpx.Request(
            method,
            url,
            params=params,
            headers=merged,  # copied: an auth flow changes only its request's
            content=content,
            extensions={"timeout": self._timeout},
        )

    def _prepared(self, url: httpx.URL, merged: httpx.Headers) -> httpx.Headers | None:
        """The headers `httpx.Request` would give a request with a body to `url`, but for its
        `Content-Length`: `Host` first, then `merged`. `None` where that preparation does more
        (`merged` sets `Host`, a length or a transfer encoding itself, or `url` has no host)."""
        netloc = url.netloc
        cached = self._last_prepared
        if cached is not None and cached[0] == netloc and cached[1] is merged:
            return cached[2]  # a batch sends every request to one URL with one set of headers
        if not url.host or any(name in merged for name in _PREPARED_BY_HTTPX):
            return None
        prepared = httpx.Headers([(b"Host", netloc), *merged.raw])
        self._last_prepared = (netloc, merged, prepared)
        return prepared

    def _with_body(
        self, method: str, url: httpx.URL, prepared: httpx.Headers, content: bytes
    ) -> httpx.Request:
        # What `httpx.Request(method, url, headers=merged, content=content)` builds, the same
        # headers in the same order (a test holds the two together), without preparing the
        # same `Host` and default headers again for every request of a batch.
        headers = prepared.copy()  # copied: an auth flow changes only its request's
        headers["Content-Length"] = str(len(content))
        request = httpx.Request(
            method,
            url,
            headers=headers,
            stream=httpx.ByteStream(content),
            extensions={"timeout": self._timeout},
        )
        request.read()  # the body is in memory: `request.content` is there, as httpx's would be
        return request

    def _merged(self, headers: httpx.Headers | None) -> httpx.Headers:
        if headers is None:
            return self.headers
        given, merged = self._last_merge
        if headers is not given:  # the pipeline passes one constant: merged once, kept
            merged = self.headers.copy()
            merged.update(headers)
            self._last_merge = (headers, merged)
        return merged

    async def send(self, request: httpx.Request, *, auth: httpx.Auth | None) -> httpx.Response:
        """Send `request` through `auth`'s flow; the response comes back read and closed.

        As in `httpx.AsyncClient.send`: each response is read before the flow sees it (a flow
        may answer a 401 with a new request), and the flow is closed on every path.
        """
        if auth is None:
            return await self._read(request)
        flow = auth.async_auth_flow(request)
        try:
            request = await flow.__anext__()
            while True:
                response = await self._read(request)
                try:
                    request = await flow.asend(response)
                except StopAsyncIteration:
                    return response
        finally:
            await flow.aclose()

    async def _read(self, request: httpx.Request) -> httpx.Response:
        if self._read_whole is not None:
            return await self._read_whole(request)
        response = await self.transport.handle_async_request(request)
        try:
            await response.aread()  # reading to the end releases the connection
        except BaseException:
            await response.aclose()
            raise
        return response

    async def aclose(self) -> None:
        """Close the transport and its connections."""
        self.is_closed = True
        await self.transport.aclose()

    def __repr__(self) -> str:
        return f"DirectClient({type(self.transport).__name__})"
