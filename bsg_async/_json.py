"""JSON in and out for the whole SDK: every fraction an exact `Decimal`, one set of number limits.

In: `loads` parses an answer of the service or a webhook body. A number with a fraction or an
exponent becomes the `Decimal` of its text (never a `float`, so money keeps its digits), parsed
once per distinct text (`Remembered`): an answer repeats the same few prices thousands of
times. Integers stay `int`.

The limits, the same for answers and webhooks:

- an amount's adjusted exponent lies within ±`EXPONENT_LIMIT` (9,999): nothing real comes
  near, and past 1E+999999 the default decimal context overflows, so summing such prices
  would raise in the caller's code;
- an integer read from a field has at most `INTEGER_DIGITS` (30) digits (the converter and the
  webhook ids apply it).

A number outside the range, an integer too long for Python to read (4,300 digits), and the
non-standard constants `NaN`, `Infinity` and `-Infinity`, decode to `OUT_OF_RANGE` (a quiet
`Decimal` NaN) instead of failing the whole document: every reader of a field refuses a value
that is not finite, so the error names the field (the converter's `UnexpectedResponseError` at
`$.price`, the webhooks' `WebhookPayloadError` with `field="price"`), and a field nobody reads
costs nothing.

Out: `dumps` writes compact UTF-8 request bodies, through orjson when it is installed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = [
    "EXPONENT_LIMIT",
    "INTEGER_DIGITS",
    "OUT_OF_RANGE",
    "Remembered",
    "dumps",
    "in_range",
    "loads",
]

EXPONENT_LIMIT = 9999
"""The largest adjusted exponent, either sign, of any amount the SDK reads (`1E+9999`)."""

INTEGER_DIGITS = 30
"""The most digits of any integer the SDK reads from a field (ids, codes, counts)."""

OUT_OF_RANGE = Decimal("NaN")
"""What a number outside the limits decodes to: not finite, so every field reader refuses it."""

_orjson_dumps: Callable[..., bytes] | None
try:  # the optional speed-up for request bodies (see `dumps`)
    from orjson import OPT_NON_STR_KEYS as _INTEGER_KEYS
    from orjson import dumps as _orjson_dumps
except ImportError:  # pragma: no cover - depends on the install
    _orjson_dumps = None


def in_range(number: Decimal) -> bool:
    """Whether `number` is finite and its adjusted exponent lies within ±`EXPONENT_LIMIT`."""
    return number.is_finite() and -EXPONENT_LIMIT <= number.adjusted() <= EXPONENT_LIMIT


def loads(content: bytes | str) -> Any:
    """Parse JSON with every fraction as an exact `Decimal`. Raises `ValueError` or
    `RecursionError`.

    As `json.loads` does (bytes in UTF-8, -16 or -32; a text may not start with a byte order
    mark), with one decoder made once rather than one per call, and numbers outside the limits
    (`NaN`, `Infinity` and integers too long for `int` too) as `OUT_OF_RANGE`.

    >>> loads(b'{"price": 0.23, "n": 7, "huge": 1e99999}')
    {'price': Decimal('0.23'), 'n': 7, 'huge': Decimal('NaN')}
    """
    if isinstance(content, str):
        if content.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", content, 0)
        text = content
    else:
        text = content.decode(json.detect_encoding(content), "surrogatepass")
    try:
        return _DECODER.decode(text)
    except ValueError:
        # `int` refuses an integer of more than 4,300 digits inside the parser, failing the
        # whole document: parse it again with each integer checked, so that such a number is
        # only out of range. (A document that is not JSON fails again, with the same error.)
        return _CHECKED.decode(text)


def dumps(payload: Any, *, integer_keys: bool = False) -> bytes:
    """Compact UTF-8 JSON for a request body.

    With orjson installed (`pip install "bsg-async[orjson]"`), the same bytes about ten times
    faster: request bodies hold strings, integers, booleans, `null`, lists and objects, which
    both encoders spell alike (a property test holds them together; no body carries a float).
    What orjson refuses (an integer beyond 64 bits, a lone surrogate) goes to `json`, which
    decides as it always did. Answers are never decoded by orjson: it reads every fraction as a
    `float`, and money must stay exact.

    `integer_keys=True` lets objects have `int` keys, written as their text, as `json` writes
    them (the campaign store's outcomes, `{seq: message id}`): orjson is told so, where it
    would refuse them; request bodies do not ask for it, because orjson then checks the type
    of every key (70% more work per SMS bulk body).

    >>> dumps({"body": "Hi", "2way": 1})
    b'{"body":"Hi","2way":1}'
    >>> dumps({7: 1, 8: None}, integer_keys=True)
    b'{"7":1,"8":null}'
    """
    if _orjson_dumps is not None:
        try:
            if integer_keys:
                return _orjson_dumps(payload, option=_INTEGER_KEYS)
            return _orjson_dumps(payload)
        except TypeError:  # orjson's JSONEncodeError
            pass
    return _json_dumps(payload)


def _json_dumps(payload: Any) -> bytes:
    return _ENCODER.encode(payload).encode()


# Made once: `json.dumps` with options builds a new encoder for every body, about 16k
# instructions per request (callgrind). It holds only its options, so one serves every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


class Remembered(dict[str, Decimal]):
    """`Decimal`s by the text they were parsed from, parsed once each.

    An answer repeats the same few prices thousands of times, and a `Decimal` is immutable, so
    one is shared. A text `parse` refuses raises every time and is never remembered, nor is a
    long one (`longest` characters at most); past `limit` texts the memo starts again, so no
    answer can make it grow without bound. Looking up a remembered text is a plain dict lookup,
    with no Python call.
    """

    limit = 1024
    longest = 40

    def __init__(self, parse: Callable[[str], Decimal]) -> None:
        super().__init__()
        self._parse = parse

    def __missing__(self, text: str) -> Decimal:
        value = self._parse(text)
        if len(text) <= self.longest:
            if len(self) >= self.limit:
                self.clear()  # a bound, not a policy: real answers hold a handful of prices
            self[text] = value
        return value


def _number(text: str) -> Decimal:
    """A JSON number with a fraction or an exponent, exactly, or `OUT_OF_RANGE`."""
    number = Decimal(text)
    return number if in_range(number) else OUT_OF_RANGE


def _constant(_: str) -> Decimal:
    """`NaN`, `Infinity` and `-Infinity`, which JSON does not have: numbers out of range."""
    return OUT_OF_RANGE


def _integer(text: str) -> int | Decimal:
    """A JSON integer, or `OUT_OF_RANGE` for one too long for `int` to read."""
    try:
        return int(text)
    except ValueError:
        return OUT_OF_RANGE


_NUMBERS = Remembered(_number)  # the text of a JSON number with a fraction or exponent
_DECODER = json.JSONDecoder(parse_float=_NUMBERS.__getitem__, parse_constant=_constant)
# Only for a document `_DECODER` refused: a Python call per integer is too slow for every answer.
_CHECKED = json.JSONDecoder(
    parse_float=_NUMBERS.__getitem__, parse_constant=_constant, parse_int=_integer
)
