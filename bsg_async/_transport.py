"""The request pipeline every endpoint goes through.

One `Pipeline.request` call: encode the body once, then per attempt take a slot of the client's
concurrency limit, send, turn the answer or failure into data or a typed `BSGError`, and ask the
`RetryPolicy` whether to try again. The body (and so every reference in it) is the same bytes
on every attempt. For sends, the pipeline tracks whether any attempt may have been accepted by
the service, and marks the final error with `may_have_been_accepted`.

One DEBUG log line per attempt (method, path, status, attempt, milliseconds); never a header
or a body, so no key or token can reach a log.
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

from ._converter import count_from, dumps, loads
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
    error_for_code,
    error_for_status,
)

__all__ = ["Answer", "Pipeline"]

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

    data: Any
    http_status: int
    uncertain: bool = False


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
    ) -> None:
        self.http = http
        self.retry = retry
        self.limiter = anyio.CapacityLimiter(max_concurrency)
        self._redact = redact
        self.rate_limiter = rate_limiter

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
        """Send one request, retrying as the policy allows.

        `send=True` marks a request that creates messages: errors then carry
        `may_have_been_accepted` (already set when `retry_if` sees them). `limited=False`
        bypasses the concurrency limit (for the token login that runs inside another
        request's slot). `retry_if`, when given, narrows the policy: a failure is retried only
        if `retry_if(error)` is also true (a One-API send passes one refusing `RateLimitError`,
        whose 429 may mean "already accepted").
        """
        content = None if json is None else dumps(json)
        headers = _JSON_HEADERS if content is not None else None
        request = self.http.build_request(
            method, _parsed_url(url), content=content, headers=headers, params=params
        )
        uncertain = False
        attempt = 0
        while True:
            attempt += 1
            try:
                data, status = await self._attempt(request, auth, attempt, limited)
            except _AuthFlowError as failed:
                # The token login or refresh already used its own retries; this request was
                # not sent (or was refused with a 401): no retry, nothing new accepted.
                error = failed.error
                error.may_have_been_accepted = send and uncertain
                raise error from error.__cause__
            except BSGError as error:
                uncertain = uncertain or (send and _may_have_been_accepted(error))
                error.may_have_been_accepted = send and uncertain
                if not self.retry.should_retry(error, attempt) or (
                    retry_if is not None and not retry_if(error)
                ):
                    raise
                await backoff_sleep(self.retry.delay(error, attempt))
            else:
                return Answer(data, status, uncertain)

    async def _attempt(
        self, request: httpx.Request, auth: httpx.Auth | None, attempt: int, limited: bool
    ) -> tuple[Any, int]:
        started = time.perf_counter()
        outcome = "?"
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
        except httpx.TimeoutException as exc:
            outcome = type(exc).__name__
            raise RequestTimeoutError(f"{outcome} on {request.method} {request.url.path}") from exc
        except httpx.RequestError as exc:
            outcome = type(exc).__name__
            raise TransportError(
                f"{outcome} on {request.method} {request.url.path}: {self._redact(str(exc))[:200]}"
            ) from exc
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
        return self._interpret(response), response.status_code

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

    def _interpret(self, response: httpx.Response) -> Any:
        status = response.status_code
        try:
            data = loads(response.content)
        except (ValueError, RecursionError):
            data = _NOT_JSON
        error = self._error_in(data, response)
        if error is not None:
            raise error
        if data is _NOT_JSON or not 200 <= status < 300:
            raise UnexpectedResponseError(
                f"expected a JSON answer, got HTTP {status} "
                f"({response.headers.get('content-type', 'no content type')})",
                http_status=status,
                body=self._shown_body(response),
            )
        return data

    def _error_in(self, data: Any, response: httpx.Response) -> BSGError | None:
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
            )
        description = _description(body, self._redact)
        if code and not isinstance(body.get("result"), list | dict):
            error: APIError = error_for_code(code, description, http_status=status)
        elif status >= 400:
            errors = {
                key: [self._redact(text) for text in texts]
                for key, texts in _one_api_errors(body).items()
            }
            error = error_for_status(
                status,
                description,
                retry_after=None,
                field=next((key for key in errors if key), None),
                errors=errors,
            )
        else:
            return None
        if isinstance(error, RateLimitError):
            error.retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        if data is _NOT_JSON and isinstance(error, ServerError | RateLimitError):
            error.description = f"{error.description}: {self._shown_body(response)[:100]}"
        return error

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


class _AuthFlowError(Exception):
    """Carries a `BSGError` raised by an auth flow out of `Pipeline._attempt`."""

    def __init__(self, error: BSGError) -> None:
        super().__init__(str(error))
        self.error = error


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


def _may_have_been_accepted(error: BSGError) -> bool:
    """Whether a send that failed with `error` may still have been accepted by the service."""
    if isinstance(error, TransportError):
        return not isinstance(error.__cause__, _NOT_SENT)
    return isinstance(error, ServerError | UnexpectedResponseError)
