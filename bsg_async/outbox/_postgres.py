"""The PostgreSQL dialect of the outbox (asyncpg): any number of workers on any machines.

- Schema changes run under a transaction-level advisory lock, so many workers starting at once
  migrate it once.
- Rows are added with `COPY` into a temporary table, then one `INSERT ... SELECT ... ON
  CONFLICT DO NOTHING` (idempotent by reference), and `pg_notify` in the same transaction.
- Claims pick rows and expired claims with `FOR UPDATE SKIP LOCKED`: workers never wait for
  each other, and no row is in two live claims.
- Outcomes are written in one `UPDATE ... FROM unnest(...)` per chunk. The store's connections
  plan every statement for its own arguments (`plan_cache_mode = force_custom_plan`): a
  generic plan, reused from a prepared statement's sixth run, guesses 10 elements per array
  and joined a 1,000-row chunk's outcomes by scanning them once per row.
- Idle workers `LISTEN` on one connection per store and wake when rows are added (or put back).
- A connection goes back to the pool without asyncpg's reset query (`_keep_session`): one
  round trip fewer per claim, renewal and release.
- Times are the database's (`clock_timestamp()`), the same for every machine.

`asyncpg` is imported only when a `postgresql://` store is opened (the `postgres` extra).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterable, AsyncIterator, Sequence
from typing import Any

import anyio
import attrs

from ._backend import SCHEMA_VERSION, NewRow, Signals, StatusUpdate
from ._models import (
    Claim,
    ClaimedRow,
    OutboxCampaign,
    OutboxReject,
    OutboxRow,
    RowOutcome,
    RowState,
)
from ._sqlite import (
    _REJECT_COLUMNS,
    _ROW_COLUMNS,
    REJECTS_TABLE,
    SchemaTooNew,
    outbox_reject,
    outbox_row,
)

__all__ = ["CHANNEL", "PostgresBackend", "add_rows_on", "campaign_id_on", "release_arguments"]

CHANNEL = "bsg_outbox"
"""The `LISTEN`/`NOTIFY` channel; the payload is the campaign id."""

ANALYZE_AFTER = 10_000
"""Rows added at once after which the store refreshes the table's planner statistics."""

_MIGRATION_LOCK = 0x6273675F6F7574  # "bsg_out": the advisory lock of schema changes

_NOW = "extract(epoch FROM clock_timestamp())::float8"

_SCHEMA_V1 = (
    """CREATE TABLE IF NOT EXISTS bsg_outbox_campaigns (
        id BIGSERIAL PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        settings TEXT NOT NULL,
        rate_next DOUBLE PRECISION NOT NULL DEFAULT 0,
        created_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS bsg_outbox_claims (
        id BIGSERIAL PRIMARY KEY,
        campaign_id BIGINT NOT NULL,
        worker TEXT NOT NULL,
        resume BOOLEAN NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS bsg_outbox_claims_expiry "
    "ON bsg_outbox_claims (campaign_id, expires_at)",
    """CREATE TABLE IF NOT EXISTS bsg_outbox_rows (
        seq BIGSERIAL PRIMARY KEY,
        campaign_id BIGINT NOT NULL,
        reference TEXT NOT NULL,
        msisdn TEXT NOT NULL,
        text TEXT,
        state TEXT NOT NULL DEFAULT 'pending',
        handed BOOLEAN NOT NULL DEFAULT false,
        claim_id BIGINT,
        attempts INTEGER NOT NULL DEFAULT 0,
        message_id BIGINT,
        price TEXT,
        currency TEXT,
        error_type TEXT,
        error_code INTEGER,
        error TEXT,
        may_have_been_accepted BOOLEAN NOT NULL DEFAULT false,
        status TEXT,
        status_at DOUBLE PRECISION,
        UNIQUE (campaign_id, reference)
    )""",
    # Partial indexes: a row is in each only in the state that needs it, so claiming and
    # releasing a row inserts as few index entries as possible.
    "CREATE INDEX IF NOT EXISTS bsg_outbox_rows_to_claim "
    "ON bsg_outbox_rows (campaign_id, handed DESC, seq) WHERE state = 'pending'",
    "CREATE INDEX IF NOT EXISTS bsg_outbox_rows_by_claim ON bsg_outbox_rows (claim_id) "
    "WHERE claim_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS bsg_outbox_rows_by_reference ON bsg_outbox_rows (reference) "
    "WHERE state = 'sent'",
)

# Version 2: rows keep the caller's source line; inputs that cannot be sent are kept.
_SCHEMA_V2 = ("ALTER TABLE bsg_outbox_rows ADD COLUMN IF NOT EXISTS line BIGINT", REJECTS_TABLE)


# Pick up to $2 pending rows (handed ones first; a claim never mixes handed and fresh rows),
# create the claim ($3 the worker, $4 the lease) and mark the rows, in one statement.
_CLAIM_PENDING = f"""
WITH picked AS (
    SELECT seq, handed FROM bsg_outbox_rows
    WHERE campaign_id = $1 AND state = 'pending'
    ORDER BY handed DESC, seq LIMIT $2 FOR UPDATE SKIP LOCKED
), kind AS (
    SELECT bool_or(handed) AS handed FROM picked
), claim AS (
    INSERT INTO bsg_outbox_claims (campaign_id, worker, resume, expires_at)
    SELECT $1, $3, kind.handed, {_NOW} + $4 FROM kind WHERE kind.handed IS NOT NULL
    RETURNING id, resume
)
UPDATE bsg_outbox_rows AS r
SET state = 'claimed', claim_id = claim.id, handed = true, attempts = r.attempts + 1
FROM picked, claim
WHERE r.seq = picked.seq AND picked.handed = claim.resume
RETURNING r.seq, r.reference, r.msisdn, r.text, r.attempts, claim.id, claim.resume
"""

# Delete claim $2 of campaign $1, write the outcomes ($3..$11, by the row's `seq`) of the
# rows it still holds, put its other rows back to pending, and notify ($12) when idle workers
# have a reason to look again: rows pending again ($13: an outcome is pending; or rows left),
# or no claim of the campaign left (it may be done); the number of outcomes written. The rows
# are found by claim alone (the partial index answers without reading the whole campaign)
# and hash-joined with the outcomes, in a plan made for these arrays (a generic plan would
# guess 10 outcomes and scan them once per row: see the module docstring).
_RELEASE = """
WITH claim AS (
    DELETE FROM bsg_outbox_claims WHERE id = $2 RETURNING id
), outcome AS (
    SELECT * FROM unnest($3::bigint[], $4::text[], $5::bigint[], $6::text[], $7::text[],
                         $8::text[], $9::int[], $10::text[], $11::bool[])
        AS u(seq, state, message_id, price, currency, error_type, error_code, error,
             uncertain)
), done AS (
    UPDATE bsg_outbox_rows AS r
    SET state = o.state, message_id = o.message_id, price = o.price, currency = o.currency,
        error_type = o.error_type, error_code = o.error_code, error = o.error,
        may_have_been_accepted = o.uncertain, claim_id = NULL
    FROM outcome AS o, claim
    WHERE r.claim_id = claim.id AND r.seq = o.seq
    RETURNING r.seq
), rest AS (
    UPDATE bsg_outbox_rows AS r SET state = 'pending', claim_id = NULL
    FROM claim
    WHERE r.claim_id = claim.id AND r.seq NOT IN (SELECT seq FROM done)
    RETURNING r.seq
)
SELECT (SELECT count(*) FROM done) AS recorded,
       CASE WHEN EXISTS (SELECT 1 FROM claim) AND ($13 OR EXISTS (SELECT 1 FROM rest)
                 OR NOT EXISTS (SELECT 1 FROM bsg_outbox_claims
                                WHERE campaign_id = $1 AND id <> $2))
            THEN pg_notify($12, $1::bigint::text) END AS notified
"""


async def _keep_session(connection: Any) -> None:
    """The pool's reset of a connection given back: nothing more than asyncpg's own (it
    rolls back an open transaction). Its default also sends `SELECT pg_advisory_unlock_all();
    CLOSE ALL; UNLISTEN *; RESET ALL`, a round trip per use; the store takes no session
    lock (its advisory lock is the transaction's), opens no cursor, listens on a
    connection of its own and sets nothing in a session."""


def _import_asyncpg() -> Any:
    try:
        return importlib.import_module("asyncpg")  # untyped: used through `Any`
    except ImportError as exc:  # pragma: no cover - the extra is part of `test`
        raise ModuleNotFoundError(
            "a postgresql:// outbox needs asyncpg: pip install 'bsg-async[postgres]'"
        ) from exc


async def campaign_id_on(connection: Any, name: str) -> tuple[int, str] | None:
    """The id and settings of the campaign called `name`, read on `connection`."""
    found = await connection.fetchrow(
        "SELECT id, settings FROM bsg_outbox_campaigns WHERE name = $1", name
    )
    return None if found is None else (int(found[0]), str(found[1]))


async def add_rows_on(
    connection: Any, campaign_id: int, batches: AsyncIterable[Sequence[NewRow]]
) -> int:
    """Add rows on `connection`, inside the transaction it is in (the caller's); how many were
    new. `COPY` into a temporary table dropped at commit, then one idempotent insert and a
    notification, both taking effect only if the caller's transaction commits."""
    await connection.execute(
        "CREATE TEMPORARY TABLE IF NOT EXISTS bsg_outbox_incoming "
        "(reference TEXT NOT NULL, msisdn TEXT NOT NULL, text TEXT, line BIGINT) "
        "ON COMMIT DELETE ROWS"
    )
    await connection.execute("TRUNCATE bsg_outbox_incoming")

    async def records() -> AsyncIterator[NewRow]:
        async for batch in batches:
            for row in batch:
                yield row

    await connection.copy_records_to_table(
        "bsg_outbox_incoming",
        records=records(),
        columns=("reference", "msisdn", "text", "line"),
    )
    status = await connection.execute(
        "INSERT INTO bsg_outbox_rows (campaign_id, reference, msisdn, text, line) "
        "SELECT $1, reference, msisdn, text, line FROM bsg_outbox_incoming "
        "ON CONFLICT (campaign_id, reference) DO NOTHING",
        campaign_id,
    )
    added = int(status.rsplit(" ", 1)[-1])
    if added:
        await connection.execute("SELECT pg_notify($1, $2)", CHANNEL, str(campaign_id))
    return added


class PostgresBackend:
    """The outbox in a PostgreSQL database (see the module docstring)."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self._pool_size = pool_size
        self._pool: Any = None
        self._listener: Any = None
        self._signals = Signals()  # set by this store's LISTEN connection

    async def migrate(self) -> None:
        """Connect, create or upgrade the schema under the advisory lock, and `LISTEN`."""
        asyncpg = _import_asyncpg()
        if self._pool is None:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self._pool_size,
                server_settings={"plan_cache_mode": "force_custom_plan"},
                reset=_keep_session,
            )
        async with self._pool.acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
            await db.execute(
                "CREATE TABLE IF NOT EXISTS bsg_outbox_meta "
                "(key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            found = await db.fetchval(
                "SELECT value FROM bsg_outbox_meta WHERE key = 'schema_version'"
            )
            version = int(found) if found is not None else 0
            if version > SCHEMA_VERSION:
                raise SchemaTooNew(version)
            if version < 1:
                for statement in _SCHEMA_V1:
                    await db.execute(statement)
            if version < 2:
                for statement in _SCHEMA_V2:
                    await db.execute(statement)
            await db.execute(
                "INSERT INTO bsg_outbox_meta (key, value) VALUES ('schema_version', $1) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                str(SCHEMA_VERSION),
            )
        if self._listener is None:
            self._listener = await asyncpg.connect(self.url)
            await self._listener.add_listener(CHANNEL, self._notified)

    def _notified(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        try:
            campaign_id = int(payload)
        except ValueError:  # pragma: no cover - not one of ours
            return
        self._signals.changed(campaign_id)

    async def aclose(self) -> None:
        """Close the listening connection and the pool (shielded from cancellation)."""
        listener, self._listener = self._listener, None
        pool, self._pool = self._pool, None
        with anyio.CancelScope(shield=True):
            if listener is not None:
                await listener.close()
            if pool is not None:
                await pool.close()

    # -- campaigns ---------------------------------------------------------------------------

    async def put_campaign(self, campaign: OutboxCampaign) -> int:
        """The campaign's id, created if new (the caller compares the settings)."""
        async with self._pool.acquire() as db:
            await db.execute(
                "INSERT INTO bsg_outbox_campaigns (name, channel, settings, created_at) "
                f"VALUES ($1, $2, $3, {_NOW}) ON CONFLICT (name) DO NOTHING",
                campaign.name,
                campaign.channel,
                campaign.settings_json(),
            )
            return int(
                await db.fetchval(
                    "SELECT id FROM bsg_outbox_campaigns WHERE name = $1", campaign.name
                )
            )

    async def campaign(self, name: str) -> tuple[int, OutboxCampaign] | None:
        """The stored campaign called `name`, or `None`."""
        async with self._pool.acquire() as db:
            found = await campaign_id_on(db, name)
        if found is None:
            return None
        return found[0], OutboxCampaign.from_json(name, found[1])

    # -- rows --------------------------------------------------------------------------------

    async def add_rows(self, campaign_id: int, batches: AsyncIterable[Sequence[NewRow]]) -> int:
        """`add_rows_on` in a transaction of the store's own; after a large load, the
        table's statistics are refreshed so the claims' plans use the indexes at once."""
        async with self._pool.acquire() as db:
            async with db.transaction():
                added = await add_rows_on(db, campaign_id, batches)
            if added >= ANALYZE_AFTER:
                await db.execute("ANALYZE bsg_outbox_rows")
        return added

    async def add_rejects(self, campaign_id: int, rejects: Sequence[OutboxReject]) -> int:
        """Keep rejected inputs in one statement; a line already kept is skipped."""
        if not rejects:
            return 0
        # One array per column, in `_REJECT_COLUMNS` order.
        columns = [list(column) for column in zip(*map(attrs.astuple, rejects), strict=True)]
        statement = (
            f"INSERT INTO bsg_outbox_rejects (campaign_id, {_REJECT_COLUMNS}) SELECT $1, * FROM "
            "unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[]) "
            "ON CONFLICT (campaign_id, line) DO NOTHING"
        )
        async with self._pool.acquire() as db:
            status = await db.execute(statement, campaign_id, *columns)
        return int(status.rsplit(" ", 1)[-1])

    async def rejects(self, campaign_id: int, after_line: int, limit: int) -> list[OutboxReject]:
        """A page of rejected inputs, by line."""
        found = await self._page(
            _REJECT_COLUMNS, "bsg_outbox_rejects", "line", campaign_id, after_line, limit
        )
        return [outbox_reject(tuple(row)) for row in found]

    async def reject_count(self, campaign_id: int) -> int:
        """How many inputs were rejected."""
        async with self._pool.acquire() as db:
            return int(
                await db.fetchval(
                    "SELECT count(*) FROM bsg_outbox_rejects WHERE campaign_id = $1", campaign_id
                )
            )

    async def claim(self, campaign_id: int, worker: str, limit: int, lease: float) -> Claim | None:
        """Claim a chunk: an expired claim, else handed pending rows, else fresh ones.

        The usual case costs two statements and no explicit transaction: a look for an expired
        claim (without locking), then one statement that picks the rows (`SKIP LOCKED`: the
        handed ones first, and never handed and fresh ones together), inserts the claim and
        marks the rows, atomically.
        """
        async with self._pool.acquire() as db:
            expired = await db.fetchval(
                "SELECT 1 FROM bsg_outbox_claims WHERE campaign_id = $1 "
                f"AND expires_at < {_NOW} LIMIT 1",
                campaign_id,
            )
            if expired is not None:
                taken = await self._take_over(db, campaign_id, worker, lease)
                if taken is not None:
                    return taken
            found = await db.fetch(_CLAIM_PENDING, campaign_id, limit, worker, lease)
        if not found:
            return None
        return Claim(int(found[0][5]), campaign_id, bool(found[0][6]), _rows(found))

    async def _take_over(
        self, db: Any, campaign_id: int, worker: str, lease: float
    ) -> Claim | None:
        """Move the rows of an expired claim (locked, or skipped if another worker has it) to
        a new claim of this worker."""
        async with db.transaction():
            expired = await db.fetchval(
                "SELECT id FROM bsg_outbox_claims WHERE campaign_id = $1 "
                f"AND expires_at < {_NOW} ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED",
                campaign_id,
            )
            if expired is None:
                return None
            new = await self._new_claim(db, campaign_id, worker, True, lease)
            found = await db.fetch(
                "UPDATE bsg_outbox_rows SET claim_id = $1, attempts = attempts + 1 "
                "WHERE claim_id = $2 AND state = 'claimed' "
                "RETURNING seq, reference, msisdn, text, attempts",
                new,
                expired,
            )
            await db.execute("DELETE FROM bsg_outbox_claims WHERE id = $1", expired)
            if found:
                return Claim(new, campaign_id, True, _rows(found), taken_over=True)
            await db.execute("DELETE FROM bsg_outbox_claims WHERE id = $1", new)
            return None

    @staticmethod
    async def _new_claim(db: Any, campaign_id: int, worker: str, resume: bool, lease: float) -> int:
        return int(
            await db.fetchval(
                "INSERT INTO bsg_outbox_claims (campaign_id, worker, resume, expires_at) "
                f"VALUES ($1, $2, $3, {_NOW} + $4) RETURNING id",
                campaign_id,
                worker,
                resume,
                lease,
            )
        )

    async def renew(self, claim_id: int, lease: float) -> bool:
        """Extend the lease; `False` if the claim was taken over."""
        async with self._pool.acquire() as db:
            status = await db.execute(
                f"UPDATE bsg_outbox_claims SET expires_at = {_NOW} + $1 WHERE id = $2",
                lease,
                claim_id,
            )
        return bool(status == "UPDATE 1")

    async def release(self, claim: Claim, outcomes: Sequence[RowOutcome]) -> int:
        """Record the outcomes of rows this claim still holds; the claim is deleted.

        One statement: deleting the claim locks it first (the order a takeover locks in, so
        the two wait for each other and never deadlock), and an empty deletion (the claim was
        taken over) writes nothing.
        """
        async with self._pool.acquire() as db:
            recorded = await db.fetchval(_RELEASE, *release_arguments(claim, outcomes))
        return int(recorded)

    async def reserve(self, campaign_id: int, count: int, rate: float) -> float:
        """Take `count / rate` seconds of the campaign's shared schedule; the wait first."""
        step = count / rate
        async with self._pool.acquire() as db:
            wait = await db.fetchval(
                f"WITH t AS (SELECT {_NOW} AS now) "
                "UPDATE bsg_outbox_campaigns SET rate_next = GREATEST(rate_next, t.now) + $2 "
                "FROM t WHERE id = $1 RETURNING rate_next - $2 - t.now",
                campaign_id,
                step,
            )
        return max(0.0, float(wait))

    # -- reading -----------------------------------------------------------------------------

    async def unfinished(self, campaign_id: int) -> bool:
        """Whether a `pending` row or a claim of the campaign exists."""
        async with self._pool.acquire() as db:
            return bool(
                await db.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM bsg_outbox_rows WHERE campaign_id = $1 "
                    "AND state = 'pending') OR EXISTS (SELECT 1 FROM bsg_outbox_claims "
                    "WHERE campaign_id = $1)",
                    campaign_id,
                )
            )

    async def counts(self, campaign_id: int) -> tuple[dict[str, int], dict[str, list[str]]]:
        """Rows per state and the sent rows' cost per currency (summed by the database)."""
        async with self._pool.acquire() as db:
            counts = {
                str(state): int(count)
                for state, count in await db.fetch(
                    "SELECT state, COUNT(*) FROM bsg_outbox_rows WHERE campaign_id = $1 "
                    "GROUP BY state",
                    campaign_id,
                )
            }
            prices = {
                str(currency or ""): [str(total)]
                for currency, total in await db.fetch(
                    "SELECT currency, SUM(price::numeric) FROM bsg_outbox_rows "
                    "WHERE campaign_id = $1 AND state = 'sent' AND price IS NOT NULL "
                    "GROUP BY currency",
                    campaign_id,
                )
            }
        return counts, prices

    async def status_counts(self, campaign_id: int) -> dict[str, int]:
        """Sent rows per delivery status."""
        async with self._pool.acquire() as db:
            return {
                str(status or ""): int(count)
                for status, count in await db.fetch(
                    "SELECT status, COUNT(*) FROM bsg_outbox_rows WHERE campaign_id = $1 "
                    "AND state = 'sent' GROUP BY status",
                    campaign_id,
                )
            }

    async def rows(self, campaign_id: int, after_seq: int, limit: int) -> list[OutboxRow]:
        """A page of rows in the order added."""
        found = await self._page(
            _ROW_COLUMNS, "bsg_outbox_rows", "seq", campaign_id, after_seq, limit
        )
        return [outbox_row(tuple(row)) for row in found]

    async def _page(
        self, columns: str, table: str, key: str, campaign_id: int, after: int, limit: int
    ) -> list[Any]:
        """Up to `limit` of the campaign's entries of `table` after `after`, by `key`."""
        async with self._pool.acquire() as db:
            return list(
                await db.fetch(
                    f"SELECT {columns} FROM {table} WHERE campaign_id = $1 AND {key} > $2 "
                    f"ORDER BY {key} LIMIT $3",
                    campaign_id,
                    after,
                    limit,
                )
            )

    async def sent_ids(
        self, campaign_id: int, after_seq: int, limit: int, final: Sequence[str]
    ) -> list[tuple[int, str, int]]:
        """Sent rows whose delivery status may still change."""
        async with self._pool.acquire() as db:
            found = await db.fetch(
                "SELECT seq, reference, message_id FROM bsg_outbox_rows WHERE campaign_id = $1 "
                "AND seq > $2 AND state = 'sent' AND message_id IS NOT NULL "
                "AND (status IS NULL OR NOT status = ANY($4::text[])) ORDER BY seq LIMIT $3",
                campaign_id,
                after_seq,
                limit,
                list(final),
            )
        return [(int(seq), str(reference), int(message_id)) for seq, reference, message_id in found]

    async def set_statuses(self, updates: Sequence[StatusUpdate]) -> int:
        """Store delivery statuses by campaign and reference, in one statement."""
        async with self._pool.acquire() as db:
            status = await db.execute(
                f"UPDATE bsg_outbox_rows AS r SET status = u.status, status_at = {_NOW} "
                "FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(campaign_id, reference, "
                "status) WHERE r.campaign_id = u.campaign_id AND r.reference = u.reference",
                [u[0] for u in updates],
                [u[1] for u in updates],
                [u[2] for u in updates],
            )
        return int(status.rsplit(" ", 1)[-1])

    async def set_status_by_reference(self, reference: str, message_id: int, status: str) -> int:
        """Store a reported status for the reference's sent row(s)."""
        async with self._pool.acquire() as db:
            result = await db.execute(
                f"UPDATE bsg_outbox_rows SET status = $1, status_at = {_NOW} "
                "WHERE reference = $2 AND state = 'sent' "
                "AND (message_id = $3 OR message_id IS NULL)",
                status,
                reference,
                message_id,
            )
        return int(result.rsplit(" ", 1)[-1])

    def watch(self, campaign_id: int) -> anyio.Event:
        """The event the next notification about the campaign (from any worker) sets."""
        return self._signals.watch(campaign_id)


def release_arguments(claim: Claim, outcomes: Sequence[RowOutcome]) -> tuple[Any, ...]:
    """The arguments of `_RELEASE`: one array per column of the outcomes, rows by `seq`."""
    seqs = {row.reference: row.seq for row in claim.rows}
    return (
        claim.campaign_id,
        claim.id,
        [seqs.get(o.reference) for o in outcomes],
        [str(o.state) for o in outcomes],
        [o.message_id for o in outcomes],
        [None if o.price is None else str(o.price) for o in outcomes],
        [o.currency for o in outcomes],
        [o.error_type for o in outcomes],
        [o.error_code for o in outcomes],
        [o.error for o in outcomes],
        [o.may_have_been_accepted for o in outcomes],
        CHANNEL,
        any(o.state is RowState.PENDING for o in outcomes),
    )


def _rows(found: Sequence[Any]) -> tuple[ClaimedRow, ...]:
    rows = [ClaimedRow(int(r[0]), r[1], r[2], r[3], int(r[4])) for r in found]
    rows.sort(key=lambda row: row.seq)
    return tuple(rows)
