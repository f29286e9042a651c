"""What the command line prints: rich text for people, JSON for programs (`--json`)."""

from __future__ import annotations

import datetime as dt
import enum
import json
import sys
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
from rich.console import Console
from rich.table import Table

from ..errors import APIError, BSGError, InvalidParameterError

__all__ = ["Output", "describe_error", "jsonable", "key_value_table", "retry_line"]

PIPE_WIDTH = 160
"""Columns of output that does not go to a terminal."""


def jsonable(value: Any) -> Any:
    """`value` as plain JSON data: `Decimal` as a string (no float rounding), times in ISO 8601,
    durations in seconds, enums by value, attrs values as objects, errors as
    `{"type", "message", ...}`."""
    if isinstance(value, enum.Enum):  # before `str`: status enums are `str` subclasses
        return jsonable(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        seconds, rest = divmod(value, dt.timedelta(seconds=1))
        return seconds if not rest else value.total_seconds()
    if isinstance(value, BaseException):
        return describe_error(value)
    if attrs.has(type(value)):
        return {
            field.name: jsonable(getattr(value, field.name)) for field in attrs.fields(type(value))
        }
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(item) for item in value]
    return str(value)


def describe_error(error: BaseException) -> dict[str, Any]:
    """An error as JSON data: its type, message and, where it has them, code and field."""
    described: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    if isinstance(error, APIError):
        described["code"] = error.code
        described["http_status"] = error.http_status
    if isinstance(error, InvalidParameterError | APIError) and error.field is not None:
        described["field"] = error.field
    if isinstance(error, BSGError):
        described["may_have_been_accepted"] = error.may_have_been_accepted
    return described


class Output:
    """The two channels of a command: results on stdout, progress and problems on stderr.

    With `as_json`, stdout carries exactly one JSON document (results or `{"error": ...}`) and
    nothing else, so `bsg ... --json | jq` always parses.
    """

    def __init__(self, *, as_json: bool) -> None:
        self.as_json = as_json
        # Resolved now, not at import: click's test runner swaps the streams per invocation.
        # A pipe or a file gets wide lines (a terminal, its own width).
        self.out = Console(file=sys.stdout, highlight=False, width=_width(sys.stdout))
        self.err = Console(file=sys.stderr, highlight=False, width=_width(sys.stderr))

    def json(self, data: Any) -> None:
        """Print `data` as one JSON document on stdout."""
        text = json.dumps(jsonable(data), indent=2, ensure_ascii=False)
        self.out.print(text, markup=False, highlight=False, soft_wrap=True)

    def line(self, text: str = "", *, style: str | None = None) -> None:
        """A plain line on stdout (never parsed as markup)."""
        self.out.print(text, style=style, markup=False, highlight=False)

    def note(self, text: str, *, style: str | None = None) -> None:
        """A line on stderr: progress, hints, warnings."""
        self.err.print(text, style=style, markup=False, highlight=False)

    def table(self, table: Table) -> None:
        """A rich table on stdout."""
        self.out.print(table)

    def error(self, error: BaseException | str) -> None:
        """Report a failure: `{"error": ...}` on stdout with `--json`, else a line on stderr."""
        if self.as_json:
            data = (
                describe_error(error)
                if isinstance(error, BaseException)
                else {"type": "Error", "message": error}
            )
            self.json({"error": data})
        else:
            self.err.print(f"error: {error}", style="bold red", markup=False, highlight=False)


def _width(stream: Any) -> int | None:
    isatty = getattr(stream, "isatty", None)
    return None if callable(isatty) and isatty() else PIPE_WIDTH


def retry_line(requests_retried: int, retries: int, lost: int, recovered: int) -> str:
    """The summary's line on what the requests went through: retries, and sends whose answer
    was lost (the service may have accepted them unseen) and then recovered."""
    return (
        f"retries: {requests_retried:,} requests retried ({retries:,} retries); "
        f"lost answers: {lost:,}, recovered: {recovered:,}"
    )


def key_value_table(title: str | None, rows: Mapping[str, Any]) -> Table:
    """A two-column table of names and values (`None` shown as an empty cell)."""
    table = Table(title=title, show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for name, value in rows.items():
        table.add_row(name, "" if value is None else str(jsonable(value)))
    return table
