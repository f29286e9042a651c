"""Workers that consume a queue of send jobs through one shared AsyncBSG.

    BSG_API_KEY=live_... python examples/queue_worker.py

Jobs arrive on an `asyncio.Queue` (in a real app: from your web handlers, a broker consumer or
a database poller). A few workers take them and send them through one `AsyncBSG`, so they
share one connection pool, one concurrency limit and one rate limit.

Each job's id is its message's reference. Queues deliver at least once, so a job may come
twice: the second send is refused as a duplicate reference, and the worker reports the message
the first one sent instead of sending another. A job that failed with
`may_have_been_accepted=True` can be retried later with the same id, safely.

Against the built-in fake instead of the network:

    python -m bsg_async.testing --port 8080 &
    BSG_API_KEY=test_key BSG_BASE_URL=http://127.0.0.1:8080/rest python examples/queue_worker.py
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bsg_async import AsyncBSG, BSGError, DuplicateReferenceError
from bsg_async.client import DEFAULT_BASE_URL

SENDER = "Shop"
WORKERS = 4


@dataclass(frozen=True)
class SendJob:
    """One SMS to send; `job_id` (1 to 32 of [A-Za-z0-9_-]) becomes its reference."""

    job_id: str
    phone: str
    text: str


@dataclass(frozen=True)
class JobResult:
    """What became of a job: `outcome` is "sent", "duplicate" (an earlier delivery of the
    job sent it) or "failed" (then `retry` says whether sending it again may help)."""

    job_id: str
    outcome: str
    message_id: int | None = None
    error: str | None = None
    retry: bool = False


async def send_job(bsg: AsyncBSG, job: SendJob) -> JobResult:
    try:
        receipt = await bsg.sms.send(
            to=job.phone, text=job.text, sender=SENDER, reference=job.job_id
        )
    except DuplicateReferenceError:
        report = await bsg.sms.get_by_reference(job.job_id)  # the earlier delivery's message
        return JobResult(job.job_id, "duplicate", report.id)
    except BSGError as error:
        # may_have_been_accepted: the answer was lost; a retry with the same id is safe.
        return JobResult(job.job_id, "failed", error=str(error), retry=error.may_have_been_accepted)
    return JobResult(job.job_id, "sent", receipt.id)


async def worker(
    bsg: AsyncBSG, jobs: asyncio.Queue[SendJob | None], results: list[JobResult]
) -> None:
    while True:
        job = await jobs.get()
        try:
            if job is None:  # no more jobs
                return
            results.append(await send_job(bsg, job))
        finally:
            jobs.task_done()


def bsg_client() -> AsyncBSG:
    """The client: key from BSG_API_KEY; BSG_BASE_URL points it at another host."""
    return AsyncBSG(base_url=os.environ.get("BSG_BASE_URL", DEFAULT_BASE_URL))


async def run(jobs: Iterable[SendJob], *, workers: int = WORKERS) -> list[JobResult]:
    """Feed `jobs` to `workers` workers through a bounded queue; return every result."""
    queue: asyncio.Queue[SendJob | None] = asyncio.Queue(maxsize=2 * workers)  # backpressure
    results: list[JobResult] = []
    async with bsg_client() as bsg:
        tasks = [asyncio.create_task(worker(bsg, queue, results)) for _ in range(workers)]
        try:
            for job in jobs:
                await queue.put(job)
            for _ in tasks:
                await queue.put(None)
            await asyncio.gather(*tasks)
        finally:  # on any error or cancellation: no task outlives the client
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return results


def sample_jobs() -> list[SendJob]:
    """40 order confirmations; order 7 is delivered twice; one job has a broken number."""
    jobs = [
        SendJob(f"order{n}", f"38050{n:07d}", f"Order {n} confirmed. Thank you!")
        for n in range(1, 41)
    ]
    jobs.insert(20, jobs[6])  # the queue delivers order 7 again
    jobs.append(SendJob("order99", "050 123 45 67", "Order 99 confirmed."))  # no country code
    return jobs


async def main() -> None:
    results = await run(sample_jobs())
    counts = Counter(result.outcome for result in results)
    print(f"jobs: {len(results)}, " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    for result in results:
        if result.outcome != "sent":
            print(f"  {result.job_id}: {result.outcome} {result.message_id or result.error}")


if __name__ == "__main__":
    asyncio.run(main())
