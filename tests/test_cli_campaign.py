"""`bsg campaign send` in process, against a FakeBSG served on 127.0.0.1: the campaign store
(SQLite by default, beside the results), the results CSV, bad CSVs with line numbers,
`--strict`, running again to resume, and the reconciliation of rows whose fate was unknown.
`work`, `results` and `status` on both store dialects are in `test_cli_store.py`."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from bsg_async.testing import Account, FakeBSG, Rules

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


def test_running_again_resumes_and_sends_nobody_twice(served: ServedFake, tmp_path: Path) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 60)
    assert send(recipients, served, *VIBER)[0] == 0
    served.fake.clear_requests()

    code, summary = send(recipients, served, *VIBER)
    bare = invoke(["campaign", "send", str(recipients), "--resume"], env=served.env)

    assert code == 0 and summary["statuses"] == {"accepted": 60}
    assert summary["this_run"] == {"sent": 0, "failed": 0}
    assert bare.exit_code == 0, bare.output  # the store keeps the settings (--resume: a no-op)
    assert "sending: 60/60 (100%)" in bare.stderr  # never past 100%
    assert not [r for r in served.fake.requests if r.path.endswith("/create")]
    assert len(served.fake.viber.accepted) == 60


def test_resume_refuses_other_settings_and_a_changed_file(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 5)
    assert send(recipients, served, *VIBER)[0] == 0

    other_text = invoke(["campaign", "send", str(recipients), "--text", "Other"], env=served.env)
    same_text = invoke(["campaign", "send", str(recipients), "--text", "Sale"], env=served.env)
    numbers_csv(recipients, 6, start=100)
    changed = invoke(["campaign", "send", str(recipients)], env=served.env)
    renamed = invoke(
        ["campaign", "send", str(recipients), "--name", "june", *VIBER], env=served.env
    )

    assert other_text.exit_code == 2 and "--text differ" in other_text.stderr
    assert same_text.exit_code == 0
    assert changed.exit_code == 2 and "changed since the campaign" in changed.stderr
    assert renamed.exit_code == 0, renamed.output  # another campaign of the same store
    assert len(served.fake.viber) == 5 + 6


def test_lost_answers_are_resolved_by_reference_to_one_acceptance(tmp_path: Path) -> None:
    # The first sends are processed but their answers lost: the worker learns what happened
    # by reference (resume=True) and records each message once, with the service's id.
    fake = FakeBSG(seed=1, account=Account(api_keys=[API_KEY]))
    fake.faults.script(["lost_answer"] * 6)
    recipients = numbers_csv(tmp_path / "people.csv", 120)
    with ServedFake(fake) as served_fake:
        result = invoke(
            ["campaign", "send", str(recipients), "--json", *VIBER], env=served_fake.env
        )

    assert result.exit_code == 0, result.output
    summary = parse_json(result)
    assert summary["statuses"] == {"accepted": 120}
    assert summary["lost_answers"] >= 1
    assert set(fake.viber.accepted.values()) == {1} and len(fake.viber.accepted) == 120
    rows = results_of(tmp_path / "people.results.csv")
    assert all(int(r["id"]) == fake.viber.find(r["reference"]).id for r in rows)  # type: ignore[union-attr]


def test_rows_handed_before_a_stop_are_reconciled_by_reference(
    served: ServedFake, tmp_path: Path
) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 100)
    assert send(recipients, served, *VIBER)[0] == 0
    # As if the process had died with every chunk handed to the service, no outcome recorded,
    # and the service held only the first 50 (sent to a fresh fake from another store).
    db = sqlite3.connect(tmp_path / JOURNAL)
    with db:
        db.execute(
            "UPDATE bsg_outbox_rows SET state = 'pending', message_id = NULL, "
            "price = NULL, may_have_been_accepted = 1"
        )
        db.execute("UPDATE bsg_outbox_chunks SET state = 'pending', handed = 1")
    db.close()
    served.fake.reset()
    half = numbers_csv(tmp_path / "half.csv", 50)
    assert send(half, served, *VIBER, "--store", str(tmp_path / "other.sqlite"))[0] == 0
    served.fake.clear_requests()

    code, summary = send(recipients, served)

    assert code == 0 and summary["statuses"] == {"accepted": 100}
    assert set(served.fake.viber.accepted.values()) == {1}
    assert len(served.fake.viber.accepted) == 100
    rows = results_of(tmp_path / "people.results.csv")
    assert all(int(r["id"]) == served.fake.viber.find(r["reference"]).id for r in rows)  # type: ignore[union-attr]


def test_passing_failures_are_sent_again_until_they_go_through(tmp_path: Path) -> None:
    fake = FakeBSG(seed=1, account=Account(api_keys=[API_KEY]))
    fake.faults.script(["429"] * 8)
    recipients = numbers_csv(tmp_path / "people.csv", 60)
    with ServedFake(fake) as served_fake:
        result = invoke(
            ["campaign", "send", str(recipients), "--json", *VIBER], env=served_fake.env
        )

    assert result.exit_code == 0, result.output
    assert parse_json(result)["statuses"] == {"accepted": 60}
    assert len(fake.viber.accepted) == 60 and set(fake.viber.accepted.values()) == {1}


def test_final_failures_stay_failed_when_run_again(tmp_path: Path) -> None:
    fake = FakeBSG(
        seed=1,
        account=Account(api_keys=[API_KEY]),
        rules=Rules(invalid_prefixes=["38097000000"]),
    )
    recipients = numbers_csv(tmp_path / "people.csv", 20)
    with ServedFake(fake) as served_fake:
        first = invoke(["campaign", "send", str(recipients), "--json", *VIBER], env=served_fake.env)
        fake.clear_requests()
        again = invoke(["campaign", "send", str(recipients), "--json"], env=served_fake.env)

    assert first.exit_code == again.exit_code == 1
    assert parse_json(again)["statuses"] == {"accepted": 10, "failed": 10}
    assert [reason["count"] for reason in parse_json(again)["reasons"]] == [10]
    assert fake.requests == ()
    rows = results_of(tmp_path / "people.results.csv")
    assert all("code 41" in r["error"] for r in rows if r["status"] == "failed")


def test_two_runs_of_one_file_at_once_send_everyone_once(tmp_path: Path) -> None:
    # Rows without a reference get one derived from the campaign, the file and the line:
    # both runs import the same references, and the store's workers share the rows.
    recipients = numbers_csv(tmp_path / "people.csv", 200, references=False)
    command = [sys.executable, "-m", "bsg_async", "campaign", "send", str(recipients), *VIBER]
    command += ["--chunk-size", "5", "--concurrency", "2"]

    with FakeProcess("--latency-ms=20") as fake:
        runs = []
        for index in range(2):
            log = (tmp_path / f"run{index}.log").open("wb")
            runs.append(
                (
                    subprocess.Popen(
                        command, env=python_env(fake.env), cwd=ROOT, stdout=log, stderr=log
                    ),
                    log,
                )
            )
        codes = []
        for process, log in runs:
            codes.append(process.wait(60))
            log.close()
        accepted = fake.control("GET", "accepted")["viber"]

    assert codes == [0, 0], [(tmp_path / f"run{i}.log").read_text() for i in range(2)]
    assert len(accepted) == 200 and all(count == 1 for _, count in accepted.values())
    rows = results_of(tmp_path / "people.results.csv")
    assert {r["reference"] for r in rows} == set(accepted)


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    recipients = numbers_csv(tmp_path / "people.csv", 5)
    (tmp_path / JOURNAL).write_bytes(b"not a database" * 100)

    result = invoke(["campaign", "send", str(recipients), "--fake"])

    assert result.exit_code == 2
    assert f"cannot open the campaign store {tmp_path / JOURNAL}" in result.stderr


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


def test_an_unreachable_service_pauses_the_send_and_says_so(tmp_path: Path) -> None:
    # Three chunks in a row fail to connect (every attempt): the worker stops sending, says so
    # on stderr, tries again after a pause, and goes on when the service answers.
    fake = FakeBSG(seed=1, account=Account(api_keys=[API_KEY]))
    fake.faults.script(["connect_error"] * 9)
    recipients = numbers_csv(tmp_path / "people.csv", 20)
    options = ["--chunk-size", "5", "--concurrency", "1", "--json"]
    with ServedFake(fake) as served_fake:
        result = invoke(
            ["campaign", "send", str(recipients), *VIBER, *options], env=served_fake.env
        )

    assert result.exit_code == 0, result.output
    assert "the BSG service is unreachable" in result.stderr
    assert "answers again: sending resumed" in result.stderr
    summary = parse_json(result)
    assert summary["statuses"] == {"accepted": 20} and summary["pauses"] == 1
    assert len(fake.viber.accepted) == 20
