"""FakeBSG as an ASGI app: the same service over HTTP, control endpoints for other processes,
cut connections for lost answers, and once through a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

import bsg_async.testing._asgi
from bsg_async import AsyncBSG, RetryPolicy, SmsStatus, TransportError
from bsg_async.testing import Account, FakeBSG, FaultKind

from .conftest import API_KEY
from .fake_support import CALM, Clock, sms_single

URL = "http://fake.test"


@pytest.fixture
def fake() -> FakeBSG:
    return FakeBSG(seed=4, account=Account(api_keys=[API_KEY]), clock=Clock(), lifecycle=CALM)


@pytest.fixture
async def http(fake: FakeBSG) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(fake.app), base_url=URL) as client:
        yield client


async def _call(app: Any, scope: dict[str, Any], body: bytes = b"") -> list[dict[str, Any]]:
    """Run the ASGI app once; return the messages it sent."""
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def _scope(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers,
    }


async def test_the_sdk_works_against_the_asgi_app(fake: FakeBSG) -> None:
    async with AsyncBSG(
        api_key=API_KEY,
        base_url=f"{URL}/rest",
        one_api_url=URL,
        transport=httpx.ASGITransport(fake.app),
    ) as bsg:
        receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
        status = await bsg.sms.get_by_reference(receipt.reference)
        balance = await bsg.one_api_request("GET", "/api/accounts/balance")

    assert status.id == receipt.id
    assert status.status is SmsStatus.SCHEDULED
    assert balance.http_status == 200
    assert fake.logins == 1


async def test_body_sent_in_several_chunks_is_read_whole(fake: FakeBSG) -> None:
    payload = sms_single(reference="chunked")
    incoming = [
        {"type": "http.request", "body": payload[:10], "more_body": True},
        {"type": "http.request", "body": payload[10:], "more_body": False},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = _scope("POST", "/rest/sms/create", [(b"x-api-key", API_KEY.encode())])
    await fake.app(scope, receive, send)

    assert json.loads(sent[1]["body"])["reference"] == "chunked"


async def test_latency_is_awaited_by_the_app(
    monkeypatch: pytest.MonkeyPatch, http: httpx.AsyncClient, fake: FakeBSG
) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(bsg_async.testing._asgi, "sleep", record)
    fake.faults.latency = 60.0  # not slept: `sleep` only records

    await http.get("/rest/sms/1", headers={"X-API-KEY": API_KEY})

    [wait] = waits
    assert 30 < wait <= 60


@pytest.mark.parametrize(
    ("kind", "accepted"),
    [
        (FaultKind.CONNECT_ERROR, 0),
        (FaultKind.RESET_BEFORE, 0),
        (FaultKind.RESET_AFTER, 1),
        (FaultKind.LOST_ANSWER, 1),
    ],
)
async def test_a_connection_fault_starts_an_answer_it_never_finishes(
    fake: FakeBSG, kind: FaultKind, accepted: int
) -> None:
    fake.faults.script([kind])
    scope = _scope("POST", "/rest/sms/create", [(b"x-api-key", API_KEY.encode())])

    sent = await _call(fake.app, scope, sms_single(reference="cut"))

    [start] = sent
    assert start["type"] == "http.response.start"
    assert int(dict(start["headers"])[b"content-length"]) > 0
    assert fake.sms.acceptances("cut") == accepted


async def test_an_answered_fault_is_a_complete_answer(
    http: httpx.AsyncClient, fake: FakeBSG
) -> None:
    fake.faults.script(["503"])

    answer = await http.get("/rest/sms/1", headers={"X-API-KEY": API_KEY})

    assert answer.status_code == 503
    assert b"503 Service Unavailable" in answer.content


async def test_lifespan_startup_and_shutdown_complete(fake: FakeBSG) -> None:
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await fake.app({"type": "lifespan"}, receive, send)

    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


async def test_a_websocket_is_closed(fake: FakeBSG) -> None:
    sent = await _call(fake.app, {"type": "websocket", "path": "/"})

    assert sent == [{"type": "websocket.close", "code": 1000}]


async def test_path_without_raw_path_is_served(fake: FakeBSG) -> None:
    scope = _scope("GET", "/rest/sms/1", [(b"x-api-key", API_KEY.encode())])
    del scope["raw_path"]

    sent = await _call(fake.app, scope)

    assert json.loads(sent[1]["body"])["error"] == 20


# -- control endpoints ----------------------------------------------------------------------


async def test_control_state_counts_what_happened(http: httpx.AsyncClient, fake: FakeBSG) -> None:
    fake.faults.script(["500"])
    await http.post("/rest/sms/create", content=sms_single(), headers={"X-API-KEY": API_KEY})
    await http.post("/rest/sms/create", content=sms_single(), headers={"X-API-KEY": API_KEY})
    await http.post("/rest/sms/create", content=sms_single(), headers={"X-API-KEY": API_KEY})

    state = (await http.get("/_fake/state")).json()

    assert (state["seed"], state["sms"], state["viber"], state["requests"]) == (4, 1, 0, 3)
    assert state["faults"] == {"500": 1}
    assert state["codes"] == {"23": 1}
    assert state["pending_faults"] == 0
    assert state["duplicates"] == []


async def test_control_lists_accepted_references_with_ids(
    http: httpx.AsyncClient, fake: FakeBSG
) -> None:
    await http.post(
        "/rest/sms/create", content=sms_single(reference="a1"), headers={"X-API-KEY": API_KEY}
    )

    accepted = (await http.get("/_fake/accepted")).json()
    both = (await http.get("/_fake/acceptances", params={"reference": "a1"})).json()
    viber = (await http.get("/_fake/acceptances?reference=a1&channel=viber")).json()
    sms = (await http.get("/_fake/acceptances?reference=a1&channel=sms")).json()

    message = fake.sms.find("a1")
    assert message is not None
    assert accepted == {"sms": {"a1": [str(message.id), 1]}, "viber": {}, "rcs": {}}
    assert (both["acceptances"], viber["acceptances"], sms["acceptances"]) == (1, 0, 1)


async def test_control_advances_the_clock(http: httpx.AsyncClient, fake: FakeBSG) -> None:
    before = fake.now()

    answer = await http.post("/_fake/advance", json={"seconds": 60})

    assert answer.json() == {"now": before + 60}
    assert fake.now() == before + 60


async def test_control_changes_the_faults(http: httpx.AsyncClient, fake: FakeBSG) -> None:
    answer = await http.post(
        "/_fake/faults",
        json={
            "rates": {"lost_answer": 0.5},
            "latency_ms": 20,
            "latency_jitter_ms": 5,
            "retry_after": 2,
            "methods": ["POST"],
            "paths": ["/viber/create"],
        },
    )

    faults = fake.faults
    assert answer.status_code == 200
    assert (faults.rates, faults.latency, faults.latency_jitter, faults.retry_after) == (
        {FaultKind.LOST_ANSWER: 0.5},
        0.02,
        0.005,
        2,
    )
    assert faults.scope.matches("POST", "/rest/viber/create")
    assert not faults.scope.matches("GET", "/rest/viber/create")


async def test_control_queues_a_script(http: httpx.AsyncClient, fake: FakeBSG) -> None:
    answer = await http.post("/_fake/script", json={"kinds": ["500", None], "paths": ["*/create"]})

    assert answer.json() == {"pending": 2}
    assert fake.plan("GET", "/rest/sms/1") == (None, 0.0)
    assert fake.plan("POST", "/rest/sms/create") == (FaultKind.SERVER_ERROR, 0.0)


async def test_control_reset_forgets_state_and_keeps_the_fault_settings(
    http: httpx.AsyncClient, fake: FakeBSG
) -> None:
    await http.post("/_fake/faults", json={"rates": {"500": 0.1}, "latency_ms": 20})
    await http.post("/_fake/script", json={"kinds": ["503"]})
    await http.post("/rest/sms/create", content=sms_single(), headers={"X-API-KEY": API_KEY})

    answer = await http.post("/_fake/reset")
    state = (await http.get("/_fake/state")).json()

    assert answer.json() == {}
    assert (state["sms"], state["requests"], state["faults"], state["pending_faults"]) == (
        0,
        0,
        {},
        0,
    )
    assert fake.faults.rates == {FaultKind.SERVER_ERROR: 0.1}
    assert fake.faults.latency == 0.02


async def test_control_faults_clear_removes_every_fault_setting_first(
    http: httpx.AsyncClient, fake: FakeBSG
) -> None:
    fake.faults.rates = {"500": 0.1}
    fake.faults.latency = 0.5
    fake.faults.script(["503"])

    await http.post("/_fake/faults", json={"clear": True, "latency_ms": 20})

    assert (fake.faults.rates, fake.faults.latency, fake.faults.pending) == ({}, 0.02, 0)


@pytest.mark.parametrize(
    ("method", "path", "payload", "status"),
    [
        ("POST", "/_fake/advance", {"seconds": "soon"}, 400),
        ("POST", "/_fake/advance", {"seconds": -5}, 400),
        ("POST", "/_fake/faults", {"rates": {"teapot": 1}}, 400),
        ("POST", "/_fake/faults", {"latency_ms": "fast"}, 400),
        ("POST", "/_fake/faults", {"rates": [1]}, 400),
        ("POST", "/_fake/faults", {"methods": 5}, 400),
        ("POST", "/_fake/faults", {"paths": [1]}, 400),
        ("POST", "/_fake/faults", {"retry_after": "soon"}, 400),
        ("POST", "/_fake/faults", {"clear": "yes"}, 400),
        ("POST", "/_fake/script", {"kinds": "500"}, 400),
        ("POST", "/_fake/script", [1], 400),
        ("GET", "/_fake/acceptances?reference=a&channel=fax", None, 400),
        ("GET", "/_fake/nothing", None, 404),
        ("POST", "/_fake/nothing", None, 404),
    ],
)
async def test_control_refuses_bad_requests(
    http: httpx.AsyncClient, method: str, path: str, payload: object, status: int
) -> None:
    answer = await http.request(method, path, json=payload)

    assert answer.status_code == status
    assert "message" in answer.json()


async def test_control_refuses_a_body_that_is_not_json(http: httpx.AsyncClient) -> None:
    answer = await http.post("/_fake/advance", content=b"{nope")

    assert answer.status_code == 400
    assert "invalid JSON" in answer.json()["message"]


async def test_control_endpoints_are_plain_paths_when_disabled(fake: FakeBSG) -> None:
    from bsg_async.testing import FakeApp

    app = FakeApp(fake, control=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=URL) as http:
        answer = await http.get("/_fake/state")

    assert answer.status_code == 404
    assert answer.json() == {"message": "Not Found"}


# -- a real server --------------------------------------------------------------------------


async def test_lost_answer_over_real_http_is_a_transport_error_after_acceptance(
    fake: FakeBSG,
) -> None:
    fake.faults.script(["lost_answer"], paths=["/sms/create"])

    with anyio.fail_after(30):
        async with fake.serve() as server:
            assert server.host == "127.0.0.1"
            assert server.port > 0
            async with AsyncBSG(
                api_key=API_KEY,
                base_url=server.base_url,
                one_api_url=server.one_api_url,
                retry=RetryPolicy(max_attempts=1),
                timeout=5.0,
            ) as bsg:
                with pytest.raises(TransportError) as caught:
                    await bsg.sms.send(
                        to="380501234567", text="Hi", sender="Shop", reference="lost1"
                    )
                status = await bsg.sms.get_by_reference("lost1")

    assert isinstance(caught.value.__cause__, httpx.RemoteProtocolError)
    assert caught.value.may_have_been_accepted
    assert fake.sms.acceptances("lost1") == 1
    message = fake.sms.find("lost1")
    assert message is not None
    assert status.id == message.id
    assert [(r.fault, r.processed) for r in fake.requests] == [
        (FaultKind.LOST_ANSWER, True),
        (None, True),
    ]
