"""Helpers for the command-line, demo and example tests (imported by `test_cli*.py`,
`test_demo.py`, `test_examples.py`).

- `ServedFake`: a `FakeBSG` served by uvicorn on 127.0.0.1 in a background thread (its own
  event loop), so a command run in the test's thread (click's runner, which starts its own
  loop) talks to it over real HTTP while the test inspects the fake object directly.
- `FakeProcess`: `python -m bsg_async.testing` in its own process, so its state outlives a
  killed client; inspected through its `/_fake/` control endpoints.
- `invoke`: run `bsg` in process through its real entry point (`bsg_async.cli.cli`).
"""

from __future__ import annotations

import json
import os
import select
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import anyio
import anyio.from_thread
import anyio.lowlevel
import httpx
import pytest
from click.testing import CliRunner, Result

from bsg_async.cli import cli
from bsg_async.testing import Account, FakeBSG

from .conftest import API_KEY

ROOT = Path(__file__).resolve().parent.parent
RESULT_COLUMNS = (
    "line",
    "msisdn",
    "reference",
    "channel",
    "id",
    "status",
    "price",
    "currency",
    "error",
    "fallback_status",
)
"""The columns of a campaign's results CSV, in the order the README documents them."""
STARTUP_TIMEOUT = 20.0


class ServedFake:
    """`with ServedFake(FakeBSG(...)) as served:` serves the fake on 127.0.0.1 meanwhile.

    `served.fake` is the `FakeBSG`; `served.env` the environment a command needs to reach it
    (`BSG_API_KEY`, `BSG_BASE_URL`, `BSG_ONE_API_URL`). Touch the fake only while no command
    runs: it lives in the server's thread.
    """

    def __init__(self, fake: FakeBSG) -> None:
        self.fake = fake
        self.url = ""
        self._ready = threading.Event()
        self._stop_event: anyio.Event | None = None
        self._token: anyio.lowlevel.EventLoopToken | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="served-fake", daemon=True)

    def __enter__(self) -> ServedFake:
        self._thread.start()
        if not self._ready.wait(STARTUP_TIMEOUT) or self._failure is not None:
            raise RuntimeError(f"the fake did not start: {self._failure!r}")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._stop_event is not None
        anyio.from_thread.run_sync(self._stop_event.set, token=self._token)
        self._thread.join(STARTUP_TIMEOUT)
        assert not self._thread.is_alive(), "the fake's server did not stop"

    @property
    def env(self) -> dict[str, str]:
        """What a command needs to reach this fake with the test key."""
        return {
            "BSG_API_KEY": API_KEY,
            "BSG_BASE_URL": self.url + "/rest",
            "BSG_ONE_API_URL": self.url,
        }

    def _run(self) -> None:
        try:
            anyio.run(self._serve)
        except BaseException as error:  # reported by __enter__
            self._failure = error
            self._ready.set()

    async def _serve(self) -> None:
        stop = anyio.Event()
        self._token = anyio.lowlevel.current_token()
        self._stop_event = stop
        async with self.fake.serve() as server:
            self.url = server.url
            self._ready.set()
            await stop.wait()


class FakeProcess:
    """`python -m bsg_async.testing` in its own process; `url` once it listens."""

    def __init__(self, *options: str) -> None:
        self.options = options
        self.url = ""
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> FakeProcess:
        command = [sys.executable, "-m", "bsg_async.testing", "--port", "0", *self.options]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, text=True, env=python_env(), cwd=ROOT
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], STARTUP_TIMEOUT)
        line = self.process.stdout.readline() if ready else ""
        if "listening on" not in line:
            self.__exit__(None, None, None)
            raise RuntimeError(f"the fake process did not start: {line!r}")
        self.url = line.rsplit(" ", 1)[-1].strip()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
                self.process.kill()
                self.process.wait(10)
            if self.process.stdout is not None:
                self.process.stdout.close()

    @property
    def env(self) -> dict[str, str]:
        """What a command needs to reach this fake."""
        return {
            "BSG_API_KEY": API_KEY,
            "BSG_BASE_URL": self.url + "/rest",
            "BSG_ONE_API_URL": self.url,
        }

    def control(self, method: str, name: str, **body: Any) -> Any:
        """Call a `/_fake/` control endpoint and return its JSON answer."""
        answer = httpx.request(
            method, f"{self.url}/_fake/{name}", json=body if body else None, timeout=10
        )
        answer.raise_for_status()
        return answer.json()


def python_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child Python that imports this checkout's bsg_async."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("BSG_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def invoke(args: str | Sequence[str], env: Mapping[str, str] | None = None) -> Result:
    """Run `bsg ARGS` in process (`args` a list, or a string split as a shell would); the
    environment holds only `env`'s BSG_ variables."""
    if isinstance(args, str):
        args = shlex.split(args)
    runner = CliRunner()
    names = ("BSG_API_KEY", "BSG_BASE_URL", "BSG_ONE_API_URL")
    cleared: dict[str, str | None] = dict.fromkeys(names)
    cleared.update(env or {})
    return runner.invoke(cli, list(args), env=cleared, catch_exceptions=False)


def parse_json(result: Result) -> Any:
    """The one JSON document a `--json` command printed on stdout."""
    return json.loads(result.stdout)


def write_csv(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    """Write a CSV file's text (lines as given) and return its path."""
    path.write_bytes(text.encode(encoding))
    return path


def numbers_csv(path: Path, count: int, *, references: bool = True, start: int = 0) -> Path:
    """A recipients CSV of `count` valid numbers, with references `r<i>` unless told not to."""
    lines = ["msisdn,reference" if references else "msisdn"]
    for index in range(start, start + count):
        number = f"38097{index:07d}"
        lines.append(f"{number},r{index}" if references else number)
    return write_csv(path, "\n".join(lines) + "\n")


def wait_until(predicate: Any, timeout: float, interval: float = 0.02) -> bool:
    """Poll `predicate()` until true or `timeout` seconds passed (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


@pytest.fixture
def served() -> Iterator[ServedFake]:
    """A fresh fake (seed 1, the test key only, no faults) served for one test."""
    with ServedFake(FakeBSG(seed=1, account=Account(api_keys=[API_KEY]))) as server:
        yield server
