"""The command line's building blocks on their own: exit-code mapping, JSON conversion, the
progress display, the CSV reader and the references of rows without one."""

from __future__ import annotations

import builtins
import datetime as dt
import io
import sys
from decimal import Decimal
from pathlib import Path

import click
import pytest
from rich.console import Console

from bsg_async import (
    AuthenticationError,
    NotFoundError,
    Receipt,
    SmsStatus,
    TransportError,
)
from bsg_async.cli._campaign import default_store, derived_reference
from bsg_async.cli._common import UsageProblem, run_command
from bsg_async.cli._csvin import CsvFileError, CsvRow, RecipientsReader, RowProblem
from bsg_async.cli._output import Output, jsonable
from bsg_async.cli._progress import CountProgress

from .cli_support import write_csv


def exit_code(error: BaseException, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    async def work() -> int:
        raise error

    with pytest.raises(click.exceptions.Exit) as done:
        run_command(Output(as_json=False), work)
    return done.value.exit_code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (UsageProblem("bad option"), 2),
        (AuthenticationError("Invalid API key", code=1), 2),
        (NotFoundError("SMS not found", code=20), 1),
        (TransportError("connection refused"), 1),
        (KeyboardInterrupt(), 130),
    ],
)
def test_failures_map_to_the_documented_exit_codes(
    error: BaseException, code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code(error, capsys)[0] == code


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is 3.11+")
def test_an_error_inside_task_groups_is_reported_as_itself(
    capsys: pytest.CaptureFixture[str],
) -> None:
    group = getattr(builtins, "BaseExceptionGroup")  # noqa: B009 - 3.11+ only
    nested = group("outer", [group("inner", [UsageProblem("x")])])

    assert exit_code(nested, capsys) == (2, "error: x\n")


def test_a_successful_command_exits_with_its_own_status() -> None:
    async def work() -> int:
        return 1

    with pytest.raises(click.exceptions.Exit) as done:
        run_command(Output(as_json=False), work)
    assert done.value.exit_code == 1


def test_json_output_keeps_money_exact_and_times_readable() -> None:
    receipt = Receipt(id=22125, reference="r1", price=Decimal("0.0200000"), currency="EUR")
    data = jsonable(
        {
            "receipt": receipt,
            "status": SmsStatus.DELIVERED,
            "at": dt.datetime(2017, 1, 17, 9, 11, 41),
            "refs": frozenset({"a"}),
            "error": NotFoundError("SMS not found", code=20, http_status=200),
            "other": Path("x"),
        }
    )

    assert data["receipt"] == {
        "id": 22125,
        "reference": "r1",
        "price": "0.0200000",
        "currency": "EUR",
        "to": None,
    }
    assert data["status"] == "delivered" and data["at"] == "2017-01-17T09:11:41"
    assert data["refs"] == ["a"] and data["other"] == "x"
    assert data["error"]["type"] == "NotFoundError" and data["error"]["code"] == 20


def test_the_progress_bar_on_a_terminal_shows_count_rate_eta_and_failures() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)

    with CountProgress(console, "sending", total=200, done=50, failed=1) as progress:
        progress.advance(100, failed=2)

    shown = screen.getvalue()
    assert "sending" in shown and "150/200" in shown and "3 failed" in shown
    assert "/s" in shown and "ETA" in shown


def test_the_progress_in_a_log_is_a_plain_line_per_interval() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=False, width=120)

    with CountProgress(console, "reading", total=None, interval=0.0) as progress:
        progress.advance(5)
        progress.advance(5, failed=1)

    lines = screen.getvalue().splitlines()
    assert lines[0].startswith("reading: 5, ") and lines[-1].startswith("reading: 10, ")
    assert lines[-1].endswith("1 failed") and len(lines) == 2


def test_the_reader_gives_rows_in_batches_with_their_line_numbers(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv",
        "text,MSISDN\nHi,380970000001\n,380970000002\n\nYo,x\n",
    )

    with RecipientsReader(path, default_text=False) as reader:
        first = reader.read(2)
        rest = reader.read(10)
        end = reader.read(10)

    assert first == [
        CsvRow(2, "380970000001", None, "Hi"),
        RowProblem(
            3,
            "380970000002",
            None,
            "line 3: invalid text=None: the row has no text and no --text was given",
            "missing text",
        ),
    ]
    assert [(r.line, r.reason) for r in rest] == [(5, "invalid msisdn")]  # type: ignore[union-attr]
    assert end == []


def test_the_reader_enforces_the_text_limit(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", "msisdn,text\n380970000001," + "x" * 1001 + "\n")

    [row] = RecipientsReader(path, text_limit=1000).read(5)

    assert isinstance(row, RowProblem) and "at most 1000 characters" in row.message


def test_the_reader_reports_a_file_it_cannot_open(tmp_path: Path) -> None:
    with pytest.raises(CsvFileError) as error:
        RecipientsReader(tmp_path / "missing.csv").read(1)

    assert error.value.line == 0 and "cannot open" in str(error.value)


def test_a_resumed_count_never_passes_the_total() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=False, width=120)

    with CountProgress(console, "sending", total=2000, done=2000, interval=0.0) as progress:
        progress.advance(2000)
    with CountProgress(console, "sending", total=2000, done=4000) as resumed:
        pass

    assert screen.getvalue().splitlines()[-1].startswith("sending: 2,000/2,000 (100%)")
    assert resumed.done == 2000


def test_the_terminal_bar_never_passes_the_total() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)

    with CountProgress(console, "sending", total=10, done=8) as progress:
        progress.advance(5)

    assert "10/10" in screen.getvalue() and "13/10" not in screen.getvalue()


def test_a_row_without_reference_gets_the_same_one_on_every_import() -> None:
    first = derived_reference("people", "ab" * 32, 7)

    assert first == derived_reference("people", "ab" * 32, 7)
    assert len({first, *(derived_reference(*key) for key in OTHER_KEYS)}) == 1 + len(OTHER_KEYS)
    assert len(first) == 32 and first.isalnum()


OTHER_KEYS = [("people", "ab" * 32, 8), ("june", "ab" * 32, 7), ("people", "cd" * 32, 7)]


def test_the_default_store_sits_beside_the_results(tmp_path: Path) -> None:
    assert default_store(tmp_path / "x.results.csv") == str(tmp_path / "x.results.journal.sqlite")


def test_json_output_gives_durations_in_seconds() -> None:
    assert jsonable(dt.timedelta(hours=72)) == 259_200
    assert jsonable(dt.timedelta(seconds=1.5)) == 1.5
