"""The PostgreSQL dialect of the outbox (asyncpg): any number of workers on any machines.

- Schema changes run under a transaction-level advisory lock, so many workers starting at once
  migrate it once.
- Rows are added with `COPY` into a temporary table, then one statement that gives them their
  chunks and inserts them (`ON CONFLICT DO NOTHING`: idempotent by reference), and
  `pg_notify` in the same transaction.
- A claim is one statement: it picks a chunk (an expired claim's, else a pending one) with
  `FOR UPDATE SKIP LOCKED`, so workers never wait for each other and no chunk is in two live
  claims, marks it, and reads its unfinished rows; nothing is written to the rows.
- Outcomes are written with the chunk's release, in one statement: the outcomes go as one
  JSON parameter (`outcomes_json`, as on SQLite; asyncpg checked each element of nine arrays,
  about a millisecond of the worker's CPU per 1,000-row chunk), and each row's new version
  is written in place (see `_schema`: no index entry per row). The store's connections plan
  every statement for its own arguments (`plan_cache_mode = force_custom_plan`): a generic
  plan, reused from a prepared statement's sixth run, once joined a 1,000-row chunk's
  outcomes by scanning them once per row.
- Idle workers `LISTEN` on one connection per store and wake when rows are added or a chunk is
  released.
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

from ._backend import NewRow, Signals, StatusUpdate
from ._codec import claimed_rows, outcomes_json, release_done
from ._models import Claim, OutboxCampaign, OutboxReject, OutboxRow, Release
from ._schema import POSTGRES, SCHEMA_VERSION, upgrade
from ._sqlite import (
    _REJECT_COLUMNS,
    REPORT,
    ROW_PAGE,
    STATE_COUNTS,
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
_REPORT = REPORT.format(now=_NOW, status="$1", reference="$2", message_id="$3")

# Claim a chunk of campaign $1 for worker $2 under a lease of $3 seconds, in one statement:
# the chunk whose lease expired longest ago, else a pending one (handed ones first), picked
# with `SKIP LOCKED`; its claim counted (`attempts`, which names this claim) and marked, and
# its unfinished rows read as one JSON value (`NULL` for none).
_CLAIM = f"""
WITH expired AS (
    SELECT id, true AS handed, true AS taken FROM bsg_outbox_chunks
    WHERE campaign_id = $1 AND state = 'claimed' AND expires_at < {_NOW}
    ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED
), waiting AS (
    SELECT id, handed, false AS taken FROM bsg_outbox_chunks
    WHERE campaign_id = $1 AND state = 'pending' AND NOT EXISTS (SELECT 1 FROM expired)
    ORDER BY handed DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED
), picked AS (
    SELECT * FROM expired UNION ALL SELECT * FROM waiting
), chunk AS (
    UPDATE bsg_outbox_chunks AS c
    SET state = 'claimed', handed = true, attempts = c.attempts + 1, worker = $2,
        expires_at = {_NOW} + $3
    FROM picked WHERE c.id = picked.id
    RETURNING c.id, c.attempts, picked.handed, picked.taken
)
SELECT chunk.id, chunk.attempts, chunk.handed, chunk.taken, r.*
FROM chunk, LATERAL (
    SELECT array_agg(seq) AS seqs, array_agg(reference) AS refs, array_agg(msisdn) AS numbers,
           array_agg(text) AS texts
    FROM (SELECT seq, reference, msisdn, text FROM bsg_outbox_rows
          WHERE chunk_id = chunk.id AND state = 'pending' ORDER BY seq) AS o
) AS r
"""

# Release claim $3 (the chunk's count of claims) of chunk $2 (campaign $1): the chunk becomes
# `done` ($4: every row has its final outcome) or `pending` again, and the outcomes
# ($5: `outcomes_json`) are written, only if the chunk is still held by this claim
# (a takeover counted another: nothing is written). A release that is applied notifies ($6):
# rows may be pending again, or the campaign may be done. (Notifying only when no other
# chunk looked claimed missed the end of a campaign whose last two chunks were released at
# once: each statement's snapshot still saw the other's chunk claimed, and idle workers
# waited for their poll.) The number of outcomes written. A group's shared values are read
# once (`outcome_group`, materialized), not once per row of the join: 15% less CPU per row.
_RELEASE = """
WITH chunk AS (
    UPDATE bsg_outbox_chunks
    SET state = CASE WHEN $4 THEN 'done' ELSE 'pending' END, worker = NULL, expires_at = NULL
    WHERE id = $2 AND attempts = $3 AND state = 'claimed'
    RETURNING id
), outcome_group AS MATERIALIZED (
    SELECT g.v->>0 AS state, g.v->>1 AS price, g.v->>2 AS currency, g.v->>3 AS error_type,
           (g.v->>4)::int AS error_code, g.v->>5 AS error, (g.v->>6)::bool AS uncertain,
           g.v->7 AS ids
    FROM jsonb_array_elements($5::jsonb) AS g(v)
), outcome AS (
    SELECT m.key::bigint AS seq, m.value::bigint AS message_id, o.*
    FROM outcome_group AS o, jsonb_each_text(o.ids) AS m(key, value)
), done AS (
    UPDATE bsg_outbox_rows AS r
    SET state = o.state, message_id = o.message_id, price = o.price, currency = o.currency,
        error_type = o.error_type, error_code = o.error_code, error = o.error,
        may_have_been_accepted = o.uncertain, attempts = $3
    FROM outcome AS o, chunk
    WHERE r.seq = o.seq AND r.chunk_id = chunk.id AND r.state = 'pending'
    RETURNING r.seq
)
SELECT (SELECT count(*) FROM done) AS recorded,
       CASE WHEN EXISTS (SELECT 1 FROM chunk) THEN pg_notify($6, $1::bigint::text) END
"""

# Rows of a campaign get their chunk as they are added: `COPY` into a temporary table, then
# one statement that keeps the rows whose reference is new, makes a chunk (numbered in
# order) for each `$2` positions that kept one, and inserts the rows in the order given (a
# reference added twice at once, or by another transaction meanwhile, is skipped by the
# unique index).
_ADD = """
WITH fresh AS MATERIALIZED (
    SELECT i.position, i.reference, i.msisdn, i.text, i.line, i.position / $2 AS part
    FROM bsg_outbox_incoming AS i
    WHERE NOT EXISTS (SELECT 1 FROM bsg_outbox_rows AS r
                      WHERE r.campaign_id = $1 AND r.reference = i.reference)
), parts AS MATERIALIZED (
    SELECT part, nextval(pg_get_serial_sequence('bsg_outbox_chunks', 'id')) AS id
    FROM (SELECT DISTINCT part FROM fresh ORDER BY part) AS p
), chunks AS (
    INSERT INTO bsg_outbox_chunks (id, campaign_id) SELECT id, $1 FROM parts
), added AS (
    INSERT INTO bsg_outbox_rows (campaign_id, reference, msisdn, text, line, chunk_id)
    SELECT $1, f.reference, f.msisdn, f.text, f.line, p.id
    FROM fresh AS f JOIN parts AS p ON p.part = f.part ORDER BY f.position
    ON CONFLICT (campaign_id, reference) DO NOTHING
    RETURNING 1
)
SELECT count(*) FROM added
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
    connection: Any, campaign_id: int, chunk: int, batches: AsyncIterable[Sequence[NewRow]]
) -> int:
    """Add rows on `connection`, inside the transaction it is in (the caller's), in chunks of
    `chunk` rows; how many were new. `COPY` into a temporary table dropped at commit, then
    one idempotent insert (`_ADD`) and a notification, both taking effect only if the
    caller's transaction commits."""
    await connection.execute(
        "CREATE TEMPORARY TABLE IF NOT EXISTS bsg_outbox_incoming (position BIGINT NOT NULL, "
        "reference TEXT NOT NULL, msisdn TEXT NOT NULL, text TEXT, line BIGINT) "
        "ON COMMIT DELETE ROWS"
    )
    await connection.execute("TRUNCATE bsg_outbox_incoming")

    async def records() -> AsyncIterator[tuple[int, str, str, str | None, int | None]]:
        position = 0
        async for batch in batches:
            for row in batch:
                yield (position, *row)
                position += 1

    await connection.copy_records_to_table(
        "bsg_outbox_incoming",
        records=records(),
        columns=("position", "reference", "msisdn", "text", "line"),
    )
    added = int(await connection.fetchval(_ADD, campaign_id, chunk))
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
            for statement in upgrade(POSTGRES, version):
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

    async def _query(self, kind: str, statement: str, *arguments: Any) -> Any:
        """Run one statement on a connection of the pool: `kind` is the asyncpg method
        (`execute`, `fetch`, `fetchrow`, `fetchval`)."""
        async with self._pool.acquire() as db:
            return await getattr(db, kind)(statement, *arguments)

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

    async def add_rows(
        self, campaign_id: int, chunk: int, batches: AsyncIterable[Sequence[NewRow]]
    ) -> int:
        """`add_rows_on` in a transaction of the store's own; after a large load, the
        tables' statistics are refreshed so the claims' plans use the indexes at once."""
        async with self._pool.acquire() as db:
            async with db.transaction():
                added = await add_rows_on(db, campaign_id, chunk, batches)
            if added >= ANALYZE_AFTER:
                await db.execute("ANALYZE bsg_outbox_rows, bsg_outbox_chunks")
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
        status = await self._query("execute", statement, campaign_id, *columns)
        return int(status.rsplit(" ", 1)[-1])

    async def rejects(self, campaign_id: int, after_line: int, limit: int) -> list[OutboxReject]:
        """A page of rejected inputs, by line."""
        found = await self._page(
            _REJECT_COLUMNS, "bsg_outbox_rejects", "line", campaign_id, after_line, limit
        )
        return [outbox_reject(tuple(row)) for row in found]

    async def reject_count(self, campaign_id: int) -> int:
        """How many inputs were rejected."""
        return int(
            await self._query(
                "fetchval",
                "SELECT count(*) FROM bsg_outbox_rejects WHERE campaign_id = $1",
                campaign_id,
            )
        )

    async def claim(self, campaign_id: int, worker: str, lease: float) -> Claim | None:
        """Claim a chunk: an expired claim's, else a pending one (handed ones first).

        One statement (`_CLAIM`) writes the chunk alone and reads its unfinished rows. A
        chunk left without any (its rows were added by two transactions at once, or were
        recorded as its lease expired) is marked done, and the next one is claimed.
        """
        async with self._pool.acquire() as db:
            while found := await db.fetchrow(_CLAIM, campaign_id, worker, lease):
                chunk, attempts, handed, taken, *columns = found
                if columns[0] is not None:  # `NULL` arrays: no unfinished row
                    seqs, recipients, texts = claimed_rows(*columns)
                    return Claim(
                        chunk, campaign_id, handed, seqs, recipients, texts, taken, attempts
                    )
                await db.execute(
                    "UPDATE bsg_outbox_chunks SET state = 'done', worker = NULL, "
                    "expires_at = NULL WHERE id = $1 AND attempts = $2",
                    chunk,
                    attempts,
                )
        return None

    async def renew(self, claim: Claim, lease: float) -> bool:
        """Extend the lease; `False` if the claim was taken over."""
        status = await self._query(
            "execute",
            f"UPDATE bsg_outbox_chunks SET expires_at = {_NOW} + $1 "
            "WHERE id = $2 AND attempts = $3 AND state = 'claimed'",
            lease,
            claim.id,
            claim.generation,
        )
        return bool(status == "UPDATE 1")

    async def release(self, claim: Claim, outcomes: Release) -> int:
        """Record the outcomes of rows this claim still holds; the chunk is released.

        One statement (`_RELEASE`): updating the chunk locks it first (as a takeover does,
        so the two wait for each other), and a chunk no longer held by this claim (taken
        over) writes nothing.
        """
        recorded = await self._query("fetchval", _RELEASE, *release_arguments(claim, outcomes))
        return int(recorded)

    async def reserve(self, campaign_id: int, count: int, rate: float) -> float:
        """Take `count / rate` seconds of the campaign's shared schedule; the wait first."""
        step = count / rate
        wait = await self._query(
            "fetchval",
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
        return bool(
            await self._query(
                "fetchval",
                "SELECT EXISTS (SELECT 1 FROM bsg_outbox_chunks WHERE campaign_id = $1 "
                "AND state = 'pending') OR EXISTS (SELECT 1 FROM bsg_outbox_chunks "
                "WHERE campaign_id = $1 AND state = 'claimed')",
                campaign_id,
            )
        )

    async def counts(self, campaign_id: int) -> tuple[dict[str, int], dict[str, list[str]]]:
        """Rows per state and the sent rows' cost per currency (summed by the database)."""
        async with self._pool.acquire() as db:
            counts = {
                str(state): int(count)
                for state, count in await db.fetch(STATE_COUNTS.format("$1"), campaign_id)
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
        found = await self._query(
            "fetch", ROW_PAGE.format("$1", "$2", "$3"), campaign_id, after_seq, limit
        )
        return [outbox_row(tuple(row)) for row in found]

    async def _page(
        self, columns: str, table: str, key: str, campaign_id: int, after: int, limit: int
    ) -> list[Any]:
        """Up to `limit` of the campaign's entries of `table` after `after`, by `key`."""
        return list(
            await self._query(
                "fetch",
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
        found = await self._query(
            "fetch",
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
        result = await self._query("execute", _REPORT, status, reference, message_id)
        return int(result.rsplit(" ", 1)[-1])

    def watch(self, campaign_id: int) -> anyio.Event:
        """The event the next notification about the campaign (from any worker) sets."""
        return self._signals.watch(campaign_id)


def release_arguments(claim: Claim, outcomes: Release) -> tuple[Any, ...]:
    """The arguments of `_RELEASE`."""
    done = release_done(claim, outcomes)
    document = outcomes_json(outcomes)
    return (claim.campaign_id, claim.id, claim.generation, done, document, CHANNEL)
