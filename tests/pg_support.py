"""A throwaway PostgreSQL cluster for the outbox tests: started once per test session,
stopped at its end, never skipped.

`initdb` and `pg_ctl` come from PATH or Debian's `/usr/lib/postgresql/<version>/bin` (CI's
`.ci/run` installs the `postgresql` package when they are missing). PostgreSQL refuses to run
as root: as root the cluster's folder is given to an unprivileged user (`nobody`) and the
tools run as that user (`runuser`). The server listens on a free port of 127.0.0.1 only, with
`trust` authentication, and its Unix socket in its own folder.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

UNPRIVILEGED = "nobody"


def postgres_tool(name: str) -> str:
    """The path of a PostgreSQL server tool (`initdb`, `pg_ctl`)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not candidates:
        raise RuntimeError(
            f"{name} not found: install PostgreSQL (Debian: apt-get install postgresql)"
        )
    return candidates[-1]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """A PostgreSQL cluster in a temporary folder; `url` is its `postgres` database."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="bsg-outbox-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_root = os.geteuid() == 0

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", UNPRIVILEGED, "--"] if self._as_root else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, cwd=self.root)

    def start(self) -> None:
        if self._as_root:
            shutil.chown(self.root, user=UNPRIVILEGED)
        self._run(
            postgres_tool("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
            "--no-sync", "-E", "UTF8",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200"
        )
        self._run(
            postgres_tool("pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.root / "server.log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self) -> None:
        try:
            self._run(postgres_tool("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """One PostgreSQL server for the whole session."""
    cluster = Cluster()
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    try:
        yield cluster
    finally:
        cluster.stop()


def create_database(cluster: Cluster) -> str:
    """A new empty database of `cluster` (made on a thread of its own, so this works from
    inside or outside a running event loop); its URL."""
    name = "t" + uuid.uuid4().hex[:16]

    async def create() -> None:
        admin = await asyncpg.connect(cluster.url)
        try:
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()

    worker = threading.Thread(target=asyncio.run, args=(create(),))
    worker.start()
    worker.join(60)
    return cluster.url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> str:
    """A fresh, empty database of the session's cluster, for one test."""
    return create_database(postgres_cluster)
