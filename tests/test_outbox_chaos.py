"""Chaos: worker processes of one campaign SIGKILLed and restarted at seeded random moments,
short leases, against `python -m bsg_async.testing` (its own process: its state outlives the
kills) with faults on (lost answers, resets, 5xx, 429). Afterwards every row has exactly one
final outcome, the fake accepted every reference at most once, and every reference it accepted
is recorded as sent with the fake's id. Three workers on PostgreSQL; one, then two, on SQLite.

Every worker of the kill rounds has a budget of requests (`request_budget.py`) and all the
budgets together cannot finish the campaign, so each is still running when it is killed,
however fast or slow the machine; then workers without a budget finish it. Scripted faults
come before the seeded ones."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bsg_async import Recipient
from bsg_async.outbox import Outbox, OutboxCampaign, OutboxRow, RowState

from .cli_support import ROOT, FakeProcess, python_env, wait_until
from .pg_support import postgres_cluster, postgres_url  # noqa: F401  (fixtures)
from .request_budget import budgeted

ROWS = 2000
CHUNK = 10
KILLS = 8
LEASE = "1.0"
RUN_TIMEOUT = 120.0
MAX_BUDGET = 16  # requests that create messages, for a worker of the kill rounds
# The chunks one worker may hold at once with concurrency 2: two being sent, one handed over,
# one its claimer waits to hand over (`bsg_async/outbox/_worker.py`).
HELD_CHUNKS = 4
# Faults the first sends meet whatever the timing, on top of the seeded rates.
SCRIPT = [None, "lost_answer", "reset_after", None, "503", "lost_answer", "429", None] * 3
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
CAMPAIGN = OutboxCampaign("chaos", channel="sms", text="Sale", sender="Shop", chunk_size=CHUNK)


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
    # The budget of each worker of the kill rounds: KILLS rounds each kill one and start
    # another, then the survivors are killed too. A request sends one chunk at most, so these
    # workers finish at most sum(budgets) chunks and hold HELD_CHUNKS each: no worker can find
    # the campaign done, and a victim always finds a chunk to claim (its wait cannot stall).
    budgets = iter([rng.randint(8, MAX_BUDGET) for _ in range(workers + KILLS)])
    assert MAX_BUDGET * (workers + KILLS) + HELD_CHUNKS * workers < ROWS // CHUNK
    with FakeProcess(*FAKE_OPTIONS) as fake:
        fake.control("POST", "script", kinds=SCRIPT, paths=["*/create"])

        def start(budget: int | None = None) -> Worker:
            log = tmp_path / f"worker{len(logs)}.log"
            held = tmp_path / f"held{len(logs)}"
            logs.append(log)
            command = [sys.executable, str(ROOT / "tests" / "outbox_worker.py")]
            command += [url, CAMPAIGN.name, LEASE]
            if budget is not None:
                command = budgeted(command, budget, hold_after=rng.random() < 0.5, marker=held)
            with log.open("wb") as output:
                process = subprocess.Popen(
                    command,
                    env=python_env(fake.env),
                    cwd=ROOT,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            return Worker(process, log, held)

        def kill(worker: Worker) -> None:
            assert worker.process.poll() is None, worker.log.read_text(errors="replace")
            worker.process.send_signal(signal.SIGKILL)
            worker.process.wait(10)

        team = [start(next(budgets)) for _ in range(workers)]
        try:
            for round_ in range(KILLS):
                victim = team[rng.randrange(workers)]
                # The first victim once it holds a claimed chunk (so one is taken over, surely),
                # the others a random number of rows later, or once their budget is spent.
                target = None if round_ == 0 else sent_count(url) + rng.randint(10, 60)
                wait_until(
                    lambda w=victim, t=target: (
                        w.held_or_ended() or (t is not None and sent_count(url) >= t)
                    ),
                    RUN_TIMEOUT,
                    interval=0.05,
                )
                kill(victim)
                team[team.index(victim)] = start(next(budgets))
            for index, worker in enumerate(team):  # then workers without a budget finish
                kill(worker)
                team[index] = start()
            for worker in team:
                assert worker.process.wait(RUN_TIMEOUT) == 0, "\n".join(
                    log.read_text(errors="replace") for log in logs
                )
        finally:
            for worker in team:
                if worker.process.poll() is None:
                    worker.process.kill()
                    worker.process.wait(10)
        accepted = fake.control("GET", "accepted")["sms"]
        state = fake.control("GET", "state")

    output = "".join(log.read_text(errors="replace") for log in logs)
    rows = read_rows(url)
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


@dataclass
class Worker:
    """A worker process, its log, and the file it creates once its request budget is spent."""

    process: subprocess.Popen[bytes]
    log: Path
    held: Path

    def held_or_ended(self) -> bool:
        """It spent its budget and holds, or it exited."""
        return self.held.exists() or self.process.poll() is not None


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
