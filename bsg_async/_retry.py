"""The retry policy: which failures are worth another attempt, and how long to wait first.

Pure and synchronous, so it is tested without I/O. The request pipeline (`_transport`) asks
`RetryPolicy.should_retry` after each failed attempt and sleeps `RetryPolicy.delay` seconds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import attrs

from .errors import BSGError, InvalidParameterError, RateLimitError, ServerError, TransportError

__all__ = ["RetryPolicy"]


def _positive(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise InvalidParameterError(
            attribute.name, value, "expected a finite number of seconds >= 0"
        )


def _attempts(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidParameterError(attribute.name, value, "expected an integer >= 1")


@attrs.frozen
class RetryPolicy:
    """How the client retries a request that failed in a way another attempt may fix.

    Retried: connection failures, timeouts, HTTP 429 and code 11 (throttled) and HTTP 5xx.
    Never retried: an answer that refuses the request (a 4xx, a BSG error code).
    Sends are retried with the **same references**, so the service can never accept a message
    twice (see docs/guides/errors.md, "Retries and exactly-once").

    - `max_attempts`: attempts in all, the first included; `RetryPolicy(max_attempts=1)` turns
      retries off.
    - `base_delay`, `max_delay`: seconds; the wait before attempt n+1 is a random value between
      half and all of `min(max_delay, base_delay * 2**(n-1))` (capped exponential backoff with
      jitter).
    - `max_retry_after`: the longest `Retry-After` the client honours, in seconds; a longer
      advice ends the retries.
    """

    max_attempts: int = attrs.field(default=3, validator=_attempts)
    base_delay: float = attrs.field(default=0.5, validator=_positive)
    max_delay: float = attrs.field(default=8.0, validator=_positive)
    max_retry_after: float = attrs.field(default=60.0, validator=_positive)

    def should_retry(self, error: BSGError, attempt: int) -> bool:
        """Whether to make attempt `attempt + 1` after `error` ended attempt `attempt`."""
        if attempt >= self.max_attempts:
            return False
        if isinstance(error, RateLimitError):
            return error.retry_after is None or error.retry_after <= self.max_retry_after
        if isinstance(error, ServerError):
            # Code 5 ("unknown error") is a definite answer from the service, not a failed hop.
            return error.http_status is not None and error.http_status >= 500
        return isinstance(error, TransportError)

    def delay(
        self,
        error: BSGError,
        attempt: int,
        *,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait after attempt `attempt` failed with `error`."""
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            advised = 0.0 if math.isnan(error.retry_after) else max(error.retry_after, 0.0)
            return float(min(advised, self.max_retry_after))
        # Capped exponent: 2**1024 no longer converts to a float (OverflowError), and a policy
        # may allow that many attempts.
        exponent = min(max(attempt - 1, 0), 1000)
        ceiling = min(self.max_delay, self.base_delay * 2**exponent)
        return float(ceiling * (0.5 + rand() / 2))
