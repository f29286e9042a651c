"""What a store's database must do: one protocol, one schema (`_schema`), two dialects
(`_sqlite`, `_postgres`).

The schema (table names prefixed `bsg_outbox_`, so it can live in an application's own database):

```
meta       key, value                        the schema version (`schema_version`)
campaigns  id, name (unique), channel, settings (JSON), rate_next (epoch seconds), created_at
chunks     id, campaign_id, state (pending | claimed | done), handed, attempts (its claims),
           worker, expires_at (epoch seconds, the database's clock)   (v3)
rows       seq (order added), campaign_id, chunk_id, reference (unique per campaign), msisdn,
           text, state (pending | sent | failed), attempts, message_id, price (text),
           currency, error_type, error_code, error, may_have_been_accepted, status,
           status_at, line (the caller's source line)
rejects    campaign_id, line (unique per campaign), msisdn, reference, error, reason (inputs
           that cannot be sent, kept for the results)
```

A row gets its chunk when it is added (`chunk_size` rows per chunk, in the order added), and
workers claim chunks, never rows. The claim protocol, identical in both dialects (each step
one transaction):

1. **claim**: the chunk of the campaign whose lease expired longest ago (`resume=True`), else
   a `pending` one, those handed to the service before first (`resume=True`). The chunk
   becomes `claimed` (and `handed`) with `expires_at = now + lease` and its `attempts`
   counted, committed before any request for its rows can leave; its unfinished rows are
   read, nothing is written to them. PostgreSQL picks the chunk with `FOR UPDATE SKIP
   LOCKED`, so workers never wait for each other. A claim is named by its chunk and the
   chunk's `attempts` after it (`Claim.generation`).
2. **renew**: `expires_at = now + lease` while the chunk is in flight; `False` when the chunk
   is no longer held by this claim (taken over): the worker lost it.
3. **release**: only while the chunk is still held by this claim, each row's outcome is
   written and the chunk becomes `done` (every row has a final outcome) or `pending` again.
   A worker that outlived its lease writes nothing: the worker that took the chunk over
   records its rows (its `resume=True` send resolves what the first one sent, by reference).

A row is reported `claimed` while it is `pending` in a claimed chunk. Times come from the
database (`now`), never from the workers' clocks.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Sequence
from typing import Protocol

import anyio

from ._models import Claim, OutboxCampaign, OutboxReject, OutboxRow, Release
from ._schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Backend", "NewRow", "Signals", "StatusUpdate"]

NewRow = tuple[str, str, str | None, int | None]
"""A row to add: (reference, msisdn, text or `None` for the campaign's, source line or `None`)."""

StatusUpdate = tuple[int, str, str]
"""A delivery status to store: (campaign id, reference, status)."""


class Backend(Protocol):
    """One dialect of the store. Every method is one transaction unless it says otherwise."""

    async def migrate(self) -> None:
        """Create or upgrade the schema (safe when many workers run it at once)."""

    async def put_campaign(self, campaign: OutboxCampaign) -> int:
        """The id of the campaign with this name, created with these settings if new."""

    async def campaign(self, name: str) -> tuple[int, OutboxCampaign] | None:
        """The stored campaign with this name and its id, or `None`."""

    async def add_rows(
        self, campaign_id: int, chunk: int, batches: AsyncIterable[Sequence[NewRow]]
    ) -> int:
        """Add the rows of every batch in one transaction, in chunks of `chunk` rows (a
        reference already in the campaign is skipped); how many were new. An exception from
        `batches` adds nothing."""

    async def add_rejects(self, campaign_id: int, rejects: Sequence[OutboxReject]) -> int:
        """Keep rejected inputs (a line already kept is skipped); how many were new."""

    async def rejects(self, campaign_id: int, after_line: int, limit: int) -> list[OutboxReject]:
        """Up to `limit` rejected inputs after `after_line`, by line."""

    async def reject_count(self, campaign_id: int) -> int:
        """How many inputs of the campaign were rejected."""

    async def claim(self, campaign_id: int, worker: str, lease: float) -> Claim | None:
        """Claim a chunk (see the module docstring), or `None` when nothing is claimable."""

    async def renew(self, claim: Claim, lease: float) -> bool:
        """Extend a claim's lease; `False` if the chunk is no longer held by it."""

    async def release(self, claim: Claim, outcomes: Release) -> int:
        """Record outcomes of rows while the chunk is still held by `claim`, and release the
        chunk (`done`, or `pending` with the rows left); how many outcomes were recorded."""

    async def reserve(self, campaign_id: int, count: int, rate: float) -> float:
        """Reserve `count` messages of the campaign's shared rate; seconds to wait first."""

    async def unfinished(self, campaign_id: int) -> bool:
        """Whether the campaign has a row to send: a `pending` or `claimed` chunk; two index
        lookups, whatever the campaign's size."""

    async def counts(self, campaign_id: int) -> tuple[dict[str, int], dict[str, list[str]]]:
        """Rows per state, and the prices of sent rows per currency (as text)."""

    async def status_counts(self, campaign_id: int) -> dict[str, int]:
        """Sent rows per delivery status (`""` for none yet)."""

    async def rows(self, campaign_id: int, after_seq: int, limit: int) -> list[OutboxRow]:
        """Up to `limit` rows after `after_seq`, in the order added."""

    async def sent_ids(
        self, campaign_id: int, after_seq: int, limit: int, final: Sequence[str]
    ) -> list[tuple[int, str, int]]:
        """Sent rows whose status is not one of `final`: (seq, reference, message id)."""

    async def set_statuses(self, updates: Sequence[StatusUpdate]) -> int:
        """Store delivery statuses by (campaign, reference); how many rows changed."""

    async def set_status_by_reference(self, reference: str, message_id: int, status: str) -> int:
        """Store a status reported for a reference (in any campaign, where the message id
        matches or none is known yet); how many rows changed."""

    def watch(self, campaign_id: int) -> anyio.Event:
        """The event the next change of the campaign's rows sets (rows added, a chunk
        released): take it before looking at the rows, then wait on it."""

    async def aclose(self) -> None:
        """Close every connection."""


class Signals:
    """One event per campaign, set and replaced at each change: every waiter that took the
    event before it looked at the rows is woken by any change after that look."""

    def __init__(self) -> None:
        self._events: dict[int, anyio.Event] = {}

    def watch(self, campaign_id: int) -> anyio.Event:
        """The event the next change of the campaign sets."""
        event = self._events.get(campaign_id)
        if event is None:
            event = self._events[campaign_id] = anyio.Event()
        return event

    def changed(self, campaign_id: int) -> None:
        """Wake every waiter of the campaign."""
        event = self._events.pop(campaign_id, None)
        if event is not None:
            event.set()
