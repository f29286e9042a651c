"""The outbox's throughput and load time (issue 18): recipients per second delivered by 1, 2
and 4 worker processes on PostgreSQL and one on SQLite, against `send_many` without a store,
all at 20 ms of latency; and the time to add 1,000,000 rows to each store.

```bash
python bench/outbox.py                 # ~3 minutes; starts its own PostgreSQL (tests/pg_support)
python bench/outbox.py --quick         # one run per point, 100,000 rows loaded
python bench/outbox.py --postgres postgresql://user@host/db   # an existing database instead
```

The fake serves in its own process (`bench/_server.py`). Every worker runs `concurrency=8`
loops (as `send_many` runs 8 requests in flight), so 2 and 4 workers have 16 and 32 requests in
flight: they show how the store scales out, not a like-for-like comparison. Worker processes
start, open the store and the client, and wait for a go signal: the time measured is from the
signal to the last one's exit, the campaign done. The single worker runs in this process, as
`send_many` does. Each figure is the median of `--repeat` runs.

A run's rate moves with the machine (on a 2-core VM single runs of one setup range over
a factor of 1.5), so every line also gives each repetition's ratio against `send_many` alone
in the same repetition, and the median of those ratios with their quartiles: the paired
figure a target should be judged by, with enough repetitions (`--repeat 15`) that the
quartiles say how far the median can be trusted.

Where the time goes: every line also gives the CPU seconds per 100,000 recipients of the
client (the process(es) running `send_many` or the workers, SQLite's thread included), of
PostgreSQL (the server's processes, when this script started it) and of the fake. They are
read from `/proc` (Linux), so they hold on a machine shared with other work, where the
recipients per second do not.
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._server import API_KEY, ServedFake, child_env, served_fake
from bsg_async import AsyncBSG, Recipient
from bsg_async.outbox import Outbox, OutboxCampaign

LATENCY_MS = 20.0
CONCURRENCY = 8
WORKLOADS = {"viber": (20_000, 50), "sms": (200_000, 1_000)}  # recipients, per request


TICK = os.sysconf("SC_CLK_TCK")


def _ticks(pid: int) -> tuple[int, int] | None:
    """(parent pid, user + system clock ticks) of a process, or `None` once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), int(fields[11]) + int(fields[12])


class CpuMeter:
    """CPU seconds of the fake's process, of a PostgreSQL server (the postmaster and its
    children), and of this process (worker processes report their own).

    The server's processes are sampled every 50 ms while a run goes (a backend that exits is
    counted to its last sample) by a process of its own (`--sample-postgres`): a thread here
    would take the GIL from the event loop it measures, reading `/proc` twenty times a
    second."""

    def __init__(self, fake_pid: int | None, postmaster_pid: int | None) -> None:
        self.fake_pid = fake_pid
        self.postmaster_pid = postmaster_pid
        self._sampler: subprocess.Popen[str] | None = None

    def start(self) -> None:
        """Start counting (a process samples the server's processes until `stop`)."""
        if self.postmaster_pid is not None:
            command = [sys.executable, __file__, "--sample-postgres", str(self.postmaster_pid)]
            self._sampler = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
            )
            assert self._sampler.stdout is not None
            assert self._sampler.stdout.readline().strip() == "sampling"
        self._fake = _ticks(self.fake_pid) if self.fake_pid else None
        self._own = time.process_time()

    def stop(self) -> dict[str, float]:
        """The CPU seconds of "client" (this process), "postgres" and "fake" since `start`."""
        client = time.process_time() - self._own
        fake = _ticks(self.fake_pid) if self.fake_pid else None
        nan = float("nan")
        postgres = nan
        if self._sampler is not None:
            sampler, self._sampler = self._sampler, None
            output, _ = sampler.communicate("stop\n", timeout=30)
            postgres = float(output.split()[-1])
        return {
            "client": client,
            "postgres": postgres,
            "fake": (fake[1] - self._fake[1]) / TICK if fake and self._fake else nan,
        }


def sample_postgres(master: int) -> None:
    """`--sample-postgres`: sample the CPU ticks of `master` and its children every 50 ms
    until a line arrives on stdin; then print the seconds they used meanwhile."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}

    def sample(initial: bool = False) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            found = _ticks(pid)
            if found is not None and master in (pid, found[0]):
                first.setdefault(pid, found[1] if initial else 0)  # new: from its start
                last[pid] = found[1]

    sample(initial=True)
    print("sampling", flush=True)
    while not select.select([sys.stdin], [], [], 0.05)[0]:
        sample()
    sample()
    print(sum(last[p] - first[p] for p in last) / TICK, flush=True)


def recipients(count: int, run: str) -> list[Recipient]:
    return [Recipient(f"38097{i:07d}", f"{run}x{i}") for i in range(count)]


def campaign(name: str, channel: str) -> OutboxCampaign:
    """The campaign with the store's default chunks: 1,000 SMS (one request) or 500 Viber
    recipients (ten requests of 50, as `send_many` sends them) per claim."""
    return OutboxCampaign(name, channel=channel, text="Sale", sender="Shop")  # type: ignore[arg-type]


def client(fake: ServedFake) -> AsyncBSG:
    return AsyncBSG(api_key=API_KEY, base_url=fake.base_url, timeout=30.0)


async def send_many_alone(
    fake: ServedFake, meter: CpuMeter, channel: str, count: int, chunk: int, run: str
) -> tuple[float, dict[str, float]]:
    people = recipients(count, run)
    async with client(fake) as bsg:
        started = time.perf_counter()
        meter.start()
        if channel == "viber":
            report = await bsg.viber.send_many(
                to=people, text="Sale", sender="Shop", chunk_size=chunk, concurrency=CONCURRENCY
            )
        else:
            report = await bsg.sms.send_many(
                to=people, text="Sale", sender="Shop", chunk_size=chunk, concurrency=CONCURRENCY
            )
        cpu = meter.stop()
        elapsed = time.perf_counter() - started
    assert len(report.succeeded) == count, report.failed[:3]
    return count / elapsed, cpu


async def with_store(
    fake: ServedFake,
    meter: CpuMeter,
    url: str,
    channel: str,
    count: int,
    chunk: int,
    run: str,
    workers: int,
) -> tuple[float, dict[str, float]]:
    name = f"bench-{run}"
    async with Outbox.open(url) as outbox:
        await outbox.create_campaign(campaign(name, channel))
        await outbox.add(name, recipients(count, run))
        if workers == 1:
            async with client(fake) as bsg:
                started = time.perf_counter()
                meter.start()
                report = await outbox.work(name, bsg, concurrency=CONCURRENCY)
                cpu = meter.stop()
                elapsed = time.perf_counter() - started
            assert report.sent == count, report
        else:
            meter.start()
            elapsed, workers_cpu = await anyio.to_thread.run_sync(
                _processes, fake, url, name, workers
            )
            cpu = meter.stop()
            cpu["client"] = workers_cpu  # this process only waited
        summary = await outbox.summary(name)
    assert summary.done, summary
    assert summary.total == count, summary
    return count / elapsed, cpu


def _processes(fake: ServedFake, url: str, name: str, workers: int) -> tuple[float, float]:
    """Run `workers` worker processes on the campaign; seconds from "go" to the last exit,
    and the CPU seconds the workers report having used from "go" to the end."""
    command = [sys.executable, __file__, "--worker", url, name, fake.base_url]
    processes = [
        subprocess.Popen(
            command, env=child_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(workers)
    ]
    try:
        for process in processes:  # each says "ready" once its store and client are open
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        started = time.perf_counter()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.close()
        cpu = 0.0
        for process in processes:
            assert process.stdout is not None
            cpu += float(process.stdout.readline().split()[1])  # "cpu SECONDS"
            process.wait()
        elapsed = time.perf_counter() - started
        assert all(process.returncode == 0 for process in processes)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
    return elapsed, cpu


async def worker(url: str, name: str, base_url: str) -> None:
    async with Outbox.open(url) as outbox, AsyncBSG(api_key=API_KEY, base_url=base_url) as bsg:
        print("ready", flush=True)
        await anyio.to_thread.run_sync(sys.stdin.readline)  # "go"
        started = time.process_time()
        await outbox.work(name, bsg, concurrency=CONCURRENCY)
        print(f"cpu {time.process_time() - started}", flush=True)


async def load_time(url: str, rows: int) -> float:
    name = f"load-{time.time_ns()}"
    async with Outbox.open(url) as outbox:
        await outbox.create_campaign(campaign(name, "sms"))
        people = (Recipient(f"38097{i % 10_000_000:07d}", f"l{i}") for i in range(rows))
        started = time.perf_counter()
        assert await outbox.add(name, people) == rows
        return time.perf_counter() - started


def spread(ratios: list[float]) -> str:
    """The median of `ratios` and their quartiles (the median alone for fewer than 4)."""
    middle = f"{statistics.median(ratios):.2f}x"
    if len(ratios) < 4:
        return middle
    low, _, high = statistics.quantiles(ratios, n=4)
    return f"{middle} [{low:.2f}, {high:.2f}]"


def url_part(label: str, part: str) -> bool:
    """Whether a line's CPU column `part` means anything (no PostgreSQL without a store)."""
    return part != "postgres" or label.startswith("PostgreSQL")


async def run(args: argparse.Namespace) -> None:
    from tests.pg_support import Cluster, create_database

    cluster = None
    if args.postgres is None:
        cluster = Cluster()
        cluster.start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            sqlite_url = f"sqlite:///{Path(folder) / 'bench.db'}"
            postgres_url = args.postgres or create_database(cluster)  # type: ignore[arg-type]
            print(f"latency {LATENCY_MS:g} ms, concurrency {CONCURRENCY} per worker, "
                  f"median of {args.repeat}")  # fmt: skip
            print(
                "| workload | client | recipients/s | vs send_many | paired: median [quartiles] "
                "| each run | CPU s per 100k: client / PostgreSQL / fake |"
            )
            print("|---|---|---:|---:|---|---|---|")
            async with served_fake(latency_ms=LATENCY_MS) as fake:
                postmaster = None
                if cluster is not None:
                    postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
                meter = CpuMeter(fake.process.pid if fake.process else None, postmaster)
                for channel in args.workload:
                    count, chunk = WORKLOADS[channel]
                    points: dict[str, list[float]] = {}
                    cpus: dict[str, list[dict[str, float]]] = {}
                    for repeat in range(args.repeat):
                        tag = f"{channel}{repeat}{time.time_ns() % 10**8}"
                        cases = [
                            ("send_many, no store", None, 1),
                            ("SQLite, 1 worker", sqlite_url, 1),
                        ]
                        cases += [
                            (f"PostgreSQL, {n} worker{'s' * (n > 1)}", postgres_url, n)
                            for n in args.workers
                        ]
                        for label, url, workers in cases:
                            await fake.reset()
                            run_tag = f"{tag}{len(points.get(label, []))}{label[:2]}{workers}"
                            if url is None:
                                rate, cpu = await send_many_alone(
                                    fake, meter, channel, count, chunk, run_tag
                                )
                            else:
                                rate, cpu = await with_store(
                                    fake, meter, url, channel, count, chunk, run_tag, workers
                                )
                            points.setdefault(label, []).append(rate)
                            cpus.setdefault(label, []).append(cpu)
                    alone = points["send_many, no store"]
                    baseline = statistics.median(alone)
                    for label, rates in points.items():
                        rate = statistics.median(rates)
                        ratio = rate / baseline
                        # Each run against `send_many` alone in the same repetition.
                        paired = [r / a for r, a in zip(rates, alone, strict=True)]
                        each = ", ".join(f"{p:.2f}x" for p in paired)
                        workload = f"{channel} ({chunk}/request)"
                        per = 100_000 / count
                        used = " / ".join(
                            f"{statistics.median(c[part] for c in cpus[label]) * per:.2f}"
                            if url_part(label, part)
                            else "-"
                            for part in ("client", "postgres", "fake")
                        )
                        line = (
                            f"| {workload} | {label} | {rate:,.0f} | {ratio:.2f}x "
                            f"| {spread(paired)} | {each} |"
                        )
                        print(f"{line} {used} |")
            print()
            print("| store | rows added | seconds | rows/s |")
            print("|---|---:|---:|---:|")
            for label, url in (("SQLite", sqlite_url), ("PostgreSQL", postgres_url)):
                seconds = await load_time(url, args.load)
                print(f"| {label} | {args.load:,} | {seconds:.1f} | {args.load / seconds:,.0f} |")
    finally:
        if cluster is not None:
            cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run per point, 100,000 loaded")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--load", type=int, default=1_000_000, help="rows in the load test")
    parser.add_argument("--postgres", help="an existing PostgreSQL database URL")
    parser.add_argument("--workload", action="append", choices=sorted(WORKLOADS))
    parser.add_argument(
        "--workers", type=int, action="append", choices=(1, 2, 4), help="PostgreSQL workers"
    )
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--sample-postgres", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sample_postgres:
        sample_postgres(args.sample_postgres)
        return
    if args.worker:
        anyio.run(worker, *args.worker)
        return
    if args.quick:
        args.repeat, args.load = 1, 100_000
    args.workload = args.workload or ["viber", "sms"]
    args.workers = args.workers or [1, 2, 4]
    anyio.run(run, args)


if __name__ == "__main__":
    main()
