"""Throughput of `bsg.viber.send_many` against bare httpx, and the memory of `stream_many`.

```
nox -s bench                            # or, with the `test` extra installed:
python bench/throughput.py              # --repeat 5 --recipients 10000 ...
python bench/throughput.py --aiohttp    # also AsyncBSG(http_backend="aiohttp")
python bench/throughput.py --profile    # where the SDK's time goes (needs pyinstrument)
```

What one run does (about three minutes on two cores):

1. Serves `FakeBSG` with uvicorn on 127.0.0.1 in a separate process (`python -m
   bsg_async.testing`), once with 0 ms and once with 20 ms of added latency, no faults.
2. At 0 ms, measures the server's own ceiling with a client that does almost nothing
   (pre-encoded requests, answers read as bytes): if bare httpx comes close to it, the fake,
   not the client, sets the 0 ms numbers, and the output says so.
3. Sends N (10,000) Viber recipients in 50-phone requests at concurrency 1, 8 and 32, with the
   SDK (`send_many`) and with a bare `httpx.AsyncClient` plus a semaphore that builds the same
   JSON bodies by hand. Both generate one 32-hex reference per recipient inside the timed
   region and must see every recipient accepted. The fake forgets its messages before each
   run; the runs alternate, one warm-up run of each comes first, the medians are reported.
4. Runs `stream_many` over 1,000,000 lazily generated recipients in a child process
   (`bench/memory.py`) and reports that process's peak RSS. The requests go to a stateless
   in-process stub: a million through the served fake takes about two minutes on two cores
   (the fake keeps every message), for the same client code; `--memory-served` does that.
5. Prints a Markdown table and PASS/MISS for each target of issue 4. It never fails: it is a
   measurement, not a test.

Columns: recipients per second (SDK, bare, and the median ratio of adjacent runs' throughput),
the SDK's wall time against the ideal `ceil(chunks / concurrency) x latency` (20 ms runs), and
the client process's CPU time per recipient (`time.process_time()` over the run / N) for both:
client and server share the machine, so where the client is CPU-bound the ratio follows the
ratio of these CPU costs.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import attrs
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's bsg_async

from _server import (
    API_KEY,
    CHUNK,
    SENDER,
    TEXT,
    ServedFake,
    child_env,
    served_fake,
    server_capacity,
    viber_body,
)

from bsg_async import AsyncBSG, __version__

CONCURRENCIES = (1, 8, 32)
LATENCIES_MS = (0, 20)
WARM_UP = 1_000
MEMORY_TIMEOUT = 300.0
RATIO_TARGET = 0.95
IDEAL_TARGET = 1.1
IDEAL_CONCURRENCIES = (1, 8)
MEMORY_TARGET_MB = 100.0
BOTTLENECK_SHARE = 0.8  # bare httpx at this share of the server's ceiling: the server limits


@attrs.frozen
class Run:
    """One timed send: wall-clock and client CPU seconds."""

    wall: float
    cpu: float


@attrs.frozen
class Point:
    """The medians of one (latency, concurrency) point."""

    latency_ms: float
    concurrency: int
    recipients: int
    sdk: Run
    bare: Run
    ratios: dict[str, float]  # sender -> median of (bare wall / its wall) over adjacent runs
    aiohttp: Run | None = None  # the SDK with http_backend="aiohttp", when measured
    floor: float | None = None  # wall / ideal of a do-nothing client (20 ms, concurrency 1, 8)

    @property
    def ideal(self) -> float:
        """`ceil(chunks / concurrency) x latency`, in seconds."""
        chunks = math.ceil(self.recipients / CHUNK)
        return math.ceil(chunks / self.concurrency) * self.latency_ms / 1000


class Stopwatch:
    """Wall-clock and process CPU time of the block it times (and, if given, its profile)."""

    def __init__(self, profiler: Any = None) -> None:
        self.profiler = profiler

    def __enter__(self) -> Stopwatch:
        if self.profiler is not None:
            self.profiler.start()
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.run = Run(time.perf_counter() - self._wall, time.process_time() - self._cpu)
        if self.profiler is not None:
            self.profiler.stop()


# -- the two clients ---------------------------------------------------------------------------


async def sdk_send(
    fake: ServedFake,
    phones: list[str],
    concurrency: int,
    *,
    backend: str = "httpx",
    profiler: Any = None,
) -> Run:
    """Send with the SDK, as a user would (the client is opened before the clock starts)."""
    async with AsyncBSG(
        api_key=API_KEY,
        base_url=fake.base_url,
        http_backend="aiohttp" if backend == "aiohttp" else None,
    ) as bsg:
        with Stopwatch(profiler) as clock:
            report = await bsg.viber.send_many(
                phones, text=TEXT, alpha_name=SENDER, concurrency=concurrency
            )
    check(f"SDK ({backend})", len(report.succeeded), phones)
    return clock.run


async def bare_send(fake: ServedFake, phones: list[str], concurrency: int) -> Run:
    """Send with bare httpx: one task per 50-phone request, a semaphore, bodies by hand."""
    accepted = 0
    semaphore = anyio.Semaphore(concurrency)

    async def send(chunk: list[str]) -> None:
        nonlocal accepted
        async with semaphore:
            references = [os.urandom(16).hex() for _ in chunk]
            response = await http.post(fake.create_url, json=viber_body(chunk, references))
            answer = response.json()
            accepted += sum(1 for entry in answer["result"] if str(entry["error"]) == "0")

    async with httpx.AsyncClient(headers={"X-API-KEY": API_KEY}) as http:
        with Stopwatch() as clock:
            async with anyio.create_task_group() as group:
                for start in range(0, len(phones), CHUNK):
                    group.start_soon(send, phones[start : start + CHUNK])
    check("bare httpx", accepted, phones)
    return clock.run


def check(who: str, accepted: int, phones: list[str]) -> None:
    """A run counts only if the fake accepted every recipient."""
    if accepted != len(phones):
        raise RuntimeError(f"{who}: {accepted} of {len(phones)} recipients accepted")


Sender = Callable[[ServedFake, list[str], int], Awaitable[Run]]


# -- measuring ---------------------------------------------------------------------------------


async def timed(send: Sender, fake: ServedFake, phones: list[str], concurrency: int) -> Run:
    """One run from a fresh fake state."""
    await fake.reset()
    return await send(fake, phones, concurrency)


def median(runs: list[Run]) -> Run:
    """The median wall time and the median CPU time of `runs`."""
    return Run(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs))


async def measure(
    fake: ServedFake, recipients: int, repeat: int, senders: dict[str, Sender]
) -> list[Point]:
    """Every concurrency against one served fake, the senders' runs interleaved."""
    phones = [f"380{number:09d}" for number in range(recipients)]
    for send in senders.values():  # warm-up: imports, code paths, connections, server caches
        await timed(send, fake, phones[:WARM_UP], 8)
    points = []
    for concurrency in CONCURRENCIES:
        runs: dict[str, list[Run]] = {name: [] for name in senders}
        for _ in range(repeat):
            for name, send in senders.items():
                runs[name].append(await timed(send, fake, phones, concurrency))
        # Throughput ratios from runs made one after the other, so that the machine's drift
        # (other processes, frequency) cancels out better than in a ratio of two medians.
        bare = runs["bare"]
        ratios = {
            name: statistics.median(b.wall / r.wall for b, r in zip(bare, own, strict=True))
            for name, own in runs.items()
            if name != "bare"
        }
        medians = {name: median(r) for name, r in runs.items()}
        point = Point(fake.latency_ms, concurrency, recipients, ratios=ratios, **medians)
        rate = recipients / point.sdk.wall
        print(
            f"  {fake.latency_ms:>3.0f} ms  concurrency {concurrency:<3} SDK {rate:,.0f}/s, "
            f"{ratios['sdk']:.2f}x bare httpx",
            flush=True,
        )
        points.append(point)
    return points


async def peak_memory(fake: ServedFake | None, recipients: int) -> dict[str, Any]:
    """Run `bench/memory.py` in its own process and return its JSON report."""
    command = [sys.executable, str(Path(__file__).with_name("memory.py"))]
    command.append(f"--recipients={recipients}")
    if fake is not None:
        command.append(f"--url={fake.url}")
    with anyio.fail_after(MEMORY_TIMEOUT):
        done = await anyio.run_process(command, env=child_env(), stderr=subprocess.STDOUT)
    report: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return report


# -- output ------------------------------------------------------------------------------------


def table(points: list[Point]) -> str:
    """The results as a Markdown table."""
    with_aiohttp = any(p.aiohttp is not None for p in points)
    head = (
        "| latency | concurrency | SDK rec/s | bare rec/s | SDK/bare | SDK wall | ideal "
        "| wall/ideal | SDK CPU µs/rec | bare CPU µs/rec |"
    )
    rule = "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    if with_aiohttp:
        head += " SDK+aiohttp rec/s | SDK+aiohttp/bare | SDK+aiohttp CPU µs/rec |"
        rule += "---:|---:|---:|"
    lines = [head, rule]
    for p in points:
        per_recipient = 1e6 / p.recipients
        ideal = f"{p.ideal:.2f} s" if p.ideal else "-"
        vs_ideal = f"{p.sdk.wall / p.ideal:.2f}x" if p.ideal else "-"
        line = (
            f"| {p.latency_ms:.0f} ms | {p.concurrency} "
            f"| {p.recipients / p.sdk.wall:,.0f} | {p.recipients / p.bare.wall:,.0f} "
            f"| {p.ratios['sdk']:.2f} | {p.sdk.wall:.2f} s | {ideal} | {vs_ideal} "
            f"| {p.sdk.cpu * per_recipient:.1f} | {p.bare.cpu * per_recipient:.1f} |"
        )
        if p.aiohttp is not None:
            line += (
                f" {p.recipients / p.aiohttp.wall:,.0f} | {p.ratios['aiohttp']:.2f} "
                f"| {p.aiohttp.cpu * per_recipient:.1f} |"
            )
        lines.append(line)
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def targets(points: list[Point], memory: dict[str, Any] | None) -> list[str]:
    """One PASS/MISS line per target of issue 4 (the SDK as configured by default)."""
    lines = []
    runs: list[tuple[str, str, Callable[[Point], Run | None]]] = [("SDK", "sdk", lambda p: p.sdk)]
    if any(p.aiohttp is not None for p in points):
        runs.append(("SDK+aiohttp", "aiohttp", lambda p: p.aiohttp))
    for name, key, run_of in runs:
        worst, at = min((p.ratios[key], p) for p in points if key in p.ratios)
        lines.append(
            f"{verdict(worst >= RATIO_TARGET)}  {name} throughput >= {RATIO_TARGET}x bare httpx "
            f"at every point (lowest {worst:.2f}x at {at.latency_ms:.0f} ms, "
            f"concurrency {at.concurrency})"
        )
        for p in points:
            run = run_of(p)
            if run is not None and p.latency_ms and p.concurrency in IDEAL_CONCURRENCIES:
                share = run.wall / p.ideal
                floor = f"do-nothing client {p.floor:.2f}x, " if p.floor else ""
                lines.append(
                    f"{verdict(share <= IDEAL_TARGET)}  {name}, {p.latency_ms:.0f} ms, "
                    f"concurrency {p.concurrency}: wall <= {IDEAL_TARGET}x ideal "
                    f"({run.wall:.2f} s vs {p.ideal:.2f} s = {share:.2f}x; "
                    f"{floor}bare httpx {p.bare.wall / p.ideal:.2f}x)"
                )
    if memory is not None:
        peak = float(memory["peak_rss_mb"])
        why = "" if memory["against"] == "served FakeBSG" else ", see --memory-served"
        lines.append(
            f"{verdict(peak < MEMORY_TARGET_MB)}  stream_many over {memory['recipients']:,} "
            f"recipients: peak RSS < {MEMORY_TARGET_MB:.0f} MB ({peak:.1f} MB, of which "
            f"{memory['baseline_rss_mb']} MB before the first recipient; against the "
            f"{memory['against']}{why}, {memory['seconds']} s)"
        )
    return lines


# -- main --------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    print(
        f"bsg_async {__version__}, Python {platform.python_version()}, httpx {httpx.__version__}, "
        f"{os.cpu_count()} CPUs ({platform.machine()}), N={args.recipients:,}, "
        f"median of {args.repeat}",
        flush=True,
    )
    senders: dict[str, Sender] = {"sdk": sdk_send, "bare": bare_send}
    if args.aiohttp:
        senders["aiohttp"] = functools.partial(sdk_send, backend="aiohttp")
    points: list[Point] = []
    memory = None
    notes = []
    for latency_ms in LATENCIES_MS:
        async with served_fake(latency_ms=latency_ms) as fake:
            if latency_ms == 0:
                ceiling = await server_capacity(fake, requests=400, connections=8) * CHUNK
                print(f"  the fake's own ceiling: {ceiling:,.0f} recipients/s", flush=True)
            else:  # the floor of the wall-time target: the fake and the OS, no HTTP library
                floors = {}
                for concurrency in IDEAL_CONCURRENCIES:
                    rate = await server_capacity(
                        fake, requests=25 * concurrency, connections=concurrency
                    )
                    floors[concurrency] = concurrency / rate / (latency_ms / 1000)
                shown = ", ".join(f"{v:.2f}x at concurrency {c}" for c, v in floors.items())
                print(f"  a do-nothing client's wall / ideal: {shown}", flush=True)
            measured = await measure(fake, args.recipients, args.repeat, senders)
            if latency_ms:
                measured = [attrs.evolve(p, floor=floors.get(p.concurrency)) for p in measured]
            points += measured
            if latency_ms == 0:
                best = max(p.recipients / p.bare.wall for p in measured)
                share = best / ceiling
                culprit = "the fake is" if share >= BOTTLENECK_SHARE else "the client is"
                notes.append(
                    f"At 0 ms {culprit} the bottleneck: bare httpx peaks at {best:,.0f} "
                    f"recipients/s, {share:.0%} of the {ceiling:,.0f}/s the fake answers a "
                    "do-nothing client."
                )
                if args.memory_recipients:
                    served = fake if args.memory_served else None
                    await fake.reset()
                    memory = await peak_memory(served, args.memory_recipients)
                    await fake.reset()
                    print(f"  memory: {memory}", flush=True)
    print()
    print(table(points))
    print()
    print("\n".join(notes))
    print("\n".join(targets(points, memory)))


async def profile(args: argparse.Namespace) -> None:
    """Profile the SDK side of one run (0 ms, concurrency 8) with pyinstrument."""
    from pyinstrument import Profiler

    phones = [f"380{number:09d}" for number in range(args.recipients)]
    profiler = Profiler(interval=0.0005)
    async with served_fake(latency_ms=0) as fake:
        await timed(sdk_send, fake, phones[:WARM_UP], 8)
        await fake.reset()
        await sdk_send(fake, phones, 8, profiler=profiler)
    print(profiler.output_text(unicode=True, color=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    add = parser.add_argument
    add("--recipients", type=int, default=10_000, help="N per run (default 10,000)")
    add("--repeat", type=int, default=5, help="runs per point, the median is shown (default 5)")
    add("--memory-recipients", type=int, default=1_000_000, help="for stream_many; 0 skips")
    add(
        "--memory-served",
        action="store_true",
        help="memory run against the served fake (about 2 minutes longer) instead of a stub",
    )
    add("--aiohttp", action="store_true", help='also AsyncBSG(http_backend="aiohttp")')
    add("--profile", action="store_true", help="profile one SDK run instead (pyinstrument)")
    args = parser.parse_args()
    anyio.run(profile if args.profile else run, args)


if __name__ == "__main__":
    main()
