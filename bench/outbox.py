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
"""

from __future__ import annotations

import argparse
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


def recipients(count: int, run: str) -> list[Recipient]:
    return [Recipient(f"38097{i:07d}", f"{run}x{i}") for i in range(count)]


def campaign(name: str, channel: str, chunk: int) -> OutboxCampaign:
    return OutboxCampaign(name, channel=channel, text="Sale", sender="Shop", chunk_size=chunk)  # type: ignore[arg-type]


def client(fake: ServedFake) -> AsyncBSG:
    return AsyncBSG(api_key=API_KEY, base_url=fake.base_url, timeout=30.0)


async def send_many_alone(
    fake: ServedFake, channel: str, count: int, chunk: int, run: str
) -> float:
    people = recipients(count, run)
    async with client(fake) as bsg:
        started = time.perf_counter()
        if channel == "viber":
            report = await bsg.viber.send_many(
                to=people, text="Sale", sender="Shop", chunk_size=chunk, concurrency=CONCURRENCY
            )
        else:
            report = await bsg.sms.send_many(
                to=people, text="Sale", sender="Shop", chunk_size=chunk, concurrency=CONCURRENCY
            )
        elapsed = time.perf_counter() - started
    assert len(report.succeeded) == count, report.failed[:3]
    return count / elapsed


async def with_store(
    fake: ServedFake, url: str, channel: str, count: int, chunk: int, run: str, workers: int
) -> float:
    name = f"bench-{run}"
    async with Outbox.open(url) as outbox:
        await outbox.create_campaign(campaign(name, channel, chunk))
        await outbox.add(name, recipients(count, run))
        if workers == 1:
            async with client(fake) as bsg:
                started = time.perf_counter()
                report = await outbox.work(name, bsg, concurrency=CONCURRENCY)
                elapsed = time.perf_counter() - started
            assert report.sent == count, report
        else:
            elapsed = await anyio.to_thread.run_sync(_processes, fake, url, name, workers)
        summary = await outbox.summary(name)
    assert summary.done, summary
    assert summary.total == count, summary
    return count / elapsed


def _processes(fake: ServedFake, url: str, name: str, workers: int) -> float:
    """Run `workers` worker processes on the campaign; seconds from "go" to the last exit."""
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
        for process in processes:
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
    return elapsed


async def worker(url: str, name: str, base_url: str) -> None:
    async with Outbox.open(url) as outbox, AsyncBSG(api_key=API_KEY, base_url=base_url) as bsg:
        print("ready", flush=True)
        await anyio.to_thread.run_sync(sys.stdin.readline)  # "go"
        await outbox.work(name, bsg, concurrency=CONCURRENCY)


async def load_time(url: str, rows: int) -> float:
    name = f"load-{time.time_ns()}"
    async with Outbox.open(url) as outbox:
        await outbox.create_campaign(campaign(name, "sms", 1000))
        people = (Recipient(f"38097{i % 10_000_000:07d}", f"l{i}") for i in range(rows))
        started = time.perf_counter()
        assert await outbox.add(name, people) == rows
        return time.perf_counter() - started


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
            print("| workload | client | recipients/s | vs send_many |")
            print("|---|---|---:|---:|")
            async with served_fake(latency_ms=LATENCY_MS) as fake:
                for channel in args.workload:
                    count, chunk = WORKLOADS[channel]
                    points: dict[str, list[float]] = {}
                    for repeat in range(args.repeat):
                        tag = f"{channel}{repeat}{time.time_ns() % 10**8}"
                        cases = [
                            ("send_many, no store", None, 1),
                            ("SQLite, 1 worker", sqlite_url, 1),
                        ]
                        cases += [
                            (f"PostgreSQL, {n} worker{'s' * (n > 1)}", postgres_url, n)
                            for n in (1, 2, 4)
                        ]
                        for label, url, workers in cases:
                            await fake.reset()
                            run_tag = f"{tag}{len(points.get(label, []))}{label[:2]}{workers}"
                            if url is None:
                                rate = await send_many_alone(fake, channel, count, chunk, run_tag)
                            else:
                                rate = await with_store(
                                    fake, url, channel, count, chunk, run_tag, workers
                                )
                            points.setdefault(label, []).append(rate)
                    baseline = statistics.median(points["send_many, no store"])
                    for label, rates in points.items():
                        rate = statistics.median(rates)
                        ratio = rate / baseline
                        workload = f"{channel} ({chunk}/request)"
                        print(f"| {workload} | {label} | {rate:,.0f} | {ratio:.2f}x |")
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
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        anyio.run(worker, *args.worker)
        return
    if args.quick:
        args.repeat, args.load = 1, 100_000
    args.workload = args.workload or ["viber", "sms"]
    anyio.run(run, args)


if __name__ == "__main__":
    main()
