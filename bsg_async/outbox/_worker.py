"""One worker of an outbox campaign: claim a chunk, send it, record it; many at once.

```
claimer: wait while the service is unreachable ─► claim (lease; renewed every lease/3) ─┐
sender:  ┌───────────────────────────────────────────────────────────────────────────┘
         └► shared rate ─► send_many(stored references, resume=claim.resume) ─► release
```
A claim is committed before its request can leave. If the worker is cancelled or fails while
a chunk is in flight, it puts the chunk back (`pending`, remembered as handed, so the next
claim sends it with `resume=True`); if it is killed, the lease expires and another worker
takes the chunk over, again with `resume=True`. Every row ends with exactly one final
outcome: `release` writes only rows the claim still holds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import anyio
import attrs
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ..errors import (
    AccountError,
    AuthenticationError,
    BSGError,
    RateLimitError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from ..models import Recipient, SmsFallback
from ..models.batch import Outcome, Sent
from ._backend import Backend
from ._models import Claim, OutboxCampaign, Release, RowState, WorkReport

if TYPE_CHECKING:
    from ..client import AsyncBSG

__all__ = ["WorkOptions", "Worker", "record"]

logger = logging.getLogger("bsg_async.outbox")

FIRST_PAUSE = 1.0
"""Seconds before the first try after the service was found unreachable."""

RELEASE_TIMEOUT = 10.0
"""Seconds a cancelled worker spends putting its chunk back before leaving it to expire."""

# A chunk that failed with only these did not reach the service (or only a failing proxy).
_UNREACHABLE = (TransportError, ServerError)
# Failures worth another claim; the first two kinds never end a row.
_PASSING = (TransportError, RateLimitError, ServerError, UnexpectedResponseError)
_STOPPING = (AuthenticationError, AccountError)


async def pace(seconds: float) -> None:
    """Wait `seconds` for the campaign's turn in its shared rate."""
    await anyio.sleep(seconds)


@attrs.frozen
class WorkOptions:
    """How a worker runs (see `Outbox.work`)."""

    concurrency: int
    lease: float
    poll: float
    until_done: bool
    max_attempts: int
    unreachable_after: int
    max_pause: float
    progress: Callable[[WorkReport], object] | None = None


def record(
    release: Release,
    seqs: Sequence[int],
    outcomes: Sequence[Outcome],
    attempts: int,
    max_attempts: int,
) -> list[BSGError]:
    """Record in `release` what `send_many` gave for the rows `seqs` (in order), after
    `attempts` claims of them: `sent`; `pending` again for a fate to reconcile or a passing
    failure (until `max_attempts`, except connection failures and rate limits, which never end
    a row); else `failed`. The errors of the rows that were not sent, in order."""
    errors: list[BSGError] = []
    sent: dict[int, int | None] = {}
    price: object = _UNSET  # the price and currency of the group `sent`
    currency: str | None = None
    for seq, outcome in zip(seqs, outcomes, strict=True):
        if isinstance(outcome, Sent):
            # The usual next row was sent at the previous row's price: the decoder shares one
            # `Decimal` per price text, so this holds without comparing amounts.
            if outcome.price is not price or outcome.currency != currency:
                price, currency = outcome.price, outcome.currency
                text = None if price is None else str(price)
                sent = release.rows(RowState.SENT, text, currency)
            sent[seq] = outcome.id
            continue
        error = outcome.error
        uncertain = outcome.may_have_been_accepted
        again = uncertain or isinstance(error, (TransportError, RateLimitError, *_STOPPING))
        if not again and isinstance(error, _PASSING):
            again = attempts < max_attempts
        state = RowState.PENDING if again else RowState.FAILED
        code = getattr(error, "code", None)
        failed = release.rows(state, None, None, type(error).__name__, code, str(error), uncertain)
        failed[seq] = None
        errors.append(error)
    return errors


_UNSET = object()


class _Breaker:
    """Stops a worker's loops after `threshold` chunks in a row could not reach the service;
    then one loop at a time tries a chunk after a growing pause, until one gets an answer."""

    def __init__(self, threshold: int, max_pause: float, report: _Counts) -> None:
        self.threshold = threshold
        self.max_pause = max_pause
        self.failures = 0
        self.open = False
        self.pause = FIRST_PAUSE
        self._probing = False
        self._turn = anyio.Event()  # set when the probe ends or the breaker closes
        self._report = report

    async def wait_turn(self) -> bool:
        """Return when this loop may claim; `True` if it goes as the probe."""
        while self.open:
            if self._probing:
                await self._turn.wait()
                continue
            self._probing = True
            try:
                await anyio.sleep(self.pause)
            except BaseException:
                self._probing = False
                self._pass_turn()
                raise
            return True
        return False

    def record(self, *, unreachable: bool, probe: bool) -> None:
        """Note one chunk's result: whether nothing reached the service."""
        if probe:
            self._probing = False
            self._pass_turn()  # a loop waiting on this probe may be the next one
        if unreachable:
            self.failures += 1
            if probe:
                self.pause = min(self.pause * 2, self.max_pause)
            elif not self.open and self.failures >= self.threshold:
                self.open = True
                self._report.pauses += 1
                logger.warning(
                    "the BSG service is unreachable (%d chunks in a row failed to connect, "
                    "timed out or met a 5xx): stopped sending, the rows stay pending; "
                    "trying again in %g s",
                    self.failures,
                    self.pause,
                )
        else:
            self.failures = 0
            if self.open:
                self.open = False
                self.pause = FIRST_PAUSE
                self._pass_turn()
                logger.warning("the BSG service answers again: sending resumed")

    def _pass_turn(self) -> None:
        turn, self._turn = self._turn, anyio.Event()
        turn.set()


class _Counts:
    """The mutable tallies behind a `WorkReport`."""

    def __init__(self) -> None:
        self.sent = self.failed = self.requeued = 0
        self.claims = self.taken_over = self.lost = self.pauses = 0

    def report(self) -> WorkReport:
        return WorkReport(**vars(self))  # the same names


_Ready = tuple[Claim, bool, anyio.CancelScope]
"""A claimed chunk waiting for a sender: the claim, whether it is the breaker's probe, and the
cancel scope of its lease renewal."""


class Worker:
    """One `Outbox.work` call over one campaign: a pipeline, so the database's round trips
    stay off the path of the requests.

    ```
    claimers (a few) ──claimed chunks (a small buffer)──► senders (`concurrency`) ──► releases
    ```
    A chunk's lease is renewed from its claim to its release. Releases run beside the
    senders (at most `concurrency` at a time), so a sender takes its next chunk at once.
    """

    def __init__(
        self,
        backend: Backend,
        bsg: AsyncBSG,
        campaign_id: int,
        campaign: OutboxCampaign,
        name: str,
        options: WorkOptions,
    ) -> None:
        self.backend = backend
        self.bsg = bsg
        self.campaign_id = campaign_id
        self.campaign = campaign
        self.name = name
        self.options = options
        self.counts = _Counts()
        self.breaker = _Breaker(options.unreachable_after, options.max_pause, self.counts)
        self._released = anyio.Event()  # a chunk was released: idle claimers look again
        self._releasing = anyio.CapacityLimiter(options.concurrency)
        self._group: TaskGroup | None = None
        self._held = 0  # chunks this worker claimed and has not released
        self._ending: set[tuple[int, int]] = set()  # claims being released

    async def run(self) -> WorkReport:
        """Run until the campaign is done (or forever); the tallies."""
        concurrency = self.options.concurrency
        ready_in, ready_out = anyio.create_memory_object_stream[_Ready](max(1, concurrency // 2))
        try:
            async with anyio.create_task_group() as group:
                self._group = group
                with ready_in:
                    for _ in range(min(4, concurrency // 4 + 1)):
                        group.start_soon(self._claim_loop, ready_in.clone())
                for _ in range(concurrency):
                    group.start_soon(self._send_loop, ready_out.clone())
        finally:
            # Chunks claimed but not sent (the worker was cancelled or failed): back to pending.
            with anyio.CancelScope(shield=True), anyio.move_on_after(RELEASE_TIMEOUT):
                while True:
                    try:
                        claim, _, renewal = ready_out.receive_nowait()
                    except (anyio.WouldBlock, anyio.EndOfStream):
                        break
                    renewal.cancel()
                    await self.backend.release(claim, Release())
            ready_out.close()
        return self.counts.report()

    @property
    def _tasks(self) -> TaskGroup:
        assert self._group is not None, "run() starts the tasks"
        return self._group

    async def _claim_loop(self, ready: MemoryObjectSendStream[_Ready]) -> None:
        """Claim chunks and hand them to the senders, until the campaign is done."""
        options = self.options
        with ready:
            while True:
                probe = await self.breaker.wait_turn()
                # Taken before looking: a change from now on wakes this loop if it idles.
                released, changed = self._released, self.backend.watch(self.campaign_id)
                claim = await self.backend.claim(self.campaign_id, self.name, options.lease)
                if claim is None:
                    if probe:
                        self.breaker.record(unreachable=True, probe=True)  # nothing tried
                    if options.until_done and await self._finished():
                        return
                    await self._idle(released, changed)
                    continue
                self._note_claim(claim)
                self._held += 1
                renewal = anyio.CancelScope()
                self._tasks.start_soon(self._renew, claim, renewal)
                try:
                    await ready.send((claim, probe, renewal))
                except BaseException:
                    renewal.cancel()
                    with anyio.CancelScope(shield=True), anyio.move_on_after(RELEASE_TIMEOUT):
                        await self.backend.release(claim, Release())
                    raise

    async def _send_loop(self, ready: MemoryObjectReceiveStream[_Ready]) -> None:
        """Send the chunks the claimers hand over; their releases run beside."""
        with ready:
            async for claim, probe, renewal in ready:
                try:
                    outcomes, errors = await self._send(claim)
                except BaseException:
                    renewal.cancel()
                    with anyio.CancelScope(shield=True), anyio.move_on_after(RELEASE_TIMEOUT):
                        # Pending, handed: resumed later.
                        await self.backend.release(claim, Release())
                    self._wake_claimers()
                    raise
                self._tasks.start_soon(self._release, claim, outcomes, errors, probe, renewal)

    def _note_claim(self, claim: Claim) -> None:
        self.counts.claims += 1
        if claim.taken_over:
            self.counts.taken_over += 1
            logger.info(
                "took over claim %d (%d rows) whose lease expired: sending it with resume=True",
                claim.id,
                len(claim.seqs),
            )

    async def _finished(self) -> bool:
        return not await self.backend.unfinished(self.campaign_id)

    async def _idle(self, *events: anyio.Event) -> None:
        """Wait until one of `events` is set (this worker released a chunk; the store saw a
        change, such as a notification from another worker) or the poll interval passed."""
        with anyio.move_on_after(self.options.poll):
            async with anyio.create_task_group() as group:

                async def wait(event: anyio.Event) -> None:
                    await event.wait()
                    group.cancel_scope.cancel()

                for event in events:
                    group.start_soon(wait, event)

    async def _release(
        self,
        claim: Claim,
        outcomes: Release,
        errors: list[BSGError],
        probe: bool,
        renewal: anyio.CancelScope,
    ) -> None:
        """Record a sent chunk's outcomes (only if this worker still holds it)."""
        counts = self.counts
        self._ending.add(
            (claim.id, claim.generation)
        )  # a renewal that now finds no claim is not a takeover
        recorded = 0  # not recorded in time: the lease expires, another worker resumes it
        try:
            # Shielded: a worker stopped now (Ctrl-C) still records what it sent, instead of
            # leaving the chunk to wait for its lease to expire and be reconciled.
            with anyio.CancelScope(shield=True), anyio.move_on_after(RELEASE_TIMEOUT):
                async with self._releasing:
                    recorded = await self.backend.release(claim, outcomes)
        finally:
            renewal.cancel()
            self._ending.discard((claim.id, claim.generation))
        self._held -= 1
        rows = len(outcomes)
        sent, failed = outcomes.count(RowState.SENT), outcomes.count(RowState.FAILED)
        requeued = rows - sent - failed
        if self._held == 0 or requeued:
            self._wake_claimers()  # rows pending again, or this worker may be done
        unreachable = len(errors) == rows and all(
            isinstance(error, _UNREACHABLE) for error in errors
        )
        self.breaker.record(unreachable=unreachable, probe=probe)
        if recorded < rows:
            counts.lost += 1
            logger.warning(
                "claim %d was taken over by another worker (its lease expired): "
                "that worker records its %d rows",
                claim.id,
                rows,
            )
        else:
            counts.sent += sent
            counts.failed += failed
            counts.requeued += requeued
        if self.options.progress is not None:
            self.options.progress(counts.report())
        for error in errors:
            if isinstance(error, _STOPPING):
                raise error

    def _wake_claimers(self) -> None:
        released, self._released = self._released, anyio.Event()
        released.set()

    async def _renew(self, claim: Claim, renewal: anyio.CancelScope) -> None:
        """Keep the claim's lease alive from its claim to its release."""
        with renewal:
            while True:
                await anyio.sleep(self.options.lease / 3)
                if not await self.backend.renew(claim, self.options.lease):
                    if (claim.id, claim.generation) not in self._ending:
                        logger.warning("claim %d was taken over while in flight", claim.id)
                    return

    async def _send(self, claim: Claim) -> tuple[Release, list[BSGError]]:
        """Send the claim's rows (one `send_many` per text) with their stored references;
        the outcomes to record and the errors of the rows that failed."""
        campaign = self.campaign
        rate = campaign.rate_limit
        if rate is not None:
            wait = await self.backend.reserve(self.campaign_id, len(claim.seqs), rate)
            if wait > 0:
                await pace(wait)
        texts = claim.texts
        parts: list[tuple[str | None, Sequence[Recipient], Sequence[int]]]
        if texts.count(texts[0]) == len(texts):  # the usual case: one text for all rows
            parts = [(texts[0], claim.recipients, claim.seqs)]
        else:
            at: dict[str | None, list[int]] = {}  # row positions by text
            for position, own in enumerate(texts):
                at.setdefault(own, []).append(position)
            parts = [
                (own, [claim.recipients[i] for i in rows], [claim.seqs[i] for i in rows])
                for own, rows in at.items()
            ]
        release = Release()
        errors: list[BSGError] = []
        max_attempts = self.options.max_attempts
        for text, recipients, seqs in parts:
            shared = text or campaign.text
            assert shared is not None, "a row without a text is refused when added"
            report = await self._send_many(recipients, shared, claim.resume)
            errors += record(release, seqs, report, claim.generation, max_attempts)
        return release, errors

    async def _send_many(
        self, recipients: Sequence[Recipient], text: str, resume: bool
    ) -> Sequence[Outcome]:
        campaign = self.campaign
        size = max(1, min(len(recipients), campaign.max_chunk))
        if campaign.channel == "viber":
            fallback = None
            if campaign.fallback_text is not None:
                fallback = SmsFallback(
                    text=campaign.fallback_text,
                    sender=campaign.fallback_sender or campaign.sender,
                )
            report = await self.bsg.viber.send_many(
                to=recipients,
                text=text,
                sender=campaign.sender,
                is_promotional=campaign.is_promotional,
                sms_fallback=fallback,
                validity=campaign.validity,
                tariff=campaign.tariff,
                chunk_size=size,
                concurrency=1,
                resume=resume,
            )
        else:
            report = await self.bsg.sms.send_many(
                to=recipients,
                text=text,
                sender=campaign.sender,
                validity=campaign.validity,
                tariff=campaign.tariff,
                chunk_size=size,
                concurrency=1,
                resume=resume,
            )
        return report.outcomes
