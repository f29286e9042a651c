"""`bsg campaign send` and `bsg campaign status`: CSV in, journal, `stream_many`, results CSV out.

The send runs in phases, each safe to interrupt at any instant (`_journal` explains why):

1. import: the CSV is streamed into the journal, every valid row with its reference (the
   CSV's, or a generated one) committed before anything is sent; bad rows are recorded with
   their line numbers and reported (with `--strict`, nothing is sent at all);
2. reconcile (after an interruption): rows whose fate is unknown are read back by reference;
   those the service holds become `sent` with its id and price, the others are sent again
   (with `resume=True`, so a late acceptance is still reported once);
3. send: rows are claimed (committed `inflight`) a chunk at a time right before the SDK's
   `stream_many` takes them, and each chunk's outcomes are committed as they arrive;
4. export: the journal becomes the results CSV, one row per CSV row.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import anyio
import attrs
from anyio.streams.memory import MemoryObjectReceiveStream
from rich.table import Table

from .. import AsyncBSG, OutcomeStream, Recipient, SmsFallback
from .. import _validation as rules
from .._converter import count_from
from ..batch import Recipients
from ..errors import (
    APIError,
    BSGError,
    DuplicateReferenceError,
    FeatureNotEnabledError,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    SenderNotAllowedError,
    UndeliverableDestinationError,
)
from ..models import SmsReport, ViberReport
from ..models.batch import Failed, LookupFailed, Sent
from ._common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageProblem
from ._csvin import CsvFileError, RecipientsReader, RowProblem, file_digest, utf8_lines
from ._journal import (
    RESULT_COLUMNS,
    AsyncJournal,
    Claimed,
    Outcome,
    Summary,
    journal_path,
    remove_journal,
)
from ._output import Output, jsonable, retry_line
from ._progress import CountProgress

__all__ = [
    "CampaignOptions",
    "CampaignSettings",
    "campaign_send",
    "campaign_status",
    "failure_reason",
    "given_settings",
]

IMPORT_BATCH = 1000
RECONCILE_PAGE = 500
STATUS_BLOCK = 2000
SHOWN_PROBLEMS = 20
LIST_LIMIT = 100
SMS_CHUNK = 1000

# Failures another attempt cannot fix: `--resume` leaves them failed.
_FINAL_FAILURES = (
    InvalidParameterError,
    InvalidRequestError,
    SenderNotAllowedError,
    UndeliverableDestinationError,
    DuplicateReferenceError,
    FeatureNotEnabledError,
    NotFoundError,
)

OpenClient = Callable[[int], AbstractAsyncContextManager[AsyncBSG]]
"""Opens the client for a run, given the concurrency."""


@attrs.frozen
class CampaignSettings:
    """What is sent: stored in the journal at the start, checked again on `--resume`.

    `validity` is in hours for SMS and in seconds for Viber (as the API has it). `text` is
    the campaign's text; a row's own `text` column overrides it.
    """

    channel: str
    sender: str
    text: str | None = None
    sms_fallback: str | None = None
    fallback_sender: str | None = None
    validity: int | None = None
    tariff: int | None = None
    promotional: bool = False

    def to_json(self) -> str:
        """The settings as sorted JSON."""
        return json.dumps(attrs.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CampaignSettings:
        """The settings stored by `to_json`."""
        return cls(**json.loads(text))


@attrs.frozen
class CampaignOptions:
    """How `campaign send` runs; not stored (they may change between resumed runs)."""

    recipients: Path
    results: Path
    resume: bool = False
    strict: bool = False
    chunk_size: int | None = None
    concurrency: int = 8


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


class _Run:
    """One run of `campaign send`, fresh or resumed."""

    def __init__(
        self,
        bsg: AsyncBSG,
        output: Output,
        journal: AsyncJournal,
        settings: CampaignSettings,
        options: CampaignOptions,
    ) -> None:
        self.bsg = bsg
        self.output = output
        self.journal = journal
        self.settings = settings
        self.options = options
        self.sent = 0
        self.failed = 0
        self.unresolved = 0
        self.problem_count = 0
        self.problems: list[RowProblem] = []
        self.progress: CountProgress | None = None

    # -- phase 1: import -----------------------------------------------------------------------

    async def import_rows(self) -> None:
        """Stream the CSV into the journal, continuing after the last line imported."""
        db = self.journal.journal
        meta = await self.journal.call(db.meta)
        if meta.get("imported") == "1":
            return
        after = int(meta.get("imported_through", "0"))
        reader = RecipientsReader(
            self.options.recipients,
            text_limit=rules.VIBER_TEXT_MAX if self.settings.channel == "viber" else None,
            default_text=self.settings.text is not None,
        )
        try:
            while batch := await anyio.to_thread.run_sync(reader.read, IMPORT_BATCH):
                fresh = [row for row in batch if row.line > after]
                if fresh:
                    self._note(await self.journal.call(db.add_rows, fresh))
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(reader.close)
        await self.journal.call(db.set_meta, {"imported": "1"})

    def _note(self, problems: list[RowProblem]) -> None:
        for problem in problems:
            self.problem_count += 1
            if len(self.problems) < LIST_LIMIT:
                self.problems.append(problem)
            if self.problem_count <= SHOWN_PROBLEMS:
                self.output.note(f"skipped {problem.message}", style="yellow")
            elif self.problem_count == SHOWN_PROBLEMS + 1:
                self.output.note("more rows skipped: see the results CSV", style="yellow")

    # -- phase 2: reconcile --------------------------------------------------------------------

    async def reconcile(self) -> None:
        """Read back by reference every row whose fate is unknown, before anything is sent."""
        db = self.journal.journal
        channel = self.bsg.viber if self.settings.channel == "viber" else self.bsg.sms
        after = found = unsent_total = 0
        while page := await self.journal.call(db.unsettled, after, RECONCILE_PAGE):
            after = page[-1].line
            reports = await channel.get_many([row.reference for row in page])
            held: list[Outcome] = []
            unsent: list[str] = []
            for row, report in zip(page, reports, strict=True):
                if not isinstance(report, LookupFailed):
                    held.append(_from_report(row, report))
                elif isinstance(report.error, NotFoundError):
                    unsent.append(row.reference)
                else:
                    self.unresolved += 1
            if held:
                await self.journal.call(db.record, held)
            if unsent:
                await self.journal.call(db.forget_unsent, unsent)
            found += len(held)
            unsent_total += len(unsent)
        if found or unsent_total or self.unresolved:
            still = f", {self.unresolved} still unknown" if self.unresolved else ""
            self.output.note(
                f"reconciled by reference: {found} already accepted, "
                f"{unsent_total} not received (sent again){still}",
                style="cyan",
            )

    # -- phase 3: send -------------------------------------------------------------------------

    async def send(self) -> None:
        """Send every `new` row: one `stream_many` per group of rows with the same text (and
        the same `handed`), up to `concurrency` groups at a time."""
        db = self.journal.journal
        retried = await self.journal.call(db.retry_failures)
        if retried:
            self.output.note(f"sending {retried} failed rows again", style="cyan")
        groups_in, groups_out = anyio.create_memory_object_stream[tuple[int, str]](0)

        async def produce() -> None:
            after: tuple[int, str] | None = None
            async with groups_in:
                while page := await self.journal.call(db.groups, after, 100):
                    for group in page:
                        await groups_in.send(group)
                    after = page[-1]

        async def work(groups: MemoryObjectReceiveStream[tuple[int, str]]) -> None:
            async with groups:
                async for group in groups:
                    await self._send_group(group)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(produce)
            with groups_out:
                for _ in range(self.options.concurrency):
                    tasks.start_soon(work, groups_out.clone())

    async def _send_group(self, group: tuple[int, str]) -> None:
        handed, text = group
        feeder = _Feeder(self.journal, group, chunk_size(self.settings, self.options))
        stream = build_stream(
            self.bsg,
            self.settings,
            self.options,
            feeder,
            text=text or self.settings.text or "",
            resume=bool(handed),
        )
        async with stream:
            while (batch := await stream.batches()) is not None:
                await self.journal.call(
                    self.journal.journal.record, [_journal_outcome(item) for item in batch]
                )
                failed = [item for item in batch if isinstance(item, Failed)]
                self.failed += len(failed)
                self.sent += len(batch) - len(failed)
                if self.progress is not None:
                    unknown = sum(1 for item in failed if item.may_have_been_accepted)
                    self.progress.advance(len(batch) - unknown, failed=len(failed) - unknown)


def chunk_size(settings: CampaignSettings, options: CampaignOptions) -> int:
    """Recipients per request: `--chunk-size`, else 50 for Viber and 1,000 for SMS."""
    if options.chunk_size is not None:
        return options.chunk_size
    return rules.VIBER_MAX_RECIPIENTS if settings.channel == "viber" else SMS_CHUNK


def build_stream(
    bsg: AsyncBSG,
    settings: CampaignSettings,
    options: CampaignOptions,
    recipients: Recipients,
    *,
    text: str,
    resume: bool,
) -> OutcomeStream:
    """The SDK's `stream_many` for this campaign. Raises `InvalidParameterError` for a bad
    shared option before sending anything, and `UsageProblem` for a Viber-only option on SMS."""
    size = chunk_size(settings, options)
    if settings.channel == "viber":
        fallback = None
        if settings.sms_fallback is not None:
            fallback = SmsFallback(
                text=settings.sms_fallback, sender=settings.fallback_sender or settings.sender
            )
        return bsg.viber.stream_many(
            to=recipients,
            text=text,
            sender=settings.sender,
            is_promotional=settings.promotional,
            sms_fallback=fallback,
            validity=None if settings.validity is None else timedelta(seconds=settings.validity),
            tariff=settings.tariff,
            chunk_size=size,
            concurrency=options.concurrency,
            resume=resume,
        )
    if settings.sms_fallback is not None or settings.fallback_sender is not None:
        raise UsageProblem("--sms-fallback and --fallback-sender are for --channel viber")
    if settings.promotional:
        raise UsageProblem("--promotional is for --channel viber")
    return bsg.sms.stream_many(
        to=recipients,
        text=text,
        sender=settings.sender,
        validity=None if settings.validity is None else timedelta(hours=settings.validity),
        tariff=settings.tariff,
        chunk_size=size,
        concurrency=options.concurrency,
        resume=resume,
    )


class _Feeder:
    """One group's recipients, claimed from the journal a chunk at a time just before the SDK
    takes them. An async iterator (not a generator), so an abandoned one needs no cleanup."""

    def __init__(self, journal: AsyncJournal, group: tuple[int, str], page: int) -> None:
        self._journal = journal
        self._group = group
        self._page = page
        self._after = 0
        self._buffer: deque[Claimed] = deque()
        self._exhausted = False

    def __aiter__(self) -> _Feeder:
        return self

    async def __anext__(self) -> Recipient:
        if not self._buffer:
            if self._exhausted:
                raise StopAsyncIteration
            claimed = await self._journal.call(
                self._journal.journal.claim, self._group, self._after, self._page
            )
            if not claimed:
                self._exhausted = True
                raise StopAsyncIteration
            self._after = claimed[-1].line
            self._buffer.extend(claimed)
        row = self._buffer.popleft()
        return Recipient(row.msisdn, row.reference)


def _journal_outcome(outcome: Sent | Failed) -> Outcome:
    if isinstance(outcome, Sent):
        return Outcome(
            outcome.reference,
            "sent",
            message_id=outcome.id,
            price=outcome.price,
            currency=outcome.currency,
        )
    error = outcome.error
    return Outcome(
        outcome.reference or "",
        "failed",
        error=f"{type(error).__name__}: {error}",
        reason=failure_reason(error),
        uncertain=outcome.may_have_been_accepted,
        retryable=not isinstance(error, _FINAL_FAILURES),
    )


def _from_report(row: Claimed, report: SmsReport | ViberReport) -> Outcome:
    return Outcome(
        row.reference, "sent", message_id=report.id, price=report.price, currency=report.currency
    )


# -- campaign send -----------------------------------------------------------------------------


async def campaign_send(
    open_client: OpenClient, output: Output, given: dict[str, Any], options: CampaignOptions
) -> int:
    """Run `bsg campaign send`; returns the exit status (0, 1, 2 or 130).

    Raises `UsageProblem` (exit 2) for a bad command line before anything is written.
    """
    path = journal_path(options.results)
    exists = await anyio.Path(path).exists()
    if options.resume and not exists:
        raise UsageProblem(f"nothing to resume: no campaign journal at {path}")
    if not options.resume and exists:
        raise UsageProblem(
            f"a campaign journal already exists at {path}: add --resume to continue that "
            "campaign, or pass another --results path"
        )
    if not await anyio.Path(options.recipients).is_file():
        raise UsageProblem(f"no such file: {options.recipients}")
    digest = await anyio.to_thread.run_sync(file_digest, options.recipients)

    async with open_client(options.concurrency) as bsg:
        settings: CampaignSettings | None = None
        if not options.resume:
            settings = _new_settings(given)
            build_stream(bsg, settings, options, [], text=settings.text or "-", resume=False)
        if settings is None:
            journal = await AsyncJournal.open(path)
        else:
            journal = await AsyncJournal.open(
                path,
                create={
                    "settings": settings.to_json(),
                    "csv_sha256": digest,
                    "csv": str(options.recipients),
                },
            )
        run: _Run | None = None
        try:
            if settings is None:
                meta = await journal.call(journal.journal.meta)
                settings = _resumed_settings(meta, given, digest)
            run = _Run(bsg, output, journal, settings, options)
            code = await _drive(run)
        finally:
            await journal.aclose()
        never_sent = run is not None and run.sent + run.failed == 0
        if code == EXIT_USAGE and not options.resume and never_sent:
            # Nothing ever left: the journal of a campaign that never started goes away.
            await anyio.to_thread.run_sync(remove_journal, path)
        return code


async def _drive(run: _Run) -> int:
    """Phases 1 to 4 under a signal watcher: SIGINT/SIGTERM stop the work cleanly (130)."""
    output, journal, options = run.output, run.journal, run.options
    db = journal.journal
    interrupted = False
    problem: Exception | None = None

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
        try:
            await run.import_rows()
            summary = await journal.call(db.summary)
            invalid = summary.counts.get("invalid", 0)
            if options.strict and invalid:
                raise UsageProblem(
                    f"{invalid} bad rows in {options.recipients} (--strict): nothing was sent"
                )
            await run.reconcile()
            done = await journal.call(db.done_count)
            summary = await journal.call(db.summary)
            failed = summary.counts.get("failed", 0) + summary.counts.get("invalid", 0)
            with CountProgress(
                output.err, "sending", total=summary.total, done=done, failed=failed
            ) as progress:
                run.progress = progress
                await run.send()
        except (UsageProblem, CsvFileError) as stop:
            problem = stop
        tasks.cancel_scope.cancel()

    with anyio.CancelScope(shield=True):  # quick, and needed on every path
        meta = await journal.call(db.meta)
        if problem is None or options.resume or meta.get("imported") == "1":
            await journal.call(db.export, options.results, run.settings.channel)
        summary = await journal.call(db.summary)
        failures = await journal.call(db.failures, LIST_LIMIT)
    if problem is not None:
        output.error(str(problem))
        return EXIT_USAGE
    _report(run, summary, failures, interrupted)
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if summary.counts.get("accepted", 0) == summary.total else EXIT_FAILED


def _report(
    run: _Run, summary: Summary, failures: list[tuple[int, str, str]], interrupted: bool
) -> None:
    output, options = run.output, run.options
    counts = run.bsg._retry_counts
    elapsed = run.progress.elapsed if run.progress is not None else 0.0
    rate = run.progress.rate if run.progress is not None else 0.0
    if output.as_json:
        output.json(
            {
                "interrupted": interrupted,
                "total": summary.total,
                "statuses": summary.counts,
                "cost": summary.cost,
                "reasons": [
                    {"reason": reason, "count": count, "first_line": line}
                    for reason, count, line in summary.reasons
                ],
                "failures": [
                    {"line": line, "reference": reference, "error": error}
                    for line, reference, error in failures
                ],
                "skipped_rows": [{"line": p.line, "error": p.message} for p in run.problems],
                "this_run": {"sent": run.sent, "failed": run.failed},
                "unresolved": run.unresolved,
                "requests_retried": counts.retried_requests,
                "retries": counts.retries,
                "lost_answers": counts.lost_answers,
                "lost_answers_recovered": counts.recovered,
                "elapsed_seconds": round(elapsed, 3),
                "per_second": round(rate, 1),
                "results": str(options.results),
                "journal": str(journal_path(options.results)),
            }
        )
        return
    table = Table(title="campaign", title_justify="left")
    table.add_column("status")
    table.add_column("rows", justify="right")
    for status, count in sorted(summary.counts.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(status, f"{count:,}")
    table.add_row("total", f"{summary.total:,}", style="bold")
    output.table(table)
    for currency, amount in sorted(summary.cost.items()):
        output.line(f"cost: {jsonable(amount)} {currency}".rstrip())
    if summary.reasons:
        output.line("not sent, by reason:")
        for reason, count, line in summary.reasons:
            output.line(f"  {count:>7,}  {reason} (first on line {line})")
    output.line(
        f"this run: {run.sent:,} sent, {run.failed:,} failed in {elapsed:.1f} s ({rate:,.0f}/s)"
    )
    output.line(
        retry_line(counts.retried_requests, counts.retries, counts.lost_answers, counts.recovered)
    )
    output.line(f"results: {options.results}")
    if interrupted:
        output.note(
            "interrupted: the journal is consistent; run the same command with --resume to "
            "continue",
            style="yellow",
        )
    elif summary.counts.get("accepted", 0) != summary.total:
        output.note("some rows were not sent: see the error column of the results", style="yellow")


def _new_settings(given: dict[str, Any]) -> CampaignSettings:
    missing = [f"--{name}" for name in ("channel", "sender") if name not in given]
    if missing:
        raise UsageProblem(f"missing {' and '.join(missing)} (needed to start a campaign)")
    return CampaignSettings(**given)


def _resumed_settings(meta: dict[str, str], given: dict[str, Any], digest: str) -> CampaignSettings:
    if "settings" not in meta:
        raise UsageProblem("the journal holds no campaign settings: remove it and start again")
    stored = CampaignSettings.from_json(meta["settings"])
    differ = [
        f"--{name.replace('_', '-')}"
        for name, value in given.items()
        if getattr(stored, name) != value
    ]
    if differ:
        raise UsageProblem(
            f"{', '.join(differ)} differ from the campaign being resumed: leave them out "
            "(the journal keeps them) or start a new campaign"
        )
    if meta.get("csv_sha256") != digest:
        raise UsageProblem(
            "the recipients file changed since the campaign started: resume with the original "
            f"file ({meta.get('csv', 'path unknown')})"
        )
    return stored


# -- campaign status ---------------------------------------------------------------------------


class _ResultsRewrite:
    """Reads a results CSV in blocks and writes the updated rows to a temporary file that
    replaces it at the end. Blocking: every method runs in a worker thread."""

    def __init__(self, path: Path, channel: str | None) -> None:
        self.path = path
        self.temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self._source: IO[bytes] = path.open("rb")
        try:
            self._reader = csv.DictReader(utf8_lines(self._source, path, lambda _: None))
            columns = list(self._header())
            missing = [c for c in ("id", "status") if c not in columns]
            if "channel" not in columns and channel is None:
                missing.append("channel (or pass --channel)")
            if missing:
                raise UsageProblem(f"{path} line 1: missing columns: {', '.join(missing)}")
            columns += [c for c in RESULT_COLUMNS if c not in columns]
            self._target: IO[str] = self.temporary.open("w", encoding="utf-8", newline="")
        except BaseException:
            self._source.close()
            raise
        self._writer = csv.DictWriter(self._target, columns)
        self._writer.writeheader()
        self.total = _count_lines(path) - 1

    def _header(self) -> list[str]:
        try:
            return list(self._reader.fieldnames or ())
        except CsvFileError as error:
            raise UsageProblem(str(error)) from None
        except csv.Error as error:
            raise UsageProblem(f"{self.path} line 1: broken CSV: {error}") from None

    def read(self, count: int) -> list[dict[str, str]]:
        """Up to `count` more rows (`[]` at the end)."""
        block: list[dict[str, str]] = []
        try:
            for row in self._reader:
                block.append({k: v or "" for k, v in row.items() if isinstance(k, str)})
                if len(block) >= count:
                    break
        except CsvFileError as error:
            raise UsageProblem(str(error)) from None
        except csv.Error as error:
            line = self._reader.line_num
            raise UsageProblem(f"{self.path} line {line}: broken CSV: {error}") from None
        return block

    def write(self, rows: list[dict[str, str]]) -> None:
        """Write updated rows."""
        self._writer.writerows(rows)

    def finish(self) -> None:
        """Make the rewritten file durable and put it in place."""
        self._target.flush()
        os.fsync(self._target.fileno())
        self._target.close()
        self._source.close()
        os.replace(self.temporary, self.path)

    def close(self) -> None:
        """Close both files and remove the temporary one if it is still there."""
        self._source.close()
        self._target.close()
        with contextlib.suppress(FileNotFoundError):
            self.temporary.unlink()


async def campaign_status(
    bsg: AsyncBSG, output: Output, results: Path, *, channel: str | None, concurrency: int
) -> int:
    """Run `bsg campaign status`: read every id's status concurrently and write them back.

    Returns 0, or 1 when some reads failed (their rows keep their old values).
    """
    if not await anyio.Path(results).is_file():
        raise UsageProblem(f"no such file: {results}")
    rewrite = await anyio.to_thread.run_sync(_ResultsRewrite, results, channel)
    counts: Counter[str] = Counter()
    fallback: Counter[str] = Counter()
    failed_reads = 0
    try:
        with CountProgress(output.err, "reading statuses", total=rewrite.total) as progress:
            while block := await anyio.to_thread.run_sync(rewrite.read, STATUS_BLOCK):
                failed_reads += await _read_statuses(bsg, block, channel, concurrency)
                for row in block:
                    counts[row.get("status", "")] += 1
                    if row.get("fallback_status"):
                        fallback[row["fallback_status"]] += 1
                await anyio.to_thread.run_sync(rewrite.write, block)
                progress.advance(len(block))
        await anyio.to_thread.run_sync(rewrite.finish)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(rewrite.close)
    if output.as_json:
        output.json(
            {
                "results": str(results),
                "rows": sum(counts.values()),
                "statuses": dict(counts),
                "fallback_statuses": dict(fallback),
                "failed_reads": failed_reads,
            }
        )
    else:
        table = Table(title="statuses", title_justify="left")
        table.add_column("status")
        table.add_column("rows", justify="right")
        for status, count in counts.most_common():
            table.add_row(status or "(none)", f"{count:,}")
        output.table(table)
        for status, count in fallback.most_common():
            output.line(f"SMS fallback {status}: {count:,}")
        if failed_reads:
            output.note(f"{failed_reads} status reads failed: run it again", style="yellow")
        output.line(f"updated {results}")
    return EXIT_FAILED if failed_reads else EXIT_OK


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


async def _read_statuses(
    bsg: AsyncBSG, block: list[dict[str, str]], channel: str | None, concurrency: int
) -> int:
    """Read the statuses of a block's ids, per channel, into its rows; returns failed reads."""
    wanted: dict[str, list[tuple[int, dict[str, str]]]] = {"viber": [], "sms": []}
    for row in block:
        row_channel = channel or row.get("channel", "")
        identifier = count_from(row.get("id", ""))  # ASCII digits only, and not too many
        if identifier and row_channel in wanted:
            wanted[row_channel].append((identifier, row))
    failed = 0
    for name, items in wanted.items():
        if not items:
            continue
        read: Callable[..., Awaitable[list[Any]]] = (
            bsg.viber.get_many if name == "viber" else bsg.sms.get_many
        )
        reports = await read([key for key, _ in items], concurrency=concurrency)
        for (_, row), report in zip(items, reports, strict=True):
            if isinstance(report, LookupFailed):
                failed += 1
                continue
            row["status"] = str(report.status)
            if report.price is not None:
                row["price"] = str(report.price)
            if report.currency:
                row["currency"] = report.currency
            row["fallback_status"] = ",".join(
                str(sms.status) for sms in getattr(report, "fallback", ())
            )
    return failed
