"""RCS callbacks from webhook bodies to frozen values, and back to the JSON BSG would POST.

`parse_rcs_report`, `parse_rcs_reports`, `parse_rcs_click` and `parse_rcs_callbacks` take a body
through `_body.decode` (the limits) and the SDK's converter (the wire quirks), and turn any
failure into a `WebhookPayloadError` naming the JSON key. `rcs_report_payload` and
`rcs_click_payload` are their inverses.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any, TypeVar

from .._converter import wire
from .._json import EXPONENT_LIMIT, INTEGER_DIGITS
from ..errors import UnexpectedResponseError, WebhookPayloadError
from ..models.rcs_report import RcsClick, RcsReport, RcsStatus
from ._body import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_DEPTH, Body, decode

__all__ = [
    "RcsCallback",
    "parse_rcs_callbacks",
    "parse_rcs_click",
    "parse_rcs_report",
    "parse_rcs_reports",
    "rcs_click_payload",
    "rcs_report_payload",
]

_ID_LIMIT = 10**INTEGER_DIGITS  # message ids are non-negative, at most 30 digits
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

RcsCallback = RcsReport | RcsClick
"""Either RCS callback: a status report or a button click."""

_E = TypeVar("_E", RcsReport, RcsClick)

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
    "price": (
        f"a decimal number (exponent from -{EXPONENT_LIMIT} to {EXPONENT_LIMIT})"
        " or a string holding one"
    ),
    "error": 'an integer error code (0 or "0" for none)',
    "time_in": "a 'yyyy-mm-dd hh:mm:ss' time, empty or null",
    "time_sent": "a 'yyyy-mm-dd hh:mm:ss' time, empty or null",
    "time_dr": "a 'yyyy-mm-dd hh:mm:ss' time, empty or null",
    "time_click": "a 'yyyy-mm-dd hh:mm:ss' time, empty or null",
}


def parse_rcs_report(
    body: Body,
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
    an `UnknownStatus`, the raw text (`report.status_known` is then `False`).

    Raises `WebhookPayloadError` (a `ValueError`) whose `field` names the problem: `"body"` for
    a body that is too large, too deep, not UTF-8, not JSON or not an object; the JSON key
    (`"id"`, `"status"`, `"price"`, ...) for a missing or ill-typed field, a number beyond the
    SDK's limits (an exponent past ±9999, `NaN`, `Infinity`) included. A bad
    `max_body_size` (1 byte or more) or `max_depth` (1 to 200) is an `InvalidParameterError`.

    ```pycon
    >>> report = parse_rcs_report(b'{"id": "3266500452", "status": "DELIVERED",'
    ...                           b' "price": "1.1000000", "time_dr": "2024-08-22 11:47:53"}')
    >>> report.id, report.status, report.price
    (3266500452, <RcsStatus.DELIVERED: 'delivered'>, Decimal('1.1000000'))
    >>> report.time_dr
    datetime.datetime(2024, 8, 22, 11, 47, 53)

    ```
    """
    data = decode(body, max_body_size=max_body_size, max_depth=max_depth)
    if not isinstance(data, dict):
        raise WebhookPayloadError(
            f"expected one RCS report as a JSON object, got {_json_kind(data)}"
            + (" (use parse_rcs_reports for a list)" if isinstance(data, list) else ""),
            field="body",
        )
    return _report(data, timezone, "")


def parse_rcs_reports(
    body: Body,
    *,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    timezone: tzinfo | None = None,
) -> tuple[RcsReport, ...]:
    """Decode a webhook body holding one RCS report (an object) or several (a JSON list).

    Returns the reports in body order. Arguments and errors as in `parse_rcs_report`; a field
    inside a list is named with its index, such as `"[2].status"`.

    ```pycon
    >>> reports = parse_rcs_reports('[{"id": 1, "status": "sent"}, {"id": 2, "status": "READ"}]')
    >>> [(r.id, r.status.value) for r in reports]
    [(1, 'sent'), (2, 'read')]

    ```
    """
    data = decode(body, max_body_size=max_body_size, max_depth=max_depth)
    items = _objects(data, "RCS reports")
    return tuple(_report(item, timezone, prefix) for prefix, item in items)


def parse_rcs_click(
    body: Body,
    *,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    timezone: tzinfo | None = None,
) -> RcsClick:
    """Decode one RCS button-click callback (`id, reference, msisdn, text, postback, time_click`).

    Arguments and errors as in `parse_rcs_report`; only `id` is required.

    ```pycon
    >>> parse_rcs_click(b'{"id": "3266500452", "postback": "order_yes"}').postback
    'order_yes'

    ```
    """
    data = decode(body, max_body_size=max_body_size, max_depth=max_depth)
    if not isinstance(data, dict):
        raise WebhookPayloadError(
            f"expected an RCS click as a JSON object, got {_json_kind(data)}", field="body"
        )
    return _structure(data, RcsClick, timezone, "")


def parse_rcs_callbacks(
    body: Body,
    *,
    max_body_size: int = DEFAULT_MAX_BODY_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    timezone: tzinfo | None = None,
) -> tuple[RcsCallback, ...]:
    """Decode any RCS callback body: a report, a click, or a JSON list mixing them.

    An object without `status` that carries `postback` or `time_click` is a click
    (`RcsClick`); every other object is a report (`RcsReport`). Arguments and errors as in
    `parse_rcs_reports`. This is what `RcsWebhookApp` uses.

    ```pycon
    >>> parse_rcs_callbacks(b'{"id": 5, "postback": "yes"}')
    (RcsClick(id=5, reference=None, to=None, text=None, postback='yes', time_click=None),)

    ```
    """
    data = decode(body, max_body_size=max_body_size, max_depth=max_depth)
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

    ```pycon
    >>> rcs_report_payload(parse_rcs_report('{"id": 7, "status": "READ"}'))["status"]
    'read'

    ```
    """
    return {
        "error": report.error,
        "errorDescription": report.error_description,
        "id": str(report.id),
        "msisdn": report.to,
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

    ```pycon
    >>> rcs_click_payload(parse_rcs_click('{"id": 7, "postback": "yes"}'))["postback"]
    'yes'

    ```
    """
    return {
        "id": str(click.id),
        "reference": click.reference,
        "msisdn": click.to,
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
