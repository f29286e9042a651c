"""Shared fixtures: a client against mocked HTTP, instant backoff, hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest

import bsg_async._transport
from bsg_async import AsyncBSG, RetryPolicy

from . import profiles  # noqa: F401  (registers and loads the hypothesis profiles)

# A key that looks real, so a leak into logs, reprs or errors is caught by a plain search.
API_KEY = "live_7f3c9a1e5b2d4c8f9e0a1b2c3d4e5f60"
BASE = "https://api.test/rest"
ONE_API = "https://one.test"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: a long test (memory over 200k recipients...); runs in CI, or locally "
        "with RUN_SLOW=1",
    )
    config.addinivalue_line(
        "markers", "real_backoff: retries wait for real instead of recording their waits"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.environ.get("CI") or os.environ.get("RUN_SLOW"):
        return
    skip = pytest.mark.skip(reason="slow: set RUN_SLOW=1 (CI always runs it)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def backoff_delays(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries wait no real time; the list records every wait the pipeline asked for.

    A test marked `real_backoff` waits for real (and the list stays empty)."""
    delays: list[float] = []
    if request.node.get_closest_marker("real_backoff"):
        return delays

    async def record(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(bsg_async._transport, "backoff_sleep", record)
    return delays


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's own BSG configuration."""
    for name in ("BSG_API_KEY", "BSG_BASE_URL", "BSG_ONE_API_URL", "BSG_LOG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def bsg() -> AsyncIterator[AsyncBSG]:
    """An open client whose HTTP is intercepted by the test's `respx_mock` routes."""
    async with AsyncBSG(
        api_key=API_KEY,
        base_url=BASE,
        one_api_url=ONE_API,
        retry=RetryPolicy(max_attempts=3, base_delay=0.1, max_delay=1.0),
    ) as client:
        yield client
