"""Statistics exports (`/api/stat/jobs`): a job the service prepares, and the rows it yields.

Pure: no I/O. The converter builds these from the service's answers, whose names (`msisdn`,
`originator`, `body`, `time_in`, `time_dlr`, `brand`, `sl_clicks`) stop there.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs

__all__ = ["StatisticsJob", "StatisticsRow"]


@attrs.frozen
class StatisticsJob:
    """A statistics export the service prepares: its `key` (pass it to `bsg.statistics.rows`,
    `wait` and `delete`), its `status` as the service writes it (`"Done"` when its rows can be
    read) and the `message_ids` it was asked for, if it was asked by message id."""

    key: str
    status: str | None = None
    message_ids: tuple[int, ...] = ()

    @property
    def done(self) -> bool:
        """Whether the rows can be read (the service's status `Done`, in any case)."""
        return self.status is not None and self.status.strip().lower() == "done"


@attrs.frozen
class StatisticsRow:
    """One message of a statistics export.

    `channel` is the message's type (`"sms"`, `"viber"`, ...), `to` its recipient, `sender`
    its sender name, `text` its text; `country`, `operator`, `mcc` and `mnc` the recipient's
    network; `price` (a `Decimal`) in `currency`; `created_at`, `sent_at` and `delivered_at`
    when the platform received, sent and heard of its delivery (`None`: not yet); `status` as
    the service writes it (`"Delivered"`, `"Undelivered"`, ...); `short_link_clicks` the
    clicks on its short links, where that service is enabled.
    """

    message_id: int
    channel: str | None = None
    to: str | None = None
    sender: str | None = None
    text: str | None = None
    country: str | None = None
    operator: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    status: str | None = None
    short_link_clicks: int | None = None
