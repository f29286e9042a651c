"""Short links, their domains and their clicks (`/api/short-url/*`). Pure: no I/O.

Ids here are UUIDs the service makes (`"3338470c-4647-4f8d-a503-afce21e6312a"`), kept as `str`;
the message and campaign ids they refer to are `int`s as everywhere. The converter builds these
from the service's answers (`original_link`, `short_link`, `phone_number`, ... stop there).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from ._status import StatusEnum, UnknownStatus

__all__ = [
    "ShortDomain",
    "ShortLink",
    "ShortLinkClick",
    "ShortLinkStatistics",
    "ShortLinkStatus",
    "SlugType",
]


class ShortLinkStatus(StatusEnum):
    """A short link's state: only an `active` link redirects. An unknown value is kept as an
    `UnknownStatus`."""

    ACTIVE = "active"
    BLOCKED = "blocked"
    NOT_PAID = "not_paid"
    DELETED = "deleted"
    PROBLEM = "problem"


class SlugType(StatusEnum):
    """How a domain makes the part of a short link after the domain (its slug)."""

    RANDOM = "random"
    FROM_ORIGINAL = "from_original"
    NUMERIC = "numeric"


@attrs.frozen
class ShortLink:
    """A short link: `url` is the short link itself, `target` the original link it redirects
    to (sent as `link` / `original_link`), `slug` the part after the domain, `name` a comment.
    `campaign_id` and `message_id` are set for links made for an SMS campaign's recipients;
    `clicks`, `human_clicks` and `unique_clicks` are counted with some latency. A deleted link
    `can_restore` for a few days after `deleted_at`."""

    id: str
    status: ShortLinkStatus | UnknownStatus | None = None
    url: str | None = None
    target: str | None = None
    slug: str | None = None
    name: str | None = None
    campaign_id: int | None = None
    message_id: int | None = None
    created_at: datetime | None = None
    deleted_at: datetime | None = None
    can_restore: bool | None = None
    clicks: int | None = None
    human_clicks: int | None = None
    unique_clicks: int | None = None


@attrs.frozen
class ShortDomain:
    """A domain short links are made on: `name` (`"short.ai"`), `status` (`active` once its
    DNS record points at BSG: `record_type` `hostname` -> `cname`), `slug_type`, whether it is
    the default, the page shown for unknown links (`not_found_page`) and its link count."""

    id: str
    name: str | None = None
    status: str | None = None
    is_default: bool | None = None
    slug_type: SlugType | UnknownStatus | None = None
    not_found_page: str | None = None
    system_domain_id: str | None = None
    record_type: str | None = None
    hostname: str | None = None
    cname: str | None = None
    links: int | None = None
    created_at: datetime | None = None
    deleted_at: datetime | None = None
    can_restore: bool | None = None
    can_refresh_status: bool | None = None


@attrs.frozen
class ShortLinkClick:
    """One click on a short link: who (`ip`, `browser`, `device_os`, `language`, `country`,
    `city`, `is_human`, `is_unique`), on which link (`url`, its `target`), when, and the
    message and recipient (`to`) it was sent to, where the link was made for one."""

    id: str
    url: str | None = None
    target: str | None = None
    created_at: datetime | None = None
    message_id: int | None = None
    to: str | None = None
    ip: str | None = None
    browser: str | None = None
    language: str | None = None
    device_os: str | None = None
    user_agent: str | None = None
    referrer: str | None = None
    country: str | None = None
    city: str | None = None
    social_network: str | None = None
    is_human: bool | None = None
    is_unique: bool | None = None
    http_status: int | None = None
    http_method: str | None = None


@attrs.frozen
class ShortLinkStatistics:
    """A short link's clicks as its statistics report them: the `clicks` count and the latest
    click (`click_id`, `clicked_at`, `ip`, `is_human`), with the link, its target, and the
    message, campaign and recipient (`to`) it belongs to."""

    clicks: int | None = None
    url: str | None = None
    target: str | None = None
    click_id: str | None = None
    clicked_at: datetime | None = None
    ip: str | None = None
    to: str | None = None
    message_id: int | None = None
    campaign_id: int | None = None
    is_human: bool | None = None
