"""A FastAPI app that sends RCS messages and receives their status reports (webhooks) from BSG.

Run it where BSG can reach it (`PUBLIC_URL`):

    pip install bsg-async fastapi uvicorn
    export BSG_API_KEY=live_... PUBLIC_URL=https://shop.example
    export BSG_WEBHOOK_SECRET=$(python -c "import secrets; print(secrets.token_urlsafe(18))")
    uvicorn examples.fastapi_app:app

Or without an account, against the built-in fake, which POSTs the status reports back:

    python -m bsg_async.testing --port 8080 &
    export BSG_API_KEY=test_key BSG_BASE_URL=http://127.0.0.1:8080/rest
    export BSG_ONE_API_URL=http://127.0.0.1:8080 PUBLIC_URL=http://127.0.0.1:8000
    BSG_WEBHOOK_SECRET=s3cret uvicorn examples.fastapi_app:app --port 8000
    curl -X POST localhost:8000/orders/A1001/notify -H 'content-type: application/json' \
         -d '{"phone": "380501234567", "text": "Your order A1001 has shipped"}'
    curl localhost:8000/orders/A1001/status

- One `AsyncBSG` for the app's whole life, opened and closed by the lifespan and shared by
  every request (`app.state.bsg`).
- `POST /orders/{order_id}/notify` sends an RCS message with an SMS fallback. Its
  `reference` (sent as `reference_id`) is the order id, so a retried request cannot notify
  twice: the service refuses the duplicate and the SDK answers with the message it already
  holds.
- BSG POSTs each status report to `/bsg/rcs/<secret>` (the message's `callback_url`);
  `RcsWebhookApp` checks the secret, drops repeated deliveries and calls `on_report`. uvicorn's
  access log would write that path, secret and all: `RedactPathSecret` masks it while the app
  runs (or start uvicorn with `--no-access-log`).
- `GET /orders/{order_id}/status` answers the latest status received.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel

from bsg_async import AsyncBSG, BSGError, InvalidParameterError, SmsFallback
from bsg_async.client import DEFAULT_BASE_URL, DEFAULT_ONE_API_URL
from bsg_async.webhooks import (
    MemoryIdempotencyStore,
    RcsReport,
    RcsWebhookApp,
    RedactPathSecret,
)

SENDER = os.environ.get("BSG_RCS_SENDER", "MyShop")  # your RCS agent
PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
WEBHOOK_SECRET = os.environ["BSG_WEBHOOK_SECRET"]

# The latest report per order (its reference). Use your database in a real app.
latest: dict[str, RcsReport] = {}


def bsg_client() -> AsyncBSG:
    """The client: key from BSG_API_KEY; BSG_BASE_URL / BSG_ONE_API_URL point it elsewhere
    (a proxy, a regional host, a local fake)."""
    return AsyncBSG(
        base_url=os.environ.get("BSG_BASE_URL", DEFAULT_BASE_URL),
        one_api_url=os.environ.get("BSG_ONE_API_URL", DEFAULT_ONE_API_URL),
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    access_log = logging.getLogger("uvicorn.access")
    redact = RedactPathSecret(WEBHOOK_SECRET)  # "POST /bsg/rcs/[secure] HTTP/1.1" 200
    access_log.addFilter(redact)
    try:
        async with bsg_client() as bsg:  # closed on shutdown, whatever happens
            app.state.bsg = bsg
            yield
    finally:
        access_log.removeFilter(redact)


app = FastAPI(title="Order notifications", lifespan=lifespan)


class Notification(BaseModel):
    phone: str
    text: str


@app.post("/orders/{order_id}/notify")
async def notify(order_id: str, notification: Notification) -> dict[str, Any]:
    bsg: AsyncBSG = app.state.bsg
    try:
        info = await bsg.rcs.send(
            to=notification.phone,
            sender=SENDER,
            text=notification.text,
            reference=order_id,  # one notification per order, however often this is called
            sms_fallback=SmsFallback(text=notification.text, sender=SENDER[:11]),
            callback_url=f"{PUBLIC_URL}/bsg/rcs/{WEBHOOK_SECRET}",
        )
    except InvalidParameterError as error:  # bad input, refused before anything was sent
        raise HTTPException(422, detail={"field": error.field, "reason": error.reason}) from None
    except BSGError as error:  # the service refused, or could not be reached
        raise HTTPException(502, detail=str(error)) from None
    return {"message_id": info.id, "reference": info.reference, "status": str(info.status)}


async def on_report(report: RcsReport) -> None:
    """Called once per (message, status): BSG may deliver a report more than once."""
    latest[report.reference or str(report.id)] = report


app.mount(
    "/bsg/rcs",
    RcsWebhookApp(
        on_report, secret=WEBHOOK_SECRET, idempotency=MemoryIdempotencyStore(max_keys=100_000)
    ),
)


@app.get("/orders/{order_id}/status")
async def order_status(order_id: str) -> dict[str, Any]:
    report = latest.get(order_id)
    if report is None:
        raise HTTPException(404, detail="no status report received yet")
    return {
        "message_id": report.id,
        "status": str(report.status),
        "delivered_at": None if report.time_dr is None else report.time_dr.isoformat(),
        "price": None if report.price is None else str(report.price),
        "currency": report.currency,
    }
