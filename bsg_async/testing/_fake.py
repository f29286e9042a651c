"""`FakeBSG`: the core of the fake service, one request in, one answer (or fault) out.

`FakeBSG.handle(method, path, query=..., headers=..., body=...)` is the whole service: it decides
the request's fault and latency, processes it (unless the fault happens before processing),
records it and returns an `Exchange`. The httpx transport (`fake.transport`) and the ASGI app
(`fake.app`) are thin adapters around the same two steps, adding the latency with
`anyio.sleep` and turning a fault into what a client really sees.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..errors import InvalidParameterError
from ._faults import FaultKind, Faults
from ._legacy import Config, LegacyApi, Reply
from ._one_api import OneApi
from ._state import (
    SMS_ID_BASE,
    VIBER_ID_BASE,
    AcceptanceView,
    ByReferenceView,
    Channel,
    ChannelStore,
    FakeMessage,
    Fates,
    Lifecycle,
    MessageState,
    MessagesView,
    Task,
)

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from ._asgi import FakeApp
    from ._server import FakeServer
    from ._transport import FakeTransport

__all__ = ["ChannelView", "Exchange", "FakeBSG", "RecordedRequest"]

_LEGACY_ROUTE = re.compile(
    r".*/(sms|viber)/(?:(create)|task/([^/]*)|reference/([^/]*)|([^/]*))\Z", re.DOTALL
)
_ONE_API_ROUTE = re.compile(r".*/api/(auth/login|auth/refresh|accounts/balance)\Z", re.DOTALL)
_SECRET_HEADERS = frozenset({"x-api-key", "authorization"})
_SEND_METHODS = frozenset({"POST", "PUT"})
_SERVER_ERROR_BODY = b"Internal Server Error"
_PROXY_PAGE = (
    "<html><head><title>{0}</title></head><body><center><h1>{0}</h1></center>"
    "<hr><center>nginx</center></body></html>"
)
_PROXY_TITLES = {
    502: "502 Bad Gateway",
    503: "503 Service Unavailable",
    504: "504 Gateway Time-out",
}
_NOT_FOUND = Reply(404, b'{"message":"Not Found"}')
_NOT_ALLOWED = Reply(405, b'{"error":4,"errorDescription":"Function not supported"}')


@attrs.frozen
class RecordedRequest:
    """One request the fake received, for assertions.

    `path` is the raw (percent-encoded) path, `query` the raw query string, `headers` the
    request headers with `X-API-KEY` and `Authorization` masked as `[secure]`. `fault` is the
    injected fault (or `None`), `status` the HTTP status the service produced (0 when it did not
    answer), `processed` whether the service acted on the request, `at` the fake's clock.
    """

    method: str
    path: str
    query: str
    body: bytes = attrs.field(repr=False)
    headers: tuple[tuple[str, str], ...] = attrs.field(repr=False)
    at: float
    fault: FaultKind | None
    status: int
    processed: bool
    latency: float = 0.0

    def json(self) -> Any:
        """The body decoded as JSON (`None` for an empty body). Raises `ValueError` if not JSON."""
        return json.loads(self.body) if self.body else None


@attrs.frozen
class Exchange:
    """What happened to one request.

    `status`, `headers` and `body` are the answer the service produced (status 0 and an empty
    body when it produced none); whether the client receives it depends on `fault`:
    `delivered` is `False` for a connection fault (the client sees an exception or a cut
    connection). `processed` tells whether the service acted on the request; `latency` is the
    delay in seconds the adapters add.
    """

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    fault: FaultKind | None
    processed: bool
    latency: float = 0.0

    @property
    def delivered(self) -> bool:
        """Whether the client receives this answer."""
        return self.fault is None or self.fault.http_status is not None


class ChannelView:
    """The fake's messages of one channel (`fake.sms`, `fake.viber`).

    ```python
    assert fake.viber.acceptances("ref1") == 1
    message = fake.viber.find("ref1")
    assert fake.viber.status(message) == "scheduled"
    ```
    """

    def __init__(self, fake: FakeBSG, store: ChannelStore) -> None:
        self._fake = fake
        self._store = store

    @property
    def channel(self) -> Channel:
        """`"sms"` or `"viber"`."""
        return self._store.channel

    @property
    def messages(self) -> Sequence[FakeMessage]:
        """Every accepted message of the channel, in acceptance order (a live read-only view)."""
        return MessagesView(self._store)

    @property
    def accepted(self) -> Mapping[str, int]:
        """Reference -> how many times it was accepted (a live read-only view)."""
        return AcceptanceView(self._store)

    @property
    def by_reference(self) -> Mapping[str, FakeMessage]:
        """Reference -> the (first) message accepted with it (a live read-only view)."""
        return ByReferenceView(self._store)

    def acceptances(self, reference: str) -> int:
        """How many times a message with `reference` was accepted: 0 or 1, unless the fake
        was created with `unique_references=False`."""
        return self._store.acceptances(reference)

    def get(self, message_id: int) -> FakeMessage | None:
        """The message with this id, or `None`."""
        return self._store.get(message_id)

    def find(self, reference: str) -> FakeMessage | None:
        """The (first) message accepted with this reference, or `None`."""
        return self._store.find(reference)

    def state(self, message: FakeMessage | str) -> MessageState:
        """The state of a message (or of the message with that reference) now.

        Raises `KeyError` for an unknown reference.
        """
        return self._fake.state(self._message(message))

    def status(self, message: FakeMessage | str) -> str:
        """The status of a message (or reference) now: `"scheduled"`, `"delivered"`, ..."""
        return self.state(message).status

    def _message(self, message: FakeMessage | str) -> FakeMessage:
        if isinstance(message, FakeMessage):
            return message
        found = self._store.find(message)
        if found is None:
            raise KeyError(f"no {self.channel} message with reference {message!r}")
        return found

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return f"<ChannelView {self.channel}: {len(self)} messages>"


class FakeBSG:
    """A stateful in-memory fake of the BSG service, for tests, demos and benchmarks.

    It serves the legacy REST API (SMS single, bulk and individual create; SMS status by id and
    by reference; SMS task; Viber create and status by id and by reference, with SMS fallback)
    and the One-API login, refresh and balance, validating like the real service and answering
    with its documented codes and wire quirks. References are unique per channel forever
    (codes 23 and 43). Statuses move forward on the fake's clock. Faults are injected from a
    seed or a script. Use it in process as an httpx transport, or serve it over HTTP:

    ```python
    fake = FakeBSG(seed=1)
    async with AsyncBSG(api_key="test_x", transport=fake.transport) as bsg:
        receipt = await bsg.sms.send(msisdn="380501234567", body="Hi", originator="Shop")
    assert fake.sms.acceptances(receipt.reference) == 1
    fake.advance(60)                     # statuses move on: scheduled -> sent -> delivered
    ```

    Options (all keyword-only):

    - `seed`: fixes fault draws, single-answer shapes, message fates and token keys.
    - `api_keys`: the accepted keys (`None`: any non-blank key). A wrong key gets code 1 with
      HTTP 401 on the legacy API and HTTP 401 on the One-API login.
    - `clock`: a callable returning Unix seconds; default: frozen at the creation time, so
      nothing moves until `advance()`. `clock=time.time` makes statuses move in real time.
    - `faults`: a `Faults` plan (also reachable and changeable as `fake.faults`).
    - `lifecycle`: a `Lifecycle` (when statuses move, what share fails, who is not on Viber).
    - `sms_price`, `viber_price`: the price per message (`Decimal`), in `currency`.
    - `single_shape`: the single-SMS answer: `"flat"` (the seed documentation), `"wrapped"` in
      `result` (the official clients), or `"mixed"` (seeded choice per request).
    - `http_error_status`: `False` (default) answers request-level errors with HTTP 200 and
      the code in the body; `True` uses 400/404/429 for them.
    - `unique_references`: `False` accepts a reference again (counted by `acceptances`), to
      show what a client that relies on the service's guard would do without it.
    - `non_viber_numbers`: numbers that never receive Viber (SMS fallback instead), besides
      the lifecycle's seeded share.
    - `invalid_prefixes`: numbers starting with these are refused (21 SMS, 41 Viber).
    - `allowed_senders`: when given, other originators are refused (32 SMS, 45 Viber).
    - `max_text_length`: an SMS body limit (code 26); Viber text is limited to 1,000 (46).
    - `two_way_enabled`: `False` refuses `2way` with code 35.
    - `token_ttl`: One-API token lifetime in seconds (default 30 days), counted on the wall
      clock (which the SDK reads a token's `exp` against) plus every `advance()`.
    - `balance`: the One-API balance (`Decimal`).
    - `record_limit`: how many requests `fake.requests` keeps (oldest dropped; 0: none).

    Not thread-safe: drive it from one event loop (your test's, or uvicorn's). Its memory grows
    with the messages it accepted (it must remember every reference to refuse it again).

    Raises `InvalidParameterError` for a bad option.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        api_keys: Collection[str] | None = None,
        clock: Callable[[], float] | None = None,
        faults: Faults | None = None,
        lifecycle: Lifecycle | None = None,
        sms_price: Decimal = Decimal("0.02"),
        viber_price: Decimal = Decimal("0.23"),
        currency: str = "EUR",
        single_shape: Literal["flat", "wrapped", "mixed"] = "flat",
        http_error_status: bool = False,
        unique_references: bool = True,
        non_viber_numbers: Collection[str] = (),
        invalid_prefixes: Collection[str] = (),
        allowed_senders: Collection[str] | None = None,
        max_text_length: int | None = None,
        two_way_enabled: bool = True,
        token_ttl: float = 30 * 86_400,
        balance: Decimal = Decimal("100.0000000"),
        record_limit: int = 1_000,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidParameterError("seed", seed, "expected an integer")
        for name, price in (("sms_price", sms_price), ("viber_price", viber_price)):
            if not isinstance(price, Decimal) or not price.is_finite() or price < 0:
                raise InvalidParameterError(name, price, "expected a finite Decimal >= 0")
        if not isinstance(balance, Decimal) or not balance.is_finite():
            raise InvalidParameterError("balance", balance, "expected a finite Decimal")
        if single_shape not in ("flat", "wrapped", "mixed"):
            raise InvalidParameterError(
                "single_shape", single_shape, "expected 'flat', 'wrapped' or 'mixed'"
            )
        if not isinstance(currency, str) or not currency:
            raise InvalidParameterError("currency", currency, "expected a currency code")
        if max_text_length is not None and (
            isinstance(max_text_length, bool)
            or not isinstance(max_text_length, int)
            or max_text_length < 1
        ):
            raise InvalidParameterError("max_text_length", max_text_length, "expected an int >= 1")
        if isinstance(record_limit, bool) or not isinstance(record_limit, int) or record_limit < 0:
            raise InvalidParameterError("record_limit", record_limit, "expected an int >= 0")
        if isinstance(token_ttl, bool) or not isinstance(token_ttl, (int, float)) or token_ttl <= 0:
            raise InvalidParameterError("token_ttl", token_ttl, "expected seconds > 0")
        if isinstance(api_keys, str):
            api_keys = [api_keys]
        if isinstance(non_viber_numbers, str):
            non_viber_numbers = [non_viber_numbers]
        if isinstance(invalid_prefixes, str):
            invalid_prefixes = [invalid_prefixes]
        if isinstance(allowed_senders, str):
            allowed_senders = [allowed_senders]
        self.seed = seed
        self.config = Config(
            api_keys=None if api_keys is None else frozenset(api_keys),
            sms_price=sms_price,
            viber_price=viber_price,
            currency=currency,
            single_shape=single_shape,
            http_error_status=bool(http_error_status),
            unique_references=bool(unique_references),
            invalid_prefixes=tuple(invalid_prefixes),
            allowed_senders=None if allowed_senders is None else frozenset(allowed_senders),
            max_text_length=max_text_length,
            two_way_enabled=bool(two_way_enabled),
            token_ttl=float(token_ttl),
            balance=balance,
        )
        self.lifecycle = lifecycle if lifecycle is not None else Lifecycle()
        if not isinstance(self.lifecycle, Lifecycle):
            raise InvalidParameterError("lifecycle", lifecycle, "expected a Lifecycle")
        self.faults = faults if faults is not None else Faults()
        if not isinstance(self.faults, Faults):
            raise InvalidParameterError("faults", faults, "expected a Faults")
        if clock is None:
            start = float(int(time.time()))

            def clock() -> float:
                return start

        self._clock: Callable[[], float] = clock
        self._offset = 0.0
        self._fault_rng = random.Random(f"faults:{seed}")
        self._sms_store = ChannelStore("sms", SMS_ID_BASE)
        self._viber_store = ChannelStore("viber", VIBER_ID_BASE)
        self._tasks: dict[int, Task] = {}
        self._fates = Fates(self.lifecycle, seed, frozenset(non_viber_numbers))
        self._legacy = LegacyApi(
            self.config,
            sms=self._sms_store,
            viber=self._viber_store,
            tasks=self._tasks,
            fates=self._fates,
            now=self.now,
            shape_rng=random.Random(f"shape:{seed}"),
        )
        self._one_api = OneApi(self.config, seed=seed, now=self._token_now, key_ok=self._key_ok)
        self._requests: deque[RecordedRequest] = deque(maxlen=record_limit)
        self._record = record_limit > 0
        self.sms = ChannelView(self, self._sms_store)
        self.viber = ChannelView(self, self._viber_store)

    def __repr__(self) -> str:
        return (
            f"<FakeBSG seed={self.seed} sms={len(self._sms_store)} "
            f"viber={len(self._viber_store)} requests={len(self._requests)}>"
        )

    # -- adapters ------------------------------------------------------------------------------

    @cached_property
    def transport(self) -> FakeTransport:
        """An `httpx.AsyncBaseTransport` serving this fake in process:
        `AsyncBSG(api_key="test_x", transport=fake.transport)`."""
        from ._transport import FakeTransport

        return FakeTransport(self)

    @cached_property
    def app(self) -> FakeApp:
        """An ASGI 3 application serving this fake (for uvicorn or `httpx.ASGITransport`)."""
        from ._asgi import FakeApp

        return FakeApp(self)

    def serve(
        self, *, host: str = "127.0.0.1", port: int = 0
    ) -> AbstractAsyncContextManager[FakeServer]:
        """Serve `fake.app` with uvicorn in the running (asyncio) event loop, while inside
        `async with`; yields the addresses (a `FakeServer`). Needs uvicorn (the `test` extra);
        waits at most 10 s for the server to start and to stop.

        ```python
        async with fake.serve() as server:
            async with AsyncBSG(api_key="k", base_url=server.base_url,
                                one_api_url=server.url) as bsg: ...
        ```
        """
        from ._server import serve

        return serve(self, host=host, port=port)

    # -- the core ------------------------------------------------------------------------------

    def handle(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
    ) -> Exchange:
        """Decide the fault, process the request and record it; no latency is slept.

        `path` is the raw (percent-encoded) path; any prefix before the API's own paths is
        ignored, so `/rest/sms/create` and `/sms/create` are the same. `headers` must answer
        lower-case names (`x-api-key`, `authorization`).
        """
        fault, latency = self.plan(method, path)
        return self.execute(method, path, query, headers or {}, body, fault, latency)

    def plan(self, method: str, path: str) -> tuple[FaultKind | None, float]:
        """Step 1 of `handle`: the fault (or `None`) and latency for a request arriving now."""
        return self.faults.decide(method, path, self._fault_rng)

    def execute(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
        fault: FaultKind | None,
        latency: float = 0.0,
    ) -> Exchange:
        """Step 2 of `handle`: process the request as `fault` allows and record it."""
        processed = fault is None or fault.processed
        if processed:
            reply = self._process(method, path, headers, body)
        elif fault is not None and fault.http_status is not None:
            reply = self._fault_reply(fault, path)
        else:
            reply = Reply(0, b"", ())
        if self._record:
            self._requests.append(
                RecordedRequest(
                    method,
                    path,
                    query,
                    body,
                    _masked(headers),
                    self.now(),
                    fault,
                    reply.status,
                    processed,
                    latency,
                )
            )
        return Exchange(reply.status, reply.body, reply.headers, fault, processed, latency)

    def _process(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        route = _LEGACY_ROUTE.match(path)
        if route is None:
            return self._process_one_api(method, path, headers, body)
        if not self._key_ok(headers.get("x-api-key")):
            return self._legacy.error(1)
        channel, create, task, reference, message_id = route.groups()
        legacy = self._legacy
        if create is not None:
            if method not in _SEND_METHODS:
                return _NOT_ALLOWED
            payload = _json_or_none(body)
            return legacy.sms_create(payload) if channel == "sms" else legacy.viber_create(payload)
        if method != "GET":
            return _NOT_ALLOWED
        if channel == "sms":
            if task is not None:
                return legacy.sms_task(task)
            if reference is not None:
                return legacy.sms_by_reference(reference)
            return legacy.sms_get(message_id)
        if task is not None:
            return _NOT_FOUND
        if reference is not None:
            return legacy.viber_by_reference(reference)
        return legacy.viber_get(message_id)

    def _process_one_api(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        route = _ONE_API_ROUTE.match(path)
        if route is None:
            return _NOT_FOUND
        name = route.group(1)
        if name == "accounts/balance":
            return self._one_api.balance(headers) if method == "GET" else _NOT_ALLOWED
        if method != "POST":
            return _NOT_ALLOWED
        if name == "auth/login":
            return self._one_api.login(_json_or_none(body))
        return self._one_api.refresh(headers)

    def _fault_reply(self, fault: FaultKind, path: str) -> Reply:
        status = fault.http_status
        if status == 429:
            headers = (
                ("content-type", "application/json"),
                ("retry-after", str(self.faults.retry_after)),
            )
            if "/api/" in path:
                return Reply(429, b'{"message":"Too Many Attempts."}', headers)
            return Reply(429, b'{"error":11,"errorDescription":"Too many requests"}', headers)
        if status == 500:
            return Reply(500, _SERVER_ERROR_BODY, (("content-type", "text/plain"),))
        assert status is not None
        page = _PROXY_PAGE.format(_PROXY_TITLES[status]).encode()
        return Reply(status, page, (("content-type", "text/html"),))

    def _key_ok(self, key: Any) -> bool:
        if not isinstance(key, str) or not key.strip():
            return False
        keys = self.config.api_keys
        return keys is None or key in keys

    # -- clock ---------------------------------------------------------------------------------

    def now(self) -> float:
        """The fake's clock: Unix seconds (the `clock` plus every `advance`)."""
        return self._clock() + self._offset

    def _token_now(self) -> float:
        # Tokens live on the wall clock, which the SDK reads their `exp` against, plus every
        # `advance()`: a frozen or past clock must not make every token look expired.
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward by `seconds`: statuses move with it, and One-API tokens
        (which live on the wall clock plus every advance) get closer to their expiry.

        Raises `InvalidParameterError` for a negative or non-numeric value.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise InvalidParameterError("seconds", seconds, "expected seconds >= 0")
        self._offset += seconds

    # -- inspection ----------------------------------------------------------------------------

    def acceptances(self, reference: str, channel: Channel | None = None) -> int:
        """How many times a message with `reference` was accepted (on `channel`, or on both).

        With the default `unique_references=True` this is 0 or 1 per channel: the proof of
        exactly-once is that every reference your code reports as sent has 1 here, and every
        reference it reports as failed (and not "may have been accepted") has 0.
        """
        if channel == "sms":
            return self._sms_store.acceptances(reference)
        if channel == "viber":
            return self._viber_store.acceptances(reference)
        return self._sms_store.acceptances(reference) + self._viber_store.acceptances(reference)

    @property
    def messages(self) -> tuple[FakeMessage, ...]:
        """Every accepted message: SMS first, then Viber, each in acceptance order (a copy)."""
        return (*MessagesView(self._sms_store), *MessagesView(self._viber_store))

    @property
    def duplicates(self) -> Mapping[tuple[Channel, str], int]:
        """`(channel, reference)` -> acceptances, for references accepted more than once
        (always empty unless `unique_references=False`)."""
        found: dict[tuple[Channel, str], int] = {}
        for store in (self._sms_store, self._viber_store):
            for reference, extra in store.extra_acceptances.items():
                found[(store.channel, reference)] = extra + 1
        return found

    def task(self, task_id: int) -> Task | None:
        """The bulk SMS task with this id, or `None`."""
        return self._tasks.get(task_id)

    def state(self, message: FakeMessage) -> MessageState:
        """The state of `message` on the fake's clock now."""
        if message.channel == "sms":
            return self._fates.sms(message, self.now())
        return self._fates.viber(message, self.now())

    def is_viber_user(self, msisdn: str) -> bool:
        """Whether the fake treats this number as a Viber user (else Viber falls back to SMS)."""
        return self._fates.is_viber_user(msisdn)

    @property
    def codes(self) -> Mapping[int, int]:
        """How many times each error code was answered (request-level and per-recipient)."""
        return dict(self._legacy.codes)

    @property
    def logins(self) -> int:
        """Successful One-API logins so far."""
        return self._one_api.logins

    @property
    def refreshes(self) -> int:
        """Successful One-API token refreshes so far."""
        return self._one_api.refreshes

    def revoke_tokens(self) -> None:
        """Invalidate every One-API token issued so far (the next call gets HTTP 401)."""
        self._one_api.revoke_all()

    @property
    def requests(self) -> tuple[RecordedRequest, ...]:
        """The recorded requests, oldest first (at most `record_limit`; a copy)."""
        return tuple(self._requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        self._requests.clear()

    def reset(self) -> None:
        """Forget every message, task, recorded request, count and token; keep the settings,
        the clock and `faults`."""
        self._sms_store.clear()
        self._viber_store.clear()
        self._tasks.clear()
        self._requests.clear()
        self._legacy.codes.clear()
        self._one_api.revoke_all()
        self._one_api.logins = 0
        self._one_api.refreshes = 0


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _masked(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, "[secure]" if name.lower() in _SECRET_HEADERS else value)
        for name, value in headers.items()
    )
