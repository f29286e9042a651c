"""`bsg.senders`: the account's sender names on the One-API, and requests to register new
ones with the mobile operators (`/api/senders`, `/api/senders/requests/*`).

A registration request carries no reference, so it is retried only when it surely did not
reach the service; the service answers a repeated request with HTTP 429 "Too many duplicate
request detected" (raised as a `RateLimitError`): look at `requests()` before asking again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Literal, TypedDict

from . import _validation as rules
from ._one_api_sending import post_unreferenced
from ._paging import DEFAULT_PAGE_SIZE, Pages
from ._paging import page_size as checked_page_size
from .errors import InvalidParameterError
from .models.senders import Sender, SenderRequest, SenderRequestStatus

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["SendersResource"]

SENDERS_PATH = "/api/senders"
REQUESTS_PATH = "/api/senders/requests/sms"
LEGAL_PATH = "/api/senders/requests/legal"
NATURAL_PATH = "/api/senders/requests/natural"
REQUESTS_PAGE = (30, 500)
CHANNELS = ("sms", "viber")
CODE_MAX = 30
NAME_MAX = 100
ADDRESS_MAX = 200
TEXT_MAX = 1000
SITE_URL = (7, 150)


class SendersResource:
    """Sender names on the One-API, as `bsg.senders`."""

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def registered(self, channel: Literal["sms", "viber"] = "sms") -> tuple[Sender, ...]:
        """The sender names the account may use on `channel` (`"sms"` or `"viber"`; sent as
        `type`), in one request.

        ```python
        names = [s.sender for s in await bsg.senders.registered("sms") if s.status == "active"]
        ```
        """
        if channel not in CHANNELS:
            raise InvalidParameterError("channel", channel, "expected 'sms' or 'viber'")
        answer = await self._client.one_api_request("GET", SENDERS_PATH, params={"type": channel})
        data = answer.data
        items = data.get("data") if isinstance(data, dict) else None
        return self._client._wire.structure(
            items if items is not None else data,
            tuple[Sender, ...],
            http_status=answer.http_status,
        )

    def requests(
        self,
        *,
        status: SenderRequestStatus | str | None = None,
        sender: str | None = None,
        country: str | None = None,
        id: int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[SenderRequest]:
        """The account's requests to register SMS senders matching every filter given, as an
        async iterator that fetches pages of `page_size` (30 to 500) as it goes.

        ```python
        async for request in bsg.senders.requests(status="rejected"):
            print(request.sender, request.rejection_reason)
        ```

        Raises `InvalidParameterError` at once for a bad filter or `page_size`.
        """
        params: dict[str, str | int] = {}
        if status is not None:
            params["filter[status]"] = SenderRequestStatus.required(status, "status")
        if sender is not None:
            params["filter[sender]"] = rules.sender(sender, sms=True)
        if country is not None:
            params["filter[country_code]"] = rules.country_code(country)
        if id is not None:
            params["filter[id]"] = rules.message_id(id)
        return Pages(
            self._client,
            REQUESTS_PATH,
            SenderRequest,
            limit=checked_page_size(page_size, REQUESTS_PAGE),
            params=params,
        )

    async def register_legal(
        self,
        *,
        sender: str,
        country: str,
        company_code: str,
        tax_number: str,
        legal_name: str,
        address: str,
        description: str,
        purpose: str,
        site_url: str | None = None,
        comment: str | None = None,
    ) -> SenderRequest:
        """Ask to register the SMS sender name `sender` in `country` for a legal entity;
        return the `SenderRequest` (its `status` starts `new`).

        `company_code` is the national registration code (ЄДРПОУ in Ukraine; sent as
        `code_of_company`), `tax_number` the taxpayer number (both 1 to 30 characters);
        `legal_name` (up to 100) and `address` (up to 200) the entity's; `description` of the
        service and `purpose` of the messages (sent as `informing_purpose`) up to 1,000 each;
        `site_url` an http(s) URL of 7 to 150 characters. Not available in demo and test
        accounts.
        """
        wire = self._client._wire
        payload = wire.sender_request(
            **_common(sender, country, company_code, description, purpose, site_url, comment),
            tax_number=rules.text(tax_number, "tax_number", max_length=CODE_MAX),
            legal_name=rules.text(legal_name, "legal_name", max_length=NAME_MAX),
            address=rules.text(address, "address", max_length=ADDRESS_MAX),
        )
        return await post_unreferenced(self._client, LEGAL_PATH, payload, SenderRequest)

    async def register_natural(
        self,
        *,
        sender: str,
        country: str,
        company_code: str,
        person_name: str,
        description: str,
        purpose: str,
        site_url: str | None = None,
        comment: str | None = None,
    ) -> SenderRequest:
        """Ask to register the SMS sender name `sender` in `country` for a natural person
        (`person_name`: last, first and middle name, up to 100 characters; sent as `name`);
        return the `SenderRequest`. Other fields as in `register_legal`.
        """
        wire = self._client._wire
        payload = wire.sender_request(
            **_common(sender, country, company_code, description, purpose, site_url, comment),
            person_name=rules.text(person_name, "person_name", max_length=NAME_MAX),
        )
        return await post_unreferenced(self._client, NATURAL_PATH, payload, SenderRequest)


class _Common(TypedDict):
    sender: str
    country: str
    company_code: str
    description: str
    purpose: str
    site_url: str | None
    comment: str | None


def _common(
    sender: object,
    country: object,
    company_code: object,
    description: object,
    purpose: object,
    site_url: object,
    comment: object,
) -> _Common:
    """The fields both registrations share, checked."""
    url = None
    if site_url is not None:
        url = rules.http_url(site_url, "site_url")
        if not SITE_URL[0] <= len(url) <= SITE_URL[1]:
            raise InvalidParameterError(
                "site_url", site_url, f"expected {SITE_URL[0]} to {SITE_URL[1]} characters"
            )
    return {
        "sender": rules.sender(sender, sms=True),
        "country": rules.country_code(country),
        "company_code": rules.text(company_code, "company_code", max_length=CODE_MAX),
        "description": rules.text(description, "description", max_length=TEXT_MAX),
        "purpose": rules.text(purpose, "purpose", max_length=TEXT_MAX),
        "site_url": url,
        "comment": rules.optional_text(comment, "comment", max_length=TEXT_MAX),
    }
