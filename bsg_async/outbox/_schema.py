"""The store's schema, one text for both dialects: each version's statements, in order.

A store is created by running every version's statements from 1 up, and upgraded by running
those after its version, in one transaction under the dialect's write lock (PostgreSQL's
advisory lock, SQLite's `BEGIN IMMEDIATE`), so many workers opening an old store at once
upgrade it once. The texts differ between the dialects only where `Dialect` says.
"""

from __future__ import annotations

import attrs

__all__ = ["POSTGRES", "SCHEMA_VERSION", "SQLITE", "Dialect", "upgrade"]

SCHEMA_VERSION = 4
"""The schema version this SDK writes; a store with a newer one is refused (1: the first;
2: rows keep their source line, and rejected inputs are kept; 3: chunks, fixed when rows are
added, are what workers claim; 4: no index on `reference` alone)."""

MIGRATION_CHUNK = 1000
"""Rows per chunk made for the unfinished rows of a version-2 store."""


@attrs.frozen
class Dialect:
    """What differs between the dialects' schema texts."""

    id: str  # an auto-numbered primary key
    if_not_exists: str  # `ADD COLUMN IF NOT EXISTS` where the dialect has it
    after_chunks: tuple[str, ...]  # run once chunks were given explicit ids
    in_place: tuple[str, ...]  # lets a release update rows in place, where that exists


POSTGRES = Dialect(
    id="BIGSERIAL PRIMARY KEY",
    if_not_exists="IF NOT EXISTS ",
    after_chunks=(
        "SELECT setval(pg_get_serial_sequence('bsg_outbox_chunks', 'id'), "
        "(SELECT coalesce(max(id), 0) + 1 FROM bsg_outbox_chunks), false)",
    ),
    # A release changes no indexed column (the partial index on `state` goes; the one on
    # `reference` covers every row, until version 4 drops it) and finds room on the row's
    # page (half of each new page is kept free): PostgreSQL then writes each row's new
    # version beside the old one with no index entry (a heap-only tuple), a sixth of the WAL
    # and about a seventh of the time of a release that inserts four index entries per row.
    in_place=(
        "ALTER TABLE bsg_outbox_rows SET (fillfactor = 50)",
        "DROP INDEX IF EXISTS bsg_outbox_rows_by_reference",
        "CREATE INDEX IF NOT EXISTS bsg_outbox_rows_reference ON bsg_outbox_rows (reference)",
    ),
)
SQLITE = Dialect(id="INTEGER PRIMARY KEY", if_not_exists="", after_chunks=(), in_place=())

_V1 = (
    """CREATE TABLE IF NOT EXISTS bsg_outbox_campaigns (
        id {id},
        name TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        settings TEXT NOT NULL,
        rate_next DOUBLE PRECISION NOT NULL DEFAULT 0,
        created_at DOUBLE PRECISION NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS bsg_outbox_claims (
        id {id},
        campaign_id BIGINT NOT NULL,
        worker TEXT NOT NULL,
        resume BOOLEAN NOT NULL,
        expires_at DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS bsg_outbox_claims_expiry "
    "ON bsg_outbox_claims (campaign_id, expires_at)",
    """CREATE TABLE IF NOT EXISTS bsg_outbox_rows (
        seq {id},
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
    "CREATE INDEX IF NOT EXISTS bsg_outbox_rows_to_claim "
    "ON bsg_outbox_rows (campaign_id, handed DESC, seq) WHERE state = 'pending'",
    "CREATE INDEX IF NOT EXISTS bsg_outbox_rows_by_claim ON bsg_outbox_rows (claim_id) "
    "WHERE claim_id IS NOT NULL",
    "CREATE INDEX IF NOT EXISTS bsg_outbox_rows_by_reference ON bsg_outbox_rows (reference) "
    "WHERE state = 'sent'",
)

# Version 2: rows keep the caller's source line; inputs that cannot be sent are kept.
_V2 = (
    "ALTER TABLE bsg_outbox_rows ADD COLUMN {if_not_exists}line BIGINT",
    """CREATE TABLE IF NOT EXISTS bsg_outbox_rejects (
        campaign_id BIGINT NOT NULL,
        line BIGINT NOT NULL,
        msisdn TEXT NOT NULL,
        reference TEXT,
        error TEXT NOT NULL,
        reason TEXT,
        PRIMARY KEY (campaign_id, line)
    )""",
)

# Version 3: chunks. Rows get their chunk when added; a claim locks one chunk (not its rows)
# and only the release writes the rows. The chunk's `attempts` counts its claims, which also
# tells one claim from the next (a release or renewal names the claim it holds). The
# unfinished rows of a version-2 store become chunks of rows alike (campaign, claim, handed,
# attempts); a live claim's rows stay claimed until its lease expires, then are taken over
# and reconciled by reference. Claimed rows are `pending` rows of a claimed chunk.
_V3 = (
    """CREATE TABLE IF NOT EXISTS bsg_outbox_chunks (
        id {id},
        campaign_id BIGINT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        handed BOOLEAN NOT NULL DEFAULT false,
        attempts INTEGER NOT NULL DEFAULT 0,
        worker TEXT,
        expires_at DOUBLE PRECISION
    )""",
    "CREATE INDEX IF NOT EXISTS bsg_outbox_chunks_to_claim "
    "ON bsg_outbox_chunks (campaign_id, handed DESC, id) WHERE state = 'pending'",
    "CREATE INDEX IF NOT EXISTS bsg_outbox_chunks_expiry "
    "ON bsg_outbox_chunks (campaign_id, expires_at) WHERE state = 'claimed'",
    "ALTER TABLE bsg_outbox_rows ADD COLUMN {if_not_exists}chunk_id BIGINT",
    f"""CREATE TEMPORARY TABLE bsg_outbox_open AS
    SELECT seq, campaign_id, handed, attempts, worker, expires_at,
           dense_rank() OVER (ORDER BY campaign_id, claim, handed, attempts, part) AS chunk
    FROM (
        SELECT r.seq, r.campaign_id, r.attempts, c.id AS claim, c.worker, c.expires_at,
               (r.handed OR r.state = 'claimed') AS handed,
               (row_number() OVER (PARTITION BY r.campaign_id, c.id, r.handed, r.attempts
                                   ORDER BY r.seq) - 1) / {MIGRATION_CHUNK} AS part
        FROM bsg_outbox_rows AS r
        LEFT JOIN bsg_outbox_claims AS c ON r.state = 'claimed' AND c.id = r.claim_id
        WHERE r.state IN ('pending', 'claimed')
    ) AS o""",
    """INSERT INTO bsg_outbox_chunks (id, campaign_id, state, handed, attempts, worker, expires_at)
    SELECT chunk, min(campaign_id),
           CASE WHEN max(expires_at) IS NULL THEN 'pending' ELSE 'claimed' END,
           max(CASE WHEN handed THEN 1 ELSE 0 END) = 1, max(attempts), max(worker),
           max(expires_at)
    FROM bsg_outbox_open GROUP BY chunk""",
    "{after_chunks}",
    """UPDATE bsg_outbox_rows SET chunk_id = o.chunk, state = 'pending', claim_id = NULL
    FROM bsg_outbox_open AS o WHERE bsg_outbox_rows.seq = o.seq""",
    "DROP TABLE bsg_outbox_open",
    "DROP TABLE IF EXISTS bsg_outbox_claims",
    "DROP INDEX IF EXISTS bsg_outbox_rows_to_claim",
    "DROP INDEX IF EXISTS bsg_outbox_rows_by_claim",
    "CREATE INDEX IF NOT EXISTS bsg_outbox_rows_by_chunk ON bsg_outbox_rows (chunk_id)",
    "{in_place}",
)

# Version 4: no index on `reference` alone. SQLite's partial index on sent rows took an entry
# per row in every release (half of a release's CPU once the outcomes were grouped), and
# PostgreSQL's index on every row one per row added. The one lookup by reference alone (a
# delivery report, `set_status_by_reference`) goes through each campaign's unique
# (campaign_id, reference) index instead: a store holds few campaigns.
_V4 = (
    "DROP INDEX IF EXISTS bsg_outbox_rows_by_reference",
    "DROP INDEX IF EXISTS bsg_outbox_rows_reference",
)

_VERSIONS = {1: _V1, 2: _V2, 3: _V3, 4: _V4}


def upgrade(dialect: Dialect, version: int, target: int = SCHEMA_VERSION) -> list[str]:
    """The statements that take a store from `version` (0: none) to `target`, in order."""
    statements: list[str] = []
    for step in range(version + 1, target + 1):
        for text in _VERSIONS[step]:
            if text == "{after_chunks}":
                statements.extend(dialect.after_chunks)
            elif text == "{in_place}":
                statements.extend(dialect.in_place)
            else:
                statements.append(text.format(id=dialect.id, if_not_exists=dialect.if_not_exists))
    return statements
