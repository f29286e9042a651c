"""The report on one message the legacy API gives (`GET sms/{id}`, `GET viber/{id}`) and BSG
POSTs for an RCS message: one shape, whatever the channel; each channel's report adds its own
fields and says which statuses it knows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

import attrs

from ._status import StatusEnum, UnknownStatus

__all__ = ["MessageReport"]

S = TypeVar("S", bound=StatusEnum)


@attrs.frozen
class MessageReport(Generic[S]):
    """The fields every channel's report on one message holds: `id`, `status` (the channel's
    status enum, or an `UnknownStatus`), `to` (`msisdn` on the wire), `reference`, the times
    `time_in`, `time_sent`, `time_dr` (`None`: not yet), and `price` in `currency`."""

    id: int
    status: S | UnknownStatus
    to: str | None = None
    reference: str | None = None
    time_in: datetime | None = None
    time_sent: datetime | None = None
    time_dr: datetime | None = None
    price: Decimal | None = None
    currency: str | None = None
