"""The ASGI receiver: `RcsWebhookApp` takes BSG's callback requests and hands them to you.

HTTP only: the source allow-list, the URL secret, the method, the content type and the size
are checked here, then the body goes to `parse_rcs_callbacks` and each callback to your handler
(through a `Deduplicator` when an idempotency store is given).
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import tzinfo
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from .. import _validation as rules
from .._asgi import Receive, Scope, Send, serve_lifespan
from .._json import dumps
from .._secret import Secret
from ..errors import InvalidParameterError, WebhookPayloadError
from ..models.rcs_report import RcsClick, RcsReport
from ._body import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_DEPTH, check_limits
from ._dedup import Deduplicator, IdempotencyStore
from ._parse import RcsCallback, parse_rcs_callbacks

__all__ = ["RcsWebhookApp"]

logger = logging.getLogger("bsg_async.webhooks")

ReportHandler = Callable[[RcsReport], Awaitable[object]]
ClickHandler = Callable[[RcsClick], Awaitable[object]]
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_E = TypeVar("_E", RcsReport, RcsClick)


class _BodyTooLarge(Exception):
    pass


class RcsWebhookApp:
    """An ASGI 3 application that receives BSG's RCS callbacks and hands them to you.

    `handler` is an async callable taking an `RcsReport`; `on_click` (optional) one taking an
    `RcsClick`. A body holding a JSON list gives each item to its handler in order. Answers:

    - 200 `{"received": n, "duplicates": d}` once every handler call returned;
    - 400 `{"error": ..., "field": ...}` for a body that is not a valid callback (no handler is
      called), or a click when `on_click` is not set;
    - 403 when `allowed_networks` is set and the sender is outside it;
    - 404 when `secret` is set and the request does not carry it;
    - 405 (with `Allow: POST`) for any method but POST;
    - 413 for a body over `max_body_size` bytes (from `Content-Length`, or while reading);
    - 415 for a `Content-Type` that is not JSON (a missing one is accepted);
    - 500 when a handler raised: the error is logged (logger `bsg_async.webhooks`) and BSG
      delivers the callback again.

    `secret`: the request must carry it as the last path segment (`.../rcs/<secret>`) or as the
    query parameter `secret_param` (`...?secret=<secret>`; `secret_param=None` allows the path
    only); it is compared in constant time and never logged or echoed. `allowed_networks`: the
    source address must be in one of these networks (`"203.0.113.0/24"`, `"2001:db8::/32"`,
    single addresses). The source is the TCP peer, unless that peer is in `trusted_proxies`:
    then the last address of `forwarded_header` (default `X-Forwarded-For`) not itself a
    trusted proxy. `idempotency`: an `IdempotencyStore` (e.g. `MemoryIdempotencyStore()`) to
    answer a repeated delivery 200 without calling the handler again. `timezone` is attached to
    the reports' times. Lifespan messages are answered; it needs no startup.

    >>> from bsg_async.webhooks import MemoryIdempotencyStore, RcsReport
    >>> async def on_report(report: RcsReport) -> None:
    ...     print(report.id, report.status)
    >>> app = RcsWebhookApp(on_report, secret="s3cr3t", idempotency=MemoryIdempotencyStore())

    Raises `InvalidParameterError` for a bad option (a network that does not parse, an empty
    secret, a non-positive size).
    """

    def __init__(
        self,
        handler: ReportHandler,
        *,
        on_click: ClickHandler | None = None,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        max_depth: int = DEFAULT_MAX_DEPTH,
        secret: str | None = None,
        secret_param: str | None = "secret",
        allowed_networks: Iterable[str | _Network | _Address] | None = None,
        trusted_proxies: Iterable[str | _Network | _Address] | None = None,
        forwarded_header: str = "X-Forwarded-For",
        idempotency: IdempotencyStore | None = None,
        timezone: tzinfo | None = None,
    ) -> None:
        if not callable(handler):
            raise InvalidParameterError("handler", handler, "must be an async callable")
        if on_click is not None and not callable(on_click):
            raise InvalidParameterError("on_click", on_click, "must be an async callable")
        check_limits(max_body_size, max_depth)
        if secret is not None and (not isinstance(secret, str) or not secret):
            raise InvalidParameterError("secret", "[secure]", "must be a non-empty string")
        if secret_param is not None:
            rules.text(secret_param, "secret_param")
        rules.text(forwarded_header, "forwarded_header")
        self._handler = handler
        self._on_click = on_click
        self._max_body_size = max_body_size
        self._max_depth = max_depth
        self._secret = None if secret is None else Secret(secret)
        self._secret_param = secret_param
        self._allowed = (
            None if allowed_networks is None else _networks(allowed_networks, "allowed_networks")
        )
        self._proxies = (
            () if trusted_proxies is None else _networks(trusted_proxies, "trusted_proxies")
        )
        self._forwarded_header = forwarded_header.lower().encode("latin-1")
        self._dedupe = None if idempotency is None else Deduplicator(idempotency)
        self._timezone = timezone

    def __repr__(self) -> str:
        secret = "[secure]" if self._secret is not None else None
        return f"RcsWebhookApp(handler={self._handler!r}, secret={secret!r})"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI 3 entry point."""
        kind = scope.get("type")
        if kind == "lifespan":
            await serve_lifespan(receive, send)
        elif kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:  # as the ASGI specification asks of an application
            raise RuntimeError(f"RcsWebhookApp does not handle ASGI scope type {kind!r}")

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        if self._allowed is not None and not self._source_allowed(scope, headers):
            return await _answer(send, 403, "forbidden")
        if self._secret is not None and not self._secret_matches(scope):
            return await _answer(send, 404, "not found")
        if scope.get("method") != "POST":
            return await _answer(send, 405, "method not allowed", allow=True)
        content_type = headers.get(b"content-type")
        if content_type is not None and not _is_json(content_type):
            return await _answer(send, 415, "the body must be JSON", "content-type")
        declared = headers.get(b"content-length")
        if declared is not None:
            digits = declared.strip()
            if not digits.isdigit():
                return await _answer(send, 400, "invalid Content-Length", "content-length")
            if len(digits) > 18 or int(digits) > self._max_body_size:
                return await _answer(send, 413, "the body is too large", "body")
        try:
            body = await self._read_body(receive)
        except _BodyTooLarge:
            return await _answer(send, 413, "the body is too large", "body")
        if body is None:  # the sender went away
            return None
        try:
            events = parse_rcs_callbacks(
                body,
                max_body_size=self._max_body_size,
                max_depth=self._max_depth,
                timezone=self._timezone,
            )
        except WebhookPayloadError as exc:
            return await _answer(send, 400, str(exc), exc.field)
        if self._on_click is None:
            for index, event in enumerate(events):
                if isinstance(event, RcsClick):
                    field = "postback" if len(events) == 1 else f"[{index}].postback"
                    return await _answer(
                        send, 400, "RCS click callbacks are not accepted here", field
                    )
        handled = 0
        for event in events:
            try:
                ran = await self._dispatch(event)
            except Exception:  # the handler is the user's code: any failure means "send again"
                logger.error(
                    "RCS webhook handler failed for %s id=%s; answering 500 so BSG retries",
                    type(event).__name__,
                    event.id,
                    exc_info=True,
                )
                return await _answer(send, 500, "the callback handler failed")
            handled += ran
        logger.debug(
            "RCS webhook received %d callbacks (%d duplicates)", len(events), len(events) - handled
        )
        return await _answer(
            send, 200, body={"received": len(events), "duplicates": len(events) - handled}
        )

    async def _dispatch(self, event: RcsCallback) -> bool:
        if isinstance(event, RcsClick):
            assert self._on_click is not None  # checked before any handler runs
            return await self._run(event, self._on_click)
        return await self._run(event, self._handler)

    async def _run(self, event: _E, handler: Callable[[_E], Awaitable[object]]) -> bool:
        if self._dedupe is not None:
            return await self._dedupe.call_once(event, handler)
        await handler(event)
        return True

    async def _read_body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body_size:
                raise _BodyTooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def _secret_matches(self, scope: Scope) -> bool:
        assert self._secret is not None
        expected = self._secret.reveal().encode("utf-8", "surrogatepass")
        path = str(scope.get("path", ""))
        last = path.rstrip("/").rpartition("/")[2]
        matched = hmac.compare_digest(last.encode("utf-8", "surrogatepass"), expected)
        if self._secret_param is not None:
            query = bytes(scope.get("query_string", b"")).decode("latin-1")
            for name, value in parse_qsl(query, keep_blank_values=True):
                if name == self._secret_param:
                    given = value.encode("utf-8", "surrogatepass")
                    matched = hmac.compare_digest(given, expected) or matched
        return matched

    def _source_allowed(self, scope: Scope, headers: Mapping[bytes, bytes]) -> bool:
        assert self._allowed is not None
        source = self._source(scope, headers)
        return source is not None and _within(source, self._allowed)

    def _source(self, scope: Scope, headers: Mapping[bytes, bytes]) -> _Address | None:
        client = scope.get("client")
        peer = _address(client[0]) if client else None
        if peer is None or not _within(peer, self._proxies):
            return peer
        forwarded = headers.get(self._forwarded_header)
        if not forwarded:
            return peer
        source = peer
        hops = [hop.strip() for hop in forwarded.decode("latin-1").split(",")]
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                return None  # a hop we cannot read: the real source is unknown
            source = address
            if not _within(address, self._proxies):
                break
        return source


def _headers(scope: Scope) -> dict[bytes, bytes]:
    out: dict[bytes, bytes] = {}
    for name, value in scope.get("headers", ()):
        key = bytes(name).lower()
        out[key] = out[key] + b"," + bytes(value) if key in out else bytes(value)
    return out


def _is_json(content_type: bytes) -> bool:
    mime, _, params = content_type.decode("latin-1").partition(";")
    mime = mime.strip().lower()
    json_type = mime in ("application/json", "text/json") or (
        mime.startswith("application/") and mime.endswith("+json")
    )
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in (
            "utf-8",
            "utf8",
        ):
            return False
    return json_type


async def _answer(
    send: Send,
    status: int,
    error: str | None = None,
    field: str | None = None,
    *,
    body: Mapping[str, Any] | None = None,
    allow: bool = False,
) -> None:
    payload = body if body is not None else {"error": error, "field": field}
    content = dumps(payload)
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
    ]
    if allow:
        headers.append((b"allow", b"POST"))
    if status >= 400:
        logger.debug("RCS webhook answered %d: %s", status, error)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


def _networks(values: Iterable[str | _Network | _Address], field: str) -> tuple[_Network, ...]:
    if isinstance(values, str):
        values = [values]
    out: list[_Network] = []
    try:
        items = list(values)
    except TypeError:
        raise InvalidParameterError(field, values, "must be a list of IP networks") from None
    for value in items:
        try:
            out.append(ipaddress.ip_network(value, strict=False))
        except (TypeError, ValueError):
            raise InvalidParameterError(field, value, "is not an IP address or network") from None
    return tuple(out)


def _address(text: str) -> _Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1 : text.index("]")]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _within(address: _Address, networks: Sequence[_Network]) -> bool:
    return any(address in network for network in networks)
