"""The request pipeline every endpoint goes through.

One `Pipeline.request` call: encode the body once, then per attempt take a slot of the client's
concurrency limit, send, turn the answer or failure into data or a typed `BSGError`, and ask the
`RetryPolicy` whether to try again. The body (and so every reference in it) is the same bytes
on every attempt. For sends, the pipeline tracks whether any attempt may have been accepted by
the service, and each error is made knowing it (`may_have_been_accepted`); nothing changes an
error once made. No error holds httpx's exception (it holds the request and its credentials):
a failure without an answer is chained to a masked copy of it.

One DEBUG log line per attempt (method, path, status, attempt, milliseconds) and one INFO line
per retry (what, why, in how long, which attempt); never a header or a body, so no key or
token can reach a log.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

import anyio
import attrs
import httpx

from ._converter import count_from
from ._json import dumps, loads
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy
from .errors import (
    APIError,
    BSGError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    TransportError,
    UnexpectedResponseError,
    _reason,
    error_class_for_code,
    error_class_for_status,
    error_for_code,
    error_for_status,
    fate_unknown,
)

__all__ = ["Answer", "Pipeline", "RetryCounts"]

logger = logging.getLogger("bsg_async")

_BODY_SHOWN = 500
_NOT_JSON = object()
# Failures that happen before the request reaches the service: it cannot have been accepted.
# `ProxyError`: a proxy refused the CONNECT tunnel (a plain-HTTP proxy answers with a status).
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.ProxyError,
)


@attrs.frozen
class Answer:
    """A decoded successful answer.

    `uncertain` is `True` when an earlier attempt of the same send may have been accepted by
    the service (its answer was lost): a "reference already exists" in this answer then means
    "accepted by that earlier attempt".
    """

    data: Any = attrs.field(repr=False)  # a login answer holds the token
    http_status: int
    uncertain: bool = False


class RetryCounts:
    """What a client's requests went through, over its life (for the CLI's summary)."""

    def __init__(self) -> None:
        self.retries = 0  # attempts after a first one
        self.retried_requests = 0  # requests that needed at least one retry
        self.lost_answers = 0  # sends with an attempt the service may have accepted unseen
        self.recovered = 0  # of those, sends a later attempt got an answer for


class Pipeline:
    """Sends requests with retries, a concurrency limit and typed errors."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        retry: RetryPolicy,
        max_concurrency: int,
        redact: Callable[[str], str],
        rate_limiter: RateLimiter | None = None,
        counts: RetryCounts | None = None,
    ) -> None:
        self.http = http
        self.retry = retry
        self.limiter = anyio.CapacityLimiter(max_concurrency)
        self._redact = redact
        self.rate_limiter = rate_limiter
        self.timeout: httpx.Timeout | None = None  # None: the httpx client's own
        self.counts = counts if counts is not None else RetryCounts()

    def with_options(self, *, retry: RetryPolicy, timeout: httpx.Timeout | None) -> Pipeline:
        """A pipeline with another retry policy and timeout over the same HTTP client,
        concurrency limit, rate limiter and retry counts (for `AsyncBSG.with_options`)."""
        view = Pipeline.__new__(Pipeline)
        view.__dict__.update(self.__dict__)
        view.retry = retry
        view.timeout = timeout if timeout is not None else self.timeout
        return view

    async def request(
        self,
        method: str,
        url: str,
        *,
        auth: httpx.Auth | None,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
        send: bool = False,
        limited: bool = True,
        retry_if: Callable[[BSGError], bool] | None = None,
    ) -> Answer:
        """Send one request, retrying as the policy allows (`build`, then `send`)."""
        return await self.send(
            self.build(method, url, json=json, params=params),
            auth=auth,
            send=send,
            limited=limited,
            retry_if=retry_if,
        )

    def build(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, str | int] | None = None,
    ) -> httpx.Request:
        """The request, its body encoded once: every attempt sends the same bytes.

        A caller whose body holds a credential (the token login) builds it here and passes the
        request on, so no frame that can be in a traceback holds the body itself.
        """
        content = None if json is None else dumps(json)
        headers = _JSON_HEADERS if content is not None else None
        if self.timeout is not None:
            return self.http.build_request(
                method,
                _parsed_url(url),
                content=content,
                headers=headers,
                params=params,
                timeout=self.timeout,
            )
        return self.http.build_request(
            method, _parsed_url(url), content=content, headers=headers, params=params
        )

    async def send(
        self,
        request: httpx.Request,
        *,
        auth: httpx.Auth | None,
        send: bool = False,
        limited: bool = True,
        retry_if: Callable[[BSGError], bool] | None = None,
    ) -> Answer:
        """Send `request`, retrying as the policy allows; its decoded answer, or a `BSGError`.

        `send=True` marks a request that creates messages: each error then says, from the
        moment it is made, whether this or an earlier attempt may have been accepted
        (`may_have_been_accepted`; `retry_if` sees it). `limited=False` bypasses the
        concurrency limit (for the token login that runs inside another request's slot).
        `retry_if`, when given, narrows the policy: a failure is retried only if
        `retry_if(error)` is also true (a One-API send passes one refusing `RateLimitError`,
        whose 429 may mean "already accepted").
        """
        uncertain = False  # whether an attempt so far may have been accepted
        attempt = 0
        while True:
            attempt += 1
            try:
                data, status = await self._attempt(request, auth, attempt, limited, send, uncertain)
            except _AuthFlowError as failed:
                login_error = failed.error
                break
            except BSGError as error:
                if error.may_have_been_accepted and not uncertain:
                    self.counts.lost_answers += 1
                uncertain = error.may_have_been_accepted
                if not self.retry.should_retry(error, attempt) or (
                    retry_if is not None and not retry_if(error)
                ):
                    raise
                delay = self.retry.delay(error, attempt)
                self.counts.retries += 1
                if attempt == 1:
                    self.counts.retried_requests += 1
                if logger.isEnabledFor(logging.INFO):
                    logger.info(
                        "Retrying %s %s in %.2f s (attempt %d of %d) after %s",
                        request.method,
                        request.url.path,
                        delay,
                        attempt + 1,
                        self.retry.max_attempts,
                        _why(error),
                    )
                await backoff_sleep(delay)
            else:
                if uncertain:
                    self.counts.recovered += 1
                return Answer(data, status, uncertain)
        # The token login or refresh failed, after its own retries; this request was not sent
        # (or was refused with a 401): no retry, nothing new accepted. The login's error is
        # shared by every request that waited for it: a request an earlier attempt of which
        # may have been accepted raises its own copy, which says so.
        raise (fate_unknown(login_error) if uncertain else login_error) from login_error.__cause__

    async def _attempt(
        self,
        request: httpx.Request,
        auth: httpx.Auth | None,
        attempt: int,
        limited: bool,
        send: bool,
        uncertain: bool,
    ) -> tuple[Any, int]:
        started = time.perf_counter()
        outcome = "?"
        failure: TransportError | None = None
        try:
            if limited:
                await self._take_slot()
                try:
                    if self.rate_limiter is not None:
                        await self.rate_limiter.acquire()
                    response = await self.http.send(request, auth=auth)
                finally:
                    self.limiter.release()
            else:
                response = await self.http.send(request, auth=auth)
            outcome = str(response.status_code)
        except httpx.RequestError as exc:
            outcome = type(exc).__name__
            failure = self._transport_error(exc, request, send and uncertain, send)
        except BSGError as exc:  # from the auth flow: the token login or refresh failed
            outcome = type(exc).__name__
            raise _AuthFlowError(exc) from None
        finally:
            if logger.isEnabledFor(logging.DEBUG):
                logger.debug(
                    "%s %s -> %s (attempt %d, %.1f ms)",
                    request.method,
                    request.url.path,
                    outcome,
                    attempt,
                    (time.perf_counter() - started) * 1000,
                )
        if failure is not None:
            # Raised outside the `except`: httpx's exception, which holds the request and its
            # credentials, is then neither the cause nor the context of the error.
            raise failure from failure.__cause__
        return self._interpret(response, send, uncertain), response.status_code

    def _transport_error(
        self, exc: httpx.RequestError, request: httpx.Request, uncertain: bool, send: bool
    ) -> TransportError:
        """The typed error for a request that got no answer, its cause a copy of `exc` with
        the message masked and no request, traceback or chain (they hold credentials)."""
        name = type(exc).__name__
        text = self._redact(str(exc))[:200]
        try:
            cause: Exception = type(exc)(text)
        except Exception:  # a subclass with another constructor: its httpx base will do
            cause = next(
                base(text) for base in type(exc).__mro__ if base.__module__.startswith("httpx")
            )
        # Only a failure before any byte left leaves the service surely without the message.
        fate = uncertain or (send and not isinstance(exc, _NOT_SENT))
        where = f"{request.method} {request.url.path}"
        error: TransportError
        if isinstance(exc, httpx.TimeoutException):
            error = RequestTimeoutError(f"{name} on {where}", may_have_been_accepted=fate)
        else:
            error = TransportError(f"{name} on {where}: {text}", may_have_been_accepted=fate)
        error.__cause__ = cause
        return error

    async def _take_slot(self) -> None:
        """One of the client's `max_concurrency` slots, for the current task.

        A free slot is taken without a trip through the event loop (`async with limiter`
        makes one even then, on every attempt); the request that follows is the next chance
        for a cancellation to arrive.
        """
        try:
            self.limiter.acquire_nowait()
        except anyio.WouldBlock:
            await self.limiter.acquire()

    def _interpret(self, response: httpx.Response, send: bool, uncertain: bool) -> Any:
        """The answer's JSON, or raise its typed error, which says whether the service may
        hold the message of a send (`uncertain`: an earlier attempt may have been accepted).

        The error is raised from a frame that does not hold the answer: a traceback shown
        with its locals (Sentry, `pytest -l`) cannot show a key a careless proxy echoed.
        """
        decoded = self._decoded(response, send, uncertain)
        if isinstance(decoded, _Refused):
            raise decoded.error
        return decoded

    def _decoded(self, response: httpx.Response, send: bool, uncertain: bool) -> Any:
        """`_interpret`'s answer, or the error it raises wrapped in a `_Refused`."""
        status = response.status_code
        if status == 204 and not response.content:
            return None  # "No Content": the One-API's deletes answer so
        try:
            data = loads(response.content)
        except (ValueError, RecursionError):
            data = _NOT_JSON
        error = self._error_in(data, response, send, uncertain)
        if error is not None:
            return _Refused(error)
        if data is _NOT_JSON or not 200 <= status < 300:
            return _Refused(
                UnexpectedResponseError(
                    f"expected a JSON answer, got HTTP {status} "
                    f"({response.headers.get('content-type', 'no content type')})",
                    http_status=status,
                    body=self._shown_body(response),
                    may_have_been_accepted=send,  # the service answered what we cannot read
                )
            )
        return data

    def _error_in(
        self, data: Any, response: httpx.Response, send: bool, uncertain: bool
    ) -> BSGError | None:
        """The error an answer carries: its BSG code first, else its HTTP status."""
        status = response.status_code
        body = data if isinstance(data, dict) else {}
        code = _code(body.get("error"))
        if code == _BAD_CODE:
            return UnexpectedResponseError(
                "the answer's 'error' field is not an integer code",
                http_status=status,
                body=self._shown_body(response),
                field="$.error",
                may_have_been_accepted=send,
            )
        by_code = bool(code) and not isinstance(body.get("result"), list | dict)
        if not by_code and status < 400:
            return None
        cls = error_class_for_code(code or 0) if by_code else error_class_for_status(status)
        description = _description(body, self._redact)
        if data is _NOT_JSON and issubclass(cls, ServerError | RateLimitError):
            shown = self._shown_body(response)[:100]
            description = f"{description or _reason(status)}: {shown}"
        retry_after = None
        if issubclass(cls, RateLimitError):
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        fate = send and (uncertain or _may_hold(cls, description))
        if by_code:
            return error_for_code(
                code or 0,
                description,
                http_status=status,
                retry_after=retry_after,
                may_have_been_accepted=fate,
            )
        errors = {
            key: [self._redact(text) for text in texts]
            for key, texts in _one_api_errors(body).items()
        }
        return error_for_status(
            status,
            description,
            retry_after=retry_after,
            field=next((key for key in errors if key), None),
            errors=errors,
            may_have_been_accepted=fate,
        )

    def _shown_body(self, response: httpx.Response) -> str:
        text = response.content[: _BODY_SHOWN * 4].decode("utf-8", "replace")
        return self._redact(text)[:_BODY_SHOWN]


_BAD_CODE = -1
_JSON_HEADERS = httpx.Headers({"Content-Type": "application/json"})  # copied, never changed


@functools.lru_cache(maxsize=256)
def _parsed_url(url: str) -> httpx.URL:
    """`httpx.URL(url)`, parsed once per distinct URL: parsing costs more than the rest of
    building a request, and a batch sends thousands to the same one (a URL is immutable)."""
    return httpx.URL(url)


@attrs.frozen
class _Refused:
    """An answer that is an error (see `Pipeline._interpret`)."""

    error: BSGError


class _AuthFlowError(Exception):
    """Carries a `BSGError` raised by an auth flow out of `Pipeline._attempt`."""

    def __init__(self, error: BSGError) -> None:
        super().__init__(str(error))
        self.error = error


def _why(error: BSGError) -> str:
    """Why an attempt failed, for the retry log line: the error's kind and what the service
    said (a code or an HTTP status), or the transport's own (masked) message."""
    name = type(error).__name__
    if isinstance(error, APIError):
        where = f"code {error.code}" if error.code is not None else f"HTTP {error.http_status}"
        return f"{name} ({where})"
    return f"{name}: {str(error)[:200]}"


async def backoff_sleep(seconds: float) -> None:
    """Wait between attempts. Module-level so tests can make waits instant and record them."""
    await anyio.sleep(seconds)


def _code(value: Any) -> int | None:
    """The `error` field as a code (`0`, `"0"`, `"43"`, ...), `None` when absent, or `_BAD_CODE`
    for anything that is not a count (`count_from`)."""
    if value is None:
        return None
    code = count_from(value)
    return _BAD_CODE if code is None else code


def _description(body: Mapping[str, Any], redact: Callable[[str], str]) -> str | None:
    """The answer's error text, credentials masked (a service may echo the key), then cut."""
    for key in ("errorDescription", "message", "error_description"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return redact(value[:2000])[:300]
    return None


def _one_api_errors(body: Mapping[str, Any]) -> dict[str, list[str]]:
    """The per-field messages of a One-API 422 answer, field -> messages.

    `errors` is a mapping (`{"field": ["text"]}`, a message may be a bare string) or a list
    (of strings, kept under `""`, or of such mappings); anything else is ignored.
    """
    found: dict[str, list[str]] = {}

    def add(key: str, value: Any) -> None:
        messages = value if isinstance(value, list) else [value]
        texts = [m[:300] for m in messages if isinstance(m, str)]
        if texts:
            found.setdefault(key, []).extend(texts)

    errors = body.get("errors")
    items = errors if isinstance(errors, list) else [errors]
    for item in items[:100]:
        if isinstance(item, str):
            add("", item)
        elif isinstance(item, dict):
            for key, value in list(item.items())[:100]:
                if isinstance(key, str):
                    add(key, value)
    return found


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date; `None` if absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return None
    return max(0.0, seconds)


def _may_hold(cls: type[APIError], description: str | None) -> bool:
    """Whether an answer refusing a send with an error of `cls` leaves open that the service
    accepted it: a server failure, or a 429 the service calls a duplicate request (the One-API
    says "Too many duplicate request detected" when it already holds the `reference_id`)."""
    if issubclass(cls, ServerError):
        return True
    return issubclass(cls, RateLimitError) and "duplicate" in (description or "").lower()
