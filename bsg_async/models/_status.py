"""The base of the status enums: lower-case string values, parsed case-insensitively."""

from __future__ import annotations

import enum
from typing import TypeVar

from ..errors import InvalidParameterError

_S = TypeVar("_S", bound="StatusEnum")


class UnknownStatus(str):
    """A status this version of the SDK does not know: the service's text, kept as it came.

    A `str`, so it compares, prints and serialises as the text; a class of its own, so the
    type checker tells it from the known members: a status field is typed `SmsStatus |
    UnknownStatus`, and a `match` over it is checked for every member and the unknown case.

    ```pycon
    >>> UnknownStatus("Queued_On_The_Moon")
    UnknownStatus('Queued_On_The_Moon')

    ```
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"UnknownStatus({str.__repr__(self)})"


class StatusEnum(str, enum.Enum):
    """A `str` enum, so `status == "delivered"` holds for a member."""

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def parse(cls: type[_S], value: str) -> _S | UnknownStatus:
        """The member for `value` (any case, surrounding spaces ignored), or `value` itself
        as an `UnknownStatus`.

        A status the SDK does not know yet is kept as its text, never an error: the service
        adds statuses over time.
        """
        try:
            return cls(value.strip().lower())
        except ValueError:
            return UnknownStatus(value)

    @classmethod
    def required(cls, value: object, field: str) -> str:
        """The wire value of the member `value` names (a member, or its text in any case), for
        a request; anything else raises `InvalidParameterError` listing the members."""
        if isinstance(value, str):
            parsed = cls.parse(value)
            if isinstance(parsed, cls):
                return str(parsed.value)
        choices = ", ".join(str(member.value) for member in cls)
        raise InvalidParameterError(field, value, f"expected one of {choices}")
