"""RCS callbacks: the status report and the button-click callback BSG POSTs to your web app.

Pure values; `bsg_async.webhooks` decodes them from the wire.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ._report import MessageReport
from ._status import StatusEnum

__all__ = ["RcsClick", "RcsReport", "RcsStatus"]


class RcsStatus(StatusEnum):
    """The state of one RCS message, as the status report callback gives it.

    Upper case in BSG's table, lower case on the wire; parsed case-insensitively. A report with
    a status outside these 11 is kept as an `UnknownStatus`, its raw text (see
    `RcsReport.status_known`).

    ```pycon
    >>> RcsStatus.parse("DELIVERED") is RcsStatus.DELIVERED
    True

    ```
    """

    SCHEDULED = "scheduled"
    """The message is scheduled."""
    MODERATION = "moderation"
    """The message is being moderated."""
    SENT = "sent"
    """The message was sent to the recipient."""
    DELIVERED = "delivered"
    """The message was delivered to the recipient."""
    SENDING = "sending"
    """The message is queued for sending."""
    ACCEPTED = "accepted"
    """The message was accepted for sending."""
    EXPIRED = "expired"
    """The message expired before delivery."""
    UNDELIVERED = "undelivered"
    """The message was not delivered."""
    READ = "read"
    """The recipient read the message."""
    UNKNOWN = "unknown"
    """There is no delivery status."""
    FAILED = "failed"
    """An error occurred while sending."""


@attrs.frozen
class RcsReport(MessageReport[RcsStatus]):
    """One RCS status report, as BSG POSTs it to the account's "Callback URL for RCS".

    `id` is the message id, `to` the recipient (`msisdn` on the wire), `reference` your external id.
    `status` is an `RcsStatus`, or an `UnknownStatus` (the raw text) for a status the SDK does not
    know yet (`status_known` tells which). Times are naive `datetime`s in the service's
    (undocumented) zone unless a zone was given to the parser; `None` means "not yet". `price` is a
    `Decimal` keeping the wire's 7 decimals, in `currency`. `error` is BSG's code (0: no error) with
    `error_description`.

    Build one with `bsg_async.webhooks.parse_rcs_report(body)`:

    ```pycon
    >>> from bsg_async.webhooks import parse_rcs_report
    >>> report = parse_rcs_report(b'{"id": "3266500452", "status": "delivered", "price": "1.10"}')
    >>> report.id, report.status, report.price, report.status_known
    (3266500452, <RcsStatus.DELIVERED: 'delivered'>, Decimal('1.10'), True)

    ```
    """

    error: int = 0
    error_description: str | None = None

    @property
    def status_known(self) -> bool:
        """`True` when `status` is one of the 11 documented `RcsStatus` values.

        `False` means the service sent a status this SDK does not know; `status` then holds
        the raw string, exactly as received.
        """
        return isinstance(self.status, RcsStatus)


@attrs.frozen
class RcsClick:
    """A recipient pressed a suggestion (button) of an RCS message.

    `id` is the message id, `reference` your external id, `to` the recipient (`msisdn`), `text` the
    button's text, `postback` the button's `postback_data` and `time_click` when it was pressed
    (naive `datetime` as in `RcsReport`, `None` if not given).

    ```pycon
    >>> from bsg_async.webhooks import parse_rcs_click
    >>> click = parse_rcs_click('{"id": 7, "postback": "yes", "time_click": "2024-08-22 11:50:00"}')
    >>> click.postback, click.time_click
    ('yes', datetime.datetime(2024, 8, 22, 11, 50))

    ```
    """

    id: int
    reference: str | None = None
    to: str | None = None
    text: str | None = None
    postback: str | None = None
    time_click: datetime | None = None
