"""Throughput of the SDK on each HTTP backend against bare httpx and bare aiohttp.

```
nox -s bench                            # or, with the `bench` extra installed:
python bench/throughput.py              # the whole comparison (about 5 minutes on 2 cores)
python bench/throughput.py --quick      # one run per point, no memory run (about 1 minute)
python bench/throughput.py --profile    # where the SDK's time goes (needs pyinstrument)
python bench/throughput.py --gc-freeze  # every client with the start-up objects frozen
```

What one run does:

1. Serves `FakeBSG` with uvicorn on 127.0.0.1 in a separate process (`python -m
   bsg_async.testing`), once with 0 ms and once with 20 ms of added latency, no faults.
2. Measures what that server can do for a client that does almost nothing (pre-encoded
   requests, answers read as bytes): at 0 ms its ceiling in recipients/s, at 20 ms its own
   wall time over the latency ideal, the floor of the wall-time target.
3. Sends two workloads at concurrency 1, 8 and 32 with four clients:
   - Viber: 10,000 recipients in 50-phone requests;
   - SMS bulk: 20,000 recipients in 1,000-phone requests;
   - clients: `AsyncBSG(http_backend="httpx")` (the default) and `http_backend="aiohttp"`,
     both through `send_many`; a bare `httpx.AsyncClient` and a bare `aiohttp.ClientSession`,
     each with a semaphore and the same JSON bodies built by hand.
   Every client generates one 32-hex reference per recipient inside the timed region and must
   see every recipient accepted. The fake forgets its messages before each run; the clients'
   runs alternate, one warm-up run of each comes first, the medians are reported.
4. Runs `stream_many` over 1,000,000 lazily generated recipients in a child process
   (`bench/memory.py`) and reports that process's peak RSS (`--memory-served` sends them
   through the served fake instead of an in-process stub: about two minutes longer).
5. Prints a Markdown table and PASS/MISS for each target. It never fails: it is a
   measurement, not a test.

`--gc-freeze` calls `gc.freeze()` once the imports are done, for every client alike: the
objects that exist then are left out of the garbage collector's passes, as a long-running
application may choose to do after its own start-up (see docs/performance.md).

Columns: recipients per second of each SDK backend and of the bare client of the same library,
the median ratio of adjacent runs' throughput (SDK / bare), the SDK's wall time over the ideal
`ceil(requests / concurrency) x latency` (20 ms runs), and the client process's CPU time per
recipient (`time.process_time()` over the run / N) of the SDK and of the bare client. Client
and server share the machine, so where the client is CPU-bound the throughput follows these
CPU costs.
"""

from __future__ import annotations

import argparse
import gc
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

import aiohttp
import anyio
import attrs
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's bsg_async

from _server import (
    API_KEY,
    SENDER,
    SMS,
    TEXT,
    VIBER,
    ServedFake,
    Workload,
    child_env,
    do_nothing_wall,
    served_fake,
)

from bsg_async import AsyncBSG, __version__, _json
from bsg_async.client import HttpBackend
from bsg_async.transports import AiohttpTransport

CONCURRENCIES = (1, 8, 32)
LATENCIES_MS = (0, 20)
WORKLOADS = (VIBER, SMS)
MEMORY_TIMEOUT = 300.0
MEMORY_TARGET_MB = 100.0
# The issues' targets: each SDK backend against the bare client of its own library (issue 7;
# issue 4's 0.95x for the default backend), and wall times at 20 ms against the latency ideal.
RATIO_TARGETS = {"SDK aiohttp": 0.85, "SDK httpx": 0.95}


@attrs.frozen
class WallTarget:
    """An issue's target for an SDK client's wall time over the ideal at 20 ms."""

    issue: int
    client: str
    channels: tuple[str, ...]
    concurrencies: tuple[int, ...]
    most: float  # at most this many times the ideal


WALL_TARGETS = (
    WallTarget(4, "SDK httpx", ("viber",), (1, 8), 1.1),  # the default backend, on Viber
    WallTarget(7, "SDK aiohttp", ("viber", "sms"), (8, 32), 1.3),
)
# The do-nothing client's wall over the ideal is measured at these: the floor of those targets.
FLOOR_CONCURRENCIES = tuple(sorted({c for t in WALL_TARGETS for c in t.concurrencies}))
BOTTLENECK_SHARE = 0.8  # a bare client at this share of the server's ceiling: the server limits

# The four clients, in the order their runs alternate, and which bare client each SDK backend
# is compared with.
CLIENTS = ("SDK httpx", "httpx", "SDK aiohttp", "aiohttp")
BARE_OF = {"SDK httpx": "httpx", "SDK aiohttp": "aiohttp"}


@attrs.frozen
class Run:
    """One timed send: wall-clock and client CPU seconds, and the seconds of the client's
    garbage collector passes (part of its CPU)."""

    wall: float
    cpu: float
    gc: float = 0.0


class CollectorClock:
    """The seconds the garbage collector has spent in this process since `start()`."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._began = 0.0

    def start(self) -> None:
        """Start counting (once per process)."""
        if self._track not in gc.callbacks:
            gc.callbacks.append(self._track)

    def _track(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._began


COLLECTOR = CollectorClock()


@attrs.frozen
class Point:
    """The medians of one (workload, latency, concurrency) point."""

    workload: Workload
    latency_ms: float
    concurrency: int
    runs: dict[str, Run]  # client -> median run
    ratios: dict[str, float]  # SDK client -> median of (bare wall / SDK wall) of adjacent runs
    floor: float | None = None  # wall / ideal of the do-nothing client (20 ms)

    @property
    def ideal(self) -> float:
        """`ceil(requests / concurrency) x latency`, in seconds (0 without latency)."""
        return math.ceil(self.workload.requests / self.concurrency) * self.latency_ms / 1000

    def rate(self, client: str) -> float:
        """Recipients per second of `client`'s median run."""
        return self.workload.recipients / self.runs[client].wall

    def cpu_us(self, client: str) -> float:
        """`client`'s CPU microseconds per recipient (median run)."""
        return self.runs[client].cpu * 1e6 / self.workload.recipients

    def gc_share(self, client: str) -> float:
        """The garbage collector's share of `client`'s CPU time (medians)."""
        run = self.runs[client]
        return run.gc / run.cpu if run.cpu else 0.0


class Stopwatch:
    """Wall-clock and process CPU time of the block it times (and, if given, its profile)."""

    def __init__(self, profiler: Any = None) -> None:
        self.profiler = profiler

    def __enter__(self) -> Stopwatch:
        if self.profiler is not None:
            self.profiler.start()
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        self._gc = COLLECTOR.seconds
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.run = Run(
            time.perf_counter() - self._wall,
            time.process_time() - self._cpu,
            COLLECTOR.seconds - self._gc,
        )
        if self.profiler is not None:
            self.profiler.stop()


# -- the four clients --------------------------------------------------------------------------


async def sdk_send(
    fake: ServedFake,
    workload: Workload,
    phones: list[str],
    concurrency: int,
    *,
    backend: HttpBackend = "httpx",
    profiler: Any = None,
) -> Run:
    """Send with the SDK's `send_many`, as a user would (the client is opened before the
    clock starts)."""
    async with AsyncBSG(api_key=API_KEY, base_url=fake.base_url, http_backend=backend) as bsg:
        with Stopwatch(profiler) as clock:
            if workload.channel == "viber":
                report = await bsg.viber.send_many(
                    to=phones, text=TEXT, sender=SENDER, concurrency=concurrency
                )
            else:
                report = await bsg.sms.send_many(
                    to=phones,
                    text=TEXT,
                    sender=SENDER,
                    chunk_size=workload.chunk,
                    concurrency=concurrency,
                )
    check(f"SDK {backend}", len(report.succeeded), phones)
    return clock.run


# One request of a bare client: post the body, return the decoded JSON answer.
Post = Callable[[dict[str, object]], Awaitable[Any]]


async def bare_run(workload: Workload, phones: list[str], concurrency: int, post: Post) -> int:
    """One task per request, a semaphore, bodies built by hand; return the recipients
    accepted."""
    accepted = 0
    semaphore = anyio.Semaphore(concurrency)

    async def send(chunk: list[str]) -> None:
        nonlocal accepted
        async with semaphore:
            references = [os.urandom(16).hex() for _ in chunk]
            answer = await post(workload.body(chunk, references))
            accepted += sum(1 for entry in answer["result"] if str(entry["error"]) == "0")

    async with anyio.create_task_group() as group:
        for start in range(0, len(phones), workload.chunk):
            group.start_soon(send, phones[start : start + workload.chunk])
    return accepted


async def httpx_send(
    fake: ServedFake, workload: Workload, phones: list[str], concurrency: int
) -> Run:
    """Send with a bare `httpx.AsyncClient` (its default transport)."""
    url = fake.base_url + workload.path
    async with httpx.AsyncClient(headers={"X-API-KEY": API_KEY}) as http:

        async def post(body: dict[str, object]) -> Any:
            return (await http.post(url, json=body)).json()

        with Stopwatch() as clock:
            accepted = await bare_run(workload, phones, concurrency, post)
    check("bare httpx", accepted, phones)
    return clock.run


async def aiohttp_send(
    fake: ServedFake, workload: Workload, phones: list[str], concurrency: int
) -> Run:
    """Send with a bare `aiohttp.ClientSession`."""
    url = fake.base_url + workload.path
    async with aiohttp.ClientSession(headers={"X-API-KEY": API_KEY}) as http:

        async def post(body: dict[str, object]) -> Any:
            async with http.post(url, json=body) as response:
                return await response.json()

        with Stopwatch() as clock:
            accepted = await bare_run(workload, phones, concurrency, post)
    check("bare aiohttp", accepted, phones)
    return clock.run


async def transport_send(
    fake: ServedFake, workload: Workload, phones: list[str], concurrency: int
) -> Run:
    """Send through the SDK's own aiohttp transport alone: hand-built `httpx.Request`s with
    the bare clients' JSON, no SDK work (no validation, no typed outcomes, no pipeline). The
    floor of `http_backend="aiohttp"`, as `bench/instructions.py` counts it."""
    url = httpx.URL(fake.base_url + workload.path)
    headers = httpx.Headers({"X-API-KEY": API_KEY, "Content-Type": "application/json"})
    extensions = {"timeout": httpx.Timeout(30.0, connect=10.0).as_dict()}  # the SDK's default
    async with AiohttpTransport() as transport:

        async def post(body: dict[str, object]) -> Any:
            content = json.dumps(body).encode()
            request = httpx.Request(
                "POST", url, headers=headers, content=content, extensions=extensions
            )
            response = await transport.handle_async_request(request)
            try:
                return json.loads(await response.aread())
            finally:
                await response.aclose()

        with Stopwatch() as clock:
            accepted = await bare_run(workload, phones, concurrency, post)
    check("SDK transport", accepted, phones)
    return clock.run


def check(who: str, accepted: int, phones: list[str]) -> None:
    """A run counts only if the fake accepted every recipient."""
    if accepted != len(phones):
        raise RuntimeError(f"{who}: {accepted} of {len(phones)} recipients accepted")


Sender = Callable[[ServedFake, Workload, list[str], int], Awaitable[Run]]


async def sdk_httpx(fake: ServedFake, w: Workload, phones: list[str], concurrency: int) -> Run:
    return await sdk_send(fake, w, phones, concurrency, backend="httpx")


async def sdk_aiohttp(fake: ServedFake, w: Workload, phones: list[str], concurrency: int) -> Run:
    return await sdk_send(fake, w, phones, concurrency, backend="aiohttp")


async def sdk_aiohttp_json(
    fake: ServedFake, w: Workload, phones: list[str], concurrency: int
) -> Run:
    """The SDK on aiohttp with its request bodies encoded by `json`, as if the `orjson` extra
    were not installed (bodies are the same bytes either way)."""
    encoder = _json._orjson_dumps
    _json._orjson_dumps = None
    try:
        return await sdk_send(fake, w, phones, concurrency, backend="aiohttp")
    finally:
        _json._orjson_dumps = encoder


SENDERS: dict[str, Sender] = {
    "SDK httpx": sdk_httpx,
    "httpx": httpx_send,
    "SDK aiohttp": sdk_aiohttp,
    "aiohttp": aiohttp_send,
}


# -- measuring ---------------------------------------------------------------------------------


def phones_of(workload: Workload) -> list[str]:
    """The run's distinct phone numbers."""
    return [f"380{number:09d}" for number in range(workload.recipients)]


async def timed(
    send: Sender, fake: ServedFake, workload: Workload, phones: list[str], concurrency: int
) -> Run:
    """One run from a fresh fake state."""
    await fake.reset()
    return await send(fake, workload, phones, concurrency)


def median(runs: list[Run]) -> Run:
    """The median wall, CPU and garbage collector times of `runs`."""
    return Run(
        statistics.median(r.wall for r in runs),
        statistics.median(r.cpu for r in runs),
        statistics.median(r.gc for r in runs),
    )


async def measure(fake: ServedFake, workload: Workload, repeat: int) -> list[Point]:
    """Every concurrency of one workload against one served fake, the clients interleaved."""
    phones = phones_of(workload)
    warm_up = phones[: 4 * workload.chunk]
    for send in SENDERS.values():  # warm-up: imports, code paths, connections, server caches
        await timed(send, fake, workload, warm_up, 8)
    points = []
    for concurrency in CONCURRENCIES:
        runs: dict[str, list[Run]] = {name: [] for name in CLIENTS}
        for _ in range(repeat):
            for name in CLIENTS:
                runs[name].append(await timed(SENDERS[name], fake, workload, phones, concurrency))
        # Ratios from runs made one after the other, so that the machine's drift (other
        # processes, frequency) cancels out better than in a ratio of two medians.
        ratios = {
            sdk: statistics.median(
                b.wall / s.wall for s, b in zip(runs[sdk], runs[bare], strict=True)
            )
            for sdk, bare in BARE_OF.items()
        }
        point = Point(
            workload,
            fake.latency_ms,
            concurrency,
            {name: median(r) for name, r in runs.items()},
            ratios,
        )
        shown = ", ".join(
            f"{sdk} {point.rate(sdk):,.0f}/s = {ratios[sdk]:.2f}x {bare}"
            for sdk, bare in BARE_OF.items()
        )
        print(
            f"  {workload.name:<8} {fake.latency_ms:>3.0f} ms  concurrency {concurrency:<3} "
            f"{shown}",
            flush=True,
        )
        points.append(point)
    return points


async def fastest_do_nothing(fake: ServedFake, workload: Workload, *, connections: int) -> float:
    """The best of three do-nothing runs, in seconds (the first one also warms the server)."""
    return min([await do_nothing_wall(fake, workload, connections=connections) for _ in range(3)])


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
    """The results as a Markdown table: per backend, SDK and bare throughput, their ratio, the
    SDK's wall time over the ideal, and the CPU per recipient of both."""
    head = "| workload | latency | concurrency | ideal |"
    rule = "|---|---:|---:|---:|"
    for sdk, bare in BARE_OF.items():
        head += (
            f" {sdk} rec/s | bare {bare} rec/s | ratio | {sdk} wall/ideal "
            f"| CPU µs/rec {sdk} / bare |"
        )
        rule += "---:|---:|---:|---:|---:|"
    lines = [head, rule]
    for p in points:
        line = (
            f"| {p.workload.name} | {p.latency_ms:.0f} ms | {p.concurrency} "
            f"| {f'{p.ideal:.2f} s' if p.ideal else '-'} |"
        )
        for sdk, bare in BARE_OF.items():
            vs_ideal = f"{p.runs[sdk].wall / p.ideal:.2f}x" if p.ideal else "-"
            line += (
                f" {p.rate(sdk):,.0f} | {p.rate(bare):,.0f} | {p.ratios[sdk]:.2f}x "
                f"| {vs_ideal} | {p.cpu_us(sdk):.1f} / {p.cpu_us(bare):.1f} |"
            )
        lines.append(line)
    return "\n".join(lines)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def targets(points: list[Point], memory: dict[str, Any] | None) -> list[str]:
    """One PASS/MISS line per target of issues 4 and 7."""
    lines = []
    for sdk, target in RATIO_TARGETS.items():
        bare = BARE_OF[sdk]
        for workload in WORKLOADS:
            own = [p for p in points if p.workload == workload]
            worst, at = min(((p.ratios[sdk], p) for p in own), key=lambda pair: pair[0])
            lines.append(
                f"{verdict(worst >= target)}  {workload.name}: {sdk} >= {target}x bare {bare} "
                f"at every point (lowest {worst:.2f}x at {at.latency_ms:.0f} ms, "
                f"concurrency {at.concurrency})"
            )
    for goal in WALL_TARGETS:
        client, bare = goal.client, BARE_OF[goal.client]
        for p in points:
            if not (
                p.latency_ms
                and p.workload.channel in goal.channels
                and p.concurrency in goal.concurrencies
            ):
                continue
            share = p.runs[client].wall / p.ideal
            floor = f"do-nothing client {p.floor:.2f}x, " if p.floor else ""
            lines.append(
                f"{verdict(share <= goal.most)}  (issue {goal.issue}) {p.workload.name}, "
                f"{p.latency_ms:.0f} ms, concurrency {p.concurrency}: {client} wall <= "
                f"{goal.most}x ideal ({p.runs[client].wall:.2f} s vs {p.ideal:.2f} s = "
                f"{share:.2f}x; {floor}bare {bare} {p.runs[bare].wall / p.ideal:.2f}x)"
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
        f"aiohttp {aiohttp.__version__}, {os.cpu_count()} CPUs ({platform.machine()}), "
        f"median of {args.repeat}" + (", gc.freeze() after start-up" if args.gc_freeze else ""),
        flush=True,
    )
    points: list[Point] = []
    memory = None
    notes = []
    for latency_ms in LATENCIES_MS:
        async with served_fake(latency_ms=latency_ms) as fake:
            for workload in WORKLOADS:
                floors: dict[int, float] = {}
                if latency_ms == 0:
                    wall = await fastest_do_nothing(fake, workload, connections=8)
                    ceiling = workload.recipients / wall
                    print(
                        f"  {workload.name}: the fake's own ceiling {ceiling:,.0f} recipients/s",
                        flush=True,
                    )
                else:  # the floor of the wall-time target: the fake and the OS, no HTTP library
                    for concurrency in FLOOR_CONCURRENCIES:
                        wall = await fastest_do_nothing(fake, workload, connections=concurrency)
                        ideal = math.ceil(workload.requests / concurrency) * latency_ms / 1000
                        floors[concurrency] = wall / ideal
                measured = await measure(fake, workload, args.repeat)
                points += [attrs.evolve(p, floor=floors.get(p.concurrency)) for p in measured]
                if latency_ms == 0:
                    shares = ", ".join(
                        f"{client} {point.gc_share(client):.0%}"
                        for point in measured
                        if point.concurrency == 8
                        for client in CLIENTS
                    )
                    notes.append(
                        f"{workload.name} at 0 ms, concurrency 8: the garbage collector took "
                        f"this share of each client's CPU: {shares}."
                    )
                    best = max(p.rate("aiohttp") for p in measured)
                    share = best / ceiling
                    culprit = "the fake is" if share >= BOTTLENECK_SHARE else "the clients are"
                    notes.append(
                        f"{workload.name} at 0 ms: {culprit} the bottleneck: bare aiohttp peaks "
                        f"at {best:,.0f} recipients/s, {share:.0%} of the {ceiling:,.0f}/s the "
                        "fake answers a do-nothing client."
                    )
            if latency_ms == 0 and args.memory_recipients:
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

    workload = SMS if args.workload == "sms" else VIBER
    phones = phones_of(workload)
    profiler = Profiler(interval=0.0005)
    async with served_fake(latency_ms=0) as fake:
        send = sdk_aiohttp if args.backend == "aiohttp" else sdk_httpx
        await timed(send, fake, workload, phones[:1_000], 8)
        await fake.reset()
        await sdk_send(fake, workload, phones, 8, backend=args.backend, profiler=profiler)
    print(profiler.output_text(unicode=True, color=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    add = parser.add_argument
    add("--repeat", type=int, default=3, help="runs per point, the median is shown (default 3)")
    add("--quick", action="store_true", help="one run per point and no memory run (~1 minute)")
    add("--memory-recipients", type=int, default=1_000_000, help="for stream_many; 0 skips")
    add(
        "--memory-served",
        action="store_true",
        help="memory run against the served fake (about 2 minutes longer) instead of a stub",
    )
    add("--profile", action="store_true", help="profile one SDK run instead (pyinstrument)")
    add("--backend", choices=("httpx", "aiohttp"), default="httpx", help="for --profile")
    add("--workload", choices=("viber", "sms"), default="viber", help="for --profile")
    add(
        "--gc-freeze",
        action="store_true",
        help="gc.freeze() after the imports, for every client alike",
    )
    args = parser.parse_args()
    COLLECTOR.start()
    if args.gc_freeze:
        gc.freeze()
    if args.quick:
        args.repeat, args.memory_recipients = 1, 0
    anyio.run(profile if args.profile else run, args)


if __name__ == "__main__":
    main()
