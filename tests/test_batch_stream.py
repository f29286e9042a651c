"""Leaving an `OutcomeStream` early, in every way: the work stops, no task is left behind,
nothing is sent afterwards, and every recipient the service may hold but whose outcome the
caller did not get is in `unsettled`, exactly once."""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import aclosing, asynccontextmanager

import anyio
import anyio.lowlevel
import httpx
import pytest

from bsg_async import AsyncBSG, Failed, OutcomeStream, RetryPolicy, Sent
from bsg_async.models import Outcome

TEXT = {"text": "Sale", "sender": "BSG"}


class HoldingService:
    """BSG's Viber create endpoint that answers the first `answered` requests and holds every
    later one until it is cancelled, recording each request's references as it arrives."""

    def __init__(
        self,
        *,
        answered: int,
        expect_held: int = 0,
        refuse: frozenset[str] = frozenset(),
        break_on: frozenset[str] = frozenset(),
    ):
        self.answered = answered
        self.refuse = refuse  # msisdns refused with code 21: certainly not held by the service
        self.break_on = break_on  # a request with one of these msisdns gets a 500, every time
        self.sent: list[list[str]] = []
        self.held = 0  # requests waiting right now
        self.all_held = anyio.Event()  # set once `expect_held` requests wait at the same time
        self.expect_held = expect_held
        self.ids = itertools.count(1)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        phones = [to for m in json.loads(request.content)["messages"] for to in m["to"]]
        self.sent.append([p["reference"] for p in phones])
        if len(self.sent) > self.answered:
            self.held += 1
            if self.held >= self.expect_held:
                self.all_held.set()
            try:
                await anyio.sleep_forever()
            finally:
                self.held -= 1
        if any(p["msisdn"] in self.break_on for p in phones):
            return httpx.Response(500, text="proxy error")
        result = [
            {"error": 21, "errorDescription": "bad phone", "reference": p["reference"]}
            if p["msisdn"] in self.refuse
            else {"error": 0, "reference": p["reference"], "id": str(next(self.ids)), "price": 0.02}
            for p in phones
        ]
        return httpx.Response(200, json={"result": result, "error": 0, "task_id": "7"})

    @property
    def references(self) -> list[str]:
        """Every reference of every request that reached the service."""
        return [reference for request in self.sent for reference in request]


def numbers(count: int) -> list[str]:
    return [f"38097{i:07d}" for i in range(count)]


@asynccontextmanager
async def client(service: HoldingService) -> AsyncIterator[AsyncBSG]:
    """An open client of `service`; a stream that does not stop fails the test, not hangs it."""
    with anyio.fail_after(10):
        async with AsyncBSG(
            api_key="test_key",
            transport=httpx.MockTransport(service.handle),
            retry=RetryPolicy(max_attempts=3, base_delay=0.01),
        ) as bsg:
            yield bsg


def task_count() -> int:
    return len(asyncio.all_tasks())


# Each way of leaving gets an open client's stream over 100 recipients in chunks of 10 with 3
# workers, against a service that answers chunks 1 and 2 and holds every later one. Right after
# opening the stream it awaits `ready()`, which returns once chunks 3, 4 and 5 wait (so chunks 1
# and 2's outcomes wait for the caller); it takes outcomes into `delivered` and leaves.
Ready = Callable[[], Awaitable[None]]
Leave = Callable[[OutcomeStream, list[Outcome], Ready], Awaitable[None]]


async def leave_by_break(stream: OutcomeStream, delivered: list[Outcome], ready: Ready) -> None:
    async with stream:
        await ready()
        async for outcome in stream:
            delivered.append(outcome)
            if len(delivered) == 3:
                break


async def leave_by_exception(stream: OutcomeStream, delivered: list[Outcome], ready: Ready) -> None:
    async def take_three_then_fail() -> None:
        async with stream:
            await ready()
            async for outcome in stream:
                delivered.append(outcome)
                if len(delivered) == 3:
                    raise LookupError("the caller's own error")

    with pytest.raises(LookupError, match="the caller's own error"):  # unwrapped, unchanged
        await take_three_then_fail()


async def leave_by_cancellation(
    stream: OutcomeStream, delivered: list[Outcome], ready: Ready
) -> None:
    with anyio.CancelScope() as scope:
        async with stream:
            await ready()
            async for outcome in stream:
                delivered.append(outcome)
                if len(delivered) == 3:
                    scope.cancel()
                    await anyio.lowlevel.checkpoint()
    assert scope.cancelled_caught


async def leave_by_timeout_while_waiting(
    stream: OutcomeStream, delivered: list[Outcome], ready: Ready
) -> None:
    # Every answered outcome is taken; the loop then waits for held chunks until the deadline.
    with anyio.CancelScope() as scope:
        async with stream:
            await ready()
            scope.deadline = anyio.current_time() + 0.05
            async for outcome in stream:
                delivered.append(outcome)
    assert scope.cancelled_caught and len(delivered) == 20


async def leave_by_aclose(stream: OutcomeStream, delivered: list[Outcome], ready: Ready) -> None:
    outside = task_count()
    async with stream:
        await ready()
        async for outcome in stream:
            delivered.append(outcome)
            if len(delivered) == 3:
                await stream.aclose()  # the loop then ends: no break needed
                assert task_count() == outside  # every task ended before `aclose` returned
    assert len(delivered) == 3


async def leave_by_aclose_from_another_task(
    stream: OutcomeStream, delivered: list[Outcome], ready: Ready
) -> None:
    async with stream, anyio.create_task_group() as watchdog:
        await ready()
        async for outcome in stream:
            delivered.append(outcome)
            if len(delivered) == 3:
                watchdog.start_soon(stream.aclose)


async def leave_by_dropping_an_unfinished_iterator(
    stream: OutcomeStream, delivered: list[Outcome], ready: Ready
) -> None:
    async def outcomes_of(stream: OutcomeStream) -> AsyncIterator[Outcome]:
        async for outcome in stream:
            yield outcome

    async with stream:
        await ready()
        items = outcomes_of(stream)
        for _ in range(3):
            delivered.append(await anext(items))
        del items
        gc.collect()  # the unfinished generator is finalized by the event loop
        for _ in range(3):
            await anyio.lowlevel.checkpoint()


async def leave_a_generator_of_ones_own_closed_by_aclosing(
    stream: OutcomeStream, delivered: list[Outcome], ready: Ready
) -> None:
    # The documented way to wrap a stream in an async generator: `aclosing` ends the block in
    # this task when the loop is left, rather than in a finalizer's task some time later.
    async def outcomes() -> AsyncIterator[Outcome]:
        async with stream:
            await ready()
            async for outcome in stream:
                yield outcome

    async with aclosing(outcomes()) as items:
        async for outcome in items:
            delivered.append(outcome)
            if len(delivered) == 3:
                break


async def leave_without_iterating_to_the_end(
    stream: OutcomeStream, delivered: list[Outcome], ready: Ready
) -> None:
    async with stream:
        await ready()
        batch = await stream.batches()
        assert batch is not None
        delivered.extend(batch)  # one chunk's outcomes; the block then ends


WAYS: list[Leave] = [
    leave_by_break,
    leave_by_exception,
    leave_by_cancellation,
    leave_by_timeout_while_waiting,
    leave_by_aclose,
    leave_by_aclose_from_another_task,
    leave_by_dropping_an_unfinished_iterator,
    leave_a_generator_of_ones_own_closed_by_aclosing,
    leave_without_iterating_to_the_end,
]


@pytest.mark.parametrize("leave", WAYS, ids=lambda way: way.__name__)
async def test_leaving_early_stops_the_work_and_keeps_every_undelivered_recipient_unsettled(
    leave: Leave,
) -> None:
    service = HoldingService(answered=2, expect_held=3)
    delivered: list[Outcome] = []
    async with client(service) as bsg:
        before = task_count()
        stream = bsg.viber.stream_many(to=numbers(100), chunk_size=10, concurrency=3, **TEXT)

        async def ready() -> None:
            with anyio.fail_after(5):
                await service.all_held.wait()

        await leave(stream, delivered, ready)
        tasks_after = task_count()
        held_after = service.held
        sent_at_exit = len(service.sent)
        await anyio.sleep(0.02)  # anything still running would now reach the service
        sent_later = len(service.sent)

    assert tasks_after == before  # no task of the stream is left
    assert held_after == 0  # the requests in flight were cancelled, none still waits
    assert sent_later == sent_at_exit == 5  # nothing was sent after leaving
    taken = {outcome.reference for outcome in delivered}
    unsettled = [recipient.reference for recipient in stream.unsettled]
    # Exactly the recipients whose request left and whose outcome the caller did not get:
    # those buffered from answered chunks (accepted), and those of the held chunks.
    assert len(unsettled) == len(set(unsettled))
    assert set(unsettled) == set(service.references) - taken
    assert len(unsettled) == 50 - len(delivered)


async def test_outcomes_received_while_progress_is_reported_stay_unsettled() -> None:
    # The caller is cancelled inside its own progress callback, right after the stream took a
    # chunk's outcomes from the workers: none of them reached the caller, all are unsettled.
    service = HoldingService(answered=1, expect_held=2)
    progress_calls: list[tuple[int, int | None]] = []

    async with client(service) as bsg:
        with anyio.CancelScope() as scope:

            async def progress(done: int, total: int | None) -> None:
                progress_calls.append((done, total))
                scope.cancel()
                await anyio.sleep_forever()

            stream = bsg.viber.stream_many(
                to=numbers(40), chunk_size=10, concurrency=2, on_progress=progress, **TEXT
            )
            async with stream:
                await service.all_held.wait()
                async for _ in stream:
                    raise AssertionError("no outcome reaches the caller")

    assert scope.cancelled_caught and progress_calls == [(10, 40)]
    unsettled = {recipient.reference for recipient in stream.unsettled}
    assert unsettled == set(service.references) and len(unsettled) == 30


async def test_recipients_certainly_refused_are_not_unsettled_but_accepted_ones_are() -> None:
    refused = numbers(10)[3]
    service = HoldingService(answered=2, expect_held=1, refuse=frozenset({refused}))
    async with client(service) as bsg:
        stream = bsg.viber.stream_many(to=numbers(30), chunk_size=10, concurrency=1, **TEXT)
        async with stream:
            first = await anext(stream)
            await service.all_held.wait()
    # Chunk 1 answered (one refused), chunk 2 answered and waiting, chunk 3 held.
    unsettled = [recipient.to for recipient in stream.unsettled]
    assert refused not in unsettled
    assert sorted(unsettled) == sorted(set(numbers(30)) - {refused, first.recipient.to})


async def test_recipients_of_a_chunk_that_may_have_been_accepted_stay_unsettled() -> None:
    # Chunk 1 fails after three 500s (the service may have taken it); chunk 2 is held.
    service = HoldingService(answered=3, expect_held=1, break_on=frozenset(numbers(10)))
    async with client(service) as bsg:
        stream = bsg.viber.stream_many(to=numbers(30), chunk_size=10, concurrency=1, **TEXT)
        async with stream:
            first = await anext(stream)
            await service.all_held.wait()
    assert isinstance(first, Failed) and first.may_have_been_accepted
    unsettled = [recipient.to for recipient in stream.unsettled]
    assert sorted(unsettled) == sorted(set(numbers(20)) - {first.recipient.to})


async def test_a_stream_that_runs_to_its_end_leaves_nothing_unsettled_and_no_task() -> None:
    service = HoldingService(answered=10)
    async with client(service) as bsg:
        before = task_count()
        async with bsg.viber.stream_many(to=numbers(45), chunk_size=10, **TEXT) as stream:
            outcomes = [outcome async for outcome in stream]
            assert await stream.batches() is None  # the end stays the end
        assert task_count() == before
    assert sorted(outcome.index for outcome in outcomes) == list(range(45))
    assert all(isinstance(outcome, Sent) for outcome in outcomes)
    assert stream.unsettled == () and stream.done == 45


async def test_a_plain_async_for_is_refused_before_anything_is_read_or_sent() -> None:
    service = HoldingService(answered=10)
    read: list[str] = []

    def source() -> Iterator[str]:
        for number in numbers(30):
            read.append(number)
            yield number

    async with client(service) as bsg:
        before = task_count()
        stream = bsg.viber.stream_many(to=source(), **TEXT)
        with pytest.raises(RuntimeError, match=r"async with bsg\.sms\.stream_many\(\.\.\.\)"):
            aiter(stream)  # what `async for` calls first
        with pytest.raises(RuntimeError, match="open the stream before iterating it"):
            await anext(stream)
        with pytest.raises(RuntimeError, match="open the stream before iterating it"):
            await stream.batches()
        assert task_count() == before
    assert read == [] and service.sent == [] and stream.unsettled == ()


async def test_a_stream_dropped_unopened_reads_and_sends_nothing() -> None:
    service = HoldingService(answered=10)
    read: list[str] = []

    def source() -> Iterator[str]:
        for number in numbers(30):
            read.append(number)
            yield number

    async with client(service) as bsg:
        before = task_count()
        stream = bsg.viber.stream_many(to=source(), **TEXT)
        del stream
        gc.collect()
        await anyio.sleep(0.01)
        assert task_count() == before
    assert read == [] and service.sent == []


async def test_a_stream_is_opened_once_and_not_iterated_after_its_block() -> None:
    service = HoldingService(answered=10)
    async with client(service) as bsg:
        stream = bsg.viber.stream_many(to=numbers(5), **TEXT)
        async with stream:
            with pytest.raises(RuntimeError, match="opened only once"):
                await stream.__aenter__()
        with pytest.raises(RuntimeError, match="closed"):
            aiter(stream)
        with pytest.raises(RuntimeError, match="closed"):
            await anext(stream)
        await stream.aclose()  # after the block: nothing to do


async def test_aclose_before_the_block_means_the_stream_never_opens() -> None:
    service = HoldingService(answered=10)
    async with client(service) as bsg:
        stream = bsg.viber.stream_many(to=numbers(5), **TEXT)
        await stream.aclose()
        with pytest.raises(RuntimeError, match="opened only once"):
            async with stream:
                raise AssertionError("the block does not run")
    assert service.sent == []


async def test_aclose_right_after_opening_reads_no_input_and_sends_nothing() -> None:
    service = HoldingService(answered=10)
    read: list[str] = []

    def source() -> Iterator[str]:
        for number in numbers(30):
            read.append(number)
            yield number

    async with client(service) as bsg, bsg.viber.stream_many(to=source(), **TEXT) as stream:
        await stream.aclose()
        assert [outcome async for outcome in stream] == []
    assert read == [] and service.sent == [] and stream.unsettled == ()


def test_a_stream_can_be_made_before_any_event_loop_runs() -> None:
    # Like the client itself: only opening the stream needs the loop.
    bsg = AsyncBSG(api_key="test_key")
    stream = bsg.viber.stream_many(to=numbers(3), **TEXT)
    assert stream.total == 3 and stream.unsettled == ()


async def test_a_stream_cancelled_while_its_input_finishes_a_shielded_read_stops_cleanly() -> None:
    # An async input may finish a read even when cancelled: the CLI's campaign claims rows from
    # its journal in a worker thread, shielded. A stream cancelled meanwhile must stop with the
    # cancellation, not with an error from handing the rows to workers already gone.
    released = anyio.Event()
    calls = 0

    class JournalLikeInput:
        def __aiter__(self) -> JournalLikeInput:
            return self

        async def __anext__(self) -> str:
            nonlocal calls
            calls += 1
            if calls > 1:
                with anyio.CancelScope(shield=True):  # like anyio.to_thread.run_sync
                    await released.wait()
            return numbers(3)[calls - 1]

    async def handle(request: httpx.Request) -> httpx.Response:
        try:
            await anyio.sleep_forever()
        finally:
            released.set()  # the input's read completes once the workers are gone
        raise AssertionError("unreachable")

    async with AsyncBSG(api_key="test_key", transport=httpx.MockTransport(handle)) as bsg:
        stream = bsg.viber.stream_many(to=JournalLikeInput(), chunk_size=1, concurrency=1, **TEXT)
        with anyio.fail_after(5), anyio.CancelScope() as scope:
            async with stream:
                await anyio.wait_all_tasks_blocked()
                scope.cancel()

    assert scope.cancelled_caught and calls == 2
    assert [recipient.to for recipient in stream.unsettled] == numbers(1)


# -- a send of one chunk -----------------------------------------------------------------------


async def test_a_send_of_one_chunk_takes_few_turns_of_the_event_loop() -> None:
    """A campaign store's worker sends each claim as a `send_many` of one chunk, on a loop
    busy with the answers of other sends: every turn of the loop such a send waits for is
    time its request is not in flight (3 to 4 ms a turn in the benchmark, where six turns
    left a worker's request slots idle a fifth of the time). The request leaves in the turn
    the send starts and the send returns two turns after the answer: the stream's own task
    sends the chunk and closes the stream's end, and no task group is left that holds no
    task. (A task counts the turns, one checkpoint each.)"""
    service = HoldingService(answered=10)
    turns = 0
    arrived: list[int] = []
    handle = service.handle

    async def counted(request: httpx.Request) -> httpx.Response:
        arrived.append(turns)
        return await handle(request)

    service.handle = counted  # type: ignore[method-assign]

    async def count() -> None:
        nonlocal turns
        while True:
            turns += 1
            await anyio.lowlevel.checkpoint()

    async with client(service) as bsg, anyio.create_task_group() as group:
        group.start_soon(count)
        await anyio.lowlevel.checkpoint()
        for _ in range(3):
            start = turns
            report = await bsg.viber.send_many(to=numbers(10), chunk_size=10, **TEXT)
            assert arrived[-1] - start <= 1
            assert turns - start <= 3
            assert len(report.succeeded) == 10
        group.cancel_scope.cancel()


async def test_a_stream_runs_one_task_per_chunk_in_flight_its_own_included() -> None:
    """`concurrency=8` over 25 recipients in chunks of 10: three requests in flight and three
    tasks, the stream's own sending one chunk; no worker is started for a chunk the input
    does not have."""
    service = HoldingService(answered=0, expect_held=3)
    async with client(service) as bsg:
        before = task_count()
        async with bsg.viber.stream_many(
            to=numbers(25), chunk_size=10, concurrency=8, **TEXT
        ) as stream:
            await service.all_held.wait()
            assert task_count() - before == 3  # the stream's task, which sends too, and two more
            await stream.aclose()
        assert task_count() == before
        assert len(stream.unsettled) == 25
