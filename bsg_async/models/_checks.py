"""attrs validators built on the pure rules in `bsg_async._validation`, and the hot paths'
way around them for values already checked."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import attrs

from .. import _validation as rules


def checked(
    rule: Callable[[object, str], object],
) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """An attrs validator running `rule(value, field_name)`."""

    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        rule(value, attribute.name)

    return validate


def non_blank(max_length: int | None = None) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """An attrs validator for a non-blank string of at most `max_length` characters."""

    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        rules.text(value, attribute.name, max_length=max_length)

    return validate


def one_of(allowed: Sequence[str]) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """An attrs validator for one of the `allowed` strings (an endpoint's enumeration)."""
    options = tuple(allowed)

    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        rules.choice(value, attribute.name, options)

    return validate


def optional(
    validator: Callable[[Any, attrs.Attribute[Any], Any], None],
) -> Callable[[Any, attrs.Attribute[Any], Any], None]:
    """Accept `None`, or run `validator`."""

    def validate(instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            validator(instance, attribute, value)

    return validate


def slot_setters(cls: type[Any]) -> Sequence[Callable[[Any, Any], None]]:
    """The setters of the fields of the slotted attrs class `cls`, in field order.

    Each sets one slot of an instance made by `object.__new__(cls)` directly, past the
    frozen guard and without converters or validators: for values checked already, on paths
    that build one instance per recipient (attrs' frozen `__init__` costs about twice as much).
    """
    return tuple(cls.__dict__[field.name].__set__ for field in attrs.fields(cls))
