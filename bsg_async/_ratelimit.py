"""A client-wide request rate limit (`AsyncBSG(rate_limit=...)`).

The generic cell rate algorithm: each request is given the theoretical arrival time `tat`; a
request may go when `now >= tat - tolerance`, and pushes `tat` on by one interval. Requests
are spaced `1 / rate` seconds apart on average, with bursts of at most `burst` requests.
The lock is held only to compute the wait, never while sleeping, so waiters do not queue
behind one another's sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

from .errors import InvalidParameterError

__all__ = ["RateLimiter", "rate_clock", "rate_sleep"]


async def rate_sleep(seconds: float) -> None:
    """Wait for the rate limit. Module-level so tests can make waits instant."""
    await anyio.sleep(seconds)


def rate_clock() -> float:
    """The limiter's clock (monotonic seconds). Module-level so tests can run the limiter on
    virtual time, with `rate_sleep` advancing it."""
    return time.monotonic()


class RateLimiter:
    """At most `rate` requests per second on average, in bursts of at most `burst`."""

    def __init__(
        self,
        rate: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 < rate < 1e9:
            raise InvalidParameterError("rate_limit", rate, "expected requests per second > 0")
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise InvalidParameterError("rate_limit_burst", burst, "expected an integer >= 1")
        self.rate = rate
        self.burst = burst
        self._interval = 1.0 / rate
        self._tolerance = (burst - 1) * self._interval
        self._clock = clock  # `None`: `rate_clock`, looked up when used
        self._tat = float("-inf")

    def reserve(self) -> float:
        """Take the next slot; return how many seconds to wait before using it."""
        now = (self._clock or rate_clock)()
        tat = max(self._tat, now)
        self._tat = tat + self._interval
        return max(0.0, tat - self._tolerance - now)

    async def acquire(self) -> None:
        """Wait until the next request may go."""
        # `reserve` does not await, so on one event loop it needs no lock.
        wait = self.reserve()
        if wait > 0:
            await rate_sleep(wait)

    def __repr__(self) -> str:
        return f"RateLimiter(rate={self.rate!r}, burst={self.burst!r})"
