"""`FakeBSG`: the core of the fake service, one request in, one answer (or fault) out.

`FakeBSG.handle(method, path, query=..., headers=..., body=...)` is the whole service: it decides
the request's fault and latency, processes it (unless the fault happens before processing),
records it and returns an `Exchange`. The httpx transport (`fake.transport`) and the ASGI app
(`fake.app`) are thin adapters around the same two steps, adding the latency with
`anyio.sleep` and turning a fault into what a client really sees. RCS status callbacks leave
the fake only through `await fake.deliver_callbacks()` (which the ASGI app also calls after each
request it answers).
"""

from __future__ import annotations

import json
import random
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import attrs

from ..errors import InvalidParameterError
from ._address_book import AddressBook
from ._callbacks import CallbackDelivery, Callbacks, ClickHandler, ReportHandler
from ._campaigns import CampaignApi
from ._config import Account, Lifecycle, Rules, Webhook, checked
from ._contacts import ContactsApi
from ._email import EmailApi
from ._extras import HLR_ID_BASE, HlrLookups, LegacyExtras
from ._fates import VIBER, Fates, MessageState, format_time
from ._faults import FaultKind, Faults
from ._json import loads_or_none
from ._legacy import SMS_ID_BASE, TASK_ID_BASE, VIBER_ID_BASE, LegacyApi, Messages, Tasks
from ._one_api import OneApi
from ._otp import OtpApi, OtpView
from ._rcs import CAMPAIGN_ID_BASE, RCS_ID_BASE, RcsApi, RcsMessages, report_payload
from ._records import FakeCampaign, FakeHlr, FakeMessage, FakeRcsMessage, Task
from ._reference import ReferenceApi
from ._reply import Reply, unauthenticated
from ._routes import Call, Router
from ._senders import SendersApi
from ._short_links import ShortLinksApi
from ._statistics import StatisticsApi
from ._stop_list import StopListApi
from ._store import Store
from ._universal import UniversalApi
from ._views import ChannelView, RcsView
from ._whatsapp import WhatsAppApi

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    from ._asgi import FakeApp
    from ._server import FakeServer
    from ._transport import FakeTransport

__all__ = ["Exchange", "FakeBSG", "RecordedRequest"]

AnyChannel = Literal["sms", "viber", "rcs"]
T = TypeVar("T")

_LOGIN_PATH = re.compile(r".*/api/auth/login\Z", re.DOTALL)
_SECRET_HEADERS = frozenset({"x-api-key", "authorization"})
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
# The defaults: frozen, so one of each serves every fake.
_ACCOUNT = Account()
_RULES = Rules()
_LIFECYCLE = Lifecycle()
_WEBHOOK = Webhook()
_NOT_FOUND = Reply(404, b'{"message":"Not Found"}')
_NOT_ALLOWED = Reply(405, b'{"error":4,"errorDescription":"Function not supported"}')
_ONE_API_NOT_ALLOWED = Reply(405, b'{"message":"The method is not supported for this route."}')


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


class _WebhookField(Generic[T]):
    """An attribute of `FakeBSG` that reads, and on assignment replaces, one field of its
    `webhook` (so the `Webhook` checks the new value)."""

    def __init__(self, field: str, doc: str) -> None:
        self._field = field
        self.__doc__ = doc

    @overload
    def __get__(self, fake: None, owner: type[FakeBSG]) -> _WebhookField[T]: ...
    @overload
    def __get__(self, fake: FakeBSG, owner: type[FakeBSG]) -> T: ...
    def __get__(self, fake: FakeBSG | None, owner: type[FakeBSG]) -> T | _WebhookField[T]:
        if fake is None:
            return self
        value: T = getattr(fake.webhook, self._field)
        return value

    def __set__(self, fake: FakeBSG, value: T) -> None:
        changes: dict[str, Any] = {self._field: value}
        fake.webhook = attrs.evolve(fake.webhook, **changes)


class FakeBSG:
    """A stateful in-memory fake of the BSG service, for tests, demos and benchmarks.

    It serves the legacy REST API (SMS single, bulk and individual create; SMS status by id and
    by reference; SMS task; Viber create and status by id and by reference, with SMS fallback)
    and the One-API (login, refresh; RCS single, campaign and contact-list sends; SMS, Viber
    and any-channel campaigns and the SMS campaign price; WhatsApp single and campaign sends;
    the universal send over a chain of channels; campaigns get, detail, stop and list; the
    message search; balance and tariffs; countries, currencies and the price lists per
    country; 2FA one-time passwords, their templates and price: `fake.otp`; contacts, their
    custom fields, contact lists and the stop list, in `address_book`), validating like the
    real service and answering with its documented codes and wire quirks. References are unique
    per channel forever (codes 23 and 43; an RCS `reference_id` already held gets HTTP 429
    "Too many duplicate request detected"). Statuses move forward on the fake's clock, and RCS
    status reports go to your handler or callback URL as they do. Faults are injected from a
    seed or a script. Use it in process as an httpx transport, or serve it over HTTP:

    ```python
    fake = FakeBSG(seed=1)
    async with AsyncBSG(api_key="test_x", transport=fake.transport) as bsg:
        receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
    assert fake.sms.acceptances(receipt.reference) == 1
    fake.advance(60)                     # statuses move on: scheduled -> sent -> delivered
    ```

    Options (all keyword-only; each has a default, so `FakeBSG()` just works):

    - `seed`: fixes fault draws, single-answer shapes, message fates and token keys.
    - `clock`: a callable returning Unix seconds; default: frozen at the creation time, so
      nothing moves until `advance()`. `clock=time.time` makes statuses move in real time.
    - `account`: an `Account` (keys, token lifetime, prices, balance and credit, tariffs,
      contact lists).
    - `rules`: `Rules` (what the service refuses, how it words its answers).
    - `lifecycle`: a `Lifecycle` (when statuses move, what share fails, who is not on Viber
      or RCS).
    - `webhook`: a `Webhook` (where RCS callbacks go, and how hard the fake tries).
    - `faults`: a `Faults` plan (also reachable and changeable as `fake.faults`).
    - `record_limit`: how many requests `fake.requests` (and callback attempts
      `fake.callbacks`) it keeps (oldest dropped; 0: none).

    ```python
    fake = FakeBSG(
        account=Account(api_keys=["test_x"], credit=Decimal(0)),
        rules=Rules(allowed_senders=["Shop"]),
        lifecycle=Lifecycle(non_viber_numbers=["380501234567"]),
    )
    ```
    The values are kept as `fake.account`, `fake.rules`, `fake.lifecycle` and
    `fake.webhook`. Not thread-safe: drive it from one event loop (your test's, or
    uvicorn's). Its memory grows with the messages it accepted (it must remember every
    reference to refuse it again).

    Raises `InvalidParameterError` for a bad option (the config values check their fields
    when they are made).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: Callable[[], float] | None = None,
        account: Account = _ACCOUNT,
        rules: Rules = _RULES,
        lifecycle: Lifecycle = _LIFECYCLE,
        webhook: Webhook = _WEBHOOK,
        faults: Faults | None = None,
        record_limit: int = 1_000,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidParameterError("seed", seed, "expected an integer")
        if isinstance(record_limit, bool) or not isinstance(record_limit, int) or record_limit < 0:
            raise InvalidParameterError("record_limit", record_limit, "expected an int >= 0")
        self.seed = seed
        self.account = checked("account", account, Account)
        self.rules = checked("rules", rules, Rules)
        self.lifecycle = checked("lifecycle", lifecycle, Lifecycle)
        self.faults = checked("faults", Faults() if faults is None else faults, Faults)
        if clock is None:
            start = float(int(time.time()))

            def clock() -> float:
                return start

        self._clock: Callable[[], float] = clock
        self._offset = 0.0
        self._fault_rng = random.Random(f"faults:{seed}")
        unique = self.rules.unique_references
        self._sms_store: Messages = Store(SMS_ID_BASE, FakeMessage, key=0, unique=unique)
        self._viber_store: Messages = Store(VIBER_ID_BASE, FakeMessage, key=0, unique=unique)
        self._rcs_store: RcsMessages = Store(RCS_ID_BASE, FakeRcsMessage, key=0, unique=unique)
        self._tasks: Tasks = Store(TASK_ID_BASE, Task)
        self._fates = Fates(self.lifecycle, seed)
        self._legacy = LegacyApi(
            self.account,
            self.rules,
            sms=self._sms_store,
            viber=self._viber_store,
            tasks=self._tasks,
            fates=self._fates,
            now=self.now,
            shape_rng=random.Random(f"shape:{seed}"),
            balance=lambda: self.balance,
        )
        self._hlr_store: HlrLookups = Store(HLR_ID_BASE, FakeHlr, key=0, unique=unique)
        self._extras = LegacyExtras(self._legacy, hlr=self._hlr_store, balance=lambda: self.balance)
        self._one_api = OneApi(
            self.account,
            seed=seed,
            now=self._token_now,
            key_ok=self._key_ok,
            balance=lambda: self.balance,
        )
        self._address_book = AddressBook(self.account.contact_lists, self.now)
        self._rcs = RcsApi(
            self.account,
            messages=self._rcs_store,
            campaigns=Store(CAMPAIGN_ID_BASE, FakeCampaign),
            fates=self._fates,
            now=self.now,
            book=self._address_book,
        )
        self._contacts = ContactsApi(self._address_book)
        self._callbacks = Callbacks(
            checked("webhook", webhook, Webhook), now=self.now, record_limit=record_limit
        )
        self._requests: deque[RecordedRequest] = deque(maxlen=record_limit)
        self._record = record_limit > 0
        self.sms = ChannelView("sms", self._sms_store, self._fates, self.now)
        self.viber = ChannelView("viber", self._viber_store, self._fates, self.now)
        self.rcs = RcsView(self._rcs)
        self._otp = OtpApi(self.account, seed=seed, now=self.now)
        self.otp = OtpView(self._otp)
        """One-time passwords: the codes sent (`fake.otp.code(session_id)`), sessions and
        templates (`OtpView`)."""
        self.statistics = StatisticsApi(
            messages=lambda: self.messages, state=self.state, now=self.now
        )
        self.email = EmailApi(now=self.now)
        self.senders = SendersApi(now=self.now)
        self.short_links = ShortLinksApi(now=self.now)
        # Every legacy operation, the extras' fixed paths before the messages' `{id}`s.
        self._legacy_router = Router((*self._extras.routes(), *self._legacy.routes()), legacy=True)
        # Every One-API operation: each area lists its routes beside its handlers.
        self._router = Router(
            (
                *self._one_api.routes(),
                *self._rcs.routes(),
                *self._contacts.routes(),
                *StopListApi(self._address_book).routes(),
                *WhatsAppApi(self._rcs).routes(),
                *UniversalApi(self._rcs).routes(),
                *ReferenceApi(self.account).routes(),
                *CampaignApi(self._rcs).routes(),
                *self.statistics.routes(),
                *self.email.routes(),
                *self.senders.routes(),
                *self.short_links.routes(),
                *self._otp.routes(),
            )
        )

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
            reply = self._process(method, path, query, headers, body)
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
                    _masked_body(path, body),
                    _masked(headers),
                    self.now(),
                    fault,
                    reply.status,
                    processed,
                    latency,
                )
            )
        return Exchange(reply.status, reply.body, reply.headers, fault, processed, latency)

    def _process(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        if self._router.owns(path):
            return self._process_one_api(method, path, query, headers, body)
        found = self._legacy_router.match(method, path)
        if found is None:
            return _NOT_FOUND
        if not self._key_ok(headers.get("x-api-key")):
            return self._legacy.error(1)
        if found.route is None:
            return _NOT_ALLOWED
        return found.route.handler(Call(found.params, query, headers, body))

    def _process_one_api(
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        found = self._router.match(method, path)
        if found is None:
            return _NOT_FOUND
        route = found.route
        if route is None:
            return _ONE_API_NOT_ALLOWED
        if not route.public and not self._one_api.authorized(headers):
            return unauthenticated()
        return route.handler(Call(found.params, query, headers, body))

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
        keys = self.account.api_keys
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
        (which live on the wall clock plus every advance) get closer to their expiry. The RCS
        status reports of the statuses reached go out with the next `deliver_callbacks()`.

        Raises `InvalidParameterError` for a negative or non-numeric value.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise InvalidParameterError("seconds", seconds, "expected seconds >= 0")
        self._offset += seconds

    # -- inspection ----------------------------------------------------------------------------

    def acceptances(self, reference: str, channel: AnyChannel | None = None) -> int:
        """How many times a message with `reference` was accepted (on `channel`: `"sms"`,
        `"viber"` or `"rcs"` (its `reference_id`), or on all three).

        A channel counts both APIs: `"sms"` the legacy SMS and the One-API SMS campaigns'
        messages, `"viber"` likewise. With the default `Rules(unique_references=True)` this
        is 0 or 1 per channel and API: the proof of exactly-once is that every reference your
        code reports as sent has 1 here, and every reference it reports as failed (and not
        "may have been accepted") has 0.
        """
        one_api = self._rcs_store.with_key(reference)
        if channel is None:
            legacy = self._sms_store.acceptances(reference)
            return legacy + self._viber_store.acceptances(reference) + len(one_api)
        count = sum(1 for message in one_api if message.channel == channel)
        if channel == "rcs":
            return count
        return count + self._stores()[channel].acceptances(reference)

    def _stores(self) -> dict[AnyChannel, Messages | RcsMessages]:
        """The message store of each channel."""
        return {"sms": self._sms_store, "viber": self._viber_store, "rcs": self._rcs_store}

    @property
    def messages(self) -> tuple[FakeMessage, ...]:
        """Every accepted message: SMS first, then Viber, each in acceptance order (a copy)."""
        return (*self._sms_store, *self._viber_store)

    @property
    def duplicates(self) -> Mapping[tuple[AnyChannel, str], int]:
        """`(channel, reference)` -> acceptances, for references accepted more than once
        (always empty unless `Rules(unique_references=False)`)."""
        return {
            (channel, reference): count
            for channel, store in self._stores().items()
            for reference, count in store.repeated.items()
        }

    @property
    def balance(self) -> Decimal:
        """The account's balance now: the configured `balance` minus the price of every
        message accepted on any channel (what `GET /api/accounts/balance` answers). With a
        `credit`, SMS and Viber sends never take it below `-credit` (code 8)."""
        account = self.account
        spent = account.sms_price * len(self._sms_store) + account.viber_price * len(
            self._viber_store
        )
        if self._rcs_store:  # (no One-API send yet: the balance keeps the decimals it was given)
            spent += self._rcs.spent
        return account.balance - spent

    @property
    def address_book(self) -> AddressBook:
        """The account's contacts, custom fields, contact lists and stop list, as the
        address-book endpoints made them (and the configured `contact_lists`): campaigns to
        contact lists reach these lists' contacts, and sends with `check_stop_list` honour
        this stop list.

        ```python
        assert fake.address_book.is_stopped("380501234567", "rcs")
        phones = [c.phone for c in fake.address_book.members(contact_list_id)]
        ```
        """
        return self._address_book

    def task(self, task_id: int) -> Task | None:
        """The bulk SMS task with this id, or `None`."""
        return self._tasks.get(task_id)

    def state(self, message: FakeMessage) -> MessageState:
        """The state of `message` on the fake's clock now."""
        return self._fates.state(message, self.now())

    def is_viber_user(self, msisdn: str) -> bool:
        """Whether the fake treats this number as a Viber user (else Viber falls back to SMS)."""
        return self._fates.reaches(VIBER, msisdn)

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

    # -- RCS callbacks ---------------------------------------------------------------------------

    @property
    def webhook(self) -> Webhook:
        """Where RCS callbacks go now (the `Webhook` given, as changed since); assign an
        `attrs.evolve`d one to change several fields at once."""
        return self._callbacks.webhook

    @webhook.setter
    def webhook(self, webhook: Webhook) -> None:
        self._callbacks.webhook = checked("webhook", webhook, Webhook)

    callback_url = _WebhookField[str | None](
        "url",
        """The account's "Callback URL for RCS" (`None`: none; `webhook.url`); a message's own
        `callback_url` overrides it. Raises `InvalidParameterError` on assignment of a
        non-http(s) URL.""",
    )
    callback_handler = _WebhookField[ReportHandler | None](
        "handler",
        """The async callable every RCS status report is handed to (as an `RcsReport`), or
        `None` (`webhook.handler`). Raises `InvalidParameterError` on assignment of a
        non-callable.""",
    )
    click_handler = _WebhookField[ClickHandler | None](
        "click_handler",
        """The async callable every RCS click callback is handed to (as an `RcsClick`), or
        `None` (`webhook.click_handler`). Raises `InvalidParameterError` on assignment of a
        non-callable.""",
    )

    def _collect_reports(self) -> None:
        """Queue a status report for every status change reached since the last collection."""
        callbacks = self._callbacks
        if not self._rcs.live:
            return
        for message, step in self._rcs.due_reports():
            payload = report_payload(message, step)
            callbacks.queue("status", message.id, step.status, payload, message.callback_url)

    @property
    def pending_callbacks(self) -> tuple[CallbackDelivery, ...]:
        """The callbacks `deliver_callbacks()` would try now, one per target, as not yet
        delivered `CallbackDelivery` values (`attempt` counts the tries already made)."""
        self._collect_reports()
        now = self.now()
        return tuple(item.delivery(now) for item in self._callbacks.pending)

    @property
    def has_callback_work(self) -> bool:
        """Whether callbacks are queued or RCS statuses may still change (cheap)."""
        return bool(self._callbacks.pending) or bool(self._rcs.live)

    async def deliver_callbacks(self) -> tuple[CallbackDelivery, ...]:
        """Deliver the RCS callbacks due now and return this round's attempts, in order.

        First every status change reached on the fake's clock since the last round becomes a
        7.1 status report (oldest first; a big `advance()` yields each intermediate status, as
        the service would have sent them), queued for each target configured now: the
        `callback_handler` (given the `RcsReport`) and the URL (the message's `callback_url`,
        else `callback_url`). Then every queued callback (clicks included) is tried once, one
        after the other; a failed one (handler raised, URL answered non-2xx or did not answer)
        is tried again next round, up to `webhook.attempts` tries. Bounded: each POST waits at
        most `webhook.timeout` seconds. Never raises for a failed delivery (see `delivered`
        and `error` of the result, or `fake.callbacks`).

        ```python
        fake.advance(60)
        deliveries = await fake.deliver_callbacks()
        assert all(d.delivered for d in deliveries)
        ```
        """
        self._collect_reports()
        return await self._callbacks.deliver()

    @property
    def callbacks(self) -> tuple[CallbackDelivery, ...]:
        """Every callback delivery attempt so far, oldest first (at most `record_limit`)."""
        return tuple(self._callbacks.records)

    def click(self, message: FakeRcsMessage | str | int, *, postback: str | None = None) -> None:
        """The recipient of an RCS message presses one of its suggestions (buttons): queue the
        click callback `{id, reference, msisdn, text, postback, time_click}` for the
        `click_handler` and the URL (as for reports); `deliver_callbacks()` delivers it.

        `message` is a `FakeRcsMessage`, its `reference_id` or its id; `postback` picks the
        suggestion by its `postback_data` (default: the first suggestion).

        Raises `KeyError` for an unknown message; `InvalidParameterError` when it has no such
        suggestion or was not delivered (yet).
        """
        if isinstance(message, FakeRcsMessage):
            found: FakeRcsMessage | None = message
        elif isinstance(message, str):
            found = self._rcs_store.find(message)
        else:
            found = self._rcs_store.get(message)
        if found is None:
            raise KeyError(f"no RCS message {message!r}")
        self._collect_reports()  # the reports reached so far go before the click
        suggestions = found.suggestions
        if postback is not None:
            suggestions = tuple(s for s in suggestions if s.get("postback_data") == postback)
        if not suggestions:
            raise InvalidParameterError(
                "postback", postback, f"message {found.id} has no such suggestion to click"
            )
        status = self.rcs.status(found)
        if status not in ("delivered", "read"):
            raise InvalidParameterError(
                "message", found.id, f"a {status} message cannot be clicked: not delivered yet"
            )
        chosen = suggestions[0]
        payload = {
            "id": str(found.id),
            "reference": found.reference,
            "msisdn": found.to,
            "text": chosen.get("text"),
            "postback": chosen.get("postback_data"),
            "time_click": format_time(self.now()),
        }
        self._callbacks.queue("click", found.id, None, payload, found.callback_url)

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
        """Forget the state; keep the configuration. Afterwards the fake answers as a new one
        created with the same options would, except that its clock is not turned back.

        Forgotten: every message, task, campaign (and its forced status), 2FA session and
        template (but the default one), callback, recorded request, count and token, contact,
        custom field, contact list (but the configured `contact_lists`, made again) and
        stop-list entry, the fault scripts not used yet and the `faults.injected` counts; the
        seeded draws (faults, `"mixed"` answer shapes) start over. Kept: the config values
        (`account`, `rules`, `lifecycle`, and `webhook` as changed since), the clock (with every
        `advance()`), and the fault plan (`faults`: rates, latency, jitter, `retry_after`,
        scope). To drop the plan too, call `fake.faults.clear()`. `POST /_fake/reset` does
        exactly this.
        """
        self._sms_store.clear()
        self._viber_store.clear()
        self._rcs.clear()
        self._otp.clear()
        self._address_book.clear()
        self._callbacks.clear()
        self._tasks.clear()
        self._requests.clear()
        self._legacy.codes.clear()
        self._one_api.revoke_all()
        self._one_api.logins = 0
        self._one_api.refreshes = 0
        self.faults.reset()
        self._fault_rng.seed(f"faults:{self.seed}")
        self._legacy.shape_rng.seed(f"shape:{self.seed}")


def _masked_body(path: str, body: bytes) -> bytes:
    """The body to record: a login's `api_key` is replaced by `[secure]`."""
    if not body or _LOGIN_PATH.match(path) is None:
        return body
    payload = loads_or_none(body)
    if isinstance(payload, dict) and "api_key" in payload:
        return json.dumps({**payload, "api_key": "[secure]"}).encode()
    return b"[secure]"


def _masked(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, "[secure]" if name.lower() in _SECRET_HEADERS else value)
        for name, value in headers.items()
    )
