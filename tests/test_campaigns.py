"""`bsg.campaigns`: read, detail, stop and list One-API campaigns (bsg-api.md 8.3 to 8.5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    UnexpectedResponseError,
)
from bsg_async.models.one_api import (
    AlternativeChannelInfo,
    AlternativeChannels,
    Campaign,
    CampaignDetail,
    CampaignStatistics,
    CampaignStatus,
)

from .conftest import API_KEY, ONE_API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW1wYWlnbnMifQ.c2ln"  # a token without `exp`
CAMPAIGNS = f"{ONE_API}/api/campaigns"

# bsg-api.md 8.4: `Campaign`
CAMPAIGN: dict[str, Any] = {
    "id": 4213,
    "name": "RCS campaign 2024-08-22",
    "sender": "MyShop",
    "status": "done",
    "message_type": "rcs",
    "start_at": "2024-08-22 11:47:42",
    "real_start_at": "2024-08-22 11:47:45",
    "finished_at": "2024-08-22 12:00:01",
    "created_at": "2024-08-22 11:47:40",
    "statistics": {"delivered": 15, "sent": 2},
    "calculated_price": None,
    "currency": "EUR",
    "alternative_channels": None,
}

# bsg-api.md 8.5: a campaign's detail, with per-status counters (spelled as the detail
# endpoint spells them: `type`, `started_at`, `actual_start_at`)
DETAIL: dict[str, Any] = {
    "id": 4213,
    "name": "RCS campaign 2024-08-22",
    "sender": "MyShop",
    "status": "done",
    "type": "rcs",
    "started_at": "2024-08-22 11:47:42",
    "actual_start_at": "2024-08-22 11:47:45",
    "finished_at": "2024-08-22 12:00:01",
    "created_at": "2024-08-22 11:47:40",
    "statistics": {
        "delivered": 3,
        "sent": 1,
        "scheduled": 0,
        "moderation": 0,
        "accepted": 0,
        "sending": 0,
        "expired": 1,
        "failed": 1,
        "undelivered": 2,
        "unknown": 0,
        "read": 5,
        "not_viber_user": 0,
        "not_rcs_user": 4,
    },
    "alternative_channels": {"sms": {"statistics": {"delivered": 4, "sent": 0}}},
    "total_messages": 17,
    "total_phones": 17,
    "total_price": 20.5345666,
    "currency": "EUR",
}


@pytest.fixture
def login(respx_mock: respx.MockRouter) -> respx.Route:
    """The One-API login route answering a bearer token."""
    return respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})


def serve_pages(items: list[dict[str, Any]]) -> Callable[[httpx.Request], httpx.Response]:
    """A paged list endpoint over `items`, honouring `page[offset]` and `page[limit]`."""

    def respond(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["page[offset]"])
        limit = int(request.url.params["page[limit]"])
        meta = {"page": {"total": len(items), "limit": limit, "offset": offset}}
        return httpx.Response(200, json={"data": items[offset : offset + limit], "meta": meta})

    return respond


def campaigns(count: int) -> list[dict[str, Any]]:
    return [{**CAMPAIGN, "id": 1000 + n} for n in range(count)]


# -- get, detail, stop -------------------------------------------------------------------------


async def test_get_decodes_the_documented_campaign(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(f"{CAMPAIGNS}/4213").respond(json={"data": CAMPAIGN})

    campaign = await bsg.campaigns.get(4213)

    assert route.calls.last.request.headers["Authorization"] == f"Bearer {JWT}"
    assert campaign == Campaign(
        id=4213,
        status=CampaignStatus.DONE,
        name="RCS campaign 2024-08-22",
        sender="MyShop",
        message_type="rcs",
        start_at=datetime(2024, 8, 22, 11, 47, 42),
        real_start_at=datetime(2024, 8, 22, 11, 47, 45),
        finished_at=datetime(2024, 8, 22, 12, 0, 1),
        created_at=datetime(2024, 8, 22, 11, 47, 40),
        statistics=CampaignStatistics(delivered=15, sent=2),
        calculated_price=None,
        currency="EUR",
        alternative_channels=None,
    )
    assert campaign.status.is_final  # type: ignore[union-attr]


@pytest.mark.parametrize("value", [[], {}, None])
async def test_get_tolerates_empty_alternative_channels(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route, value: Any
) -> None:
    respx_mock.get(f"{CAMPAIGNS}/4213").respond(
        json={"data": {**CAMPAIGN, "alternative_channels": value, "statistics": []}}
    )

    campaign = await bsg.campaigns.get(4213)

    assert campaign.alternative_channels is None
    assert campaign.statistics is None


async def test_get_keeps_an_unknown_status_and_ignores_unknown_fields(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{CAMPAIGNS}/4213").respond(
        json={"data": {**CAMPAIGN, "status": "Archived", "brand_new_field": {"x": 1}}}
    )

    campaign = await bsg.campaigns.get(4213)

    assert campaign.status == "Archived"
    assert not isinstance(campaign.status, CampaignStatus)


@pytest.mark.parametrize("status", [s.value for s in CampaignStatus])
async def test_every_documented_campaign_status_is_read_in_any_case(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route, status: str
) -> None:
    respx_mock.get(f"{CAMPAIGNS}/4213").respond(
        json={"data": {**CAMPAIGN, "status": status.upper()}}
    )

    campaign = await bsg.campaigns.get(4213)

    assert campaign.status is CampaignStatus(status)


def test_stoppable_campaign_statuses_are_the_documented_four() -> None:
    stoppable = {s.value for s in CampaignStatus if s.is_stoppable}

    assert stoppable == {"scheduled", "sending", "paused", "moderation"}


async def test_get_of_an_unknown_campaign_is_not_found(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{CAMPAIGNS}/999").respond(404, json={"message": "Campaign not found"})

    with pytest.raises(NotFoundError) as caught:
        await bsg.campaigns.get(999)

    assert caught.value.http_status == 404
    assert caught.value.description == "Campaign not found"


async def test_get_of_an_undecodable_campaign_names_the_path(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{CAMPAIGNS}/4213").respond(
        json={"data": {**CAMPAIGN, "calculated_price": "lots"}}
    )

    with pytest.raises(UnexpectedResponseError) as caught:
        await bsg.campaigns.get(4213)

    assert caught.value.field == "$.calculated_price"


@pytest.mark.parametrize("bad", [0, -1, "4213", True, 1.5])
@pytest.mark.parametrize("method", ["get", "detail", "stop"])
async def test_campaign_ids_must_be_positive_ints(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, bad: Any, method: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await getattr(bsg.campaigns, method)(bad)

    assert caught.value.field == "id"
    assert not respx_mock.calls


async def test_detail_decodes_the_per_status_counters(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{CAMPAIGNS}/4213/detail").respond(json={"data": DETAIL})

    detail = await bsg.campaigns.detail(4213)

    assert detail == CampaignDetail(
        id=4213,
        status=CampaignStatus.DONE,
        name="RCS campaign 2024-08-22",
        sender="MyShop",
        message_type="rcs",
        start_at=datetime(2024, 8, 22, 11, 47, 42),
        real_start_at=datetime(2024, 8, 22, 11, 47, 45),
        finished_at=datetime(2024, 8, 22, 12, 0, 1),
        created_at=datetime(2024, 8, 22, 11, 47, 40),
        statistics=CampaignStatistics(
            delivered=3, sent=1, expired=1, failed=1, undelivered=2, read=5, not_rcs_user=4
        ),
        alternative_channels=AlternativeChannels(
            sms=AlternativeChannelInfo(statistics=CampaignStatistics(delivered=4))
        ),
        total_messages=17,
        total_phones=17,
        total_price=Decimal("20.5345666"),
        currency="EUR",
    )


async def test_stop_patches_the_campaign_and_returns_it(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.patch(f"{CAMPAIGNS}/4213/stop").respond(
        json={"data": {**CAMPAIGN, "status": "stopped"}}
    )

    campaign = await bsg.campaigns.stop(4213)

    assert route.call_count == 1
    assert route.calls.last.request.content == b""
    assert campaign.status is CampaignStatus.STOPPED


async def test_stopping_a_finished_campaign_is_an_invalid_request_with_the_services_reason(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    reason = (
        "Invalid campaign status. The campaign must be in one of following status to be able "
        'to stop: "scheduled", "sending", "paused", "moderation"'
    )
    route = respx_mock.patch(f"{CAMPAIGNS}/4213/stop").respond(
        422, json={"message": reason, "errors": []}
    )

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.campaigns.stop(4213)

    assert route.call_count == 1  # a refusal is never retried
    assert caught.value.http_status == 422
    assert caught.value.description == reason[:300]
    assert caught.value.errors == {}


# -- list --------------------------------------------------------------------------------------


async def test_list_walks_every_page_with_the_exact_page_parameters(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(CAMPAIGNS).mock(side_effect=serve_pages(campaigns(65)))

    found = [c async for c in bsg.campaigns.list(page_size=30)]

    assert [c.id for c in found] == list(range(1000, 1065))
    assert [dict(call.request.url.params) for call in route.calls] == [
        {"page[offset]": "0", "page[limit]": "30"},
        {"page[offset]": "30", "page[limit]": "30"},
        {"page[offset]": "60", "page[limit]": "30"},
    ]
    assert login.call_count == 1


async def test_list_stops_when_the_offset_reaches_the_total(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(CAMPAIGNS).mock(side_effect=serve_pages(campaigns(60)))

    found = [c async for c in bsg.campaigns.list(page_size=30)]

    assert len(found) == 60
    assert route.call_count == 2


async def test_list_uses_50_items_per_page_by_default(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(CAMPAIGNS).mock(side_effect=serve_pages(campaigns(3)))

    found = [c async for c in bsg.campaigns.list()]

    assert len(found) == 3
    assert dict(route.calls.last.request.url.params) == {"page[offset]": "0", "page[limit]": "50"}


async def test_list_of_no_campaigns_makes_one_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(CAMPAIGNS).respond(
        json={"data": [], "meta": {"page": {"total": 0, "limit": 50, "offset": 0}}}
    )

    assert [c async for c in bsg.campaigns.list()] == []
    assert route.call_count == 1


async def test_list_stops_on_an_empty_page_even_if_the_total_says_more(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(CAMPAIGNS)
    route.side_effect = [
        httpx.Response(200, json={"data": campaigns(30), "meta": {"page": {"total": 500}}}),
        httpx.Response(200, json={"data": [], "meta": {"page": {"total": 500}}}),
    ]

    found = [c async for c in bsg.campaigns.list(page_size=30)]

    assert len(found) == 30
    assert route.call_count == 2


async def test_list_without_a_total_stops_after_a_short_page(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(CAMPAIGNS)
    route.side_effect = [
        httpx.Response(200, json={"data": campaigns(30)}),
        httpx.Response(200, json={"data": campaigns(40)[30:], "meta": []}),
    ]

    found = [c async for c in bsg.campaigns.list(page_size=30)]

    assert len(found) == 40
    assert route.call_count == 2


async def test_list_refuses_a_service_that_ignores_the_offset(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(CAMPAIGNS).respond(json={"data": campaigns(30)})  # no total

    with pytest.raises(UnexpectedResponseError):
        async for _ in bsg.campaigns.list(page_size=30):
            pass

    assert route.call_count == 2


async def test_breaking_out_of_a_list_fetches_no_more_pages(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(CAMPAIGNS).mock(side_effect=serve_pages(campaigns(100)))

    async for campaign in bsg.campaigns.list(page_size=30):
        if campaign.id == 1005:
            break

    assert route.call_count == 1


async def test_list_sends_the_time_filters(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(CAMPAIGNS).mock(side_effect=serve_pages([]))

    found = [
        c
        async for c in bsg.campaigns.list(
            created_from=datetime(2024, 8, 1),
            created_to=datetime(2024, 8, 31, 23, 59, 59, 999),
            page_size=500,
        )
    ]

    assert found == []
    assert dict(route.calls.last.request.url.params) == {
        "filter[from]": "2024-08-01 00:00:00",
        "filter[to]": "2024-08-31 23:59:59",
        "page[offset]": "0",
        "page[limit]": "500",
    }


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"page_size": 29}, "page_size"),
        ({"page_size": 501}, "page_size"),
        ({"page_size": "50"}, "page_size"),
        ({"created_from": "2024-08-01"}, "created_from"),
        ({"created_to": datetime.now(timezone.utc)}, "created_to"),
    ],
)
def test_list_refuses_bad_arguments_when_called(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        bsg.campaigns.list(**arguments)

    assert caught.value.field == field
    assert not respx_mock.calls


@pytest.mark.parametrize("answer", [[], {"data": {"id": 1}}, {"items": []}, "oops"])
async def test_a_page_that_is_not_a_page_is_an_unexpected_response(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route, answer: Any
) -> None:
    respx_mock.get(CAMPAIGNS).respond(json=answer)

    with pytest.raises(UnexpectedResponseError) as caught:
        await bsg.campaigns.list().__anext__()

    assert caught.value.field == "$.data"


async def test_list_converts_aware_filters_to_the_clients_zone(
    respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(CAMPAIGNS).mock(side_effect=serve_pages([]))
    zone = timezone(-timedelta(hours=3, minutes=30), "test-campaigns")

    async with AsyncBSG(api_key=API_KEY, one_api_url=ONE_API, timezone=zone) as client:
        found = [
            c
            async for c in client.campaigns.list(
                created_from=datetime(2024, 8, 1, tzinfo=timezone.utc)
            )
        ]

    assert found == []
    assert route.calls.last.request.url.params["filter[from]"] == "2024-07-31 20:30:00"
