"""`Outbox`: a durable campaign store, opened by URL, that any number of workers deliver together.

```
add / enqueue ──► pending rows ──claim (lease)──► send_many ──release──► sent | failed
```
See `_backend` for the schema and the claim protocol, `_worker` for what a worker does.
"""

from __future__ import annotations

import enum
import logging
import os
import socket
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterable
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from .. import _validation as rules
from ..errors import BSGError, InvalidParameterError
from ..models import Recipient
from ..models.batch import LookupFailed
from ._backend import Backend, NewRow
from ._csvfile import write_csv
from ._models import OutboxCampaign, OutboxReject, OutboxRow, OutboxSummary, RowState, WorkReport
from ._postgres import PostgresBackend, add_rows_on, campaign_id_on
from ._sqlite import MIN_SQLITE, SchemaTooNew, SqliteBackend, SqliteTooOld
from ._worker import Worker, WorkOptions

if TYPE_CHECKING:
    from ..client import AsyncBSG

__all__ = [
    "CampaignConflictError",
    "CampaignNotFoundError",
    "Outbox",
    "OutboxError",
    "OutboxMessage",
    "enqueue",
]

logger = logging.getLogger("bsg_async.outbox")

ADD_BATCH = 10_000
"""Rows per batch handed to the database by `add` (one transaction for them all)."""

STATUS_PAGE = 1_000

# Delivery statuses that no longer change: rows in them are not read again.
FINAL_STATUSES = ("delivered", "expired", "undeliverable", "rejected", "read", "undelivered")


class OutboxError(BSGError):
    """A problem with the campaign store itself (not with a message)."""


class CampaignNotFoundError(OutboxError, LookupError):
    """No campaign with that name in the store."""


class CampaignConflictError(OutboxError, ValueError):
    """A campaign with that name exists with other settings."""


@attrs.frozen
class OutboxMessage:
    """One message to add to a campaign: a phone number, its reference (`None`: generated
    now and stored, so every later attempt reuses it), its own text (`None`: the
    campaign's) and its `line` in your source (such as a CSV line number; `None`: none),
    kept and given back by `Outbox.results`.

    Raises `InvalidParameterError` for a bad number, reference, text or line.
    """

    to: str = attrs.field(converter=rules.msisdn)
    reference: str | None = attrs.field(default=None)
    text: str | None = attrs.field(default=None)
    line: int | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.reference is not None:
            rules.reference(self.reference)
        if self.text is not None:
            rules.text(self.text, "text")
        if self.line is not None:
            rules.integer(self.line, "line", (0, 2**62))


Addable = str | Recipient | OutboxMessage
"""What `add` and `enqueue` take: a phone number, a `Recipient` or an `OutboxMessage`."""


class _Report(Protocol):
    """What a delivery report gives the store (`RcsReport`, `SmsReport`, `ViberReport`)."""

    @property
    def id(self) -> int: ...
    @property
    def reference(self) -> str | None: ...
    @property
    def status(self) -> Any: ...


class Outbox:
    """A campaign store: rows with their references fixed, delivered exactly once by any
    number of workers (`work`), on any machines when the store is PostgreSQL.

    ```python
    async with Outbox.open("sqlite:///campaigns.db") as outbox:        # or postgresql://...
        await outbox.create_campaign(
            OutboxCampaign("spring-sale", channel="sms", text="Sale!", sender="Shop")
        )
        await outbox.add("spring-sale", numbers)                       # a million in seconds
        async with AsyncBSG(api_key="live_...") as bsg:
            await outbox.work("spring-sale", bsg)                      # on every machine
        print(await outbox.summary("spring-sale"))
    ```

    URLs: `sqlite:///relative/file.db`, `sqlite:////absolute/file.db` (or a plain file path):
    the embedded default, for workers on one machine; `postgresql://user:pass@host/db` (the
    `postgres` extra, asyncpg): for workers anywhere. Opening creates or upgrades the schema
    (tables named `bsg_outbox_*`), safely from many workers at once.

    Raises `InvalidParameterError` for a URL it cannot open, `OutboxError` for a store written
    by a newer SDK.
    """

    def __init__(self, backend: Backend, url: str) -> None:
        self._backend = backend
        self._display = _masked(url)
        self._state = "unopened"

    @classmethod
    def open(cls, url: str | os.PathLike[str], *, pool_size: int = 10) -> Outbox:
        """The store at `url` (opened by `async with`); `pool_size` is the most PostgreSQL
        connections it uses (besides one that listens for new rows)."""
        text = os.fspath(url) if isinstance(url, str | os.PathLike) else None
        if not isinstance(text, str) or not text:
            raise InvalidParameterError("url", url, "expected a sqlite:/// or postgresql:// URL")
        if text.startswith(("postgresql://", "postgres://")):
            rules.integer(pool_size, "pool_size", (1, 1000))
            return cls(PostgresBackend(text, pool_size=pool_size), text)
        if text.startswith("sqlite:///"):
            return cls(SqliteBackend(Path(text[len("sqlite:///") :])), text)
        if "://" in text:
            raise InvalidParameterError(
                "url", _masked(text), "expected sqlite:///path or postgresql://..."
            )
        return cls(SqliteBackend(Path(text)), text)

    def __repr__(self) -> str:
        return f"<Outbox {self._display} ({self._state})>"

    async def __aenter__(self) -> Outbox:
        if self._state != "unopened":
            raise RuntimeError(f"this Outbox is {self._state}: open a new one")
        self._state = "open"
        try:
            await self._backend.migrate()
        except SchemaTooNew as newer:
            await self._backend.aclose()
            self._state = "closed"
            raise OutboxError(
                f"the store's schema is version {newer.args[0]}, newer than this SDK knows: "
                "upgrade bsg-async"
            ) from None
        except SqliteTooOld as old:
            await self._backend.aclose()
            self._state = "closed"
            raise OutboxError(
                f"the campaign store needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; "
                f"Python's sqlite3 module here uses SQLite {old.args[0]} (use a newer Python "
                "or system SQLite, or a postgresql:// store)"
            ) from None
        except BaseException:
            await self._backend.aclose()
            self._state = "closed"
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every connection of the store."""
        if self._state == "open":
            self._state = "closed"
            await self._backend.aclose()

    def _open(self) -> Backend:
        if self._state != "open":
            raise RuntimeError(f"this Outbox is {self._state}: use `async with Outbox.open(url)`")
        return self._backend

    # -- campaigns ---------------------------------------------------------------------------

    async def create_campaign(self, campaign: OutboxCampaign) -> OutboxCampaign:
        """Create the campaign, or find it as it was created (the same settings): safe to
        call from every worker. Raises `CampaignConflictError` when one of that name exists
        with other settings."""
        if not isinstance(campaign, OutboxCampaign):
            raise InvalidParameterError("campaign", campaign, "expected an OutboxCampaign")
        backend = self._open()
        await backend.put_campaign(campaign)
        _, stored = await self._campaign(campaign.name)
        if stored != campaign:
            raise CampaignConflictError(
                f"campaign {campaign.name!r} exists with other settings: {stored.settings_json()}"
            )
        return stored

    async def campaign(self, name: str) -> OutboxCampaign:
        """The stored campaign called `name`; raises `CampaignNotFoundError`."""
        return (await self._campaign(name))[1]

    async def _campaign(self, name: str) -> tuple[int, OutboxCampaign]:
        found = await self._open().campaign(name)
        if found is None:
            raise CampaignNotFoundError(f"no campaign {name!r} in the store {self._display}")
        return found

    # -- rows --------------------------------------------------------------------------------

    async def add(self, campaign: str, messages: Iterable[Addable] | AsyncIterable[Addable]) -> int:
        """Add messages to a campaign, each with its reference fixed and stored now (the one
        given, or a generated one); returns how many were new.

        All or nothing: one transaction (`COPY` on PostgreSQL, batched inserts on SQLite); a
        bad item raises `InvalidParameterError` (naming its position) and adds nothing. A
        reference the campaign already has is skipped, so adding the same references again
        is idempotent (give your own references to make a retried import harmless).
        Raises `CampaignNotFoundError`.
        """
        campaign_id, stored = await self._campaign(campaign)
        return await self._open().add_rows(
            campaign_id, stored.claim_size, _batches(messages, stored)
        )

    async def reject(self, campaign: str, rejects: Iterable[OutboxReject]) -> int:
        """Keep inputs that cannot be sent (`OutboxReject`), so the campaign's results account
        for every line of its source; returns how many were new. Idempotent by line (a line
        already kept is skipped); one transaction. Raises `CampaignNotFoundError`,
        `InvalidParameterError`."""
        campaign_id, _ = await self._campaign(campaign)
        items = list(rejects) if isinstance(rejects, Iterable) else None
        if items is None or not all(isinstance(item, OutboxReject) for item in items):
            raise InvalidParameterError("rejects", rejects, "expected an iterable of OutboxReject")
        return await self._open().add_rejects(campaign_id, items) if items else 0

    async def rejects(
        self, campaign: str, *, page: int = 1_000
    ) -> AsyncGenerator[OutboxReject, None]:
        """Every input kept by `reject`, by line, read `page` at a time. Raises
        `CampaignNotFoundError`."""
        campaign_id, _ = await self._campaign(campaign)
        size = rules.integer(page, "page", (1, 100_000))
        backend = self._open()
        after = -1
        while found := await backend.rejects(campaign_id, after, size):
            for reject in found:
                yield reject
            after = found[-1].line

    async def summary(self, campaign: str) -> OutboxSummary:
        """Rows per state, the cost of the sent ones per currency, sent rows per delivery
        status. Raises `CampaignNotFoundError`."""
        campaign_id, _ = await self._campaign(campaign)
        backend = self._open()
        counts, prices = await backend.counts(campaign_id)
        cost = {
            currency: sum(map(Decimal, amounts), Decimal(0)) for currency, amounts in prices.items()
        }
        return OutboxSummary(
            counts={state: counts.get(str(state), 0) for state in RowState},
            cost=cost,
            statuses=await backend.status_counts(campaign_id),
            rejected=await backend.reject_count(campaign_id),
        )

    async def results(self, campaign: str, *, page: int = 1_000) -> AsyncIterator[OutboxRow]:
        """Every row of the campaign with its outcome, in the order added, read `page` rows
        at a time (memory stays flat). Raises `CampaignNotFoundError`."""
        campaign_id, _ = await self._campaign(campaign)
        size = rules.integer(page, "page", (1, 100_000))
        backend = self._open()
        after = 0
        while rows := await backend.rows(campaign_id, after, size):
            for row in rows:
                yield row
            after = rows[-1].seq

    async def export_csv(self, campaign: str, path: str | os.PathLike[str]) -> int:
        """Write the campaign's results to a CSV file at `path`: a header, then one line per
        row in the order added (`RESULT_COLUMNS`); returns the rows written.

        The file appears complete or not at all (written beside it, then renamed); the disk
        is written from a worker thread, never on the event loop. Raises
        `CampaignNotFoundError`, `OSError`.
        """

        async def lines() -> AsyncIterator[tuple[object, ...]]:
            async for row in self.results(campaign):
                yield _csv_line(row)

        await self._campaign(campaign)  # raises before the file is touched
        return await write_csv(path, RESULT_COLUMNS, lines())

    # -- sending -----------------------------------------------------------------------------

    async def work(
        self,
        campaign: str,
        bsg: AsyncBSG,
        *,
        worker_id: str | None = None,
        concurrency: int = 8,
        lease: float = 60.0,
        poll: float = 2.0,
        until_done: bool = True,
        max_attempts: int = 10,
        unreachable_after: int = 3,
        max_pause: float = 60.0,
        progress: Callable[[WorkReport], object] | None = None,
    ) -> WorkReport:
        """Deliver the campaign as one worker among any number, until no row is left to send
        (`until_done=False`: until cancelled, waiting for new rows).

        Each of `concurrency` loops claims a chunk under a lease of `lease` seconds (renewed
        while in flight), sends it with `send_many` and the stored references, and records
        every row's outcome when it releases the claim. A chunk whose worker died is taken
        over when its lease expires and sent with `resume=True`. Idle loops wake when rows
        arrive or a chunk is released (PostgreSQL `LISTEN`; on SQLite, from workers sharing
        this `Outbox` only), or every `poll` seconds.

        A row that failed for a passing reason (timeout, connection, 5xx, 429) goes back to
        `pending`, a row whose fate is unknown too; a refusal is final (`failed`), and so is a
        row that failed `max_attempts` claims for a reason other than the connection or a
        rate limit. After `unreachable_after` chunks in a row fail to reach the service, the
        worker stops sending (the rows stay `pending`), logs a warning, and tries one chunk
        again after a pause (doubling up to `max_pause` seconds) until the service answers.

        `worker_id` names this worker in the claims (default: host, pid and a random part);
        `progress`, if given, is called with this worker's tallies so far after each chunk
        it records (on the event loop: keep it quick).
        Raises `CampaignNotFoundError`; an `AuthenticationError` or `AccountError` stops it
        (its rows are put back).
        """
        campaign_id, stored = await self._campaign(campaign)
        options = WorkOptions(
            concurrency=rules.integer(concurrency, "concurrency", (1, 1000)),
            lease=_seconds(lease, "lease"),
            poll=_seconds(poll, "poll"),
            until_done=bool(until_done),
            max_attempts=rules.integer(max_attempts, "max_attempts", (1, 1_000_000)),
            unreachable_after=rules.integer(unreachable_after, "unreachable_after", (1, 1000)),
            max_pause=_seconds(max_pause, "max_pause"),
            progress=progress,
        )
        name = worker_id or f"{socket.gethostname()}:{os.getpid()}:{rules.new_reference()[:8]}"
        worker = Worker(self._open(), bsg, campaign_id, stored, name, options)
        return await worker.run()

    # -- statuses ----------------------------------------------------------------------------

    async def refresh_statuses(self, campaign: str, bsg: AsyncBSG, *, concurrency: int = 16) -> int:
        """Read the delivery status of every sent row whose status may still change
        (`get_many`, by message id, `concurrency` reads at a time) and store it; returns how
        many rows were read. A read that fails leaves the row's status as it was. Raises
        `CampaignNotFoundError`."""
        campaign_id, stored = await self._campaign(campaign)
        backend = self._open()
        channel = bsg.viber if stored.channel == "viber" else bsg.sms
        after = read = 0
        while page := await backend.sent_ids(campaign_id, after, STATUS_PAGE, FINAL_STATUSES):
            after = page[-1][0]
            reports = await channel.get_many([row[2] for row in page], concurrency=concurrency)
            updates = [
                (campaign_id, reference, _status_text(report.status))
                for (_, reference, _), report in zip(page, reports, strict=True)
                if not isinstance(report, LookupFailed)
            ]
            if updates:
                read += await backend.set_statuses(updates)
        return read

    async def record_report(self, report: _Report) -> bool:
        """Store a delivery report for the row with its reference (in any campaign of the
        store); whether a row took it. Use it as the webhook handler:
        `RcsWebhookApp(handler=outbox.record_report)`."""
        if not report.reference:
            return False
        changed = await self._open().set_status_by_reference(
            report.reference, report.id, _status_text(report.status)
        )
        return changed > 0


async def enqueue(connection: Any, campaign: str, messages: Iterable[Addable]) -> int:
    """Add messages to a campaign through **your** asyncpg connection, inside the transaction
    it is in: they are sent only if that transaction commits (an order row and its SMS commit
    together or not at all). Returns how many were new; workers waiting on the campaign wake
    at commit.

    ```python
    async with pool.acquire() as connection, connection.transaction():
        order_id = await connection.fetchval("INSERT INTO orders ... RETURNING id")
        await enqueue(connection, "order-sms", [OutboxMessage(phone, f"order{order_id}")])
    ```
    The store must have been opened once (`Outbox.open(url)`, which creates the schema) and
    the campaign created. Without a transaction open on `connection`, one is opened for the
    call. Raises `CampaignNotFoundError`, `InvalidParameterError`.
    """
    found = await campaign_id_on(connection, campaign)
    if found is None:
        raise CampaignNotFoundError(f"no campaign {campaign!r} in this database")
    campaign_id, settings = found
    stored = OutboxCampaign.from_json(campaign, settings)
    if connection.is_in_transaction():
        return await add_rows_on(
            connection, campaign_id, stored.claim_size, _batches(messages, stored)
        )
    async with connection.transaction():
        return await add_rows_on(
            connection, campaign_id, stored.claim_size, _batches(messages, stored)
        )


async def _batches(
    messages: Iterable[Addable] | AsyncIterable[Addable], campaign: OutboxCampaign
) -> AsyncIterator[list[NewRow]]:
    """The messages as checked rows, `ADD_BATCH` at a time, each reference fixed."""
    if isinstance(messages, str | Recipient | OutboxMessage) or not isinstance(
        messages, Iterable | AsyncIterable
    ):
        raise InvalidParameterError("messages", messages, "expected an iterable of messages")
    max_text = rules.VIBER_TEXT_MAX if campaign.channel == "viber" else None
    references = rules.new_references()
    batch: list[NewRow] = []
    position = 0

    def row(item: object) -> NewRow:
        new: NewRow
        if isinstance(item, str):
            new = (next(references), rules.msisdn(item, f"messages[{position}]"), None, None)
        elif isinstance(item, Recipient):
            new = (item.reference or next(references), item.to, None, None)
        elif isinstance(item, OutboxMessage):
            if item.text is not None and max_text is not None:
                rules.text(item.text, f"messages[{position}].text", max_length=max_text)
            new = (item.reference or next(references), item.to, item.text, item.line)
        else:
            raise InvalidParameterError(
                f"messages[{position}]", item, "expected a phone number, Recipient or OutboxMessage"
            )
        if new[2] is None and campaign.text is None:
            raise InvalidParameterError(
                f"messages[{position}].text", None, "needed: the campaign has no text of its own"
            )
        return new

    if isinstance(messages, AsyncIterable):
        async for item in messages:
            batch.append(row(item))
            position += 1
            if len(batch) >= ADD_BATCH:
                yield batch
                batch = []
    else:
        for item in messages:
            batch.append(row(item))
            position += 1
            if len(batch) >= ADD_BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


RESULT_COLUMNS = (
    "reference",
    "to",
    "state",
    "id",
    "price",
    "currency",
    "status",
    "error_type",
    "error_code",
    "error",
    "may_have_been_accepted",
    "attempts",
)
"""The columns of `Outbox.export_csv`, in order."""


def _csv_line(row: OutboxRow) -> tuple[object, ...]:
    def blank(value: object) -> object:
        return "" if value is None else value

    return (
        row.reference,
        row.to,
        str(row.state),
        blank(row.message_id),
        blank(row.price),
        blank(row.currency),
        blank(row.status),
        blank(row.error_type),
        blank(row.error_code),
        blank(row.error),
        int(row.may_have_been_accepted),
        row.attempts,
    )


def _status_text(status: object) -> str:
    value = status.value if isinstance(status, enum.Enum) else status
    return str(value).lower()


def _seconds(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 86_400:
        raise InvalidParameterError(field, value, "expected seconds, more than 0, at most 86,400")
    return float(value)


def _masked(url: str) -> str:
    """`url` without its password."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, _, host = rest.rpartition("@")
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}" if ":" in credentials else url
