"""The README's first example, end to end against a mocked transport."""

from __future__ import annotations

from decimal import Decimal

import httpx
import respx

from bsg_async import AsyncBSG, SmsStatus

from .conftest import BASE


async def test_send_and_read_status(bsg: AsyncBSG, respx_mock: respx.MockRouter) -> None:
    create = respx_mock.post(f"{BASE}/sms/create").respond(
        json={
            "error": "0",
            "id": "22125",
            "reference": "order42",
            "price": "0.02",
            "currency": "EUR",
        }
    )
    respx_mock.get(f"{BASE}/sms/211").respond(
        json={"error": 0, "id": "211", "status": "Delivered", "price": 0.23, "currency": "EUR"}
    )

    receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="order42")
    status = await bsg.sms.get(211)

    assert receipt.id == 22125 and receipt.price == Decimal("0.02") and receipt.currency == "EUR"
    assert status.status is SmsStatus.DELIVERED and status.status == "delivered"
    assert status.price == Decimal("0.23")
    sent = create.calls.last.request
    assert sent.headers["X-API-KEY"].startswith("live_")
    assert isinstance(sent, httpx.Request)
