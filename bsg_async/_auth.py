"""Authentication as `httpx.Auth` flows.

- `ApiKeyAuth`: the legacy REST API's `X-API-KEY` header.
- `JwtAuth`: One-API bearer tokens. The first request logs in with the API key; a token is
  refreshed shortly before its `exp` claim; a 401 triggers one refresh (or a new login when the
  refresh is refused) and one replay. Concurrent requests share one login or refresh (a lock
  with a re-check inside, so no herd), and the I/O is async, never blocking the event loop.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator

import anyio
import httpx

from ._secret import Secret
from .errors import AuthenticationError, BSGError

__all__ = ["ApiKeyAuth", "BearerAuth", "JwtAuth", "jwt_expiry"]


class ApiKeyAuth(httpx.Auth):
    """Sets `X-API-KEY` on every request."""

    def __init__(self, key: Secret) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-API-KEY"] = self._key.reveal()
        yield request

    def __repr__(self) -> str:
        return "ApiKeyAuth([secure])"


class BearerAuth(httpx.Auth):
    """Sets `Authorization: Bearer <token>` with one fixed token (used for the refresh call)."""

    def __init__(self, token: Secret) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token.reveal()}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth([secure])"


def jwt_expiry(token: str) -> float | None:
    """The `exp` claim of a JWT as a Unix time, read without verifying the signature.

    `None` when the token is not a JWT or carries no usable `exp` (a finite number): such a
    token is used until the service answers 401.
    """
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error, RecursionError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if isinstance(exp, (int, float)) and not isinstance(exp, bool):
        try:
            expiry = float(exp)
        except OverflowError:  # an integer past float's range: no real expiry
            return None
        # NaN would make every check say "expired" (a login per request), -inf too.
        return expiry if math.isfinite(expiry) else None
    return None


class JwtAuth(httpx.Auth):
    """One-API bearer authentication with single-flight login and refresh.

    `login()` returns a new token from the API key; `refresh(token)` exchanges a still valid
    token for a new one. Both raise `AuthenticationError` when refused.
    """

    def __init__(
        self,
        *,
        login: Callable[[], Awaitable[Secret]],
        refresh: Callable[[Secret], Awaitable[Secret]],
        leeway: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._login = login
        self._refresh = refresh
        self._leeway = leeway
        self._clock = clock
        self._lock = anyio.Lock()
        self._token: Secret | None = None
        self._expires_at: float | None = None
        # Renewal attempts so far and how the last one failed: tasks that queued behind a
        # failed attempt share its error instead of each trying again (no herd in an outage).
        self._renewals = 0
        self._failure: BSGError | None = None

    @property
    def token(self) -> Secret | None:
        """The current token, if one was obtained."""
        return self._token

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("JwtAuth works with httpx.AsyncClient only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self._usable_token()
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        response = yield request
        if response.status_code != 401:
            return
        token = await self._replace(token)
        request.headers["Authorization"] = f"Bearer {token.reveal()}"
        yield request

    def _fresh(self) -> bool:
        if self._token is None:
            return False
        return self._expires_at is None or self._clock() < self._expires_at - self._leeway

    def _alive(self) -> bool:
        return self._token is not None and (
            self._expires_at is None or self._clock() < self._expires_at
        )

    async def _usable_token(self) -> Secret:
        if self._fresh():
            assert self._token is not None
            return self._token
        renewals = self._renewals
        async with self._lock:
            if self._fresh():  # another task renewed it while we waited
                assert self._token is not None
                return self._token
            self._raise_if_failed_since(renewals)
            stale = self._token if self._alive() else None
            return await self._renew(stale)

    async def _replace(self, refused: Secret) -> Secret:
        renewals = self._renewals
        async with self._lock:
            if self._token is not None and self._token is not refused:
                return self._token  # another task already replaced the refused token
            self._raise_if_failed_since(renewals)
            return await self._renew(refused)

    def _raise_if_failed_since(self, renewals: int) -> None:
        """Raise the error of a renewal that failed while this task waited for the lock."""
        if self._renewals != renewals and self._failure is not None:
            raise self._failure

    async def _renew(self, current: Secret | None) -> Secret:
        """Refresh `current` (or log in when there is none or the refresh is refused)."""
        self._renewals += 1
        self._failure = None
        try:
            return await self._obtain(current)
        except BSGError as error:
            self._failure = error
            raise

    async def _obtain(self, current: Secret | None) -> Secret:
        new: Secret | None = None
        if current is not None:
            try:
                new = await self._refresh(current)
            except AuthenticationError:
                new = None
        if new is None:
            new = await self._login()
        self._token = new
        self._expires_at = jwt_expiry(new.reveal())
        return new

    def __repr__(self) -> str:
        return "JwtAuth([secure])"
