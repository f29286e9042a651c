"""Sender names: the account's registered senders and its registration requests. Pure: no
I/O. The converter builds these from the service's answers (`type`, `country_code`,
`code_of_company`, `name` stop there)."""

from __future__ import annotations

from datetime import datetime

import attrs

from ._status import StatusEnum, UnknownStatus

__all__ = ["Sender", "SenderRequest", "SenderRequestStatus", "SenderStatus"]


class SenderStatus(StatusEnum):
    """A registered sender's state. An unknown value is kept as an `UnknownStatus`."""

    ACTIVE = "active"
    BLOCKED = "blocked"
    REGISTERING = "registering"


class SenderRequestStatus(StatusEnum):
    """The state of a request to register a sender. An unknown value is kept as an
    `UnknownStatus`."""

    NEW = "new"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    REGISTERED = "registered"
    REJECTED = "rejected"


@attrs.frozen
class Sender:
    """A sender name the account may send with: `sender` is the name, `status` whether it
    can be used now, `country` the ISO 3166-1 code it is registered for (`None`: any),
    `is_default` whether sends without a sender use it."""

    sender: str
    id: int | None = None
    status: SenderStatus | UnknownStatus | None = None
    country: str | None = None
    created_at: datetime | None = None
    is_default: bool | None = None


@attrs.frozen
class SenderRequest:
    """A request to register the SMS sender name `sender` with the operators of `country`.

    `channel` is the sender's channel (`"sms"`); `company_code` the company's national
    registration code (sent as `code_of_company`); `tax_number`, `legal_name` and `address` are
    a legal entity's, `person_name` a natural person's (sent as `name`); `site_url`,
    `description`, `purpose` (sent as `informing_purpose`) and `comment` describe the service;
    `rejection_reason` says why a `rejected` request was refused.
    """

    id: int
    sender: str
    status: SenderRequestStatus | UnknownStatus | None = None
    channel: str | None = None
    country: str | None = None
    company_code: str | None = None
    tax_number: str | None = None
    legal_name: str | None = None
    address: str | None = None
    person_name: str | None = None
    site_url: str | None = None
    description: str | None = None
    purpose: str | None = None
    comment: str | None = None
    rejection_reason: str | None = None
    created_at: datetime | None = None
    registered_at: datetime | None = None
    status_changed_at: datetime | None = None
