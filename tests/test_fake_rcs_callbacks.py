"""FakeBSG's RCS callbacks: status reports as statuses move and button clicks, delivered to an
in-process handler and POSTed to a URL, end to end into `bsg_async.webhooks.RcsWebhookApp`."""

from __future__ import annotations

import calendar
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from bsg_async import AsyncBSG, InvalidParameterError, Recipient
from bsg_async.models.one_api import LinkSuggestion, RcsCard
from bsg_async.testing import FakeBSG, Lifecycle, Webhook
from bsg_async.testing._server import listening_socket
from bsg_async.webhooks import (
    MemoryIdempotencyStore,
    RcsClick,
    RcsReport,
    RcsStatus,
    RcsWebhookApp,
    parse_rcs_report,
)

from .conftest import API_KEY, ONE_API

START = float(calendar.timegm((2024, 8, 22, 11, 47, 42)))
PHONE = "380997087351"
SECRET = "s3cr3t-path-token"
# bsg-api.md 7.1, the documented status report
DOCUMENTED_REPORT: dict[str, Any] = {
    "error": 0,
    "errorDescription": "No errors",
    "id": "3266500452",
    "msisdn": "380997087351",
    "reference": "hello",
    "time_in": "2024-08-22 11:47:42",
    "time_sent": "2024-08-22 11:47:42",
    "time_dr": "2024-08-22 11:47:53",
    "status": "delivered",
    "price": "1.1000000",
    "currency": "EUR",
}
# Sent at once, delivered 11 s later, as in the documented report; nothing fails, nobody reads.
DOCUMENTED = Lifecycle(
    sent_after=0,
    final_after=11,
    read_after=30,
    undeliverable_rate=0,
    expired_rate=0,
    failed_rate=0,
    non_rcs_rate=0,
    read_rate=0,
)
# sent at +1 s, delivered at +5 s, read at +30 s
READ_ALL = Lifecycle(
    undeliverable_rate=0, expired_rate=0, failed_rate=0, non_rcs_rate=0, read_rate=1
)


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Recorder:
    """An async handler that keeps what it was given; fails its first `failures` calls."""

    def __init__(self, failures: int = 0) -> None:
        self.calls: list[Any] = []
        self.failures = failures

    async def __call__(self, event: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise RuntimeError("handler down")
        self.calls.append(event)


def make_fake(lifecycle: Lifecycle = READ_ALL, **options: Any) -> FakeBSG:
    return FakeBSG(seed=1, clock=Clock(), lifecycle=lifecycle, **options)


@asynccontextmanager
async def sdk(fake: FakeBSG) -> AsyncIterator[AsyncBSG]:
    async with AsyncBSG(api_key=API_KEY, one_api_url=ONE_API, transport=fake.transport) as bsg:
        yield bsg


def card_with_buttons() -> RcsCard:
    return RcsCard(
        text="Confirm your order",
        suggestions=[
            LinkSuggestion("Yes", "https://shop.example/yes", postback_data="order_yes"),
            LinkSuggestion("No", "https://shop.example/no", postback_data="order_no"),
        ],
    )


# -- reports to an in-process handler ---------------------------------------------------------


async def test_a_delivered_report_is_the_documented_webhook_payload() -> None:
    handler = Recorder()
    fake = make_fake(DOCUMENTED, webhook=Webhook(handler=handler))
    async with sdk(fake) as bsg:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hello", reference="hello")
    fake.advance(11)

    [delivery] = await fake.deliver_callbacks()

    assert delivery.json() == DOCUMENTED_REPORT
    assert (delivery.kind, delivery.status, delivery.delivered) == ("status", "delivered", True)
    assert handler.calls == [parse_rcs_report(json.dumps(DOCUMENTED_REPORT))]


async def test_the_handler_gets_each_status_change_once_in_order() -> None:
    handler = Recorder()
    fake = make_fake(webhook=Webhook(handler=handler))
    async with sdk(fake) as bsg:
        info = await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi")
    statuses = []
    for step in (2, 4, 30, 60):
        fake.advance(step)
        await fake.deliver_callbacks()
        statuses.append([report.status for report in handler.calls])

    assert statuses[-1] == [RcsStatus.SENT, RcsStatus.DELIVERED, RcsStatus.READ]
    assert statuses[:2] == [[RcsStatus.SENT], [RcsStatus.SENT, RcsStatus.DELIVERED]]
    assert {report.id for report in handler.calls} == {info.id}
    last: RcsReport = handler.calls[-1]
    assert (last.time_sent, last.time_dr) == (
        datetime(2024, 8, 22, 11, 47, 43),
        datetime(2024, 8, 22, 11, 47, 47),
    )


async def test_nothing_is_reported_before_the_clock_moves() -> None:
    handler = Recorder()
    fake = make_fake(webhook=Webhook(handler=handler))
    async with sdk(fake) as bsg:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi")

    assert await fake.deliver_callbacks() == ()
    assert handler.calls == []


async def test_one_big_advance_reports_every_status_reached_oldest_first() -> None:
    handler = Recorder()
    fake = make_fake(webhook=Webhook(handler=handler))
    async with sdk(fake) as bsg:
        await bsg.rcs.send_campaign(
            to=[Recipient(PHONE, "a"), Recipient("380997087352", "b")], sender="S", text="Hi"
        )
    fake.advance(3600)

    await fake.deliver_callbacks()

    assert [(r.reference, r.status.value) for r in handler.calls] == [
        ("a", "sent"),
        ("b", "sent"),
        ("a", "delivered"),
        ("b", "delivered"),
        ("a", "read"),
        ("b", "read"),
    ]


async def test_a_campaign_scheduled_ahead_reports_sending_when_it_starts() -> None:
    handler = Recorder()
    fake = make_fake(webhook=Webhook(handler=handler))
    async with sdk(fake) as bsg:
        await bsg.rcs.send_campaign(
            to=[PHONE], sender="S", text="Hi", start_at=datetime(2024, 8, 22, 12, 0, 0)
        )
    fake.advance(740)  # the start is 738 s ahead; sent 1 s after it

    await fake.deliver_callbacks()

    assert [r.status.value for r in handler.calls] == ["sending", "sent"]


async def test_a_failing_handler_gets_the_report_again_until_the_attempts_run_out() -> None:
    handler = Recorder(failures=5)
    fake = make_fake(DOCUMENTED, webhook=Webhook(handler=handler, attempts=3))
    async with sdk(fake) as bsg:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi")
    fake.advance(11)

    rounds = [await fake.deliver_callbacks() for _ in range(4)]

    assert [[(d.attempt, d.delivered) for d in r] for r in rounds] == [
        [(1, False)],
        [(2, False)],
        [(3, False)],
        [],
    ]
    assert rounds[0][0].error == "RuntimeError: handler down"
    assert handler.calls == []


async def test_a_report_with_no_target_is_dropped() -> None:
    fake = make_fake()
    async with sdk(fake) as bsg:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi")
    fake.advance(60)

    assert await fake.deliver_callbacks() == ()
    fake.callback_handler = Recorder()
    assert await fake.deliver_callbacks() == ()


async def test_pending_callbacks_shows_what_the_next_round_tries() -> None:
    fake = make_fake(webhook=Webhook(handler=Recorder()))
    async with sdk(fake) as bsg:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi")
    fake.advance(2)

    pending = fake.pending_callbacks
    delivered = await fake.deliver_callbacks()

    assert [(p.status, p.attempt, p.delivered) for p in pending] == [("sent", 0, False)]
    assert [(d.status, d.attempt, d.delivered) for d in delivered] == [("sent", 1, True)]
    assert fake.pending_callbacks == ()


async def test_concurrent_rounds_deliver_each_report_once() -> None:
    calls: list[RcsReport] = []

    async def slow(report: RcsReport) -> None:
        await anyio.lowlevel.checkpoint()
        calls.append(report)

    fake = make_fake(webhook=Webhook(handler=slow))
    async with sdk(fake) as bsg:
        await bsg.rcs.send_campaign(to=[PHONE, "380997087352"], sender="S", text="Hi")
    fake.advance(60)

    async with anyio.create_task_group() as group:
        for _ in range(3):
            group.start_soon(fake.deliver_callbacks)

    assert len(calls) == 6
    assert len(fake.callbacks) == 6


# -- reports POSTed to a URL -------------------------------------------------------------------


class Receiver:
    """A `httpx.MockTransport` handler recording POSTs; answers `statuses` in turn, then 200."""

    def __init__(self, *statuses: int) -> None:
        self.requests: list[httpx.Request] = []
        self.statuses = list(statuses)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200)


async def test_reports_go_to_the_message_callback_url_else_the_account_url() -> None:
    receiver = Receiver()
    fake = make_fake(
        DOCUMENTED,
        webhook=Webhook(
            url="https://shop.example/bsg/rcs", transport=httpx.MockTransport(receiver)
        ),
    )
    async with sdk(fake) as bsg:
        own = await bsg.rcs.send(
            to=PHONE, sender="S", text="Hi", callback_url="https://shop.example/order/7"
        )
        other = await bsg.rcs.send(to="380997087352", sender="S", text="Hi")
    fake.advance(11)

    await fake.deliver_callbacks()

    posted = {json.loads(r.content)["id"]: str(r.url) for r in receiver.requests}
    assert posted == {
        str(own.id): "https://shop.example/order/7",
        str(other.id): "https://shop.example/bsg/rcs",
    }
    assert {r.method for r in receiver.requests} == {"POST"}
    assert {r.headers["content-type"] for r in receiver.requests} == {"application/json"}


async def test_a_url_answering_500_gets_the_report_again_next_round() -> None:
    receiver = Receiver(500)
    fake = make_fake(
        DOCUMENTED,
        webhook=Webhook(url="http://127.0.0.1:9/rcs", transport=httpx.MockTransport(receiver)),
    )
    async with sdk(fake) as bsg:
        await bsg.rcs.send(to=PHONE, sender="S", text="Hi")
    fake.advance(11)

    first = await fake.deliver_callbacks()
    second = await fake.deliver_callbacks()

    assert [(d.http_status, d.delivered, d.error) for d in first] == [(500, False, "HTTP 500")]
    assert [(d.http_status, d.delivered, d.attempt) for d in second] == [(200, True, 2)]
    assert receiver.requests[0].content == receiver.requests[1].content


async def test_a_url_that_does_not_answer_is_a_failed_delivery() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    fake = make_fake(
        DOCUMENTED,
        webhook=Webhook(url="http://127.0.0.1:9/rcs", transport=httpx.MockTransport(refuse)),
    )
    async with sdk(fake) as bsg:
        await bsg.rcs.send(to=PHONE, sender="S", text="Hi")
    fake.advance(11)

    [delivery] = await fake.deliver_callbacks()

    assert (delivery.delivered, delivery.http_status) == (False, None)
    assert delivery.error == "ConnectError: refused"
    assert len(fake.pending_callbacks) == 1


async def test_a_url_outside_loopback_is_not_posted_without_a_transport() -> None:
    fake = make_fake(DOCUMENTED, webhook=Webhook(url="https://customer.example/bsg/rcs"))
    async with sdk(fake) as bsg:
        await bsg.rcs.send(to=PHONE, sender="S", text="Hi")
    fake.advance(11)

    [delivery] = await fake.deliver_callbacks()

    assert not delivery.delivered
    assert delivery.error is not None and "loopback" in delivery.error
    assert fake.pending_callbacks == ()


def test_a_delivery_repr_leaves_the_url_out() -> None:
    fake = make_fake(DOCUMENTED, webhook=Webhook(url=f"http://127.0.0.1:9/rcs/{SECRET}"))
    login = fake.handle("POST", "/api/auth/login", body=b'{"api_key": "k"}')
    headers = {"authorization": "Bearer " + json.loads(login.body)["bearer"]}
    body = {"phone": {"number": PHONE}, "sender": "S", "options": {"text": "Hi"}}
    fake.handle("POST", "/api/messages/rcs/send", headers=headers, body=json.dumps(body).encode())
    fake.advance(11)

    [pending] = fake.pending_callbacks

    assert pending.target.endswith(SECRET)
    assert SECRET not in repr(pending)


# -- end to end into RcsWebhookApp -------------------------------------------------------------


async def test_reports_reach_rcs_webhook_app_through_asgi_transport() -> None:
    received = Recorder()
    app = RcsWebhookApp(received, secret=SECRET, idempotency=MemoryIdempotencyStore())
    fake = make_fake(
        webhook=Webhook(
            url=f"http://bsg-receiver/bsg/rcs/{SECRET}", transport=httpx.ASGITransport(app=app)
        ),
    )
    async with sdk(fake) as bsg:
        await bsg.rcs.send_campaign(
            to=[Recipient(PHONE, "a"), Recipient("380997087352", "b")], sender="S", text="Hi"
        )
    fake.advance(60)

    deliveries = await fake.deliver_callbacks()

    assert [d.http_status for d in deliveries] == [200] * 6
    assert received.calls == [parse_rcs_report(d.body) for d in deliveries]
    assert all(isinstance(report, RcsReport) for report in received.calls)
    assert [(r.reference, r.status.value) for r in received.calls][-2:] == [
        ("a", "read"),
        ("b", "read"),
    ]


async def test_a_wrong_secret_is_a_failed_delivery_at_the_receiver() -> None:
    app = RcsWebhookApp(Recorder(), secret=SECRET)
    fake = make_fake(
        DOCUMENTED,
        webhook=Webhook(
            url="http://bsg-receiver/bsg/rcs/guessed", transport=httpx.ASGITransport(app=app)
        ),
    )
    async with sdk(fake) as bsg:
        await bsg.rcs.send(to=PHONE, sender="S", text="Hi")
    fake.advance(11)

    [delivery] = await fake.deliver_callbacks()

    assert (delivery.http_status, delivery.delivered) == (404, False)


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 while inside the block; yields its base URL."""
    import uvicorn

    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off", http="h11", ws="none")
    server = uvicorn.Server(config)
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(server.serve, [sock])
            with anyio.fail_after(10):
                while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, no event
                    await anyio.sleep(0.01)
            try:
                yield f"http://127.0.0.1:{port}"
            finally:
                server.should_exit = True
    finally:
        sock.close()


async def test_reports_reach_rcs_webhook_app_over_a_real_uvicorn_server() -> None:
    received = Recorder()
    clicks = Recorder()
    app = RcsWebhookApp(received, on_click=clicks, secret=SECRET, allowed_networks=["127.0.0.1"])
    async with serve(app) as base:
        fake = make_fake(DOCUMENTED, webhook=Webhook(url=f"{base}/bsg/rcs/{SECRET}", timeout=5))
        async with sdk(fake) as bsg:
            await bsg.rcs.send(
                to=PHONE, sender="MyShop", cards=card_with_buttons(), reference="hello"
            )
        fake.advance(11)
        fake.click("hello", postback="order_no")
        with anyio.fail_after(20):
            deliveries = await fake.deliver_callbacks()

    assert [(d.kind, d.http_status) for d in deliveries] == [("status", 200), ("click", 200)]
    assert received.calls == [parse_rcs_report(json.dumps(DOCUMENTED_REPORT))]
    [click] = clicks.calls
    assert (click.reference, click.postback, click.text) == ("hello", "order_no", "No")


# -- clicks ------------------------------------------------------------------------------------


async def test_a_click_reaches_the_click_handler_with_its_suggestion() -> None:
    clicks = Recorder()
    fake = make_fake(DOCUMENTED, webhook=Webhook(click_handler=clicks))
    async with sdk(fake) as bsg:
        info = await bsg.rcs.send(to=PHONE, sender="S", cards=card_with_buttons(), reference="o7")
    fake.advance(20)

    fake.click(info.id, postback="order_yes")
    [delivery] = await fake.deliver_callbacks()

    assert delivery.json() == {
        "id": str(info.id),
        "reference": "o7",
        "msisdn": PHONE,
        "text": "Yes",
        "postback": "order_yes",
        "time_click": "2024-08-22 11:48:02",
    }
    assert clicks.calls == [
        RcsClick(info.id, "o7", PHONE, "Yes", "order_yes", datetime(2024, 8, 22, 11, 48, 2))
    ]


async def test_a_click_without_a_postback_presses_the_first_suggestion() -> None:
    clicks = Recorder()
    fake = make_fake(DOCUMENTED, webhook=Webhook(click_handler=clicks))
    async with sdk(fake) as bsg:
        await bsg.rcs.send(to=PHONE, sender="S", cards=card_with_buttons(), reference="o8")
    fake.advance(20)

    fake.click("o8")
    await fake.deliver_callbacks()

    assert [c.postback for c in clicks.calls] == ["order_yes"]


async def test_a_click_before_delivery_is_refused() -> None:
    fake = make_fake(DOCUMENTED, webhook=Webhook(click_handler=Recorder()))
    async with sdk(fake) as bsg:
        await bsg.rcs.send(to=PHONE, sender="S", cards=card_with_buttons(), reference="o9")

    with pytest.raises(InvalidParameterError) as caught:
        fake.click("o9")

    assert caught.value.field == "message"


@pytest.mark.parametrize("postback", ["order_maybe", None])
async def test_a_click_on_a_suggestion_the_message_lacks_is_refused(postback: str | None) -> None:
    fake = make_fake(DOCUMENTED, webhook=Webhook(click_handler=Recorder()))
    async with sdk(fake) as bsg:
        text = await bsg.rcs.send(to=PHONE, sender="S", text="no buttons", reference="t1")
        await bsg.rcs.send(to="380997087352", sender="S", cards=card_with_buttons(), reference="c1")
    fake.advance(20)

    with pytest.raises(InvalidParameterError):
        fake.click("c1" if postback else text.id, postback=postback)


def test_a_click_on_an_unknown_message_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        make_fake().click(12345)


# -- a served fake -----------------------------------------------------------------------------


async def test_a_served_fake_delivers_callbacks_on_the_advance_control_endpoint() -> None:
    received = Recorder()
    receiver = RcsWebhookApp(received)
    fake = make_fake(DOCUMENTED, webhook=Webhook(transport=httpx.ASGITransport(app=receiver)))
    async with sdk(fake) as bsg:
        await bsg.rcs.send(to=PHONE, sender="S", cards=card_with_buttons(), reference="hello")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app), base_url="http://fake"
    ) as http:
        url = await http.post("/_fake/callback-url", json={"url": "http://receiver/rcs"})
        advanced = await http.post("/_fake/advance", json={"seconds": 11})
        clicked = await http.post("/_fake/click", json={"reference_id": "hello"})
        flushed = await http.post("/_fake/deliver-callbacks")
        log = await http.get("/_fake/callbacks")
        bad_click = await http.post("/_fake/click", json={"id": 1})

    assert url.json() == {"url": "http://receiver/rcs"}
    assert advanced.json() == {"now": START + 11}
    assert clicked.json() == {"pending_callbacks": 1}
    assert flushed.json()["callbacks"] == {"delivered": 0, "failed": 1}  # no on_click: 400
    assert flushed.json()["pending_callbacks"] == 1  # tried again next round
    assert [(c["kind"], c["http_status"]) for c in log.json()["callbacks"]] == [
        ("status", 200),
        ("click", 400),
    ]
    assert log.json()["callbacks"][0]["body"] == DOCUMENTED_REPORT
    assert bad_click.status_code == 400
    assert received.calls == [parse_rcs_report(json.dumps(DOCUMENTED_REPORT))]


async def test_a_served_fake_delivers_due_callbacks_after_answering_a_request() -> None:
    handler = Recorder()
    fake = make_fake(DOCUMENTED, webhook=Webhook(handler=handler))
    async with AsyncBSG(
        api_key=API_KEY, one_api_url="http://fake", transport=httpx.ASGITransport(app=fake.app)
    ) as bsg:
        await bsg.rcs.send(to=PHONE, sender="S", text="Hi")
        fake.advance(11)
        await bsg.account.balance()

    assert [r.status for r in handler.calls] == [RcsStatus.DELIVERED]


# -- the testing guide's example ---------------------------------------------------------------

GUIDE_EXAMPLE = """\
import httpx

from bsg_async import AsyncBSG
from bsg_async.testing import FakeBSG, Webhook
from bsg_async.webhooks import RcsReport, RcsWebhookApp

reports: list[RcsReport] = []


async def on_report(report: RcsReport) -> None:
    reports.append(report)


# Your receiver, in process (or url="http://127.0.0.1:8000/bsg/rcs" for a real server)
receiver = RcsWebhookApp(on_report)
fake = FakeBSG(
    seed=1,
    webhook=Webhook(url="http://receiver/bsg/rcs", transport=httpx.ASGITransport(app=receiver)),
)
async with AsyncBSG(api_key="test_x", transport=fake.transport) as bsg:
    info = await bsg.rcs.send(
        to="380501234567", sender="MyShop", text="Shipped", reference="order42"
    )
    fake.advance(60)  # accepted -> sent -> delivered -> read (fates are seeded)
    await fake.deliver_callbacks()  # POSTs each status report to the receiver
    [message] = [m async for m in bsg.messages.list(reference="order42")]
assert fake.rcs.acceptances("order42") == 1
assert reports[-1].id == info.id and reports[-1].status == message.status
"""


async def test_guide_example_delivers_reports_to_the_receiver() -> None:
    body = "\n".join("    " + line if line else "" for line in GUIDE_EXAMPLE.splitlines())
    namespace: dict[str, Any] = {}
    exec(
        compile(f"async def example():\n{body}\n    return locals()", "<guide>", "exec"), namespace
    )

    example = await namespace["example"]()

    assert [r.status.value for r in example["reports"]] == ["sent", "delivered", "read"]


def test_the_testing_guide_shows_the_example_verbatim() -> None:
    guide = Path(__file__).resolve().parent.parent / "docs" / "guides" / "testing.md"

    assert GUIDE_EXAMPLE in guide.read_text(encoding="utf-8")
