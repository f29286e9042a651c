"""A progress bar for long runs: count, rate, ETA and failures so far.

On a terminal it is a live rich bar on stderr. Elsewhere (CI logs, pipes) it prints a plain
line at most every `interval` seconds and once at the end, so a log still shows progress.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["CountProgress"]


class _RateColumn(ProgressColumn):
    """Items per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("  -/s" if speed is None else f"{speed:,.0f}/s", style="progress.data.speed")


class CountProgress:
    """Progress of `total` items (`None`: unknown), `done` of them at the start. The count
    never passes `total` (nor the share 100%), whatever is reported.

    ```python
    with CountProgress(console, "sending", total=5000) as progress:
        progress.advance(50, failed=1)
    ```
    """

    def __init__(
        self,
        console: Console,
        description: str,
        *,
        total: int | None,
        done: int = 0,
        failed: int = 0,
        interval: float = 2.0,
    ) -> None:
        self.console = console
        self.description = description
        self.total = total
        self.done = self._capped(done)
        self.failed = failed
        self._start_done = self.done
        self._interval = interval
        self._live = console.is_terminal
        self._progress: Progress | None = None
        self._task_id: TaskID | None = None
        self._started = time.monotonic()
        self._last_line = self._started
        self._shown = -1

    def __enter__(self) -> CountProgress:
        self._started = self._last_line = time.monotonic()
        if self._live:
            self._progress = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _RateColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("[red]{task.fields[failed]} failed"),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.start()
            self._task_id = self._progress.add_task(
                self.description, total=self.total, completed=self.done, failed=self.failed
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
        elif self._shown != self.done:
            self._plain_line()

    def advance(self, count: int, *, failed: int = 0) -> None:
        """`count` more items are done, `failed` of them failed."""
        self.done = self._capped(self.done + count)
        self.failed += failed
        if self._progress is not None and self._task_id is not None:
            self._progress.update(self._task_id, completed=self.done, failed=self.failed)
            return
        now = time.monotonic()
        if now - self._last_line >= self._interval:
            self._plain_line(now)

    def _capped(self, done: int) -> int:
        return done if self.total is None else max(0, min(done, self.total))

    @property
    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self._started

    @property
    def rate(self) -> float:
        """Items per second done in this run."""
        elapsed = self.elapsed
        return (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0

    def _plain_line(self, now: float | None = None) -> None:
        self._last_line = time.monotonic() if now is None else now
        self._shown = self.done
        rate = self.rate
        if self.total is None:
            count = f"{self.done:,}"
            eta = ""
        else:
            share = 100 * self.done / self.total if self.total else 100.0
            count = f"{self.done:,}/{self.total:,} ({share:.0f}%)"
            left = self.total - self.done
            eta = f", ETA {left / rate:,.0f} s" if rate > 0 and left > 0 else ""
        self.console.print(
            f"{self.description}: {count}, {rate:,.0f}/s{eta}, {self.failed:,} failed",
            markup=False,
            highlight=False,
        )
