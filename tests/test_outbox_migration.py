"""Schema upgrades, on both dialects. Version 3 (chunks): a version-2 store is upgraded in
place, its unfinished rows grouped into chunks that keep what the rows knew (handed to the
service, attempts, a live claim and its lease), and chunks are claimed one at a time.
Version 4: no index on `reference` alone."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import asyncpg
import pytest

from bsg_async import AsyncBSG, Recipient, RetryPolicy
from bsg_async.outbox import Outbox, OutboxCampaign, RowState
from bsg_async.outbox._models import Release
from bsg_async.outbox._schema import POSTGRES, SQLITE, upgrade
from bsg_async.testing import FakeBSG

from .conftest import API_KEY
from .pg_support import postgres_cluster, postgres_url  # noqa: F401  (fixtures)

SETTINGS = '{"channel": "sms", "text": "Hi", "sender": "Shop", "chunk_size": 10}'

# A version-2 campaign: a sent and a failed row, three fresh rows, one row handed before and
# put back (1 attempt), two rows of a live claim and two of a claim whose lease expired.
V2_ROWS = [
    # reference, state, handed, claim, attempts, message id
    ("r0", "sent", 1, None, 1, 100),
    ("r1", "pending", 0, None, 0, None),
    ("r2", "pending", 0, None, 0, None),
    ("r3", "pending", 0, None, 0, None),
    ("r4", "pending", 1, None, 1, None),
    ("r5", "claimed", 1, 1, 1, None),
    ("r6", "claimed", 1, 1, 1, None),
    ("r7", "claimed", 1, 2, 1, None),
    ("r8", "claimed", 1, 2, 1, None),
    ("r9", "failed", 1, None, 1, None),
]
LIVE, EXPIRED = 4_000_000_000.0, 1.0  # the two claims' expiry, epoch seconds


def v2_statements(placeholder: str) -> list[tuple[str, tuple[Any, ...]]]:
    """What a version-2 SDK left behind, as (statement, arguments)."""
    marks = ", ".join(placeholder.format(i) for i in range(1, 8))
    statements: list[tuple[str, tuple[Any, ...]]] = [
        ("INSERT INTO bsg_outbox_meta VALUES ('schema_version', '2')", ()),
        (
            "INSERT INTO bsg_outbox_campaigns (name, channel, settings, created_at) "
            f"VALUES ('old', 'sms', '{SETTINGS}', 0)",
            (),
        ),
        (
            "INSERT INTO bsg_outbox_claims (id, campaign_id, worker, resume, expires_at) "
            f"VALUES (1, 1, 'live', true, {LIVE}), (2, 1, 'dead', true, {EXPIRED})",
            (),
        ),
    ]
    for i, (reference, state, handed, claim, attempts, message_id) in enumerate(V2_ROWS):
        statements.append(
            (
                "INSERT INTO bsg_outbox_rows (campaign_id, reference, msisdn, state, handed, "
                f"claim_id, attempts, message_id) VALUES (1, {marks})",
                (reference, f"38097000000{i}", state, bool(handed), claim, attempts, message_id),
            )
        )
    return statements


async def old_store(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    version: int,
    statements: Callable[[str], list[tuple[str, tuple[Any, ...]]]],
) -> str:
    """A store of schema `version` (made by that version's statements) holding what
    `statements(placeholder)` inserts, on the dialect the fixture's parameter names."""
    create = "CREATE TABLE bsg_outbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
    if request.param == "sqlite":
        path = tmp_path / f"v{version}.db"
        db = sqlite3.connect(path)
        for statement in [create, *upgrade(SQLITE, 0, version)]:
            db.execute(statement)
        for statement, arguments in statements("?"):
            db.execute(statement, arguments)
        db.commit()
        db.close()
        return f"sqlite:///{path}"
    url = str(request.getfixturevalue("postgres_url"))
    connection = await asyncpg.connect(url)
    try:
        for statement in [create, *upgrade(POSTGRES, 0, version)]:
            await connection.execute(statement)
        for statement, arguments in statements("${}"):
            await connection.execute(statement, *arguments)
    finally:
        await connection.close()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
async def v2_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A version-2 store holding the campaign `old` (`V2_ROWS`)."""
    return await old_store(request, tmp_path, 2, v2_statements)


async def open_at_once(url: str, count: int) -> list[Outbox]:
    """`count` stores opened concurrently (each runs the migration)."""
    stores = [Outbox.open(url) for _ in range(count)]

    async def open_one(store: Outbox) -> None:
        await store.__aenter__()

    async with anyio.create_task_group() as group:
        for store in stores:
            group.start_soon(open_one, store)
    return stores


async def test_a_version_2_store_is_upgraded_once_by_many_workers_keeping_every_row(
    v2_url: str,
) -> None:
    stores = await open_at_once(v2_url, 4)
    try:
        rows = {row.reference: row async for row in stores[-1].results("old")}
        summary = await stores[0].summary("old")
    finally:
        for store in stores:
            await store.aclose()
    assert list(rows) == [reference for reference, *_ in V2_ROWS]  # the order added
    assert {ref: row.state for ref, row in rows.items()} == {
        "r0": RowState.SENT,
        **{f"r{i}": RowState.PENDING for i in range(1, 5)},
        **{f"r{i}": RowState.CLAIMED for i in range(5, 9)},
        "r9": RowState.FAILED,
    }
    assert [rows[f"r{i}"].attempts for i in range(10)] == [1, 0, 0, 0, 1, 1, 1, 1, 1, 1]
    assert rows["r0"].message_id == 100
    assert summary.counts[RowState.CLAIMED] == 4 and not summary.done


async def test_upgraded_chunks_are_claimed_as_the_rows_were_claimable(v2_url: str) -> None:
    """The expired claim's rows are taken over first, then the handed row, then the fresh
    ones, each with what the rows knew; the live claim's rows wait for its lease."""
    async with Outbox.open(v2_url) as outbox:
        backend = outbox._backend
        expired = await backend.claim(1, "w", 30)
        handed = await backend.claim(1, "w", 30)
        fresh = await backend.claim(1, "w", 30)
        assert await backend.claim(1, "w", 30) is None  # the live claim's rows wait
        assert expired is not None and handed is not None and fresh is not None
        assert [to.reference for to in expired.recipients] == ["r7", "r8"]
        assert expired.taken_over and expired.resume and expired.generation == 2
        assert [to.reference for to in handed.recipients] == ["r4"]
        assert handed.resume and not handed.taken_over
        assert [to.reference for to in fresh.recipients] == ["r1", "r2", "r3"]
        assert fresh.generation == 1
        assert not fresh.resume
        for claim in (expired, handed, fresh):
            sent = Release()
            sent.rows(RowState.SENT).update(dict.fromkeys(claim.seqs, 7))
            assert await backend.release(claim, sent) == len(claim.seqs)
        summary = await outbox.summary("old")
    assert summary.counts[RowState.SENT] == 7 and summary.counts[RowState.CLAIMED] == 2


async def test_the_live_claim_of_an_upgraded_store_is_taken_over_when_it_expires(
    v2_url: str,
) -> None:
    fake = FakeBSG(seed=1)
    async with Outbox.open(v2_url) as outbox:
        backend = outbox._backend
        await expire_claims(v2_url)  # as if the lease of the version-2 worker ran out
        retry = RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01)
        async with AsyncBSG(api_key=API_KEY, transport=fake.transport, retry=retry) as bsg:
            report = await outbox.work("old", bsg, poll=0.05)
        rows = {row.reference: row async for row in outbox.results("old")}
        assert await backend.claim(1, "w", 30) is None
    assert report.taken_over == 2 and report.sent == 8
    assert {row.state for ref, row in rows.items() if ref != "r9"} == {RowState.SENT}
    assert rows["r0"].message_id == 100  # sent before: not sent again
    for i in range(1, 9):
        assert fake.sms.acceptances(f"r{i}") == 1
    assert rows["r4"].attempts == 2 and rows["r1"].attempts == 1


async def expire_claims(url: str) -> None:
    statement = "UPDATE bsg_outbox_chunks SET expires_at = 1 WHERE state = 'claimed'"
    if url.startswith("sqlite:///"):
        db = sqlite3.connect(url.removeprefix("sqlite:///"))
        with db:
            db.execute(statement)
        db.close()
        return
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def test_a_chunk_left_without_rows_is_passed_over(tmp_path: Path) -> None:
    """Rows of one chunk recorded elsewhere (or never added: a reference added by two
    transactions at once) leave a chunk with nothing to send: the claim marks it done and
    takes the next."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    campaign = OutboxCampaign("c", channel="sms", text="Hi", sender="Shop", chunk_size=2)
    async with Outbox.open(url) as outbox:
        await outbox.create_campaign(campaign)
        people = [Recipient(f"3809700000{i:02d}", f"e{i}") for i in range(4)]
        assert await outbox.add("c", people) == 4
        assert await outbox.add("c", people) == 0  # idempotent: no chunk without rows
        db = sqlite3.connect(tmp_path / "empty.db")
        with db:
            db.execute("UPDATE bsg_outbox_rows SET state = 'sent' WHERE reference IN ('e0', 'e1')")
            chunks = db.execute("SELECT count(*) FROM bsg_outbox_chunks").fetchone()[0]
        db.close()
        assert chunks == 2
        claim = await outbox._backend.claim(1, "w", 30)
        assert claim is not None and [to.reference for to in claim.recipients] == ["e2", "e3"]
        assert await outbox._backend.claim(1, "w", 30) is None


def v3_statements(placeholder: str) -> list[tuple[str, tuple[Any, ...]]]:
    """What a version-3 SDK left behind: one sent row, `s0`."""
    return [
        ("INSERT INTO bsg_outbox_meta VALUES ('schema_version', '3')", ()),
        (
            "INSERT INTO bsg_outbox_campaigns (name, channel, settings, created_at) "
            f"VALUES ('old', 'sms', '{SETTINGS}', 0)",
            (),
        ),
        (
            "INSERT INTO bsg_outbox_rows (campaign_id, reference, msisdn, state, message_id) "
            "VALUES (1, 's0', '380970000000', 'sent', 100)",
            (),
        ),
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
async def v3_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A version-3 store (with its index on `reference`) holding one sent row, `s0`."""
    return await old_store(request, tmp_path, 3, v3_statements)


async def test_a_version_3_store_loses_its_reference_index_and_still_takes_reports(
    v3_url: str,
) -> None:
    """Version 4 drops the index on `reference` alone (a release wrote an entry per row); a
    delivery report still finds its sent row, through the campaign's unique index."""
    from bsg_async.models.rcs_report import RcsReport

    async with Outbox.open(v3_url) as outbox:
        assert await outbox.record_report(RcsReport(id=100, status="read", reference="s0"))
        assert not await outbox.record_report(RcsReport(id=100, status="read", reference="s1"))
        [row] = [row async for row in outbox.results("old")]
    assert row.status == "read"
    indexes_sql = (
        "SELECT name FROM sqlite_master WHERE type = 'index'"
        if v3_url.startswith("sqlite")
        else "SELECT indexname FROM pg_indexes WHERE tablename = 'bsg_outbox_rows'"
    )
    version_sql = "SELECT value FROM bsg_outbox_meta WHERE key = 'schema_version'"
    if v3_url.startswith("sqlite:///"):
        db = sqlite3.connect(v3_url.removeprefix("sqlite:///"))
        indexes = {name for (name,) in db.execute(indexes_sql)}
        [(version,)] = db.execute(version_sql).fetchall()
        db.close()
    else:
        connection = await asyncpg.connect(v3_url)
        try:
            indexes = {record[0] for record in await connection.fetch(indexes_sql)}
            version = await connection.fetchval(version_sql)
        finally:
            await connection.close()
    assert version == "4"
    assert not {"bsg_outbox_rows_by_reference", "bsg_outbox_rows_reference"} & indexes
