"""The base of the status enums: lower-case string values, parsed case-insensitively."""

from __future__ import annotations

import enum
from typing import TypeVar

_S = TypeVar("_S", bound="StatusEnum")


class StatusEnum(str, enum.Enum):
    """A `str` enum, so `status == "delivered"` holds for a member."""

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def parse(cls: type[_S], value: str) -> _S | str:
        """The member for `value` (any case, surrounding spaces ignored), or `value` itself.

        A status the SDK does not know yet is kept as the plain string, never an error: the
        service adds statuses over time.
        """
        try:
            return cls(value.strip().lower())
        except ValueError:
            return value
