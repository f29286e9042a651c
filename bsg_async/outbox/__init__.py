"""`bsg_async.outbox`: campaigns that outgrow one process, delivered exactly once.

A durable campaign store (not the One-API's server-side campaigns): the rows of a campaign,
each with its reference fixed when it is added, delivered by any number of workers on any
machines, every row ending with exactly one outcome.

```python
from bsg_async import AsyncBSG
from bsg_async.outbox import Outbox, OutboxCampaign

async with Outbox.open("postgresql://app@db/app") as outbox:    # or "sqlite:///campaigns.db"
    await outbox.create_campaign(
        OutboxCampaign("spring-sale", channel="viber", text="Sale", sender="Shop")
    )
    await outbox.add("spring-sale", numbers)
    async with AsyncBSG(api_key="live_...") as bsg:
        report = await outbox.work("spring-sale", bsg)           # run it on every machine
    summary = await outbox.summary("spring-sale")
```

- `Outbox.open(url)`: SQLite (the embedded default: a file, no server; workers on one
  machine) or PostgreSQL (the `postgres` extra: workers anywhere). The schema is created and
  versioned by the SDK.
- `Outbox.add`: a million rows in seconds (`COPY` / one SQLite transaction); idempotent by
  reference. `enqueue(connection, ...)`: the same inside your own PostgreSQL transaction.
- `Outbox.work`: claim a chunk under a lease (`SELECT ... FOR UPDATE SKIP LOCKED`), send it
  with `send_many` and the stored references, record every row's outcome; a dead worker's
  chunk is taken over when its lease expires and reconciled by reference (`resume=True`).
- `Outbox.summary`, `Outbox.results`, `Outbox.refresh_statuses`, `Outbox.record_report`;
  `Outbox.reject` / `Outbox.rejects`: inputs that cannot be sent, kept for the results.
"""

from ._models import (
    OutboxCampaign,
    OutboxReject,
    OutboxRow,
    OutboxSummary,
    RowState,
    WorkReport,
)
from ._store import (
    CampaignConflictError,
    CampaignNotFoundError,
    Outbox,
    OutboxError,
    OutboxMessage,
    enqueue,
)

__all__ = [
    "CampaignConflictError",
    "CampaignNotFoundError",
    "Outbox",
    "OutboxCampaign",
    "OutboxError",
    "OutboxMessage",
    "OutboxReject",
    "OutboxRow",
    "OutboxSummary",
    "RowState",
    "WorkReport",
    "enqueue",
]
