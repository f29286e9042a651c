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
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ..errors import InvalidParameterError
from ..models.one_api import Tariff
from ._callbacks import CallbackDelivery, Callbacks, ClickHandler, ReportHandler
from ._faults import FaultKind, Faults
from ._legacy import Config, LegacyApi, Reply
from ._one_api import OneApi, unauthenticated
from ._rcs import (
    CAMPAIGN_STATUSES,
    DEFAULT_TARIFFS,
    FakeCampaign,
    FakeRcsMessage,
    RcsApi,
    RcsFates,
    RcsStore,
    due_steps,
    report_payload,
)
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
    format_time,
)

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    import httpx

    from ._asgi import FakeApp
    from ._server import FakeServer
    from ._transport import FakeTransport

__all__ = ["ChannelView", "Exchange", "FakeBSG", "RcsView", "RecordedRequest"]

AnyChannel = Literal["sms", "viber", "rcs"]

_LEGACY_ROUTE = re.compile(
    r".*/(sms|viber)/(?:(create)|task/([^/]*)|reference/([^/]*)|([^/]*))\Z", re.DOTALL
)
_ONE_API_ROUTE = re.compile(
    r".*/api/(?:(auth/login|auth/refresh|accounts/balance|accounts/tariff|messages/rcs/send"
    r"|campaigns/rcs/send|campaigns/rcs/send-groups|campaigns|messages)"
    r"|campaigns/([^/]*)(/detail|/stop)?)\Z",
    re.DOTALL,
)
_ONE_API_AREA = re.compile(r".*/api/(?:auth|accounts|messages|campaigns)(?:/|\Z)", re.DOTALL)
_ONE_API_METHODS = {
    "auth/login": "POST",
    "auth/refresh": "POST",
    "accounts/balance": "GET",
    "accounts/tariff": "GET",
    "messages/rcs/send": "POST",
    "campaigns/rcs/send": "POST",
    "campaigns/rcs/send-groups": "POST",
    "campaigns": "GET",
    "messages": "GET",
}
_LOGIN_PATH = re.compile(r".*/api/auth/login\Z", re.DOTALL)
_URL = re.compile(r"https?://[^\s/?#]+\S*")
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


class RcsView:
    """The fake's RCS messages and campaigns (`fake.rcs`).

    ```python
    assert fake.rcs.acceptances("order42") == 1
    message = fake.rcs.find("order42")
    fake.advance(10)
    assert fake.rcs.status(message) == "delivered"
    ```
    """

    def __init__(self, fake: FakeBSG, store: RcsStore, api: RcsApi) -> None:
        self._fake = fake
        self._store = store
        self._api = api

    @property
    def messages(self) -> tuple[FakeRcsMessage, ...]:
        """Every accepted RCS message, in acceptance (id) order (a copy)."""
        return tuple(self._store.messages)

    @property
    def campaigns(self) -> tuple[FakeCampaign, ...]:
        """Every accepted RCS campaign, in id order (a copy)."""
        return tuple(self._store.campaigns.values())

    def acceptances(self, reference_id: str) -> int:
        """How many times a message with this `reference_id` was accepted: 0 or 1, unless the
        fake was created with `unique_references=False`."""
        return self._store.acceptances(reference_id)

    def find(self, reference_id: str) -> FakeRcsMessage | None:
        """The (first) message accepted with this `reference_id`, or `None`."""
        return self._store.find(reference_id)

    def get(self, message_id: int) -> FakeRcsMessage | None:
        """The message with this id, or `None`."""
        return self._store.get(message_id)

    def campaign(self, campaign_id: int) -> FakeCampaign | None:
        """The campaign with this id, or `None`."""
        return self._store.campaigns.get(campaign_id)

    def campaign_messages(self, campaign: FakeCampaign | int) -> tuple[FakeRcsMessage, ...]:
        """The messages of a campaign (or of the campaign with that id), in id order.

        Raises `KeyError` for an unknown campaign id.
        """
        return tuple(self._store.campaign_messages(self._campaign(campaign)))

    def state(self, message: FakeRcsMessage | str) -> MessageState:
        """The state of a message (or of the message with that `reference_id`) now; its
        `fallback` is the SMS fallback, once sent. Raises `KeyError` for an unknown reference."""
        return self._api.state(self._message(message))

    def status(self, message: FakeRcsMessage | str) -> str:
        """The status of a message (or `reference_id`) now: `"accepted"`, `"delivered"`, ..."""
        return self.state(message).status

    def campaign_status(self, campaign: FakeCampaign | int) -> str:
        """A campaign's status now: `"scheduled"`, `"sending"`, `"done"`, `"stopped"`, ...

        Raises `KeyError` for an unknown campaign id.
        """
        return self._api.campaign_status(self._campaign(campaign))

    def set_campaign_status(self, campaign: FakeCampaign | int, status: str | None) -> None:
        """Make a campaign report `status` (one of `creation, scheduled, sending, done, paused,
        stopped, spam, moderation`) until it is stopped; `None` returns to the computed status.

        Use it to reach `paused`, `moderation` or `spam`, which the fake never reaches by
        itself. `paused` and `moderation` hold the campaign: from now on none of its messages
        moves on (is sent, or starts sending) until another status, or `None`, resumes it;
        then they go on from where they were, as late as the hold lasted (its messages
        already sent when the hold began still reach their final status, as after a stop).
        `stopped` stops it (as `PATCH .../stop`). Any other status changes only what the
        campaign endpoints report (and whether `stop` is allowed).

        ```python
        fake.rcs.set_campaign_status(campaign.id, "paused")
        fake.advance(60)                        # nothing is sent
        fake.rcs.set_campaign_status(campaign.id, None)
        fake.advance(60)                        # now it is
        ```

        Raises `KeyError` for an unknown campaign id, `InvalidParameterError` for another status.
        """
        found = self._campaign(campaign)
        if status is not None and status not in CAMPAIGN_STATUSES:
            raise InvalidParameterError(
                "status", status, "expected one of " + ", ".join(sorted(CAMPAIGN_STATUSES))
            )
        self._store.force(found.id, status, self._fake.now())

    def is_rcs_user(self, phone: str) -> bool:
        """Whether the fake treats this number as reachable by RCS (else: `undelivered`, and
        the SMS fallback when one was given)."""
        return self._api.fates.is_rcs_user(phone)

    def _message(self, message: FakeRcsMessage | str) -> FakeRcsMessage:
        if isinstance(message, FakeRcsMessage):
            return message
        found = self._store.find(message)
        if found is None:
            raise KeyError(f"no RCS message with reference_id {message!r}")
        return found

    def _campaign(self, campaign: FakeCampaign | int) -> FakeCampaign:
        if isinstance(campaign, FakeCampaign):
            return campaign
        found = self._store.campaigns.get(campaign)
        if found is None:
            raise KeyError(f"no RCS campaign with id {campaign!r}")
        return found

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return f"<RcsView: {len(self)} messages, {len(self._store.campaigns)} campaigns>"


class FakeBSG:
    """A stateful in-memory fake of the BSG service, for tests, demos and benchmarks.

    It serves the legacy REST API (SMS single, bulk and individual create; SMS status by id and
    by reference; SMS task; Viber create and status by id and by reference, with SMS fallback)
    and the One-API (login, refresh; RCS single, campaign and contact-list sends; campaigns
    get, detail, stop and list; the message search; balance and tariffs), validating like the
    real service and answering with its documented codes and wire quirks. References are unique
    per channel forever (codes 23 and 43; an RCS `reference_id` already held gets HTTP 429
    "Too many duplicate request detected"). Statuses move forward on the fake's clock, and RCS
    status reports go to your handler or callback URL as they do. Faults are injected from a
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
    - `unroutable_prefixes`: numbers starting with these (a country or network code, digits
      only) have no route: each such recipient is refused with code 33 ("unresolved
      direction") inside an otherwise successful answer, on SMS and Viber alike.
    - `allowed_senders`: when given, other originators are refused (32 SMS, 45 Viber).
    - `max_text_length`: an SMS body limit (code 26); Viber text is limited to 1,000 (46).
    - `two_way_enabled`: `False` refuses `2way` with code 35.
    - `token_ttl`: One-API token lifetime in seconds (default 30 days), counted on the wall
      clock (which the SDK reads a token's `exp` against) plus every `advance()`.
    - `balance`: the account's starting balance (`Decimal`); the price of every message
      accepted on any channel is deducted from it (it may go negative, as a postpaid one).
    - `credit`: how far below zero the balance may go (`Decimal` >= 0), reported as the
      balance answer's `credit`. With it set, an SMS or Viber recipient whose price would take
      the balance lower is refused with code 8 ("not enough funds"), charged in request order
      (a bulk request may be partly accepted). `None` (default): no limit, never refused.
      RCS sends still draw from the balance but are not refused (the One-API's answer for it
      is not documented).
    - `rcs_price`: the amount of one RCS message (`Decimal`, reported with 7 decimals).
    - `tariffs`: the account's tariffs (`bsg_async.models.one_api.Tariff` values); a send's
      `tariff_code` must be the `code` of an active one. Default: code 0 "Standard" (the
      default) and code 9 "Best quality".
    - `contact_groups`: contact-list id -> phone numbers, for `send-groups`.
    - `non_rcs_numbers`: numbers that never receive RCS (SMS fallback instead), besides the
      lifecycle's seeded `non_rcs_rate` share.
    - `callback_url`: the account's "Callback URL for RCS" (a message's own `callback_url`
      overrides it); `callback_handler`: an async callable taking an `RcsReport`, called with
      every status report; `click_handler`: the same for `RcsClick`s (see `click`). All three
      can be changed later as attributes. Reports are delivered by `deliver_callbacks()`.
    - `callback_transport`: an `httpx.AsyncBaseTransport` for the callback POSTs (such as
      `httpx.ASGITransport(app=RcsWebhookApp(...))`); without it, URLs are POSTed over the
      network, to loopback addresses only unless `allow_remote_callbacks=True`.
    - `callback_attempts`: tries per callback (default 3, one per delivery round);
      `callback_timeout`: seconds per POST (default 5).
    - `record_limit`: how many requests `fake.requests` (and callback attempts
      `fake.callbacks`) it keeps (oldest dropped; 0: none).

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
        unroutable_prefixes: Collection[str] = (),
        allowed_senders: Collection[str] | None = None,
        max_text_length: int | None = None,
        two_way_enabled: bool = True,
        token_ttl: float = 30 * 86_400,
        balance: Decimal = Decimal("100.0000000"),
        credit: Decimal | None = None,
        rcs_price: Decimal = Decimal("1.1000000"),
        tariffs: Sequence[Tariff] | None = None,
        contact_groups: Mapping[int, Collection[str]] | None = None,
        non_rcs_numbers: Collection[str] = (),
        callback_url: str | None = None,
        callback_handler: ReportHandler | None = None,
        click_handler: ClickHandler | None = None,
        callback_transport: httpx.AsyncBaseTransport | None = None,
        allow_remote_callbacks: bool = False,
        callback_attempts: int = 3,
        callback_timeout: float = 5.0,
        record_limit: int = 1_000,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidParameterError("seed", seed, "expected an integer")
        for name, price in (
            ("sms_price", sms_price),
            ("viber_price", viber_price),
            ("rcs_price", rcs_price),
        ):
            if not isinstance(price, Decimal) or not price.is_finite() or price < 0:
                raise InvalidParameterError(name, price, "expected a finite Decimal >= 0")
        if not isinstance(balance, Decimal) or not balance.is_finite():
            raise InvalidParameterError("balance", balance, "expected a finite Decimal")
        if credit is not None and (
            not isinstance(credit, Decimal) or not credit.is_finite() or credit < 0
        ):
            raise InvalidParameterError("credit", credit, "expected a finite Decimal >= 0 or None")
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
        if isinstance(allowed_senders, str):
            allowed_senders = [allowed_senders]
        if isinstance(non_rcs_numbers, str):
            non_rcs_numbers = [non_rcs_numbers]
        tariff_list = _tariffs(tariffs)
        groups = _groups(contact_groups)
        if (
            isinstance(callback_attempts, bool)
            or not isinstance(callback_attempts, int)
            or callback_attempts < 1
        ):
            raise InvalidParameterError(
                "callback_attempts", callback_attempts, "expected an int >= 1"
            )
        if (
            isinstance(callback_timeout, bool)
            or not isinstance(callback_timeout, (int, float))
            or not 0 < callback_timeout <= 600
        ):
            raise InvalidParameterError(
                "callback_timeout", callback_timeout, "expected seconds from 0 to 600"
            )
        self.seed = seed
        self.config = Config(
            api_keys=None if api_keys is None else frozenset(api_keys),
            sms_price=sms_price,
            viber_price=viber_price,
            currency=currency,
            single_shape=single_shape,
            http_error_status=bool(http_error_status),
            unique_references=bool(unique_references),
            invalid_prefixes=_prefixes("invalid_prefixes", invalid_prefixes),
            unroutable_prefixes=_prefixes("unroutable_prefixes", unroutable_prefixes),
            allowed_senders=None if allowed_senders is None else frozenset(allowed_senders),
            max_text_length=max_text_length,
            two_way_enabled=bool(two_way_enabled),
            token_ttl=float(token_ttl),
            balance=balance,
            credit=credit,
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
            balance=lambda: self.balance,
        )
        self._one_api = OneApi(
            self.config,
            seed=seed,
            now=self._token_now,
            key_ok=self._key_ok,
            balance=lambda: self.balance,
        )
        self._rcs_store = RcsStore()
        self._rcs = RcsApi(
            store=self._rcs_store,
            fates=RcsFates(self.lifecycle, seed, frozenset(non_rcs_numbers)),
            now=self.now,
            price=rcs_price,
            currency=currency,
            tariffs=tariff_list,
            groups=groups,
            unique_references=bool(unique_references),
        )
        self._callbacks = Callbacks(
            now=self.now,
            record_limit=record_limit,
            transport=callback_transport,
            allow_remote=bool(allow_remote_callbacks),
            attempts=callback_attempts,
            timeout=float(callback_timeout),
        )
        self.callback_url = callback_url
        self.callback_handler = callback_handler
        self.click_handler = click_handler
        self._requests: deque[RecordedRequest] = deque(maxlen=record_limit)
        self._record = record_limit > 0
        self.sms = ChannelView(self, self._sms_store)
        self.viber = ChannelView(self, self._viber_store)
        self.rcs = RcsView(self, self._rcs_store, self._rcs)

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
        if _ONE_API_AREA.match(path) is not None:
            return self._process_one_api(method, path, query, headers, body)
        route = _LEGACY_ROUTE.match(path)
        if route is None:
            return _NOT_FOUND
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
        self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        route = _ONE_API_ROUTE.match(path)
        if route is None:
            return _NOT_FOUND
        name, campaign_id, action = route.groups()
        expected = _ONE_API_METHODS.get(name) if name else ("PATCH" if action == "/stop" else "GET")
        if method != expected:
            return _ONE_API_NOT_ALLOWED
        one_api, rcs = self._one_api, self._rcs
        if name == "auth/login":
            return one_api.login(_json_or_none(body))
        if name == "auth/refresh":
            return one_api.refresh(headers)
        if not one_api.authorized(headers):
            return unauthenticated()
        if name == "accounts/balance":
            return one_api.balance(headers)
        if name == "accounts/tariff":
            return rcs.tariff_list(query)
        if name == "messages/rcs/send":
            return rcs.send(_json_or_none(body))
        if name == "campaigns/rcs/send":
            return rcs.send_campaign(_json_or_none(body))
        if name == "campaigns/rcs/send-groups":
            return rcs.send_groups(_json_or_none(body))
        if name == "campaigns":
            return rcs.campaigns(query)
        if name == "messages":
            return rcs.messages(query)
        if action == "/detail":
            return rcs.detail(campaign_id)
        if action == "/stop":
            return rcs.stop(campaign_id)
        return rcs.campaign(campaign_id)

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

        With the default `unique_references=True` this is 0 or 1 per channel: the proof of
        exactly-once is that every reference your code reports as sent has 1 here, and every
        reference it reports as failed (and not "may have been accepted") has 0.
        """
        if channel == "sms":
            return self._sms_store.acceptances(reference)
        if channel == "viber":
            return self._viber_store.acceptances(reference)
        if channel == "rcs":
            return self._rcs_store.acceptances(reference)
        return (
            self._sms_store.acceptances(reference)
            + self._viber_store.acceptances(reference)
            + self._rcs_store.acceptances(reference)
        )

    @property
    def messages(self) -> tuple[FakeMessage, ...]:
        """Every accepted message: SMS first, then Viber, each in acceptance order (a copy)."""
        return (*MessagesView(self._sms_store), *MessagesView(self._viber_store))

    @property
    def duplicates(self) -> Mapping[tuple[AnyChannel, str], int]:
        """`(channel, reference)` -> acceptances, for references accepted more than once
        (always empty unless `unique_references=False`)."""
        found: dict[tuple[AnyChannel, str], int] = {}
        for store in (self._sms_store, self._viber_store):
            for reference, extra in store.extra_acceptances.items():
                found[(store.channel, reference)] = extra + 1
        for reference, extra in self._rcs_store.extra_acceptances.items():
            found[("rcs", reference)] = extra + 1
        return found

    @property
    def balance(self) -> Decimal:
        """The account's balance now: the configured `balance` minus the price of every
        message accepted on any channel (what `GET /api/accounts/balance` answers). With a
        `credit`, SMS and Viber sends never take it below `-credit` (code 8)."""
        config = self.config
        spent = (
            config.sms_price * len(self._sms_store)
            + config.viber_price * len(self._viber_store)
            + self._rcs_store.spent
        )
        return config.balance - spent

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

    # -- RCS callbacks ---------------------------------------------------------------------------

    @property
    def callback_url(self) -> str | None:
        """The account's "Callback URL for RCS" (`None`: none); a message's own `callback_url`
        overrides it. Raises `InvalidParameterError` on assignment of a non-http(s) URL."""
        return self._callbacks.url

    @callback_url.setter
    def callback_url(self, url: str | None) -> None:
        if url is not None and (not isinstance(url, str) or not _URL.fullmatch(url)):
            raise InvalidParameterError("callback_url", url, "expected an http(s) URL")
        self._callbacks.url = url

    @property
    def callback_handler(self) -> ReportHandler | None:
        """The async callable every RCS status report is handed to (as an `RcsReport`), or
        `None`. Raises `InvalidParameterError` on assignment of a non-callable."""
        return self._callbacks.handler

    @callback_handler.setter
    def callback_handler(self, handler: ReportHandler | None) -> None:
        if handler is not None and not callable(handler):
            raise InvalidParameterError("callback_handler", handler, "expected an async callable")
        self._callbacks.handler = handler

    @property
    def click_handler(self) -> ClickHandler | None:
        """The async callable every RCS click callback is handed to (as an `RcsClick`), or
        `None`. Raises `InvalidParameterError` on assignment of a non-callable."""
        return self._callbacks.click_handler

    @click_handler.setter
    def click_handler(self, handler: ClickHandler | None) -> None:
        if handler is not None and not callable(handler):
            raise InvalidParameterError("click_handler", handler, "expected an async callable")
        self._callbacks.click_handler = handler

    def _collect_reports(self) -> None:
        """Queue a status report for every status change reached since the last collection."""
        store, callbacks = self._rcs_store, self._callbacks
        if not store.live:
            return
        for message, step in due_steps(store, self._rcs.fates, self.now()):
            payload = report_payload(message, step)
            callbacks.queue("status", message.id, step.status, payload, message.callback_url)

    @property
    def pending_callbacks(self) -> tuple[CallbackDelivery, ...]:
        """The callbacks `deliver_callbacks()` would try now, one per target, as not yet
        delivered `CallbackDelivery` values (`attempt` counts the tries already made)."""
        self._collect_reports()
        now = self.now()
        return tuple(
            CallbackDelivery(
                item.kind,
                item.message_id,
                item.status,
                item.target,
                item.attempts,
                False,
                None,
                None,
                now,
                item.body,
            )
            for item in self._callbacks.pending
        )

    @property
    def has_callback_work(self) -> bool:
        """Whether callbacks are queued or RCS statuses may still change (cheap)."""
        return bool(self._callbacks.pending) or bool(self._rcs_store.live)

    async def deliver_callbacks(self) -> tuple[CallbackDelivery, ...]:
        """Deliver the RCS callbacks due now and return this round's attempts, in order.

        First every status change reached on the fake's clock since the last round becomes a
        7.1 status report (oldest first; a big `advance()` yields each intermediate status, as
        the service would have sent them), queued for each target configured now: the
        `callback_handler` (given the `RcsReport`) and the URL (the message's `callback_url`,
        else `callback_url`). Then every queued callback (clicks included) is tried once, one
        after the other; a failed one (handler raised, URL answered non-2xx or did not answer)
        is tried again next round, up to `callback_attempts` tries. Bounded: each POST waits at
        most `callback_timeout` seconds. Never raises for a failed delivery (see `delivered`
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
            "reference": found.reference_id,
            "msisdn": found.phone,
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

        Forgotten: every message, task, campaign (and its forced status), callback, recorded
        request, count and token, the fault scripts not used yet and the `faults.injected`
        counts; the seeded draws (faults, `"mixed"` answer shapes) start over. Kept: every
        option, the clock (with every `advance()`), the callback URL and handlers, and the
        fault plan (`faults`: rates, latency, jitter, `retry_after`, scope). To drop the plan
        too, call `fake.faults.clear()`. `POST /_fake/reset` does exactly this.
        """
        self._sms_store.clear()
        self._viber_store.clear()
        self._rcs_store.clear()
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


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def _masked_body(path: str, body: bytes) -> bytes:
    """The body to record: a login's `api_key` is replaced by `[secure]`."""
    if not body or _LOGIN_PATH.match(path) is None:
        return body
    payload = _json_or_none(body)
    if isinstance(payload, dict) and "api_key" in payload:
        return json.dumps({**payload, "api_key": "[secure]"}).encode()
    return b"[secure]"


def _prefixes(name: str, prefixes: Collection[str]) -> tuple[str, ...]:
    """Number prefixes (one string or several), each of digits only."""
    if isinstance(prefixes, str):
        prefixes = [prefixes]
    if not isinstance(prefixes, Collection):
        raise InvalidParameterError(name, prefixes, "expected a list of number prefixes")
    found = tuple(prefixes)
    for prefix in found:
        if not isinstance(prefix, str) or not prefix.isdigit() or not prefix.isascii():
            raise InvalidParameterError(name, prefix, "expected number prefixes of digits")
    return found


def _tariffs(tariffs: object) -> tuple[Tariff, ...]:
    if tariffs is None:
        return DEFAULT_TARIFFS
    if isinstance(tariffs, (str, bytes)) or not isinstance(tariffs, Sequence):
        raise InvalidParameterError("tariffs", tariffs, "expected a list of Tariff values")
    for index, tariff in enumerate(tariffs):
        if not isinstance(tariff, Tariff):
            raise InvalidParameterError(f"tariffs[{index}]", tariff, "expected a Tariff")
    return tuple(tariffs)


def _groups(groups: object) -> dict[int, tuple[str, ...]]:
    if groups is None:
        return {}
    if not isinstance(groups, Mapping):
        raise InvalidParameterError(
            "contact_groups", groups, "expected a mapping of contact-list id to phone numbers"
        )
    fixed: dict[int, tuple[str, ...]] = {}
    for group, phones in groups.items():
        if isinstance(group, bool) or not isinstance(group, int) or group < 1:
            raise InvalidParameterError("contact_groups", group, "expected ids as ints >= 1")
        if isinstance(phones, str):
            phones = [phones]
        numbers = tuple(phones)
        for number in numbers:
            if not isinstance(number, str) or not re.fullmatch(r"[0-9]{9,15}", number):
                raise InvalidParameterError(
                    f"contact_groups[{group}]", number, "expected phone numbers of 9 to 15 digits"
                )
        fixed[group] = numbers
    return fixed


def _masked(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (name, "[secure]" if name.lower() in _SECRET_HEADERS else value)
        for name, value in headers.items()
    )
