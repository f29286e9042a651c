"""`bsg.campaigns`: read, list and stop One-API campaigns (of any channel)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING

from . import _validation as rules
from ._paging import DEFAULT_PAGE_SIZE, Pages, data_object, page_size, time_filters
from .models.one_api import Campaign, CampaignDetail

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["CampaignsResource"]

PAGE_SIZE_BOUNDS = (30, 500)


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
        answer = await self._client.one_api_request("GET", f"/api/campaigns/{campaign_id}")
        return self._client._wire.structure(
            data_object(answer), Campaign, http_status=answer.http_status
        )

    async def detail(self, id: int) -> CampaignDetail:
        """One campaign with its message counters per status (`CampaignDetail.statistics`).

        ```python
        detail = await bsg.campaigns.detail(4213)
        print(detail.statistics.delivered, detail.statistics.failed)
        ```

        Raises as `get`.
        """
        campaign_id = rules.message_id(id, "id")
        answer = await self._client.one_api_request("GET", f"/api/campaigns/{campaign_id}/detail")
        return self._client._wire.structure(
            data_object(answer), CampaignDetail, http_status=answer.http_status
        )

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
        answer = await self._client.one_api_request("PATCH", f"/api/campaigns/{campaign_id}/stop")
        return self._client._wire.structure(
            data_object(answer), Campaign, http_status=answer.http_status
        )

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


def _page_size(value: object) -> int:
    return page_size(value, PAGE_SIZE_BOUNDS)
