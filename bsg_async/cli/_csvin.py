"""Reading a campaign's recipients CSV as a stream, with a line number on every problem.

The file is UTF-8 (a byte-order mark is allowed) with a header line naming the columns:
`msisdn` (required), `reference` and `text` (optional), in any order. Rows are read one at a
time, never the whole file. A row that cannot be sent (bad number, bad reference, no text) is
a `RowProblem` carrying its line number; a file that cannot be read as a recipients CSV at all
(no header, unknown column, not UTF-8, broken quoting) raises `CsvFileError` with the line.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import attrs

from .. import _validation as rules
from ..errors import InvalidParameterError

__all__ = [
    "COLUMNS",
    "CsvFileError",
    "CsvRow",
    "RecipientsReader",
    "RowProblem",
    "file_digest",
    "utf8_lines",
]

COLUMNS = ("msisdn", "reference", "text")


class CsvFileError(Exception):
    """The file is not a readable recipients CSV; `line` is where reading stopped."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path} line {line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@attrs.frozen
class CsvRow:
    """One valid recipient row: `line` (1-based, where the row starts), the normalised
    `msisdn`, the caller's `reference` (or `None`) and the row's own `text` (or `None`)."""

    line: int
    msisdn: str
    reference: str | None
    text: str | None


@attrs.frozen
class RowProblem:
    """A row that cannot be sent: `line`, the raw `msisdn` and `reference` as given, and why
    (`message` for people, `reason` as a short key to group problems by)."""

    line: int
    msisdn: str
    reference: str | None
    message: str
    reason: str


def file_digest(path: Path) -> str:
    """The SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def utf8_lines(handle: BinaryIO, path: Path, seen: Callable[[int], None]) -> Iterator[str]:
    """The lines of a binary file decoded as UTF-8 (a leading byte-order mark dropped), one
    at a time; `seen(n)` is told each line's number before it is decoded. Raises
    `CsvFileError` naming the line and byte of the first invalid sequence."""
    for number, raw in enumerate(handle, start=1):
        seen(number)
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise CsvFileError(
                path,
                number,
                f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column {error.start + 1}):"
                " save the file as UTF-8",
            ) from None


class RecipientsReader:
    """Reads a recipients CSV row by row: `read(n)` returns up to `n` rows (`CsvRow` or
    `RowProblem`), an empty list at the end. Blocking: run it off the event loop.

    `text_limit` is the longest text a row may carry (Viber: 1,000); `default_text` says
    whether rows without a `text` may use the campaign's text. Raises `CsvFileError`.
    """

    def __init__(
        self, path: Path, *, text_limit: int | None = None, default_text: bool = True
    ) -> None:
        self.path = path
        self.text_limit = text_limit
        self.default_text = default_text
        self._handle: BinaryIO | None = None
        self._rows: Iterator[list[str]] | None = None
        self._physical = 0  # lines decoded so far
        self._columns: dict[str, int] = {}
        self._width = 0
        self._done = False

    def __enter__(self) -> RecipientsReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def read(self, count: int) -> list[CsvRow | RowProblem]:
        """Up to `count` more rows; `[]` once the file is exhausted."""
        if self._done:
            return []
        rows = self._open()
        found: list[CsvRow | RowProblem] = []
        while len(found) < count:
            start = self._physical + 1
            try:
                fields = next(rows)
            except StopIteration:
                self._done = True
                self.close()
                break
            except csv.Error as error:
                raise CsvFileError(self.path, self._physical, f"broken CSV: {error}") from None
            if not any(field.strip() for field in fields):
                continue  # a blank line is not a recipient
            found.append(self._row(start, fields))
        return found

    # -- internals -----------------------------------------------------------------------------

    def _open(self) -> Iterator[list[str]]:
        if self._rows is not None:
            return self._rows
        try:
            self._handle = self.path.open("rb")
        except OSError as error:
            raise CsvFileError(self.path, 0, f"cannot open: {error.strerror}") from None
        rows = csv.reader(self._lines(self._handle), strict=True)
        try:
            header = next(rows)
        except StopIteration:
            raise CsvFileError(
                self.path,
                1,
                "the file is empty: expected a header line `msisdn[,reference][,text]`",
            ) from None
        except csv.Error as error:
            raise CsvFileError(self.path, 1, f"broken CSV: {error}") from None
        self._columns = self._header(header)
        self._width = len(header)
        self._rows = rows
        return rows

    def _lines(self, handle: BinaryIO) -> Iterator[str]:
        def count(line: int) -> None:
            self._physical = line

        return utf8_lines(handle, self.path, count)

    def _header(self, header: list[str]) -> dict[str, int]:
        names = [name.strip().lower() for name in header]
        if "msisdn" not in names:
            first = names[0] if names else ""
            if first.lstrip("+").isdigit():
                message = (
                    f"missing header: the first line looks like a recipient ({header[0].strip()}); "
                    "add a first line `msisdn[,reference][,text]`"
                )
            else:
                message = (
                    f"the header has no `msisdn` column (found: {', '.join(names) or 'nothing'}); "
                    "expected `msisdn[,reference][,text]`"
                )
            raise CsvFileError(self.path, 1, message)
        columns: dict[str, int] = {}
        for position, name in enumerate(names):
            if name not in COLUMNS:
                raise CsvFileError(
                    self.path,
                    1,
                    f"unknown column {name!r} in the header; the columns are "
                    "msisdn, reference and text",
                )
            if name in columns:
                raise CsvFileError(self.path, 1, f"the column {name!r} appears twice")
            columns[name] = position
        return columns

    def _row(self, line: int, fields: list[str]) -> CsvRow | RowProblem:
        def cell(name: str) -> str | None:
            position = self._columns.get(name)
            if position is None or position >= len(fields):
                return None
            value = fields[position].strip()
            return value or None

        raw_msisdn = cell("msisdn") or ""
        raw_reference = cell("reference")
        if len(fields) > self._width:
            return RowProblem(
                line,
                raw_msisdn,
                raw_reference,
                f"line {line}: {len(fields)} fields, but the header has {self._width} "
                "(quote a text that contains commas)",
                "too many fields",
            )
        try:
            msisdn = rules.msisdn(raw_msisdn, "msisdn")
            reference = rules.optional_reference(raw_reference)
            text = cell("text")
            if text is not None:
                text = rules.text(text, "text", max_length=self.text_limit)
            elif not self.default_text:
                raise InvalidParameterError(
                    "text", None, "the row has no text and no --text was given"
                )
        except InvalidParameterError as invalid:
            return RowProblem(
                line, raw_msisdn, raw_reference, f"line {line}: {invalid}", _reason(invalid)
            )
        return CsvRow(line, msisdn, reference, text)


def _reason(invalid: InvalidParameterError) -> str:
    return (
        f"invalid {invalid.field}"
        if invalid.value not in (None, "")
        else f"missing {invalid.field}"
    )
