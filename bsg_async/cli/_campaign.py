"""`bsg campaign send | work | results | status`: a recipients CSV as a campaign of the store.

One mechanism: the campaign store `bsg_async.outbox` (a SQLite file by default, or
PostgreSQL) keeps every row with its reference fixed before anything is sent, and its workers
deliver the campaign exactly once (`Outbox.work`: claims under a lease, `send_many` with the
stored references, `resume=True` for whatever may have been handed before). This module only
brings the CSV in and the results out:

1. import (`send`): the CSV is streamed into the campaign, every valid row with its reference
   (the CSV's, or one derived from the campaign's name, the file's digest and the line, so
   importing the same file again, from any process, adds nothing new), every bad row kept as
   a reject with its line number. Every run imports again; nothing is added twice, so a run
   killed at any instant simply runs again;
2. work (`send`, `work`): one worker of the campaign until no row is left to send;
3. results (`send`, `results`): the campaign as the results CSV, one line per CSV row;
4. status: the delivery statuses of the sent rows, read into the store.
"""

from __future__ import annotations

import hashlib
import logging
import signal
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, aclosing, asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import anyio
import attrs
from rich.table import Table

from .. import AsyncBSG
from .. import _validation as rules
from ..errors import APIError, BSGError, InvalidParameterError
from ..outbox import (
    CampaignConflictError,
    CampaignNotFoundError,
    Outbox,
    OutboxCampaign,
    OutboxError,
    OutboxMessage,
    OutboxReject,
    OutboxRow,
    RowState,
    WorkReport,
)
from ..outbox._csvfile import write_csv
from ..outbox._store import _masked as masked
from ._common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, UsageProblem
from ._csvin import CsvFileError, CsvRow, RecipientsReader, RowProblem, file_digest
from ._output import Output, jsonable, retry_line
from ._progress import CountProgress

__all__ = [
    "RESULT_COLUMNS",
    "SETTING_OPTIONS",
    "CampaignOptions",
    "campaign_results",
    "campaign_send",
    "campaign_status",
    "campaign_work",
    "default_store",
    "failure_reason",
    "given_settings",
]

IMPORT_BATCH = 1000
SHOWN_PROBLEMS = 20
LIST_LIMIT = 100

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

SETTING_OPTIONS = {
    "channel": "channel",
    "sender": "sender",
    "text": "text",
    "sms_fallback": "fallback_text",
    "fallback_sender": "fallback_sender",
    "validity": "validity",
    "tariff": "tariff",
    "promotional": "is_promotional",
    "chunk_size": "chunk_size",
}
"""The command line's campaign settings and the `OutboxCampaign` field each one sets."""

OpenClient = Callable[[int], AbstractAsyncContextManager[AsyncBSG]]
"""Opens the client for a run, given the concurrency."""

T = TypeVar("T")


@attrs.frozen
class CampaignOptions:
    """How one `campaign send` or `campaign work` runs; not stored (they may change from one
    run or worker to the next)."""

    store: str
    name: str
    recipients: Path | None = None
    results: Path | None = None
    strict: bool = False
    concurrency: int = 8
    lease: float = 60.0


def default_store(results: Path) -> str:
    """The SQLite store beside a results CSV: `x.results.csv` -> `x.results.journal.sqlite`."""
    return str(results.with_name(results.stem + ".journal.sqlite"))


def given_settings(**values: Any) -> dict[str, Any]:
    """The campaign settings the command line gave: `None` and `False` left out."""
    return {
        name: value for name, value in values.items() if value is not None and value is not False
    }


def failure_reason(error: BSGError) -> str:
    """A short key to group failures by: the kind of error and its code, not the row's values."""
    if isinstance(error, InvalidParameterError):
        return f"invalid {error.field}"
    if isinstance(error, APIError):
        where = f"code {error.code}" if error.code is not None else f"HTTP {error.http_status}"
        return f"{error.description} ({where})"
    return type(error).__name__


def derived_reference(name: str, digest: str, line: int) -> str:
    """The reference of a CSV row that has none: the same for the same campaign, file and
    line (so an import done twice adds the row once), 32 hex characters like a generated one."""
    return hashlib.sha256(f"{name}\n{digest}\n{line}".encode()).hexdigest()[:32]


# -- the campaign's settings -------------------------------------------------------------------


def _new_campaign(name: str, given: dict[str, Any], source: str) -> OutboxCampaign:
    missing = [f"--{option}" for option in ("channel", "sender") if option not in given]
    if missing:
        raise UsageProblem(f"missing {' and '.join(missing)} (needed to start a campaign)")
    if given["channel"] == "sms":
        if "sms_fallback" in given or "fallback_sender" in given:
            raise UsageProblem("--sms-fallback and --fallback-sender are for --channel viber")
        if "promotional" in given:
            raise UsageProblem("--promotional is for --channel viber")
    channel = given["channel"]
    values = {
        SETTING_OPTIONS[option]: _setting(option, value, channel) for option, value in given.items()
    }
    values.setdefault("text", None)
    return OutboxCampaign(name, source=source, **values)


def _setting(option: str, value: Any, channel: str) -> Any:
    """A command-line setting as the campaign keeps it: `--validity` is in the channel's unit
    (SMS hours, Viber seconds) on the command line, a `timedelta` in the store."""
    if option == "validity" and isinstance(value, int) and not isinstance(value, bool):
        return timedelta(hours=value) if channel == "sms" else timedelta(seconds=value)
    return value


def _check_resumed(stored: OutboxCampaign, given: dict[str, Any], source: str) -> None:
    differ = [
        f"--{option.replace('_', '-')}"
        for option, value in given.items()
        if getattr(stored, SETTING_OPTIONS[option]) != _setting(option, value, stored.channel)
    ]
    if differ:
        raise UsageProblem(
            f"{', '.join(differ)} differ from the campaign being resumed: leave them out "
            "(the store keeps them) or start a new campaign with --name"
        )
    if stored.source != source:
        raise UsageProblem(
            f"the recipients file changed since the campaign {stored.name!r} started "
            f"({stored.source or 'not from a file'}): resume with the original file, or start "
            "a new campaign with --name"
        )


@asynccontextmanager
async def open_store(url: str) -> AsyncIterator[Outbox]:
    """The campaign store at `url`, open; one that cannot be opened (no such server, not a
    database, written by a newer SDK) is a usage problem naming it (without its password)."""
    store = Outbox.open(url)
    try:
        await store.__aenter__()
    except (OutboxError, OSError, sqlite3.Error) as error:
        raise UsageProblem(f"cannot open the campaign store {masked(url)}: {error}") from None
    except Exception as error:  # asyncpg's own errors: refused login, no such database...
        if type(error).__module__.startswith("asyncpg"):
            raise UsageProblem(f"cannot open the campaign store {masked(url)}: {error}") from None
        raise
    try:
        yield store
    finally:
        await store.aclose()


async def _campaign(outbox: Outbox, name: str) -> OutboxCampaign:
    try:
        return await outbox.campaign(name)
    except CampaignNotFoundError as missing:
        raise UsageProblem(str(missing)) from None


# -- import ------------------------------------------------------------------------------------


class _Import:
    """One pass over the CSV: the valid rows for `Outbox.add`, the problems kept aside."""

    def __init__(
        self, campaign: OutboxCampaign, path: Path, digest: str, output: Output | None
    ) -> None:
        self.campaign = campaign
        self.path = path
        self.digest = digest
        self.output = output
        self.problems: list[RowProblem] = []
        self._first_line: dict[str, int] = {}  # given reference -> its first line

    async def messages(self) -> AsyncIterator[OutboxMessage]:
        """The valid rows, each with its reference, line and own text."""
        viber = self.campaign.channel == "viber"
        reader = RecipientsReader(
            self.path,
            text_limit=rules.VIBER_TEXT_MAX if viber else None,
            default_text=self.campaign.text is not None,
        )
        try:
            while batch := await anyio.to_thread.run_sync(reader.read, IMPORT_BATCH):
                for row in batch:
                    message = self._message(row)
                    if message is not None:
                        yield message
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(reader.close)

    def _message(self, row: CsvRow | RowProblem) -> OutboxMessage | None:
        if isinstance(row, RowProblem):
            self._note(row)
            return None
        if row.reference is None:
            reference = derived_reference(self.campaign.name, self.digest, row.line)
        else:
            reference = row.reference
            first = self._first_line.setdefault(reference, row.line)
            if first != row.line:
                self._note(
                    RowProblem(
                        row.line,
                        row.msisdn,
                        reference,
                        f"line {row.line}: duplicate reference {reference!r} "
                        f"(first on line {first}); not sent",
                        "duplicate reference",
                    )
                )
                return None
        return OutboxMessage(row.msisdn, reference, row.text, line=row.line)

    def _note(self, problem: RowProblem) -> None:
        self.problems.append(problem)
        count = len(self.problems)
        if self.output is None:
            return
        if count <= SHOWN_PROBLEMS:
            self.output.note(f"skipped {problem.message}", style="yellow")
        elif count == SHOWN_PROBLEMS + 1:
            self.output.note("more rows skipped: see the results CSV", style="yellow")

    def rejects(self) -> list[OutboxReject]:
        """The problems, as the store keeps them."""
        return [
            OutboxReject(p.line, p.msisdn, p.reference, p.message, p.reason) for p in self.problems
        ]


async def _scan(
    campaign: OutboxCampaign, path: Path, digest: str, output: Output, *, strict: bool
) -> None:
    """Read the whole file before a new campaign is created: a file that is not a recipients
    CSV (and with `strict`, any bad row) stops the run before anything is stored."""
    scan = _Import(campaign, path, digest, output if strict else None)
    async for _ in scan.messages():
        pass
    if strict and scan.problems:
        raise UsageProblem(f"{len(scan.problems)} bad rows in {path} (--strict): nothing was sent")


# -- results -----------------------------------------------------------------------------------


@attrs.define
class Tally:
    """A campaign as its results CSV sees it: rows per result status, cost per currency, the
    most common reasons for not being sent (with their first line), the first such rows."""

    counts: Counter[str] = attrs.field(factory=Counter)
    cost: dict[str, Decimal] = attrs.field(factory=dict)
    reasons: dict[str, list[int]] = attrs.field(factory=dict)  # reason -> [count, first line]
    failures: list[tuple[int, str, str]] = attrs.field(factory=list)

    @property
    def total(self) -> int:
        """Rows and rejects."""
        return sum(self.counts.values())

    def top_reasons(self) -> list[tuple[str, int, int]]:
        """The ten most common reasons: (reason, count, first line)."""
        ranked = sorted(self.reasons.items(), key=lambda item: (-item[1][0], item[1][1]))
        return [(reason, count, first) for reason, (count, first) in ranked[:10]]

    def add(self, line: list[object], status: str, reason: str | None) -> None:
        """Count one results line (`RESULT_COLUMNS`) with its status, and its reason for not
        being sent, if any."""
        self.counts[status] += 1
        if reason is None:
            return
        number = line[0] if isinstance(line[0], int) else 0
        found = self.reasons.setdefault(reason, [0, number])
        found[0] += 1
        if len(self.failures) < LIST_LIMIT:
            self.failures.append((number, str(line[2]), str(line[8]) or reason))


def _row_line(row: OutboxRow, channel: str) -> tuple[list[object], str, str | None]:
    """A row's results line, its result status and its reason for not being sent (if any)."""
    reason: str | None = None
    if row.state is RowState.SENT:
        outcome, shown = "accepted", row.status or "accepted"
    elif row.state is RowState.FAILED:
        outcome = shown = "failed"
        reason = _stored_reason(row)
    elif row.state is RowState.CLAIMED or row.may_have_been_accepted:
        outcome = shown = "unknown"
        reason = "fate unknown (in flight when stopped)"
    else:
        outcome = shown = "pending"
    line: list[object] = [
        "" if row.line is None else row.line,
        row.to,
        row.reference,
        channel,
        "" if row.message_id is None else row.message_id,
        shown,
        "" if row.price is None else row.price,
        row.currency or "",
        "" if row.state is RowState.SENT else row.error or "",
        "",
    ]
    return line, outcome, reason


def _stored_reason(row: OutboxRow) -> str:
    error = row.error or row.error_type or "unknown"
    if row.error_type == "InvalidParameterError":
        return error.split("=", 1)[0]  # "invalid msisdn", without the value
    return error


async def _lines(
    outbox: Outbox, campaign: OutboxCampaign, tally: Tally
) -> AsyncIterator[list[object]]:
    """The results lines of the campaign, rows and rejects merged by line, tallied."""

    def reject_line(reject: OutboxReject) -> list[object]:
        line: list[object] = [reject.line, reject.to, reject.reference or ""]
        line += [campaign.channel, "", "invalid", "", "", reject.error, ""]
        tally.add(line, "invalid", reject.reason or reject.error)
        return line

    async with aclosing(outbox.rejects(campaign.name)) as rejects:
        waiting = await anext(rejects, None)  # the next reject, not yet written
        async for row in outbox.results(campaign.name):
            while waiting is not None and row.line is not None and waiting.line < row.line:
                yield reject_line(waiting)
                waiting = await anext(rejects, None)
            line, outcome, reason = _row_line(row, campaign.channel)
            tally.add(line, outcome, reason)
            if row.state is RowState.SENT and row.price is not None:
                key = row.currency or ""
                tally.cost[key] = tally.cost.get(key, Decimal(0)) + row.price
            yield line
        while waiting is not None:
            yield reject_line(waiting)
            waiting = await anext(rejects, None)


async def _results(outbox: Outbox, campaign: OutboxCampaign, out: Path | None) -> Tally:
    """Tally the campaign and, with `out`, write its results CSV there (atomically)."""
    tally = Tally()
    if out is None:
        async for _ in _lines(outbox, campaign, tally):
            pass
    else:
        await write_csv(out, RESULT_COLUMNS, _lines(outbox, campaign, tally))
    return tally


# -- working -----------------------------------------------------------------------------------


class _Notes(logging.Handler):
    """The outbox's warnings (the service unreachable, a claim taken over) on stderr."""

    def __init__(self, output: Output) -> None:
        super().__init__(logging.WARNING)
        self.output = output

    def emit(self, record: logging.LogRecord) -> None:
        self.output.note(record.getMessage(), style="yellow")


@attrs.define
class _Run:
    """What one `send` or `work` did, for its summary."""

    report: WorkReport = attrs.field(factory=WorkReport)
    interrupted: bool = False
    elapsed: float = 0.0
    rate: float = 0.0


async def _until_signal(work: Callable[[], Awaitable[None]]) -> bool:
    """Run `work`; SIGINT/SIGTERM cancel it cleanly. Whether it was interrupted."""
    interrupted = False
    async with anyio.create_task_group() as tasks:

        async def watch_signals() -> None:
            nonlocal interrupted
            try:
                with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                    async for _ in signals:
                        interrupted = True
                        tasks.cancel_scope.cancel()
                        return
            except NotImplementedError:  # pragma: no cover - Windows: KeyboardInterrupt instead
                return

        tasks.start_soon(watch_signals)
        await work()
        tasks.cancel_scope.cancel()
    return interrupted


async def _work(
    outbox: Outbox, bsg: AsyncBSG, name: str, options: CampaignOptions, output: Output, run: _Run
) -> None:
    """Be one worker of the campaign until no row is left to send; `run` keeps the tallies
    so far (also when cancelled)."""
    summary = await outbox.summary(name)
    counts = summary.counts
    failed = counts[RowState.FAILED]
    notes = _Notes(output)
    logger = logging.getLogger("bsg_async.outbox")
    logger.addHandler(notes)
    try:
        with CountProgress(
            output.err,
            "sending",
            total=summary.total + summary.rejected,  # one per CSV row, like the results
            done=counts[RowState.SENT] + failed + summary.rejected,
            failed=failed,
        ) as progress:

            def advance(tallies: WorkReport) -> None:
                shown = run.report
                progress.advance(
                    tallies.sent + tallies.failed - shown.sent - shown.failed,
                    failed=tallies.failed - shown.failed,
                )
                run.report = tallies

            try:
                run.report = await outbox.work(
                    name,
                    bsg,
                    concurrency=options.concurrency,
                    lease=options.lease,
                    progress=advance,
                )
            finally:
                run.elapsed, run.rate = progress.elapsed, progress.rate
    finally:
        logger.removeHandler(notes)
    if run.report.taken_over:
        output.note(
            f"reconciled by reference: took over {run.report.taken_over} chunks of a stopped "
            "worker and sent them with resume=True",
            style="cyan",
        )


def _report(
    output: Output,
    bsg: AsyncBSG | None,
    campaign: OutboxCampaign,
    tally: Tally,
    run: _Run,
    *,
    store: str,
    results: Path | None,
    skipped: list[RowProblem],
) -> None:
    counts = bsg._retry_counts if bsg is not None else None
    report = run.report
    if output.as_json:
        output.json(
            {
                "campaign": campaign.name,
                "store": store,
                "interrupted": run.interrupted,
                "total": tally.total,
                "statuses": dict(tally.counts),
                "cost": tally.cost,
                "reasons": [
                    {"reason": reason, "count": count, "first_line": line}
                    for reason, count, line in tally.top_reasons()
                ],
                "failures": [
                    {"line": line, "reference": reference, "error": error}
                    for line, reference, error in tally.failures
                ],
                "skipped_rows": [
                    {"line": p.line, "error": p.message} for p in skipped[:LIST_LIMIT]
                ],
                "this_run": {"sent": report.sent, "failed": report.failed},
                "requeued": report.requeued,
                "taken_over": report.taken_over,
                "lost_claims": report.lost,
                "pauses": report.pauses,
                "requests_retried": counts.retried_requests if counts else 0,
                "retries": counts.retries if counts else 0,
                "lost_answers": counts.lost_answers if counts else 0,
                "lost_answers_recovered": counts.recovered if counts else 0,
                "elapsed_seconds": round(run.elapsed, 3),
                "per_second": round(run.rate, 1),
                "results": None if results is None else str(results),
            }
        )
        return
    table = Table(title=f"campaign {campaign.name}", title_justify="left")
    table.add_column("status")
    table.add_column("rows", justify="right")
    for status, count in sorted(tally.counts.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(status, f"{count:,}")
    table.add_row("total", f"{tally.total:,}", style="bold")
    output.table(table)
    for currency, amount in sorted(tally.cost.items()):
        output.line(f"cost: {jsonable(amount)} {currency}".rstrip())
    if tally.reasons:
        output.line("not sent, by reason:")
        for reason, count, line in tally.top_reasons():
            output.line(f"  {count:>7,}  {reason} (first on line {line})")
    output.line(
        f"this run: {report.sent:,} sent, {report.failed:,} failed in {run.elapsed:.1f} s "
        f"({run.rate:,.0f}/s)"
    )
    if counts is not None:
        output.line(
            retry_line(
                counts.retried_requests, counts.retries, counts.lost_answers, counts.recovered
            )
        )
    if results is not None:
        output.line(f"results: {results}")
    if run.interrupted:
        output.note(
            "interrupted: the campaign store is consistent; run the same command again to continue",
            style="yellow",
        )
    elif tally.counts["accepted"] != tally.total:
        output.note("some rows were not sent: see the error column of the results", style="yellow")


def _exit_code(tally: Tally, run: _Run) -> int:
    if run.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if tally.counts["accepted"] == tally.total else EXIT_FAILED


# -- the commands ------------------------------------------------------------------------------


async def campaign_send(
    open_client: OpenClient, output: Output, given: dict[str, Any], options: CampaignOptions
) -> int:
    """Run `bsg campaign send`: import the CSV into the campaign (created from the given
    settings, or resumed), work on it until no row is left to send, write the results.
    Returns the exit status: 0 all sent, 1 some not, 130 interrupted.

    Raises `UsageProblem` (exit 2) for a bad command line or file before anything is sent.
    """
    recipients, results = options.recipients, options.results
    assert recipients is not None, "send reads a file"
    assert results is not None, "send writes its results"
    if not await anyio.Path(recipients).is_file():
        raise UsageProblem(f"no such file: {recipients}")
    digest = await anyio.to_thread.run_sync(file_digest, recipients)
    source = f"{recipients.name} sha256:{digest}"
    # A new campaign's settings and file are checked before the store is touched.
    fresh = None
    if "channel" in given:
        fresh = _new_campaign(options.name, given, source)
        await _check_csv(_scan(fresh, recipients, digest, output, strict=options.strict))
    async with open_store(options.store) as outbox:
        resumed = True
        try:
            campaign = await outbox.campaign(options.name)
            _check_resumed(campaign, given, source)
        except CampaignNotFoundError:
            resumed = False
            campaign = fresh or _new_campaign(options.name, given, source)
            try:
                campaign = await outbox.create_campaign(campaign)
            except CampaignConflictError:  # another process started it meanwhile
                campaign = await outbox.campaign(options.name)
                _check_resumed(campaign, given, source)
        # A resumed campaign's bad rows were shown when it started: its summary lists them.
        batch = _Import(campaign, recipients, digest, None if resumed else output)
        async with open_client(options.concurrency) as bsg:
            run = _Run()

            async def import_and_work() -> None:
                await _check_csv(outbox.add(campaign.name, batch.messages()))
                await outbox.reject(campaign.name, batch.rejects())
                await _work(outbox, bsg, campaign.name, options, output, run)

            run.interrupted = await _until_signal(import_and_work)
            tally = await _wrap_up(outbox, bsg, campaign, run, output, options, batch.problems)
    return _exit_code(tally, run)


async def _wrap_up(
    outbox: Outbox,
    bsg: AsyncBSG,
    campaign: OutboxCampaign,
    run: _Run,
    output: Output,
    options: CampaignOptions,
    skipped: list[RowProblem],
) -> Tally:
    """On every path of a run: the results (written to `options.results`, if any), tallied
    and summed up."""
    with anyio.CancelScope(shield=True):  # quick, and needed on every path
        tally = await _results(outbox, campaign, options.results)
    store = masked(options.store)
    _report(
        output, bsg, campaign, tally, run, store=store, results=options.results, skipped=skipped
    )
    return tally


async def _check_csv(work: Awaitable[T]) -> T:
    """`work`, with a file that is not a recipients CSV reported as a usage problem."""
    try:
        return await work
    except CsvFileError as unreadable:
        raise UsageProblem(str(unreadable)) from None


async def campaign_work(open_client: OpenClient, output: Output, options: CampaignOptions) -> int:
    """Run `bsg campaign work`: one more worker of a campaign, until no row is left to send.
    Returns 0 (done) or 130 (interrupted); raises `UsageProblem` (exit 2) when the store has
    no such campaign."""
    async with open_store(options.store) as outbox:
        campaign = await _campaign(outbox, options.name)
        async with open_client(options.concurrency) as bsg:
            run = _Run()
            run.interrupted = await _until_signal(
                lambda: _work(outbox, bsg, campaign.name, options, output, run)
            )
            await _wrap_up(outbox, bsg, campaign, run, output, options, [])
    return EXIT_INTERRUPTED if run.interrupted else EXIT_OK


async def campaign_results(output: Output, store: str, name: str, out: Path) -> int:
    """Run `bsg campaign results`: write the campaign's results CSV to `out`. Returns 0;
    raises `UsageProblem` (exit 2) when the store has no such campaign."""
    async with open_store(store) as outbox:
        campaign = await _campaign(outbox, name)
        tally = await _results(outbox, campaign, out)
    if output.as_json:
        output.json(
            {
                "campaign": name,
                "results": str(out),
                "rows": tally.total,
                "statuses": dict(tally.counts),
            }
        )
    else:
        output.line(f"wrote {tally.total:,} rows of campaign {name!r} to {out}")
    return EXIT_OK


async def campaign_status(
    bsg: AsyncBSG, output: Output, store: str, name: str, *, concurrency: int
) -> int:
    """Run `bsg campaign status`: read the delivery status of every sent row whose status may
    still change, into the store; show the campaign's rows per state and per delivery status.
    Returns 0; raises `UsageProblem` (exit 2) when the store has no such campaign."""
    async with open_store(store) as outbox:
        await _campaign(outbox, name)
        read = await outbox.refresh_statuses(name, bsg, concurrency=concurrency)
        summary = await outbox.summary(name)
    states = {str(state): count for state, count in summary.counts.items()}
    statuses = {status or "(none yet)": count for status, count in summary.statuses.items()}
    if output.as_json:
        output.json(
            {
                "campaign": name,
                "read": read,
                "rows": summary.total,
                "rejected": summary.rejected,
                "states": states,
                "statuses": statuses,
                "cost": summary.cost,
            }
        )
        return EXIT_OK
    table = Table(title=f"campaign {name}: delivery statuses", title_justify="left")
    table.add_column("status")
    table.add_column("rows", justify="right")
    for status, count in sorted(statuses.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(status, f"{count:,}")
    output.table(table)
    shown = ", ".join(f"{count:,} {state}" for state, count in states.items())
    output.line(f"rows: {shown}; {summary.rejected:,} rejected")
    output.line(f"read {read:,} statuses")
    return EXIT_OK
