"""The campaign store's schema version 2, on both dialects: rows keep their source line,
inputs that cannot be sent are kept as rejects, a campaign may leave the text to its rows and
remember its source, a version-1 store is upgraded in place, and a worker reports progress.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import asyncpg
import pytest

from bsg_async import AsyncBSG, Recipient
from bsg_async.outbox import (
    CampaignConflictError,
    Outbox,
    OutboxCampaign,
    OutboxMessage,
    OutboxReject,
    RowState,
    WorkReport,
    _worker,
)
from bsg_async.outbox._schema import POSTGRES, SQLITE, upgrade
from bsg_async.testing import FakeBSG

from .conftest import API_KEY
from .pg_support import postgres_cluster, postgres_url  # noqa: F401  (fixtures)

ROWS_ONLY = OutboxCampaign("rows", channel="sms", text=None, sender="Shop", chunk_size=2)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'outbox.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
async def outbox(store_url: str) -> AsyncIterator[Outbox]:
    async with Outbox.open(store_url) as store:
        yield store


async def test_rows_keep_their_source_line_and_their_own_text(outbox: Outbox) -> None:
    await outbox.create_campaign(ROWS_ONLY)
    await outbox.add(
        ROWS_ONLY.name,
        [
            OutboxMessage("380970000001", "a", "Hi Ann", line=2),
            OutboxMessage("380970000002", "b", "Hi Bob", line=5),
        ],
    )
    fake = FakeBSG(seed=1)
    async with AsyncBSG(api_key=API_KEY, transport=fake.transport) as bsg:
        await outbox.work(ROWS_ONLY.name, bsg)

    rows = [row async for row in outbox.results(ROWS_ONLY.name)]
    assert [(row.reference, row.line, row.state) for row in rows] == [
        ("a", 2, RowState.SENT),
        ("b", 5, RowState.SENT),
    ]
    assert {m.reference: m.submission.text for m in fake.sms.messages} == {
        "a": "Hi Ann",
        "b": "Hi Bob",
    }


async def test_a_campaign_without_text_refuses_a_row_without_one(outbox: Outbox) -> None:
    await outbox.create_campaign(ROWS_ONLY)
    for bad in ("380970000001", Recipient("380970000001"), OutboxMessage("380970000001")):
        with pytest.raises(ValueError, match=r"messages\[1\]"):
            await outbox.add(ROWS_ONLY.name, [OutboxMessage("380970000002", text="Hi"), bad])
    assert (await outbox.summary(ROWS_ONLY.name)).total == 0


async def test_rejects_are_kept_by_line_once_and_counted(outbox: Outbox) -> None:
    await outbox.create_campaign(ROWS_ONLY)
    rejects = [
        OutboxReject(7, "12ab", None, "line 7: invalid msisdn", "invalid msisdn"),
        OutboxReject(3, "380970000001", "a", "line 3: duplicate reference 'a'"),
    ]

    first = await outbox.reject(ROWS_ONLY.name, rejects)
    again = await outbox.reject(ROWS_ONLY.name, rejects)

    assert (first, again) == (2, 0)
    kept = [reject async for reject in outbox.rejects(ROWS_ONLY.name, page=1)]
    assert kept == sorted(rejects, key=lambda reject: reject.line)
    summary = await outbox.summary(ROWS_ONLY.name)
    assert (summary.rejected, summary.total) == (2, 0)
    assert await outbox.reject(ROWS_ONLY.name, []) == 0
    with pytest.raises(ValueError, match="rejects"):
        await outbox.reject(ROWS_ONLY.name, ["12ab"])  # type: ignore[list-item]


async def test_the_source_is_a_setting_another_source_conflicts(outbox: Outbox) -> None:
    campaign = OutboxCampaign("c", channel="sms", text="Hi", sender="Shop", source="a.csv 1")
    await outbox.create_campaign(campaign)

    assert (await outbox.campaign("c")).source == "a.csv 1"
    with pytest.raises(CampaignConflictError, match=r"a\.csv 1"):
        await outbox.create_campaign(
            OutboxCampaign("c", channel="sms", text="Hi", sender="Shop", source="a.csv 2")
        )


async def test_progress_is_reported_after_every_chunk(outbox: Outbox) -> None:
    await outbox.create_campaign(ROWS_ONLY)
    await outbox.add(
        ROWS_ONLY.name, [OutboxMessage(f"38097000000{i}", text="Hi") for i in range(5)]
    )
    seen: list[WorkReport] = []
    async with AsyncBSG(api_key=API_KEY, transport=FakeBSG(seed=1).transport) as bsg:
        report = await outbox.work(ROWS_ONLY.name, bsg, concurrency=1, progress=seen.append)

    assert [tallies.sent for tallies in seen] == [2, 4, 5]
    assert seen[-1] == report


async def test_a_failed_probe_passes_the_turn_to_a_waiting_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One loop probed the unreachable service while another waited for the probe's result:
    # when the probe fails, the waiting loop must get the next turn (it used to wait forever).
    monkeypatch.setattr(_worker, "FIRST_PAUSE", 0.0)
    breaker = _worker._Breaker(1, 0.0, _worker._Counts())
    breaker.record(unreachable=True, probe=False)
    turns: list[bool] = []

    async def loop() -> None:
        turns.append(await breaker.wait_turn())

    with anyio.fail_after(30):  # a hang guard, far above the few steps this takes
        assert await breaker.wait_turn() is True  # the probe
        async with anyio.create_task_group() as group:
            group.start_soon(loop)
            await anyio.wait_all_tasks_blocked()
            assert turns == []  # waiting while the probe is out
            breaker.record(unreachable=True, probe=True)
    assert turns == [True] and breaker.open


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"validity": 73}, "validity"),
        ({"validity": 14, "channel": "viber"}, "validity"),
        ({"tariff": 10}, "tariff"),
        ({"source": 1}, "source"),
    ],
)
def test_a_campaign_refuses_a_bad_validity_tariff_or_source(
    options: dict[str, object], field: str
) -> None:
    settings: dict[str, object] = {"channel": "sms", "text": "Hi", "sender": "Shop"} | options
    with pytest.raises(ValueError, match=field):
        OutboxCampaign("c", **settings)  # type: ignore[arg-type]


def test_a_reject_refuses_a_bad_line() -> None:
    with pytest.raises(ValueError, match="line"):
        OutboxReject(-1, "x", None, "bad")
    with pytest.raises(ValueError, match="error"):
        OutboxReject(1, "x", None, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="line"):
        OutboxMessage("380970000001", line=True)  # type: ignore[arg-type]


# -- upgrading a version-1 store -------------------------------------------------------------


V1_ROW = (
    "INSERT INTO bsg_outbox_campaigns (name, channel, settings, created_at) VALUES "
    '(\'old\', \'sms\', \'{"channel": "sms", "text": "Hi", "sender": "Shop"}\', 0)'
)


async def test_a_version_1_sqlite_store_is_upgraded_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE bsg_outbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for statement in upgrade(SQLITE, 0, 1):
        db.execute(statement)
    db.execute("INSERT INTO bsg_outbox_meta VALUES ('schema_version', '1')")
    db.execute(V1_ROW)
    db.execute(
        "INSERT INTO bsg_outbox_rows (campaign_id, reference, msisdn) "
        "VALUES (1, 'r', '380970000001')"
    )
    db.commit()
    db.close()

    await upgraded(f"sqlite:///{path}")


async def test_a_version_1_postgresql_store_is_upgraded_keeping_its_rows(
    postgres_url: str,  # noqa: F811
) -> None:
    db = await asyncpg.connect(postgres_url)
    try:
        await db.execute("CREATE TABLE bsg_outbox_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for statement in upgrade(POSTGRES, 0, 1):
            await db.execute(statement)
        await db.execute("INSERT INTO bsg_outbox_meta VALUES ('schema_version', '1')")
        await db.execute(V1_ROW)
        await db.execute(
            "INSERT INTO bsg_outbox_rows (campaign_id, reference, msisdn) "
            "VALUES (1, 'r', '380970000001')"
        )
    finally:
        await db.close()

    await upgraded(postgres_url)


async def upgraded(url: str) -> None:
    """Open the old store twice (the upgrade runs once) and use what version 2 added."""
    for _ in range(2):
        async with Outbox.open(url) as store:
            [row] = [row async for row in store.results("old")]
            assert (row.reference, row.line, row.state) == ("r", None, RowState.PENDING)
    async with Outbox.open(url) as store:
        await store.add("old", [OutboxMessage("380970000002", "s", line=9)])
        await store.reject("old", [OutboxReject(4, "x", None, "bad")])
        lines = [row.line async for row in store.results("old")]
        assert lines == [None, 9]
        assert (await store.summary("old")).rejected == 1
