"""Webhook bodies to plain JSON values, within limits: size, UTF-8, nesting depth, JSON.

A webhook body comes from the internet, so it is checked before anything parses it: at most
`max_body_size` bytes, UTF-8, at most `max_depth` levels deep (counted by a linear scan before
the recursive JSON parser runs). The JSON is then parsed by the SDK's one decoder,
`bsg_async._json.loads`, which the API's answers go through too: the same numbers are exact
`Decimal`s, and the same ones (beyond 1E±9999, `NaN`, `Infinity`) are out of range, refused by
the field that reads them. A body handed over already decoded (a mapping or a list) is walked
the same way; its numbers meet the same field readers, so the same limits hold. Every failure is
a `WebhookPayloadError`; nothing else escapes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from .. import _validation as rules
from .._json import loads
from ..errors import WebhookPayloadError

__all__ = ["DEFAULT_MAX_BODY_SIZE", "DEFAULT_MAX_DEPTH", "Body", "check_limits", "decode"]

DEFAULT_MAX_BODY_SIZE = 64 * 1024
"""The largest webhook body accepted by default, in bytes (64 KiB)."""

DEFAULT_MAX_DEPTH = 32
"""The deepest JSON nesting accepted by default (a report is 1 deep, a list of reports 2)."""

_MAX_DEPTH_LIMIT = 200  # the decoding walk is recursive: stay far below the interpreter's limit
_TOKENS = re.compile(r'\\.|["\[\]{}]', re.DOTALL)

Body = bytes | bytearray | memoryview | str | Mapping[str, Any] | Sequence[Any]
"""What the parsers accept as a body: raw bytes or text, or an already decoded value."""


def decode(body: Any, *, max_body_size: int, max_depth: int) -> Any:
    """`body` as plain JSON values (dict, list, str, int, Decimal, bool, None), or an error."""
    check_limits(max_body_size, max_depth)
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
        return loads(text)
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
    if isinstance(value, float):  # through its shortest text, as JSON would have written it
        return Decimal(repr(value))
    if isinstance(value, Decimal):  # any, NaN too: the field's reader holds it to the limits
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


def check_limits(max_body_size: int, max_depth: int) -> None:
    """Raise `InvalidParameterError` unless `max_body_size` (bytes) is 1 or more and
    `max_depth` (levels) from 1 to 200."""
    rules.integer(max_body_size, "max_body_size", (1, 2**40), "bytes")
    rules.integer(max_depth, "max_depth", (1, _MAX_DEPTH_LIMIT), "levels")
