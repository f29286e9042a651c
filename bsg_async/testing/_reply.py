"""What the fake service answers: `Reply`, and the One-API answers every endpoint shares.

The endpoint modules (`_legacy`, `_one_api`, `_rcs`, and those to come) return a `Reply`;
`FakeBSG.execute` records it and the adapters (httpx transport, ASGI app) send it. The One-API
speaks Laravel: a 422 names every offending field, a page carries `meta.page`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from ._json import dumps

__all__ = [
    "EMPTY",
    "JSON_HEADERS",
    "NO_CONTENT",
    "Reply",
    "invalid",
    "not_found",
    "page",
    "unauthenticated",
]

JSON_HEADERS: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)

INVALID = "The given data was invalid."


@attrs.frozen
class Reply:
    """An HTTP answer of the fake service: status, body and headers (JSON by default)."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = JSON_HEADERS


EMPTY = Reply(200, b"{}")
"""HTTP 200 `{}`: what the One-API answers a change that returns nothing (attach, detach)."""
NO_CONTENT = Reply(204, b"")
"""HTTP 204: what the One-API answers a deletion."""


def invalid(errors: Mapping[str, list[str]], *, message: str = INVALID) -> Reply:
    """HTTP 422 `{"message", "errors": {field: [texts]}}`, as the One-API refuses data."""
    return Reply(422, dumps({"message": message, "errors": dict(errors)}))


def not_found(message: str) -> Reply:
    """HTTP 404 `{"message": message}` (`"Campaign not found."`, ...)."""
    return Reply(404, dumps({"message": message}))


def unauthenticated() -> Reply:
    """The answer to a One-API call without a valid bearer token."""
    return Reply(401, dumps({"message": "Unauthenticated."}))


def page(items: list[dict[str, Any]], total: int, limit: int, offset: int) -> Reply:
    """HTTP 200 with one page of a One-API list: `{"data": items, "meta": {"page": ...}}`."""
    meta = {"page": {"total": total, "limit": limit, "offset": offset}}
    return Reply(200, dumps({"data": items, "meta": meta}))
