"""The network path on both HTTP backends (`http_backend="httpx"` and `"aiohttp"`), against
FakeBSG served by uvicorn on 127.0.0.1: exactly-once under faults, lifecycle, timeouts,
cancellation, the One-API login, and the client-wide limits."""

from __future__ import annotations

import asyncio
import gzip
from decimal import Decimal

import anyio
import attrs
import httpx
import pytest

import bsg_async._ratelimit
from bsg_async import (
    AsyncBSG,
    RateLimitError,
    Receipt,
    Recipient,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    TransportError,
    ViberMessage,
)
from bsg_async.client import HttpBackend
from bsg_async.testing import FakeServer, Faults

from .backend_support import (
    LatencyProbe,
    assert_exactly_once,
    backend,
    bsg_is_closed,
    closed_port,
    http_client,
    latency_probe,
    needs_aiohttp,
    numbers,
    open_sessions,
    raw_server,
    read_request,
    sdk,
    serving,
    unclosed_reports,
)
from .conftest import API_KEY
from .fake_support import ACCOUNT

__all__ = ["backend", "latency_probe"]  # fixtures, imported for pytest

# Every way a request can go wrong over HTTP, on every path (creates and the status lookups
# that resolve "reference already exists" after an uncertain attempt).
MANY_FAULTS = {
    "lost_answer": 0.1,
    "reset_after": 0.1,
    "reset_before": 0.05,
    "500": 0.05,
    "503": 0.05,
    "429": 0.05,
}


async def _send_sms(bsg: AsyncBSG, reference: str) -> Receipt:
    return await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference=reference)


# -- exactly-once under faults ----------------------------------------------------------------


async def test_viber_send_many_under_faults_sends_every_recipient_at_most_once(
    backend: HttpBackend,
) -> None:
    recipients = numbers(250, "v")
    faults = Faults(MANY_FAULTS, retry_after=0)
    async with (
        serving(seed=1, faults=faults) as (fake, server),
        sdk(server, backend, attempts=6) as bsg,
    ):
        report = await bsg.viber.send_many(to=recipients, text="Sale", sender="BSG", concurrency=4)

    assert_exactly_once(report, fake, "viber", recipients)
    assert len(report.succeeded) > len(recipients) // 2
    injected = fake.faults.injected
    assert sum(injected.values()) >= 3
    assert any(kind.processed for kind in injected)  # some answers were lost after acceptance


async def test_sms_send_many_under_faults_sends_every_recipient_at_most_once(
    backend: HttpBackend,
) -> None:
    recipients = numbers(300, "s")
    faults = Faults(MANY_FAULTS, retry_after=0)
    async with (
        serving(seed=3, faults=faults) as (fake, server),
        sdk(server, backend, attempts=6) as bsg,
    ):
        report = await bsg.sms.send_many(
            to=recipients, text="Sale", sender="Shop", chunk_size=50, concurrency=4
        )

    assert_exactly_once(report, fake, "sms", recipients)
    assert len(report.succeeded) > len(recipients) // 2
    assert sum(fake.faults.injected.values()) >= 3


@pytest.mark.parametrize("fault", ["lost_answer", "reset_after"])
async def test_a_send_whose_answer_was_lost_is_resolved_as_sent_with_the_fakes_id(
    backend: HttpBackend, fault: str
) -> None:
    async with serving() as (fake, server):
        fake.faults.script([fault], paths=["/viber/create"])
        async with sdk(server, backend, attempts=3) as bsg:
            result = await bsg.viber.send_messages(
                [ViberMessage(to=[Recipient("380972920000", "lost1")], text="Hi", sender="BSG")]
            )

    [sent] = result.accepted
    message = fake.viber.find("lost1")
    assert message is not None
    assert sent.id == message.id
    assert fake.viber.acceptances("lost1") == 1
    assert [r.path for r in fake.requests] == [
        "/rest/viber/create",
        "/rest/viber/create",
        "/rest/viber/reference/lost1",
    ]


@pytest.mark.parametrize(
    ("fault", "error", "may_have_been_accepted", "accepted"),
    [
        ("reset_before", TransportError, True, 0),  # over HTTP it looks like a lost answer
        ("reset_after", TransportError, True, 1),
        ("lost_answer", TransportError, True, 1),
        ("500", ServerError, True, 0),
        ("503", ServerError, True, 0),
        ("429", RateLimitError, False, 0),
    ],
)
async def test_each_fault_is_classified_the_same_on_both_backends(
    backend: HttpBackend,
    fault: str,
    error: type[Exception],
    may_have_been_accepted: bool,
    accepted: int,
) -> None:
    async with serving() as (fake, server):
        fake.faults.script([fault])
        async with sdk(server, backend) as bsg:
            with pytest.raises(error) as caught:
                await _send_sms(bsg, "c1")

    assert type(caught.value) is error
    assert caught.value.may_have_been_accepted is may_have_been_accepted  # type: ignore[attr-defined]
    assert fake.sms.acceptances("c1") == accepted
    if error is TransportError:
        assert type(caught.value.__cause__) is httpx.RemoteProtocolError


async def test_a_connection_closed_after_the_request_was_read_may_have_been_accepted(
    backend: HttpBackend,
) -> None:
    received: list[bytes] = []

    async def read_then_hang_up(reader: asyncio.StreamReader, _: asyncio.StreamWriter) -> None:
        received.append(await read_request(reader))  # the service has it, then the line dies

    async with (
        raw_server(read_then_hang_up) as url,
        AsyncBSG("test_k", base_url=url, http_backend=backend) as bsg,
    ):
        with pytest.raises(TransportError) as caught:
            await _send_sms(bsg, "gone1")

    assert type(caught.value) is TransportError
    assert type(caught.value.__cause__) is httpx.RemoteProtocolError
    assert caught.value.may_have_been_accepted is True
    assert b'"reference":"gone1"' in received[0]


async def test_an_answer_that_is_not_http_may_have_been_accepted(backend: HttpBackend) -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"this is not HTTP at all\r\n\r\n")
        await writer.drain()

    async with (
        raw_server(garbage) as url,
        AsyncBSG("test_k", base_url=url, http_backend=backend) as bsg,
    ):
        with pytest.raises(TransportError) as caught:
            await _send_sms(bsg, "junk1")

    assert type(caught.value.__cause__) is httpx.RemoteProtocolError
    assert caught.value.may_have_been_accepted is True


# -- timeouts ------------------------------------------------------------------------------------


async def test_a_send_slower_than_the_read_timeout_may_have_been_accepted(
    backend: HttpBackend,
) -> None:
    async with (
        serving(faults=Faults(latency=0.5)) as (fake, server),
        sdk(server, backend, timeout=httpx.Timeout(5.0, read=0.1)) as bsg,
    ):
        with pytest.raises(RequestTimeoutError) as caught:
            await _send_sms(bsg, "slow1")

    assert type(caught.value.__cause__) is httpx.ReadTimeout
    assert caught.value.may_have_been_accepted is True
    assert fake.sms.acceptances("slow1") == 1


async def test_a_refused_connection_is_a_transport_error_that_sent_nothing(
    backend: HttpBackend,
) -> None:
    with closed_port() as sock:
        port = sock.getsockname()[1]
        async with AsyncBSG(
            "test_k", base_url=f"http://127.0.0.1:{port}/rest", http_backend=backend
        ) as bsg:
            with pytest.raises(TransportError) as caught:
                await _send_sms(bsg, "refused1")

    assert type(caught.value) is TransportError  # not a timeout
    assert type(caught.value.__cause__) is httpx.ConnectError
    assert caught.value.may_have_been_accepted is False


async def test_waiting_past_the_pool_timeout_for_the_only_connection_sends_nothing(
    backend: HttpBackend,
) -> None:
    outcomes: dict[str, Receipt | Exception] = {}

    async def send(reference: str) -> None:
        try:
            outcomes[reference] = await _send_sms(bsg, reference)
        except RequestTimeoutError as error:
            outcomes[reference] = error

    async with (
        serving(faults=Faults(latency=0.5)) as (fake, server),
        sdk(
            server,
            backend,
            limits=httpx.Limits(max_connections=1),
            timeout=httpx.Timeout(5.0, pool=0.1),
        ) as bsg,
        anyio.create_task_group() as group,
    ):
        group.start_soon(send, "p1")
        group.start_soon(send, "p2")

    failed = [ref for ref, outcome in outcomes.items() if isinstance(outcome, Exception)]
    sent = [ref for ref, outcome in outcomes.items() if isinstance(outcome, Receipt)]
    assert len(failed) == len(sent) == 1
    error = outcomes[failed[0]]
    assert isinstance(error, RequestTimeoutError)
    assert type(error.__cause__) is httpx.PoolTimeout
    assert error.may_have_been_accepted is False
    assert fake.sms.acceptances(failed[0]) == 0
    assert fake.sms.acceptances(sent[0]) == 1


async def test_a_peer_that_stops_reading_hits_the_write_timeout(backend: HttpBackend) -> None:
    async def never_read(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)  # holds the connection open, reads nothing

    # Larger than every socket buffer on the way, so writing it must wait for the peer.
    blob = "x" * 16_000_000
    async with (
        raw_server(never_read) as url,
        AsyncBSG(
            "test_k", base_url=url, http_backend=backend, timeout=httpx.Timeout(5.0, write=0.2)
        ) as bsg,
    ):
        with pytest.raises(RequestTimeoutError) as caught:
            await bsg.legacy_request("POST", "/sms/create", json={"blob": blob}, send=True)

    assert type(caught.value.__cause__) is httpx.WriteTimeout
    assert caught.value.may_have_been_accepted is True


# -- lifecycle -----------------------------------------------------------------------------------


async def test_a_normal_exit_closes_the_connections(backend: HttpBackend) -> None:
    with unclosed_reports() as reports:
        async with serving() as (fake, server), sdk(server, backend) as bsg:
            await _send_sms(bsg, "n1")
            http, sessions = http_client(bsg), open_sessions(bsg)

    assert bsg_is_closed(http, sessions)
    assert len(sessions) == (backend == "aiohttp")
    assert reports == []
    assert fake.sms.acceptances("n1") == 1


async def test_an_exception_inside_the_block_still_closes_the_connections(
    backend: HttpBackend,
) -> None:
    seen: list[object] = []

    async def fail_inside(server: FakeServer) -> None:
        async with sdk(server, backend) as bsg:
            await _send_sms(bsg, "e1")
            seen.extend([http_client(bsg), *open_sessions(bsg)])
            raise LookupError("the caller's own error")

    with unclosed_reports() as reports:
        async with serving() as (_, server):
            with pytest.raises(LookupError, match="the caller's own"):
                await fail_inside(server)

    http, *sessions = seen
    assert isinstance(http, httpx.AsyncClient)

    assert bsg_is_closed(http, sessions)
    assert len(sessions) == (backend == "aiohttp")
    assert reports == []


async def test_cancelling_send_many_midway_closes_the_connections_and_sends_nothing_twice(
    backend: HttpBackend,
) -> None:
    recipients = numbers(400, "m")
    with unclosed_reports() as reports:
        async with (
            serving(faults=Faults(latency=0.05)) as (fake, server),
            sdk(server, backend) as bsg,
        ):
            http = http_client(bsg)
            with anyio.CancelScope() as scope:

                def stop_after_first_chunk(done: int, _: int | None) -> None:
                    scope.cancel()  # cancelled from inside the batch, midway

                await bsg.viber.send_many(
                    to=recipients,
                    text="Sale",
                    sender="BSG",
                    concurrency=2,
                    on_progress=stop_after_first_chunk,
                )
            sessions = open_sessions(bsg)

    assert scope.cancelled_caught
    assert bsg_is_closed(http, sessions)
    assert len(sessions) == (backend == "aiohttp")
    assert reports == []
    accepted = fake.viber.accepted
    assert 50 <= len(accepted) < len(recipients)
    assert all(count == 1 for count in accepted.values())


async def test_cancelling_the_whole_client_block_with_requests_in_flight_closes_it(
    backend: HttpBackend, latency_probe: LatencyProbe
) -> None:
    seen: list[object] = []
    all_three_at_the_service = latency_probe.arrived(3)
    with unclosed_reports() as reports:
        async with serving(faults=Faults(latency=0.4)) as (fake, server):
            with anyio.CancelScope() as scope:
                async with sdk(server, backend) as bsg, anyio.create_task_group() as group:
                    seen.append(http_client(bsg))
                    for i in range(3):
                        group.start_soon(_send_sms, bsg, f"w{i}")
                    await all_three_at_the_service.wait()
                    seen.extend(open_sessions(bsg))
                    scope.cancel()

    assert scope.cancelled_caught
    http, *sessions = seen
    assert isinstance(http, httpx.AsyncClient)
    assert bsg_is_closed(http, sessions)
    assert len(sessions) == (backend == "aiohttp")
    assert reports == []
    assert len(fake.sms) == 3  # accepted on arrival; only the answers were abandoned


# -- cancellation --------------------------------------------------------------------------------


async def test_move_on_after_around_send_many_stops_it_and_the_client_keeps_working(
    backend: HttpBackend,
) -> None:
    # Two connections only: a connection (or slot) lost to the cancellation would show.
    async with (
        serving(faults=Faults(latency=0.6)) as (fake, server),
        sdk(
            server, backend, limits=httpx.Limits(max_connections=2), timeout=httpx.Timeout(5.0)
        ) as bsg,
    ):
        with anyio.move_on_after(0.25) as scope:
            await bsg.sms.send_many(to=numbers(500, "c"), text="Sale", sender="Shop", chunk_size=50)
        fake.faults.latency = 0
        receipts = [await _send_sms(bsg, f"after{i}") for i in range(3)]

    assert scope.cancelled_caught
    assert [fake.sms.acceptances(r.reference) for r in receipts] == [1, 1, 1]
    assert all(count == 1 for count in fake.sms.accepted.values())


# -- every answer read, every connection given back --------------------------------------------

SMS_STATUS = b'{"error": 0, "id": "7", "msisdn": "380501234567", "status": "sent"}'


def _answer(body: bytes, *head: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + b"".join(line + b"\r\n" for line in head)
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


async def test_a_gzip_answer_is_decoded_on_both_backends(backend: HttpBackend) -> None:
    async def gzipped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(_answer(gzip.compress(SMS_STATUS), b"Content-Encoding: gzip"))
        await writer.drain()

    async with (
        raw_server(gzipped) as url,
        AsyncBSG("test_k", base_url=url, http_backend=backend) as bsg,
    ):
        report = await bsg.sms.get(7)

    assert (report.id, report.to) == (7, "380501234567")


async def test_an_answer_cut_short_gives_its_only_connection_back(backend: HttpBackend) -> None:
    async def cut_short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"error"')
        await writer.drain()

    async with (
        raw_server(cut_short) as url,
        AsyncBSG(
            "test_k",
            base_url=url,
            http_backend=backend,
            limits=httpx.Limits(max_connections=1),
            timeout=httpx.Timeout(5.0, pool=1.0),
            retry=RetryPolicy(max_attempts=1),
        ) as bsg,
    ):
        causes = []
        for _ in range(2):  # the second is not a pool timeout: the first gave the slot back
            with pytest.raises(TransportError) as caught:
                await bsg.sms.get(7)
            causes.append(type(caught.value.__cause__))

    assert causes == [httpx.RemoteProtocolError] * 2


async def test_a_call_cancelled_while_its_answer_is_read_gives_the_connection_back(
    backend: HttpBackend,
) -> None:
    connections: list[int] = []

    async def stall_first(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        first = len(connections) == 1
        while True:  # keep-alive
            try:
                await read_request(reader)
            except asyncio.IncompleteReadError:
                return
            if first:  # the head and part of the body, then silence
                writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"err')
                await writer.drain()
                await asyncio.sleep(30)
            writer.write(_answer(SMS_STATUS))
            await writer.drain()

    async with (
        raw_server(stall_first) as url,
        AsyncBSG(
            "test_k",
            base_url=url,
            http_backend=backend,
            limits=httpx.Limits(max_connections=1),
            timeout=httpx.Timeout(5.0, pool=1.0),
        ) as bsg,
    ):
        with anyio.move_on_after(0.3) as scope:
            await bsg.sms.get(7)
        reports = [await bsg.sms.get(7) for _ in range(2)]

    assert scope.cancelled_caught
    assert [report.id for report in reports] == [7, 7]
    assert connections == [1, 1]  # the half-read one was closed; the next one is kept alive


async def test_a_cookie_an_answer_sets_is_not_sent_back_on_either_backend(
    backend: HttpBackend,
) -> None:
    received: list[bytes] = []

    async def set_cookie(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:  # keep-alive
            try:
                received.append(await read_request(reader))
            except asyncio.IncompleteReadError:
                return
            writer.write(_answer(SMS_STATUS, b"Set-Cookie: session=abc123; Path=/"))
            await writer.drain()

    async with (
        raw_server(set_cookie) as url,
        AsyncBSG("test_k", base_url=url, http_backend=backend) as bsg,
    ):
        await bsg.sms.get(7)
        await bsg.sms.get(7)
        jar = http_client(bsg).cookies

    assert len(received) == 2
    assert b"abc123" not in received[1].lower()
    assert len(jar) == 0


# -- one's own httpx.AsyncClient: event hooks and mounts ---------------------------------------


def _pool_of(backend: HttpBackend) -> httpx.AsyncBaseTransport | None:
    """The connection pool of `backend` for a client of one's own (`None`: httpx's default)."""
    if backend == "aiohttp":
        from bsg_async.transports import AiohttpTransport

        return AiohttpTransport()
    return None


async def test_event_hooks_of_ones_own_client_fire_on_both_backends(
    backend: HttpBackend,
) -> None:
    requests: list[tuple[str, str]] = []
    responses: list[tuple[str, int, bytes]] = []

    async def on_request(request: httpx.Request) -> None:
        requests.append((request.method, request.url.path))

    async def on_response(response: httpx.Response) -> None:
        body = await response.aread()
        responses.append((response.request.url.path, response.status_code, body[:1]))

    async with (
        serving(account=attrs.evolve(ACCOUNT, balance=Decimal("5.0000000"))) as (fake, server),
        httpx.AsyncClient(
            transport=_pool_of(backend),
            event_hooks={"request": [on_request], "response": [on_response]},
        ) as http,
        AsyncBSG(
            API_KEY, base_url=server.base_url, one_api_url=server.url, http_client=http
        ) as bsg,
    ):
        await _send_sms(bsg, "hook1")
        balance = await bsg.account.balance()
        sessions = open_sessions(bsg)

    assert requests == [
        ("POST", "/rest/sms/create"),
        ("POST", "/api/auth/login"),
        ("GET", "/api/accounts/balance"),
    ]
    assert responses == [(path, 200, b"{") for _, path in requests]
    assert balance.balance < Decimal("5")  # the SMS before it was charged
    assert fake.sms.acceptances("hook1") == 1
    assert len(sessions) == (backend == "aiohttp")  # the backend's pool carried them


async def test_a_mount_of_ones_own_client_routes_its_urls_on_both_backends(
    backend: HttpBackend,
) -> None:
    routed: list[str] = []

    class Mounted(httpx.AsyncBaseTransport):
        """The fake in process, for the One-API's host only (which does not resolve)."""

        def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
            self.inner = inner

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            routed.append(request.url.path)
            return await self.inner.handle_async_request(request)

    async with (
        serving(account=attrs.evolve(ACCOUNT, balance=Decimal("5.0000000"))) as (fake, server),
        httpx.AsyncClient(
            transport=_pool_of(backend), mounts={"http://one-api.invalid": Mounted(fake.transport)}
        ) as http,
        AsyncBSG(
            API_KEY,
            base_url=server.base_url,  # over the network, through the backend's pool
            one_api_url="http://one-api.invalid",
            http_client=http,
            retry=RetryPolicy(max_attempts=1),
        ) as bsg,
    ):
        await _send_sms(bsg, "mount1")
        balance = await bsg.account.balance()
        sessions = open_sessions(bsg)

    assert routed == ["/api/auth/login", "/api/accounts/balance"]
    assert balance.balance < Decimal("5")  # the SMS before it was charged
    assert fake.sms.acceptances("mount1") == 1
    assert len(sessions) == (backend == "aiohttp")


# -- One-API login -------------------------------------------------------------------------------


async def test_the_one_api_login_and_relogin_work_over_http(backend: HttpBackend) -> None:
    async with (
        serving(account=attrs.evolve(ACCOUNT, balance=Decimal("12.3400000"))) as (fake, server),
        sdk(server, backend) as bsg,
    ):
        first = await bsg.account.balance()
        second = await bsg.account.balance()
        logins_before_revoke = fake.logins
        fake.revoke_tokens()  # the next call gets a 401: refresh refused, log in again
        third = await bsg.account.balance()

    assert first.balance == second.balance == third.balance == Decimal("12.3400000")
    assert logins_before_revoke == 1
    assert fake.logins == 2
    authorizations = [
        dict(request.headers).get("authorization")
        for request in fake.requests
        if request.path == "/api/accounts/balance"
    ]
    assert authorizations == ["[secure]"] * 4  # 3 calls, one replayed after the 401


# -- client-wide limits --------------------------------------------------------------------------


async def test_max_concurrency_bounds_the_requests_at_the_service(
    backend: HttpBackend, latency_probe: LatencyProbe
) -> None:
    async with (
        serving(faults=Faults(latency=0.05)) as (_, server),
        sdk(server, backend, max_concurrency=2) as bsg,
    ):
        report = await bsg.viber.send_many(
            to=numbers(400, "k"), text="Hi", sender="BSG", concurrency=8
        )

    assert len(report.succeeded) == 400
    assert latency_probe.peak == 2


async def test_the_rate_limit_spaces_every_request(
    backend: HttpBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(bsg_async._ratelimit, "rate_sleep", record)
    async with (
        serving() as (fake, server),
        sdk(server, backend, rate_limit=1) as bsg,
        anyio.create_task_group() as group,
    ):
        for i in range(4):
            group.start_soon(_send_sms, bsg, f"r{i}")

    assert len(waits) == 3  # the first goes at once, each other waits its 1 s turn
    assert sorted(waits) == pytest.approx([1.0, 2.0, 3.0], abs=0.5)
    assert len(fake.sms) == 4


# -- the same requests on the wire ---------------------------------------------------------------


@needs_aiohttp
async def test_both_backends_put_the_same_requests_on_the_wire() -> None:
    sent: dict[str, list[tuple[str, str, str, dict[str, str], bytes]]] = {}
    async with serving() as (fake, server):
        names: tuple[HttpBackend, ...] = ("httpx", "aiohttp")
        for name in names:
            fake.reset()
            async with sdk(server, name) as bsg:
                receipt = await _send_sms(bsg, "same1")
                await bsg.sms.get(receipt.id)
                await bsg.account.balance()  # the One-API login, then a bearer call
            sent[name] = [
                (r.method, r.path, r.query, dict(r.headers), r.body) for r in fake.requests
            ]

    assert [(method, path) for method, path, *_ in sent["httpx"]] == [
        ("POST", "/rest/sms/create"),
        ("GET", f"/rest/sms/{receipt.id}"),
        ("POST", "/api/auth/login"),
        ("GET", "/api/accounts/balance"),
    ]
    assert sent["httpx"] == sent["aiohttp"]
