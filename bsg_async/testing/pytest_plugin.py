"""pytest fixtures for testing code that uses bsg_async, without a network.

Loaded automatically when bsg-async is installed (the `pytest11` entry point named `bsg_async`;
`-p no:bsg_async` turns it off). Where the package is not installed as a distribution (plugin
autoloading disabled, a bare source tree), load it with `-p bsg_async.testing.pytest_plugin` or
`pytest_plugins = ["bsg_async.testing.pytest_plugin"]` in the root `conftest.py`; not both ways
at once, or pytest refuses the second registration.

- `fake_bsg`: a fresh `FakeBSG` (seed 0) per test. Configure it with the marker
  `@pytest.mark.fake_bsg(seed=3, lifecycle=Lifecycle(non_viber_numbers=["380..."]), ...)`
  (any `FakeBSG` option: `account=Account(...)`, `rules=Rules(...)`, ...) or by overriding
  the fixture. Markers on a class and on its test merge keyword by keyword, the test's
  winning (a test's `account=` replaces its class's whole `Account`).
- `bsg_client`: an open `AsyncBSG` wired to `fake_bsg` through its transport, with retries
  that do not wait. Needs an async test runner, and works under each: pytest-asyncio in
  strict mode (`@pytest.mark.asyncio` tests) or auto mode (plain `async def` tests), and
  anyio's pytest plugin (`@pytest.mark.anyio` tests), with or without pytest-asyncio
  installed beside it. Using both plugins, prefer pytest-asyncio's strict mode: in auto
  mode it runs every async fixture on its own event loop, even for an anyio test (the fake's
  in-process transport does not mind; a fixture of yours holding sockets would).

```python
async def test_order_confirmation(bsg_client, fake_bsg):
    await confirm_order(bsg_client, order_id=42)
    [message] = fake_bsg.sms.messages
    assert message.to == "380501234567" and "42" in message.text
```
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar, cast

import pytest

from .. import AsyncBSG, RetryPolicy
from ._fake import FakeBSG

__all__ = ["bsg_client", "fake_bsg"]

FAKE_API_KEY = "test_fake_bsg_key"

_F = TypeVar("_F", bound=Callable[..., Any])


def pytest_configure(config: pytest.Config) -> None:
    """Register the `fake_bsg` marker."""
    config.addinivalue_line(
        "markers", "fake_bsg(**options): options for the fake_bsg fixture's FakeBSG"
    )


def _async_fixture(function: _F) -> _F:
    """An async fixture for pytest-asyncio (strict or auto mode), else a plain one (anyio)."""
    try:
        import pytest_asyncio
    except ImportError:  # pragma: no cover - pytest-asyncio is a test dependency
        return cast(_F, pytest.fixture(function))
    return cast(_F, pytest_asyncio.fixture(function))


@pytest.fixture
def fake_bsg(request: pytest.FixtureRequest) -> FakeBSG:
    """A fresh `FakeBSG` for one test; `@pytest.mark.fake_bsg(**options)` configures it."""
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("fake_bsg"))):
        options.update(marker.kwargs)
    return FakeBSG(**options)


@_async_fixture
async def bsg_client(fake_bsg: FakeBSG) -> AsyncIterator[AsyncBSG]:
    """An open `AsyncBSG` talking to `fake_bsg` (key `test_fake_bsg_key`); retries don't wait
    (a 429's `Retry-After` still does: set `fake_bsg.faults.retry_after = 0` to avoid it)."""
    retry = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0)
    async with AsyncBSG(FAKE_API_KEY, transport=fake_bsg.transport, retry=retry) as client:
        yield client
