"""Chaos: worker processes of one campaign SIGKILLed and restarted at seeded random moments,
short leases, against `python -m bsg_async.testing` (its own process: its state outlives the
kills) with faults on (lost answers, resets, 5xx, 429). Afterwards every row has exactly one
final outcome, the fake accepted every reference at most once, and every reference it accepted
is recorded as sent with the fake's id. Three workers on PostgreSQL; one, then two, on SQLite."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
from pathlib import Path

from bsg_async import Recipient
from bsg_async.outbox import Outbox, OutboxCampaign, OutboxRow, RowState

from .cli_support import ROOT, FakeProcess, python_env
from .pg_support import postgres_cluster, postgres_url  # noqa: F401  (fixtures)

ROWS = 2000
LEASE = "1.0"
RUN_TIMEOUT = 120.0
FAKE_OPTIONS = (
    "--seed=11",
    "--latency-ms=30",
    "--latency-jitter-ms=20",
    "--fault=lost_answer=0.05",
    "--fault=reset_after=0.03",
    "--fault=503=0.03",
    "--fault=429=0.03",
    "--fault-path=*/create",
    "--retry-after=0",
)
CAMPAIGN = OutboxCampaign("chaos", channel="sms", text="Sale", sender="Shop", chunk_size=10)


def prepare(url: str) -> None:
    async def run() -> None:
        async with Outbox.open(url) as outbox:
            await outbox.create_campaign(CAMPAIGN)
            recipients = [Recipient(f"38097{i:07d}", f"c{i}") for i in range(ROWS)]
            assert await outbox.add(CAMPAIGN.name, recipients) == ROWS

    asyncio.run(run())


def read_rows(url: str) -> list[OutboxRow]:
    async def run() -> list[OutboxRow]:
        async with Outbox.open(url) as outbox:
            return [row async for row in outbox.results(CAMPAIGN.name)]

    return asyncio.run(run())


def sent_count(url: str) -> int:
    return sum(row.state is RowState.SENT for row in read_rows(url))


def run_chaos(url: str, workers: int, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    prepare(url)
    logs: list[Path] = []
    with FakeProcess(*FAKE_OPTIONS) as fake:

        def start() -> subprocess.Popen[bytes]:
            log = tmp_path / f"worker{len(logs)}.log"
            logs.append(log)
            command = [sys.executable, str(ROOT / "tests" / "outbox_worker.py"), url]
            with log.open("wb") as output:
                return subprocess.Popen(
                    [*command, CAMPAIGN.name, LEASE],
                    env=python_env(fake.env),
                    cwd=ROOT,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )

        processes = [start() for _ in range(workers)]
        kills = 0
        try:
            for _ in range(8):  # kill one at random, a random moment after some progress
                before = sent_count(url)
                wait_progress(url, before + rng.randint(40, 200), processes)
                victim = rng.randrange(workers)
                if processes[victim].poll() is None:
                    processes[victim].send_signal(signal.SIGKILL)
                    processes[victim].wait(10)
                    kills += 1
                processes[victim] = start()
            for process in processes:  # then every worker runs until the campaign is done
                assert process.wait(RUN_TIMEOUT) == 0, "\n".join(p.read_text() for p in logs)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait(10)
        accepted = fake.control("GET", "accepted")["sms"]
        state = fake.control("GET", "state")

    output = "".join(log.read_text(errors="replace") for log in logs)
    rows = read_rows(url)
    assert kills >= 5
    assert "took over claim" in output, "no chunk of a killed worker was taken over"
    assert state["faults"]["lost_answer"] >= 5 and state["duplicates"] == []
    # every row has exactly one final outcome ...
    assert len(rows) == ROWS == len({row.reference for row in rows})
    assert {row.state for row in rows} == {RowState.SENT}
    # ... the fake accepted every reference at most once, and exactly the ones recorded sent,
    # with the fake's id
    assert all(count == 1 for _, count in accepted.values())
    assert {row.reference: row.message_id for row in rows} == {
        reference: int(message_id) for reference, (message_id, _) in accepted.items()
    }


def wait_progress(url: str, target: int, processes: list[subprocess.Popen[bytes]]) -> None:
    """Until `target` rows are sent, every worker has exited, or RUN_TIMEOUT passed."""
    import time

    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        if sent_count(url) >= target or all(p.poll() is not None for p in processes):
            return
        time.sleep(0.05)


def test_three_workers_on_postgresql_killed_at_random_deliver_each_row_exactly_once(
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    run_chaos(postgres_url, 3, tmp_path, seed=20261206)


def test_one_worker_on_sqlite_killed_at_random_delivers_each_row_exactly_once(
    tmp_path: Path,
) -> None:
    run_chaos(f"sqlite:///{tmp_path / 'outbox.db'}", 1, tmp_path, seed=20261207)


def test_two_workers_on_one_sqlite_file_killed_at_random_deliver_each_row_exactly_once(
    tmp_path: Path,
) -> None:
    """SQLite is for workers of one machine: two processes share the file."""
    run_chaos(f"sqlite:///{tmp_path / 'outbox.db'}", 2, tmp_path, seed=20261208)
