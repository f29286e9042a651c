"""Helpers of the benchmark: a `FakeBSG` served by uvicorn in its own process, the two
workloads (Viber, SMS bulk), and a probe of how fast that server can answer at all.

```python
async with served_fake(latency_ms=20) as fake:
    ...  # AsyncBSG(api_key=API_KEY, base_url=fake.base_url)
    await fake.reset()  # forget every message: the next run starts from a fresh state
```

Every wait is bounded: the server must say where it listens within `STARTUP_TIMEOUT` seconds,
and is killed if it has not stopped `SHUTDOWN_TIMEOUT` seconds after being asked to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import attrs
import httpx
from anyio.abc import ByteReceiveStream, Process
from anyio.streams.buffered import BufferedByteReceiveStream

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "test_bench"
STARTUP_TIMEOUT = 20.0
SHUTDOWN_TIMEOUT = 10.0
CHUNK = 50  # Viber phones per request: the API's limit, and the SDK's default chunk size
SMS_CHUNK = 1_000  # SMS bulk phones per request: the SDK's default chunk size
TEXT = "Your order has shipped"
SENDER = "BSG"


def child_env() -> dict[str, str]:
    """The environment of a child process: this checkout's `bsg_async` first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@attrs.frozen
class ServedFake:
    """A running `python -m bsg_async.testing` process and where it listens (`process` is
    `None` in a process that did not start it: it only knows the URL)."""

    url: str
    latency_ms: float
    process: Process | None = attrs.field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        """The legacy REST API's base URL, for `AsyncBSG(base_url=...)`."""
        return self.url + "/rest"

    async def reset(self) -> None:
        """Forget every accepted message, so the next run starts afresh (`POST /_fake/reset`
        keeps the fault settings, so the latency stays)."""
        async with httpx.AsyncClient(timeout=10) as http:
            response = await http.post(f"{self.url}/_fake/reset")
            response.raise_for_status()


@asynccontextmanager
async def served_fake(*, latency_ms: float) -> AsyncIterator[ServedFake]:
    """Serve a fresh `FakeBSG` (no faults, `latency_ms` added to every answer) on a free port
    of 127.0.0.1 while inside the block; stop it (or kill it) on the way out."""
    command = [
        sys.executable,
        "-m",
        "bsg_async.testing",
        "--port=0",
        f"--latency-ms={latency_ms}",
        "--seed=1",
        "--record-limit=0",  # keep no request bodies: the server's memory stays flat
        "--log-level=error",
    ]
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: nobody needs to drain it
        process = await anyio.open_process(
            command, env=child_env(), stdout=subprocess.PIPE, stderr=errors
        )
        try:
            assert process.stdout is not None
            with anyio.fail_after(STARTUP_TIMEOUT):
                line = await _read_line(process.stdout)
            prefix = "FakeBSG listening on "
            if not line.startswith(prefix):
                errors.seek(0)
                tail = errors.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"the fake did not start: {line!r}\n{tail}")
            fake = ServedFake(line[len(prefix) :].strip(), latency_ms, process)
            with anyio.fail_after(STARTUP_TIMEOUT):
                await _until_answering(fake.url)
            yield fake
        finally:
            with anyio.CancelScope(shield=True):
                await _stop(process)


async def _until_answering(url: str) -> None:
    """Wait until the server accepts connections: the line is printed once its socket is
    bound, which can be a moment before uvicorn listens on it."""
    async with httpx.AsyncClient(timeout=2) as http:
        while True:
            try:
                (await http.get(url + "/_fake/state")).raise_for_status()
                return
            except httpx.TransportError:
                await anyio.sleep(0.02)


async def _read_line(stream: ByteReceiveStream) -> str:
    data = b""
    while b"\n" not in data:
        try:
            data += await stream.receive()
        except anyio.EndOfStream:
            break
    return data.decode(errors="replace").partition("\n")[0]


async def _stop(process: Process) -> None:
    if process.returncode is None:
        process.terminate()
        with anyio.move_on_after(SHUTDOWN_TIMEOUT):
            await process.wait()
    if process.returncode is None:
        process.kill()
        await process.wait()
    await process.aclose()


@attrs.frozen
class Workload:
    """What one run sends: `recipients` phones in requests of `chunk` to one create endpoint."""

    name: str  # as printed: "Viber" or "SMS bulk"
    channel: str  # "viber" or "sms": which SDK service sends it
    path: str  # the create endpoint under the REST base URL
    chunk: int  # phones per request
    recipients: int  # phones per run

    @property
    def requests(self) -> int:
        """Requests per run."""
        return -(-self.recipients // self.chunk)

    def body(self, phones: list[str], references: list[str]) -> dict[str, object]:
        """The create body of one request, as the bare clients and the probe build it."""
        to = [
            {"msisdn": phone, "reference": reference}
            for phone, reference in zip(phones, references, strict=True)
        ]
        if self.channel == "viber":
            message = {"to": to, "text": TEXT, "alpha_name": SENDER, "is_promotional": False}
            return {"messages": [message]}
        return {"destination": "phones", "phones": to, "originator": SENDER, "body": TEXT}


VIBER = Workload("Viber", "viber", "/viber/create", chunk=CHUNK, recipients=10_000)
SMS = Workload("SMS bulk", "sms", "/sms/create", chunk=SMS_CHUNK, recipients=20_000)


async def do_nothing_wall(fake: ServedFake, workload: Workload, *, connections: int) -> float:
    """Seconds the served fake takes to answer one run of `workload` to a client that does
    almost nothing.

    The bodies (unique references) are encoded before the clock starts; `connections`
    keep-alive connections then write them and read each answer's bytes, without decoding.
    This is the floor of any client against this server on this machine.
    """
    host, _, port = fake.url.removeprefix("http://").partition(":")
    path = fake.base_url.removeprefix(fake.url) + workload.path
    raw: list[bytes] = []
    for number in range(workload.requests):
        phones = [f"38097{number:03d}{i:04d}" for i in range(workload.chunk)]
        references = [os.urandom(16).hex() for _ in phones]
        body = json.dumps(workload.body(phones, references)).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nX-API-KEY: {API_KEY}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        raw.append(head.encode() + body)
    pending = iter(raw)

    async def connection() -> None:
        async with await anyio.connect_tcp(host, int(port)) as stream:
            buffered = BufferedByteReceiveStream(stream)
            for request in pending:
                await stream.send(request)
                head = await buffered.receive_until(b"\r\n\r\n", 65536)
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await buffered.receive_exactly(length)

    await fake.reset()
    started = time.perf_counter()
    async with anyio.create_task_group() as group:
        for _ in range(connections):
            group.start_soon(connection)
    elapsed = time.perf_counter() - started
    await fake.reset()
    return elapsed
