"""JSON for the fake's answers: a `Decimal` becomes a JSON number written from its own text.

The real service writes prices both as strings (`"0.02"`) and as numbers (`0.23`), and the fake
must produce both exactly, never through `float`. The standard (C) encoder cannot write a
`Decimal` as a number, so each `Decimal` is first written as a marked string and the marks are
then removed: `"<mark>0.23"` becomes `0.23`. The mark starts with a NUL character
and a random token fixed per process, so no string from a request can imitate it.
"""

from __future__ import annotations

import json
import secrets
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "loads_or_none"]

_TOKEN = secrets.token_hex(8)
_MARK = "\x00" + _TOKEN  # how a Decimal starts its marked string
_OPEN = '"\\u0000' + _TOKEN  # ... and how that looks once encoded


def _number(value: Any) -> str:
    if type(value) is Decimal and value.is_finite():
        return _MARK + str(value)
    raise TypeError(f"cannot write {type(value).__name__} {value!r} as JSON")


_ENCODE = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=True, allow_nan=False, default=_number
).encode


def dumps(value: Any) -> bytes:
    """`value` as compact ASCII JSON bytes; a finite `Decimal` is written as a number.

    Raises `TypeError` for a value JSON cannot hold.
    """
    text = _ENCODE(value)
    if _OPEN in text:
        # Every piece after the first starts with a number and the quote that closed its string.
        first, *rest = text.split(_OPEN)
        text = first + "".join([piece.replace('"', "", 1) for piece in rest])
    return text.encode("ascii")


def loads_or_none(body: bytes) -> Any:
    """`body` decoded as JSON, or `None` when it is not JSON (the endpoint's validation then
    answers as the service does to a missing body)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None
