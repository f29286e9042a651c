"""A real `bsg campaign send` process killed (SIGKILL) at seeded random points, then run again
to completion, against FakeBSG served by uvicorn in its own process (its state outlives the
kills): every CSV row ends with exactly one outcome and the fake accepted every reference at
most once. And Ctrl-C (SIGINT): exit 130 with a consistent campaign store that resumes.

An interrupted run is given a budget of requests (`request_budget.py`) too small to finish the
campaign, and scripted faults come before the seeded ones, so the kills and faults the test
counts on happen however fast or slow the machine is."""

from __future__ import annotations

import csv
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from .cli_support import ROOT, FakeProcess, python_env, wait_until, write_csv
from .request_budget import budgeted

SEED = 20261123
ROWS = 900
BAD = 3
CHUNK = 10
RUN_TIMEOUT = 60.0
# On top of the seeded rates, faults the first sends meet whatever the timing: answers lost
# after the service accepted (the case resuming must get right) and a proxy error.
SCRIPT = [None, "lost_answer", None, "reset_after", None, "503", "lost_answer", None] * 3
FAKE_OPTIONS = (
    "--seed=7",
    "--latency-ms=10",
    "--latency-jitter-ms=10",
    "--fault=lost_answer=0.03",
    "--fault=503=0.01",
    "--fault-path=*/create",
    "--retry-after=0",
    "--non-viber-rate=0.2",
)


def recipients_csv(path: Path, rng: random.Random) -> tuple[Path, set[int]]:
    """ROWS rows, half with their own reference, half left to the import; three bad rows.
    Returns the file and the line numbers of its data rows."""
    lines = ["msisdn,reference"]
    bad = set(rng.sample(range(ROWS), BAD))
    for index in range(ROWS):
        number = "12ab" if index in bad else f"38097{index:07d}"
        reference = f"row{index}" if index % 2 else ""
        lines.append(f"{number},{reference}")
    return write_csv(path, "\n".join(lines) + "\n"), set(range(2, ROWS + 2))


def done_rows(store: Path) -> int:
    """Rows with a recorded outcome, and rejected ones (0 while the store has none yet)."""
    if not store.exists():
        return 0
    try:
        db = sqlite3.connect(store, timeout=1.0)
        try:
            row = db.execute(
                "SELECT (SELECT COUNT(*) FROM bsg_outbox_rows WHERE state IN ('sent', 'failed'))"
                " + (SELECT COUNT(*) FROM bsg_outbox_rejects)"
            ).fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return 0
    return int(row[0])


def held_or_ended(process: subprocess.Popen[bytes], marker: Path) -> bool:
    """The run spent its request budget and holds (see `request_budget.py`), or it ended."""
    return marker.exists() or process.poll() is not None


def start(command: list[str], fake: FakeProcess, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            command, env=python_env(fake.env), cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )


def test_a_campaign_killed_at_random_points_resumes_to_exactly_one_outcome_per_row(
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    recipients, lines = recipients_csv(tmp_path / "people.csv", rng)
    results = tmp_path / "people.results.csv"
    journal = tmp_path / "people.results.journal.sqlite"  # the store, where the README puts it
    command = [sys.executable, "-m", "bsg_async", "campaign", "send", str(recipients)]
    first = ["--channel", "viber", "--text", "Sale", "--sender", "Shop"]
    first += ["--sms-fallback", "Sale by SMS", "--chunk-size", str(CHUNK), "--concurrency", "2"]
    again = ["--lease", "1"]  # a killed run's chunks are taken over a second later
    logs: list[Path] = []
    # Each interrupted run may send this many requests that create messages, CHUNK rows at
    # most each: together too few to finish the campaign, so every run is still going when it
    # is killed, however fast the machine. The first is killed early (while starting or
    # importing), the next two once a random number of rows more is done or their budget is
    # spent, the last while it holds the answer to its last request (what the service did with
    # that chunk only the service knows: the run after it must reconcile it by reference).
    budgets = [rng.randint(1, 4), *(rng.randint(10, 28) for _ in range(3))]
    assert BAD + CHUNK * sum(budgets) < ROWS

    with FakeProcess(*FAKE_OPTIONS) as fake:
        fake.control("POST", "script", kinds=SCRIPT, paths=["*/create"])
        for round_, budget in enumerate(budgets):
            log = tmp_path / f"run{round_}.log"
            logs.append(log)
            held = tmp_path / f"held{round_}"
            resume = again if round_ == 2 else [*first, *again]  # the store keeps the settings
            before = done_rows(journal)
            hold_after = round_ == len(budgets) - 1 or rng.random() < 0.5
            run = budgeted([*command, *resume], budget, hold_after=hold_after, marker=held)
            process = start(run, fake, log)
            if round_ == 0:  # early: while starting or importing
                wait_until(
                    lambda p=process, h=held: journal.exists() or held_or_ended(p, h), RUN_TIMEOUT
                )
                wait_until(lambda p=process, h=held: held_or_ended(p, h), rng.uniform(0.0, 0.15))
            elif round_ < len(budgets) - 1:  # while sending: a random number of rows later
                target = before + rng.randint(1, budget * CHUNK // 2)
                wait_until(
                    lambda p=process, h=held, t=target: (
                        done_rows(journal) >= t or held_or_ended(p, h)
                    ),
                    RUN_TIMEOUT,
                    interval=0.005,
                )
            else:  # while it waits for an answer the service has sent
                wait_until(lambda p=process, h=held: held_or_ended(p, h), RUN_TIMEOUT)
            assert process.poll() is None, log.read_text(errors="replace")
            process.send_signal(signal.SIGKILL)
            process.wait(10)

        log = tmp_path / "last.log"  # runs until no row is left to send
        logs.append(log)
        process = start([*command, *again], fake, log)
        assert process.wait(RUN_TIMEOUT) == 1, log.read_text()  # 3 bad rows

        accepted = fake.control("GET", "accepted")["viber"]
        state = fake.control("GET", "state")

    rows = read_results(results)
    output = "".join(log.read_text(errors="replace") for log in logs)
    assert "reconciled by reference" in output, "no resumed run found rows of unknown fate"
    assert state["faults"]["lost_answer"] >= 6 and state["faults"]["reset_after"] >= 3
    assert state["duplicates"] == []

    # every CSV row has exactly one outcome ...
    assert sorted(int(row["line"]) for row in rows) == sorted(lines)
    assert {row["status"] for row in rows} <= {"accepted", "failed", "invalid"}
    assert sum(row["status"] == "invalid" for row in rows) == BAD
    # ... and the fake accepted every reference at most once, exactly the ones reported sent
    assert all(count == 1 for _, count in accepted.values())
    sent = {row["reference"]: row["id"] for row in rows if row["status"] == "accepted"}
    assert sent == {reference: message_id for reference, (message_id, _) in accepted.items()}
    references = [row["reference"] for row in rows if row["status"] != "invalid"]
    assert len(references) == len(set(references)) == ROWS - BAD


def test_ctrl_c_exits_130_with_a_consistent_store_that_resumes(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    recipients, lines = recipients_csv(tmp_path / "people.csv", rng)
    results = tmp_path / "people.results.csv"
    journal = tmp_path / "people.results.journal.sqlite"  # where the README puts it
    command = [sys.executable, "-m", "bsg_async", "campaign", "send", str(recipients)]
    options = ["--channel", "sms", "--text", "Sale", "--sender", "Shop", "--chunk-size", "25"]
    options += ["--concurrency", "2"]
    # At most half the rows' worth of requests: the run cannot finish before its Ctrl-C.
    budget = ROWS // 2 // 25
    held = tmp_path / "held"

    with FakeProcess(*FAKE_OPTIONS) as fake:
        run = budgeted([*command, *options], budget, hold_after=False, marker=held)
        process = start(run, fake, tmp_path / "first.log")
        wait_until(
            lambda: done_rows(journal) >= ROWS // 4 or held_or_ended(process, held),
            RUN_TIMEOUT,
            interval=0.005,
        )
        assert process.poll() is None, (tmp_path / "first.log").read_text(errors="replace")
        process.send_signal(signal.SIGINT)
        interrupted = process.wait(RUN_TIMEOUT)
        first_rows = read_results(results)

        resumed = start(command, fake, tmp_path / "second.log")
        assert resumed.wait(RUN_TIMEOUT) == 1, (tmp_path / "second.log").read_text()
        accepted = fake.control("GET", "accepted")["sms"]

    assert interrupted == 130
    assert "interrupted: the campaign store is consistent" in (tmp_path / "first.log").read_text()
    assert sorted(int(row["line"]) for row in first_rows) == sorted(lines)
    assert "pending" in {row["status"] for row in first_rows}
    rows = read_results(results)
    assert {row["status"] for row in rows} <= {"accepted", "failed", "invalid"}
    assert all(count == 1 for _, count in accepted.values())
    assert {r["reference"] for r in rows if r["status"] == "accepted"} == set(accepted)


def read_results(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
