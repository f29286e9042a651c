"""The webhook idempotency store: run a handler once per delivery, however often BSG sends it.

`idempotency_key` names a delivery's content; an `IdempotencyStore` (the protocol to implement
over Redis or a database; `MemoryIdempotencyStore` in process) remembers the keys handled;
`Deduplicator` claims a key before the handler runs and releases it if the handler fails, so
BSG's redelivery is handled. `RcsWebhookApp(idempotency=...)` uses a `Deduplicator`.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar, runtime_checkable

import anyio

from .. import _validation as rules
from ..errors import InvalidParameterError
from ..models.rcs_report import RcsClick, RcsReport, RcsStatus
from ._parse import RcsCallback

__all__ = ["Deduplicator", "IdempotencyStore", "MemoryIdempotencyStore", "idempotency_key"]

_E = TypeVar("_E", RcsReport, RcsClick)


def idempotency_key(event: RcsCallback) -> str:
    """The key that identifies one delivery's content: `(id, status)` for a report.

    A report's status is normalised (a known status by its value, an unknown one lower-cased
    and stripped), so `"DELIVERED"` and `"delivered"` are the same event. A click is keyed on
    its id, time and postback.

    >>> from bsg_async.webhooks import parse_rcs_report
    >>> idempotency_key(parse_rcs_report('{"id": "42", "status": "DELIVERED"}'))
    'rcs:42:delivered'
    """
    if isinstance(event, RcsReport):
        status = event.status.value if isinstance(event.status, RcsStatus) else event.status
        return f"rcs:{event.id}:{status.strip().lower()}"
    moment = None if event.time_click is None else event.time_click.isoformat()
    return "rcs-click:" + json.dumps([event.id, moment, event.postback], ensure_ascii=False)


@runtime_checkable
class IdempotencyStore(Protocol):
    """Where `Deduplicator` remembers the deliveries it has handled. Plug in Redis, a database...

    `add` records a key and answers `True` only the first time it sees it; it must be atomic
    (two concurrent `add`s of one key: exactly one `True`). `discard` forgets a key again: it is
    called when the handler failed, so the redelivery is handled.
    """

    async def add(self, key: str) -> bool:
        """Record `key`; `True` if it was not recorded before."""
        ...

    async def discard(self, key: str) -> None:
        """Forget `key` (no error if it is not recorded)."""
        ...


class MemoryIdempotencyStore:
    """An in-process `IdempotencyStore` remembering at most `max_keys` keys (least recent dropped).

    Good for one process; several workers or hosts need a shared store. A key dropped from the
    bound is treated as new again. Safe to share between tasks and threads.

    >>> import anyio
    >>> store = MemoryIdempotencyStore(max_keys=2)
    >>> anyio.run(store.add, "a"), anyio.run(store.add, "a")
    (True, False)

    Raises `InvalidParameterError` if `max_keys` is not a positive integer.
    """

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self._max_keys = rules.integer(max_keys, "max_keys", (1, 2**40), "keys")
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def max_keys(self) -> int:
        """The most keys this store holds at once."""
        return self._max_keys

    async def add(self, key: str) -> bool:
        """Record `key` as most recent; `True` if it was not held."""
        with self._lock:
            if key in self._keys:
                self._keys.move_to_end(key)
                return False
            self._keys[key] = None
            if len(self._keys) > self._max_keys:
                self._keys.popitem(last=False)
            return True

    async def discard(self, key: str) -> None:
        """Forget `key`."""
        with self._lock:
            self._keys.pop(key, None)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._keys

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)

    def __repr__(self) -> str:
        return f"MemoryIdempotencyStore(max_keys={self._max_keys}, held={len(self)})"


class Deduplicator:
    """Runs a handler once per delivery content (`idempotency_key`), however often BSG sends it.

    The key is claimed before the handler runs (a concurrent duplicate is skipped) and released
    if the handler raises or is cancelled, so the redelivery BSG makes then is handled.

    >>> import anyio
    >>> from bsg_async.webhooks import parse_rcs_report
    >>> seen = []
    >>> async def handle(report):
    ...     seen.append(report.id)
    >>> dedupe = Deduplicator()
    >>> report = parse_rcs_report('{"id": 1, "status": "sent"}')
    >>> async def main():
    ...     return [await dedupe.call_once(report, handle) for _ in range(3)]
    >>> anyio.run(main), seen
    ([True, False, False], [1])
    """

    def __init__(self, store: IdempotencyStore | None = None) -> None:
        if store is not None and not isinstance(store, IdempotencyStore):
            raise InvalidParameterError(
                "store", store, "needs async add(key) -> bool and discard(key) methods"
            )
        self.store: IdempotencyStore = store if store is not None else MemoryIdempotencyStore()

    async def call_once(self, event: _E, handler: Callable[[_E], Awaitable[object]]) -> bool:
        """Await `handler(event)` unless this event was handled before; `True` if it ran.

        Whatever `handler` raises propagates (after the key is released).
        """
        key = idempotency_key(event)
        if not await self.store.add(key):
            return False
        try:
            await handler(event)
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.store.discard(key)
            raise
        return True
