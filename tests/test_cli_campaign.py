"""`bsg campaign send` / `bsg campaign status` in process, against a FakeBSG served on
127.0.0.1: the journal, the results CSV, bad CSVs with line numbers, `--strict`, `--resume`
and the reconciliation of rows whose fate was unknown."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bsg_async.testing import Account, FakeBSG, Faults, Rules

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
    write_csv,
)
from .conftest import API_KEY

__all__ = ["served"]  # fixture

VIBER = ["--channel", "viber", "--text", "Sale", "--sender", "Shop"]
JOURNAL = "people.results.journal.sqlite"  # beside people.results.csv, as the README says


def results_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def send(csv_path: Path, served: ServedFake, *extra: str) -> tuple[int, dict[str, object]]:
    result = invoke(["campaign", "send", str(csv_path), "--json", *extra], env=served.env)
    return result.exit_code, parse_json(result)


def test_a_campaign_sends_every_row_once_and_exports_one_result_per_row(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 120)

    code, summary = send(recipients, served, *VIBER, "--sms-fallback", "Sale by SMS")

    assert code == 0
    assert summary["statuses"] == {"accepted": 120}
    assert summary["cost"] == {"EUR": str(Decimal("0.23") * 120)}
    rows = results_of(tmp_path / "people.results.csv")
    assert list(rows[0]) == list(RESULT_COLUMNS)
    assert [row["reference"] for row in rows] == [f"r{i}" for i in range(120)]
    assert [row["line"] for row in rows] == [str(i) for i in range(2, 122)]
    accepted = served.fake.viber.accepted
    assert len(accepted) == 120 and set(accepted.values()) == {1}
    for row in rows:
        assert row["status"] == "accepted" and row["channel"] == "viber"
        assert int(row["id"]) == served.fake.viber.find(row["reference"]).id  # type: ignore[union-attr]
        assert (row["price"], row["currency"], row["error"]) == ("0.23", "EUR", "")
    assert (tmp_path / JOURNAL).exists()


def test_rows_without_a_reference_get_one_recorded_before_sending(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 30, references=False)

    code, _ = send(recipients, served, *VIBER)

    rows = results_of(tmp_path / "people.results.csv")
    references = [row["reference"] for row in rows]
    assert code == 0
    assert len(set(references)) == 30 and all(len(r) == 32 for r in references)
    assert set(served.fake.viber.accepted) == set(references)


def test_a_text_column_overrides_the_campaign_text_per_row(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = write_csv(
        tmp_path / "people.csv",
        'msisdn,reference,text\n380970000001,a,\n380970000002,b,"Hello, Bob"\n'
        "380970000003,c,Hi Cy\n380970000004,d,\n",
    )

    code, _ = send(recipients, served, *VIBER)

    texts = {m.reference: m.text for m in served.fake.viber.messages}
    assert code == 0
    assert texts == {"a": "Sale", "b": "Hello, Bob", "c": "Hi Cy", "d": "Sale"}


def test_every_row_needs_a_text_when_no_text_option_is_given(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = write_csv(tmp_path / "people.csv", "msisdn,text\n380970000001,Hi\n380970000002,\n")

    code, summary = send(recipients, served, "--channel", "viber", "--sender", "Shop")

    assert code == 1
    assert summary["statuses"] == {"accepted": 1, "invalid": 1}
    assert "line 3" in str(summary["failures"])


def test_an_sms_campaign_uses_bulk_requests(served: ServedFake, tmp_path: Path) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 250)

    code, summary = send(
        recipients,
        served,
        "--channel",
        "sms",
        "--text",
        "Sale",
        "--sender",
        "Shop",
        "--chunk-size",
        "100",
        "--validity",
        "24",
    )

    assert code == 0 and summary["statuses"] == {"accepted": 250}
    creates = [r for r in served.fake.requests if r.path.endswith("/sms/create")]
    assert len(creates) == 3
    assert {m.submission.validity for m in served.fake.sms.messages} == {24}


def test_viber_only_options_are_refused_for_sms(tmp_path: Path) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 3)

    result = invoke(
        f"campaign send {recipients} --fake --channel sms --text Hi --sender Shop --sms-fallback Hi"
    )

    assert result.exit_code == 2
    assert "--channel viber" in result.stderr
    assert not (tmp_path / JOURNAL).exists()


def test_a_new_campaign_needs_channel_and_sender(tmp_path: Path) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 3)

    result = invoke(["campaign", "send", str(recipients), "--fake", "--text", "Hi"])

    assert result.exit_code == 2
    assert "--channel" in result.stderr and "--sender" in result.stderr


def test_a_bad_shared_option_is_refused_before_the_journal_exists(tmp_path: Path) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 3)

    result = invoke(
        f"campaign send {recipients} --fake --channel viber --text Hi "
        "--sender 'A sender far too long'"
    )

    assert result.exit_code == 2
    assert "sender" in result.stderr
    assert not (tmp_path / JOURNAL).exists()


# -- bad CSVs ------------------------------------------------------------------------------


def test_bad_rows_are_reported_with_line_numbers_skipped_and_kept_in_the_results(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = write_csv(
        tmp_path / "people.csv",
        "msisdn,reference\n"
        "380970000001,a\n"
        "12ab,b\n"  # line 3: bad number
        "\n"  # line 4: blank, not a recipient
        "380970000002,a\n"  # line 5: duplicate reference
        "380970000003,bad ref!\n"  # line 6: bad reference
        "380970000004,c,extra\n"  # line 7: too many fields
        "+380970000005,d\n",  # line 8: fine (the + is stripped)
    )

    result = invoke(["campaign", "send", str(recipients), *VIBER], env=served.env)

    assert result.exit_code == 1
    for line, problem in [
        (3, "invalid msisdn='12ab'"),
        (5, "duplicate reference 'a' (first on line 2)"),
        (6, "invalid reference='bad ref!'"),
        (7, "3 fields, but the header has 2"),
    ]:
        assert f"line {line}: {problem}" in result.stderr
    rows = results_of(tmp_path / "people.results.csv")
    assert [(row["line"], row["status"]) for row in rows] == [
        ("2", "accepted"),
        ("3", "invalid"),
        ("5", "invalid"),
        ("6", "invalid"),
        ("7", "invalid"),
        ("8", "accepted"),
    ]
    assert rows[-1]["msisdn"] == "380970000005"
    assert set(served.fake.viber.accepted) == {"a", "d"}


def test_strict_sends_nothing_when_a_row_is_bad(served: ServedFake, tmp_path: Path) -> None:
    recipients = write_csv(tmp_path / "people.csv", "msisdn\n380970000001\nnope\n")

    result = invoke(["campaign", "send", str(recipients), *VIBER, "--strict"], env=served.env)

    assert result.exit_code == 2
    assert "line 3: invalid msisdn='nope'" in result.stderr
    assert "nothing was sent" in result.stderr
    assert served.fake.requests == ()
    assert not (tmp_path / JOURNAL).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "line 1: the file is empty"),
        (b"380970000001,r1\n380970000002,r2\n", "line 1: missing header"),
        (b"phone,reference\n380970000001,r1\n", "line 1: the header has no `msisdn` column"),
        (b"msisdn,refrence\n380970000001,r1\n", "line 1: unknown column 'refrence'"),
        (b"msisdn,msisdn\n380970000001,3809\n", "line 1: the column 'msisdn' appears twice"),
        (
            b"msisdn,text\n380970000001,Ol\xe1\n",
            "line 2: not UTF-8 text (byte 0xe1 at column 16)",
        ),
        (b'msisdn,text\n380970000001,"never closed\n', "line 2: broken CSV"),
    ],
    ids=["empty", "no-header", "no-msisdn", "unknown-column", "twice", "latin-1", "quote"],
)
def test_an_unreadable_csv_stops_with_a_line_numbered_error_and_sends_nothing(
    served: ServedFake, tmp_path: Path, content: bytes, message: str
) -> None:
    recipients = tmp_path / "people.csv"
    recipients.write_bytes(content)

    result = invoke(["campaign", "send", str(recipients), *VIBER], env=served.env)

    assert result.exit_code == 2
    assert f"{recipients} {message}" in result.stderr
    assert served.fake.requests == ()
    assert not (tmp_path / JOURNAL).exists()


def test_a_byte_order_mark_and_quoted_multiline_texts_keep_line_numbers(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = write_csv(
        tmp_path / "people.csv",
        '\ufeffmsisdn,text\n380970000001,"two\nlines"\nbad,x\n380970000002,ok\n',
    )

    result = invoke(["campaign", "send", str(recipients), *VIBER], env=served.env)

    assert result.exit_code == 1
    assert "line 4: invalid msisdn='bad'" in result.stderr
    rows = results_of(tmp_path / "people.results.csv")
    assert [row["line"] for row in rows] == ["2", "4", "5"]
    assert sorted(m.text for m in served.fake.viber.messages) == ["ok", "two\nlines"]


def test_a_missing_csv_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(["campaign", "send", str(tmp_path / "nope.csv"), "--fake", *VIBER])

    assert result.exit_code == 2
    assert "no such file" in result.stderr


# -- resuming ------------------------------------------------------------------------------


def test_an_existing_journal_needs_resume(served: ServedFake, tmp_path: Path) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 5)
    assert send(recipients, served, *VIBER)[0] == 0

    again = invoke(["campaign", "send", str(recipients), *VIBER], env=served.env)

    assert again.exit_code == 2
    assert "--resume" in again.stderr
    assert len(served.fake.viber) == 5


def test_resume_without_a_journal_is_a_usage_error(tmp_path: Path) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 5)

    result = invoke(["campaign", "send", str(recipients), "--fake", "--resume"])

    assert result.exit_code == 2
    assert "nothing to resume" in result.stderr


def test_resuming_a_finished_campaign_sends_nothing_more(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 60)
    assert send(recipients, served, *VIBER)[0] == 0
    served.fake.clear_requests()

    code, summary = send(recipients, served, "--resume")

    assert code == 0 and summary["statuses"] == {"accepted": 60}
    assert summary["this_run"] == {"sent": 0, "failed": 0}
    assert served.fake.requests == ()


def test_resume_refuses_other_settings_and_a_changed_file(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 5)
    assert send(recipients, served, *VIBER)[0] == 0

    other_text = invoke(
        ["campaign", "send", str(recipients), "--resume", "--text", "Other"], env=served.env
    )
    same_text = invoke(
        ["campaign", "send", str(recipients), "--resume", "--text", "Sale"], env=served.env
    )
    numbers_csv(recipients, 6)
    changed = invoke(["campaign", "send", str(recipients), "--resume"], env=served.env)

    assert other_text.exit_code == 2 and "--text differ" in other_text.stderr
    assert same_text.exit_code == 0
    assert changed.exit_code == 2 and "changed since the campaign started" in changed.stderr
    assert len(served.fake.viber) == 5


def test_lost_answers_are_reconciled_by_reference_on_resume(tmp_path: Path) -> None:
    # Every send is processed but its answer lost, on every attempt: the first run cannot
    # learn what happened. The service accepted them all, exactly once.
    fake = FakeBSG(seed=1, account=Account(api_keys=[API_KEY]), faults=Faults({"lost_answer": 1.0}))
    recipients = numbers_csv(tmp_path / "people.csv", 120)
    with ServedFake(fake) as served_fake:
        first = invoke(["campaign", "send", str(recipients), "--json", *VIBER], env=served_fake.env)
        fake.faults.clear()
        fake.clear_requests()
        resumed = invoke(
            ["campaign", "send", str(recipients), "--json", "--resume"], env=served_fake.env
        )

    assert first.exit_code == 1
    assert parse_json(first)["statuses"] == {"unknown": 120}
    assert resumed.exit_code == 0, resumed.output
    assert parse_json(resumed)["statuses"] == {"accepted": 120}
    assert "120 already accepted, 0 not received" in resumed.stderr
    assert not [r for r in fake.requests if r.path.endswith("/create")], "nothing resent"
    assert set(fake.viber.accepted.values()) == {1} and len(fake.viber.accepted) == 120
    rows = results_of(tmp_path / "people.results.csv")
    assert all(int(r["id"]) == fake.viber.find(r["reference"]).id for r in rows)  # type: ignore[union-attr]


def test_rows_in_flight_when_stopped_are_sent_again_only_if_the_service_lacks_them(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 100)
    assert send(recipients, served, *VIBER)[0] == 0
    # As if the process had died with two chunks in flight: one the service had accepted
    # (its outcome not yet recorded), one it never received.
    db = sqlite3.connect(tmp_path / JOURNAL)
    with db:
        db.execute("UPDATE rows SET state = 'inflight', message_id = NULL WHERE line <= 51")
        db.execute("UPDATE rows SET state = 'inflight', handed = 1 WHERE line > 51")
        db.execute("UPDATE rows SET reference = 'x' || reference WHERE line > 51")
    db.close()
    served.fake.clear_requests()

    code, summary = send(recipients, served, "--resume")

    assert code == 0 and summary["statuses"] == {"accepted": 100}
    creates = [r for r in served.fake.requests if r.path.endswith("/viber/create")]
    sent_again = {
        item["reference"] for r in creates for m in r.json()["messages"] for item in m["to"]
    }
    assert sent_again == {f"xr{i}" for i in range(50, 100)}
    assert set(served.fake.viber.accepted.values()) == {1}


def test_retryable_failures_are_sent_again_on_resume(tmp_path: Path) -> None:
    fake = FakeBSG(seed=1, account=Account(api_keys=[API_KEY]), faults=Faults({"429": 1.0}))
    recipients = numbers_csv(tmp_path / "people.csv", 60)
    with ServedFake(fake) as served_fake:
        first = invoke(["campaign", "send", str(recipients), "--json", *VIBER], env=served_fake.env)
        fake.faults.clear()
        resumed = invoke(["campaign", "send", str(recipients), "--resume"], env=served_fake.env)

    assert first.exit_code == 1
    assert parse_json(first)["statuses"] == {"failed": 60}
    assert "Too many requests (code 11)" in str(parse_json(first)["reasons"])
    assert resumed.exit_code == 0, resumed.output
    assert "sending 60 failed rows again" in resumed.stderr
    assert len(fake.viber.accepted) == 60


def test_final_failures_stay_failed_on_resume(tmp_path: Path) -> None:
    fake = FakeBSG(
        seed=1,
        account=Account(api_keys=[API_KEY]),
        rules=Rules(invalid_prefixes=["38097000000"]),
    )
    recipients = numbers_csv(tmp_path / "people.csv", 20)
    with ServedFake(fake) as served_fake:
        first = invoke(["campaign", "send", str(recipients), "--json", *VIBER], env=served_fake.env)
        fake.clear_requests()
        resumed = invoke(
            ["campaign", "send", str(recipients), "--json", "--resume"], env=served_fake.env
        )

    assert first.exit_code == resumed.exit_code == 1
    assert parse_json(resumed)["statuses"] == {"accepted": 10, "failed": 10}
    assert fake.requests == ()
    rows = results_of(tmp_path / "people.results.csv")
    assert all("code 41" in r["error"] for r in rows if r["status"] == "failed")


def test_a_journal_in_use_by_another_process_is_refused(tmp_path: Path) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 100)
    command = [sys.executable, "-m", "bsg_async", "campaign", "send", str(recipients), *VIBER]
    command += ["--chunk-size", "1", "--concurrency", "1"]  # 100 slow requests: a long run
    log = tmp_path / "first.log"

    with FakeProcess("--latency-ms=300") as fake:
        with log.open("wb") as output:
            first = subprocess.Popen(
                command, env=python_env(fake.env), cwd=ROOT, stdout=output, stderr=output
            )
        try:
            started = wait_until(
                lambda: (tmp_path / JOURNAL).exists() or first.poll() is not None, 30
            )
            assert started and first.poll() is None, log.read_text(errors="replace")
            result = invoke(["campaign", "send", str(recipients), "--resume"], env=fake.env)
        finally:
            first.kill()
            first.wait(10)

    assert result.exit_code == 2
    assert "in use by another bsg process" in result.stderr


def test_a_file_that_is_not_a_journal_is_refused(tmp_path: Path) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 5)
    (tmp_path / JOURNAL).write_bytes(b"not a database" * 100)

    result = invoke(["campaign", "send", str(recipients), "--fake", "--resume"])

    assert result.exit_code == 2
    assert "not a usable campaign journal" in result.stderr


def test_the_human_summary_shows_statuses_cost_and_reasons(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = write_csv(tmp_path / "people.csv", "msisdn\n380970000001\n123\n")
    served.fake.faults.script(["503", "lost_answer"])

    result = invoke(["campaign", "send", str(recipients), *VIBER], env=served.env)

    assert result.exit_code == 1
    for text in (
        "accepted",
        "invalid",
        "cost: 0.23 EUR",
        "invalid msisdn (first on line 3)",
        "retries: 1 requests retried (2 retries); lost answers: 1, recovered: 1",
    ):
        assert text in result.stdout
    assert "sending: 2/2 (100%)" in result.stderr


# -- campaign status -----------------------------------------------------------------------


def test_campaign_status_reads_every_id_and_writes_the_statuses_back(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = write_csv(
        tmp_path / "people.csv",
        "msisdn,reference\n" + "".join(f"38097{i:07d},r{i}\n" for i in range(80)) + "1,bad\n",
    )
    send(recipients, served, *VIBER, "--sms-fallback", "Sale by SMS")
    served.fake.advance(3600)
    results = tmp_path / "people.results.csv"

    result = invoke(["campaign", "status", str(results), "--json"], env=served.env)

    assert result.exit_code == 0, result.output
    summary = parse_json(result)
    rows = results_of(results)
    statuses = {row["reference"]: row["status"] for row in rows}
    for reference, status in statuses.items():
        if reference == "bad":
            assert status == "invalid"
        else:
            assert status == served.fake.viber.status(reference)
    assert summary["rows"] == 81 and summary["failed_reads"] == 0
    assert sum(summary["statuses"].values()) == 81
    fallback = [r for r in rows if r["fallback_status"]]
    assert fallback and all(r["status"] == "undeliverable" for r in fallback)
    assert summary["fallback_statuses"]


def test_campaign_status_counts_failed_reads(served: ServedFake, tmp_path: Path) -> None:
    results = write_csv(tmp_path / "r.csv", "id,status\n4700000999,accepted\n,invalid\n")

    result = invoke(["campaign", "status", str(results), "--channel", "viber"], env=served.env)

    assert result.exit_code == 1
    assert "1 status reads failed" in result.stderr
    rows = results_of(results)
    assert [r["status"] for r in rows] == ["accepted", "invalid"]
    assert list(rows[0]) == [
        "id",
        "status",
        *[c for c in RESULT_COLUMNS if c not in ("id", "status")],
    ]


def test_campaign_status_skips_ids_that_are_not_plain_numbers(
    served: ServedFake, tmp_path: Path
) -> None:
    # Thousands of digits (which `int()` refuses past 4,300), other scripts' digits, zero.
    ids = ["9" * 5000, "\u0661\u0662\u0663", "0", "12a"]
    results = write_csv(tmp_path / "r.csv", "id,status\n" + "".join(f"{i},accepted\n" for i in ids))

    result = invoke(["campaign", "status", str(results), "--channel", "viber"], env=served.env)

    assert result.exit_code == 0, result.output
    assert [r["status"] for r in results_of(results)] == ["accepted"] * len(ids)
    assert not served.fake.requests  # nothing was looked up


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"msisdn,reference\n", "line 1: missing columns: id, status, channel"),
        (b"id,status,channel\n1,accepted,viber\n\xff\n", "line 3: not UTF-8"),
    ],
)
def test_campaign_status_refuses_an_unusable_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    results = tmp_path / "r.csv"
    results.write_bytes(content)

    result = invoke(["campaign", "status", str(results), "--fake"])

    assert result.exit_code == 2
    assert message in result.stderr
    assert results.read_bytes() == content
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_campaign_status_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(["campaign", "status", str(tmp_path / "r.csv"), "--fake"])

    assert result.exit_code == 2
