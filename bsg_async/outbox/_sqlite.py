"""The SQLite dialect of the outbox: one file, no server; workers of one machine.

Blocking `sqlite3` calls run in one thread of the store's own, one after another (`_serial`;
a shared connection in WAL mode with `synchronous=FULL`: every committed claim and outcome
survives a power loss). Each step is a `BEGIN IMMEDIATE` transaction, which serializes
writers across processes too, so the claim protocol of `_backend` holds without `SKIP
LOCKED`; steps queued while the thread is busy commit as one (`SqliteBackend._transact`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import AsyncIterable, Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TypeVar, cast

import anyio

from ._backend import NewRow, Signals, StatusUpdate
from ._codec import claimed_rows, outcomes_json, release_done
from ._models import Claim, OutboxCampaign, OutboxReject, OutboxRow, Release, RowState
from ._schema import SCHEMA_VERSION, SQLITE, upgrade
from ._serial import SerialThread

__all__ = ["REPORT", "ROW_PAGE", "STATE_COUNTS", "SqliteBackend"]

T = TypeVar("T")

_NOW = "((julianday('now') - 2440587.5) * 86400.0)"

# Write the outcomes of a released claim's rows (`:outcomes`: `outcomes_json`'s groups, each
# [state, price, currency, error type, error code, error, uncertain, {seq: message id}]) of
# chunk `:chunk`, claim `:attempts` (the caller checked the chunk is still held by it). Each
# group's values are read once (`MATERIALIZED`), then its object is walked once and each row
# found by its `seq`; `+r.chunk_id` keeps the planner off the chunk index, which would have
# it walk the object once per row.
_RELEASE = """
WITH outcome AS MATERIALIZED (
    SELECT json_extract(value, '$[0]') AS state, json_extract(value, '$[1]') AS price,
           json_extract(value, '$[2]') AS currency, json_extract(value, '$[3]') AS error_type,
           json_extract(value, '$[4]') AS error_code, json_extract(value, '$[5]') AS error,
           json_extract(value, '$[6]') AS uncertain, json_extract(value, '$[7]') AS ids
    FROM json_each(:outcomes)
)
UPDATE bsg_outbox_rows AS r
SET state = o.state, message_id = m.value, price = o.price, currency = o.currency,
    error_type = o.error_type, error_code = o.error_code, error = o.error,
    may_have_been_accepted = o.uncertain, attempts = :attempts
FROM outcome AS o, json_each(o.ids) AS m
WHERE r.seq = CAST(m.key AS INTEGER) AND +r.chunk_id = :chunk AND r.state = 'pending'
"""

# The chunk the next claim of campaign `?` (given twice) takes: an expired claim's (the oldest
# expiry first), else a pending one (handed ones first); its id, whether its rows may have
# been handed, whether it is taken over. One statement: the store's thread takes the GIL
# back once per statement, and waits for it while the event loop is busy.
_NEXT_CHUNK = f"""
SELECT * FROM (
    SELECT id, 1, 1 FROM bsg_outbox_chunks WHERE campaign_id = ? AND state = 'claimed'
    AND expires_at < {_NOW} ORDER BY expires_at LIMIT 1)
UNION ALL
SELECT * FROM (
    SELECT id, handed, 0 FROM bsg_outbox_chunks WHERE campaign_id = ? AND state = 'pending'
    ORDER BY handed DESC, id LIMIT 1)
LIMIT 1
"""

_STATE = "CASE WHEN r.state = 'pending' AND c.state = 'claimed' THEN 'claimed' ELSE r.state END"

STATE_COUNTS = (
    f"SELECT {_STATE}, count(*) FROM bsg_outbox_rows AS r "
    "LEFT JOIN bsg_outbox_chunks AS c ON c.id = r.chunk_id WHERE r.campaign_id = {0} GROUP BY 1"
)
"""Rows per state (`claimed`: pending in a claimed chunk) of campaign `{0}` (the parameter's
placeholder, in both dialects)."""

ROW_PAGE = (
    f"SELECT r.seq, r.reference, r.msisdn, r.text, {_STATE}, r.message_id, r.price, "
    "r.currency, r.error_type, r.error_code, r.error, r.may_have_been_accepted, r.status, "
    "CASE WHEN r.state = 'pending' AND c.attempts IS NOT NULL THEN c.attempts "
    "ELSE r.attempts END, r.line FROM bsg_outbox_rows AS r "
    "LEFT JOIN bsg_outbox_chunks AS c ON c.id = r.chunk_id "
    "WHERE r.campaign_id = {0} AND r.seq > {1} ORDER BY r.seq LIMIT {2}"
)
"""Up to `{2}` rows of campaign `{0}` after seq `{1}`, in the order added, in the columns
`outbox_row` reads (a pending row's attempts are its chunk's claims)."""

REPORT = (
    "UPDATE bsg_outbox_rows SET status = {status}, status_at = {now} "
    "WHERE campaign_id IN (SELECT id FROM bsg_outbox_campaigns) AND reference = {reference} "
    "AND state = 'sent' AND (message_id = {message_id} OR message_id IS NULL)"
)
"""Store a status reported for a reference and message id on its sent rows in any campaign,
through each campaign's unique (campaign_id, reference) index: no index on `reference` alone
(see `_schema`). Formatted with each dialect's clock and placeholders."""

_REPORT = REPORT.format(now=_NOW, status="?", reference="?", message_id="?")

_REJECT_COLUMNS = "line, msisdn, reference, error, reason"


class SchemaTooNew(Exception):
    """The store was written by a newer SDK."""


MIN_SQLITE = (3, 35)
"""The oldest SQLite the store's statements run on (`RETURNING`, `MATERIALIZED`)."""


class SqliteTooOld(Exception):
    """Python's `sqlite3` module is linked to a SQLite older than `MIN_SQLITE`."""


def outbox_row(row: Sequence[Any]) -> OutboxRow:
    """An `OutboxRow` from the columns `ROW_PAGE` reads, in that order."""
    (seq, reference, msisdn, text, state, message_id, price, currency) = row[:8]
    (error_type, error_code, error, uncertain, status, attempts, line) = row[8:]
    return OutboxRow(
        seq=int(seq),
        reference=reference,
        to=msisdn,
        text=text,
        state=RowState(state),
        message_id=None if message_id is None else int(message_id),
        price=None if price is None else Decimal(price),
        currency=currency,
        error_type=error_type,
        error_code=error_code,
        error=error,
        may_have_been_accepted=bool(uncertain),
        status=status,
        attempts=int(attempts),
        line=None if line is None else int(line),
    )


def outbox_reject(row: Sequence[Any]) -> OutboxReject:
    """An `OutboxReject` from the columns `_REJECT_COLUMNS` lists, in that order."""
    line, msisdn, reference, error, reason = row
    return OutboxReject(int(line), msisdn, reference, error, reason)


class _Queued(Generic[T]):
    """A transaction waiting for the store's thread (`SqliteBackend._transact`)."""

    __slots__ = ("error", "result", "work")

    def __init__(self, work: Callable[[sqlite3.Connection], T]) -> None:
        self.work = work
        self.result: T | None = None
        self.error: BaseException | None = None

    def outcome(self) -> T:
        """Its result, or raise its error."""
        if self.error is not None:
            raise self.error
        return cast(T, self.result)


class SqliteBackend:
    """The outbox in one SQLite file (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db: sqlite3.Connection | None = None
        self._thread = SerialThread(f"bsg-outbox {path.name}")  # the connection's one thread
        self._lock = anyio.Lock()  # held by a transaction of several calls (`add_rows`)
        self._queued: list[_Queued[Any]] = []  # transactions waiting for the thread
        self._queued_lock = threading.Lock()  # the list is taken by the thread
        self._signals = Signals()

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        return await self._thread.run(function, *args)

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        """One call, in a transaction of its own: after a transaction of several calls that
        is open (the lock is free almost always: then no hand-over through the loop)."""
        if self._lock.locked():
            async with self._lock:
                return await self._run(function, *args)
        return await self._run(function, *args)

    # -- lifecycle ---------------------------------------------------------------------------

    async def migrate(self) -> None:
        """Open the file (creating it) and create or upgrade the schema.

        Another process opening or upgrading the same file at that moment can make SQLite
        refuse at once ("database is locked", without the connection's busy wait; seen with
        two `bsg campaign send` runs of one new file): that is tried again, a little later
        each time, for up to `OPEN_PATIENCE` seconds. Any other error is raised at once.
        """
        if sqlite3.sqlite_version_info < MIN_SQLITE:
            raise SqliteTooOld(sqlite3.sqlite_version)
        waited, pause = 0.0, OPEN_FIRST_PAUSE
        while True:
            try:
                if self._db is None:
                    self._db = await self._run(_connect, self.path)
                await self._call(self._migrate)
                return
            except sqlite3.OperationalError as error:
                if "database is locked" not in str(error) or waited >= OPEN_PATIENCE:
                    raise
            await anyio.sleep(pause)
            waited, pause = waited + pause, min(pause * 2, OPEN_MAX_PAUSE)

    def _migrate(self) -> None:
        db = self._conn
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "CREATE TABLE IF NOT EXISTS bsg_outbox_meta "
                "(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            found = db.execute(
                "SELECT value FROM bsg_outbox_meta WHERE key = 'schema_version'"
            ).fetchone()
            version = int(found[0]) if found else 0
            if version > SCHEMA_VERSION:
                raise SchemaTooNew(version)
            for statement in upgrade(SQLITE, version):
                db.execute(statement)
            db.execute(
                "INSERT INTO bsg_outbox_meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(SCHEMA_VERSION),),
            )
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    @property
    def _conn(self) -> sqlite3.Connection:
        assert self._db is not None, "migrate() opens the store"
        return self._db

    async def aclose(self) -> None:
        """Close the connection (shielded from cancellation)."""
        db, self._db = self._db, None
        if db is not None:
            with anyio.CancelScope(shield=True):
                await self._run(db.close)
        self._thread.close()

    async def _transact(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(db)` in a transaction: with the transactions queued beside it, in one.

        Group commit: each statement's step gives the GIL back, and the thread waits for it
        while the event loop is busy (up to the 5 ms switch interval), so the steps of
        `BEGIN IMMEDIATE` and `COMMIT` (and the commit's `fsync`) were much of what a claim or
        a release held the connection for. Transactions queued while the thread is busy (a
        worker's claims and releases) run as one, each seeing the ones before it; their
        results are given once all are committed, so a claim is still committed before its
        request can leave. If one raises, all are rolled back and run again one at a time,
        so each caller gets its own transaction's result or error.
        """
        queued = _Queued(work)
        with self._queued_lock:
            self._queued.append(queued)
        try:
            # Queued behind the thread's current call; by the time it ends, `queued` has run
            # (in this call's group, or in one an earlier caller's call took it into).
            await self._call(self._commit_queued)
        except BaseException:
            # Cancelled while a transaction of several calls held the lock: unless a group
            # has taken it already (and runs it), it is not to be run by a later one.
            with self._queued_lock:
                if queued in self._queued:
                    self._queued.remove(queued)
            raise
        return queued.outcome()

    def _commit_queued(self) -> None:
        """Run every queued transaction, in one transaction while none raises."""
        db = self._conn  # a closed store raises here, leaving the queue to its callers
        with self._queued_lock:
            group, self._queued = self._queued, []
        if not group:
            return
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                results = [queued.work(db) for queued in group]
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except BaseException as error:
            if db.in_transaction:  # a `COMMIT` that failed leaves it open
                db.execute("ROLLBACK")
            if len(group) == 1:
                group[0].error = error
                return
            for queued in group:  # each alone: the one that raised is told, the rest commit
                try:
                    queued.result = self._transaction(queued.work)
                except BaseException as alone:
                    queued.error = alone
            return
        for queued, result in zip(group, results, strict=True):
            queued.result = result

    def _transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        db = self._conn
        db.execute("BEGIN IMMEDIATE")
        try:
            result = work(db)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
        return result

    # -- campaigns ---------------------------------------------------------------------------

    async def put_campaign(self, campaign: OutboxCampaign) -> int:
        """The campaign's id, created if new (the caller compares the settings)."""

        def put(db: sqlite3.Connection) -> int:
            db.execute(
                "INSERT INTO bsg_outbox_campaigns (name, channel, settings, created_at) "
                f"VALUES (?, ?, ?, {_NOW}) ON CONFLICT (name) DO NOTHING",
                (campaign.name, campaign.channel, campaign.settings_json()),
            )
            found = db.execute(
                "SELECT id FROM bsg_outbox_campaigns WHERE name = ?", (campaign.name,)
            ).fetchone()
            return int(found[0])

        return await self._transact(put)

    async def campaign(self, name: str) -> tuple[int, OutboxCampaign] | None:
        """The stored campaign called `name`, or `None`."""

        def read() -> tuple[int, OutboxCampaign] | None:
            found = self._conn.execute(
                "SELECT id, settings FROM bsg_outbox_campaigns WHERE name = ?", (name,)
            ).fetchone()
            if found is None:
                return None
            return int(found[0]), OutboxCampaign.from_json(name, found[1])

        return await self._call(read)

    # -- rows --------------------------------------------------------------------------------

    async def add_rows(
        self, campaign_id: int, chunk: int, batches: AsyncIterable[Sequence[NewRow]]
    ) -> int:
        """Insert every batch in one transaction, in chunks of `chunk` rows by position; a
        reference already there is skipped (a chunk left without rows is removed)."""
        async with self._lock:
            db = self._conn
            await self._run(db.execute, "BEGIN IMMEDIATE")
            before = db.total_changes
            chunks: list[int] = []  # the ids of this call's chunks, by position // chunk
            position = 0
            try:
                async for batch in batches:
                    await self._run(_add_batch, db, campaign_id, chunk, position, batch, chunks)
                    position += len(batch)
                added = db.total_changes - before - len(chunks)
                if chunks:
                    await self._run(
                        db.execute,
                        "DELETE FROM bsg_outbox_chunks WHERE id BETWEEN ? AND ? AND NOT EXISTS "
                        "(SELECT 1 FROM bsg_outbox_rows WHERE chunk_id = bsg_outbox_chunks.id)",
                        (chunks[0], chunks[-1]),
                    )
            except BaseException:
                with anyio.CancelScope(shield=True):
                    await self._run(db.execute, "ROLLBACK")
                raise
            with anyio.CancelScope(shield=True):
                await self._run(db.execute, "COMMIT")
            self._signals.changed(campaign_id)
            return added

    async def add_rejects(self, campaign_id: int, rejects: Sequence[OutboxReject]) -> int:
        """Keep rejected inputs in one transaction; a line already kept is skipped."""

        def add(db: sqlite3.Connection) -> int:
            before = db.total_changes
            db.executemany(
                f"INSERT INTO bsg_outbox_rejects (campaign_id, {_REJECT_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, line) DO NOTHING",
                [(campaign_id, r.line, r.to, r.reference, r.error, r.reason) for r in rejects],
            )
            return db.total_changes - before

        return await self._transact(add)

    async def rejects(self, campaign_id: int, after_line: int, limit: int) -> list[OutboxReject]:
        """A page of rejected inputs, by line."""
        found = await self._call(
            self._page,
            _REJECT_COLUMNS,
            "bsg_outbox_rejects",
            "line",
            campaign_id,
            after_line,
            limit,
        )
        return [outbox_reject(row) for row in found]

    async def reject_count(self, campaign_id: int) -> int:
        """How many inputs were rejected."""

        def read() -> int:
            found = self._conn.execute(
                "SELECT COUNT(*) FROM bsg_outbox_rejects WHERE campaign_id = ?", (campaign_id,)
            ).fetchone()
            return int(found[0])

        return await self._call(read)

    async def claim(self, campaign_id: int, worker: str, lease: float) -> Claim | None:
        """Claim a chunk: an expired claim's, else a pending one (handed ones first); a chunk
        left without unfinished rows is marked done and the next one claimed."""

        def claim(db: sqlite3.Connection) -> tuple[int, int, int, int, str] | None:
            while True:
                found = db.execute(_NEXT_CHUNK, (campaign_id, campaign_id)).fetchone()
                if found is None:
                    return None
                chunk, handed, taken = found
                # The rows as one JSON value returned by the claim's statement: one step, so
                # this thread takes the GIL back once, not once per row. `NULL` for none.
                # The four arrays are filled in one pass, so they are aligned whatever the
                # order; the rows come in the `chunk_id` index's order, `seq` within a chunk
                # (SQLite before 3.44 has no `ORDER BY` inside an aggregate).
                attempts, document = db.execute(
                    "UPDATE bsg_outbox_chunks SET state = 'claimed', handed = 1, "
                    f"attempts = attempts + 1, worker = ?, expires_at = {_NOW} + ? "
                    "WHERE id = ? RETURNING attempts, (SELECT CASE WHEN count(*) > 0 THEN "
                    "json_array(json_group_array(seq), json_group_array(reference), "
                    "json_group_array(msisdn), json_group_array(text)) END "
                    "FROM bsg_outbox_rows "
                    "WHERE chunk_id = bsg_outbox_chunks.id AND state = 'pending')",
                    (worker, lease, chunk),
                ).fetchone()
                if document is not None:
                    return chunk, handed, taken, attempts, document
                db.execute(
                    "UPDATE bsg_outbox_chunks SET state = 'done', worker = NULL, "
                    "expires_at = NULL WHERE id = ?",
                    (chunk,),
                )

        found = await self._transact(claim)
        if found is None:
            return None
        # Decoded here, once the store's one connection is free for the next statement.
        chunk, handed, taken, attempts, document = found
        seqs, recipients, texts = claimed_rows(*json.loads(document))
        return Claim(
            chunk, campaign_id, bool(handed), seqs, recipients, texts, bool(taken), attempts
        )

    async def renew(self, claim: Claim, lease: float) -> bool:
        """Extend the lease; `False` if the claim was taken over."""

        def renew(db: sqlite3.Connection) -> bool:
            cursor = db.execute(
                f"UPDATE bsg_outbox_chunks SET expires_at = {_NOW} + ? "
                "WHERE id = ? AND attempts = ? AND state = 'claimed'",
                (lease, claim.id, claim.generation),
            )
            return cursor.rowcount == 1

        return await self._transact(renew)

    async def release(self, claim: Claim, outcomes: Release) -> int:
        """Record the outcomes of rows while the chunk is still held by this claim, and
        release the chunk.

        The outcomes go in as one JSON parameter of one statement (`outcomes_json`): a
        worker thread that waited for the event loop's GIL once per row (`executemany`)
        would hold the store's one connection for as long.
        """
        document = outcomes_json(outcomes)
        done = release_done(claim, outcomes)

        def release(db: sqlite3.Connection) -> int:
            held = db.execute(
                "UPDATE bsg_outbox_chunks SET state = ?, worker = NULL, expires_at = NULL "
                "WHERE id = ? AND attempts = ? AND state = 'claimed'",
                ("done" if done else "pending", claim.id, claim.generation),
            )
            if held.rowcount != 1:
                return 0  # taken over: the claim that holds the chunk records its rows
            before = db.total_changes
            db.execute(
                _RELEASE,
                {"outcomes": document, "attempts": claim.generation, "chunk": claim.id},
            )
            return db.total_changes - before

        recorded: int = await self._transact(release)
        # Rows may be pending again, or the campaign done: idle workers on this store look
        # again (another worker's claimers, which its own last release does not wake).
        self._signals.changed(claim.campaign_id)
        return recorded

    async def reserve(self, campaign_id: int, count: int, rate: float) -> float:
        """Take `count / rate` seconds of the campaign's shared schedule; the wait first."""

        def reserve(db: sqlite3.Connection) -> float:
            step = count / rate
            found = db.execute(
                f"UPDATE bsg_outbox_campaigns SET rate_next = MAX(rate_next, {_NOW}) + ? "
                f"WHERE id = ? RETURNING rate_next - ? - {_NOW}",
                (step, campaign_id, step),
            ).fetchone()
            return max(0.0, float(found[0]))

        return await self._transact(reserve)

    # -- reading -----------------------------------------------------------------------------

    async def unfinished(self, campaign_id: int) -> bool:
        """Whether a `pending` row or a claim of the campaign exists."""

        def read() -> bool:
            found = self._conn.execute(
                "SELECT EXISTS (SELECT 1 FROM bsg_outbox_chunks WHERE campaign_id = ? "
                "AND state = 'pending') OR EXISTS (SELECT 1 FROM bsg_outbox_chunks "
                "WHERE campaign_id = ? AND state = 'claimed')",
                (campaign_id, campaign_id),
            ).fetchone()
            return bool(found[0])

        return await self._call(read)

    async def counts(self, campaign_id: int) -> tuple[dict[str, int], dict[str, list[str]]]:
        """Rows per state and the sent rows' prices per currency."""

        def read() -> tuple[dict[str, int], dict[str, list[str]]]:
            db = self._conn
            counts = {
                str(state): int(count)
                for state, count in db.execute(STATE_COUNTS.format("?"), (campaign_id,))
            }
            prices: dict[str, list[str]] = {}
            for currency, price in db.execute(
                "SELECT currency, price FROM bsg_outbox_rows WHERE campaign_id = ? "
                "AND state = 'sent' AND price IS NOT NULL",
                (campaign_id,),
            ):
                prices.setdefault(currency or "", []).append(price)
            return counts, prices

        return await self._call(read)

    async def status_counts(self, campaign_id: int) -> dict[str, int]:
        """Sent rows per delivery status."""

        def read() -> dict[str, int]:
            return {
                str(status or ""): int(count)
                for status, count in self._conn.execute(
                    "SELECT status, COUNT(*) FROM bsg_outbox_rows WHERE campaign_id = ? "
                    "AND state = 'sent' GROUP BY status",
                    (campaign_id,),
                )
            }

        return await self._call(read)

    async def rows(self, campaign_id: int, after_seq: int, limit: int) -> list[OutboxRow]:
        """A page of rows in the order added."""
        found = await self._call(
            lambda: self._conn.execute(
                ROW_PAGE.format("?", "?", "?"), (campaign_id, after_seq, limit)
            ).fetchall()
        )
        return [outbox_row(row) for row in found]

    def _page(
        self, columns: str, table: str, key: str, campaign_id: int, after: int, limit: int
    ) -> list[Any]:
        """Up to `limit` of the campaign's entries of `table` after `after`, by `key`."""
        return self._conn.execute(
            f"SELECT {columns} FROM {table} WHERE campaign_id = ? AND {key} > ? "
            f"ORDER BY {key} LIMIT ?",
            (campaign_id, after, limit),
        ).fetchall()

    async def sent_ids(
        self, campaign_id: int, after_seq: int, limit: int, final: Sequence[str]
    ) -> list[tuple[int, str, int]]:
        """Sent rows whose delivery status may still change."""

        def read() -> list[tuple[int, str, int]]:
            marks = ", ".join("?" for _ in final) or "''"
            return [
                (int(seq), str(reference), int(message_id))
                for seq, reference, message_id in self._conn.execute(
                    "SELECT seq, reference, message_id FROM bsg_outbox_rows "
                    "WHERE campaign_id = ? AND seq > ? AND state = 'sent' "
                    f"AND message_id IS NOT NULL AND (status IS NULL OR status NOT IN ({marks})) "
                    "ORDER BY seq LIMIT ?",
                    (campaign_id, after_seq, *final, limit),
                )
            ]

        return await self._call(read)

    async def set_statuses(self, updates: Sequence[StatusUpdate]) -> int:
        """Store delivery statuses by campaign and reference."""

        def write(db: sqlite3.Connection) -> int:
            before = db.total_changes
            db.executemany(
                f"UPDATE bsg_outbox_rows SET status = ?, status_at = {_NOW} "
                "WHERE campaign_id = ? AND reference = ?",
                ((status, campaign_id, reference) for campaign_id, reference, status in updates),
            )
            return db.total_changes - before

        return await self._transact(write)

    async def set_status_by_reference(self, reference: str, message_id: int, status: str) -> int:
        """Store a reported status for the reference's sent row(s)."""

        def write(db: sqlite3.Connection) -> int:
            return db.execute(_REPORT, (status, reference, message_id)).rowcount

        return await self._transact(write)

    def watch(self, campaign_id: int) -> anyio.Event:
        """The event the next change by this store object sets (SQLite cannot notify other
        processes: they find new rows by polling)."""
        return self._signals.watch(campaign_id)


OPEN_PATIENCE = 30.0
"""Seconds `migrate` goes on trying when another process holds the new file's lock."""
OPEN_FIRST_PAUSE, OPEN_MAX_PAUSE = 0.05, 1.0


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
    except BaseException:
        db.close()
        raise
    return db


def _add_batch(
    db: sqlite3.Connection,
    campaign_id: int,
    chunk: int,
    position: int,
    batch: Sequence[NewRow],
    chunks: list[int],
) -> None:
    """Insert a batch of rows whose first is at `position`, making the chunks they need
    (appended to `chunks`, this call's, one per `chunk` positions)."""
    rows = []
    for offset, row in enumerate(batch, position):
        part = offset // chunk
        if part == len(chunks):
            cursor = db.execute(
                "INSERT INTO bsg_outbox_chunks (campaign_id) VALUES (?)", (campaign_id,)
            )
            assert cursor.lastrowid is not None
            chunks.append(cursor.lastrowid)
        rows.append((campaign_id, *row, chunks[part]))
    db.executemany(
        "INSERT INTO bsg_outbox_rows (campaign_id, reference, msisdn, text, line, chunk_id) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (campaign_id, reference) DO NOTHING",
        rows,
    )
