"""`fake.app`: the fake as an ASGI 3 application (uvicorn, `httpx.ASGITransport`).

A request is processed once its body has arrived; the answer starts `latency` seconds after that.

Over a real connection a fault must look like one, so a fault without an answer (`connect_error`,
`reset_before`, `reset_after`, `lost_answer`) starts a response with a `Content-Length` and
returns without sending the body: the server then closes the connection and the client sees a
protocol error (httpx: `RemoteProtocolError`, "peer closed connection without sending complete
message body"). `reset_after` and `lost_answer` were processed first, the others were not; an
HTTP server cannot refuse a connection it already accepted, so `connect_error` looks like a reset
here. uvicorn logs one line per cut answer ("ASGI callable returned without completing response");
`fake.serve()` and `python -m bsg_async.testing` filter it out.

After answering a request (and only then, so the answer is not delayed over HTTP), the app
delivers the RCS callbacks due (`fake.deliver_callbacks()`) when there may be any: a served fake
with a real clock sends status reports as its statuses move, as long as requests come in.

Control endpoints under `/_fake/` (no key, never faulted, never recorded) let another process
drive and inspect a served fake:

- `GET /_fake/state`: counts (messages per channel, campaigns, requests, faults, error codes,
  logins, balance, callbacks);
- `GET /_fake/accepted`: `{"sms": {reference: [id, acceptances]}, "viber": {...}, "rcs": {...}}`;
- `GET /_fake/acceptances?reference=R[&channel=sms|viber|rcs]`: `{"reference": R,
  "acceptances": n}`;
- `GET /_fake/otp-code?id=<session id>` (or `?to=<phone>`: its newest session): `{"id" (or
  "to"), "code"}`, the 2FA code now valid (`fake.otp.code`, `fake.otp.last_code`);
- `GET /_fake/callbacks`: the recorded callback deliveries (kind, message id, status, attempt,
  outcome, body; not the URL);
- `POST /_fake/advance` `{"seconds": s}`: moves the clock, delivers the callbacks then due,
  answers `{"now": t}`;
- `POST /_fake/deliver-callbacks`: delivers the callbacks due, answers `{"now": t,
  "callbacks": {"delivered": n, "failed": m}, "pending_callbacks": p}`;
- `POST /_fake/callback-url` `{"url": "http://127.0.0.1:8000/bsg/rcs"}` (or `null`): sets the
  account's RCS callback URL;
- `POST /_fake/click` `{"id": message_id}` or `{"reference_id": R}`, optional `"postback"`:
  queues a click callback (`fake.click`);
- `POST /_fake/campaign-status` `{"id": campaign_id, "status": "paused"}` (or `null`): see
  `fake.rcs.set_campaign_status`;
- `POST /_fake/faults` with any of `rates`, `latency_ms`, `latency_jitter_ms`, `retry_after`,
  `methods`, `paths`: changes those settings; `"clear": true` first removes every fault
  setting (`fake.faults.clear()`: no rates, scripts, latency or scope);
- `POST /_fake/script` `{"kinds": [...], "methods": ..., "paths": ...}`: queues scripted faults;
- `POST /_fake/reset`: forgets the state and keeps the configuration (`fake.reset()`): the
  messages, campaigns, callbacks, requests, counts, tokens and unused fault scripts go; the
  options, the clock and the fault settings (rates, latency, scope) stay.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import anyio

from .._asgi import Message, Receive, Send, serve_lifespan
from ..errors import InvalidParameterError
from ._callbacks import summary
from ._faults import FaultKind, Scope
from ._json import dumps

if TYPE_CHECKING:
    from ._fake import FakeBSG

__all__ = ["FakeApp"]


CUT_ANSWER_LOG = "ASGI callable returned without completing response."
_CONTROL = "/_fake/"
_JSON = (b"content-type", b"application/json")


async def sleep(seconds: float) -> None:
    """The latency wait; module-level so tests can observe it without waiting."""
    await anyio.sleep(seconds)


class FakeApp:
    """An ASGI 3 app serving a `FakeBSG`; `control=False` hides the `/_fake/` endpoints."""

    def __init__(self, fake: FakeBSG, *, control: bool = True) -> None:
        self.fake = fake
        self.control = control

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await serve_lifespan(receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1000})

    async def _http(self, scope: Message, receive: Receive, send: Send) -> None:
        fake = self.fake
        method: str = scope["method"]
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1").partition("?")[0] if raw_path else scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        body = await _read_body(receive)
        if self.control and path.startswith(_CONTROL):
            status, payload = await self._control(method, path[len(_CONTROL) :], query, body)
            await _answer(send, status, [_JSON], payload)
            return
        headers = {
            name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]
        }
        arrived = anyio.current_time()
        fault, latency = fake.plan(method, path)
        exchange = fake.execute(method, path, query, headers, body, fault, latency)
        if latency and fault is not FaultKind.CONNECT_ERROR:
            remaining = latency - (anyio.current_time() - arrived)
            if remaining > 0:
                await sleep(remaining)
        if not exchange.delivered:
            # Headers promising a body that never comes, then the server closes the connection.
            length = str(max(len(exchange.body), 64)).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": exchange.status or 200,
                    "headers": [_JSON, (b"content-length", length)],
                }
            )
        else:
            headers_out = [(name.encode(), value.encode()) for name, value in exchange.headers]
            await _answer(send, exchange.status, headers_out, exchange.body)
        if fake.has_callback_work:
            await fake.deliver_callbacks()

    # -- control -------------------------------------------------------------------------------

    def _click(self, payload: dict[str, Any]) -> dict[str, Any]:
        key = _message_key(payload)
        postback = payload.get("postback")
        if postback is not None and not isinstance(postback, str):
            raise InvalidParameterError("postback", postback, "expected a string")
        try:
            self.fake.click(key, postback=postback)
        except KeyError:
            raise InvalidParameterError("id", key, "no such RCS message") from None
        return {"pending_callbacks": len(self.fake.pending_callbacks)}

    def _otp_code(self, query: dict[str, list[str]]) -> dict[str, Any]:
        otp = self.fake.otp
        session_id = query.get("id", [""])[0]
        try:
            if session_id:
                return {"id": session_id, "code": otp.code(session_id)}
            to = query.get("to", [""])[0]
            return {"to": to, "code": otp.last_code(to)}
        except KeyError:
            raise InvalidParameterError("id", session_id, "no such 2FA session") from None

    async def _control(self, method: str, name: str, query: str, body: bytes) -> tuple[int, bytes]:
        try:
            payload = json.loads(body) if body else {}
            if not isinstance(payload, dict):
                raise InvalidParameterError("body", payload, "expected a JSON object")
            result = self._control_action(method, name, parse_qs(query), payload)
            if method == "POST" and name in ("advance", "deliver-callbacks"):
                delivered = summary(await self.fake.deliver_callbacks())
                if result is not None and name == "deliver-callbacks":
                    result["callbacks"] = delivered
                    result["pending_callbacks"] = len(self.fake.pending_callbacks)
        except InvalidParameterError as error:
            return 400, dumps({"message": str(error)})
        except ValueError as error:
            return 400, dumps({"message": f"invalid JSON: {error}"})
        if result is None:
            return 404, dumps({"message": "Not Found"})
        return 200, dumps(result)

    def _control_action(
        self, method: str, name: str, query: dict[str, list[str]], payload: dict[str, Any]
    ) -> dict[str, Any] | None:
        fake = self.fake
        if method == "GET" and name == "state":
            return {
                "seed": fake.seed,
                "now": fake.now(),
                "sms": len(fake.sms),
                "viber": len(fake.viber),
                "requests": len(fake.requests),
                "faults": {kind.value: n for kind, n in fake.faults.injected.items()},
                "pending_faults": fake.faults.pending,
                "codes": {str(code): n for code, n in fake.codes.items()},
                "duplicates": [[c, r, n] for (c, r), n in fake.duplicates.items()],
                "logins": fake.logins,
                "refreshes": fake.refreshes,
                "rcs": len(fake.rcs),
                "campaigns": len(fake.rcs.campaigns),
                "balance": fake.balance,
                "callbacks": summary(fake.callbacks),
            }
        if method == "GET" and name == "accepted":
            return {
                view.channel: {
                    reference: [str(message.id), view.acceptances(reference)]
                    for reference, message in view.by_reference.items()
                }
                for view in (fake.sms, fake.viber)
            } | {
                "rcs": {
                    reference: [str(message.id), fake.rcs.acceptances(reference)]
                    for message in fake.rcs.messages
                    if (reference := message.reference) is not None
                }
            }
        if method == "GET" and name == "acceptances":
            reference = query.get("reference", [""])[0]
            channel = query.get("channel", [""])[0]
            if channel == "sms":
                count = fake.acceptances(reference, "sms")
            elif channel == "viber":
                count = fake.acceptances(reference, "viber")
            elif channel == "rcs":
                count = fake.acceptances(reference, "rcs")
            elif not channel:
                count = fake.acceptances(reference)
            else:
                raise InvalidParameterError("channel", channel, "expected 'sms', 'viber' or 'rcs'")
            return {"reference": reference, "acceptances": count}
        if method == "GET" and name == "callbacks":
            return {
                "callbacks": [
                    {
                        "kind": record.kind,
                        "message_id": record.message_id,
                        "status": record.status,
                        "attempt": record.attempt,
                        "delivered": record.delivered,
                        "http_status": record.http_status,
                        "error": record.error,
                        "at": record.at,
                        "body": record.json(),
                    }
                    for record in fake.callbacks
                ]
            }
        if method == "GET" and name == "otp-code":
            return self._otp_code(query)
        if method != "POST":
            return None
        if name == "advance":
            seconds = payload.get("seconds")
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
                raise InvalidParameterError("seconds", seconds, "expected a number of seconds")
            fake.advance(seconds)
            return {"now": fake.now()}
        if name == "deliver-callbacks":
            return {"now": fake.now()}
        if name == "callback-url":
            fake.callback_url = payload.get("url")
            return {"url": fake.callback_url}
        if name == "click":
            return self._click(payload)
        if name == "campaign-status":
            campaign = fake.rcs.campaign(_message_id(payload.get("id")))
            if campaign is None:
                raise InvalidParameterError("id", payload.get("id"), "no such RCS campaign")
            status = payload.get("status")
            if status is not None and not isinstance(status, str):
                raise InvalidParameterError("status", status, "expected a campaign status")
            fake.rcs.set_campaign_status(campaign, status)
            return {"id": campaign.id, "status": fake.rcs.campaign_status(campaign)}
        if name == "faults":
            faults = fake.faults
            clear = payload.get("clear", False)
            if not isinstance(clear, bool):
                raise InvalidParameterError("clear", clear, "expected true or false")
            if clear:
                faults.clear()
            if "rates" in payload:
                faults.rates = payload["rates"]
            if "latency_ms" in payload:
                faults.latency = _seconds_from_ms(payload["latency_ms"], "latency_ms")
            if "latency_jitter_ms" in payload:
                jitter = payload["latency_jitter_ms"]
                faults.latency_jitter = _seconds_from_ms(jitter, "latency_jitter_ms")
            if "retry_after" in payload:
                faults.retry_after = payload["retry_after"]
            if "methods" in payload or "paths" in payload:
                faults.scope = Scope.of(payload.get("methods"), payload.get("paths"))
            return {"faults": repr(faults)}
        if name == "script":
            kinds = payload.get("kinds")
            if not isinstance(kinds, list):
                raise InvalidParameterError("kinds", kinds, "expected a list")
            fake.faults.script(kinds, methods=payload.get("methods"), paths=payload.get("paths"))
            return {"pending": fake.faults.pending}
        if name == "reset":
            fake.reset()
            return {}
        return None


def _message_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterError("id", value, "expected an id")
    return value


def _message_key(payload: dict[str, Any]) -> int | str:
    if "id" in payload:
        return _message_id(payload["id"])
    reference_id = payload.get("reference_id")
    if not isinstance(reference_id, str):
        raise InvalidParameterError("reference_id", reference_id, "expected 'id' or 'reference_id'")
    return reference_id


def _seconds_from_ms(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidParameterError(field, value, "expected milliseconds")
    return float(value) / 1000


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break  # http.disconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [*headers, (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
