"""Peak memory of `bsg.viber.stream_many` over a million recipients (run in its own process).

```
python bench/memory.py --url http://127.0.0.1:8080        # against a served FakeBSG
python bench/memory.py                                     # against an in-process stub
```

The recipients come from a generator, so the input is never a list; the outcomes are counted
and dropped as they arrive. The process's peak resident set size (`ru_maxrss`) is what the
operating system had to give it, interpreter and imports included: the baseline before the
run is printed beside it. The last line of output is one JSON object with the numbers.

Without `--url` the requests go to a stateless `httpx.MockTransport` in this process that
accepts every recipient (it keeps nothing, so what it costs is time, not memory).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's bsg_async

from bsg_async import AsyncBSG

API_KEY = "test_bench"
STUB_URL = "http://stub.invalid/rest"


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MB.

    Linux's `VmHWM` where there is one: `ru_maxrss` would include the parent's peak, which a
    child inherits at `fork` and keeps through `exec`.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024 / 1e6  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6  # KiB on Linux


def phones(count: int) -> Iterator[str]:
    """`count` distinct phone numbers, made one at a time."""
    for number in range(count):
        yield f"380{number:09d}"


def stub_answer(request: httpx.Request) -> httpx.Response:
    """Accept every recipient of a Viber create, as the service answers it."""
    body = json.loads(request.content)
    result = [
        f'{{"error":0,"reference":"{to["reference"]}","id":"{n + 1}","price":0.23,'
        f'"currency":"EUR"}}'
        for message in body["messages"]
        for n, to in enumerate(message["to"])
    ]
    return httpx.Response(200, content=f'{{"result":[{",".join(result)}]}}'.encode())


async def stream(count: int, url: str | None, concurrency: int) -> int:
    """Run `stream_many` over `count` recipients; return how many were sent."""
    if url:
        client = AsyncBSG(api_key=API_KEY, base_url=url + "/rest")
    else:
        client = AsyncBSG(
            api_key=API_KEY, base_url=STUB_URL, transport=httpx.MockTransport(stub_answer)
        )
    sent = 0
    async with client as bsg:
        many = bsg.viber.stream_many(
            to=phones(count), text="Sale", sender="BSG", concurrency=concurrency
        )
        async with many as outcomes:
            async for outcome in outcomes:
                sent += outcome.ok
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--url", help="a served FakeBSG (default: an in-process stub)")
    args = parser.parse_args()
    baseline = peak_rss_mb()
    started = time.perf_counter()
    sent = anyio.run(stream, args.recipients, args.url, args.concurrency)
    seconds = time.perf_counter() - started
    report = {
        "recipients": args.recipients,
        "sent": sent,
        "seconds": round(seconds, 1),
        "baseline_rss_mb": round(baseline, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "against": "served FakeBSG" if args.url else "in-process stub",
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
