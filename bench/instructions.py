"""Instructions the client process executes per recipient, counted by valgrind's callgrind.

```
nox -s bench_instructions                  # or, with the `bench` extra and valgrind installed:
python bench/instructions.py               # both workloads (about 2.5 minutes on 2 cores)
python bench/instructions.py --quick       # about half the recipients (about 2 minutes)
python bench/instructions.py --workload sms
python bench/instructions.py --workload viber --client "SDK aiohttp" --client floor
```

Why: `throughput.py`'s wall and CPU times depend on how busy the machine is (its ratios move
by about 15 % between runs on a shared VM). The number of instructions a process executes
does not, so these figures repeat from run to run, and their ratios can be compared across
sessions and machines (with the same Python and libraries).

What one run does:

1. Serves `FakeBSG` on 127.0.0.1 in its own process, as `throughput.py` does, 0 ms latency.
2. Starts this script once more, under `valgrind --tool=callgrind`. That process imports
   everything, then for each workload and client forks one process per size N1 and N2. Each
   forked process sends N recipients at concurrency 8 with one of `throughput.py`'s clients,
   must see every recipient accepted, and exits; callgrind reports its instructions, those its
   parent executed before the fork included.
3. Per recipient: `(count(N2) - count(N1)) / (N2 - N1)`. The start-up, the imports, opening
   the client and its connections are in both counts and cancel out.
4. Prints a Markdown table: instructions per recipient of each client, and how many times
   those of the bare client of the same library (and of the "floor") the SDK executes.

Clients: `send_many` on `AsyncBSG(http_backend="aiohttp")` (with orjson encoding its request
bodies, as installed by the `bench` extra, and once more without, as the bare clients encode
theirs) and `"httpx"`; bare
`aiohttp.ClientSession` and bare `httpx.AsyncClient`; and the floor, the SDK's own aiohttp
transport driven with hand-built `httpx.Request`s and no SDK work.

Not measured: the server (its own process), time spent waiting, the kernel (a system call
counts as one instruction), and what an instruction costs (cache misses, branch mispredictions).
Compare figures counted at the same sizes: the httpx clients' depend on them a little (a few
per cent; the same every time at the same sizes), so `--quick` figures differ from full ones.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path
from typing import IO, Any

import aiohttp
import anyio
import attrs
import httpx
from _server import SMS, VIBER, ServedFake, Workload, child_env, served_fake
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream
from throughput import (
    Sender,
    aiohttp_send,
    httpx_send,
    phones_of,
    sdk_aiohttp,
    sdk_aiohttp_json,
    sdk_httpx,
    transport_send,
)

from bsg_async import __version__

CONCURRENCY = 8
WORKLOADS = {"viber": VIBER, "sms": SMS}
# Recipients of the two counted runs (N1, N2) of each client. Both workloads take about 2.5
# minutes on 2 cores (callgrind runs Python ~50x slower), most of it start-up: the imports, and
# each run opening its client (loading the CA bundle for an SSL context, unused here).
SIZES = {"viber": (500, 2_500), "sms": (2_000, 6_000)}
# --quick: about half. Viber's N1 stays at 8 requests, so that N2 opens no connection N1 does
# not (at 250 and 1,250, Viber counts 3 to 8 % more per recipient); an SMS request is large
# enough for its connection not to matter (within 2 %).
QUICK_SIZES = {"viber": (400, 1_200), "sms": (1_000, 3_000)}
RUN_TIMEOUT = 120  # seconds for one forked run under callgrind
TOTAL_TIMEOUT = 600.0  # seconds for the whole callgrind process
CLIENTS: dict[str, Sender] = {
    "SDK aiohttp": sdk_aiohttp,
    "SDK aiohttp, json": sdk_aiohttp_json,
    "bare aiohttp": aiohttp_send,
    "floor": transport_send,
    "SDK httpx": sdk_httpx,
    "bare httpx": httpx_send,
}
# What each SDK backend is compared with (SDK / that), in the table's order.
COMPARED = {
    "SDK aiohttp": ("bare aiohttp", "floor"),
    "SDK aiohttp, json": ("bare aiohttp", "floor"),
    "SDK httpx": ("bare httpx",),
}
SHOWN = {
    "floor": "floor (SDK transport alone)",
    "SDK aiohttp, json": "SDK aiohttp without orjson",
}
COLLECTED = re.compile(r"Collected : ([\d,]+)")


class CountFailed(Exception):
    """A counted run failed, or its count could not be read."""


# -- under callgrind: fork one process per counted run -----------------------------------------


def sizes_of(channel: str, quick: bool) -> tuple[int, int]:
    """The recipients (N1, N2) of the two counted runs of each client."""
    return (QUICK_SIZES if quick else SIZES)[channel]


def run_forked(
    fake: ServedFake, workload: Workload, client: str, phones: list[str], recipients: int
) -> tuple[int, int]:
    """Send the first `recipients` of `phones` with `client` in a forked process; return its
    pid and exit code once it has ended: 0 only if the fake accepted every recipient (-14 if
    SIGALRM stopped it after `RUN_TIMEOUT` seconds)."""
    pid = os.fork()
    if pid:
        return pid, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    exit_code = 1
    try:
        signal.alarm(RUN_TIMEOUT)
        anyio.run(CLIENTS[client], fake, workload, phones[:recipients], CONCURRENCY)
        exit_code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(exit_code)  # never back into the parent's loop


def fork_runs(url: str, channels: list[str], quick: bool, clients: list[str]) -> None:
    """Count every client's runs against the fake at `url`: one JSON line per workload and
    client on stdout, with the recipients, pid and exit code of each of its two runs.

    The runs go one at a time: runs side by side would share the CPUs with the server and
    count differently (their event loops would find other answers ready at each turn).
    Everything that exists before the first fork is frozen out of the garbage collector's
    sight (`gc.freeze()`, as pre-fork servers do): the collector's passes over the modules of
    every client imported here would otherwise be charged to whichever client allocates more.
    """
    fake = ServedFake(url, latency_ms=0)
    largest = max(max(sizes_of(channel, quick)) for channel in channels)
    phones = phones_of(attrs.evolve(VIBER, recipients=largest))  # in every count: cancels out
    gc.freeze()
    for channel in channels:
        workload = WORKLOADS[channel]
        for client in clients:
            runs = [
                [size, *run_forked(fake, workload, client, phones, size)]
                for size in sizes_of(channel, quick)
            ]
            print(json.dumps({"channel": channel, "client": client, "runs": runs}), flush=True)


# -- the parent: serve the fake, start the callgrind process, read its counts -----------------


def clients_of(args: argparse.Namespace) -> list[str]:
    """The clients asked for, in the table's order (all of them by default)."""
    return [client for client in CLIENTS if not args.client or client in args.client]


def channels_of(args: argparse.Namespace) -> list[str]:
    """The workloads asked for, by channel."""
    return list(WORKLOADS) if args.workload == "both" else [args.workload]


def callgrind_command(valgrind: str, logs: Path, url: str, args: argparse.Namespace) -> list[str]:
    """This script again, under callgrind, in the role of `fork_runs` against `url`."""
    return [
        valgrind,
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",  # no profile: the totals are in the log
        f"--log-file={logs}/%p.log",  # one log per process, the forked ones included
        sys.executable,
        str(Path(__file__).resolve()),
        f"--workload={args.workload}",
        *(["--quick"] if args.quick else []),
        *(f"--client={client}" for client in clients_of(args)),
        f"--under-callgrind={url}",
    ]


def instructions_of(logs: Path, pid: int) -> int:
    """The instructions callgrind collected in process `pid`, from its log."""
    log = logs / f"{pid}.log"
    found = COLLECTED.search(log.read_text()) if log.exists() else None
    if found is None:
        raise CountFailed(f"callgrind reported no instruction count for process {pid}")
    return int(found.group(1).replace(",", ""))


def per_recipient(report: dict[str, Any], logs: Path) -> float:
    """Instructions per recipient from one client's two counted runs (a line of `fork_runs`)."""
    (small, small_pid, small_exit), (large, large_pid, large_exit) = report["runs"]
    if small_exit or large_exit:
        raise CountFailed(
            f"{report['client']}, {report['channel']}: a counted run failed "
            f"(exit codes {small_exit} and {large_exit}; 1 is an exception, -14 the timeout)"
        )
    counted = instructions_of(logs, large_pid) - instructions_of(logs, small_pid)
    return counted / (int(large) - int(small))


def tail(errors: IO[bytes]) -> str:
    """The end of what the callgrind process and its forks wrote to stderr."""
    errors.seek(0)
    return errors.read().decode(errors="replace")[-3000:]


async def count(valgrind: str, url: str, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """Run every client under callgrind against the fake at `url`; return the instructions
    per recipient by channel and client."""
    env = child_env() | {"PYTHONHASHSEED": "0"}  # the same hashes, so the same work, every run
    with (
        tempfile.TemporaryDirectory(prefix="bsg-callgrind-") as logs,
        tempfile.TemporaryFile() as errors,
    ):
        process = await anyio.open_process(
            callgrind_command(valgrind, Path(logs), url, args),
            env=env,
            stdout=subprocess.PIPE,
            stderr=errors,
            start_new_session=True,  # its own process group: stopped with every fork it made
        )
        try:
            with anyio.fail_after(TOTAL_TIMEOUT):
                return await read_counts(process, Path(logs), channels_of(args), clients_of(args))
        except anyio.IncompleteRead:
            raise CountFailed(f"the callgrind process ended early:\n{tail(errors)}") from None
        except TimeoutError:
            raise CountFailed(f"no result within {TOTAL_TIMEOUT:.0f} s:\n{tail(errors)}") from None
        except CountFailed as failure:
            raise CountFailed(f"{failure}:\n{tail(errors)}") from None
        finally:
            with anyio.CancelScope(shield=True):
                await stop_group(process)


async def read_counts(
    process: Process, logs: Path, channels: list[str], clients: list[str]
) -> dict[str, dict[str, float]]:
    """Read `fork_runs`' lines as they come, print each client's figure, wait for the process
    to end, and return the figures by channel and client."""
    assert process.stdout is not None
    reports = BufferedByteReceiveStream(process.stdout)
    counts: dict[str, dict[str, float]] = {channel: {} for channel in channels}
    for _ in range(len(channels) * len(clients)):
        report = json.loads(await reports.receive_until(b"\n", 65536))
        channel, client = report["channel"], report["client"]
        ir = counts[channel][client] = per_recipient(report, logs)
        name = WORKLOADS[channel].name
        print(
            f"  {name:<8}  {client:<12}  {ir / 1000:6.1f}k instructions per recipient", flush=True
        )
    await process.wait()
    return counts


async def stop_group(process: Process) -> None:
    """Kill the callgrind process and every process it forked (its process group), if any
    is left, and wait for it."""
    with contextlib.suppress(ProcessLookupError):  # all gone already
        os.killpg(process.pid, signal.SIGKILL)
    await process.wait()
    await process.aclose()


def table(counts: dict[str, dict[str, float]]) -> str:
    """The counts as a Markdown table, each SDK backend compared with its references."""
    lines = [
        "| workload | client | instructions / recipient (thousands) | SDK / other |",
        "|---|---|---:|---|",
    ]
    for channel, by_client in counts.items():
        for client, ir in by_client.items():
            ratios = "; ".join(
                f"{ir / by_client[other]:.2f}x {other}"
                for other in COMPARED.get(client, ())
                if other in by_client
            )
            lines.append(
                f"| {WORKLOADS[channel].name} | {SHOWN.get(client, client)} | {ir / 1000:.1f} "
                f"| {ratios} |"
            )
    return "\n".join(lines)


def header(valgrind_version: str, args: argparse.Namespace) -> str:
    """What was measured, and with what."""
    sizes = []
    for channel in channels_of(args):
        small, large = sizes_of(channel, args.quick)
        sizes.append(f"{WORKLOADS[channel].name} {small:,} and {large:,}")
    return (
        f"bsg_async {__version__}, Python {platform.python_version()}, httpx {httpx.__version__}, "
        f"aiohttp {aiohttp.__version__}, {valgrind_version}, {platform.machine()}; "
        f"recipients {', '.join(sizes)}; concurrency {CONCURRENCY}"
    )


async def run(valgrind: str, args: argparse.Namespace) -> None:
    """Serve the fake, count every client's instructions, print the table."""
    with anyio.fail_after(10):
        version = await anyio.run_process([valgrind, "--version"])
    print(header(version.stdout.decode().strip(), args), flush=True)
    async with served_fake(latency_ms=0) as fake:
        counts = await count(valgrind, fake.url, args)
    print()
    print(table(counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    add = parser.add_argument
    add("--workload", choices=("viber", "sms", "both"), default="both", help="default: both")
    add("--quick", action="store_true", help="about half the recipients (about 2 minutes)")
    add(
        "--client",
        action="append",
        choices=list(CLIENTS),
        help="count only this client (repeatable; default: every client)",
    )
    add("--under-callgrind", metavar="URL", help=argparse.SUPPRESS)  # the callgrind process
    args = parser.parse_args()
    if args.under_callgrind:
        fork_runs(args.under_callgrind, channels_of(args), args.quick, clients_of(args))
        return
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        sys.exit(
            "instructions.py: valgrind is not installed (or not on PATH), and callgrind is what "
            "counts the instructions: install it (e.g. `apt-get install valgrind`), or measure "
            "time with bench/throughput.py."
        )
    try:
        anyio.run(run, valgrind, args)
    except CountFailed as failure:
        sys.exit(f"instructions.py: {failure}")
    except KeyboardInterrupt:
        sys.exit("instructions.py: interrupted")


if __name__ == "__main__":
    main()
