"""The exactly-once recovery of legacy sends, read back through `_exactly_once`: after an answer
was lost, a recipient the service calls a duplicate reference is resolved by a status read by
reference: found, it is sent; not found, or the read failed, it fails with its fate unknown."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from bsg_async import (
    AsyncBSG,
    DuplicateReferenceError,
    Failed,
    NotFoundError,
    RateLimitError,
    Receipt,
    Recipient,
    Rejection,
    RetryPolicy,
    Sent,
    ServerError,
)

TEXT = {"text": "Sale", "sender": "Shop"}


class LostAnswerService:
    """BSG's legacy SMS create and status-by-reference endpoints. The first create's answer is
    lost after the service accepted every recipient of it (but those in `skip_first`); a
    reference it holds gets 23 (or code 11 when in `throttle`). A status read answers what the
    service holds, but "not found" for `absent` and a 500 for `broken`; `hold_from` makes
    every create from that one on wait until cancelled."""

    def __init__(
        self,
        *,
        skip_first: frozenset[str] = frozenset(),
        throttle: frozenset[str] = frozenset(),
        absent: frozenset[str] = frozenset(),
        broken: frozenset[str] = frozenset(),
        hold_from: int | None = None,
    ) -> None:
        self.skip_first, self.throttle = skip_first, throttle
        self.absent, self.broken = absent, broken
        self.hold_from = hold_from
        self.held = anyio.Event()
        self.creates = 0
        self.accepted: dict[str, int] = {}
        self.lookups: list[str] = []
        self.in_flight = self.most_in_flight = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/sms/create"):
            return await self._create(request)
        reference = path.rpartition("/reference/")[2]
        self.lookups.append(reference)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            for _ in range(5):  # let every other lookup that may start, start
                await anyio.lowlevel.checkpoint()
        finally:
            self.in_flight -= 1
        if reference in self.broken:
            return httpx.Response(500, text="status store down")
        if reference in self.absent or reference not in self.accepted:
            return httpx.Response(200, json={"error": 20, "errorDescription": "SMS not found"})
        status: dict[str, Any] = {"error": 0, "id": str(self.accepted[reference]), "price": 0.02}
        return httpx.Response(200, json={**status, "reference": reference, "status": "sent"})

    async def _create(self, request: httpx.Request) -> httpx.Response:
        self.creates += 1
        if self.hold_from is not None and self.creates >= self.hold_from:
            self.held.set()
            await anyio.sleep_forever()
        phones = json.loads(request.content)["phones"]
        first = self.creates == 1
        entries = []
        for phone in phones:
            reference = phone["reference"]
            if first and reference in self.skip_first:
                continue
            if reference in self.accepted:
                code = 11 if reference in self.throttle else 23
                entries.append({"error": code, "errorDescription": "no", "reference": reference})
                continue
            self.accepted[reference] = 9000 + len(self.accepted)
            accepted = {"error": 0, "reference": reference, "id": self.accepted[reference]}
            entries.append({**accepted, "price": "0.02"})
        if first:
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return httpx.Response(200, json={"result": entries, "error": 0, "task_id": "5"})


@asynccontextmanager
async def client(service: LostAnswerService) -> AsyncIterator[AsyncBSG]:
    with anyio.fail_after(10):
        async with AsyncBSG(
            api_key="test_key",
            transport=httpx.MockTransport(service),
            retry=RetryPolicy(max_attempts=3, base_delay=0.01),
        ) as bsg:
            yield bsg


def recipients(*references: str) -> list[Recipient]:
    return [Recipient(f"38097000000{i}", ref) for i, ref in enumerate(references)]


async def test_a_duplicate_after_a_lost_answer_is_read_back_found_or_failed_with_fate_unknown() -> (
    None
):
    service = LostAnswerService(skip_first=frozenset({"new"}), absent=frozenset({"gone"}))
    service.broken = frozenset({"dark"})
    async with client(service) as bsg:
        result = await bsg.sms.send_bulk(to=recipients("held", "gone", "dark", "new"), **TEXT)

    held, gone, dark, new = result.entries
    assert isinstance(held, Receipt) and held.id == service.accepted["held"]
    assert isinstance(new, Receipt) and new.id == service.accepted["new"]  # from the answer
    for refused in (gone, dark):
        assert isinstance(refused, Rejection)
        assert isinstance(refused.error, DuplicateReferenceError)
        assert refused.error.may_have_been_accepted is True
    assert isinstance(gone.error.__cause__, NotFoundError)  # the status read said so
    assert isinstance(dark.error.__cause__, ServerError)  # the status read failed
    assert sorted(set(service.lookups)) == ["dark", "gone", "held"]  # not "new"


async def test_a_large_chunk_is_read_back_a_few_lookups_at_a_time() -> None:
    references = [f"r{i}" for i in range(30)]
    service = LostAnswerService()
    async with client(service) as bsg:
        result = await bsg.sms.send_bulk(to=recipients(*references), **TEXT)

    assert [entry.reference for entry in result.entries] == references
    assert all(isinstance(entry, Receipt) for entry in result.entries)
    assert [entry.id for entry in result.accepted] == [service.accepted[r] for r in references]
    assert sorted(service.lookups) == sorted(references)
    assert 1 < service.most_in_flight <= 8


async def test_a_throttle_code_after_a_lost_answer_is_a_refusal_not_read_back() -> None:
    # Code 11 says "not now", not "I hold this reference": it is not reconciled.
    service = LostAnswerService(throttle=frozenset({"slow"}))
    async with client(service) as bsg:
        result = await bsg.sms.send_bulk(to=recipients("slow", "fine"), **TEXT)

    slow, fine = result.entries
    assert isinstance(slow, Rejection) and isinstance(slow.error, RateLimitError)
    assert isinstance(fine, Receipt)
    assert service.lookups == ["fine"]


@pytest.mark.parametrize("taken", [0, 1])
async def test_recipients_read_back_stay_unsettled_until_the_caller_takes_them(taken: int) -> None:
    # Chunk 1's answer is lost, and its retry is read back: one found, one not held, one whose
    # read fails; chunk 2 waits. Leaving then, every recipient of both not taken is unsettled.
    service = LostAnswerService(absent=frozenset({"gone"}), broken=frozenset({"dark"}), hold_from=3)
    delivered: list[Sent | Failed] = []
    first = recipients("held", "gone", "dark")
    second = [Recipient(f"38096000000{i}", f"later{i}") for i in range(3)]
    async with client(service) as bsg:
        stream = bsg.sms.stream_many(to=first + second, chunk_size=3, concurrency=1, **TEXT)
        async with stream:
            await service.held.wait()
            while len(delivered) < taken:
                delivered.append(await anext(stream))

    unsettled = {recipient.reference for recipient in stream.unsettled}
    taken_references = {outcome.reference for outcome in delivered}
    assert unsettled == {"held", "gone", "dark", "later0", "later1", "later2"} - taken_references
    assert len(unsettled) == 6 - taken
