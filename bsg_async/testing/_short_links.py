"""The fake's short links (`/api/short-url/*`): domains, links, clicks and link statistics.

Domains and links live in `Store`s keyed by their UUID (made from the record's id, so the same
on every run). Every fake starts with the active default domain `ssx.one`; a domain created
through the API is `inactive` until a test calls `fake.short_links.activate(domain_id)`.
Links made on an active domain are `active`; `fake.short_links.click(link_id, ...)` records a
click, as a recipient's phone would. Lists page by `page` and `per_page` (10, 20, 50, 100, 200
or 500) over the days `from` to `to`, as `{"data": [...], "total": N}`; an unknown link or
domain is answered 422 `{"message": "Short link not found"}` / `"Domain not found"`, a link's
statistics 404, as the description shows.
"""

from __future__ import annotations

import calendar
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import attrs

from ._check import Check, first
from ._fates import format_time
from ._json import dumps
from ._reply import NO_CONTENT, Reply, invalid
from ._routes import Call, Route
from ._store import Store

__all__ = ["FakeClick", "FakeShortDomain", "FakeShortLink", "ShortLinksApi"]

PAGE_SIZES = frozenset({10, 20, 50, 100, 200, 500})
SLUG_TYPES = frozenset({"random", "from_original", "numeric"})
SYSTEM_DOMAIN = "ssx.one"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LINK_NOT_FOUND = Reply(422, dumps({"message": "Short link not found"}))
_DOMAIN_NOT_FOUND = Reply(422, dumps({"message": "Domain not found"}))
_DUPLICATE = Reply(429, b'{"message":"Too many duplicate request detected"}')


def _uuid(kind: int, record_id: int) -> str:
    return str(uuid.UUID(int=(kind << 64) | record_id))


@attrs.frozen
class FakeShortDomain:
    """A domain: `uuid` is its id on the wire."""

    id: int
    uuid: str
    name: str
    status: str
    slug_type: str
    not_found_page: str | None
    is_default: bool
    created_at: float


@attrs.frozen
class FakeShortLink:
    """A short link on `domain`, to `target`."""

    id: int
    uuid: str
    domain: str
    slug: str
    target: str
    name: str | None
    status: str
    created_at: float


@attrs.frozen
class FakeClick:
    """One click on the link `link` (its uuid)."""

    id: int
    link: str
    to: str | None
    message_id: int | None
    human: bool
    at: float


class ShortLinksApi:
    """The short-link endpoints over three stores; `activate` and `click` are for tests."""

    def __init__(self, *, now: Callable[[], float]) -> None:
        self.domains: Store[[str, str, str, str, str | None, bool, float], FakeShortDomain] = Store(
            1, FakeShortDomain, key=0
        )
        self.links: Store[[str, str, str, str, str | None, str, float], FakeShortLink] = Store(
            1, FakeShortLink, key=0
        )
        self.clicks: Store[[str, str | None, int | None, bool, float], FakeClick] = Store(
            1, FakeClick
        )
        self._now = now
        system = self.domains.next_id()
        self.domains.add(_uuid(1, system), SYSTEM_DOMAIN, "active", "random", None, True, now())

    # -- for tests -----------------------------------------------------------------------------

    def activate(self, domain_id: str) -> None:
        """Make the domain `domain_id` active, as once its DNS record points at BSG."""
        domain = self._domain(domain_id)
        if domain is None:
            raise KeyError(domain_id)
        self.domains.replace(domain.id, *_row(attrs.evolve(domain, status="active")))

    def click(
        self,
        link_id: str,
        *,
        to: str | None = None,
        message_id: int | None = None,
        human: bool = True,
    ) -> None:
        """Record a click on the link `link_id` (by the recipient `to` of `message_id`)."""
        if self.links.find(link_id) is None:
            raise KeyError(link_id)
        self.clicks.add(link_id, to, message_id, human, self._now())

    # -- the endpoints -------------------------------------------------------------------------

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router`."""
        link, domain = "short-url/links/{uuid}", "short-url/domains/{uuid}"
        return (
            Route("POST", "short-url/links", lambda call: self.create_link(call.json())),
            Route("GET", "short-url/links", lambda call: self.list(call.query, links=True)),
            Route("PUT", link, lambda call: self.update_link(_id(call), call.json())),
            Route("DELETE", link, lambda call: self.delete_link(_id(call))),
            Route("GET", f"{link}/statistics", lambda call: self.statistics(_id(call))),
            Route("POST", "short-url/domains", lambda call: self.create_domain(call.json())),
            Route("GET", "short-url/domains", lambda call: self.list(call.query, links=False)),
            Route("GET", domain, lambda call: self.get_domain(_id(call))),
            Route("PUT", domain, lambda call: self.update_domain(_id(call), call.json())),
            Route("DELETE", domain, lambda call: self.delete_domain(_id(call))),
            Route("GET", "short-url/clicks", lambda call: self.click_list(call.query)),
        )

    def create_link(self, payload: Any) -> Reply:
        """`POST /api/short-url/links`: 201 with the link (not wrapped in `data`)."""
        check = Check()
        data = check.object(payload, "body") or {}
        domain_id = check.text(data.get("domain_id"), "domain_id", 36)
        target = check.url(data.get("link"), "link", 2048, required=True)
        domain = None if domain_id is None else self._domain(domain_id)
        if domain_id is not None and (domain is None or domain.status != "active"):
            check.add("domain_id", "The selected domain id is invalid.")
        if check.errors or domain is None or target is None:
            return invalid(check.errors)
        if any(link.target == target and link.domain == domain.uuid for link in self.links):
            return _DUPLICATE
        link_id = self.links.next_id()
        link = self.links.create(
            _uuid(2, link_id), domain.uuid, _slug(link_id), target, None, "active", self._now()
        )
        return Reply(201, dumps(self._link_json(link)))

    def update_link(self, link_id: str, payload: Any) -> Reply:
        """`PUT /api/short-url/links/{uuid}`: 200 with the link (not wrapped)."""
        link = self.links.find(link_id)
        if link is None:
            return _LINK_NOT_FOUND
        check = Check()
        data = check.object(payload, "body") or {}
        name = check.text(data.get("name"), "name", 50, required=False)
        slug = check.text(data.get("slug"), "slug", 25, required=False)
        target = check.url(data.get("original_link"), "original_link", 2048, required=False)
        if check.errors:
            return invalid(check.errors)
        if slug is not None and any(
            other.slug == slug and other.domain == link.domain and other.id != link.id
            for other in self.links
        ):
            return invalid({}, message="The short link already exists")
        changed = attrs.evolve(
            link,
            name=link.name if name is None else name,
            slug=link.slug if slug is None else slug,
            target=link.target if target is None else target,
        )
        self.links.replace(link.id, *_row(changed))
        return Reply(200, dumps(self._link_json(changed)))

    def delete_link(self, link_id: str) -> Reply:
        """`DELETE /api/short-url/links/{uuid}`: an active link becomes `deleted`, another one
        is removed."""
        link = self.links.find(link_id)
        if link is None:
            return _LINK_NOT_FOUND
        if link.status == "active":
            self.links.replace(link.id, *_row(attrs.evolve(link, status="deleted")))
        else:
            self.links.remove(link.id)
        return NO_CONTENT

    def statistics(self, link_id: str) -> Reply:
        """`GET /api/short-url/links/{uuid}/statistics`."""
        link = self.links.find(link_id)
        if link is None:
            return Reply(404, b'{"message":"Not Found"}')
        clicks = [click for click in self.clicks if click.link == link.uuid]
        last = clicks[-1] if clicks else None
        data = {
            "count_clicks": len(clicks),
            "short_link": self._url(link),
            "original_link": link.target,
            "click_date": None if last is None else format_time(last.at),
            "click_id": None if last is None else _uuid(3, last.id),
            "client_ip": None if last is None else "192.0.2.1",
            "phone": None if last is None or last.to is None else int(last.to),
            "message_id": None if last is None else last.message_id,
            "campaign_id": None,
            "is_human": None if last is None else last.human,
        }
        return Reply(200, dumps({"data": data}))

    def create_domain(self, payload: Any) -> Reply:
        """`POST /api/short-url/domains`: 201 with the domain, `inactive`."""
        check = Check()
        data = check.object(payload, "body") or {}
        name = check.text(data.get("name"), "name", 20)
        slug_type = data.get("slug_type")
        if slug_type not in SLUG_TYPES:
            check.add("slug_type", "The selected slug type is invalid.")
        page = check.url(data.get("not_found_page"), "not_found_page", 2048, required=False)
        if check.errors or name is None:
            return invalid(check.errors)
        if self.domains.find(name) is not None or any(d.name == name for d in self.domains):
            return _DUPLICATE
        domain = self.domains.create(
            _uuid(1, self.domains.next_id()),
            name,
            "inactive",
            str(slug_type),
            page,
            False,
            self._now(),
        )
        return Reply(201, dumps({"data": self._domain_json(domain)}))

    def get_domain(self, domain_id: str) -> Reply:
        """`GET /api/short-url/domains/{uuid}`."""
        domain = self._domain(domain_id)
        if domain is None:
            return _DOMAIN_NOT_FOUND
        return Reply(200, dumps({"data": self._domain_json(domain)}))

    def update_domain(self, domain_id: str, payload: Any) -> Reply:
        """`PUT /api/short-url/domains/{uuid}`; making one default makes the others not."""
        domain = self._domain(domain_id)
        if domain is None:
            return _DOMAIN_NOT_FOUND
        check = Check()
        data = check.object(payload, "body") or {}
        slug_type = data.get("slug_type", domain.slug_type)
        if slug_type not in SLUG_TYPES:
            check.add("slug_type", "The selected slug type is invalid.")
        page = check.url(data.get("not_found_page"), "not_found_page", 2048, required=False)
        is_default = check.boolean(data.get("is_default"), "is_default")
        if check.errors:
            return invalid(check.errors)
        if is_default:
            for other in list(self.domains):
                if other.is_default and other.id != domain.id:
                    self.domains.replace(other.id, *_row(attrs.evolve(other, is_default=False)))
        changed = attrs.evolve(
            domain,
            slug_type=str(slug_type),
            not_found_page=domain.not_found_page if page is None else page,
            is_default=domain.is_default if is_default is None else is_default,
        )
        self.domains.replace(domain.id, *_row(changed))
        return Reply(200, dumps({"data": self._domain_json(changed)}))

    def delete_domain(self, domain_id: str) -> Reply:
        """`DELETE /api/short-url/domains/{uuid}`: 204."""
        domain = self._domain(domain_id)
        if domain is None:
            return _DOMAIN_NOT_FOUND
        self.domains.remove(domain.id)
        return NO_CONTENT

    def list(self, query: str, *, links: bool) -> Reply:
        """A list of links (or domains) made in the days `from` to `to`, paged."""
        found = self._window(query)
        if isinstance(found, Reply):
            return found
        start, end, page, per_page = found
        render: Callable[[Any], dict[str, Any]] = self._link_json if links else self._domain_json
        store: Store[..., Any] = self.links if links else self.domains
        return _page([r for r in store if start <= r.created_at < end], page, per_page, render)

    def click_list(self, query: str) -> Reply:
        """`GET /api/short-url/clicks`, optionally one campaign's (the fake has none: empty)."""
        found = self._window(query)
        if isinstance(found, Reply):
            return found
        start, end, page, per_page = found
        if first(parse_qs(query), "campaign") is not None:
            return Reply(200, dumps({"data": [], "total": 0}))
        items = [click for click in self.clicks if start <= click.at < end]
        chosen = items[(page - 1) * per_page : page * per_page]
        return Reply(
            200, dumps({"data": [self._click_json(c) for c in chosen], "total": len(items)})
        )

    # -- helpers -------------------------------------------------------------------------------

    def _window(self, query: str) -> tuple[float, float, int, int] | Reply:
        params = parse_qs(query, keep_blank_values=True)
        check = Check()
        start = _day(check, first(params, "from"), "from")
        end = _day(check, first(params, "to"), "to")
        page = check.integer(first(params, "page"), "page", (1, 10**9)) or 1
        per_page = check.integer(first(params, "per_page"), "per_page") or 20
        if per_page not in PAGE_SIZES and "per_page" not in check.errors:
            check.add("per_page", "The selected per page is invalid.")
        if check.errors or start is None or end is None:
            return invalid(check.errors)
        return start, end + 86_400, page, per_page

    def _domain(self, domain_id: str) -> FakeShortDomain | None:
        return self.domains.find(domain_id)

    def _url(self, link: FakeShortLink) -> str:
        domain = self.domains.find(link.domain)
        return f"http://{SYSTEM_DOMAIN if domain is None else domain.name}/{link.slug}"

    def _link_json(self, link: FakeShortLink) -> dict[str, Any]:
        clicks = [click for click in self.clicks if click.link == link.uuid]
        return {
            "id": link.uuid,
            "status": link.status,
            "name": link.name,
            "slug": link.slug,
            "campaign_id": None,
            "message_id": None,
            "init_deleted_at": None,
            "created_at": format_time(link.created_at),
            "short_link": self._url(link),
            "original_link": link.target,
            "can_restore": link.status == "deleted",
            "count_clicks": len(clicks),
            "count_human_clicks": sum(click.human for click in clicks),
            "count_unique_clicks": len({click.to for click in clicks}),
        }

    def _domain_json(self, domain: FakeShortDomain) -> dict[str, Any]:
        system = domain.name == SYSTEM_DOMAIN
        return {
            "id": domain.uuid,
            "system_domain_id": None,
            "status": domain.status,
            "name": domain.name,
            "is_default": domain.is_default,
            "slug_type": domain.slug_type,
            "not_found_page": domain.not_found_page,
            "init_deleted_at": None,
            "created_at": format_time(domain.created_at),
            "can_restore": False,
            "can_refresh_status": False,
            "record_type": None if system else "CNAME",
            "hostname": None if system else domain.name,
            "cname": None if system else SYSTEM_DOMAIN,
            "count_short_links": sum(link.domain == domain.uuid for link in self.links),
        }

    def _click_json(self, click: FakeClick) -> dict[str, Any]:
        link = self.links.find(click.link)
        return {
            "id": _uuid(3, click.id),
            "browser_language": "en",
            "country_code": None,
            "is_human": click.human,
            "is_unique": True,
            "http_status": 200,
            "http_method": "get",
            "created_at": format_time(click.at),
            "user_agent": "Mozilla/5.0",
            "client_ip": "192.0.2.1",
            "browser": "Chrome",
            "referrer_url": None,
            "city": None,
            "social_network": None,
            "device_os": "Android Mobile",
            "short_link": None if link is None else self._url(link),
            "original_link": None if link is None else link.target,
            "message_id": click.message_id,
            "phone_number": None if click.to is None else int(click.to),
        }


def _id(call: Call) -> str:
    return call.params["uuid"]


def _page(
    items: list[Any], page: int, per_page: int, render: Callable[[Any], dict[str, Any]]
) -> Reply:
    """One page of `items` as the short-link lists answer: `{"data": [...], "total": N}`."""
    chosen = items[(page - 1) * per_page : page * per_page]
    return Reply(200, dumps({"data": [render(item) for item in chosen], "total": len(items)}))


def _row(record: Any) -> tuple[Any, ...]:
    """A record's fields without its id, to `replace` it in its store."""
    return attrs.astuple(record, recurse=False)[1:]


def _slug(record_id: int) -> str:
    digits = []
    number = record_id * 2_654_435_761 % 62**6  # spread the ids over six characters
    for _ in range(6):
        number, digit = divmod(number, 62)
        digits.append(_ALPHABET[digit])
    return "".join(digits)


def _day(check: Check, value: str | None, key: str) -> float | None:
    if not check.required(value, key):
        return None
    try:
        return float(calendar.timegm(time.strptime(str(value), "%Y-%m-%d")))
    except ValueError:
        check.add(key, f"The {key} does not match the format Y-m-d.")
        return None
