"""High-volume sends: chunking, bounded concurrency, exactly-once outcomes.

`OutcomeStream` is the one engine behind `send_many` and `stream_many` of every channel:

```
recipients ──(`_Chunker`: validate, fix references, refuse duplicates)──► chunks
    chunks ──(`concurrency` workers: one request per chunk, retried by the pipeline)──► outcomes
  outcomes ──(the caller's task: `async for`, progress)──► Sent | Failed, one per recipient
```

The input is read lazily. A plain iterable is read by the workers themselves, each taking the
next chunk when it is free, so at most `concurrency` chunks are held at a time, whatever the
input's length; an async iterable is read by a producer task that hands each chunk over only
when a worker is free (one more chunk held). Every reference is fixed (the caller's, or 32
generated hex characters) before the chunk's first attempt; the pipeline resends the same bytes
on every retry and resolves "reference already exists" after an uncertain attempt (see
`_sending`). A chunk that finally fails becomes `Failed` outcomes for exactly its recipients.
Nothing runs outside the stream's task group, and only the caller's `async with stream:` enters
and leaves that group (anyio's rule: a task group is owned by an `async with`, never entered from
an `__anext__`). Inside it one task runs the send in a cancel scope of its own; leaving the block
in any way, or `aclose()`, cancels that scope, so the work in flight is abandoned, nothing more is
sent and no task is left. Outcomes cross from the workers to the caller through a memory object
stream; a chunk counts as unsettled from before its request starts until its outcomes are
handed to the caller.
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Iterator, Sized
from operator import attrgetter
from types import TracebackType
from typing import Any, Literal, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from . import _validation as rules
from ._sending import Chunk
from .errors import BSGError, InvalidParameterError
from .models import Recipient
from .models.batch import BatchReport, Failed, LookupFailed, Outcome, Sent

__all__ = ["OutcomeStream", "ProgressCallback", "Recipients"]

Recipients = Iterable[str | Recipient] | AsyncIterable[str | Recipient]
"""Any list, iterable or async iterable of phone numbers or `Recipient`s."""

ProgressCallback = Callable[[int, int | None], Any]
"""`on_progress(done, total)`: plain or async; `total` is `None` for an input of unknown length."""

SendChunk = Callable[[Chunk], Awaitable[list[Outcome]]]
_Delivery = tuple[int | None, list[Outcome]]  # (dispatched chunk's key, its outcomes)
_Piece = tuple[Chunk, list[Outcome]]  # a chunk to send and rejections to report; either empty

_State = Literal["new", "open", "stopped", "closed"]  # "stopped": by `aclose`, block not left

R = TypeVar("R")


def _check_batch_options(chunk_size: int, concurrency: int, *, max_chunk: int) -> tuple[int, int]:
    """Validate `chunk_size` (1 to `max_chunk`) and `concurrency` (1 to 1,000)."""
    return (
        rules.integer(chunk_size, "chunk_size", (1, max_chunk)),
        rules.integer(concurrency, "concurrency", (1, 1000)),
    )


class OutcomeStream:
    """The outcomes of a high-volume send, as its chunks complete (in completion order).

    Open it with `async with`, then iterate; nothing is sent before the block is entered, and
    leaving it in any way (the loop's end, `break`, an exception, a cancellation) cancels the
    requests in flight and sends nothing more:

    ```python
    async with bsg.viber.stream_many(to=recipients, text="Hi", sender="BSG") as outcomes:
        async for outcome in outcomes:
            ...
    ```

    The stream's tasks live in a task group that only this `async with` enters and leaves, so
    no task outlives the block. Iterating a stream that is not open (a plain
    `async for outcome in bsg.viber.stream_many(...)`) raises `RuntimeError` before anything
    is sent: there would be no block to end its work. For the outcomes of a whole batch in
    input order, `send_many` opens and closes the stream for you. Streams are made by
    `bsg.sms.stream_many` and `bsg.viber.stream_many`, not constructed directly.

    To hand the outcomes on from an async generator of your own (which `yield`s inside the
    block), close that generator with `contextlib.aclosing`, so that the block ends in your
    task when your loop ends, not later in a garbage collector's:

    ```python
    async with contextlib.aclosing(my_outcomes(bsg)) as outcomes:
        async for outcome in outcomes:
            ...
    ```
    """

    def __init__(
        self,
        recipients: Recipients,
        send_chunk: SendChunk,
        *,
        chunk_size: int,
        concurrency: int,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        if isinstance(recipients, str | Recipient) or not isinstance(
            recipients, Iterable | AsyncIterable
        ):
            raise InvalidParameterError(
                "recipients", recipients, "expected an iterable of phone numbers or Recipients"
            )
        self._recipients = recipients
        self._send_chunk = send_chunk
        self._chunk_size = chunk_size
        self._concurrency = concurrency
        self._on_progress = on_progress
        self.total: int | None = len(recipients) if isinstance(recipients, Sized) else None
        """The number of input recipients, or `None` when the input has no length."""
        self.done = 0
        """Outcomes received from the finished chunks so far."""
        self._state: _State = "new"
        self._group: TaskGroup | None = None  # entered in __aenter__, left in __aexit__ only
        self._work: anyio.CancelScope | None = None  # around the send's tasks; cancel to stop
        self._stopped: anyio.Event | None = None  # set once every task of the send has ended
        self._receive: MemoryObjectReceiveStream[_Delivery] | None = None
        self._dispatched: dict[int, Chunk] = {}  # chunks started, outcomes not yet received
        self._buffer: deque[Outcome] = deque()  # received, not yet handed to the caller

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> OutcomeStream:
        if self._state != "new":
            raise RuntimeError("an OutcomeStream can be opened only once")
        self._state = "open"
        outcomes_in, self._receive = anyio.create_memory_object_stream[_Delivery](self._concurrency)
        self._work, self._stopped = anyio.CancelScope(), anyio.Event()
        group = anyio.create_task_group()
        await group.__aenter__()
        self._group = group
        # anyio starts every task it was given, cancelled or not: `_run` always reaches its
        # `finally`, so `_stopped` is set however early the stream is left.
        group.start_soon(self._run, outcomes_in, self._work, self._stopped)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        group, self._group = self._group, None
        self._state = "closed"
        if group is None:
            return None
        if self._work is not None:  # left early: abandon the work in flight (done: a no-op)
            self._work.cancel()
        try:
            return await group.__aexit__(exc_type, exc, tb)
        except BaseException as error:
            raise _single(error) from None
        finally:
            if self._receive is not None:
                self._receive.close()

    @property
    def unsettled(self) -> tuple[Recipient, ...]:
        """Recipients the service may hold but whose outcome you have not received.

        Empty after a stream that ran to its end. After leaving early (or a cancellation) these
        are the recipients of every chunk whose request may have left and whose outcomes did
        not reach you, less those certainly refused: the service may or may not hold these
        messages. Read them with `get_many` by reference, or send them again with
        `resume=True`, which reports the ones already accepted as `Sent`.
        """
        pending = [recipient for chunk in self._dispatched.values() for _, recipient in chunk]
        for outcome in self._buffer:
            if isinstance(outcome.recipient, Recipient) and (
                isinstance(outcome, Sent) or outcome.may_have_been_accepted
            ):
                pending.append(outcome.recipient)
        return tuple(pending)

    async def aclose(self) -> None:
        """Stop the stream: cancel the requests in flight, send nothing more, and return once
        every task of the send has ended. Iteration then ends; outcomes not yet received stay
        in `unsettled`. The `async with` block still closes the stream; this only stops it
        early, from the block or from another task. Before the block, the stream will not open.
        """
        if self._state == "new":
            self._state = "closed"
            return
        if self._state != "open":
            return
        self._state = "stopped"
        if self._work is not None and self._stopped is not None:
            self._work.cancel()
            with anyio.CancelScope(shield=True):  # bounded: every task is cancelled
                await self._stopped.wait()
        if self._receive is not None:
            self._receive.close()

    # -- iteration ---------------------------------------------------------------------------

    def __aiter__(self) -> OutcomeStream:
        self._check_open()
        return self

    async def __anext__(self) -> Outcome:
        self._check_open()
        if not self._buffer:
            await self._receive_batch()
        if self._buffer and self._state == "open":
            return self._buffer.popleft()
        raise StopAsyncIteration

    async def batches(self) -> list[Outcome] | None:
        """The next completed group of outcomes (one chunk's), or `None` at the end.

        Raises `RuntimeError` outside the stream's `async with` block, like `async for`.
        """
        self._check_open()
        if not self._buffer:
            await self._receive_batch()
        if not self._buffer or self._state != "open":
            return None
        batch, self._buffer = list(self._buffer), deque()
        return batch

    def _check_open(self) -> None:
        if self._state == "new":
            raise RuntimeError(
                "open the stream before iterating it: `async with bsg.sms.stream_many(...) as "
                "stream:`, then `async for outcome in stream:` inside the block (the block "
                "owns the sending tasks and stops them when you leave it); or use `send_many`"
            )
        if self._state == "closed":
            raise RuntimeError("this OutcomeStream is closed: its `async with` block has ended")

    async def _receive_batch(self) -> None:
        """Receive the next finished chunk's outcomes into the buffer (nothing at the end)."""
        receive = self._receive
        if receive is None or self._state != "open":
            return
        try:
            try:
                key, batch = receive.receive_nowait()  # a chunk finished meanwhile
            except anyio.WouldBlock:
                key, batch = await receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            return
        # Buffered before anything else can happen: from here the outcomes are listed in
        # `unsettled` until the caller takes them, whatever interrupts (progress included).
        self._buffer.extend(batch)
        if key is not None:
            del self._dispatched[key]
        self.done += len(batch)
        if self._on_progress is not None:
            await _call(self._on_progress, self.done, self.total)

    # -- tasks -------------------------------------------------------------------------------

    async def _run(
        self,
        outcomes: MemoryObjectSendStream[_Delivery],
        work: anyio.CancelScope,
        stopped: anyio.Event,
    ) -> None:
        """Send every chunk with `concurrency` workers until done or `work` is cancelled; set
        `stopped` once every task has ended."""
        try:
            with work, outcomes:
                if work.cancel_called:  # stopped before it began: read no input at all
                    return
                # This task is one of the workers, and the stream ends as soon as its workers
                # have closed their ends (this one with the stream's own). A sized input gets
                # no more workers than it has chunks, and a task group only holds tasks to
                # wait for: leaving one takes a turn of the event loop even when it holds none.
                # So a send of one chunk (a campaign store's worker sends each claim so) starts
                # its request and is read to its end without a task to start or to wait for,
                # each a turn of a loop that may be busy with other sends' answers.
                source = self._recipients
                workers = self._concurrency
                if self.total is not None:
                    workers = max(1, min(workers, -(-self.total // self._chunk_size)))
                if isinstance(source, AsyncIterable):
                    async with anyio.create_task_group() as group:
                        pieces_in, pieces_out = anyio.create_memory_object_stream[_Piece](0)
                        group.start_soon(self._produce, source, pieces_in)
                        with pieces_out:
                            for _ in range(workers - 1):
                                group.start_soon(
                                    self._work_received, pieces_out.clone(), outcomes.clone()
                                )
                            await self._work_received(pieces_out.clone(), outcomes)
                    return
                pieces = _pieces(source, self._chunk_size)  # shared by the workers
                if workers == 1:
                    await self._work_plain(pieces, outcomes)
                    return
                async with anyio.create_task_group() as group:
                    for _ in range(workers - 1):
                        group.start_soon(self._work_plain, pieces, outcomes.clone())
                    await self._work_plain(pieces, outcomes)
        finally:
            stopped.set()

    async def _produce(
        self, source: AsyncIterable[object], pieces: MemoryObjectSendStream[_Piece]
    ) -> None:
        """Read an async iterable input into chunks, each handed over when a worker is free."""
        chunker = _Chunker(self._chunk_size)
        with pieces:
            index = 0
            async for item in source:
                if chunker.add(index, item):
                    await _send(pieces, chunker.take())
                index += 1
            await _send(pieces, chunker.take(last=True))

    async def _work_plain(
        self, pieces: Iterator[_Piece], outcomes: MemoryObjectSendStream[_Delivery]
    ) -> None:
        """Send the chunks of a plain input, taking the next from `pieces` (shared by every
        worker: taking it reads the input) whenever this worker is free."""
        with outcomes:
            for chunk, rejected in pieces:
                await self._deliver(chunk, rejected, outcomes)

    async def _work_received(
        self,
        pieces: MemoryObjectReceiveStream[_Piece],
        outcomes: MemoryObjectSendStream[_Delivery],
    ) -> None:
        """Send the chunks the producer of an async iterable input hands over."""
        with pieces, outcomes:
            while True:
                try:
                    chunk, rejected = pieces.receive_nowait()  # the producer may be waiting
                except anyio.WouldBlock:
                    try:
                        chunk, rejected = await pieces.receive()
                    except anyio.EndOfStream:
                        return
                except anyio.EndOfStream:
                    return
                await self._deliver(chunk, rejected, outcomes)

    async def _deliver(
        self, chunk: Chunk, rejected: list[Outcome], outcomes: MemoryObjectSendStream[_Delivery]
    ) -> None:
        """Report `rejected`, then send `chunk` and report its outcomes."""
        if rejected:
            await _send(outcomes, (None, rejected))
        if chunk:
            key = id(chunk)
            self._dispatched[key] = chunk
            await _send(outcomes, (key, await self._send_chunk(chunk)))


class _Chunker:
    """Turns input items into chunks of recipients, each with its reference fixed, and groups
    of rejections (a bad item, a reference given twice), both at most `size` long."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.chunk: Chunk = []
        self.rejected: list[Outcome] = []
        self._seen: set[str] = set()  # caller-given references only
        self._next_reference = rules.new_references().__next__

    def add(self, index: int, item: object) -> bool:
        """Take one input item; whether a chunk or a group of rejections is now full."""
        return self.fill(((index, item),))

    def fill(self, items: Iterable[tuple[int, object]]) -> bool:
        """Take input items (each with its index) until a chunk or a group of rejections is
        full, each recipient with its reference fixed or the item rejected; whether one is full
        (`False`: `items` ran out first).

        Takes the usual item, a phone number string, without a call of its own: this runs once
        per recipient of every batch.
        """
        chunk, size = self.chunk, self.size
        check, make, next_reference = rules.msisdn, Recipient._checked, self._next_reference
        for index, item in items:
            if isinstance(item, str):
                try:
                    # A generated reference is unique by construction: only the caller's are
                    # tracked (`_seen`).
                    recipient = make(check(item), next_reference())
                except InvalidParameterError as invalid:
                    if self._reject(Failed(index, item, None, invalid)):
                        return True
                    continue
                chunk.append((index, recipient))
                if len(chunk) >= size:
                    return True
            elif self._add_other(index, item):
                return True
        return False

    def _add_other(self, index: int, item: object) -> bool:
        """`add` for an item that is not a string: a `Recipient`, or rejected."""
        if not isinstance(item, Recipient):
            invalid = InvalidParameterError(
                "recipient", item, "expected a phone number string or a Recipient"
            )
            return self._reject(Failed(index, item, getattr(item, "reference", None), invalid))
        if item.reference is None:
            item = Recipient._checked(item.to, self._next_reference())
        elif item.reference in self._seen:
            duplicate = InvalidParameterError(
                "reference", item.reference, "appears twice in this batch; not sent again"
            )
            return self._reject(Failed(index, item, item.reference, duplicate))
        else:
            self._seen.add(item.reference)
        self.chunk.append((index, item))
        return len(self.chunk) >= self.size

    def _reject(self, failed: Failed) -> bool:
        self.rejected.append(failed)
        return len(self.rejected) >= self.size

    def take(self, *, last: bool = False) -> _Piece:
        """The full chunk and the full group of rejections (with `last`, whatever is left),
        each empty if not yet full; what is taken is started anew."""
        chunk: Chunk = []
        rejected: list[Outcome] = []
        if len(self.chunk) >= self.size or (last and self.chunk):
            chunk, self.chunk = self.chunk, chunk
        if len(self.rejected) >= self.size or (last and self.rejected):
            rejected, self.rejected = self.rejected, rejected
        return chunk, rejected


def _pieces(source: Iterable[object], size: int) -> Iterator[_Piece]:
    """The chunks of a plain input, read as they are taken."""
    chunker = _Chunker(size)
    items = enumerate(source)
    while chunker.fill(items):
        yield chunker.take()
    yield chunker.take(last=True)


async def _collect(stream: OutcomeStream) -> BatchReport:
    """Run `stream` to its end and return its outcomes in input order."""
    outcomes: list[Outcome] = []
    async with stream:
        while (batch := await stream.batches()) is not None:
            outcomes.extend(batch)
    outcomes.sort(key=attrgetter("index"))
    return BatchReport(tuple(outcomes))


async def _read_many(
    keys: Iterable[int | str],
    *,
    concurrency: int,
    by_id: Callable[[int], Awaitable[R]],
    by_reference: Callable[[str], Awaitable[R]],
) -> list[R | LookupFailed[R]]:
    """Read many statuses concurrently, in input order; a failed read is a `LookupFailed`.

    An `int` key is a message id, a `str` key a reference (never guessed from its content).
    Every key is checked before the first request.
    """
    limit = rules.integer(concurrency, "concurrency", (1, 1000))
    checked: list[int | str] = []
    for position, key in enumerate(keys):
        field = f"keys[{position}]"
        if isinstance(key, str):
            checked.append(rules.reference(key, field))
        else:
            checked.append(rules.message_id(key, field))
    results: list[R | LookupFailed[R] | None] = [None] * len(checked)
    pending = iter(enumerate(checked))

    async def worker() -> None:
        for position, key in pending:  # one shared iterator: each key is read once
            try:
                if isinstance(key, str):
                    results[position] = await by_reference(key)
                else:
                    results[position] = await by_id(key)
            except BSGError as error:
                results[position] = LookupFailed(position, key, error)

    async with anyio.create_task_group() as group:
        for _ in range(min(limit, len(checked))):
            group.start_soon(worker)
    return [r for r in results if r is not None]


async def _send(stream: MemoryObjectSendStream[R], item: R) -> None:
    """`stream.send(item)`, without a trip through the event loop when it can be taken at once.

    The hand-offs between the stream's tasks happen once per chunk on each side; anyio's
    `send`/`receive` yield to the loop even when the item can pass straight away. Waiting
    (a full buffer, an idle receiver) still goes through them, and every chunk's request is
    a cancellation point, so leaving the stream early is as prompt as before.
    """
    try:
        stream.send_nowait(item)
    except (anyio.WouldBlock, anyio.BrokenResourceError):
        # Wait as anyio does; or, with the receivers gone, let `send` tell why: the stream's
        # cancellation if that is what took them (the usual case), else the broken stream.
        await stream.send(item)


async def _call(callback: ProgressCallback, done: int, total: int | None) -> None:
    result = callback(done, total)
    if inspect.isawaitable(result):
        await result


def _single(error: BaseException) -> BaseException:
    """The one exception inside a task group's exception group, else the group itself."""
    inner = getattr(error, "exceptions", None)
    if isinstance(inner, tuple) and len(inner) == 1 and isinstance(inner[0], BaseException):
        return _single(inner[0])
    return error
