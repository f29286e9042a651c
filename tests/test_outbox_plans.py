"""How the outbox's databases run its two hot statements: the claim of a chunk and the
release of its outcomes. A thousand-row chunk must cost the database about a thousand row
visits, never a thousand times a thousand; these tests read which plans the databases
use (no timing), on a real PostgreSQL and on SQLite.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bsg_async import Recipient
from bsg_async.outbox import Outbox, OutboxCampaign, RowState, _postgres, _sqlite
from bsg_async.outbox._models import Claim, Release
from bsg_async.outbox._postgres import _RELEASE, release_arguments

from .pg_support import postgres_cluster, postgres_url  # noqa: F401  (fixtures)

CHUNK = 1000
CAMPAIGN = OutboxCampaign("plans", channel="sms", text="Sale", sender="Shop", chunk_size=CHUNK)


def numbers(count: int) -> list[Recipient]:
    return [Recipient(f"38097{i:07d}", f"plan{i}") for i in range(count)]


async def test_a_release_on_postgresql_is_planned_for_its_own_outcomes_every_time(
    postgres_url: str,  # noqa: F811
) -> None:
    """asyncpg prepares each statement once per connection; from its sixth run PostgreSQL
    may reuse a "generic" plan, made for any arrays (it guesses 10 outcomes), and for a
    1,000-row chunk such a plan once joined the outcomes by scanning them once per row: a
    million comparisons per release, over a second each in the benchmark. The store's
    connections plan every run for the arrays it is given (`pg_prepared_statements` counts
    the plans)."""
    async with Outbox.open(postgres_url) as outbox:
        backend, claim, outcomes = await claimed_chunk(outbox)
        async with backend._pool.acquire() as db:
            for _ in range(8):  # past the five runs after which a generic plan may be used
                transaction = db.transaction()
                await transaction.start()
                assert await db.fetchval(_RELEASE, *release_arguments(claim, outcomes)) == CHUNK
                await transaction.rollback()  # the claim and its rows as they were
            plans = await db.fetchrow(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement = $1",
                _RELEASE,
            )
        assert tuple(plans) == (0, 8)
        assert await backend.release(claim, outcomes) == CHUNK


async def test_a_release_on_postgresql_updates_its_rows_in_place(
    postgres_url: str,  # noqa: F811
) -> None:
    """A release changes no indexed column and finds room on each row's page (the table
    keeps half of each page free): almost every row's new version is a heap-only tuple, with no
    index entry to insert (`pg_stat_xact_user_tables` counts them in the transaction)."""
    async with Outbox.open(postgres_url) as outbox:
        backend, claim, outcomes = await claimed_chunk(outbox)
        async with backend._pool.acquire() as db, db.transaction():
            assert await db.fetchval(_RELEASE, *release_arguments(claim, outcomes)) == CHUNK
            updated, in_place = await db.fetchrow(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
                "WHERE relname = 'bsg_outbox_rows'"
            )
    assert updated == CHUNK
    assert in_place >= CHUNK * 9 // 10  # a page may lack room for its last rows' versions


async def claimed_chunk(
    outbox: Outbox,
) -> tuple[_postgres.PostgresBackend, Claim, Release]:
    """A claim of CHUNK rows from a 20,000-row campaign (analyzed after the load), and an
    outcome for each of its rows."""
    await outbox.create_campaign(CAMPAIGN)
    await outbox.add(CAMPAIGN.name, numbers(20 * CHUNK))
    campaign_id, _ = await outbox._campaign(CAMPAIGN.name)
    backend = outbox._backend
    assert isinstance(backend, _postgres.PostgresBackend)
    claim = await backend.claim(campaign_id, "w", 60)
    assert claim is not None and len(claim.seqs) == CHUNK
    outcomes = Release()
    outcomes.rows(RowState.SENT).update(dict.fromkeys(claim.seqs, 1))
    return backend, claim, outcomes


async def test_a_release_on_sqlite_reads_its_outcomes_once_and_finds_rows_by_seq(
    tmp_path: Path,
) -> None:
    """SQLite gets a chunk's outcomes as one JSON parameter (one statement, so the worker
    thread does not take the GIL back once per row); the plan reads each group of shared
    values once, walks its rows' object once and looks each row up by its `seq`, and every
    outcome is written."""
    async with Outbox.open(f"sqlite:///{tmp_path / 'plans.db'}") as outbox:
        await outbox.create_campaign(CAMPAIGN)
        await outbox.add(CAMPAIGN.name, numbers(2 * CHUNK))
        campaign_id, _ = await outbox._campaign(CAMPAIGN.name)
        backend = outbox._backend
        claim = await backend.claim(campaign_id, "w", 60)
        assert claim is not None and len(claim.seqs) == CHUNK
        outcomes = Release()
        outcomes.rows(RowState.SENT, "0.01").update(
            {seq: 2**62 + i for i, seq in enumerate(claim.seqs)}
        )
        assert await backend.release(claim, outcomes) == CHUNK
        rows = [row async for row in outbox.results(CAMPAIGN.name)]
    sent = {row.reference: row.message_id for row in rows if row.state is RowState.SENT}
    assert sent == {to.reference: 2**62 + i for i, to in enumerate(claim.recipients)}
    db = sqlite3.connect(tmp_path / "plans.db")
    try:
        plan = [
            row[3]
            for row in db.execute(
                "EXPLAIN QUERY PLAN " + _sqlite._RELEASE,
                {"outcomes": "[]", "attempts": 1, "chunk": 1},
            )
        ]
    finally:
        db.close()
    # The groups' shared values are read once each, then each group's object once, and
    # every row is found by its `seq`: no step scans rows or the outcomes once per row.
    assert plan == [
        "MATERIALIZE outcome",
        "SCAN json_each VIRTUAL TABLE INDEX 1:",
        "SCAN o",
        "SCAN m VIRTUAL TABLE INDEX 1:",
        "SEARCH r USING INTEGER PRIMARY KEY (rowid=?)",
    ]


async def test_a_report_by_reference_on_sqlite_goes_through_each_campaigns_unique_index(
    tmp_path: Path,
) -> None:
    """No index on `reference` alone (a release would write an entry per row): a delivery
    report finds its row through the unique (campaign_id, reference) index of each campaign,
    never by scanning the rows."""
    async with Outbox.open(f"sqlite:///{tmp_path / 'plans.db'}") as outbox:
        await outbox.create_campaign(CAMPAIGN)
    db = sqlite3.connect(tmp_path / "plans.db")
    try:
        plan = [
            row[3]
            for row in db.execute("EXPLAIN QUERY PLAN " + _sqlite._REPORT, ("read", "plan1", 7))
        ]
        indexes = {
            row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
    finally:
        db.close()
    assert any(
        step.startswith("SEARCH bsg_outbox_rows USING INDEX sqlite_autoindex_bsg_outbox_rows_1 "
                        "(campaign_id=? AND reference=?)")
        for step in plan
    ), plan  # fmt: skip
    assert not any(step.startswith("SCAN bsg_outbox_rows") for step in plan), plan
    assert not {"bsg_outbox_rows_by_reference", "bsg_outbox_rows_reference"} & indexes


async def test_a_report_by_reference_on_postgresql_goes_through_each_campaigns_unique_index(
    postgres_url: str,  # noqa: F811
) -> None:
    async with Outbox.open(postgres_url) as outbox:
        await outbox.create_campaign(CAMPAIGN)
        await outbox.add(CAMPAIGN.name, numbers(20 * CHUNK))
        backend = outbox._backend
        assert isinstance(backend, _postgres.PostgresBackend)
        async with backend._pool.acquire() as db:
            plan = "\n".join(
                row[0]
                for row in await db.fetch(
                    "EXPLAIN " + _postgres._REPORT.replace("$1", "'read'").replace(
                        "$2", "'plan1'").replace("$3", "7")
                )
            )  # fmt: skip
            indexes = {
                row[0]
                for row in await db.fetch(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'bsg_outbox_rows'"
                )
            }
    assert "Index Scan using bsg_outbox_rows_campaign_id_reference_key" in plan, plan
    assert "Seq Scan on bsg_outbox_rows" not in plan, plan
    assert not {"bsg_outbox_rows_by_reference", "bsg_outbox_rows_reference"} & indexes
