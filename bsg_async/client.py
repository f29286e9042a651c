"""`AsyncBSG`: configuration, lifecycle and the channel namespaces."""

from __future__ import annotations

import asyncio
import enum
import os
from datetime import tzinfo
from functools import cached_property
from http.cookiejar import Cookie, CookieJar
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, NoReturn

import anyio
import attrs
import httpx

from . import _validation as rules
from ._auth import ApiKeyAuth, BearerAuth, JwtAuth
from ._converter import wire
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy
from ._secret import Secret, redact
from ._transport import Answer, Pipeline, RetryCounts
from ._version import __version__
from .errors import ClientStateError, InvalidParameterError, UnexpectedResponseError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from .account import AccountResource
    from .campaigns import CampaignsResource
    from .email import EmailResource
    from .errors import BSGError
    from .hlr import HlrResource
    from .messages import MessagesResource
    from .otp import OtpResource
    from .prices import PricesResource
    from .rcs import RcsResource
    from .senders import SendersResource
    from .short_links import ShortLinksResource
    from .sms import SmsResource
    from .statistics import StatisticsResource
    from .viber import ViberResource

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_LIMITS",
    "DEFAULT_ONE_API_URL",
    "DEFAULT_TIMEOUT",
    "AsyncBSG",
    "HttpBackend",
]

DEFAULT_BASE_URL = "https://api.bsg.world/rest"
DEFAULT_ONE_API_URL = "https://one-api.bsg.world"
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)
DEFAULT_MAX_CONCURRENCY = 64
API_KEY_ENV = "BSG_API_KEY"
BASE_URL_ENV = "BSG_BASE_URL"
ONE_API_URL_ENV = "BSG_ONE_API_URL"

HttpBackend = Literal["httpx", "aiohttp"]
"""The HTTP machinery under `AsyncBSG`: `"httpx"` (the default) or `"aiohttp"` (the extra)."""
_HTTP_BACKENDS: tuple[HttpBackend, ...] = ("httpx", "aiohttp")


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


class AsyncBSG:
    """The BSG client: one shared `httpx.AsyncClient`, the channels as namespaces.

    Use it as an async context manager; it opens its connection pool on entry and closes it
    on exit, on every path (errors and cancellation included):

    ```python
    async with AsyncBSG(api_key="live_...") as bsg:
        receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
    ```

    Parameters (all keyword-only but `api_key`):

    - `api_key`: the account's key; defaults to the `BSG_API_KEY` environment variable. Never
      shown in a repr, a log record or an error (an error says where the key came from and
      what is wrong with it, for example "ends with a newline: strip it").
    - `base_url`: the legacy REST API (SMS, Viber); defaults to the `BSG_BASE_URL`
      environment variable, else `https://api.bsg.world/rest`.
    - `one_api_url`: the One-API (RCS, campaigns, account); defaults to the `BSG_ONE_API_URL`
      environment variable, else `https://one-api.bsg.world`.
    - `timeout`: seconds, or an `httpx.Timeout`; default 30 s (10 s to connect). Never infinite.
    - `limits`: the connection pool's `httpx.Limits`.
    - `retry`: the `RetryPolicy`; `RetryPolicy(max_attempts=1)` turns retries off.
    - `max_retries`: a shorthand: retries after the first attempt (`max_retries=0` turns
      retries off); it sets `max_attempts` of `retry` (or of the default policy) to
      `max_retries + 1`.

    An argument always wins over its environment variable. `bsg.with_options(timeout=...,
    max_retries=...)` gives a view with other options over the same connection pool.
    - `max_concurrency`: requests in flight across the whole client (default 64).
    - `rate_limit`: at most this many requests per second across the whole client (retries
      and batch chunks included); `None` (the default) sets no limit.
    - `transport`: an `httpx.AsyncBaseTransport` for the client to use (`httpx.MockTransport`,
      `bsg_async.testing.FakeBSG().transport`, ...).
    - `http_client`: an `httpx.AsyncClient` of your own; the SDK uses it and does not close it.
      `timeout`, `limits` and `transport` then come from that client.
    - `http_backend`: `"httpx"` (the default: httpx's own connection pool) or `"aiohttp"`:
      the same `httpx.AsyncClient` over an aiohttp connection pool, much faster with many
      requests in flight; it is `transport=bsg_async.transports.AiohttpTransport(limits=limits)`
      and nothing more. Needs `pip install "bsg-async[aiohttp]"` and an asyncio event loop;
      everything else (auth, retries and how failures are classified, timeouts, limits,
      lifecycle) is the same. Not combinable with `transport` or `http_client`: for event
      hooks, mounts or anything else of `httpx.AsyncClient` on the aiohttp pool, build the
      client yourself over that transport and pass it as `http_client` (the example is in
      `bsg_async.transports`).
    - `timezone`: the zone of the service's times; without it they are naive `datetime`s (the
      service does not document its zone).

    Raises `InvalidParameterError` for a bad option, before any network traffic.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        one_api_url: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        rate_limit: float | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        timezone: tzinfo | None = None,
        http_backend: HttpBackend | None = None,
    ) -> None:
        key = _api_key(api_key)
        # The plain key leaves this frame before anything can raise: a traceback shown with
        # its locals (Sentry, `pytest -l`) would show it.
        api_key = None
        if isinstance(key, InvalidParameterError):
            raise key
        self._api_key = key
        self.base_url = _configured_url(base_url, "base_url", BASE_URL_ENV, DEFAULT_BASE_URL)
        self.one_api_url = _configured_url(
            one_api_url, "one_api_url", ONE_API_URL_ENV, DEFAULT_ONE_API_URL
        )
        self.timeout = _timeout(timeout)
        if not isinstance(limits, httpx.Limits):
            raise InvalidParameterError("limits", limits, "expected an httpx.Limits")
        self.limits = limits
        self.retry = _retry_policy(retry, max_retries)
        if (
            isinstance(max_concurrency, bool)
            or not isinstance(max_concurrency, int)
            or max_concurrency < 1
        ):
            raise InvalidParameterError("max_concurrency", max_concurrency, "expected an int >= 1")
        self.max_concurrency = max_concurrency
        self.rate_limit = rate_limit
        self._rate_limiter = None if rate_limit is None else RateLimiter(rate_limit)
        if http_client is not None and transport is not None:
            raise InvalidParameterError(
                "transport", transport, "give either transport or http_client, not both"
            )
        self.http_backend = _http_backend(http_backend, transport, http_client)
        self._transport = transport
        self._given_http = http_client
        self._wire = wire(timezone)
        self._state = _State.UNOPENED
        self._pipeline: Pipeline | None = None
        self._retry_counts = RetryCounts()  # shared with every `with_options` view
        self._key_auth = ApiKeyAuth(self._api_key)
        self._jwt_auth = JwtAuth(login=self._login, refresh=self._refresh)
        self._root: AsyncBSG | None = None  # the client a `with_options` view is of
        self._request_timeout: httpx.Timeout | None = None  # a view's own timeout
        self._view_pipeline: tuple[Pipeline, Pipeline] | None = None

    def with_options(
        self,
        *,
        timeout: float | httpx.Timeout | None = None,
        retry: RetryPolicy | None = None,
        max_retries: int | None = None,
    ) -> AsyncBSG:
        """A view of this client with another timeout or retry policy, for one call or a block
        of calls; everything else is shared: the connection pool, the lifecycle, the
        concurrency and rate limits, the key and the One-API token.

        ```python
        receipt = await bsg.with_options(timeout=5, max_retries=0).sms.send(...)

        patient = bsg.with_options(max_retries=6)
        for job in jobs:
            await patient.sms.get(job.message_id)
        ```

        Options left out are this client's. The view needs no `async with` of its own (it may
        have one: leaving it closes nothing); it works while this client is open and raises
        `ClientStateError` once it is closed. Raises `InvalidParameterError` for a bad option.
        """
        view = object.__new__(type(self))
        view.__dict__.update(
            (name, value) for name, value in self.__dict__.items() if name not in _RESOURCES
        )
        view._root = self._root or self
        view._view_pipeline = None
        if timeout is not None:
            view.timeout = view._request_timeout = _timeout(timeout)
        if retry is not None or max_retries is not None:
            view.retry = _retry_policy(retry if retry is not None else self.retry, max_retries)
        return view

    # -- lifecycle ---------------------------------------------------------------------------

    async def __aenter__(self) -> AsyncBSG:
        if self._root is not None:  # a `with_options` view: its client's lifecycle is its own
            self._root._open_pipeline  # noqa: B018 - raises unless that client is open
            return self
        if self._state is _State.OPEN:
            raise ClientStateError("this AsyncBSG is already open; enter it only once")
        if self._state is _State.CLOSED:
            raise ClientStateError("this AsyncBSG is closed; create a new one")
        http = self._given_http
        if http is None:
            transport = self._transport
            if self.http_backend == "aiohttp":
                transport = _aiohttp_transport(self.limits)
            http = _OwnClient(
                transport=transport,
                timeout=self.timeout,
                limits=self.limits,
                headers=_DEFAULT_HEADERS,
            )
        self._pipeline = Pipeline(
            http,
            retry=self.retry,
            max_concurrency=self.max_concurrency,
            redact=self._redact,
            rate_limiter=self._rate_limiter,
            counts=self._retry_counts,
        )
        self._state = _State.OPEN
        return self

    def __enter__(self) -> NoReturn:
        raise TypeError(
            "AsyncBSG is an async client: use `async with AsyncBSG(...) as bsg:`, not `with`"
        )

    def __exit__(self, *exc_info: object) -> None:  # pragma: no cover - __enter__ raises
        """Never reached: `with AsyncBSG(...)` fails in `__enter__` (use `async with`)."""

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (unless it belongs to a caller's `http_client`).

        Safe to call twice; the client cannot be reopened. On a `with_options` view, closes
        nothing: the pool is its client's.
        """
        if self._root is not None:
            return
        pipeline, self._pipeline = self._pipeline, None
        self._state = _State.CLOSED
        if pipeline is not None and self._given_http is None:
            with anyio.CancelScope(shield=True):
                await pipeline.http.aclose()

    @property
    def is_closed(self) -> bool:
        """`True` once the client (a view's: the client it is of) was closed."""
        return (self._root or self)._state is _State.CLOSED

    def __repr__(self) -> str:
        # Safe on a half-made client too (a traceback may show one from `__init__`).
        root = getattr(self, "_root", None) or self
        state = getattr(root, "_state", _State.UNOPENED)
        return f"AsyncBSG(base_url={getattr(self, 'base_url', None)!r}, state={state.value!r})"

    # -- channels ----------------------------------------------------------------------------

    @cached_property
    def sms(self) -> SmsResource:
        """SMS: `send`, `send_bulk`, `send_individual`, `get`, `get_by_reference`, `get_task`."""
        from .sms import SmsResource

        return SmsResource(self)

    @cached_property
    def viber(self) -> ViberResource:
        """Viber with SMS fallback: `send` (one phone), `send_messages`, `send_many`, `get`,
        `get_by_reference`."""
        from .viber import ViberResource

        return ViberResource(self)

    @cached_property
    def rcs(self) -> RcsResource:
        """RCS on the One-API: `send`, `send_campaign` (to phones or contact lists)."""
        from .rcs import RcsResource

        return RcsResource(self)

    @cached_property
    def campaigns(self) -> CampaignsResource:
        """One-API campaigns: `get`, `detail`, `stop`, `list`."""
        from .campaigns import CampaignsResource

        return CampaignsResource(self)

    @cached_property
    def messages(self) -> MessagesResource:
        """The One-API message search: `list`."""
        from .messages import MessagesResource

        return MessagesResource(self)

    @cached_property
    def hlr(self) -> HlrResource:
        """HLR lookups: `create`, `get`, `get_by_reference`."""
        from .hlr import HlrResource

        return HlrResource(self)

    @cached_property
    def prices(self) -> PricesResource:
        """The legacy price lists: `sms`, `viber`, `hlr`."""
        from .prices import PricesResource

        return PricesResource(self)

    @cached_property
    def account(self) -> AccountResource:
        """The account: `balance`, `tariffs` (One-API), `legacy_balance` (the API key's)."""
        from .account import AccountResource

        return AccountResource(self)

    @cached_property
    def otp(self) -> OtpResource:
        """One-time passwords (2FA): `send`, `verify`, `resend`, `cancel`, `get`, `list`,
        `price`; code templates as `otp.templates`."""
        from .otp import OtpResource

        return OtpResource(self)

    @cached_property
    def statistics(self) -> StatisticsResource:
        """Statistics exports (One-API): `create_job`, `jobs`, `wait`, `rows`, `delete`."""
        from .statistics import StatisticsResource

        return StatisticsResource(self)

    @cached_property
    def email(self) -> EmailResource:
        """Email (One-API): `send`, `send_template`."""
        from .email import EmailResource

        return EmailResource(self)

    @cached_property
    def senders(self) -> SendersResource:
        """Sender names (One-API): `registered`, `requests`, `register_legal`,
        `register_natural`."""
        from .senders import SendersResource

        return SendersResource(self)

    @cached_property
    def short_links(self) -> ShortLinksResource:
        """Short links (One-API): `create`, `update`, `delete`, `list`, `statistics`, `clicks`,
        and their `domains`."""
        from .short_links import ShortLinksResource

        return ShortLinksResource(self)

    # -- plumbing for the resources ----------------------------------------------------------

    @property
    def _open_pipeline(self) -> Pipeline:
        root = self._root
        pipeline = self._pipeline if root is None else root._pipeline
        if pipeline is None:
            if (root or self)._state is _State.CLOSED:
                raise ClientStateError("this AsyncBSG is closed; create a new one")
            raise ClientStateError(
                "this AsyncBSG is not open: use `async with AsyncBSG(...) as bsg:`"
            )
        if root is None:
            return pipeline
        # A view: its own retry policy and timeout over the client's pipeline, made once per
        # opened pipeline.
        made = self._view_pipeline
        if made is None or made[0] is not pipeline:
            view = pipeline.with_options(retry=self.retry, timeout=self._request_timeout)
            made = self._view_pipeline = (pipeline, view)
        return made[1]

    async def legacy_request(
        self, method: str, path: str, *, json: Any = None, send: bool = False
    ) -> Answer:
        """Send a request to the legacy REST API with `X-API-KEY` authentication."""
        return await self._open_pipeline.request(
            method, self.base_url + path, auth=self._key_auth, json=json, send=send
        )

    async def one_api_request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        send: bool = False,
        retry_if: Callable[[BSGError], bool] | None = None,
    ) -> Answer:
        """Send a request to the One-API with bearer-token authentication.

        `retry_if` narrows the retry policy for this request (see `Pipeline.request`).
        """
        return await self._open_pipeline.request(
            method,
            self.one_api_url + path,
            auth=self._jwt_auth,
            json=json,
            params=params,
            send=send,
            retry_if=retry_if,
        )

    async def _login(self) -> Secret:
        pipeline = self._open_pipeline
        # Built here and passed on: no frame of the pipeline's, which a traceback may show
        # with its locals, holds the body with the key.
        request = pipeline.build(
            "POST", self.one_api_url + "/api/auth/login", json={"api_key": self._api_key.reveal()}
        )
        return _bearer(await pipeline.send(request, auth=None, limited=False))

    async def _refresh(self, token: Secret) -> Secret:
        answer = await self._open_pipeline.request(
            "POST", self.one_api_url + "/api/auth/refresh", auth=BearerAuth(token), limited=False
        )
        return _bearer(answer)

    def _redact(self, text: str) -> str:
        return redact(text, self._api_key, self._jwt_auth.token)


def _bearer(answer: Answer) -> Secret:
    problem = _bearer_problem(answer.data)
    if problem is not None:  # raised from a frame that holds no token
        raise UnexpectedResponseError(problem, http_status=answer.http_status, field="$.bearer")
    return Secret(answer.data["bearer"])


def _bearer_problem(data: Any) -> str | None:
    """What is wrong with a login answer's `bearer` token (never the token), or `None`."""
    token = data.get("bearer") if isinstance(data, dict) else None
    if not isinstance(token, str) or not token:
        return "the login answer has no 'bearer' token"
    if not rules.is_credential(token):
        return "the login answer's 'bearer' token is not printable ASCII without spaces"
    return None


def _api_key(value: str | None) -> Secret | InvalidParameterError:
    """The key as a `Secret`, or the error to raise (returned, not raised, so that no frame
    holding the plain key is in its traceback)."""
    source = "the api_key argument"
    if value is None:
        value = os.environ.get(API_KEY_ENV)
        source = f"the {API_KEY_ENV} environment variable"
        if not value:
            return InvalidParameterError(
                "api_key", None, f"pass api_key=... or set the {API_KEY_ENV} environment variable"
            )
    if not rules.is_credential(value):
        # The value itself is never shown: it may be a real key with a typo.
        return InvalidParameterError(
            "api_key", "[secure]", f"the key from {source} {_key_problem(value)}"
        )
    return Secret(value)


def _key_problem(value: object) -> str:
    """What is wrong with a key `rules.is_credential` refuses, without showing any of it: a
    position and a kind of character, never a character of the key itself."""
    if not isinstance(value, str):
        return f"is a {type(value).__name__}, not a str"
    if not value.strip():
        return "is empty" if not value else "is only whitespace"
    stripped = value.strip()
    if stripped != value:
        if value.endswith(("\n", "\r")):
            return "ends with a newline: strip it"
        where = "starts" if value[0].isspace() else "ends"
        return f"{where} with whitespace: strip it"
    for position, char in enumerate(value, 1):
        if char == " ":
            return f"contains a space (character {position})"
        if not char.isascii():
            return f"contains a non-ASCII character (character {position})"
        if not char.isprintable():
            return f"contains a control character (character {position})"
    return "is not printable ASCII without spaces"  # pragma: no cover - one of the above


def _configured_url(value: str | None, field: str, env: str, default: str) -> str:
    """The URL argument, else its environment variable, else the default; validated."""
    if value is not None:
        return _base_url(value, field)
    from_env = os.environ.get(env)
    if not from_env:
        return default
    try:
        return _base_url(from_env, field)
    except InvalidParameterError:
        raise InvalidParameterError(
            field, from_env, f"the {env} environment variable: expected an absolute http(s) URL"
        ) from None


def _retry_policy(retry: RetryPolicy | None, max_retries: int | None) -> RetryPolicy:
    """The policy from `retry=` and its shorthand `max_retries=` (which sets its attempts)."""
    policy = retry if retry is not None else RetryPolicy()
    if not isinstance(policy, RetryPolicy):
        raise InvalidParameterError("retry", retry, "expected a RetryPolicy")
    if max_retries is None:
        return policy
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise InvalidParameterError("max_retries", max_retries, "expected an int >= 0")
    return attrs.evolve(policy, max_attempts=max_retries + 1)


def _base_url(value: str, field: str) -> str:
    try:
        url = httpx.URL(value) if isinstance(value, str) else None
    except httpx.InvalidURL:
        url = None
    if (
        url is None
        or url.scheme not in ("http", "https")
        or not url.host
        # paths are appended to the base URL: a query or fragment would swallow them
        or any(c in "?#" or c.isspace() for c in value)
    ):
        raise InvalidParameterError(field, value, "expected an absolute http(s) URL")
    return value.rstrip("/")


def _http_backend(
    value: object, transport: object | None, http_client: object | None
) -> HttpBackend:
    if value is None:
        return "httpx"
    backend = next((name for name in _HTTP_BACKENDS if value == name), None)
    if backend is None:
        raise InvalidParameterError("http_backend", value, "expected 'httpx' or 'aiohttp'")
    if transport is not None or http_client is not None:
        given = "transport" if transport is not None else "http_client"
        raise InvalidParameterError(
            "http_backend", value, f"give either http_backend or {given}, not both"
        )
    if backend == "aiohttp":
        try:
            from . import _aiohttp  # noqa: F401 - imported to check the extra is installed
        except ImportError as exc:
            raise InvalidParameterError(
                "http_backend",
                value,
                f'needs the aiohttp extra: pip install "bsg-async[aiohttp]" ({exc})',
            ) from exc
    return backend


def _aiohttp_transport(limits: httpx.Limits) -> httpx.AsyncBaseTransport:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        raise InvalidParameterError(
            "http_backend", "aiohttp", "needs an asyncio event loop (aiohttp does not run on trio)"
        ) from None
    from ._aiohttp import AiohttpTransport

    return AiohttpTransport(limits=limits)


def _timeout(value: float | httpx.Timeout) -> httpx.Timeout:
    if isinstance(value, httpx.Timeout):
        parts = (value.connect, value.read, value.write, value.pool)
        if any(part is None for part in parts):
            raise InvalidParameterError("timeout", value, "every part must be finite (not None)")
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 1e6:
        return httpx.Timeout(value)
    raise InvalidParameterError("timeout", value, "expected seconds > 0 or an httpx.Timeout")


_RESOURCES = frozenset({"sms", "viber", "rcs", "campaigns", "messages", "account"})
"""The lazily made channel namespaces: a `with_options` view makes its own (they hold it)."""

_DEFAULT_HEADERS = {
    "Accept": "application/json",
    "User-Agent": f"bsg-async/{__version__} httpx/{httpx.__version__}",
}


class _NoCookies(CookieJar):
    """A cookie jar that keeps nothing: the client the SDK builds sends no cookies.

    The BSG APIs authenticate every request by key or token and set no cookies; one they did
    set would otherwise travel with later requests (to the other API too, were both on one
    host). Keeping none also spares `httpx.AsyncClient` the jar's parse of every answer's
    headers for cookies.
    """

    def extract_cookies(self, response: Any, request: Any) -> None:
        """Keep no cookie an answer sets."""

    def set_cookie(self, cookie: Cookie) -> None:
        """Keep no cookie set by hand either."""


class _NoCookieLookup(httpx.Cookies):
    """Empty `httpx.Cookies` (over `_NoCookies`) that do not even look at answers."""

    def __init__(self) -> None:
        super().__init__(_NoCookies())

    def extract_cookies(self, response: httpx.Response) -> None:
        """Look for no cookie: none would be kept."""


_NO_COOKIES = _NoCookieLookup()  # holds nothing, so one serves every client


class _OwnClient(httpx.AsyncClient):
    """The `httpx.AsyncClient` AsyncBSG builds for itself, on both backends: httpx's own in
    everything, but its `cookies`, which stay empty and are never looked for.

    httpx hands every answer to `client.cookies.extract_cookies`, which wraps the request in a
    `urllib.request.Request` (copying its headers, parsing its URL) before any jar sees it:
    even with a jar that keeps nothing, about 160,000 instructions per request (3,300 per
    Viber recipient on the aiohttp backend), the largest part of what `AsyncClient.send` adds
    to a request. Only that public property differs; requests are built, sent, hooked and
    routed by httpx.
    """

    @property
    def cookies(self) -> httpx.Cookies:
        """No cookies: the BSG APIs set none, and this client keeps none (see `_NoCookies`)."""
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        raise AttributeError("the client AsyncBSG builds keeps no cookies")
