"""`bsg.statistics`: statistics exports of the One-API (`/api/stat/jobs`).

An export is a job: create it (by message ids, or by a time range and filters), wait until
the service has prepared it, read its rows, delete it. The service keeps a limited number of
exports per account ("Maximum count of exports reached"): delete the ones you have read.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING
from urllib.parse import quote

import anyio

from . import _validation as rules
from ._one_api_sending import surely_not_accepted
from .errors import APIError, InvalidParameterError, NotFoundError, WaitTimeoutError
from .models.statistics import StatisticsJob, StatisticsRow

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["StatisticsResource"]

JOBS_PATH = "/api/stat/jobs"
SOURCES = frozenset({"api", "web", "smpp", "xml", "http", "json"})
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
KEY_MAX = 200
DEFAULT_INTERVAL = timedelta(seconds=5)
DEFAULT_DEADLINE = timedelta(minutes=10)
MIN_INTERVAL = timedelta(milliseconds=10)


class StatisticsResource:
    """The statistics exports of the One-API, as `bsg.statistics`.

    ```python
    key = await bsg.statistics.create_job(message_ids=[3282296417, 3282296418])
    rows = await bsg.statistics.wait(key, deadline=timedelta(minutes=2))
    await bsg.statistics.delete(key)
    ```
    """

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def create_job(
        self,
        *,
        message_ids: Iterable[int] | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        sent_from: datetime | None = None,
        sent_to: datetime | None = None,
        to: Iterable[str] = (),
        source: str | None = None,
        country: str | None = None,
        operator: str | None = None,
        status: str | None = None,
    ) -> str:
        """Ask for an export and return its key.

        Either `message_ids` (the messages to export), or `created_from` and `created_to` (when
        the platform received them, both required; sent as `time_in_from`/`time_in_to`) with
        any of the filters: `sent_from`/`sent_to` (given together), `to` (recipients' phone
        numbers), `source` (`"api"`, `"web"`, `"smpp"`, `"xml"`, `"http"` or `"json"`),
        `country`, `operator` (sent as `operator_id`) and `status` (`"Delivered"`,
        `"Undelivered"`, ...). Times are naive on the service's clock, or aware when the client
        has a `timezone`.

        Raises `InvalidParameterError` before sending for a bad or missing value; an `APIError`
        when the service refuses (for example when the account holds too many exports). The
        request carries no reference, so it is retried only when it surely did not reach the
        service: after a `TransportError` with `may_have_been_accepted`, look at `jobs()`
        before asking again.
        """
        zone = self._client._wire.zone
        ids = None if message_ids is None else _message_ids(message_ids)
        if ids is not None and (created_from is not None or created_to is not None):
            raise InvalidParameterError(
                "message_ids", ids, "give message_ids or created_from/created_to, not both"
            )
        created = sent = None
        if ids is None:
            if created_from is None or created_to is None:
                raise InvalidParameterError(
                    "created_from", created_from, "needs created_from and created_to, or ids"
                )
            created = _time_range(created_from, created_to, "created", zone)
        if (sent_from is None) != (sent_to is None):
            raise InvalidParameterError(
                "sent_from", sent_from, "give sent_from and sent_to together"
            )
        if sent_from is not None and sent_to is not None:
            sent = _time_range(sent_from, sent_to, "sent", zone)
        payload = self._client._wire.statistics_job(
            message_ids=ids,
            created=created,
            sent=sent,
            to=[
                rules.msisdn(number, f"to[{index}]", min_digits=rules.ONE_API_PHONE_MIN_DIGITS)
                for index, number in enumerate(to)
            ],
            source=_choice(source, "source", SOURCES),
            country=rules.optional_text(country, "country", max_length=100),
            operator=rules.optional_text(operator, "operator", max_length=100),
            status=_choice(status, "status", STATUSES),
        )
        answer = await self._client.one_api_request(
            "POST", JOBS_PATH, json=payload, send=True, retry_if=surely_not_accepted
        )
        data = answer.data
        key = data.get("key") if isinstance(data, dict) else None
        if isinstance(key, str) and key:
            return key
        # The description's "error" example: `{"error": 0, "errorDescription": "Maximum count
        # of exports reached"}` with HTTP 200 and no key. A refusal, whatever its code says.
        description = data.get("errorDescription") if isinstance(data, dict) else None
        raise APIError(
            description if isinstance(description, str) and description else "no job key",
            http_status=answer.http_status,
        )

    async def jobs(self) -> tuple[StatisticsJob, ...]:
        """The account's exports, as the service lists them (one request, no pages)."""
        answer = await self._client.one_api_request("GET", JOBS_PATH)
        return self._client._wire.statistics_jobs(answer.data, http_status=answer.http_status)

    async def rows(self, key: str) -> tuple[StatisticsRow, ...]:
        """The rows of the export `key` (call when its job is `done`, or use `wait`).

        Raises `InvalidParameterError` for a bad key, `APIError` (`NotFoundError` or a plain
        `APIError` with the service's code 90 "File not found") for an unknown one.
        """
        answer = await self._client.one_api_request("GET", _job_path(key))
        return self._client._wire.statistics_rows(answer.data, http_status=answer.http_status)

    async def delete(self, key: str) -> None:
        """Delete the export `key` and its rows. Raises like `rows` for an unknown key."""
        await self._client.one_api_request("DELETE", _job_path(key))

    async def wait(
        self,
        key: str,
        *,
        interval: timedelta = DEFAULT_INTERVAL,
        deadline: timedelta = DEFAULT_DEADLINE,
    ) -> tuple[StatisticsRow, ...]:
        """Wait until the export `key` is done, then return its rows.

        Asks `jobs()` every `interval` (at least 10 ms; default 5 s) and gives up after
        `deadline` (default 10 minutes) with `WaitTimeoutError`, never later: the loop is
        bounded, and cancelling the calling task stops it at once. Raises `NotFoundError` when
        the service does not list the job (deleted, or never made).
        """
        _job_path(key)  # checks the key before anything is sent
        pause = rules.period(interval, "interval", MIN_INTERVAL)
        limit = rules.period(deadline, "deadline", timedelta(0))
        with anyio.move_on_after(limit):
            while True:
                job = next((job for job in await self.jobs() if job.key == key), None)
                if job is None:
                    raise NotFoundError(f"no statistics job {key!r} in the list", http_status=200)
                if job.done:
                    return await self.rows(key)
                await anyio.sleep(pause)
        raise WaitTimeoutError(
            f"statistics job {key!r} was not done after {deadline}", waited=deadline
        )


def _job_path(key: object) -> str:
    text = rules.text(key, "key", max_length=KEY_MAX)
    return f"{JOBS_PATH}/{quote(text, safe='')}"


def _message_ids(values: Iterable[int]) -> list[int]:
    ids = [rules.message_id(value, f"message_ids[{i}]") for i, value in enumerate(values)]
    if not ids:
        raise InvalidParameterError("message_ids", ids, "needs at least one message id")
    return ids


def _time_range(start: datetime, end: datetime, name: str, zone: tzinfo | None) -> tuple[str, str]:
    first = rules.service_time(start, f"{name}_from", zone)
    last = rules.service_time(end, f"{name}_to", zone)
    if last < first:
        raise InvalidParameterError(f"{name}_to", end, f"must not be before {name}_from")
    return first.strftime(rules.TIME_FORMAT), last.strftime(rules.TIME_FORMAT)


def _choice(value: object, field: str, allowed: frozenset[str]) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and value in allowed:
        return value
    raise InvalidParameterError(field, value, f"expected one of {', '.join(sorted(allowed))}")
