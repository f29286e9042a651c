"""A Viber campaign with SMS fallback from a CSV file: streamed, resumable, then its statuses.

    BSG_API_KEY=live_... python examples/campaign.py recipients.csv
    BSG_API_KEY=live_... python examples/campaign.py recipients.csv --resume   # after a crash

`recipients.csv` has the columns `msisdn,reference`; the reference is your id for the message
(a customer or row id: 1 to 32 of [A-Za-z0-9_-]). The file is read lazily, however long it is,
and every outcome is appended to `recipients.outcomes.csv` the moment it arrives.

Interrupted? Run it again with `--resume`: the recipients already recorded as sent are skipped,
and the rest go out with the same references and `resume=True`, so the ones the service took
before the crash are reported sent (with their real id and price), never sent twice.

For the full tool (campaign store, progress bar, results file, exit codes) use `bsg campaign send`.
Against the built-in fake instead of the network:

    python -m bsg_async.testing --port 8080 &
    BSG_API_KEY=test_key BSG_BASE_URL=http://127.0.0.1:8080/rest \
        python examples/campaign.py recipients.csv
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from bsg_async import AsyncBSG, LookupFailed, Recipient, Sent, SmsFallback
from bsg_async.client import DEFAULT_BASE_URL

TEXT = "Spring sale: 20% off until Sunday. Show this message at the till."
FALLBACK = SmsFallback(sender="Shop", text="Spring sale: 20% off until Sunday.")


def recipients(path: Path, skip: set[str]) -> Iterator[Recipient]:
    """The CSV's recipients, one at a time, leaving out the references in `skip`."""
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["reference"] not in skip:
                yield Recipient(row["msisdn"], row["reference"])


def already_sent(outcomes: Path) -> set[str]:
    """The references an earlier run recorded as sent."""
    if not outcomes.exists():
        return set()
    with outcomes.open(encoding="utf-8", newline="") as handle:
        return {row["reference"] for row in csv.DictReader(handle) if row["outcome"] == "sent"}


def bsg_client() -> AsyncBSG:
    """The client: key from BSG_API_KEY; BSG_BASE_URL points it at another host."""
    return AsyncBSG(base_url=os.environ.get("BSG_BASE_URL", DEFAULT_BASE_URL))


async def main(path: Path, *, resume: bool) -> int:
    outcomes_path = path.with_suffix(".outcomes.csv")
    skip = already_sent(outcomes_path) if resume else set()
    if not resume and outcomes_path.exists():
        raise SystemExit(f"{outcomes_path} exists: pass --resume to continue that campaign")
    sent: list[Sent] = []
    failures = 0
    cost: dict[str, Decimal] = {}

    async with bsg_client() as bsg:
        new_file = not outcomes_path.exists()
        with outcomes_path.open("a", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            if new_file:
                writer.writerow(["reference", "msisdn", "outcome", "id", "price", "error"])
            stream = bsg.viber.stream_many(
                to=recipients(path, skip),
                text=TEXT,
                sender="Shop",
                sms_fallback=FALLBACK,
                validity=timedelta(seconds=3600),  # seconds, for Viber
                resume=resume,
                on_progress=lambda done, _total: print(f"\r{done} done", end="", flush=True),
            )
            async with stream:
                async for outcome in stream:  # as chunks complete; one per recipient
                    msisdn = getattr(outcome.recipient, "msisdn", outcome.recipient)
                    if isinstance(outcome, Sent):
                        sent.append(outcome)
                        writer.writerow(
                            [outcome.reference, msisdn, "sent", outcome.id, outcome.price, ""]
                        )
                        if outcome.price is not None:
                            currency = outcome.currency or ""
                            cost[currency] = cost.get(currency, Decimal(0)) + outcome.price
                    else:
                        failures += 1
                        writer.writerow(
                            [outcome.reference, msisdn, "failed", "", "", outcome.error]
                        )
        print()
        # Statuses are read later in real life (or received as they change); here, at once.
        reports = await bsg.viber.get_many([outcome.id for outcome in sent])

    statuses = Counter(
        "read failed" if isinstance(report, LookupFailed) else str(report.status)
        for report in reports
    )
    print(f"sent {len(sent)} (skipped {len(skip)} sent before), failed {failures}")
    print("cost:", ", ".join(f"{amount} {currency}" for currency, amount in cost.items()) or "0")
    print("statuses:", dict(statuses))
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipients", type=Path, help="CSV with msisdn,reference columns")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run")
    arguments = parser.parse_args()
    raise SystemExit(asyncio.run(main(arguments.recipients, resume=arguments.resume)))
