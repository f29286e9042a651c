"""Viber values: messages with an optional SMS fallback, and status reports."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from .. import _validation as rules
from ..errors import InvalidParameterError
from ._checks import checked, non_blank, optional
from ._report import MessageReport
from ._status import StatusEnum, UnknownStatus
from .common import Recipient, SmsFallback
from .sms import SmsStatus

__all__ = ["FallbackSms", "ViberMessage", "ViberReport", "ViberStatus"]


class ViberStatus(StatusEnum):
    """The state of one Viber message. An unknown value is kept as an `UnknownStatus` (its text)."""

    SCHEDULED = "scheduled"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    EXPIRED = "expired"
    UNDELIVERABLE = "undeliverable"
    REJECTED = "rejected"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """`True` for a state the message will not leave (read, expired, ...)."""
        return self in _FINAL


_FINAL = frozenset(
    {ViberStatus.READ, ViberStatus.EXPIRED, ViberStatus.UNDELIVERABLE, ViberStatus.REJECTED}
)


def _recipients(value: str | Recipient | Iterable[str | Recipient]) -> tuple[Recipient, ...]:
    if isinstance(value, (str, Recipient)):
        value = [value]
    if not isinstance(value, Iterable):
        raise InvalidParameterError(
            "to", value, "expected a phone number, a Recipient, or a list of them"
        )
    return tuple(Recipient.coerce(item) for item in value)


def _check_fallback(_instance: Any, attribute: Any, value: Any) -> None:
    """The legacy API's limits on an `SmsFallback` (`alt_route`: `originator` and `text`)."""
    if value is None:
        return
    if not isinstance(value, SmsFallback):
        raise InvalidParameterError(attribute.name, value, "expected an SmsFallback or None")
    rules.sender(value.sender, f"{attribute.name}.sender")
    for name in ("validity", "check_stop_list"):
        if getattr(value, name) is not None:
            raise InvalidParameterError(
                f"{attribute.name}.{name}",
                getattr(value, name),
                "the legacy Viber API's SMS fallback cannot carry it; leave it None",
            )


def _check_button(instance: ViberMessage, _attribute: Any, _value: Any) -> None:
    if (instance.button_caption is None) != (instance.button_url is None):
        missing = "button_url" if instance.button_url is None else "button_caption"
        raise InvalidParameterError(
            missing, None, "a button needs both button_caption and button_url"
        )
    if instance.image_url is not None and instance.button_url is None:
        raise InvalidParameterError(
            "button_url", None, "an image needs a button (button_caption and button_url)"
        )


@attrs.frozen
class ViberMessage:
    """One Viber message to one or more recipients, for `bsg.viber.send_messages`.

    `text` is 1 to 1,000 characters and `sender` (the registered sender, sent as
    `alpha_name`) 1 to 14.
    `image_url` and the button (`button_caption` with `button_url`) are optional; a button needs
    both parts and an image needs a button. URLs must be http(s). `sms_fallback` is sent to
    recipients who cannot get Viber (its `validity` and `check_stop_list` must stay `None`:
    the legacy API cannot carry them). Plain strings in `to` become `Recipient`s.
    Raises `InvalidParameterError` naming the field for a bad value.
    """

    to: tuple[Recipient, ...] = attrs.field(converter=_recipients)
    text: str = attrs.field(validator=non_blank(rules.VIBER_TEXT_MAX))
    sender: str = attrs.field(validator=checked(rules.sender))
    is_promotional: bool = attrs.field(default=False, validator=checked(rules.boolean))
    image_url: str | None = attrs.field(default=None, validator=optional(checked(rules.http_url)))
    button_caption: str | None = attrs.field(default=None, validator=optional(non_blank()))
    button_url: str | None = attrs.field(
        default=None, validator=[optional(checked(rules.http_url)), _check_button]
    )
    sms_fallback: SmsFallback | None = attrs.field(default=None, validator=_check_fallback)

    @to.validator
    def _check_to(self, _attribute: Any, value: tuple[Recipient, ...]) -> None:
        if not value:
            raise InvalidParameterError("to", value, "needs at least one recipient")


@attrs.frozen
class FallbackSms:
    """One SMS the service sent as the fallback of a Viber message (`alt_route` on the wire)."""

    id: int
    status: SmsStatus | UnknownStatus
    channel: str = "sms"
    price: Decimal | None = None


@attrs.frozen
class ViberReport(MessageReport[ViberStatus]):
    """The state of one Viber message, as `bsg.viber.get` and `get_by_reference` return it.

    `fallback` lists the SMS sent in its place (empty when none was). Times and `to` as in
    `SmsReport`.
    """

    fallback: tuple[FallbackSms, ...] = ()
