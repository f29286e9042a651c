"""Fixtures and helpers shared by the FakeBSG tests (imported by `test_fake*.py`)."""

from __future__ import annotations

import calendar
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bsg_async import AsyncBSG, RetryPolicy
from bsg_async.testing import Account, FakeBSG, Lifecycle

from .conftest import API_KEY, BASE, ONE_API

# The documentation's example time, 2017-01-17 09:11:41, as the fake's frozen clock.
START = float(calendar.timegm((2017, 1, 17, 9, 11, 41)))
# The test key's account, to derive others from with `attrs.evolve`.
ACCOUNT = Account(api_keys=[API_KEY])
# Statuses move deterministically: nothing fails, everyone is on Viber, all Viber gets read.
CALM = Lifecycle(undeliverable_rate=0, expired_rate=0, non_viber_rate=0, read_rate=1)


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


RETRIES = RetryPolicy(max_attempts=3, base_delay=0.1, max_delay=1.0)


def calm_fake(**options: Any) -> FakeBSG:
    """A fake with a fixed clock, a fixed seed, the test key, calm statuses and `options`."""
    return FakeBSG(**{"seed": 1, "account": ACCOUNT, "clock": Clock(), "lifecycle": CALM} | options)


def sdk_on(fake: FakeBSG, *, retry: RetryPolicy = RETRIES) -> AsyncBSG:
    """The real SDK talking to `fake` through its transport (not opened yet)."""
    return AsyncBSG(
        api_key=API_KEY, base_url=BASE, one_api_url=ONE_API, transport=fake.transport, retry=retry
    )


@pytest.fixture
def fake() -> FakeBSG:
    """A fake with a fixed clock, a fixed seed, the test key and calm statuses."""
    return calm_fake()


@pytest.fixture
async def client(fake: FakeBSG) -> AsyncIterator[AsyncBSG]:
    """The real SDK talking to `fake` through its transport."""
    async with sdk_on(fake) as bsg:
        yield bsg


@pytest.fixture
async def raw(fake: FakeBSG) -> AsyncIterator[httpx.AsyncClient]:
    """Plain httpx on `fake`, for requests the SDK's own validation would never send."""
    async with httpx.AsyncClient(
        transport=fake.transport, base_url=BASE, headers={"X-API-KEY": API_KEY}
    ) as http:
        yield http


def body(**fields: Any) -> bytes:
    """A JSON request body."""
    return json.dumps(fields).encode()


def sms_single(msisdn: str = "380501234567", reference: str = "ref1", **extra: Any) -> bytes:
    """The body of a single SMS create."""
    fields = {
        "destination": "phone",
        "msisdn": msisdn,
        "reference": reference,
        "originator": "Shop",
        "body": "Hi",
    }
    return json.dumps({**fields, **extra}).encode()


def viber_request(to: list[dict[str, Any]], **message: Any) -> dict[str, Any]:
    """The body (as a dict) of a Viber create with one message."""
    return {"messages": [{"to": to, "text": "Hello", "alpha_name": "BSG", **message}]}


def phones(count: int, *, start: int = 0, prefix: str = "ref") -> list[dict[str, str]]:
    """`count` distinct recipients with distinct references."""
    return [
        {"msisdn": f"38097{start + i:07d}", "reference": f"{prefix}{start + i}"}
        for i in range(count)
    ]
