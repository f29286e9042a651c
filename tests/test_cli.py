"""`bsg` single-message commands through the real entry point, against FakeBSG: sending, status
reads, balance, the API key's sources (never echoed), `--fake`, `--json` and the exit codes."""

from __future__ import annotations

import shlex
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import anyio
import pytest

import bsg_async.__main__ as entry
from bsg_async import AsyncBSG
from bsg_async.cli import main
from bsg_async.testing import Account, FakeBSG, Rules

from .cli_support import ROOT, ServedFake, invoke, parse_json, python_env, served
from .conftest import API_KEY

__all__ = ["served"]  # fixture


def test_help_lists_every_command() -> None:
    result = invoke(["--help"])

    assert result.exit_code == 0
    for command in ("demo", "sms", "viber", "balance", "campaign"):
        assert command in result.stdout


def test_python_dash_m_runs_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bsg_async", "--version"],
        capture_output=True,
        text=True,
        env=python_env(),
        cwd=ROOT,
        timeout=60,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("bsg, version ")


def test_main_returns_the_exit_status_instead_of_exiting() -> None:
    assert main(["--version"]) == 0
    assert main(["sms", "send"]) == 2  # missing options: a usage error


def test_without_the_cli_extra_python_dash_m_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(sys.modules):
        if name == "bsg_async.cli" or name.startswith("bsg_async.cli."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "click", None)

    assert entry.main() == 2
    assert "pip install 'bsg-async[cli]'" in capsys.readouterr().err


def test_fake_sms_send_needs_no_key_and_prints_the_receipt_as_json() -> None:
    result = invoke(
        "sms send --fake --json --to +380501234567 --text Hi --sender Shop --reference order42"
    )

    assert result.exit_code == 0, result.output
    receipt = parse_json(result)
    assert receipt["reference"] == "order42" and receipt["to"] == "380501234567"
    assert Decimal(receipt["price"]) == Decimal("0.02") and receipt["currency"] == "EUR"
    assert isinstance(receipt["id"], int)


def test_sms_send_reaches_the_service_with_the_key_from_the_environment(
    served: ServedFake,
) -> None:
    result = invoke(
        "sms send --to 380501234567 --text 'Your code is 1234' --sender Shop "
        "--validity 24 --tariff 0",
        env=served.env,
    )

    assert result.exit_code == 0, result.output
    [message] = served.fake.sms.messages
    assert message.to == "380501234567" and message.text == "Your code is 1234"
    assert str(message.id) in result.stdout and "accepted" in result.stdout


def test_api_key_file_is_read_and_never_echoed(served: ServedFake, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(f"  {API_KEY}\n", encoding="utf-8")
    env = {k: v for k, v in served.env.items() if k != "BSG_API_KEY"}

    result = invoke(
        f"sms send --api-key-file {key_file} --to 380501234567 --text Hi --sender Shop",
        env=env,
    )

    assert result.exit_code == 0, result.output
    assert len(served.fake.sms) == 1
    assert API_KEY not in result.output


def test_a_refused_key_is_a_configuration_error_that_does_not_show_the_key(
    served: ServedFake,
) -> None:
    wrong = "live_0123456789abcdef0123456789abcdef"

    result = invoke(
        ["sms", "send", "--to", "380501234567", "--text", "Hi", "--sender", "Shop"],
        env={**served.env, "BSG_API_KEY": wrong},
    )

    assert result.exit_code == 2
    assert "AuthenticationError" not in result.stdout  # a plain message on stderr
    assert "error:" in result.stderr
    assert wrong not in result.output
    assert len(served.fake.sms) == 0


def test_a_missing_key_is_a_usage_error_naming_the_variable() -> None:
    result = invoke(["balance"])

    assert result.exit_code == 2
    assert "BSG_API_KEY" in result.stderr and "--api-key-file" in result.stderr


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "cannot read"), ("\n  \n", "is empty"), (b"\xff\xfe", "not UTF-8")],
)
def test_an_unusable_key_file_is_a_usage_error(
    tmp_path: Path, content: str | bytes | None, problem: str
) -> None:
    key_file = tmp_path / "key"
    if isinstance(content, bytes):
        key_file.write_bytes(content)
    elif content is not None:
        key_file.write_text(content, encoding="utf-8")

    result = invoke(["balance", "--api-key-file", str(key_file)])

    assert result.exit_code == 2
    assert problem in result.stderr


def test_invalid_input_is_a_usage_error_naming_the_field_before_any_request(
    served: ServedFake,
) -> None:
    result = invoke(
        ["sms", "send", "--to", "12ab", "--text", "Hi", "--sender", "Shop"], env=served.env
    )

    assert result.exit_code == 2
    assert "to=" in result.stderr and "12ab" in result.stderr
    assert served.fake.requests == ()


def test_errors_are_json_on_stdout_with_json(served: ServedFake) -> None:
    result = invoke(
        ["sms", "send", "--json", "--to", "12ab", "--text", "Hi", "--sender", "Shop"],
        env=served.env,
    )

    assert result.exit_code == 2
    error = parse_json(result)["error"]
    assert error["type"] == "InvalidParameterError" and error["field"] == "to"


def test_viber_send_with_fallback_reports_every_recipient(served: ServedFake) -> None:
    result = invoke(
        "viber send --json --to 380972920000 --to 380972920001 --text Sale --sender BSG "
        "--sms-fallback 'Sale by SMS' --validity 3600 --promotional",
        env=served.env,
    )

    assert result.exit_code == 0, result.output
    entries = parse_json(result)["entries"]
    assert [e["to"] for e in entries] == ["380972920000", "380972920001"]
    assert all(isinstance(e["id"], int) for e in entries)
    message = served.fake.viber.messages[0]
    assert message.submission.fallback == ("BSG", "Sale by SMS")
    assert message.submission.is_promotional


def test_viber_send_exits_1_when_the_service_refuses_a_recipient() -> None:
    fake = FakeBSG(
        seed=1, account=Account(api_keys=[API_KEY]), rules=Rules(invalid_prefixes=["3800000"])
    )
    with ServedFake(fake) as served_fake:
        result = invoke(
            "viber send --to 380972920000 --to 380000000001 --text Sale --sender BSG",
            env=served_fake.env,
        )

    assert result.exit_code == 1
    assert "refused" in result.stdout and "accepted" in result.stdout
    assert len(fake.viber) == 1


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (["--to", "380972920001", "--reference", "r1"], "--reference needs exactly one --to"),
        (["--fallback-sender", "X"], "--fallback-sender needs --sms-fallback"),
    ],
)
def test_viber_send_refuses_inconsistent_options(extra: list[str], problem: str) -> None:
    result = invoke(
        [*shlex.split("viber send --fake --to 380972920000 --text Hi --sender BSG"), *extra]
    )

    assert result.exit_code == 2
    assert problem in result.stderr


def test_sms_status_reads_by_id_and_by_reference(served: ServedFake) -> None:
    sent = invoke(
        "sms send --json --to 380501234567 --text Hi --sender Shop --reference order42",
        env=served.env,
    )
    message_id = parse_json(sent)["id"]

    one = invoke(["sms", "status", "--json", str(message_id)], env=served.env)
    both = invoke(
        ["sms", "status", "--json", str(message_id), "--reference", "order42"], env=served.env
    )
    table = invoke(["sms", "status", "--reference", "order42"], env=served.env)

    assert one.exit_code == both.exit_code == table.exit_code == 0
    assert parse_json(one)["id"] == message_id and parse_json(one)["status"] == "scheduled"
    assert [r["reference"] for r in parse_json(both)] == ["order42", "order42"]
    assert "order42" in table.stdout and "scheduled" in table.stdout


def test_status_of_an_unknown_message_exits_1_with_the_error(served: ServedFake) -> None:
    result = invoke(["sms", "status", "--json", "99"], env=served.env)

    assert result.exit_code == 1
    assert parse_json(result)["error"]["type"] == "NotFoundError"


def test_status_needs_an_id_or_a_reference() -> None:
    result = invoke(["viber", "status", "--fake"])

    assert result.exit_code == 2
    assert "--reference" in result.stderr


def test_viber_status_shows_the_sms_fallback(served: ServedFake) -> None:
    numbers = [f"38097{i:07d}" for i in range(40)]
    to = " ".join(f"--to {number}" for number in numbers)
    sent = invoke(
        f"viber send --json {to} --text Hi --sender BSG --sms-fallback 'Hi by SMS'",
        env=served.env,
    )
    ids = [str(e["id"]) for e in parse_json(sent)["entries"]]
    served.fake.advance(60)

    result = invoke(["viber", "status", "--json", *ids], env=served.env)
    table = invoke(["viber", "status", *ids], env=served.env)

    assert result.exit_code == table.exit_code == 0
    reports = parse_json(result)
    with_fallback = [r for r in reports if r["fallback"]]
    assert with_fallback, "the seeded fake has people without Viber"
    assert all(r["status"] == "undeliverable" for r in with_fallback)
    assert "sms " in table.stdout


def test_sms_task_shows_the_counters(served: ServedFake) -> None:
    async def bulk() -> int:
        async with AsyncBSG(API_KEY, base_url=served.url + "/rest") as bsg:
            result = await bsg.sms.send_bulk(
                to=["380972000001", "380972000002"], text="Hi", sender="Shop"
            )
        assert result.task_id is not None
        return result.task_id

    task_id = anyio.run(bulk)

    result = invoke(["sms", "task", "--json", str(task_id)], env=served.env)
    table = invoke(["sms", "task", str(task_id)], env=served.env)

    assert result.exit_code == table.exit_code == 0
    assert parse_json(result)["sender"] == "Shop"
    assert f"task {task_id}" in table.stdout


def test_balance_is_read_from_the_one_api(served: ServedFake) -> None:
    result = invoke(["balance", "--json"], env=served.env)
    table = invoke(["balance"], env=served.env)

    assert result.exit_code == table.exit_code == 0
    assert Decimal(parse_json(result)["balance"]) == Decimal("100")
    assert "EUR" in table.stdout


def test_an_unreachable_service_exits_1() -> None:
    result = invoke(
        "balance --base-url http://127.0.0.1:9/rest --one-api-url http://127.0.0.1:9 --timeout 2",
        env={"BSG_API_KEY": API_KEY},
    )

    assert result.exit_code == 1
    assert "error:" in result.stderr
    assert API_KEY not in result.output


def test_a_bad_base_url_is_a_usage_error() -> None:
    result = invoke(["balance", "--base-url", "ftp://x"], env={"BSG_API_KEY": API_KEY})

    assert result.exit_code == 2
    assert "base_url" in result.stderr
