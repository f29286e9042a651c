"""The One-API side of the fake: login, refresh, and the bearer check of every other call.

Tokens are real JWTs (HS256, signed with a key derived from the seed) whose `exp` claim is the
token clock (wall time plus the fake's `advance()`s) plus `token_ttl`, so the SDK reads their
expiry as it would a real one. A refresh
revokes the token it replaces; `revoke_all` revokes every token issued so far.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from ._config import Account
from ._json import dumps
from ._reply import Reply, unauthenticated
from ._routes import Route

__all__ = ["OneApi"]

_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=").decode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class OneApi:
    """Login, refresh, balance and the bearer check; counts successful logins and refreshes.

    `balance` returns the account's balance now (the configured one minus what was spent);
    the answer's `credit` is the configured `credit` (0 when there is no limit).
    """

    def __init__(
        self,
        account: Account,
        *,
        seed: int,
        now: Callable[[], float],
        key_ok: Callable[[Any], bool],
        balance: Callable[[], Decimal] | None = None,
    ) -> None:
        self.account = account
        self.now = now
        self.key_ok = key_ok
        self.current_balance = balance if balance is not None else (lambda: account.balance)
        self._secret = hashlib.sha256(f"fake-bsg-jwt:{seed}".encode()).digest()
        self._serial = 0
        self._oldest_valid = 1
        self._revoked: set[int] = set()
        self.logins = 0
        self.refreshes = 0

    # -- tokens --------------------------------------------------------------------------------

    def issue(self) -> str:
        """A new signed token valid for `token_ttl` seconds of the token clock."""
        self._serial += 1
        now = self.now()
        claims = {
            "iss": "fake-bsg",
            "sub": "fake-account",
            "iat": int(now),
            "exp": int(now + self.account.token_ttl),
            "jti": str(self._serial),
        }
        signing_input = _HEADER + "." + _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + _b64(signature)

    def verify(self, token: str) -> int | None:
        """The token's serial if it is ours, unexpired and not revoked; else `None`."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        signing_input = parts[0] + "." + parts[1]
        expected = hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(expected, _unb64(parts[2])):
                return None
            claims = json.loads(_unb64(parts[1]))
            serial = int(claims["jti"])
            expires = float(claims["exp"])
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None
        if serial < self._oldest_valid or serial in self._revoked or self.now() >= expires:
            return None
        return serial

    def revoke_all(self) -> None:
        """Make every token issued so far invalid (the SDK then has to log in again)."""
        self._oldest_valid = self._serial + 1

    def authorized(self, headers: Mapping[str, str]) -> bool:
        """Whether the request carries a valid bearer token."""
        return self._bearer(headers) is not None

    def _bearer(self, headers: Mapping[str, str]) -> int | None:
        value = headers.get("authorization")
        if not value:
            return None
        scheme, _, token = value.partition(" ")
        if scheme.rstrip(":").lower() != "bearer":
            return None
        return self.verify(token.strip())

    # -- endpoints -----------------------------------------------------------------------------

    def login(self, payload: Any) -> Reply:
        """`POST /api/auth/login` `{"api_key": ...}` -> `{"bearer": <JWT>}`."""
        key = payload.get("api_key") if isinstance(payload, dict) else None
        if not isinstance(key, str) or not key:
            body = {
                "message": "The given data was invalid.",
                "errors": {"api_key": ["The api key field is required."]},
            }
            return Reply(422, dumps(body))
        if not self.key_ok(key):
            return Reply(401, dumps({"message": "Invalid API key."}))
        self.logins += 1
        return Reply(200, dumps({"bearer": self.issue()}))

    def refresh(self, headers: Mapping[str, str]) -> Reply:
        """`POST /api/auth/refresh` with a valid bearer -> a new token; the old one is revoked."""
        serial = self._bearer(headers)
        if serial is None:
            return unauthenticated()
        self._revoked.add(serial)
        self.refreshes += 1
        return Reply(200, dumps({"bearer": self.issue()}))

    def balance(self, headers: Mapping[str, str]) -> Reply:
        """`GET /api/accounts/balance` -> `{"data": {"balance", "currency", "credit"}}`."""
        if self._bearer(headers) is None:
            return unauthenticated()
        credit = self.account.credit
        data = {
            "balance": self.current_balance(),
            "currency": self.account.currency,
            "credit": 0 if credit is None else credit,
        }
        return Reply(200, dumps({"data": data}))

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router`."""
        return (
            Route("POST", "auth/login", lambda call: self.login(call.json()), public=True),
            Route("POST", "auth/refresh", lambda call: self.refresh(call.headers), public=True),
            Route("GET", "accounts/balance", lambda call: self.balance(call.headers)),
        )
