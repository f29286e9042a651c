"""One-time passwords (2FA) as the One-API answers them: sessions, their messages, templates.

Pure values, built by the converter. A session's code never appears in any of them: the
service keeps it, and only the recipient sees it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import attrs

from ._status import StatusEnum, UnknownStatus

__all__ = [
    "OtpChannel",
    "OtpMessage",
    "OtpMessageStatus",
    "OtpSession",
    "OtpStatus",
    "OtpTemplate",
    "OtpTemplateStatus",
]


class OtpStatus(StatusEnum):
    """The state of a one-time-password session. An unknown value is kept as an
    `UnknownStatus`.

    `pending` until the code is verified (`verified`), every try is spent on wrong codes
    (`failed`), the code's lifetime ends (`expired`) or the session is canceled (`canceled`).
    """

    PENDING = "pending"
    VERIFIED = "verified"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        """`True` for every state but `pending`: the session takes no more codes."""
        return self is not OtpStatus.PENDING


class OtpChannel(StatusEnum):
    """How a session's code is sent: `sms`, or `viber` (with an SMS when Viber fails)."""

    SMS = "sms"
    VIBER = "viber"


class OtpMessageStatus(StatusEnum):
    """The state of one message that carried a code (`accepted`, `sent`; the service's
    prose also names `delivered` and `undelivered`, kept as `UnknownStatus` until its
    schema lists them)."""

    ACCEPTED = "accepted"
    SENT = "sent"


class OtpTemplateStatus(StatusEnum):
    """The moderation state of a code template: `requested` when created, then `approved`
    (usable by `bsg.otp.send`) or `rejected`; `deleted` once deleted."""

    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    DELETED = "deleted"


@attrs.frozen
class OtpMessage:
    """One message that carried a session's code (the first send, each resend, an SMS
    after Viber), as `bsg.otp.get` and `list` report them.

    `id` is the message id, `to` the recipient's digits (`recipient` on the wire); `price`
    in `currency`. Times as on `OtpSession`.
    """

    id: int
    status: OtpMessageStatus | UnknownStatus | None = None
    channel: OtpChannel | UnknownStatus | None = None
    to: str | None = None
    sender: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None


@attrs.frozen
class OtpSession:
    """A one-time-password session (an "authentication" on the wire), as `bsg.otp.send`,
    `verify`, `resend`, `cancel`, `get` and `list` return it.

    - `id`: the session's id, a UUID string (`"ea5db413-e368-4952-b745-cc2030210c49"`): pass
      it to `verify`, `resend`, `cancel` and `get`.
    - `status`: `OtpStatus` (`pending`, `verified`, `failed`, `canceled`, `expired`).
    - `to`: the recipient's digits; `channel`: `sms` or `viber`; `sender`, and `sms_sender`
      for the SMS sent when Viber fails (`sender_alt` on the wire).
    - `text`: the message text, with the template's placeholders (`message_text`).
    - `validity`: how long a code lives (`code_lifetime`, seconds on the wire);
      `max_tries`: how many codes may be checked (`code_max_tries`); `digits`: the code's
      length (`code_digits`). The service does not report the tries left.
    - `price` in `currency` (0 while pending: the service prices a session when it ends);
      `country`: ISO 3166-1 alpha-2 of the recipient (`country_code`).
    - `expires_at`, `created_at`, `finished_at` (`None`: not finished): naive `datetime`s on
      the service's clock, or aware ones when the client has a `timezone`.
    - `messages`: the messages that carried its codes, where the answer lists them (`get`
      and `list` do; the other calls leave it empty).
    """

    id: str
    status: OtpStatus | UnknownStatus
    to: str | None = None
    channel: OtpChannel | UnknownStatus | None = None
    sender: str | None = None
    sms_sender: str | None = None
    text: str | None = None
    validity: timedelta | None = None
    max_tries: int | None = None
    digits: int | None = None
    price: Decimal | None = None
    currency: str | None = None
    country: str | None = None
    expires_at: datetime | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    messages: tuple[OtpMessage, ...] = ()


@attrs.frozen
class OtpTemplate:
    """A message template for one-time codes, as `bsg.otp.templates` returns it.

    `id` is the template's id (`template_id` on the wire), to pass to `bsg.otp.send`;
    `text` holds the `{code2fa}` placeholder; `countries` the ISO 3166-1 alpha-2 codes of the
    recipients it may be sent to (empty: not limited, or not reported); `status` its
    moderation state (only an `approved` template can send); `updated_at` as on `OtpSession`.
    """

    id: int
    name: str | None = None
    text: str | None = None
    countries: tuple[str, ...] = ()
    status: OtpTemplateStatus | UnknownStatus | None = None
    updated_at: datetime | None = None
