"""Writing a CSV file that appears complete or not at all, without blocking the event loop.

The one CSV writer of the campaign store's results (`Outbox.export_csv`) and of the command
line's (`bsg campaign results`): lines are written beside the target a page at a time from a
worker thread, then the file is renamed into place.
"""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import AsyncIterable, Sequence
from pathlib import Path

import anyio

__all__ = ["PAGE", "write_csv"]

PAGE = 1_000
"""Lines handed to the worker thread at a time."""


async def write_csv(
    path: str | os.PathLike[str],
    header: Sequence[str],
    lines: AsyncIterable[Sequence[object]],
) -> int:
    """Write `header`, then every line of `lines`, to the CSV file at `path`; the lines
    written. A temporary file beside it is renamed over `path` only once complete (and
    removed on any failure or cancellation). Raises `OSError`."""
    target = Path(os.fspath(path))
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    handle = await anyio.to_thread.run_sync(
        functools.partial(temporary.open, "w", encoding="utf-8", newline="")
    )
    written = 0
    try:
        writer = csv.writer(handle)
        await anyio.to_thread.run_sync(writer.writerow, header)
        page: list[Sequence[object]] = []
        async for line in lines:
            page.append(line)
            if len(page) >= PAGE:
                await anyio.to_thread.run_sync(writer.writerows, page)
                written, page = written + len(page), []
        await anyio.to_thread.run_sync(writer.writerows, page)
        written += len(page)
        await anyio.to_thread.run_sync(handle.close)
        await anyio.to_thread.run_sync(os.replace, temporary, target)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(handle.close)
            await anyio.to_thread.run_sync(functools.partial(temporary.unlink, missing_ok=True))
    return written
