"""`bsg demo` (also `python -m bsg_async demo`): a campaign of 5,000 Viber recipients with SMS
fallback, invalid and refused numbers, injected faults and lost answers, sent to FakeBSG served
on 127.0.0.1, with the exactly-once check."""

from __future__ import annotations

import sys
from decimal import Decimal

import pytest

from bsg_async.cli._demo import DemoResult

from .cli_support import invoke, parse_json


def test_the_default_demo_sends_5000_recipients_exactly_once() -> None:
    result = invoke(["demo", "--json", "--statuses", "300"])

    assert result.exit_code == 0, result.output
    report = parse_json(result)
    assert report["recipients"] == 5000
    assert report["exactly_once"] is True
    assert report["sent"] + report["failed"] == 5000
    assert report["accepted_by_fake"] == report["sent"]
    assert report["accepted_twice"] == report["failed_but_accepted"] == 0
    assert report["served_at"].startswith("http://127.0.0.1:")
    # the faults really happened, and every kind was met
    assert {"lost_answer", "reset_after", "503", "429"} <= set(report["faults"])
    # ... and the summary counts what they cost: retries, lost answers, all recovered
    assert report["retries"] >= report["requests_retried"] > 0
    assert report["lost_answers"] >= report["faults"]["lost_answer"]
    assert report["lost_answers_recovered"] == report["lost_answers"]
    # failures come with their reasons: refused before sending, and refused by the service
    reasons = {item["reason"]: item["count"] for item in report["reasons"]}
    assert set(reasons) == {"invalid to", "Invalid phone number (code 41)"}
    assert sum(reasons.values()) == report["failed"]
    # cost per currency, and statuses read back
    assert Decimal(report["cost"]["EUR"]) == Decimal("0.23") * report["sent"]
    assert report["statuses_read"] == 300 and sum(report["statuses"].values()) == 300
    assert "undeliverable" in report["statuses"] and report["fallback_statuses"]
    assert report["per_second"] > 0 and report["send_requests"] >= 5000 // 50


def test_the_demo_report_reads_well_in_a_terminal_log() -> None:
    result = invoke(["demo", "--recipients", "400", "--statuses", "100", "--seed", "3"])

    assert result.exit_code == 0, result.output
    out = result.stdout
    for part in (
        "outcomes (stream_many)",
        "statuses of a sample of 100 of the ",
        "statuses an hour later",
        "SMS fallback: ",
        "cost: Viber ",
        "failures by reason:",
        "invalid to",
        "faults injected by the fake: ",
        " requests retried (",
        "; lost answers: ",
        "exactly-once: the fake accepted",
        "-> OK",
        "throughput: 400 recipients in ",
    ):
        assert part in out, part
    assert "FakeBSG serving on http://127.0.0.1:" in result.stderr
    assert "sending: 400/400 (100%)" in result.stderr


def test_the_demo_can_skip_reading_statuses() -> None:
    result = invoke(["demo", "--recipients", "100", "--statuses", "0", "--json"])

    report = parse_json(result)
    assert result.exit_code == 0
    assert report["statuses_read"] == 0 and report["statuses"] == {}


def test_the_demo_uses_the_in_process_transport_without_uvicorn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)

    result = invoke(["demo", "--recipients", "200", "--statuses", "20", "--json"])

    report = parse_json(result)
    assert result.exit_code == 0
    assert report["exactly_once"] is True
    assert report["served_at"].startswith("in process")


def test_the_demo_recipients_are_seeded_and_mix_invalid_and_refused_numbers() -> None:
    def failures(seed: int) -> dict[str, tuple[int, str]]:
        args = ["demo", "--recipients", "2000", "--statuses", "0", "--seed", str(seed), "--json"]
        result = invoke(args)
        assert result.exit_code == 0, result.output
        reasons = parse_json(result)["reasons"]
        return {item["reason"]: (item["count"], item["example"]) for item in reasons}

    first, again, other = failures(5), failures(5), failures(6)

    assert first == again != other  # the same seed, the same recipients
    assert 10 <= first["invalid to"][0] <= 60  # malformed numbers, refused before sending
    assert 5 <= first["Invalid phone number (code 41)"][0] <= 40  # refused by the service


def test_the_verdict_fails_when_the_fake_and_the_sdk_disagree() -> None:
    fields = {
        "recipients": 10,
        "sent": 9,
        "failed": 1,
        "accepted_by_fake": 9,
        "accepted_twice": 0,
        "failed_but_accepted": 0,
        "sent_not_accepted": 0,
        "seconds": 1.0,
        "send_requests": 1,
        "statuses_read": 0,
        "statuses": {},
        "fallback_statuses": {},
        "cost": {},
        "fallback_cost": {},
        "reasons": [],
        "faults": {},
        "served_at": "x",
    }

    assert DemoResult(**fields).exactly_once  # type: ignore[arg-type]
    for field, value in [
        ("accepted_by_fake", 10),
        ("accepted_twice", 1),
        ("failed_but_accepted", 1),
        ("sent_not_accepted", 1),
    ]:
        assert not DemoResult(**{**fields, field: value}).exactly_once  # type: ignore[arg-type]
