"""SMS values: what to send, and what a status read returns."""

from __future__ import annotations

import functools
from datetime import timedelta
from decimal import Decimal

import attrs

from .. import _validation as rules
from ._checks import checked, non_blank, optional
from ._report import MessageReport
from ._status import StatusEnum

__all__ = ["SmsMessage", "SmsReport", "SmsStatus", "SmsTask"]


class SmsStatus(StatusEnum):
    """The state of one SMS. An unknown value is kept as an `UnknownStatus` (its text)."""

    SCHEDULED = "scheduled"
    SENT = "sent"
    DELIVERED = "delivered"
    EXPIRED = "expired"
    UNDELIVERABLE = "undeliverable"
    REJECTED = "rejected"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """`True` for a state the message will not leave (delivered, expired, ...)."""
        return self in _FINAL


_FINAL = frozenset(
    {SmsStatus.DELIVERED, SmsStatus.EXPIRED, SmsStatus.UNDELIVERABLE, SmsStatus.REJECTED}
)


@attrs.frozen
class SmsMessage:
    """One SMS with its own text and sender, for `bsg.sms.send_individual` (legacy) and
    `bsg.sms.send_campaign_individual` (One-API).

    `to` is the phone number (sent as `msisdn`), `text` the text (`body`), `sender` 1 to 14
    characters (`originator`); `reference` as in `Recipient` (generated when `None`).
    `tariff` is this message's own `Tariff.code` (One-API only, sent as its `tariff_code`;
    the legacy API takes one tariff per request and refuses it).
    Raises `InvalidParameterError` naming the field for a bad value.
    """

    to: str = attrs.field(converter=rules.msisdn)  # strips the `+`, refuses bad numbers
    text: str = attrs.field(validator=non_blank())
    sender: str = attrs.field(validator=checked(rules.sender))
    reference: str | None = attrs.field(default=None, validator=optional(checked(rules.reference)))
    tariff: int | None = attrs.field(
        default=None,
        validator=optional(checked(functools.partial(rules.integer, bounds=rules.ONE_API_TARIFFS))),
    )


@attrs.frozen
class SmsReport(MessageReport[SmsStatus]):
    """The state of one SMS, as `bsg.sms.get` and `bsg.sms.get_by_reference` return it.

    Times are naive `datetime`s in the service's zone (undocumented) unless the client was given
    a `timezone`; `None` means "not yet". `status` is an `SmsStatus`, or an `UnknownStatus` (the
    raw text) for a status the SDK does not know. `to` is the phone number (`msisdn` on the
    wire).
    """


@attrs.frozen
class SmsTask:
    """The counters of a bulk SMS campaign, as `bsg.sms.get_task` returns them.

    `sender` and `text` are the campaign's (`originator` and `body` on the wire); `validity` a
    `timedelta` (sent in hours).
    """

    sender: str | None = None
    text: str | None = None
    validity: timedelta | None = None
    total_price: Decimal | None = None
    currency: str | None = None
    sent: int = 0
    delivered: int = 0
    expired: int = 0
    undeliverable: int = 0
    unknown: int = 0
