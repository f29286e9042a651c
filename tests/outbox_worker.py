"""One outbox worker process for the chaos tests (`test_outbox_chaos.py`):

    python tests/outbox_worker.py STORE_URL CAMPAIGN LEASE_SECONDS

It talks to the fake named by `BSG_BASE_URL` with the key in `BSG_API_KEY`, works until the
campaign is done, logs the store's INFO lines and prints its `WorkReport` last.
"""

from __future__ import annotations

import logging
import os
import sys

import anyio

from bsg_async import AsyncBSG, RetryPolicy
from bsg_async.outbox import Outbox


async def main(url: str, campaign: str, lease: float) -> None:
    retry = RetryPolicy(max_attempts=3, base_delay=0.02, max_delay=0.1)
    async with (
        Outbox.open(url) as outbox,
        AsyncBSG(base_url=os.environ["BSG_BASE_URL"], retry=retry, timeout=5.0) as bsg,
    ):
        report = await outbox.work(campaign, bsg, lease=lease, concurrency=2, poll=0.2)
    print(f"report {report}", flush=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    anyio.run(main, sys.argv[1], sys.argv[2], float(sys.argv[3]))
