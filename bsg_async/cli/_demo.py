"""`bsg demo`: a realistic Viber campaign against the built-in FakeBSG, served on 127.0.0.1.

No account, no network: a `FakeBSG` is served by uvicorn in this process (or, without uvicorn,
used in process), with some invalid numbers, numbers the service refuses, people without Viber
(they get the SMS fallback), injected faults and lost answers. The real SDK sends to it with
`stream_many`, then reads every message's status with `get_many`, and the demo checks what the
fake accepted against what the SDK reported: every recipient accepted exactly once.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs
import httpx
from rich.table import Table

from .. import AsyncBSG, Recipient, RetryPolicy, SmsFallback
from .._transport import RetryCounts
from ..models import ViberReport
from ..models.batch import Failed, LookupFailed, Sent
from ..testing import FakeBSG, Faults, Rules
from ._campaign import failure_reason
from ._common import EXIT_FAILED, EXIT_OK, preferred_backend
from ._output import Output, jsonable, retry_line
from ._progress import CountProgress

__all__ = ["DEFAULT_RECIPIENTS", "DemoResult", "run_demo"]

DEFAULT_RECIPIENTS = 5000
DEMO_KEY = "test_demo_key"
REFUSED_PREFIX = "3800000"  # the fake refuses these numbers (code 41): "invalid phone number"
MALFORMED = ("12345", "38097abc1234", "+38 097 123 45 67", "3809712345678901234", "")
TEXT = "Spring sale: 20% off everything until Sunday. Show this message at the till."
FALLBACK = "Spring sale: 20% off until Sunday. shop.example/sale"
SENDER = "ShopDemo"
# Faults on the sends: rates, plus a script so that every kind shows up even in a short run.
FAULT_RATES = {"lost_answer": 0.03, "reset_after": 0.01, "503": 0.02, "429": 0.01}
FAULT_SCRIPT = ["lost_answer", None, "503", None, "reset_after", None, "429", "lost_answer"]


@attrs.frozen
class DemoResult:
    """What the demo found; `exactly_once` is the verdict."""

    recipients: int
    sent: int
    failed: int
    accepted_by_fake: int
    accepted_twice: int
    failed_but_accepted: int
    sent_not_accepted: int
    seconds: float
    send_requests: int
    statuses_read: int
    statuses: dict[str, int]
    fallback_statuses: dict[str, int]
    cost: dict[str, Decimal]
    fallback_cost: dict[str, Decimal]
    reasons: list[tuple[str, int, str]]
    faults: dict[str, int]
    served_at: str
    requests_retried: int = 0
    retries: int = 0
    lost_answers: int = 0
    lost_answers_recovered: int = 0

    @property
    def exactly_once(self) -> bool:
        """Every reported `Sent` was accepted once by the fake, and nothing else was."""
        return (
            self.accepted_by_fake == self.sent
            and not self.accepted_twice
            and not self.failed_but_accepted
            and not self.sent_not_accepted
        )

    @property
    def per_second(self) -> float:
        """Recipients per second over the send."""
        return self.recipients / self.seconds if self.seconds > 0 else 0.0


def demo_recipients(count: int, seed: int) -> list[str | Recipient]:
    """`count` recipients, each with its own reference (as a campaign's row ids): about 1.5%
    malformed numbers (the SDK refuses them before sending) and 1% numbers the service refuses."""
    rng = random.Random(f"demo:{seed}")
    recipients: list[str | Recipient] = []
    for index in range(count):
        draw = rng.random()
        if draw < 0.015:
            recipients.append(rng.choice(MALFORMED))
        elif draw < 0.025:
            recipients.append(Recipient(f"{REFUSED_PREFIX}{index:05d}", f"demo{index:06d}"))
        else:
            recipients.append(Recipient(f"38097{index:07d}", f"demo{index:06d}"))
    return recipients


@asynccontextmanager
async def _served(fake: FakeBSG) -> AsyncIterator[dict[str, Any]]:
    """The fake on 127.0.0.1 (uvicorn in this event loop), or in process without uvicorn."""
    try:
        import uvicorn  # noqa: F401
    except ModuleNotFoundError:
        yield {"transport": fake.transport, "where": "in process (install uvicorn to serve it)"}
        return
    async with fake.serve() as server:
        backend = preferred_backend()
        yield {
            "base_url": server.base_url,
            "one_api_url": server.one_api_url,
            "http_backend": backend,
            "where": f"{server.url} (HTTP backend: {backend})",
        }


async def run_demo(
    output: Output, *, recipients: int, seed: int, concurrency: int, statuses: int
) -> int:
    """Run the demo campaign and print its report; 0 when exactly-once held, else 1.

    `statuses` is how many accepted messages (a seeded random sample) have their status read
    back with `get_many` an hour later on the fake's clock (0: none).
    """
    fake = FakeBSG(
        seed=seed,
        faults=Faults(
            FAULT_RATES,
            paths=["*/viber/create"],
            retry_after=0,
            latency=0.002,
            latency_jitter=0.006,
        ),
        rules=Rules(invalid_prefixes=[REFUSED_PREFIX]),
        record_limit=4 * recipients + 1000,  # enough to count every request
    )
    fake.faults.script(FAULT_SCRIPT, paths=["*/viber/create"])
    numbers = demo_recipients(recipients, seed)
    outcomes: list[Sent | Failed] = []
    reports: list[ViberReport | LookupFailed[ViberReport]] = []
    async with _served(fake) as place:
        where = place.pop("where")
        output.note(
            f"FakeBSG serving on {where}: sending a Viber campaign with SMS fallback to "
            f"{recipients:,} recipients",
            style="cyan",
        )
        retry = RetryPolicy(max_attempts=6, base_delay=0.01, max_delay=0.2)
        # As many pooled connections as requests in flight: httpx's pool costs CPU per idle one.
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with AsyncBSG(
            DEMO_KEY, retry=retry, max_concurrency=concurrency, limits=limits, **place
        ) as bsg:
            started = time.monotonic()
            with CountProgress(output.err, "sending", total=recipients) as progress:
                async with bsg.viber.stream_many(
                    to=numbers,
                    text=TEXT,
                    sender=SENDER,
                    is_promotional=True,
                    sms_fallback=SmsFallback(text=FALLBACK, sender=SENDER),
                    validity=timedelta(hours=1),
                    concurrency=concurrency,
                ) as stream:
                    while (batch := await stream.batches()) is not None:
                        outcomes.extend(batch)
                        failed = sum(1 for item in batch if isinstance(item, Failed))
                        progress.advance(len(batch), failed=failed)
            seconds = time.monotonic() - started
            sends = sum(1 for r in fake.requests if r.path.endswith("/viber/create"))
            sent_ids = [item.id for item in outcomes if isinstance(item, Sent)]
            if statuses and sent_ids:
                fake.advance(3600)  # an hour later: every message has its final status
                sample = random.Random(seed).sample(sent_ids, min(statuses, len(sent_ids)))
                output.note(f"reading {len(sample):,} statuses with get_many", style="cyan")
                reports = await bsg.viber.get_many(sample, concurrency=concurrency)
    result = _result(fake, numbers, outcomes, reports, seconds, sends, where, bsg._retry_counts)
    _print(output, result)
    return EXIT_OK if result.exactly_once else EXIT_FAILED


def _result(
    fake: FakeBSG,
    numbers: list[str | Recipient],
    outcomes: list[Sent | Failed],
    reports: list[ViberReport | LookupFailed[ViberReport]],
    seconds: float,
    sends: int,
    where: str,
    counts: RetryCounts,
) -> DemoResult:
    accepted = fake.viber.accepted
    sent = [o for o in outcomes if isinstance(o, Sent)]
    failed = [o for o in outcomes if isinstance(o, Failed)]
    cost: dict[str, Decimal] = {}
    for item in sent:
        if item.price is not None:
            cost[item.currency or ""] = cost.get(item.currency or "", Decimal(0)) + item.price
    statuses: Counter[str] = Counter()
    fallback: Counter[str] = Counter()
    fallback_cost: dict[str, Decimal] = {}
    for report in reports:
        if isinstance(report, LookupFailed):
            statuses["(read failed)"] += 1
            continue
        statuses[str(report.status)] += 1
        for sms in report.fallback:
            fallback[str(sms.status)] += 1
            if sms.price is not None:
                key = report.currency or ""
                fallback_cost[key] = fallback_cost.get(key, Decimal(0)) + sms.price
    reasons: Counter[str] = Counter()
    example: dict[str, str] = {}
    # In input order, so a seed shows the same examples whatever order the chunks ended in.
    for failure in sorted(failed, key=lambda item: item.index):
        reason = failure_reason(failure.error)
        reasons[reason] += 1
        recipient = failure.recipient
        shown = recipient.to if isinstance(recipient, Recipient) else recipient
        example.setdefault(reason, f"#{failure.index} {shown!r}")
    sent_references = {item.reference for item in sent}
    return DemoResult(
        recipients=len(numbers),
        sent=len(sent),
        failed=len(failed),
        accepted_by_fake=len(accepted),
        accepted_twice=sum(1 for count in accepted.values() if count > 1),
        failed_but_accepted=sum(
            1 for item in failed if item.reference is not None and item.reference in accepted
        ),
        sent_not_accepted=sum(1 for ref in sent_references if accepted.get(ref, 0) != 1),
        seconds=seconds,
        send_requests=sends,
        statuses_read=len(reports),
        statuses=dict(statuses.most_common()),
        fallback_statuses=dict(fallback.most_common()),
        cost=cost,
        fallback_cost=fallback_cost,
        reasons=[(reason, count, example[reason]) for reason, count in reasons.most_common()],
        faults={str(kind): count for kind, count in fake.faults.injected.items()},
        served_at=where,
        requests_retried=counts.retried_requests,
        retries=counts.retries,
        lost_answers=counts.lost_answers,
        lost_answers_recovered=counts.recovered,
    )


def _print(output: Output, result: DemoResult) -> None:
    if output.as_json:
        data = jsonable(result)
        data["reasons"] = [
            {"reason": reason, "count": count, "example": example}
            for reason, count, example in result.reasons
        ]
        data["exactly_once"] = result.exactly_once
        data["per_second"] = round(result.per_second, 1)
        output.json(data)
        return
    table = Table(title="outcomes (stream_many)", title_justify="left")
    table.add_column("outcome")
    table.add_column("recipients", justify="right")
    table.add_row("sent (accepted)", f"{result.sent:,}")
    table.add_row("failed", f"{result.failed:,}")
    table.add_row("total", f"{result.recipients:,}", style="bold")
    output.table(table)
    if result.statuses_read:
        if result.statuses_read != result.sent:
            output.line(
                f"statuses of a sample of {result.statuses_read:,} of the {result.sent:,} "
                "messages sent, read with get_many an hour later:"
            )
        table = Table(title="statuses an hour later", title_justify="left")
        table.add_column("Viber status")
        table.add_column("messages", justify="right")
        for status, count in result.statuses.items():
            table.add_row(status, f"{count:,}")
        for status, count in result.fallback_statuses.items():
            table.add_row(f"SMS fallback: {status}", f"{count:,}")
        output.table(table)
    for currency, amount in sorted(result.cost.items()):
        output.line(f"cost: Viber {amount} {currency}")
    for currency, amount in sorted(result.fallback_cost.items()):
        scope = "" if result.statuses_read == result.sent else " (of the sample)"
        output.line(f"cost: SMS fallback {amount} {currency}{scope}")
    if result.reasons:
        output.line("failures by reason:")
        for reason, count, example in result.reasons:
            output.line(f"  {count:>6,}  {reason}  (e.g. {example})")
    faults = ", ".join(f"{kind} x{count}" for kind, count in sorted(result.faults.items()))
    output.line(
        f"faults injected by the fake: {faults or 'none'} (retried with the same references)"
    )
    output.line(
        retry_line(
            result.requests_retried,
            result.retries,
            result.lost_answers,
            result.lost_answers_recovered,
        )
    )
    verdict = "OK" if result.exactly_once else "FAILED"
    output.line(
        f"exactly-once: the fake accepted {result.accepted_by_fake:,} references, the SDK "
        f"reported {result.sent:,} sent; accepted twice: {result.accepted_twice}; reported "
        f"failed but accepted: {result.failed_but_accepted}; reported sent but not accepted: "
        f"{result.sent_not_accepted} -> {verdict}",
        style="bold green" if result.exactly_once else "bold red",
    )
    output.line(
        f"throughput: {result.recipients:,} recipients in {result.seconds:.2f} s = "
        f"{result.per_second:,.0f}/s ({result.send_requests:,} send requests, "
        f"FakeBSG on {result.served_at})"
    )
