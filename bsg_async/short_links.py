"""`bsg.short_links`: short links, their domains and their clicks on the One-API
(`/api/short-url/*`).

Lists page by `page` and `per_page` (10, 20, 50, 100, 200 or 500) and need a range of days
(`created_from`, `created_to`, sent as `from` and `to`). Creating a link or a domain carries no
reference, so it is retried only when the request surely did not reach the service; the
service answers a repeat with HTTP 429 "Too many duplicate request detected".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote

from . import _validation as rules
from ._one_api_sending import post_unreferenced, structured
from ._paging import Pages
from .errors import InvalidParameterError
from .models.short_links import (
    ShortDomain,
    ShortLink,
    ShortLinkClick,
    ShortLinkStatistics,
    SlugType,
)

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["ShortDomainsResource", "ShortLinksResource"]

T = TypeVar("T")

LINKS_PATH = "/api/short-url/links"
DOMAINS_PATH = "/api/short-url/domains"
CLICKS_PATH = "/api/short-url/clicks"
PAGE_SIZES = (10, 20, 50, 100, 200, 500)
DEFAULT_PAGE_SIZE = 20
LINK_MAX = 2048
NAME_MAX = 50
SLUG_MAX = 25
DOMAIN_MAX = 20


class ShortLinksResource:
    """Short links on the One-API, as `bsg.short_links` (domains: `bsg.short_links.domains`).

    ```python
    link = await bsg.short_links.create("https://shop.example/sale", domain_id=domain.id)
    print(link.url, link.status)   # http://ssx.one/IkUuUc active
    ```
    """

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    @cached_property
    def domains(self) -> ShortDomainsResource:
        """The domains short links are made on."""
        return ShortDomainsResource(self._client)

    async def create(self, target: str, *, domain_id: str) -> ShortLink:
        """Make a short link to `target` (an http(s) URL of up to 2,048 characters; sent as
        `link`) on the active domain `domain_id`. A target used for the first time may need
        moderation: only an `active` link redirects."""
        payload = self._client._wire.short_link(
            target=_target(target), domain_id=rules.uuid(domain_id, "domain_id")
        )
        return await post_unreferenced(self._client, LINKS_PATH, payload, ShortLink)

    async def update(
        self,
        id: str,
        *,
        name: str | None = None,
        slug: str | None = None,
        target: str | None = None,
    ) -> ShortLink:
        """Change a link's `name` (up to 50 characters), `slug` (up to 25) or `target` (sent as
        `original_link`; a new target may need moderation). Give at least one."""
        if name is None and slug is None and target is None:
            raise InvalidParameterError("name", None, "give name, slug or target to change")
        payload = self._client._wire.short_link(
            name=rules.optional_text(name, "name", max_length=NAME_MAX),
            slug=rules.optional_text(slug, "slug", max_length=SLUG_MAX),
            target=None if target is None else _target(target),
        )
        answer = await self._client.one_api_request("PUT", _path(LINKS_PATH, id), json=payload)
        return structured(self._client, answer, ShortLink)

    async def delete(self, id: str) -> None:
        """Delete a link: an active one can be restored for a few days, a blocked or deleted
        one is removed for good."""
        await self._client.one_api_request("DELETE", _path(LINKS_PATH, id))

    def list(
        self, *, created_from: date, created_to: date, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[ShortLink]:
        """The links made from `created_from` to `created_to` (days), as an async iterator
        fetching pages of `page_size` (10, 20, 50, 100, 200 or 500) as it goes."""
        return _pages(self._client, LINKS_PATH, ShortLink, created_from, created_to, page_size)

    async def statistics(self, id: str) -> ShortLinkStatistics:
        """A link's click count and latest click."""
        answer = await self._client.one_api_request("GET", _path(LINKS_PATH, id) + "/statistics")
        return structured(self._client, answer, ShortLinkStatistics)

    def clicks(
        self,
        *,
        created_from: date,
        created_to: date,
        campaign_id: int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[ShortLinkClick]:
        """The clicks on the account's links from `created_from` to `created_to` (days), only
        those of an SMS campaign's links with `campaign_id`, as an async iterator."""
        extra: dict[str, str | int] = {}
        if campaign_id is not None:
            extra["campaign"] = rules.message_id(campaign_id, "campaign_id")
        return _pages(
            self._client, CLICKS_PATH, ShortLinkClick, created_from, created_to, page_size, extra
        )


class ShortDomainsResource:
    """The domains short links are made on, as `bsg.short_links.domains`."""

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def create(
        self,
        name: str,
        *,
        slug_type: SlugType | str = SlugType.RANDOM,
        not_found_page: str | None = None,
    ) -> ShortDomain:
        """Connect the domain `name` (up to 20 characters): it is `inactive` until its DNS
        record (`record_type` `hostname` -> `cname`, in the answer) points at BSG.
        `not_found_page` is where unknown links go."""
        payload = self._client._wire.short_domain(
            name=rules.text(name, "name", max_length=DOMAIN_MAX),
            slug_type=SlugType.required(slug_type, "slug_type"),
            not_found_page=rules.optional_http_url(not_found_page, "not_found_page"),
        )
        return await post_unreferenced(self._client, DOMAINS_PATH, payload, ShortDomain)

    async def get(self, id: str) -> ShortDomain:
        """One domain, with its link count."""
        answer = await self._client.one_api_request("GET", _path(DOMAINS_PATH, id))
        return structured(self._client, answer, ShortDomain)

    async def update(
        self,
        id: str,
        *,
        slug_type: SlugType | str | None = None,
        not_found_page: str | None = None,
        is_default: bool | None = None,
    ) -> ShortDomain:
        """Change a domain's `slug_type`, `not_found_page`, or make it the default."""
        payload = self._client._wire.short_domain(
            slug_type=None if slug_type is None else SlugType.required(slug_type, "slug_type"),
            not_found_page=rules.optional_http_url(not_found_page, "not_found_page"),
            is_default=rules.optional_boolean(is_default, "is_default"),
        )
        if not payload:
            raise InvalidParameterError(
                "slug_type", None, "give slug_type, not_found_page or is_default to change"
            )
        answer = await self._client.one_api_request("PUT", _path(DOMAINS_PATH, id), json=payload)
        return structured(self._client, answer, ShortDomain)

    async def delete(self, id: str) -> None:
        """Disconnect a domain."""
        await self._client.one_api_request("DELETE", _path(DOMAINS_PATH, id))

    def list(
        self, *, created_from: date, created_to: date, page_size: int = DEFAULT_PAGE_SIZE
    ) -> AsyncIterator[ShortDomain]:
        """The domains connected from `created_from` to `created_to` (days), as an async
        iterator."""
        return _pages(self._client, DOMAINS_PATH, ShortDomain, created_from, created_to, page_size)


def _path(base: str, id: object) -> str:
    return f"{base}/{quote(rules.uuid(id), safe='-')}"


def _target(value: object) -> str:
    url = rules.http_url(value, "target")
    if len(url) > LINK_MAX:
        raise InvalidParameterError("target", value, f"must be at most {LINK_MAX} characters")
    return url


def _pages(
    client: AsyncBSG,
    path: str,
    item_type: type[T],
    created_from: object,
    created_to: object,
    page_size: object,
    extra: dict[str, str | int] | None = None,
) -> Pages[T]:
    first, last = rules.days(created_from, created_to)
    if page_size not in PAGE_SIZES or isinstance(page_size, bool):
        raise InvalidParameterError(
            "page_size", page_size, "expected one of " + ", ".join(map(str, PAGE_SIZES))
        )
    assert isinstance(page_size, int)
    params: dict[str, str | int] = {"from": first, "to": last, **(extra or {})}
    return Pages(client, path, item_type, limit=page_size, params=params, numbered=True)
