"""The fake's statistics exports (`/api/stat/jobs`), over the messages it accepted.

- `POST /api/stat/jobs` (`type: message` with `message_id`s, or `type: params` with
  `time_in_from`/`time_in_to` and filters) -> `{"error": 0, "key": "..."}`; at
  `MAX_JOBS` exports held, `{"error": 0, "errorDescription": "Maximum count of exports
  reached"}` (the description's example: HTTP 200, code 0 and no key);
- `GET /api/stat/jobs` -> `{"error": 0, "result": [{"key", "request", "status"}]}`;
- `GET /api/stat/jobs/{key}` -> `{"error": 0, "result": [rows]}` once the job is done;
- `DELETE /api/stat/jobs/{key}` -> `{"error": 0, "errorDescription": "No errors"}`.

An unknown key gets `{"error": 90, "errorDescription": "File not found"}` (the description's
example). A job is `Processing` for `ready_after` seconds of the fake's clock, then `Done`;
the description does not say what reading a job that is not done answers: the fake answers
as for an unknown key. Rows cover the SMS and Viber messages the fake accepted, as they stand
when the job is read.
"""

from __future__ import annotations

import calendar
import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from ._check import UNBOUNDED, Check
from ._fates import MessageState, format_time
from ._json import dumps
from ._records import FakeMessage
from ._reply import Reply, invalid
from ._routes import Route
from ._store import Store

__all__ = ["FakeStatisticsJob", "StatisticsApi"]

MAX_JOBS = 10
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PRICE_QUANTUM = Decimal("0.0000001")
# The export's statuses, listed here again on purpose rather than imported from the SDK's
# `statistics`: the fake stands for the service, so a status filter the SDK allows wrongly is
# refused here, where a shared list would agree with it and no test would see the mistake.
STATUSES = frozenset(
    {
        "Delivered",
        "Rejected",
        "Scheduled",
        "Moderation",
        "Accepted",
        "Sending",
        "Sent",
        "Expired",
        "Failed",
        "Undelivered",
        "Unknown",
    }
)
_NOT_FOUND = Reply(200, dumps({"error": 90, "errorDescription": "File not found"}))
_FULL = Reply(200, dumps({"error": 0, "errorDescription": "Maximum count of exports reached"}))
_DELETED = Reply(200, dumps({"error": 0, "errorDescription": "No errors"}))


@attrs.frozen
class FakeStatisticsJob:
    """One export the fake was asked for: its `key`, the `message_ids` or the time range
    (`created_from`/`created_to`, the fake's clock) and filters it was asked with, and when
    (`asked_at`)."""

    id: int
    key: str
    message_ids: tuple[int, ...] | None
    created_from: float | None
    created_to: float | None
    phones: tuple[str, ...]
    status: str | None
    asked_at: float


class StatisticsApi:
    """The statistics exports over `messages` (the accepted SMS and Viber messages).

    `ready_after` is how long, on the fake's clock, a job is prepared before it is `Done`
    (0: at once). Set it to test a client that waits: `fake.statistics.ready_after = 30`.
    """

    def __init__(
        self,
        *,
        messages: Callable[[], Sequence[FakeMessage]],
        state: Callable[[FakeMessage], MessageState],
        now: Callable[[], float],
    ) -> None:
        self.jobs: Store[
            [
                str,
                tuple[int, ...] | None,
                float | None,
                float | None,
                tuple[str, ...],
                str | None,
                float,
            ],
            FakeStatisticsJob,
        ] = Store(1, FakeStatisticsJob, key=0)
        self.ready_after = 0.0
        self._messages = messages
        self._state = state
        self._now = now

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router`."""
        return (
            Route("POST", "stat/jobs", lambda call: self.create(call.json())),
            Route("GET", "stat/jobs", lambda call: self.list()),
            Route("GET", "stat/jobs/{key}", lambda call: self.show(call.params["key"])),
            Route("DELETE", "stat/jobs/{key}", lambda call: self.delete(call.params["key"])),
        )

    def create(self, payload: Any) -> Reply:
        """`POST /api/stat/jobs`."""
        check = Check()
        data = check.object(payload, "body")
        if data is None:
            return invalid(check.errors)
        kind = data.get("type")
        if kind not in ("message", "params"):
            check.add("type", "The selected type is invalid.")
            return invalid(check.errors)
        ids: tuple[int, ...] | None = None
        start = end = None
        phones: tuple[str, ...] = ()
        if kind == "message":
            ids = tuple(check.integers(data.get("message_id"), "message_id", (1, 100_000)) or ())
        else:
            start = _time(check, data.get("time_in_from"), "time_in_from")
            end = _time(check, data.get("time_in_to"), "time_in_to")
            numbers = check.integers(data.get("phones", []), "phones", (0, UNBOUNDED))
            phones = tuple(str(number) for number in numbers or ())
        status = data.get("status")
        if status is not None and status not in STATUSES:
            check.add("status", "The selected status is invalid.")
            status = None
        if check.errors:
            return invalid(check.errors)
        if len(self.jobs) >= MAX_JOBS:
            return _FULL
        # 18 hex digits, as the description's keys (`3941ffacdd698b404e`); the same on every run.
        key = hashlib.sha256(f"stat-job:{self.jobs.next_id()}".encode()).hexdigest()[:18]
        self.jobs.add(key, ids, start, end, phones, status, self._now())
        return Reply(200, dumps({"error": 0, "key": key}))

    def list(self) -> Reply:
        """`GET /api/stat/jobs`."""
        result = [
            {
                "key": job.key,
                "request": {"message_ids": list(job.message_ids or ())},
                "status": "Done" if self._ready(job) else "Processing",
            }
            for job in self.jobs
        ]
        return Reply(200, dumps({"error": 0, "result": result}))

    def show(self, key: str) -> Reply:
        """`GET /api/stat/jobs/{key}`."""
        job = self.jobs.find(key)
        if job is None or not self._ready(job):
            return _NOT_FOUND
        rows = []
        for message in self._messages():
            if _wanted(job, message):
                state = self._state(message)
                if job.status is None or _status(state) == job.status:
                    rows.append(_row(message, state))
        return Reply(200, dumps({"error": 0, "result": rows}))

    def delete(self, key: str) -> Reply:
        """`DELETE /api/stat/jobs/{key}`."""
        job = self.jobs.find(key)
        if job is None:
            return _NOT_FOUND
        self.jobs.remove(job.id)
        return _DELETED

    def _ready(self, job: FakeStatisticsJob) -> bool:
        return self._now() - job.asked_at >= self.ready_after


def _wanted(job: FakeStatisticsJob, message: FakeMessage) -> bool:
    if job.message_ids is not None:
        return message.id in job.message_ids
    start, end = job.created_from or 0.0, job.created_to or 0.0  # both required by `create`
    if not start <= message.accepted_at <= end:
        return False
    return not job.phones or message.to in job.phones


def _time(check: Check, value: Any, key: str) -> float | None:
    """A `yyyy-mm-dd hh:mm:ss` time (the fake's clock is UTC) as Unix seconds."""
    if not check.required(value, key):
        return None
    try:
        return float(calendar.timegm(time.strptime(str(value), TIME_FORMAT)))
    except ValueError:
        check.add(key, f"The {key} does not match the format Y-m-d H:i:s.")
        return None


def _row(message: FakeMessage, state: MessageState) -> Mapping[str, Any]:
    return {
        "message_id": str(message.id),
        "message_type": message.channel,
        "msisdn": message.to,
        "country_name": None,
        "brand": None,
        "mcc": None,
        "mnc": None,
        "originator": message.sender,
        "price": str(message.price.quantize(PRICE_QUANTUM)),
        "currency": message.currency,
        "time_in": format_time(state.time_in),
        "time_sent": format_time(state.time_sent),
        "time_dlr": format_time(state.time_dr),
        "status": _status(state),
        "body": message.text,
        "sl_clicks": None,
    }


def _status(state: MessageState) -> str:
    """The status as the export writes it (`Delivered`, `Undelivered`, ...): the export's own
    list, so the legacy SMS status `undeliverable` is written `Undelivered`."""
    status = _EXPORT_STATUS.get(state.status, state.status.capitalize())
    return status if status in STATUSES else "Unknown"


_EXPORT_STATUS = {"undeliverable": "Undelivered", "read": "Delivered"}
