"""Receive BSG's RCS callbacks: parse them, serve them over ASGI, and drop duplicate deliveries.

BSG POSTs one JSON status report per RCS message to the account's "Callback URL for RCS" (and,
for per-request `callback_url`s, button-click callbacks). Nothing here needs a client, an API key
or the network:

- `parse_rcs_report`, `parse_rcs_reports`, `parse_rcs_click` and `parse_rcs_callbacks` turn a
  body (`bytes`, `str` or an already decoded mapping) into frozen `RcsReport`/`RcsClick` values,
  or raise `WebhookPayloadError` naming the offending field. Nothing else escapes.
- `RcsWebhookApp` is a plain ASGI 3 application: mount it under Starlette or FastAPI, or run it
  under uvicorn as is. It answers 200 once your handler returned and 500 when it raised (so BSG
  delivers the report again).
- `RcsReport`, `RcsClick` and `RcsStatus` are re-exported here (and from `bsg_async`).
- Deliveries may repeat. `Deduplicator` with an `IdempotencyStore` (`MemoryIdempotencyStore`
  by default) runs a handler once per `(id, status)`.

The callback is not signed by BSG. `RcsWebhookApp` offers, off by default, a shared secret in
the URL (last path segment or a query parameter, compared in constant time, 404 when wrong) and
an allow-list of source networks (403 otherwise), honouring `X-Forwarded-For` only from proxies
you name.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import parse_qsl

import anyio

from . import _validation as rules
from ._converter import wire
from ._secret import Secret
from .errors import InvalidParameterError, UnexpectedResponseError, WebhookPayloadError
from .models.rcs_report import RcsClick, RcsReport, RcsStatus

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_DEPTH",
    "Deduplicator",
    "IdempotencyStore",
    "MemoryIdempotencyStore",
    "RcsCallback",
    "RcsClick",
    "RcsReport",
    "RcsStatus",
    "RcsWebhookApp",
    "idempotency_key",
    "parse_rcs_callbacks",
    "parse_rcs_click",
    "parse_rcs_report",
    "parse_rcs_reports",
    "rcs_click_payload",
    "rcs_report_payload",
]

logger = logging.getLogger("bsg_async.webhooks")

DEFAULT_MAX_BODY_SIZE = 64 * 1024
"""The largest webhook body accepted by default, in bytes (64 KiB)."""

DEFAULT_MAX_DEPTH = 32
"""The deepest JSON nesting accepted by default (a report is 1 deep, a list of reports 2)."""

_MAX_DEPTH_LIMIT = 200  # the decoding walk is recursive: stay far below the interpreter's limit
_MAX_EXPONENT = 1000  # a number like 1e999999999 is refused before anything touches it
_ID_LIMIT = 10**30  # message ids are non-negative, at most 30 digits
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_TOKENS = re.compile(r'\\.|["\[\]{}]', re.DOTALL)

RcsCallback = RcsReport | RcsClick
"""Either RCS callback: a status report or a button click."""

_E = TypeVar("_E", RcsReport, RcsClick)
_Body = bytes | bytearray | memoryview | str | Mapping[str, Any] | Sequence[Any]

# What each field must hold, for error messages a person can act on.
_EXPECTED = {
    "id": "an integer or a string of digits",
    "status": "a status string",
    "msisdn": "a string",
    "reference": "a string",
    "currency": "a string",
    "errorDescription": "a string",
    "text": "a string",
    "postback": "a string",
    "price": "a decimal number or a string holding one",
    "error": 'an integer error code (0 or "0" for none)',
    "time_in": "a 'yyyy-mm-dd hh:mm:ss' time, empty or null",
    "time_sent": "a 'yyyy-mm-dd hh:mm:ss' time, empty or null",
    "time_dr": "a 'yyyy-mm-dd hh:mm:ss' time, empty or null",
    "time_click": "a 'yyyy-mm-dd hh:mm:ss' time, empty or null",
}


# -- parsing --------------------------------------------------------------------------------------


def parse_rcs_report(
    body: _Body,
    *,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    timezone: tzinfo | None = None,
) -> RcsReport:
    """Decode one RCS status report from a webhook body.

    `body` is the raw request body (`bytes` or `str`, UTF-8 JSON) or an already decoded mapping
    (floats in it are read through their shortest text; pass the raw bytes to keep all of a
    JSON number's digits). `max_body_size` is in bytes, `max_depth` counts JSON nesting levels.
    Times are naive unless `timezone` is given, which is then attached to them.

    `status` is matched case-insensitively; a status outside the 11 documented ones is kept as
    the raw string (`report.status_known` is then `False`).

    Raises `WebhookPayloadError` (a `ValueError`) whose `field` names the problem: `"body"` for
    a body that is too large, too deep, not UTF-8, not JSON or not an object; the JSON key
    (`"id"`, `"status"`, `"price"`, ...) for a missing or ill-typed field. A bad
    `max_body_size` (1 byte or more) or `max_depth` (1 to 200) is an `InvalidParameterError`.

    >>> report = parse_rcs_report(b'{"id": "3266500452", "status": "DELIVERED",'
    ...                           b' "price": "1.1000000", "time_dr": "2024-08-22 11:47:53"}')
    >>> report.id, report.status, report.price
    (3266500452, <RcsStatus.DELIVERED: 'delivered'>, Decimal('1.1000000'))
    >>> report.time_dr
    datetime.datetime(2024, 8, 22, 11, 47, 53)
    """
    data = _decode(body, max_body_size=max_body_size, max_depth=max_depth)
    if not isinstance(data, dict):
        raise WebhookPayloadError(
            f"expected one RCS report as a JSON object, got {_json_kind(data)}"
            + (" (use parse_rcs_reports for a list)" if isinstance(data, list) else ""),
            field="body",
        )
    return _report(data, timezone, "")


def parse_rcs_reports(
    body: _Body,
    *,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    timezone: tzinfo | None = None,
) -> tuple[RcsReport, ...]:
    """Decode a webhook body holding one RCS report (an object) or several (a JSON list).

    Returns the reports in body order. Arguments and errors as in `parse_rcs_report`; a field
    inside a list is named with its index, such as `"[2].status"`.

    >>> reports = parse_rcs_reports('[{"id": 1, "status": "sent"}, {"id": 2, "status": "READ"}]')
    >>> [(r.id, r.status.value) for r in reports]
    [(1, 'sent'), (2, 'read')]
    """
    data = _decode(body, max_body_size=max_body_size, max_depth=max_depth)
    items = _objects(data, "RCS reports")
    return tuple(_report(item, timezone, prefix) for prefix, item in items)


def parse_rcs_click(
    body: _Body,
    *,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    timezone: tzinfo | None = None,
) -> RcsClick:
    """Decode one RCS button-click callback (`id, reference, msisdn, text, postback, time_click`).

    Arguments and errors as in `parse_rcs_report`; only `id` is required.

    >>> parse_rcs_click(b'{"id": "3266500452", "postback": "order_yes"}').postback
    'order_yes'
    """
    data = _decode(body, max_body_size=max_body_size, max_depth=max_depth)
    if not isinstance(data, dict):
        raise WebhookPayloadError(
            f"expected an RCS click as a JSON object, got {_json_kind(data)}", field="body"
        )
    return _structure(data, RcsClick, timezone, "")


def parse_rcs_callbacks(
    body: _Body,
    *,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    timezone: tzinfo | None = None,
) -> tuple[RcsCallback, ...]:
    """Decode any RCS callback body: a report, a click, or a JSON list mixing them.

    An object without `status` that carries `postback` or `time_click` is a click
    (`RcsClick`); every other object is a report (`RcsReport`). Arguments and errors as in
    `parse_rcs_reports`. This is what `RcsWebhookApp` uses.

    >>> parse_rcs_callbacks(b'{"id": 5, "postback": "yes"}')
    (RcsClick(id=5, reference=None, msisdn=None, text=None, postback='yes', time_click=None),)
    """
    data = _decode(body, max_body_size=max_body_size, max_depth=max_depth)
    out: list[RcsCallback] = []
    for prefix, item in _objects(data, "RCS callbacks"):
        if _is_click(item):
            out.append(_structure(item, RcsClick, timezone, prefix))
        else:
            out.append(_report(item, timezone, prefix))
    return tuple(out)


def rcs_report_payload(report: RcsReport) -> dict[str, Any]:
    """The JSON object BSG would POST for `report` (ids as strings, price with its digits).

    `parse_rcs_report(json.dumps(rcs_report_payload(r))) == r` for every report. Useful to
    test your own handler or to forward a report.

    >>> rcs_report_payload(parse_rcs_report('{"id": 7, "status": "READ"}'))["status"]
    'read'
    """
    return {
        "error": report.error,
        "errorDescription": report.error_description,
        "id": str(report.id),
        "msisdn": report.msisdn,
        "reference": report.reference,
        "time_in": _time_text(report.time_in),
        "time_sent": _time_text(report.time_sent),
        "time_dr": _time_text(report.time_dr),
        "status": str(report.status),
        "price": None if report.price is None else format(report.price, "f"),
        "currency": report.currency,
    }


def rcs_click_payload(click: RcsClick) -> dict[str, Any]:
    """The JSON object BSG would POST for `click`; the inverse of `parse_rcs_click`.

    >>> rcs_click_payload(parse_rcs_click('{"id": 7, "postback": "yes"}'))["postback"]
    'yes'
    """
    return {
        "id": str(click.id),
        "reference": click.reference,
        "msisdn": click.msisdn,
        "text": click.text,
        "postback": click.postback,
        "time_click": _time_text(click.time_click),
    }


def _report(data: dict[str, Any], zone: tzinfo | None, prefix: str) -> RcsReport:
    report = _structure(data, RcsReport, zone, prefix)
    if not isinstance(report.status, RcsStatus) and not report.status.strip():
        raise WebhookPayloadError(
            f"invalid RCS report: field {prefix + 'status'!r} is empty", field=prefix + "status"
        )
    return report


def _structure(data: dict[str, Any], cls: type[_E], zone: tzinfo | None, prefix: str) -> _E:
    try:
        event = wire(zone).structure(data, cls)
    except UnexpectedResponseError as exc:
        raise _payload_error(exc, cls, prefix) from exc
    if not 0 <= event.id < _ID_LIMIT:  # the converter reads at most 30 digits from a string
        what = "RCS report" if cls is RcsReport else "RCS click"
        raise WebhookPayloadError(
            f"invalid {what}: field {prefix + 'id'!r} must be a message id from 0 to 30 digits",
            field=prefix + "id",
        )
    return event


def _payload_error(exc: UnexpectedResponseError, cls: type[Any], prefix: str) -> Exception:
    what = "RCS report" if cls is RcsReport else "RCS click"
    path = exc.field or "$"
    key = path[2:] if path.startswith("$.") else ""
    if not key:  # pragma: no cover - the object itself: `data` is always a dict here
        return WebhookPayloadError(f"invalid {what}: expected a JSON object", field="body")
    field = prefix + key
    if "required field missing" in exc.message:
        return WebhookPayloadError(f"invalid {what}: field {field!r} is missing", field=field)
    expected = _EXPECTED.get(key, "a value of another type")
    return WebhookPayloadError(f"invalid {what}: field {field!r} must be {expected}", field=field)


def _objects(data: Any, what: str) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(data, dict):
        return [("", data)]
    if isinstance(data, list):
        for index, item in enumerate(data):
            if not isinstance(item, dict):
                raise WebhookPayloadError(
                    f"expected {what} as JSON objects, item {index} is {_json_kind(item)}",
                    field=f"[{index}]",
                )
        return [(f"[{index}].", item) for index, item in enumerate(data)]
    raise WebhookPayloadError(
        f"expected {what} as a JSON object or a list of objects, got {_json_kind(data)}",
        field="body",
    )


def _is_click(item: Mapping[str, Any]) -> bool:
    return "status" not in item and ("postback" in item or "time_click" in item)


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, Decimal)):
        return "a number"
    return "null"


def _time_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None and moment.microsecond == 0:
        return moment.strftime(_TIME_FORMAT) if moment.year >= 1000 else moment.isoformat(" ")
    return moment.isoformat(" ")


# -- decoding: size, encoding, JSON, depth --------------------------------------------------------


def _decode(body: Any, *, max_body_size: int, max_depth: int) -> Any:
    """`body` as plain JSON values (dict, list, str, int, Decimal, bool, None), or an error."""
    _check_limits(max_body_size, max_depth)
    if isinstance(body, (bytes, bytearray, memoryview)):
        size = body.nbytes if isinstance(body, memoryview) else len(body)
        _check_size(size, max_body_size)
        raw = bytes(body)
    elif isinstance(body, str):
        _check_size(len(body), max_body_size)  # a character is at least one byte
        try:
            raw = body.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise WebhookPayloadError(
                f"body is not valid UTF-8 text (lone surrogate at index {exc.start})", field="body"
            ) from None
        _check_size(len(raw), max_body_size)
    elif isinstance(body, (Mapping, list, tuple)):
        return _plain(body, max_depth)
    else:
        raise WebhookPayloadError(
            f"expected the body as bytes, str or a mapping, got {type(body).__name__}",
            field="body",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise WebhookPayloadError(
            f"body is not UTF-8 (invalid byte at offset {exc.start})", field="body"
        ) from None
    _check_depth(text, max_depth)
    try:
        return json.loads(text, parse_float=_json_decimal, parse_constant=_json_constant)
    except (ValueError, RecursionError) as exc:
        reason = exc.args[0] if isinstance(exc, ValueError) and exc.args else "too deeply nested"
        raise WebhookPayloadError(f"body is not JSON: {reason}", field="body") from None


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise WebhookPayloadError(f"body is larger than the limit of {limit} bytes", field="body")


def _check_depth(text: str, limit: int) -> None:
    """Refuse nesting deeper than `limit` before the JSON parser recurses into it (linear)."""
    depth = 0
    in_string = False
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token == '"':
            in_string = not in_string
        elif in_string or token[0] == "\\":
            continue
        elif token in "[{":
            depth += 1
            if depth > limit:
                raise WebhookPayloadError(
                    f"body is nested deeper than {limit} levels", field="body"
                )
        else:
            depth -= 1


def _json_decimal(text: str) -> Decimal:
    value = Decimal(text)
    if abs(value.adjusted()) > _MAX_EXPONENT:
        raise ValueError(f"number out of range (exponent beyond {_MAX_EXPONENT})")
    return value


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _plain(value: Any, max_depth: int) -> Any:
    """An already decoded body as plain JSON values; floats go through their shortest text."""
    try:
        return _plain_value(value, max_depth, 0, "")
    except WebhookPayloadError:
        raise
    except Exception as exc:  # a caller's mapping may fail to iterate in any way
        raise WebhookPayloadError(
            f"the body mapping could not be read ({type(exc).__name__})", field="body"
        ) from exc


def _plain_value(value: Any, max_depth: int, depth: int, path: str) -> Any:
    field = path.lstrip(".") or "body"
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        value = Decimal(repr(value))  # inf and nan give non-finite Decimals: refused below
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value.adjusted()) > _MAX_EXPONENT:
            raise WebhookPayloadError(f"field {field!r} is not a finite number", field=field)
        return value
    if isinstance(value, (Mapping, list, tuple)):
        if depth >= max_depth:
            raise WebhookPayloadError(
                f"body is nested deeper than {max_depth} levels", field="body"
            )
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise WebhookPayloadError(
                        f"body has a key that is not a string in {field!r}", field=field
                    )
                out[key] = _plain_value(item, max_depth, depth + 1, f"{path}.{key}")
            return out
        return [
            _plain_value(item, max_depth, depth + 1, f"{path}[{index}]")
            for index, item in enumerate(value)
        ]
    raise WebhookPayloadError(
        f"field {field!r} holds a {type(value).__name__}, which is not a JSON value", field=field
    )


def _check_limits(max_body_size: int, max_depth: int) -> None:
    rules.integer(max_body_size, "max_body_size", (1, 2**40), "bytes")
    rules.integer(max_depth, "max_depth", (1, _MAX_DEPTH_LIMIT), "levels")


# -- idempotency ----------------------------------------------------------------------------------


def idempotency_key(event: RcsCallback) -> str:
    """The key that identifies one delivery's content: `(id, status)` for a report.

    A report's status is normalised (a known status by its value, an unknown one lower-cased
    and stripped), so `"DELIVERED"` and `"delivered"` are the same event. A click is keyed on
    its id, time and postback.

    >>> idempotency_key(parse_rcs_report('{"id": "42", "status": "DELIVERED"}'))
    'rcs:42:delivered'
    """
    if isinstance(event, RcsReport):
        status = event.status.value if isinstance(event.status, RcsStatus) else event.status
        return f"rcs:{event.id}:{status.strip().lower()}"
    moment = None if event.time_click is None else event.time_click.isoformat()
    return "rcs-click:" + json.dumps([event.id, moment, event.postback], ensure_ascii=False)


@runtime_checkable
class IdempotencyStore(Protocol):
    """Where `Deduplicator` remembers the deliveries it has handled. Plug in Redis, a database...

    `add` records a key and answers `True` only the first time it sees it; it must be atomic
    (two concurrent `add`s of one key: exactly one `True`). `discard` forgets a key again: it is
    called when the handler failed, so the redelivery is handled.
    """

    async def add(self, key: str) -> bool:
        """Record `key`; `True` if it was not recorded before."""
        ...

    async def discard(self, key: str) -> None:
        """Forget `key` (no error if it is not recorded)."""
        ...


class MemoryIdempotencyStore:
    """An in-process `IdempotencyStore` remembering at most `max_keys` keys (least recent dropped).

    Good for one process; several workers or hosts need a shared store. A key dropped from the
    bound is treated as new again. Safe to share between tasks and threads.

    >>> import anyio
    >>> store = MemoryIdempotencyStore(max_keys=2)
    >>> anyio.run(store.add, "a"), anyio.run(store.add, "a")
    (True, False)

    Raises `InvalidParameterError` if `max_keys` is not a positive integer.
    """

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self._max_keys = rules.integer(max_keys, "max_keys", (1, 2**40), "keys")
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def max_keys(self) -> int:
        """The most keys this store holds at once."""
        return self._max_keys

    async def add(self, key: str) -> bool:
        """Record `key` as most recent; `True` if it was not held."""
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return False
            self._keys[key] = None
            if len(self._keys) > self._max_keys:
                self._keys.popitem(last=False)
            return True

    async def discard(self, key: str) -> None:
        """Forget `key`."""
        with self._lock:
            self._keys.pop(key, None)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._keys

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)

    def __repr__(self) -> str:
        return f"MemoryIdempotencyStore(max_keys={self._max_keys}, held={len(self)})"


class Deduplicator:
    """Runs a handler once per delivery content (`idempotency_key`), however often BSG sends it.

    The key is claimed before the handler runs (a concurrent duplicate is skipped) and released
    if the handler raises or is cancelled, so the redelivery BSG makes then is handled.

    >>> import anyio
    >>> seen = []
    >>> async def handle(report):
    ...     seen.append(report.id)
    >>> dedupe = Deduplicator()
    >>> report = parse_rcs_report('{"id": 1, "status": "sent"}')
    >>> async def main():
    ...     return [await dedupe.call_once(report, handle) for _ in range(3)]
    >>> anyio.run(main), seen
    ([True, False, False], [1])
    """

    def __init__(self, store: IdempotencyStore | None = None) -> None:
        if store is not None and not isinstance(store, IdempotencyStore):
            raise InvalidParameterError(
                "store", store, "needs async add(key) -> bool and discard(key) methods"
            )
        self.store: IdempotencyStore = store if store is not None else MemoryIdempotencyStore()

    async def call_once(self, event: _E, handler: Callable[[_E], Awaitable[object]]) -> bool:
        """Await `handler(event)` unless this event was handled before; `True` if it ran.

        Whatever `handler` raises propagates (after the key is released).
        """
        key = idempotency_key(event)
        if not await self.store.add(key):
            return False
        try:
            await handler(event)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.store.discard(key)
            raise
        return True


# -- the ASGI receiver ----------------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ReportHandler = Callable[[RcsReport], Awaitable[object]]
ClickHandler = Callable[[RcsClick], Awaitable[object]]
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


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
        _check_limits(max_body_size, max_depth)
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
            await self._lifespan(receive, send)
        elif kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:  # as the ASGI specification asks of an application
            raise RuntimeError(f"RcsWebhookApp does not handle ASGI scope type {kind!r}")

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

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
    content = json.dumps(payload, ensure_ascii=False).encode()
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
