"""RCS callbacks from the fake: status reports as statuses move, and button clicks.

Reports are collected when asked for (`FakeBSG.deliver_callbacks()`, `pending_callbacks`, and
after each request the ASGI app answers), from every status change reached on the fake's clock
since the last collection, oldest first. Each one goes to every target configured at that
moment: the in-process handler (called with the `RcsReport` that `parse_rcs_report` makes of the
body, exactly what `RcsWebhookApp` would hand to the same handler) and one URL (the message's
own `callback_url`, else the account's). A report without any target is dropped, as BSG drops
reports of an account without a callback URL.

A delivery fails when the handler raises, the URL answers anything but 2xx, or the POST fails;
it is tried again on the next delivery round, up to `attempts` times in all (BSG delivers again
too: receivers must be idempotent). URLs are POSTed with httpx, `Webhook.timeout` seconds each,
only to loopback addresses (127.0.0.0/8, ::1, `localhost`) unless the `Webhook` has a
`transport` (for example `httpx.ASGITransport(app=your_webhook_app)`) or `allow_remote=True`.
"""

from __future__ import annotations

import ipaddress
import json
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

import anyio
import attrs
import httpx

from ..models.rcs_report import RcsClick, RcsReport
from ..webhooks import parse_rcs_click, parse_rcs_report
from ._json import dumps

if TYPE_CHECKING:
    from ._config import Webhook

__all__ = ["CallbackDelivery", "Callbacks", "ClickHandler", "ReportHandler"]

ReportHandler = Callable[[RcsReport], Awaitable[object]]
"""An async callable taking an `RcsReport` (what `RcsWebhookApp` takes too)."""
ClickHandler = Callable[[RcsClick], Awaitable[object]]
"""An async callable taking an `RcsClick`."""

CallbackKind = Literal["status", "click"]
_HANDLER = "handler"
_HEADERS = {"content-type": "application/json", "user-agent": "FakeBSG"}


@attrs.frozen
class CallbackDelivery:
    """One attempt to deliver a callback, for assertions.

    `kind` is `"status"` (a status report, `status` the reported status) or `"click"`;
    `target` is `"handler"` or the URL POSTed to (left out of the repr: a webhook URL often
    carries a secret). `delivered` tells whether it succeeded; otherwise `http_status` (the
    URL's answer, `None` without one) and `error` say why. `attempt` counts from 1; `at` is the
    fake's clock. `body` is the JSON body sent (`json()` decodes it).
    """

    kind: CallbackKind
    message_id: int
    status: str | None
    target: str = attrs.field(repr=False)
    attempt: int
    delivered: bool
    http_status: int | None
    error: str | None
    at: float
    body: bytes = attrs.field(repr=False)

    def json(self) -> Any:
        """The body as JSON: the 7.1 report or the click callback."""
        return json.loads(self.body)


@attrs.define
class _Pending:
    kind: CallbackKind
    message_id: int
    status: str | None
    body: bytes
    target: str
    attempts: int = 0

    def delivery(
        self,
        at: float,
        *,
        delivered: bool = False,
        http_status: int | None = None,
        error: str | None = None,
    ) -> CallbackDelivery:
        """This callback's last attempt (or, before one, the next) as a `CallbackDelivery`."""
        return CallbackDelivery(
            self.kind,
            self.message_id,
            self.status,
            self.target,
            self.attempts,
            delivered,
            http_status,
            error,
            at,
            self.body,
        )


class _Borrowed(httpx.AsyncBaseTransport):
    """A caller's transport, used without closing it when our client closes."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self._transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._transport.handle_async_request(request)

    async def aclose(self) -> None:
        return None


class Callbacks:
    """The queue of callbacks still to deliver, where they go (`webhook`, which the fake may
    replace at any time), and what happened to them."""

    def __init__(self, webhook: Webhook, *, now: Callable[[], float], record_limit: int) -> None:
        self.webhook = webhook
        self.now = now
        self.pending: deque[_Pending] = deque()
        self.records: deque[CallbackDelivery] = deque(maxlen=record_limit)
        self._lock: anyio.Lock | None = None

    def queue(
        self,
        kind: CallbackKind,
        message_id: int,
        status: str | None,
        payload: dict[str, Any],
        message_url: str | None,
    ) -> None:
        """Queue one callback for every target configured now."""
        body = dumps(payload)
        webhook = self.webhook
        handler = webhook.handler if kind == "status" else webhook.click_handler
        targets: list[str] = []
        if handler is not None:
            targets.append(_HANDLER)
        url = message_url or webhook.url
        if url is not None:
            targets.append(url)
        for target in targets:
            self.pending.append(_Pending(kind, message_id, status, body, target))

    def clear(self) -> None:
        """Forget the queue and the records."""
        self.pending.clear()
        self.records.clear()

    async def deliver(self) -> tuple[CallbackDelivery, ...]:
        """Try every queued callback once, in order; failures stay queued while attempts
        remain. Returns this round's attempts."""
        if self._lock is None:
            self._lock = anyio.Lock()
        async with self._lock:
            batch = list(self.pending)
            self.pending.clear()
            if not batch:
                return ()
            done: list[CallbackDelivery] = []
            needs_http = any(item.target != _HANDLER for item in batch)
            transport = self.webhook.transport
            client = (
                httpx.AsyncClient(
                    transport=None if transport is None else _Borrowed(transport),
                    timeout=self.webhook.timeout,
                    trust_env=False,
                    follow_redirects=False,
                )
                if needs_http
                else None
            )
            try:
                for item in batch:
                    done.append(await self._attempt(item, client))
            finally:
                if client is not None:
                    with anyio.CancelScope(shield=True):
                        await client.aclose()
            return tuple(done)

    async def _attempt(self, item: _Pending, client: httpx.AsyncClient | None) -> CallbackDelivery:
        item.attempts += 1
        http_status: int | None = None
        error: str | None = None
        retry = True
        webhook = self.webhook
        try:
            if item.target == _HANDLER:
                await self._call_handler(item)
            elif (
                webhook.transport is None
                and not webhook.allow_remote
                and not _is_loopback(item.target)
            ):
                error = "not a loopback address: give the Webhook a transport or allow_remote=True"
                retry = False
            else:
                assert client is not None
                answer = await client.post(item.target, content=item.body, headers=_HEADERS)
                http_status = answer.status_code
                if not 200 <= http_status < 300:
                    error = f"HTTP {http_status}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # the user's handler: any failure means "deliver again"
            error = f"{type(exc).__name__}: {exc}"
        delivered = error is None
        if not delivered and retry and item.attempts < webhook.attempts:
            self.pending.append(item)
        record = item.delivery(
            self.now(), delivered=delivered, http_status=http_status, error=error
        )
        self.records.append(record)
        return record

    async def _call_handler(self, item: _Pending) -> None:
        webhook = self.webhook
        if item.kind == "status":
            if webhook.handler is not None:
                await webhook.handler(parse_rcs_report(item.body))
        elif webhook.click_handler is not None:
            await webhook.click_handler(parse_rcs_click(item.body))


def _is_loopback(url: str) -> bool:
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def summary(deliveries: Iterable[CallbackDelivery]) -> dict[str, int]:
    """`{"delivered": n, "failed": m}` for a round of deliveries."""
    counts = {"delivered": 0, "failed": 0}
    for delivery in deliveries:
        counts["delivered" if delivery.delivered else "failed"] += 1
    return counts
