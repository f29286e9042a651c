"""`bsg campaign work | results | status` against both store dialects (a SQLite file and a real
PostgreSQL), and `send` with `--store`: any process joins a campaign as a worker with only the
store's URL and the campaign's name, and every row is sent once."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from bsg_async.outbox import Outbox, OutboxCampaign, OutboxMessage, RowState

from .cli_support import (
    RESULT_COLUMNS,
    ROOT,
    FakeProcess,
    ServedFake,
    invoke,
    numbers_csv,
    parse_json,
    python_env,
    served,
    wait_until,
)
from .pg_support import postgres_cluster, postgres_url  # noqa: F401  (fixtures)
from .request_budget import budgeted

__all__ = ["served"]  # fixture

VIBER = ["--channel", "viber", "--text", "Sale", "--sender", "Shop"]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store: a SQLite file (given as a plain path, as people type it), or a fresh
    PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "campaigns.sqlite")
    return str(request.getfixturevalue("postgres_url"))


def enqueue_campaign(url: str, count: int) -> None:
    """A campaign of `count` rows put in the store by some other program (no CSV, no send)."""

    async def put() -> None:
        async with Outbox.open(url) as outbox:
            await outbox.create_campaign(
                OutboxCampaign("spring", channel="viber", text="Sale", sender="Shop", chunk_size=7)
            )
            await outbox.add(
                "spring",
                [OutboxMessage(f"38097{i:07d}", f"r{i}", line=i + 2) for i in range(count)],
            )

    anyio.run(put)


def results_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_work_joins_a_campaign_with_the_stored_settings_and_exits_0_when_done(
    served: ServedFake, store_url: str, tmp_path: Path
) -> None:
    enqueue_campaign(store_url, 40)

    worked = invoke(
        ["campaign", "work", "--store", store_url, "--name", "spring", "--json"], env=served.env
    )
    again = invoke(["campaign", "work", "--store", store_url, "--name", "spring"], env=served.env)
    out = tmp_path / "spring.csv"
    written = invoke(
        ["campaign", "results", "--store", store_url, "--name", "spring", "--out", str(out)]
    )

    assert worked.exit_code == 0, worked.output
    summary = parse_json(worked)
    assert summary["statuses"] == {"accepted": 40} and summary["this_run"]["sent"] == 40
    assert again.exit_code == 0 and "this run: 0 sent" in again.stdout
    messages = served.fake.viber.messages
    assert len(served.fake.viber.accepted) == 40 and set(served.fake.viber.accepted.values()) == {1}
    assert {(m.text, m.submission.sender) for m in messages} == {("Sale", "Shop")}
    assert written.exit_code == 0 and "wrote 40 rows" in written.stdout
    rows = results_of(out)
    assert list(rows[0]) == list(RESULT_COLUMNS)
    assert [row["line"] for row in rows] == [str(i + 2) for i in range(40)]
    for row in rows:
        assert row["status"] == "accepted" and row["channel"] == "viber"
        assert int(row["id"]) == served.fake.viber.find(row["reference"]).id  # type: ignore[union-attr]


@pytest.mark.parametrize("command", ["work", "results", "status"])
def test_a_missing_campaign_is_a_clear_usage_error(
    store_url: str, command: str, tmp_path: Path
) -> None:
    extra = ["--out", str(tmp_path / "x.csv")] if command == "results" else ["--fake"]

    result = invoke(["campaign", command, "--store", store_url, "--name", "nope", *extra])

    assert result.exit_code == 2
    assert "no campaign 'nope' in the store" in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_a_store_that_cannot_be_opened_is_a_usage_error_without_its_password() -> None:
    url = "postgresql://app:s3cret@127.0.0.1:1/nowhere"

    result = invoke(["campaign", "results", "--store", url, "--name", "x", "--out", "x.csv"])

    assert result.exit_code == 2
    assert (
        "cannot open the campaign store postgresql://app:***@127.0.0.1:1/nowhere" in result.stderr
    )
    assert "s3cret" not in result.output


def test_status_reads_delivery_statuses_into_the_store_and_results_show_them(
    served: ServedFake, store_url: str, tmp_path: Path
) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 30)
    sent = invoke(
        ["campaign", "send", str(recipients), "--store", store_url, *VIBER, "--json"],
        env=served.env,
    )
    assert sent.exit_code == 0, sent.output
    served.fake.advance(3600)

    status = invoke(
        ["campaign", "status", "--store", store_url, "--name", "people", "--json"], env=served.env
    )
    out = tmp_path / "people.results.csv"
    written = invoke(
        ["campaign", "results", "--store", store_url, "--name", "people", "--out", str(out)]
    )

    assert status.exit_code == 0, status.output
    summary = parse_json(status)
    assert summary["read"] == 30 and summary["rows"] == 30
    assert sum(summary["statuses"].values()) == 30 and "(none yet)" not in summary["statuses"]
    assert written.exit_code == 0
    for row in results_of(out):
        assert row["status"] == served.fake.viber.status(row["reference"])
    human = invoke(["campaign", "status", "--store", store_url, "--name", "people"], env=served.env)
    assert human.exit_code == 0 and "delivery statuses" in human.stdout


def test_a_worker_joins_a_send_on_postgresql_and_nobody_is_sent_twice(
    postgres_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    """`campaign work` joins a running `campaign send`. The send holds before its 11th
    request (a request budget: 50 of the 200 rows sent, whether the machine is fast or slow),
    so the joining worker sends every chunk the send has not claimed; Ctrl-C then puts the
    send's claims back and the joiner sends those too. Every reference is accepted once and
    recorded, and the joiner sent exactly the 150 rows the send did not."""
    recipients = numbers_csv(tmp_path / "people.csv", 200, references=False)
    send = [sys.executable, "-m", "bsg_async", "campaign", "send", str(recipients), *VIBER]
    send += ["--store", postgres_url, "--chunk-size", "5", "--concurrency", "1"]
    work = [sys.executable, "-m", "bsg_async", "campaign", "work", "--store", postgres_url]
    work += ["--name", "people", "--concurrency", "1", "--json"]
    held = tmp_path / "held"

    async def pending() -> int:  # rows in no claim, not yet sent
        async with Outbox.open(postgres_url) as outbox:
            return (await outbox.summary("people")).counts[RowState.PENDING]

    with FakeProcess("--latency-ms=20") as fake:
        with (tmp_path / "send.log").open("wb") as log:
            sender = subprocess.Popen(
                budgeted(send, 10, hold_after=False, marker=held),
                env=python_env(fake.env),
                cwd=ROOT,
                stdout=log,
                stderr=log,
            )
        joiner: subprocess.Popen[bytes] | None = None
        try:
            assert wait_until(lambda: held.exists() or sender.poll() is not None, 60)
            assert sender.poll() is None, (tmp_path / "send.log").read_text()
            joiner = subprocess.Popen(
                work,
                env=python_env(fake.env),
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            # The joiner sends every chunk but those the held send has claimed.
            assert wait_until(lambda: anyio.run(pending) == 0, 60, interval=0.1)
            sender.send_signal(signal.SIGINT)
            interrupted = sender.wait(60)
            out, err = joiner.communicate(timeout=60)
        finally:
            for process in (sender, joiner):
                if process is not None and process.poll() is None:
                    process.kill()
                    process.wait(10)
        accepted = fake.control("GET", "accepted")["viber"]
    written = invoke(
        ["campaign", "results", "--store", postgres_url, "--name", "people",
         "--out", str(tmp_path / "people.csv.results")]
    )  # fmt: skip

    assert interrupted == 130, (tmp_path / "send.log").read_text()
    assert joiner.returncode == 0, err.decode()
    assert json.loads(out)["this_run"]["sent"] == 150
    assert len(accepted) == 200 and all(count == 1 for _, count in accepted.values())
    assert written.exit_code == 0
    rows = results_of(tmp_path / "people.csv.results")
    assert {row["reference"] for row in rows} == set(accepted)
    assert {row["status"] for row in rows} == {"accepted"}
