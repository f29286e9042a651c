"""FakeBSG's fault injection: each kind surfaces as the SDK's typed error, scripts and rates are
deterministic by seed, scope limits them, latency is awaited."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import bsg_async.testing._transport
from bsg_async import (
    AsyncBSG,
    InvalidParameterError,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    TransportError,
)
from bsg_async.testing import FakeBSG, FaultKind, Faults

from .conftest import API_KEY, ONE_API
from .fake_support import CALM, Clock, client, fake, raw, sdk_on, sms_single

__all__ = ["client", "fake", "raw"]  # fixtures, imported for pytest

KEY = {"x-api-key": API_KEY}


def _once(fake: FakeBSG) -> AsyncBSG:
    """The SDK with retries off, so the first failure is what the caller sees."""
    return sdk_on(fake, retry=RetryPolicy(max_attempts=1))


async def _send(bsg: AsyncBSG, reference: str = "f1") -> None:
    await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference=reference)


@pytest.mark.parametrize(
    ("kind", "error", "cause", "accepted", "may_have_been_accepted"),
    [
        (FaultKind.CONNECT_ERROR, TransportError, httpx.ConnectError, 0, False),
        (FaultKind.RESET_BEFORE, TransportError, httpx.ReadError, 0, True),
        (FaultKind.RESET_AFTER, TransportError, httpx.RemoteProtocolError, 1, True),
        (FaultKind.LOST_ANSWER, RequestTimeoutError, httpx.ReadTimeout, 1, True),
    ],
)
async def test_connection_fault_surfaces_as_a_transport_error(
    fake: FakeBSG,
    kind: FaultKind,
    error: type[TransportError],
    cause: type[Exception],
    accepted: int,
    may_have_been_accepted: bool,
) -> None:
    fake.faults.script([kind])
    async with _once(fake) as bsg:
        with pytest.raises(error) as caught:
            await _send(bsg)

    assert type(caught.value.__cause__) is cause
    assert caught.value.may_have_been_accepted is may_have_been_accepted
    assert fake.sms.acceptances("f1") == accepted
    [request] = fake.requests
    assert (request.fault, request.processed) == (kind, bool(accepted))
    assert request.json()["reference"] == "f1"


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_error_surfaces_with_its_status_and_nothing_accepted(
    fake: FakeBSG, status: int
) -> None:
    fake.faults.script([str(status)])
    async with _once(fake) as bsg:
        with pytest.raises(ServerError) as caught:
            await _send(bsg)

    assert caught.value.http_status == status
    assert caught.value.may_have_been_accepted
    assert fake.sms.acceptances("f1") == 0


async def test_proxy_errors_answer_an_html_page(raw: httpx.AsyncClient, fake: FakeBSG) -> None:
    fake.faults.script(["502", "500"])

    proxy = await raw.get("/sms/1")
    server = await raw.get("/sms/1")

    assert proxy.headers["content-type"] == "text/html"
    assert b"502 Bad Gateway" in proxy.content
    assert server.headers["content-type"] == "text/plain"


async def test_rate_limit_carries_retry_after(fake: FakeBSG) -> None:
    fake.faults.retry_after = 7
    fake.faults.script(["429"])
    async with _once(fake) as bsg:
        with pytest.raises(RateLimitError) as caught:
            await _send(bsg)

    assert (caught.value.code, caught.value.http_status, caught.value.retry_after) == (11, 429, 7)
    assert fake.sms.acceptances("f1") == 0


async def test_rate_limited_send_is_retried_after_the_advised_wait(
    client: AsyncBSG, fake: FakeBSG, backoff_delays: list[float]
) -> None:
    fake.faults.retry_after = 3
    fake.faults.script(["429"])

    await _send(client)

    assert backoff_delays == [3.0]
    assert fake.sms.acceptances("f1") == 1


async def test_one_api_rate_limit_has_a_message_body(fake: FakeBSG) -> None:
    fake.faults.script(["429"])
    async with httpx.AsyncClient(transport=fake.transport, base_url=ONE_API) as http:
        answer = await http.post("/api/auth/login", json={"api_key": API_KEY})

    assert answer.status_code == 429
    assert answer.json() == {"message": "Too Many Attempts."}
    assert answer.headers["retry-after"] == "1"


async def test_lost_answer_then_retry_resolves_to_the_one_acceptance(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    fake.faults.script(["lost_answer"], paths=["/sms/create"])

    receipt = await client.sms.send(to="380501234567", text="Hi", sender="Shop", reference="once")

    message = fake.sms.find("once")
    assert message is not None
    assert receipt.id == message.id
    assert fake.sms.acceptances("once") == 1
    assert fake.codes == {23: 1}
    assert [(r.method, r.fault) for r in fake.requests] == [
        ("POST", FaultKind.LOST_ANSWER),
        ("POST", None),
        ("GET", None),
    ]


async def test_lost_viber_answer_then_retry_resolves_every_recipient(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    from bsg_async import Recipient, ViberMessage

    fake.faults.script(["reset_after"], paths=["/viber/create"])
    message = ViberMessage(
        to=[Recipient(f"38097292000{i}", f"v{i}") for i in range(3)], text="Hi", sender="BSG"
    )

    result = await client.viber.send_messages([message])

    assert [e.id for e in result.accepted] == [m.id for m in fake.viber.messages]
    assert fake.viber.accepted == {"v0": 1, "v1": 1, "v2": 1}
    assert fake.codes == {43: 3}


async def test_script_applies_in_order_then_stops(raw: httpx.AsyncClient, fake: FakeBSG) -> None:
    fake.faults.script(["500", None, "503"])
    assert fake.faults.pending == 3

    statuses = [(await raw.get("/sms/1")).status_code for _ in range(4)]

    assert statuses == [500, 200, 503, 200]
    assert fake.faults.pending == 0
    assert fake.faults.injected == {FaultKind.SERVER_ERROR: 1, FaultKind.SERVICE_UNAVAILABLE: 1}


async def test_script_limited_to_a_path_leaves_other_requests_alone(
    raw: httpx.AsyncClient, fake: FakeBSG
) -> None:
    fake.faults.script(["500"], paths=["/sms/create"])

    read = await raw.get("/sms/1")
    create = await raw.post("/sms/create", content=sms_single())

    assert (read.status_code, create.status_code) == (200, 500)


async def test_scripts_are_consulted_in_the_order_added(
    raw: httpx.AsyncClient, fake: FakeBSG
) -> None:
    fake.faults.script(["502"], methods=["GET"])
    fake.faults.script(["504"])

    first = await raw.post("/sms/create", content=sms_single())
    second = await raw.get("/sms/1")

    assert (first.status_code, second.status_code) == (504, 502)


def test_rates_limited_to_methods_and_paths() -> None:
    fake = FakeBSG(faults=Faults({"500": 1.0}, methods=["post"], paths=["*/create", "/viber/*"]))

    def status(method: str, path: str) -> int:
        return fake.handle(method, path, headers=KEY, body=b"{}").status

    assert status("POST", "/rest/sms/create") == 500
    assert status("POST", "/rest/viber/1") == 500
    assert status("GET", "/rest/sms/create") == 405
    assert status("POST", "/rest/sms/1") == 405
    fake.faults.restrict()
    assert status("GET", "/rest/sms/1") == 500


def test_a_single_method_or_path_string_is_accepted() -> None:
    fake = FakeBSG(faults=Faults({"500": 1.0}, methods="GET", paths="/sms/1"))

    assert fake.handle("GET", "/sms/1", headers=KEY).status == 500
    assert fake.handle("GET", "/sms/2", headers=KEY).status == 200


def _fault_sequence(seed: int, rates: dict[str, float], paths: list[str]) -> list[object]:
    fake = FakeBSG(seed=seed, faults=Faults(rates, latency_jitter=0.05))
    return [fake.plan("POST", path) for path in paths]


@given(
    seed=st.integers(0, 2**32),
    rates=st.dictionaries(st.sampled_from([k.value for k in FaultKind]), st.floats(0, 0.1)),
    paths=st.lists(st.sampled_from(["/sms/create", "/viber/create", "/sms/1"]), max_size=40),
)
def test_faults_are_the_same_for_the_same_seed(
    seed: int, rates: dict[str, float], paths: list[str]
) -> None:
    assert _fault_sequence(seed, rates, paths) == _fault_sequence(seed, rates, paths)


def test_different_seeds_give_different_faults() -> None:
    paths = ["/sms/create"] * 64
    rates = {"lost_answer": 0.5}

    assert _fault_sequence(1, rates, paths) != _fault_sequence(2, rates, paths)


def test_rates_are_honoured_in_proportion() -> None:
    fake = FakeBSG(seed=3, faults=Faults({"lost_answer": 0.2, "503": 0.1}))

    for _ in range(2000):
        fake.plan("POST", "/sms/create")

    injected = fake.faults.injected
    assert 320 <= injected[FaultKind.LOST_ANSWER] <= 480
    assert 140 <= injected[FaultKind.SERVICE_UNAVAILABLE] <= 260


async def test_answer_comes_latency_seconds_after_arrival(
    monkeypatch: pytest.MonkeyPatch, raw: httpx.AsyncClient, fake: FakeBSG
) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(bsg_async.testing._transport, "sleep", record)
    fake.faults.latency = 60.0  # not slept: `sleep` only records
    fake.faults.latency_jitter = 1.0

    await raw.get("/sms/1")
    await raw.get("/sms/1")
    fake.faults.script(["connect_error"])
    with pytest.raises(httpx.ConnectError):
        await raw.get("/sms/1")

    latencies = [r.latency for r in fake.requests]
    assert all(60 <= latency < 61 for latency in latencies[:2])
    assert latencies[2] == 0.0
    # The answer comes `latency` after arrival: the wait is what processing left of it.
    assert len(waits) == 2
    assert all(
        latency - 30 < wait <= latency for wait, latency in zip(waits, latencies[:2], strict=True)
    )


async def test_no_latency_means_no_wait(
    monkeypatch: pytest.MonkeyPatch, raw: httpx.AsyncClient
) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(bsg_async.testing._transport, "sleep", record)

    await raw.get("/sms/1")

    assert waits == []


def test_clear_removes_rates_scripts_latency_and_scope() -> None:
    faults = Faults({"500": 0.5}, latency=1.0, latency_jitter=1.0, methods=["GET"])
    faults.script(["429"])
    fake = FakeBSG(faults=faults, clock=Clock(), lifecycle=CALM)
    fake.plan("GET", "/sms/1")

    faults.clear()

    assert (faults.rates, faults.latency, faults.latency_jitter, faults.pending) == ({}, 0, 0, 0)
    assert fake.plan("GET", "/sms/1") == (None, 0.0)
    assert faults.injected == {FaultKind.RATE_LIMIT: 1}


def test_reset_forgets_scripts_and_counts_and_keeps_the_plan() -> None:
    faults = Faults({"500": 0.5}, latency=1.0, latency_jitter=0.5, retry_after=3, methods=["GET"])
    faults.script(["429", "503"])
    fake = FakeBSG(faults=faults, clock=Clock(), lifecycle=CALM)
    fake.plan("GET", "/sms/1")

    faults.reset()

    assert (faults.pending, faults.injected) == (0, {})
    assert faults.rates == {FaultKind.SERVER_ERROR: 0.5}
    assert (faults.latency, faults.latency_jitter, faults.retry_after) == (1.0, 0.5, 3)
    assert not faults.scope.matches("POST", "/sms/create")


def test_faults_repr_shows_the_plan() -> None:
    faults = Faults({"lost_answer": 0.25}, latency=0.5)
    faults.script([None, "500"])

    assert repr(faults) == (
        "Faults(rates={'lost_answer': 0.25}, latency=0.5, latency_jitter=0.0, pending=2)"
    )


def test_fault_kind_describes_what_the_client_sees() -> None:
    assert [k for k in FaultKind if k.processed] == [FaultKind.RESET_AFTER, FaultKind.LOST_ANSWER]
    assert FaultKind.coerce(" 429 ") is FaultKind.RATE_LIMIT
    assert str(FaultKind.RATE_LIMIT) == "429"
    assert FaultKind.LOST_ANSWER.http_status is None
    assert FaultKind.BAD_GATEWAY.http_status == 502


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Faults({"teapot": 0.1}), "fault"),
        (lambda: Faults({"500": 1.5}), "rates[500]"),
        (lambda: Faults({"500": True}), "rates[500]"),
        (lambda: Faults({"500": 0.6, "503": 0.6}), "rates"),
        (lambda: Faults(latency=-1), "latency"),
        (lambda: Faults(latency_jitter=7200), "latency_jitter"),
        (lambda: Faults(retry_after=-1), "retry_after"),
        (lambda: Faults().script(["boom"]), "fault"),
        (lambda: FaultKind.coerce(7), "fault"),  # type: ignore[arg-type]
    ],
)
def test_bad_fault_settings_are_invalid_parameter_errors(build: object, field: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        build()  # type: ignore[operator]

    assert caught.value.field == field


def test_every_answered_fault_is_recorded_with_its_status() -> None:
    fake = FakeBSG(faults=Faults({"429": 1.0}))

    exchange = fake.handle("POST", "/sms/create", headers=KEY, body=sms_single())

    assert (exchange.status, exchange.fault, exchange.processed, exchange.delivered) == (
        429,
        FaultKind.RATE_LIMIT,
        False,
        True,
    )
    assert json.loads(exchange.body)["error"] == 11
    assert ("retry-after", "1") in exchange.headers
    assert fake.requests[0].status == 429
    assert not fake.requests[0].processed


def test_lost_answer_exchange_holds_the_answer_the_client_never_saw() -> None:
    fake = FakeBSG()
    fake.faults.script(["lost_answer"])

    exchange = fake.handle("POST", "/sms/create", headers=KEY, body=sms_single())

    assert exchange.processed
    assert not exchange.delivered
    assert json.loads(exchange.body)["reference"] == "ref1"
