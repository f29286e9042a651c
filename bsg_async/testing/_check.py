"""The fake One-API's request validation: per-field messages, as its 422 answers list them.

Every One-API endpoint of the fake checks its body with one `Check`, then answers
`invalid(check.errors)` (HTTP 422 `{"message": "The given data was invalid.", "errors":
{field: [texts]}}`) when anything was wrong, naming each field the way the service does
(`phone.number`, `phones.3.reference_id`, ...). One set of rules and texts for every endpoint:
an endpoint's differences are the arguments (`max_length`, `bounds`, `pattern`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

__all__ = [
    "DEFAULT_PAGE_LIMIT",
    "DIGITS",
    "UNBOUNDED",
    "URL",
    "UUID",
    "Check",
    "at_path_id",
    "first",
    "paging",
    "path_id",
]

URL = re.compile(r"https?://[^\s/?#]+\S*")
UUID = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")
DIGITS = re.compile(r"[0-9]{1,19}")
DEFAULT_PAGE_LIMIT = 50
UNBOUNDED = 10**9  # the most items of an array the description sets no limit for
_SMS_SENDER_DIGITS = re.compile(r"[0-9]{1,15}")
_SMS_SENDER_NAME = re.compile(r"[\x20-\x7e]{1,11}")

T = TypeVar("T")


class Check:
    """Collects per-field messages, as the service's 422 answer lists them."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, key: str, text: str) -> None:
        self.errors.setdefault(key, []).append(text)

    def required(self, value: Any, key: str) -> bool:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(key, f"The {key} field is required.")
            return False
        return True

    def _typed(self, value: Any, key: str, kind: type[T], what: str, *, required: bool) -> T | None:
        """`value` when it is a `kind` (`what` names it in the message); `None` when absent
        and not `required`, or refused."""
        if value is None and not required:
            return None
        if not self.required(value, key):
            return None
        if not isinstance(value, kind):
            self.add(key, f"The {key} must be {what}.")
            return None
        return value

    def text(self, value: Any, key: str, max_length: int, *, required: bool = True) -> str | None:
        text = self._typed(value, key, str, "a string", required=required)
        if text is not None and len(text) > max_length:
            self.add(key, f"The {key} must not be greater than {max_length} characters.")
            return None
        return text

    def matches(self, value: Any, key: str, pattern: re.Pattern[str], what: str) -> str | None:
        if not isinstance(value, str) or not pattern.fullmatch(value):
            self.add(key, f"The {key} {what}.")
            return None
        return value

    def integer(self, value: Any, key: str, bounds: tuple[int, int] | None = None) -> int | None:
        if value is None:
            return None
        if isinstance(value, str) and DIGITS.fullmatch(value.strip()):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(key, f"The {key} must be an integer.")
            return None
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            self.add(key, f"The {key} must be between {bounds[0]} and {bounds[1]}.")
            return None
        return value

    def integers(
        self,
        value: Any,
        key: str,
        bounds: tuple[int, int],
        *,
        each: tuple[int, int] | None = None,
        known: Callable[[int], bool] | None = None,
    ) -> list[int] | None:
        """An array of `bounds` items, each an integer (within `each`) named `key.index`, and
        one that `known` says exists ("The selected key.index is invalid." otherwise, as
        Laravel's `exists` rule): the valid ones, or `None` when `value` is no such array."""
        items = self.items(value, key, bounds)
        if items is None:
            return None
        found = []
        for index, item in enumerate(items):
            number = self.integer(item, f"{key}.{index}", each)
            if number is None:
                continue
            if known is not None and not known(number):
                self.add(f"{key}.{index}", f"The selected {key}.{index} is invalid.")
            else:
                found.append(number)
        return found

    def boolean(self, value: Any, key: str) -> bool | None:
        if value is None:
            return None
        if value in (True, False) or value in ("0", "1"):
            return value in (True, "1")
        self.add(key, f"The {key} field must be true or false.")
        return None

    def url(self, value: Any, key: str, max_length: int, *, required: bool) -> str | None:
        url = self.text(value, key, max_length, required=required)
        if url is not None and not URL.fullmatch(url):
            self.add(key, f"The {key} must be a valid URL.")
            return None
        return url

    def items(self, value: Any, key: str, bounds: tuple[int, int]) -> list[Any] | None:
        items = self._typed(value, key, list, "an array", required=True)
        if items is None:
            return None
        if len(items) < bounds[0]:
            self.add(key, f"The {key} must have at least {bounds[0]} items.")
            return None
        if len(items) > bounds[1]:
            self.add(key, f"The {key} must not have more than {bounds[1]} items.")
            return None
        return items

    def sms_sender(self, value: Any, key: str) -> str | None:
        """An SMS sender: up to 11 Latin letters, digits, spaces or signs, or up to 15 digits."""
        if not self.required(value, key):
            return None
        if (
            isinstance(value, str)
            and value.strip()
            and (_SMS_SENDER_DIGITS.fullmatch(value) or _SMS_SENDER_NAME.fullmatch(value))
        ):
            return value
        self.add(key, f"The {key} must be up to 11 letters and digits, or up to 15 digits.")
        return None

    def object(self, value: Any, key: str, *, required: bool = True) -> Mapping[str, Any] | None:
        return self._typed(value, key, dict, "an object", required=required)


def path_id(raw: str) -> int | None:
    """A path's `{id}` segment as an int, or `None` when it is not digits (no record has it)."""
    return int(raw) if DIGITS.fullmatch(raw) else None


def at_path_id(raw: str, get: Callable[[int], T | None]) -> T | None:
    """The record `get` finds for a path's `{id}` segment, or `None` (not digits, or none)."""
    record_id = path_id(raw)
    return None if record_id is None else get(record_id)


def first(params: Mapping[str, list[str]], name: str) -> str | None:
    """The first value of query parameter `name` (`parse_qs` output), or `None`."""
    values = params.get(name)
    return values[0] if values else None


def paging(
    check: Check,
    params: Mapping[str, list[str]],
    bounds: tuple[int, int],
    default: int = DEFAULT_PAGE_LIMIT,
) -> tuple[int, int]:
    """A One-API list's `page[offset]` and `page[limit]` (within `bounds`; `default` when
    absent), as `(offset, limit)`; a bad value is added to `check` as `page.offset` /
    `page.limit`."""
    offset = check.integer(first(params, "page[offset]"), "page.offset")
    limit = check.integer(first(params, "page[limit]"), "page.limit", bounds)
    return (offset or 0), (default if limit is None else limit)
