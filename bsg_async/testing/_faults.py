"""Deterministic fault injection: what can go wrong with one request, decided by seed or script.

A `Faults` plan holds rates (each request in scope draws once from the fake's seeded
`random.Random`), scripts (explicit lists consumed by the next matching requests, before the
rates), a scope (methods and path patterns) and the latency added to every request. The fake
asks it once per request, when the request arrives; the adapters (httpx transport, ASGI app)
then make the chosen fault real.

The rates, latency, `retry_after` and scope are configuration: `reset()` (and so
`FakeBSG.reset()` and `POST /_fake/reset`) keeps them and forgets only what happened (unused
scripts, the `injected` counts); `clear()` is what removes the configuration.
"""

from __future__ import annotations

import enum
import fnmatch
import random
import re
from collections import Counter, deque
from collections.abc import Iterable, Mapping

import attrs

from ..errors import InvalidParameterError

__all__ = ["FaultKind", "Faults"]


class FaultKind(str, enum.Enum):
    """One way a request can fail. The values are what scripts and rates accept as strings.

    | kind | the service acted on it | the httpx transport raises / answers | over HTTP (ASGI) |
    |---|---|---|---|
    | `connect_error` | no | `httpx.ConnectError` | connection dropped before any answer |
    | `reset_before` | no | `httpx.ReadError` (reset by peer) | connection dropped |
    | `reset_after` | **yes** | `httpx.RemoteProtocolError` | answer cut off after its headers |
    | `lost_answer` | **yes** | `httpx.ReadTimeout` | answer cut off after its headers |
    | `429` | no | HTTP 429, code 11, `Retry-After` | the same |
    | `500` | no | HTTP 500, plain-text body | the same |
    | `502`, `503`, `504` | no | that status with a proxy's HTML body | the same |
    """

    CONNECT_ERROR = "connect_error"
    RESET_BEFORE = "reset_before"
    RESET_AFTER = "reset_after"
    LOST_ANSWER = "lost_answer"
    RATE_LIMIT = "429"
    SERVER_ERROR = "500"
    BAD_GATEWAY = "502"
    SERVICE_UNAVAILABLE = "503"
    GATEWAY_TIMEOUT = "504"

    def __str__(self) -> str:
        return str(self.value)

    @property
    def processed(self) -> bool:
        """`True` when the service acts on the request (accepts its messages) despite the fault."""
        return self is FaultKind.RESET_AFTER or self is FaultKind.LOST_ANSWER

    @property
    def http_status(self) -> int | None:
        """The HTTP status the client receives, or `None` when no answer reaches it."""
        return int(self.value) if self.value.isdigit() else None

    @classmethod
    def coerce(cls, value: FaultKind | str) -> FaultKind:
        """`value` as a `FaultKind`; raises `InvalidParameterError` for an unknown name."""
        if isinstance(value, FaultKind):
            return value
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                pass
        known = ", ".join(kind.value for kind in cls)
        raise InvalidParameterError("fault", value, f"expected one of: {known}")


@attrs.frozen
class Scope:
    """Which requests a rule applies to: HTTP methods and path patterns (`None`: all)."""

    methods: frozenset[str] | None = None
    pattern: re.Pattern[str] | None = None

    @classmethod
    def of(cls, methods: Iterable[str] | None, paths: Iterable[str] | None) -> Scope:
        """A scope from method names and glob patterns matched against the end of the path."""
        method_set = None
        if methods is not None:
            method_set = frozenset(m.upper() for m in _strings(methods, "methods"))
        pattern = None
        if paths is not None:
            paths = _strings(paths, "paths")
            parts = [fnmatch.translate(p if p.startswith("*") else "*" + p) for p in paths if p]
            if parts:
                pattern = re.compile("|".join(f"(?:{part})" for part in parts))
        return cls(method_set, pattern)

    def matches(self, method: str, path: str) -> bool:
        """Whether a request with this method and (raw) path is in scope."""
        if self.methods is not None and method not in self.methods:
            return False
        return self.pattern is None or self.pattern.match(path) is not None


_ALL = Scope()


class Faults:
    """The fault plan of a `FakeBSG`: seeded rates, explicit scripts, scope and latency.

    - `rates`: a mapping of `FaultKind` (or its string value) to a probability; their sum is at
      most 1. Each request in scope draws once from the fake's seeded generator, so a seed
      gives the same faults for the same sequence of requests.
    - `latency`: seconds from a request's arrival to its answer, for every request (not only
      those in scope), plus a uniform random `latency_jitter` (seconds) drawn from the same
      generator. The request is processed on arrival; only its answer waits.
    - `retry_after`: the `Retry-After` header of a 429, in whole seconds.
    - `methods`, `paths`: restrict the rates to these HTTP methods and path globs (a pattern
      matches the end of the request path: `"/viber/create"`, `"/sms/*"`).

    ```python
    fake = FakeBSG(seed=7, faults=Faults({"lost_answer": 0.1, "503": 0.05}, paths=["*/create"]))
    fake.faults.script(["lost_answer", None, "500"])   # the next three requests, then rates
    ```

    Raises `InvalidParameterError` for an unknown kind, a rate outside 0..1 or rates summing
    above 1, or a negative latency.
    """

    def __init__(
        self,
        rates: Mapping[FaultKind | str, float] | None = None,
        *,
        latency: float = 0.0,
        latency_jitter: float = 0.0,
        retry_after: int = 1,
        methods: Iterable[str] | None = None,
        paths: Iterable[str] | None = None,
    ) -> None:
        self._rates: dict[FaultKind, float] = {}
        self._thresholds: tuple[tuple[float, FaultKind], ...] = ()
        self._total = 0.0
        self.rates = rates or {}
        self.latency = latency
        self.latency_jitter = latency_jitter
        self.retry_after = retry_after
        self.scope = Scope.of(methods, paths)
        self._scripts: list[tuple[Scope, deque[FaultKind | None]]] = []
        self._injected: Counter[FaultKind] = Counter()

    # -- configuration -------------------------------------------------------------------------

    @property
    def rates(self) -> Mapping[FaultKind, float]:
        """The probability of each fault kind per request in scope (a copy)."""
        return dict(self._rates)

    @rates.setter
    def rates(self, value: Mapping[FaultKind | str, float]) -> None:
        if not isinstance(value, Mapping):
            raise InvalidParameterError("rates", value, "expected a mapping of fault kind to rate")
        rates: dict[FaultKind, float] = {}
        for name, rate in value.items():
            kind = FaultKind.coerce(name)
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
                raise InvalidParameterError(f"rates[{kind.value}]", rate, "expected 0 to 1")
            if rate:
                rates[kind] = float(rate)
        total = sum(rates.values())
        if total > 1 + 1e-9:
            raise InvalidParameterError("rates", dict(value), "the rates must sum to at most 1")
        cumulative = 0.0
        thresholds = []
        for kind, rate in rates.items():
            cumulative += rate
            thresholds.append((cumulative, kind))
        self._rates = rates
        self._thresholds = tuple(thresholds)
        self._total = cumulative

    @property
    def latency(self) -> float:
        """Seconds added to every request."""
        return self._latency

    @latency.setter
    def latency(self, value: float) -> None:
        self._latency = _seconds(value, "latency")

    @property
    def latency_jitter(self) -> float:
        """Up to this many seconds more, drawn uniformly per request."""
        return self._latency_jitter

    @latency_jitter.setter
    def latency_jitter(self, value: float) -> None:
        self._latency_jitter = _seconds(value, "latency_jitter")

    @property
    def retry_after(self) -> int:
        """The `Retry-After` of an injected 429, in seconds."""
        return self._retry_after

    @retry_after.setter
    def retry_after(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidParameterError("retry_after", value, "expected whole seconds >= 0")
        self._retry_after = value

    def restrict(
        self, *, methods: Iterable[str] | None = None, paths: Iterable[str] | None = None
    ) -> None:
        """Apply the rates only to these methods and path globs (`None`: no restriction)."""
        self.scope = Scope.of(methods, paths)

    def script(
        self,
        kinds: Iterable[FaultKind | str | None],
        *,
        methods: Iterable[str] | None = None,
        paths: Iterable[str] | None = None,
    ) -> None:
        """Queue faults for the next requests matching `methods`/`paths`, one per request.

        `None` in the list means "no fault" for that request. Scripts are consumed before the
        rates apply; several scripts are consulted in the order they were added.

        ```python
        fake.faults.script(["lost_answer"], paths=["/viber/create"])
        ```
        """
        if isinstance(kinds, (str, FaultKind)):
            kinds = [kinds]
        queue: deque[FaultKind | None] = deque(
            None if kind is None else FaultKind.coerce(kind) for kind in kinds
        )
        if queue:
            self._scripts.append((Scope.of(methods, paths), queue))

    @property
    def pending(self) -> int:
        """How many scripted entries have not been used yet."""
        return sum(len(queue) for _, queue in self._scripts)

    @property
    def injected(self) -> Mapping[FaultKind, int]:
        """How many faults of each kind were injected so far (a copy)."""
        return dict(self._injected)

    def clear(self) -> None:
        """No rates, no scripts, no latency, no scope restriction; the counts are kept."""
        self.rates = {}
        self.latency = 0.0
        self.latency_jitter = 0.0
        self.scope = _ALL
        self._scripts.clear()

    def reset(self) -> None:
        """Forget what happened (the scripts not used yet and the `injected` counts); keep
        the configuration: rates, latency, jitter, `retry_after` and scope. `FakeBSG.reset()`
        calls it."""
        self._scripts.clear()
        self._injected.clear()

    def __repr__(self) -> str:
        rates = {kind.value: rate for kind, rate in self._rates.items()}
        return (
            f"Faults(rates={rates!r}, latency={self._latency!r}, "
            f"latency_jitter={self._latency_jitter!r}, pending={self.pending})"
        )

    # -- decision ------------------------------------------------------------------------------

    def decide(self, method: str, path: str, rng: random.Random) -> tuple[FaultKind | None, float]:
        """The fault (or `None`) and the latency for one request, consuming scripts and `rng`."""
        latency = self._latency
        if self._latency_jitter:
            latency += rng.random() * self._latency_jitter
        fault: FaultKind | None = None
        for index, (scope, queue) in enumerate(self._scripts):
            if scope.matches(method, path):
                fault = queue.popleft()
                if not queue:
                    del self._scripts[index]
                break
        else:
            if self._total and self.scope.matches(method, path):
                draw = rng.random()
                for threshold, kind in self._thresholds:
                    if draw < threshold:
                        fault = kind
                        break
        if fault is not None:
            self._injected[fault] += 1
        return fault, latency


def _strings(value: Iterable[str], field: str) -> list[str]:
    """`value` (one string or several) as a list of strings; anything else is refused."""
    items: object = [value] if isinstance(value, str) else value
    if isinstance(items, Iterable):
        result = list(items)
        if all(isinstance(item, str) for item in result):
            return result
    raise InvalidParameterError(field, value, "expected a string or a list of strings")


def _seconds(value: float, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 3600:
        raise InvalidParameterError(field, value, "expected seconds from 0 to 3600")
    return float(value)
