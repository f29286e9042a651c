"""Fixtures and answers shared by the One-API send and reference tests (imported by
`test_whatsapp.py`, `test_universal_send.py`, `test_reference.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import respx

from bsg_async import AsyncBSG
from bsg_async.testing import FakeBSG

from .conftest import API_KEY, ONE_API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvbmUifQ.c2ln"  # a token without `exp`

# The description's answer example of `POST /api/messages/send` and
# `POST /api/messages/whatsapp/send` (`MessageResponse`).
MESSAGE_RESPONSE: dict[str, Any] = {
    "data": {
        "id": 3272625619,
        "reference_id": None,
        "source": "rest",
        "type": "rcs",
        "phone": 380661231231,
        "status": "accepted",
        "validity": 72,
        "amount": {"value": "1.2079098", "currency": "USD"},
        "sender": "rcs_sender",
        "created_at": "2025-04-14 13:41:24",
        "sent_at": None,
        "delivered_at": None,
    }
}


def search_page(items: list[dict[str, Any]]) -> dict[str, Any]:
    """One page of the message search holding `items`."""
    return {"data": items, "meta": {"page": {"total": len(items), "limit": 15, "offset": 0}}}


@pytest.fixture
def login(respx_mock: respx.MockRouter) -> respx.Route:
    """The One-API login route answering a bearer token."""
    return respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})


@pytest.fixture
async def bsg() -> AsyncIterator[AsyncBSG]:
    """The SDK on the One-API address respx mocks."""
    async with AsyncBSG(api_key=API_KEY, one_api_url=ONE_API) as client:
        yield client


def sdk_on_asgi(fake: FakeBSG) -> AsyncBSG:
    """The real SDK talking to `fake.app` over httpx's ASGI transport (not opened yet)."""
    return AsyncBSG(
        api_key=API_KEY,
        base_url="http://fake/rest",
        one_api_url="http://fake",
        transport=httpx.ASGITransport(fake.app),
    )
