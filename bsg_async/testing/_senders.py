"""The fake's sender names: `GET /api/senders`, `GET /api/senders/requests/sms` and the two
registration requests (`POST /api/senders/requests/legal`, `.../natural`).

The registered senders live in one `Store` (every fake starts with `BSG`, active and default,
on both channels; add more with `fake.senders.add(...)`), the registration requests in another
(a new request is `new`; move it on with `fake.senders.decide(id, "registered")`). A request
for a sender name and country that already has a pending request (`new`, `accepted` or
`in_progress`) is answered HTTP 429 "Too many duplicate request detected", as the description
documents for repeated requests. Requests are checked as the description types them (422).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qs

import attrs

from ._check import Check, first, paging
from ._fates import format_time
from ._json import dumps
from ._reply import Reply, invalid
from ._reply import page as reply_page
from ._routes import Route
from ._store import Store

__all__ = ["FakeSender", "FakeSenderRequest", "SendersApi"]

REQUEST_ID_BASE = 11_631  # the description's example id
REQUESTS_PAGE = (30, 500)
SENDER_STATUSES = frozenset({"active", "blocked", "registering"})
REQUEST_STATUSES = frozenset({"new", "accepted", "in_progress", "registered", "rejected"})
_PENDING = frozenset({"new", "accepted", "in_progress"})
_SENDER_NAME = re.compile(r"[0-9]{1,15}|[A-Za-z0-9 .\-_&!'@#$%*+/]{1,11}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_URL = re.compile(r"https?://[^\s/?#]+\S*")
_DUPLICATE = Reply(429, b'{"message":"Too many duplicate request detected"}')


@attrs.frozen
class FakeSender:
    """A sender name the fake account may use on `channel`."""

    id: int
    channel: str
    sender: str
    status: str
    country: str | None
    is_default: bool
    created_at: float


@attrs.frozen
class FakeSenderRequest:
    """A registration request the fake received, with the fields it was sent (`legal` tells
    which endpoint) and its `status` (and `rejection_reason`) now."""

    id: int
    sender: str
    country: str
    legal: bool
    fields: tuple[tuple[str, Any], ...]
    status: str
    rejection_reason: str | None
    created_at: float
    status_changed_at: float | None


class SendersApi:
    """The sender endpoints over two stores; `add` and `decide` are for tests."""

    def __init__(self, *, now: Callable[[], float]) -> None:
        self.names: Store[[str, str, str, str | None, bool, float], FakeSender] = Store(
            1, FakeSender
        )
        self.requests: Store[
            [
                str,
                str,
                bool,
                tuple[tuple[str, Any], ...],
                str,
                str | None,
                float,
                float | None,
            ],
            FakeSenderRequest,
        ] = Store(REQUEST_ID_BASE, FakeSenderRequest)
        self._now = now
        for channel in ("sms", "viber"):
            self.add("BSG", channel=channel, default=True)

    def add(
        self,
        sender: str,
        *,
        channel: str = "sms",
        status: str = "active",
        country: str | None = None,
        default: bool = False,
    ) -> FakeSender:
        """Give the fake account the sender name `sender` on `channel` and return it."""
        if channel not in ("sms", "viber") or status not in SENDER_STATUSES:
            raise ValueError(f"unknown channel {channel!r} or status {status!r}")
        sender_id = self.names.add(channel, sender, status, country, default, self._now())
        found = self.names.get(sender_id)
        assert found is not None
        return found

    def decide(self, request_id: int, status: str, rejection_reason: str | None = None) -> None:
        """Move the registration request `request_id` to `status` (`"accepted"`,
        `"in_progress"`, `"registered"` or `"rejected"` with a `rejection_reason`); a request
        `registered` adds its sender name, active, to `names`."""
        if status not in REQUEST_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        request = self.requests.get(request_id)
        if request is None:
            raise KeyError(request_id)
        self.requests.replace(
            request_id,
            request.sender,
            request.country,
            request.legal,
            request.fields,
            status,
            rejection_reason,
            request.created_at,
            self._now(),
        )
        if status == "registered":
            self.add(request.sender, country=request.country)

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router`."""
        return (
            Route("GET", "senders", lambda call: self.list(call.query)),
            Route("GET", "senders/requests/sms", lambda call: self.request_list(call.query)),
            Route("POST", "senders/requests/legal", lambda call: self.register(call.json(), True)),
            Route(
                "POST", "senders/requests/natural", lambda call: self.register(call.json(), False)
            ),
        )

    def list(self, query: str) -> Reply:
        """`GET /api/senders?type=sms|viber`."""
        channel = first(parse_qs(query), "type")
        if channel not in ("sms", "viber"):
            return invalid({"type": ["The selected type is invalid."]})
        items = [_sender_json(s) for s in self.names if s.channel == channel]
        return Reply(200, dumps({"data": items, "total": len(items)}))

    def request_list(self, query: str) -> Reply:
        """`GET /api/senders/requests/sms`: paged (30 to 500), with filters."""
        params = parse_qs(query, keep_blank_values=True)
        check = Check()
        offset, limit = paging(check, params, REQUESTS_PAGE)
        status = first(params, "filter[status]")
        if status is not None and status not in REQUEST_STATUSES:
            check.add("filter.status", "The selected filter.status is invalid.")
        wanted_id = check.integer(first(params, "filter[id]"), "filter.id")
        if check.errors:
            return invalid(check.errors)
        sender = first(params, "filter[sender]")
        country = first(params, "filter[country_code]")

        def matches(request: FakeSenderRequest) -> bool:
            return (
                (status is None or request.status == status)
                and (wanted_id is None or request.id == wanted_id)
                and (sender is None or request.sender == sender)
                and (country is None or request.country == country)
            )

        found = self.requests.page(offset, limit, where=matches)
        return reply_page([_request_json(r) for r in found.items], found.total, limit, offset)

    def register(self, payload: Any, legal: bool) -> Reply:
        """`POST /api/senders/requests/legal` or `.../natural`."""
        check = Check()
        data = check.object(payload, "body")
        if data is None:
            return invalid(check.errors)
        if data.get("type") != "sms":
            check.add("type", "The selected type is invalid.")
        sender = check.matches(data.get("sender"), "sender", _SENDER_NAME, "format is invalid")
        country = check.matches(
            data.get("country_code"), "country_code", _COUNTRY, "must be a country code"
        )
        fields = ["code_of_company", "description", "informing_purpose"]
        limits = {"code_of_company": 30, "description": 1000, "informing_purpose": 1000}
        if legal:
            fields += ["tax_number", "legal_name", "address"]
            limits.update(tax_number=30, legal_name=100, address=200)
        else:
            fields.append("name")
            limits["name"] = 100
        kept: dict[str, Any] = {}
        for name in fields:
            kept[name] = check.text(data.get(name), name, limits[name])
        kept["comment"] = check.text(data.get("comment"), "comment", 1000, required=False)
        url = check.url(data.get("site_url"), "site_url", 150, required=False)
        if url is not None and len(url) < 7:
            check.add("site_url", "The site_url must be at least 7 characters.")
        kept["site_url"] = url
        if check.errors:
            return invalid(check.errors)
        assert sender is not None
        assert country is not None
        pending = any(
            r.sender == sender and r.country == country and r.status in _PENDING
            for r in self.requests
        )
        if pending:
            return _DUPLICATE
        now = self._now()
        request_id = self.requests.add(
            sender, country, legal, tuple(kept.items()), "new", None, now, None
        )
        request = self.requests.get(request_id)
        assert request is not None
        return Reply(201, dumps({"data": _request_json(request)}))

    @property
    def registered(self) -> Sequence[FakeSender]:
        """Every sender name of the fake account (a live, read-only view)."""
        return self.names.records


def _sender_json(sender: FakeSender) -> dict[str, Any]:
    return {
        "id": sender.id,
        "status": sender.status,
        "country": sender.country or "",
        "sender": sender.sender,
        "created_at": format_time(sender.created_at),
        "is_default": sender.is_default,
    }


def _request_json(request: FakeSenderRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "sender": request.sender,
        "status": request.status,
        "type": "sms",
        "country_code": request.country,
        "created_at": format_time(request.created_at),
        "registered_at": format_time(request.status_changed_at)
        if request.status == "registered"
        else None,
        "status_changed_at": None
        if request.status_changed_at is None
        else format_time(request.status_changed_at),
        "rejection_reason": request.rejection_reason,
        **dict(request.fields),
    }
