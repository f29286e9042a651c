"""The campaign journal: one SQLite file that makes `bsg campaign send` resumable.

Every CSV row becomes one journal row, keyed by its line number, **with its reference fixed
and committed before the row is handed to the SDK**. A row moves through these states:

```
new ──(claimed: committed before the SDK may send it)──► inflight ──► sent | failed
invalid: a CSV row that cannot be sent (bad number, duplicate reference...), never sent
```

A row is `inflight` from just before its request may leave until its outcome is committed.
After a crash (Ctrl-C, kill -9, power loss) the rows still `inflight`, and the `failed` ones
whose fate is unknown (`uncertain`), are reconciled by reference with the service before
anything is sent again; `handed` remembers that a row's reference was given to the service at
least once, so a row sent again goes out with `resume=True` (see `bsg_async.batch`).

Durability: WAL with `synchronous=FULL`. FULL syncs the write-ahead log on every commit, so a
committed reference or claim survives even a power loss; we commit once per chunk (at most 50
Viber or 1,000 SMS rows), which keeps the cost to one fsync per request. (NORMAL would be safe
against a killed process, but a power loss could roll back a claim whose request already left,
and the resumed run would then send that row as never sent.) A file lock held for the whole
run stops two processes from driving the same journal.

`Journal` is blocking (stdlib `sqlite3`); `AsyncJournal` runs each call in a worker thread,
one at a time, so the event loop never waits on the disk.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, TypeVar

import anyio
import attrs

from .. import _validation as rules
from ._common import UsageProblem
from ._csvin import CsvRow, RowProblem

__all__ = [
    "RESULT_COLUMNS",
    "AsyncJournal",
    "Claimed",
    "Journal",
    "JournalBusy",
    "Outcome",
    "Summary",
    "journal_path",
    "remove_journal",
]

SCHEMA_VERSION = "1"

RESULT_COLUMNS = (
    "line",
    "msisdn",
    "reference",
    "channel",
    "id",
    "status",
    "price",
    "currency",
    "error",
    "fallback_status",
)
"""The columns of a results CSV, in order."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    line INTEGER PRIMARY KEY,
    msisdn TEXT NOT NULL,
    reference TEXT UNIQUE,
    given_reference TEXT,
    text TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL,
    handed INTEGER NOT NULL DEFAULT 0,
    message_id INTEGER,
    price TEXT,
    currency TEXT,
    error TEXT,
    reason TEXT,
    uncertain INTEGER NOT NULL DEFAULT 0,
    retryable INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS rows_by_state ON rows (state, handed, text, line);
"""

# What a results CSV says for each journal state.
_RESULT_STATUS = {
    "new": "pending",
    "inflight": "unknown",
    "sent": "accepted",
    "failed": "failed",
    "invalid": "invalid",
}

T = TypeVar("T")


class JournalBusy(Exception):
    """Another process holds the journal's lock."""


def journal_path(results: Path) -> Path:
    """The journal beside a results CSV: `x.results.csv` -> `x.results.journal.sqlite`."""
    return results.with_name(results.stem + ".journal.sqlite")


@attrs.frozen
class Claimed:
    """A row handed to the SDK: its line, phone number and reference."""

    line: int
    msisdn: str
    reference: str


@attrs.frozen
class Outcome:
    """What became of one reference: `state` is `sent` or `failed`."""

    reference: str
    state: str
    message_id: int | None = None
    price: Decimal | None = None
    currency: str | None = None
    error: str | None = None
    reason: str | None = None
    uncertain: bool = False
    retryable: bool = False


@attrs.frozen
class Summary:
    """Counts per results status, cost per currency, the top failure reasons."""

    counts: dict[str, int]
    cost: dict[str, Decimal]
    reasons: list[tuple[str, int, int]]  # (reason, count, first line)

    @property
    def total(self) -> int:
        """Rows in the journal."""
        return sum(self.counts.values())


class Journal:
    """The blocking journal; see the module docstring. Use it from one thread at a time."""

    def __init__(self, path: Path, *, create: dict[str, str] | None = None) -> None:
        """Open the journal at `path`, or with `create` (the campaign's settings) make a new
        one. A new journal appears under its name only complete (schema and settings
        committed): it is built under a temporary name and renamed into place, so a run
        killed while creating it leaves no half-made journal behind.

        Raises `JournalBusy`, `FileExistsError`, `FileNotFoundError` or `sqlite3.Error`.
        """
        self.path = path
        self._lock_handle = _lock(path)
        try:
            if create is not None:
                if path.exists():
                    raise FileExistsError(str(path))
                _build(path, {**create, "schema": SCHEMA_VERSION})
            elif not path.exists():
                raise FileNotFoundError(str(path))
            self._db = _connect(path)
            if self.meta().get("schema") != SCHEMA_VERSION:
                self._db.close()
                raise sqlite3.DatabaseError("not a bsg campaign journal")
        except BaseException:
            self._release()
            raise

    def close(self) -> None:
        """Close the database and release the lock."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        self._release()

    def _release(self) -> None:
        handle, self._lock_handle = self._lock_handle, None
        if handle is not None:
            handle.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- campaign settings ---------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        """Every stored setting."""
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def set_meta(self, values: dict[str, str]) -> None:
        """Store settings (committed)."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                values.items(),
            )

    # -- import --------------------------------------------------------------------------------

    def add_rows(self, rows: Sequence[CsvRow | RowProblem]) -> list[RowProblem]:
        """Record CSV rows, each valid one with its reference (the caller's, or a new one),
        in one transaction; returns the problems, including duplicate references found here.
        Also records the last line read as `imported_through`."""
        problems: list[RowProblem] = []
        with self._transaction() as db:
            for row in rows:
                if isinstance(row, CsvRow):
                    problem = self._add(db, row)
                    if problem is None:
                        continue
                else:
                    problem = row
                problems.append(problem)
                db.execute(
                    "INSERT INTO rows (line, msisdn, given_reference, state, error, reason) "
                    "VALUES (?, ?, ?, 'invalid', ?, ?)",
                    (
                        problem.line,
                        problem.msisdn,
                        problem.reference,
                        problem.message,
                        problem.reason,
                    ),
                )
            if rows:
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('imported_through', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(rows[-1].line),),
                )
        return problems

    @staticmethod
    def _add(db: sqlite3.Connection, row: CsvRow) -> RowProblem | None:
        reference = row.reference if row.reference is not None else rules.new_reference()
        try:
            db.execute(
                "INSERT INTO rows (line, msisdn, reference, text, state) "
                "VALUES (?, ?, ?, ?, 'new')",
                (row.line, row.msisdn, reference, row.text or ""),
            )
        except sqlite3.IntegrityError:
            first = db.execute("SELECT line FROM rows WHERE reference = ?", (reference,)).fetchone()
            where = f" (first on line {first[0]})" if first else ""
            return RowProblem(
                row.line,
                row.msisdn,
                row.reference,
                f"line {row.line}: duplicate reference {reference!r}{where}; not sent",
                "duplicate reference",
            )
        return None

    # -- sending -------------------------------------------------------------------------------

    def retry_failures(self) -> int:
        """Make failed rows worth another attempt (retryable, not of unknown fate) `new`
        again; returns how many."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE rows SET state = 'new', error = NULL, reason = NULL, retryable = 0 "
                "WHERE state = 'failed' AND retryable = 1 AND uncertain = 0"
            )
            return cursor.rowcount

    def unsettled(self, after_line: int, limit: int) -> list[Claimed]:
        """Rows whose fate is unknown (`inflight`, or failed with `uncertain`), after a line."""
        found = self._db.execute(
            "SELECT line, msisdn, reference FROM rows "
            "WHERE line > ? AND (state = 'inflight' OR (state = 'failed' AND uncertain = 1)) "
            "ORDER BY line LIMIT ?",
            (after_line, limit),
        ).fetchall()
        return [Claimed(*row) for row in found]

    def forget_unsent(self, references: Iterable[str]) -> None:
        """The service does not hold these references: make them `new` again (still `handed`)."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE rows SET state = 'new', error = NULL, reason = NULL, uncertain = 0, "
                "retryable = 0 WHERE reference = ?",
                ((reference,) for reference in references),
            )

    def groups(self, after: tuple[int, str] | None, limit: int) -> list[tuple[int, str]]:
        """The next `(handed, text)` groups with `new` rows: handed rows first, then by text
        (`""`: the campaign's text)."""
        if after is None:
            after = (2, "")
        handed, text = after
        return [
            (int(group[0]), str(group[1]))
            for group in self._db.execute(
                "SELECT DISTINCT handed, text FROM rows WHERE state = 'new' "
                "AND (handed < ? OR (handed = ? AND text > ?)) "
                "ORDER BY handed DESC, text LIMIT ?",
                (handed, handed, text, limit),
            ).fetchall()
        ]

    def claim(self, group: tuple[int, str], after_line: int, limit: int) -> list[Claimed]:
        """Mark up to `limit` `new` rows of a group `inflight` (and `handed`), committed, and
        return them: from now on their requests may leave."""
        handed, text = group
        with self._transaction() as db:
            found = db.execute(
                "SELECT line, msisdn, reference FROM rows "
                "WHERE state = 'new' AND handed = ? AND text = ? AND line > ? "
                "ORDER BY line LIMIT ?",
                (handed, text, after_line, limit),
            ).fetchall()
            db.executemany(
                "UPDATE rows SET state = 'inflight', handed = 1 WHERE line = ?",
                ((row[0],) for row in found),
            )
        return [Claimed(*row) for row in found]

    def record(self, outcomes: Sequence[Outcome]) -> None:
        """Record outcomes by reference, in one transaction."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE rows SET state = ?, message_id = ?, price = ?, currency = ?, error = ?, "
                "reason = ?, uncertain = ?, retryable = ? WHERE reference = ?",
                (
                    (
                        o.state,
                        o.message_id,
                        None if o.price is None else str(o.price),
                        o.currency,
                        o.error,
                        o.reason,
                        int(o.uncertain),
                        int(o.retryable),
                        o.reference,
                    )
                    for o in outcomes
                ),
            )

    # -- reading -------------------------------------------------------------------------------

    def done_count(self) -> int:
        """Rows with a final outcome: sent, invalid, or failed for good."""
        row = self._db.execute(
            "SELECT COUNT(*) FROM rows WHERE state IN ('sent', 'invalid') "
            "OR (state = 'failed' AND uncertain = 0)"
        ).fetchone()
        return int(row[0])

    def summary(self, top: int = 10) -> Summary:
        """Counts per results status, cost per currency and the `top` failure reasons."""
        counts: dict[str, int] = {}
        for state, uncertain, count in self._db.execute(
            "SELECT state, uncertain, COUNT(*) FROM rows GROUP BY state, uncertain"
        ):
            status = _status(state, uncertain)
            counts[status] = counts.get(status, 0) + count
        cost: dict[str, Decimal] = {}
        for currency, price in self._db.execute(
            "SELECT currency, price FROM rows WHERE state = 'sent' AND price IS NOT NULL"
        ):
            amount = _decimal(price)
            if amount is not None:
                key = currency or ""
                cost[key] = cost.get(key, Decimal(0)) + amount
        reasons = [
            (str(reason), int(count), int(first))
            for reason, count, first in self._db.execute(
                "SELECT CASE WHEN state = 'inflight' THEN 'fate unknown (in flight when stopped)' "
                "ELSE COALESCE(reason, error, 'unknown') END, COUNT(*), MIN(line) FROM rows "
                "WHERE state IN ('failed', 'invalid') OR state = 'inflight' "
                "GROUP BY 1 ORDER BY 2 DESC, 3 LIMIT ?",
                (top,),
            )
        ]
        return Summary(counts, cost, reasons)

    def failures(self, limit: int) -> list[tuple[int, str, str]]:
        """The first `limit` rows without success: `(line, reference, error)`."""
        return [
            (int(line), str(reference or ""), str(error or "fate unknown"))
            for line, reference, error in self._db.execute(
                "SELECT line, COALESCE(reference, given_reference), error FROM rows "
                "WHERE state IN ('failed', 'invalid', 'inflight') ORDER BY line LIMIT ?",
                (limit,),
            )
        ]

    def export(self, target: Path, channel: str) -> None:
        """Write the results CSV (one row per journal row, by line) atomically."""
        for stale in target.parent.glob(f".{target.name}.*.tmp"):  # left by a killed export
            with contextlib.suppress(OSError):
                stale.unlink()
        temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with temporary.open("w", encoding="utf-8", newline="") as handle:
                self._write_results(handle, channel)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()

    def _write_results(self, handle: IO[str], channel: str) -> None:
        writer = csv.writer(handle)
        writer.writerow(RESULT_COLUMNS)
        cursor = self._db.execute(
            "SELECT line, msisdn, COALESCE(reference, given_reference), message_id, state, "
            "uncertain, price, currency, error FROM rows ORDER BY line"
        )
        for line, msisdn, reference, message_id, state, uncertain, price, currency, error in cursor:
            writer.writerow(
                (
                    line,
                    msisdn,
                    reference or "",
                    channel,
                    message_id or "",
                    _status(state, uncertain),
                    price or "",
                    currency or "",
                    error or "",
                    "",
                )
            )


class AsyncJournal:
    """`Journal` for the event loop: each call runs in a worker thread, one at a time.

    A call that is cancelled still finishes its transaction (the thread is not abandoned), so
    the journal is never left half-written by a cancellation.
    """

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._limiter = anyio.CapacityLimiter(1)

    @classmethod
    async def open(cls, path: Path, *, create: dict[str, str] | None = None) -> AsyncJournal:
        """Open the journal at `path` (or create it with these settings) in a worker thread.

        Raises `UsageProblem` when another process holds it or it is not a journal.
        """
        try:
            journal = await anyio.to_thread.run_sync(
                functools.partial(Journal, path, create=create)
            )
        except JournalBusy as busy:
            raise UsageProblem(str(busy)) from None
        except FileExistsError:
            raise UsageProblem(f"a campaign journal already exists at {path}") from None
        except FileNotFoundError:
            raise UsageProblem(f"no campaign journal at {path}") from None
        except sqlite3.Error as error:
            raise UsageProblem(f"{path} is not a usable campaign journal: {error}") from None
        return cls(journal)

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` (a `Journal` method) in the journal's thread slot."""
        return await anyio.to_thread.run_sync(
            functools.partial(function, *args), limiter=self._limiter
        )

    async def aclose(self) -> None:
        """Close the journal (shielded from cancellation)."""
        with anyio.CancelScope(shield=True):
            await self.call(self.journal.close)


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10.0)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.executescript(_SCHEMA)
    except BaseException:
        db.close()
        raise
    return db


def _build(path: Path, meta: dict[str, str]) -> None:
    """Create a complete journal at `path` atomically (the caller holds the lock)."""
    for stale in path.parent.glob(f".{path.name}.*.tmp*"):  # left by a killed creation
        with contextlib.suppress(OSError):
            stale.unlink()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    db = _connect(temporary)
    try:
        with db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
    finally:
        db.close()  # checkpoints the WAL into the file and removes it
    os.replace(temporary, path)
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (POSIX; a no-op elsewhere)."""
    if sys.platform == "win32":  # pragma: no cover
        return
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _status(state: str, uncertain: int) -> str:
    if state == "failed" and uncertain:
        return "unknown"
    return _RESULT_STATUS.get(state, state)


def _decimal(text: Any) -> Decimal | None:
    try:
        return Decimal(str(text))
    except InvalidOperation:
        return None


def _lock(path: Path) -> IO[bytes] | None:
    """Hold an exclusive advisory lock on `<journal>.lock` (released when the process dies)."""
    if sys.platform == "win32":  # pragma: no cover - no fcntl; SQLite's own locks remain
        return None
    import fcntl

    handle = open(path.with_name(path.name + ".lock"), "ab")  # noqa: SIM115 - held for the run
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise JournalBusy(f"the campaign journal {path} is in use by another bsg process") from None
    return handle


def remove_journal(path: Path) -> None:
    """Delete a journal and its companion files (only for a campaign that never sent)."""
    for name in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", ".lock"))):
        with contextlib.suppress(FileNotFoundError):
            name.unlink()
