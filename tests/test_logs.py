"""`BSG_LOG`: SDK logging switched on from the environment."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bsg_async._logs import setup_logging

from .conftest import API_KEY


@pytest.fixture
def sdk_logger() -> Iterator[logging.Logger]:
    """The `bsg_async` logger, its handlers and level restored after the test."""
    logger = logging.getLogger("bsg_async")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.mark.parametrize(
    ("value", "level"), [("info", logging.INFO), ("DEBUG", logging.DEBUG), (" debug\n", 10)]
)
def test_bsg_log_gives_the_sdk_logger_a_handler_at_its_level(
    sdk_logger: logging.Logger, value: str, level: int
) -> None:
    sdk_logger.handlers.clear()

    handler = setup_logging({"BSG_LOG": value})

    assert handler is not None and sdk_logger.handlers == [handler]
    assert sdk_logger.level == level


@pytest.mark.parametrize("environ", [{}, {"BSG_LOG": ""}, {"BSG_LOG": "verbose"}])
def test_without_a_known_bsg_log_the_sdk_stays_silent(
    sdk_logger: logging.Logger, environ: dict[str, str]
) -> None:
    sdk_logger.handlers.clear()

    assert setup_logging(environ) is None
    assert sdk_logger.handlers == []


def test_a_logger_with_a_handler_of_its_own_is_left_alone(sdk_logger: logging.Logger) -> None:
    own = logging.NullHandler()
    sdk_logger.handlers[:] = [own]

    assert setup_logging({"BSG_LOG": "debug"}) is None
    assert sdk_logger.handlers == [own]


PROGRAM = """
import asyncio, httpx
from bsg_async import AsyncBSG

answers = iter([httpx.Response(503), httpx.Response(200, json={"error": 0, "id": "1",
    "status": "sent", "price": "0.02", "currency": "EUR"})])

async def main():
    transport = httpx.MockTransport(lambda request: next(answers))
    async with AsyncBSG(base_url="https://api.test/rest", transport=transport,
                        max_retries=1) as bsg:
        await bsg.sms.get(1)

asyncio.run(main())
"""


@pytest.mark.parametrize(("value", "debug_lines"), [("info", 0), ("debug", 2)])
def test_bsg_log_shows_retries_on_stderr_without_the_key(value: str, debug_lines: int) -> None:
    env = {**os.environ, "BSG_LOG": value, "BSG_API_KEY": API_KEY}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], env=env, capture_output=True, text=True, timeout=60
    )

    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert [line for line in lines if " - INFO] " in line] == [
        next(line for line in lines if "Retrying GET /rest/sms/1 in " in line)
    ]
    assert "(attempt 2 of 2) after ServerError (HTTP 503)" in done.stderr
    assert len([line for line in lines if " - DEBUG] " in line]) == debug_lines
    assert API_KEY not in done.stderr
