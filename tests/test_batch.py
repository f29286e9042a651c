"""The batcher: chunking, order, duplicates, retries, exactly-once, progress, laziness, cancel."""

from __future__ import annotations

import itertools
import json
import re
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

import bsg_async._ratelimit
from bsg_async import (
    AsyncBSG,
    BatchReport,
    BatchSendError,
    DuplicateReferenceError,
    Failed,
    InvalidParameterError,
    InvalidRequestError,
    LookupFailed,
    NotFoundError,
    Recipient,
    RetryPolicy,
    Sent,
    ServerError,
    SmsFallback,
    TransportError,
    ViberReport,
)

HEX32 = re.compile(r"[0-9a-f]{32}")


class Service:
    """A minimal stand-in for BSG's create endpoints: accepts each reference once.

    `script` lists what happens to the next create requests: `None` (answer normally),
    `"lost"` (process, then lose the answer), `"500"`, `"connect"` (refuse before processing).
    """

    def __init__(
        self,
        *,
        script: list[str | None] | None = None,
        reject: set[str] = frozenset(),
        hold: int = 0,
    ):
        self.script = list(script or [])
        self.hold = hold  # each request waits (bounded) until this many are in flight
        self.company = anyio.Event()
        self.reject = reject  # msisdns refused with code 21
        self.accepted: dict[str, int] = {}  # reference -> id
        self.acceptances: dict[str, int] = {}  # reference -> times accepted
        self.creates: list[list[str]] = []  # references of each create request
        self.in_flight = 0
        self.max_in_flight = 0
        self.ids = itertools.count(10_000)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        if self.company.is_set() and self.in_flight < self.hold:
            self.company = anyio.Event()  # a new round of waiting for company
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.in_flight >= self.hold:
                self.company.set()
            with anyio.move_on_after(0.5):  # bounded: the last requests may never see company
                await self.company.wait()
            if request.method == "GET":
                return self._status(request)
            fault = self.script.pop(0) if self.script else None
            if fault == "connect":
                raise httpx.ConnectError("refused", request=request)
            if fault == "500":
                return httpx.Response(500, text="proxy error")
            answer = self._create(json.loads(request.content))
            if fault == "lost":
                raise httpx.ReadTimeout("answer lost", request=request)
            return answer
        finally:
            self.in_flight -= 1

    def _create(self, body: dict[str, Any]) -> httpx.Response:
        viber = "messages" in body
        phones = [to for m in body["messages"] for to in m["to"]] if viber else body["phones"]
        self.creates.append([p["reference"] for p in phones])
        result = []
        for phone in phones:
            ref = phone["reference"]
            if phone["msisdn"] in self.reject:
                result.append({"error": 21, "errorDescription": "bad phone", "reference": ref})
            elif ref in self.accepted:
                code = 43 if viber else 23
                result.append({"error": code, "errorDescription": "exists", "reference": ref})
            else:
                self.accepted[ref] = next(self.ids)
                self.acceptances[ref] = self.acceptances.get(ref, 0) + 1
                result.append(
                    {
                        "error": 0,
                        "reference": ref,
                        "id": str(self.accepted[ref]),
                        "price": "0.02" if viber else 0.01,
                        "currency": "EUR",
                    }
                )
        return httpx.Response(200, json={"result": result, "error": 0, "task_id": "7"})

    def _status(self, request: httpx.Request) -> httpx.Response:
        ref = request.url.path.rsplit("/", 1)[-1]
        if "/reference/" in request.url.path and ref in self.accepted:
            return httpx.Response(
                200,
                json={
                    "error": 0,
                    "id": str(self.accepted[ref]),
                    "reference": ref,
                    "status": "sent",
                    "price": "0.02",
                    "currency": "EUR",
                },
            )
        if ref.isdigit() and int(ref) in self.accepted.values():
            return httpx.Response(200, json={"error": 0, "id": ref, "status": "delivered"})
        return httpx.Response(200, json={"error": 40, "errorDescription": "Message not found"})


def numbers(count: int, prefix: str = "38097") -> list[str]:
    return [f"{prefix}{i:07d}" for i in range(count)]


def client(service: Service, **options: Any) -> AsyncBSG:
    options.setdefault("retry", RetryPolicy(max_attempts=3, base_delay=0.01))
    return AsyncBSG(api_key="test_key", transport=service.transport(), **options)


VIBER = {
    "text": "Sale",
    "sender": "BSG",
    "sms_fallback": SmsFallback(text="Sale", sender="BSG"),
}


async def test_viber_send_many_chunks_by_50_and_keeps_input_order() -> None:
    service = Service()
    async with client(service) as bsg:
        report = await bsg.viber.send_many(to=numbers(120), **VIBER)

    assert [len(c) for c in service.creates] == [50, 50, 20]
    assert [o.index for o in report.outcomes] == list(range(120))
    assert [o.recipient.to for o in report.succeeded] == numbers(120)
    assert all(isinstance(o, Sent) and o.id == service.accepted[o.reference] for o in report)
    assert report.total_price == {"EUR": Decimal("2.40")}
    assert len(report.failed) == 0
    report.raise_for_failures()  # nothing failed: no error


async def test_generated_references_are_32_hex_unique_and_fixed_before_sending() -> None:
    service = Service(script=["lost"])
    async with client(service) as bsg:
        report = await bsg.viber.send_many(to=numbers(50), **VIBER)

    references = [o.reference for o in report.outcomes]
    assert all(HEX32.fullmatch(r) for r in references)
    assert len(set(references)) == 50
    assert service.creates[0] == service.creates[1] == references  # the retry reused them


async def test_sms_send_many_uses_bulk_chunks_of_chunk_size() -> None:
    service = Service()
    async with client(service) as bsg:
        report = await bsg.sms.send_many(to=numbers(2500), text="Hi", sender="Shop")
        small = await bsg.sms.send_many(
            to=numbers(10, "38066"), text="Hi", sender="Shop", chunk_size=4
        )

    assert [len(c) for c in service.creates[:3]] == [1000, 1000, 500]
    assert [len(c) for c in service.creates[3:]] == [4, 4, 2]
    assert len(report.succeeded) == 2500 and len(small.succeeded) == 10
    assert report.total_price == {"EUR": Decimal("25.00")}


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"chunk_size": 51}, "chunk_size"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"concurrency": 0}, "concurrency"),
        ({"text": ""}, "text"),
        ({"sender": "x" * 15}, "sender"),
        ({"validity": timedelta(seconds=10)}, "validity"),
        ({"button_caption": "Go"}, "button_url"),
    ],
)
async def test_bad_shared_options_raise_before_any_request(
    options: dict[str, Any], field: str
) -> None:
    service = Service()
    async with client(service) as bsg:
        with pytest.raises(InvalidParameterError) as caught:
            await bsg.viber.send_many(to=numbers(3), **{**VIBER, **options})
    assert caught.value.field == field
    assert service.creates == []


async def test_sms_chunk_size_is_capped() -> None:
    async with client(Service()) as bsg:
        with pytest.raises(InvalidParameterError, match="chunk_size"):
            await bsg.sms.send_many(to=numbers(3), text="Hi", sender="Shop", chunk_size=10_001)


async def test_a_string_is_not_taken_for_a_list_of_recipients() -> None:
    async with client(Service()) as bsg:
        with pytest.raises(InvalidParameterError, match="recipients"):
            await bsg.viber.send_many(to="380970000001", **VIBER)  # type: ignore[arg-type]


async def test_invalid_numbers_and_duplicate_references_fail_alone_and_are_never_sent() -> None:
    service = Service()
    recipients: list[Any] = [
        "380970000001",
        "not-a-number",
        Recipient("380970000002", reference="r-1"),
        Recipient("380970000003", reference="r-1"),  # same reference again
        12345,
    ]
    async with client(service) as bsg:
        report = await bsg.viber.send_many(to=recipients, **VIBER)

    kinds = [type(o).__name__ for o in report.outcomes]
    assert kinds == ["Sent", "Failed", "Sent", "Failed", "Failed"]
    bad, dup, wrong_type = report.failed
    assert isinstance(bad.error, InvalidParameterError) and bad.error.field == "to"
    assert bad.recipient == "not-a-number" and not bad.may_have_been_accepted
    assert isinstance(dup.error, InvalidParameterError) and dup.reference == "r-1"
    assert isinstance(wrong_type.error, InvalidParameterError)
    assert service.acceptances == dict.fromkeys(service.accepted, 1)
    assert sum(len(c) for c in service.creates) == 2


async def test_rejected_recipients_are_failed_with_the_service_code() -> None:
    service = Service(reject={"380970000001"})
    async with client(service) as bsg:
        report = await bsg.viber.send_many(to=numbers(3), **VIBER)

    [failed] = report.failed
    assert failed.index == 1 and isinstance(failed.error, InvalidRequestError)
    assert failed.error.code == 21 and not failed.may_have_been_accepted
    assert len(report.succeeded) == 2
    with pytest.raises(BatchSendError) as caught:
        report.raise_for_failures()
    assert caught.value.failures == (failed,) and caught.value.total == 3


async def test_a_chunk_given_up_after_5xx_fails_exactly_its_recipients_as_maybe_accepted() -> None:
    service = Service(script=[None, "500", "500", "500"])
    async with client(service, retry=RetryPolicy(max_attempts=3)) as bsg:
        report = await bsg.viber.send_many(to=numbers(100), concurrency=1, **VIBER)

    assert [o.index for o in report.succeeded] == list(range(50))
    assert [o.index for o in report.failed] == list(range(50, 100))
    assert all(isinstance(f.error, ServerError) and f.may_have_been_accepted for f in report.failed)


async def test_a_chunk_refused_before_sending_is_failed_but_certainly_not_accepted() -> None:
    service = Service(script=["connect"] * 3)
    async with client(service) as bsg:
        report = await bsg.viber.send_many(to=numbers(5), **VIBER)

    assert all(isinstance(f.error, TransportError) for f in report.failed)
    assert not any(f.may_have_been_accepted for f in report.failed)
    assert service.accepted == {}


async def test_lost_answer_is_retried_and_resolved_exactly_once() -> None:
    service = Service(script=["lost", None, "lost"])
    async with client(service) as bsg:
        report = await bsg.viber.send_many(to=numbers(60), concurrency=1, **VIBER)

    assert len(report.succeeded) == 60
    assert all(n == 1 for n in service.acceptances.values())
    assert {o.reference: o.id for o in report.succeeded} == service.accepted


async def test_resume_reports_already_accepted_references_as_sent() -> None:
    service = Service()
    recipients = [Recipient(n, reference=f"camp1-{i}") for i, n in enumerate(numbers(80))]
    async with client(service) as bsg:
        first = await bsg.viber.send_many(to=recipients[:30], **VIBER)
        fresh = await bsg.viber.send_many(to=recipients, **VIBER)
        resumed = await bsg.viber.send_many(to=recipients, resume=True, **VIBER)

    assert len(first.succeeded) == 30
    # Without resume, a reference the service holds is the caller's duplicate: refused.
    assert all(isinstance(f.error, DuplicateReferenceError) for f in fresh.failed)
    assert len(fresh.failed) == 30
    # With resume, everything is Sent with the ids the service holds, and nothing twice.
    assert len(resumed.succeeded) == 80
    assert {o.reference: o.id for o in resumed.succeeded} == service.accepted
    assert all(n == 1 for n in service.acceptances.values())


async def test_concurrency_bounds_requests_in_flight() -> None:
    service = Service(hold=3)  # requests wait for company, so 3 are surely in flight at once
    async with client(service) as bsg:
        await bsg.viber.send_many(to=numbers(500), concurrency=3, **VIBER)
    assert service.max_in_flight == 3


async def test_client_max_concurrency_also_bounds_batches() -> None:
    service = Service(hold=3)  # would reach 3 in flight if the client let it
    async with client(service, max_concurrency=2) as bsg:
        await bsg.viber.send_many(to=numbers(200), concurrency=8, **VIBER)
    assert service.max_in_flight == 2


async def test_progress_is_reported_with_total_for_sized_input() -> None:
    calls: list[tuple[int, int | None]] = []
    async with client(Service()) as bsg:
        await bsg.viber.send_many(
            to=numbers(120), on_progress=lambda d, t: calls.append((d, t)), **VIBER
        )
    assert calls[-1] == (120, 120)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    assert len(calls) == 3


async def test_progress_total_is_none_for_a_generator_and_async_callbacks_are_awaited() -> None:
    calls: list[tuple[int, int | None]] = []

    async def progress(done: int, total: int | None) -> None:
        await anyio.lowlevel.checkpoint()
        calls.append((done, total))

    async with client(Service()) as bsg:
        await bsg.viber.send_many(to=iter(numbers(70)), on_progress=progress, **VIBER)
    assert calls[-1] == (70, None)


async def test_async_iterable_input_is_accepted() -> None:
    async def source() -> AsyncIterator[str]:
        for number in numbers(75):
            await anyio.lowlevel.checkpoint()
            yield number

    async with client(Service()) as bsg:
        report = await bsg.viber.send_many(to=source(), **VIBER)
    assert [o.recipient.to for o in report.succeeded] == numbers(75)


async def test_input_is_read_only_as_far_as_the_chunks_in_flight_need() -> None:
    read = 0
    high_water: list[int] = []

    def source() -> Iterator[str]:
        nonlocal read
        for number in numbers(10_000):
            read += 1
            yield number

    async with (
        client(Service()) as bsg,
        bsg.viber.stream_many(to=source(), concurrency=2, **VIBER) as stream,
    ):
        async for outcome in stream:
            high_water.append(read - outcome.index)
    # Ahead of what was delivered: the chunks in flight, the buffered ones and one being built.
    assert max(high_water) <= (2 + 2 + 2) * 50
    assert read == 10_000


async def test_stream_many_yields_every_recipient_exactly_once() -> None:
    async with client(Service()) as bsg, bsg.viber.stream_many(to=numbers(333), **VIBER) as stream:
        seen = [o.index async for o in stream]
    assert sorted(seen) == list(range(333))


async def test_leaving_stream_early_stops_sending_and_names_the_unsettled() -> None:
    service = Service()
    async with client(service) as bsg:
        async with bsg.viber.stream_many(to=numbers(5000), concurrency=2, **VIBER) as stream:
            received = []
            async for outcome in stream:
                received.append(outcome)
                if len(received) == 60:
                    break
        sent_at_exit = sum(len(c) for c in service.creates)
        await anyio.sleep(0.01)
        unsettled = stream.unsettled

    assert sum(len(c) for c in service.creates) == sent_at_exit  # nothing sent after exit
    assert sent_at_exit < 5000
    delivered = {o.reference for o in received}
    # Every accepted reference was either delivered to us or is listed as unsettled.
    assert set(service.accepted) <= delivered | {r.reference for r in unsettled}
    assert delivered.isdisjoint(r.reference for r in unsettled)


async def test_cancelling_send_many_stops_all_sending_before_it_returns() -> None:
    service = Service()
    async with client(service) as bsg:
        with anyio.move_on_after(0.05) as scope:
            recipients = (n for n in itertools.islice(itertools.cycle(numbers(10)), 10**9))
            # an endless input: only cancellation ends this call
            await bsg.viber.send_many(to=recipients, concurrency=4, **VIBER)
        requests_when_cancelled = len(service.creates)
        await anyio.sleep(0.02)

    assert scope.cancelled_caught
    assert len(service.creates) == requests_when_cancelled
    assert all(n == 1 for n in service.acceptances.values())


async def test_an_error_in_the_input_iterator_propagates_unwrapped() -> None:
    def source() -> Iterator[str]:
        yield "380970000001"
        raise LookupError("input broke")

    async with client(Service()) as bsg:
        with pytest.raises(LookupError, match="input broke"):
            await bsg.viber.send_many(to=source(), **VIBER)


async def test_get_many_reads_ids_and_references_in_input_order() -> None:
    service = Service()
    async with client(service) as bsg:
        report = await bsg.viber.send_many(to=numbers(3), **VIBER)
        first, second, _ = report.succeeded
        results = await bsg.viber.get_many([first.id, second.reference, "missing", 424242])

    assert isinstance(results[0], ViberReport) and results[0].id == first.id
    assert isinstance(results[1], ViberReport) and results[1].id == second.id
    assert isinstance(results[2], LookupFailed) and results[2].key == "missing"
    assert isinstance(results[2].error, NotFoundError)
    assert isinstance(results[3], LookupFailed) and results[3].index == 3


async def test_get_many_refuses_a_bad_key_before_any_request() -> None:
    service = Service()
    async with client(service) as bsg:
        with pytest.raises(InvalidParameterError) as caught:
            await bsg.sms.get_many([211, 0])
    assert caught.value.field == "keys[1]"


async def test_sms_get_many_takes_a_digit_string_as_a_reference() -> None:
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(200, json={"error": 0, "id": "211", "status": "sent"})

    async with AsyncBSG(api_key="k", transport=httpx.MockTransport(handler)) as bsg:
        await bsg.sms.get_many(["211", 211], concurrency=1)
    assert paths == ["/rest/sms/reference/211", "/rest/sms/211"]


async def test_report_totals_are_per_currency() -> None:
    recipient = Recipient("380970000001", "a")
    report = BatchReport(
        (
            Sent(0, recipient, 1, Decimal("0.1"), "EUR"),
            Sent(1, recipient, 2, Decimal("0.2"), "USD"),
            Sent(2, recipient, 3, Decimal("0.3"), "EUR"),
            Sent(3, recipient, 4, None, "EUR"),
            Failed(4, recipient, "a", InvalidParameterError("x", 1, "bad")),
        )
    )
    assert report.total_price == {"EUR": Decimal("0.4"), "USD": Decimal("0.2")}
    assert len(report) == 5 and len(report.succeeded) == 4 and len(report.failed) == 1


class VirtualClock:
    """The rate limiter's clock and sleep on virtual time: a wait moves the clock on to its
    end, so the schedule the limiter gives is exact whatever the machine's load."""

    def __init__(self) -> None:
        self.now = 0.0
        self.wait_ends: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        end = self.now + seconds
        self.wait_ends.append(end)
        await anyio.lowlevel.checkpoint()
        self.now = max(self.now, end)


@pytest.fixture
def virtual_clock(monkeypatch: pytest.MonkeyPatch) -> VirtualClock:
    clock = VirtualClock()
    monkeypatch.setattr(bsg_async._ratelimit, "rate_clock", clock.time)
    monkeypatch.setattr(bsg_async._ratelimit, "rate_sleep", clock.sleep)
    return clock


async def test_the_rate_limit_spaces_requests_and_saves_no_burst_while_idle(
    virtual_clock: VirtualClock,
) -> None:
    arrivals: list[float] = []

    def handle(request: httpx.Request) -> httpx.Response:
        arrivals.append(virtual_clock.now)
        return httpx.Response(200, json={"error": 0, "id": "211", "status": "sent"})

    async with AsyncBSG(api_key="k", transport=httpx.MockTransport(handle), rate_limit=4) as bsg:
        await bsg.sms.get(211)
        await bsg.sms.get(211)
        virtual_clock.now += 0.6  # idle for more than two intervals
        await bsg.sms.get(211)
        await bsg.sms.get(211)

    # 4 per second: 250 ms apart; after an idle spell the next request goes at once, but the
    # idle time is not saved up for a burst.
    assert arrivals == pytest.approx([0.0, 0.25, 0.85, 1.10])


@pytest.mark.parametrize("rate", [0, -1, True, "5"])
def test_rate_limit_must_be_positive(rate: Any) -> None:
    with pytest.raises(InvalidParameterError, match="rate_limit"):
        AsyncBSG(api_key="k", rate_limit=rate)


async def test_client_rate_limit_is_honoured_by_concurrent_batch_requests(
    virtual_clock: VirtualClock,
) -> None:
    service = Service()
    async with AsyncBSG(
        api_key="test_key", transport=httpx.MockTransport(service.handle), rate_limit=20
    ) as bsg:
        report = await bsg.viber.send_many(to=numbers(200), concurrency=4, **VIBER)

    # 4 requests at 20/s: the first goes at once, then one every 50 ms, four workers or not.
    assert len(report.succeeded) == 200
    assert sorted(virtual_clock.wait_ends) == pytest.approx([0.05, 0.10, 0.15])


def stateless_transport() -> httpx.MockTransport:
    """Accepts everything and remembers nothing, so only the SDK's memory is measured."""
    ids = itertools.count(1)

    def handle(request: httpx.Request) -> httpx.Response:
        phones = json.loads(request.content)["phones"]
        result = [
            {"error": 0, "reference": p["reference"], "id": next(ids), "price": "0.01"}
            for p in phones
        ]
        return httpx.Response(200, json={"result": result, "currency": "EUR"})

    return httpx.MockTransport(handle)


@pytest.mark.slow
async def test_stream_many_memory_stays_flat_over_200k_recipients() -> None:
    def source() -> Iterator[str]:
        for i in range(200_000):
            yield f"38097{i:07d}"

    count = 0
    tracemalloc.start()
    try:
        async with (
            AsyncBSG(api_key="k", transport=stateless_transport()) as bsg,
            bsg.sms.stream_many(to=source(), text="Hi", sender="Shop", chunk_size=1000) as stream,
        ):
            async for _ in stream:
                count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 200_000
    # Holding 200k outcomes would take well over 60 MB; a flat stream holds a few chunks.
    assert peak < 16 * 1024 * 1024
