"""`bsg.campaigns`: send any-channel campaigns, price SMS campaigns, and read, list and stop
One-API campaigns (of any channel)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from . import _campaign_args as campaign_args
from . import _validation as rules
from ._one_api_sending import post_campaign
from ._paging import DEFAULT_PAGE_SIZE, Pages, one_object, page_size, time_filters
from .messages import post_dry_run
from .models import Recipient
from .models.channels import SMS_TEXT_MAX, MessageChannel, chain
from .models.legacy import PriceQuote
from .models.one_api import Campaign, CampaignDetail

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["CampaignsResource"]

PAGE_SIZE_BOUNDS = (30, 500)
SEND_PATH = "/api/campaigns/send"
PRICE_PATH = "/api/campaigns/price"
MAX_PHONES = 10_000
MAX_CONTACT_LISTS = 1000


class CampaignsResource:
    """The campaign endpoints of the One-API, as `bsg.campaigns`."""

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def get(self, id: int) -> Campaign:
        """One campaign by its id (`Campaign.id` from a campaign send).

        ```python
        campaign = await bsg.campaigns.get(4213)
        ```

        Raises `InvalidParameterError` for an id that is not a positive int, `NotFoundError`
        (HTTP 404) for an unknown campaign.
        """
        campaign_id = rules.message_id(id, "id")
        return await one_object(self._client, "GET", f"/api/campaigns/{campaign_id}", Campaign)

    async def detail(self, id: int) -> CampaignDetail:
        """One campaign with its message counters per status (`CampaignDetail.statistics`).

        ```python
        detail = await bsg.campaigns.detail(4213)
        print(detail.statistics.delivered, detail.statistics.failed)
        ```

        Raises as `get`.
        """
        campaign_id = rules.message_id(id, "id")
        path = f"/api/campaigns/{campaign_id}/detail"
        return await one_object(self._client, "GET", path, CampaignDetail)

    async def stop(self, id: int) -> Campaign:
        """Stop a campaign and return it as the service then has it (`PATCH .../stop`).

        Only a campaign that is scheduled, sending, paused or in moderation can be stopped
        (`CampaignStatus.is_stoppable`).

        ```python
        stopped = await bsg.campaigns.stop(4213)
        ```

        Raises `InvalidRequestError` (HTTP 422) when the campaign is in any other state,
        `NotFoundError` for an unknown campaign, `InvalidParameterError` for a bad id.
        """
        campaign_id = rules.message_id(id, "id")
        path = f"/api/campaigns/{campaign_id}/stop"
        return await one_object(self._client, "PATCH", path, Campaign)

    def list(
        self,
        *,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[Campaign]:
        """Every campaign (optionally only those created from `created_from` to `created_to`),
        as an async iterator that fetches pages of `page_size` (30 to 500) as it goes.

        ```python
        async for campaign in bsg.campaigns.list(created_from=datetime(2024, 8, 1)):
            print(campaign.id, campaign.status)
        ```

        Times are naive `datetime`s on the service's clock, or aware ones when the client has
        a `timezone`. Raises `InvalidParameterError` at once for a bad argument; while
        iterating, what a request raises.
        """
        return Pages(
            self._client,
            "/api/campaigns",
            Campaign,
            limit=_page_size(page_size),
            params=time_filters(self._client, created_from, created_to),
        )

    async def send(
        self,
        *,
        channels: Iterable[MessageChannel] | MessageChannel,
        to: Iterable[str | Recipient] | None = None,
        contact_lists: Iterable[int] | None = None,
        start_at: datetime | None = None,
        tariff: int | None = None,
        validity: timedelta | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
        dry_run: bool = False,
    ) -> Campaign:
        """Send a campaign over a chain of channels (`POST /api/campaigns/send`), to `to`
        **or** to `contact_lists` (exactly one); return the `Campaign`.

        - `channels`: one or two contents by priority, each of another channel:
          `SmsChannel`, `ViberChannel`, `RcsChannel`, `VoiceChannel`, `TelegramChannel` (one
          may be given as is); the second is what those the first does not reach get
          (`[ViberChannel(...), SmsChannel(...)]`: Viber with an SMS fallback).
        - `to`: 1 to 10,000 unique phones (9 to 15 digits, or `Recipient`s with a reference
          of 1 to 32 letters and digits, generated where none is given); `contact_lists`:
          1 to 1,000 contact-list ids (sent as `groups`).
        - `validity`: a `timedelta` of whole hours, 1 to 72; `start_at`, `tariff`,
          `add_to_contact_book`, `check_stop_list` as in `bsg.viber.send_campaign`.
        - `dry_run`: only check the request (sent as `dry_run: true`); nothing is created or
          sent. The answer has the shape of a send's (the description gives no other): a
          `Campaign`, whose `calculated_price` is the estimate where the service gives one and
          whose `id` names no campaign. Retried as any read; a 429 is raised as is.

        ```python
        campaign = await bsg.campaigns.send(
            to=["380501234567"],
            channels=[ViberChannel(text="Sale", sender="MyShop"),
                      SmsChannel(text="Sale", sender="MyShop")])
        ```

        Retries, the 429 rule and errors as `bsg.sms.send_campaign`.
        """
        links = chain(channels)
        target = campaign_args.target(
            to, contact_lists, max_phones=MAX_PHONES, max_lists=MAX_CONTACT_LISTS
        )
        payload = self._client._wire.campaign(
            target,
            links,
            campaign_args.contact_book_options(
                self._client, start_at, tariff, validity, add_to_contact_book, check_stop_list
            ),
            dry_run=rules.boolean(dry_run, "dry_run"),
        )
        if dry_run:
            return await post_dry_run(self._client, SEND_PATH, payload, Campaign)
        return await post_campaign(self._client, SEND_PATH, payload, target)

    async def price(
        self,
        *,
        text: str,
        sender: str,
        to: Iterable[str] | None = None,
        contact_lists: Iterable[int] | None = None,
        tariff: int | None = None,
    ) -> PriceQuote:
        """What an SMS campaign of `text` from `sender` to `to` **or** `contact_lists` would
        cost, without sending anything (`POST /api/campaigns/price`; SMS campaigns only).

        ```python
        quote = await bsg.campaigns.price(to=["380501234567"], text="Sale", sender="MyShop")
        print(quote.total_price, quote.currency)   # Decimal('0.0527088') USD
        ```

        `total_price` is the service's `price`, a `Decimal` from the JSON text. The phones are
        9 to 15 digits (sent as integers under `messages`), the lists' ids go as `groups`;
        `text` 1 to 765 characters, `sender` as in `bsg.sms.send_campaign`, `tariff` a
        `Tariff.code`. Nothing is sent, so asking again is harmless (and retried as any
        read). Raises `InvalidParameterError` before any request for a bad value; an
        `APIError` subclass when the service refuses (`InvalidRequestError` for an unknown
        tariff); `UnexpectedResponseError` when the answer has no price.
        """
        target = campaign_args.target(to, contact_lists, max_phones=MAX_PHONES)
        payload = self._client._wire.campaign_price(
            target,
            text=rules.text(text, "text", max_length=SMS_TEXT_MAX),
            sender=rules.sender(sender, sms=True),
            tariff=rules.optional_integer(tariff, "tariff", rules.ONE_API_TARIFFS),
        )
        return await one_object(self._client, "POST", PRICE_PATH, PriceQuote, json=payload)


def _page_size(value: object) -> int:
    return page_size(value, PAGE_SIZE_BOUNDS)
