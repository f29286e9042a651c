"""`bsg.messages.list`: the One-API message search (bsg-api.md 8.3, 8.5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bsg_async import AsyncBSG, InvalidParameterError, UnexpectedResponseError
from bsg_async._converter import wire
from bsg_async.models.one_api import (
    AlternativeChannelInfo,
    AlternativeChannels,
    Amount,
    OneApiMessage,
    OneApiMessageStatus,
)

from .conftest import ONE_API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtZXNzYWdlcyJ9.c2ln"  # a token without `exp`
MESSAGES = f"{ONE_API}/api/messages"

# bsg-api.md 8.5: a message-search item
ITEM: dict[str, Any] = {
    "id": 3266500452,
    "campaign_id": 4213,
    "reference_id": "order42",
    "type": "rcs",
    "status": "delivered",
    "amount": {"value": "1.2079098", "currency": "EUR"},
    "phone": 380997087351,
    "sender": "MyShop",
    "created_at": "2024-08-22 11:47:42",
    "sent_at": "2024-08-22 11:47:42",
    "delivered_at": None,
    "country": "UA",
    "parts": 1,
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


async def test_list_decodes_the_documented_message(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(MESSAGES).mock(side_effect=serve_pages([ITEM]))

    found = [m async for m in bsg.messages.list(reference="order42")]

    assert found == [
        OneApiMessage(
            id=3266500452,
            status=OneApiMessageStatus.DELIVERED,
            campaign_id=4213,
            reference="order42",
            to="380997087351",
            type="rcs",
            sender="MyShop",
            amount=Amount(value=Decimal("1.2079098"), currency="EUR"),
            created_at=datetime(2024, 8, 22, 11, 47, 42),
            sent_at=datetime(2024, 8, 22, 11, 47, 42),
            delivered_at=None,
            country="UA",
            parts=1,
        )
    ]
    assert str(found[0].amount.value) == "1.2079098"  # type: ignore[union-attr]


async def test_list_sends_every_filter_with_the_page_parameters(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.get(MESSAGES).mock(side_effect=serve_pages([ITEM]))

    found = [
        m
        async for m in bsg.messages.list(
            reference="order42",
            campaign_id=4213,
            id=3266500452,
            created_from=datetime(2024, 8, 22),
            created_to=datetime(2024, 8, 23, 12, 30),
            page_size=15,
        )
    ]

    assert len(found) == 1
    assert dict(route.calls.last.request.url.params) == {
        "filter[reference_id]": "order42",
        "filter[campaign_id]": "4213",
        "filter[id]": "3266500452",
        "filter[from]": "2024-08-22 00:00:00",
        "filter[to]": "2024-08-23 12:30:00",
        "page[offset]": "0",
        "page[limit]": "15",
    }


async def test_list_walks_every_page_of_a_campaign(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    items = [{**ITEM, "id": n, "reference_id": f"r{n}"} for n in range(1, 41)]
    route = respx_mock.get(MESSAGES).mock(side_effect=serve_pages(items))

    found = [m async for m in bsg.messages.list(campaign_id=4213, page_size=15)]

    assert [m.id for m in found] == list(range(1, 41))
    assert [
        (c.request.url.params["page[offset]"], c.request.url.params["page[limit]"])
        for c in route.calls
    ] == [("0", "15"), ("15", "15"), ("30", "15")]
    assert {c.request.url.params["filter[campaign_id]"] for c in route.calls} == {"4213"}


async def test_list_follows_a_service_that_caps_the_page_below_the_limit(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    items = [{**ITEM, "id": n} for n in range(1, 21)]
    route = respx_mock.get(MESSAGES)

    def capped(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params["page[offset]"])
        return httpx.Response(
            200, json={"data": items[offset : offset + 8], "meta": {"page": {"total": 20}}}
        )

    route.mock(side_effect=capped)

    found = [m async for m in bsg.messages.list(page_size=50)]

    assert [m.id for m in found] == list(range(1, 21))
    assert [c.request.url.params["page[offset]"] for c in route.calls] == ["0", "8", "16"]


@pytest.mark.parametrize("status", [s.value for s in OneApiMessageStatus])
async def test_every_documented_message_status_is_read_in_any_case(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route, status: str
) -> None:
    respx_mock.get(MESSAGES).mock(side_effect=serve_pages([{**ITEM, "status": status.upper()}]))

    found = [m async for m in bsg.messages.list()]

    assert found[0].status is OneApiMessageStatus(status)


def test_the_thirteen_documented_message_statuses_are_known() -> None:
    assert len(OneApiMessageStatus) == 13


async def test_an_unknown_message_status_is_kept_as_the_raw_string(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(MESSAGES).mock(side_effect=serve_pages([{**ITEM, "status": "queued_v2"}]))

    found = [m async for m in bsg.messages.list()]

    assert found[0].status == "queued_v2"
    assert not isinstance(found[0].status, OneApiMessageStatus)


async def test_list_decodes_the_alternative_channels_and_tolerates_an_empty_list(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    items = [
        {**ITEM, "id": 1, "alternative_channels": {"sms": {"parts": 2, "id": [71, 72]}}},
        {**ITEM, "id": 2, "alternative_channels": []},
        {**ITEM, "id": 3, "alternative_channels": {"sms": {"id": 73}}},
    ]
    respx_mock.get(MESSAGES).mock(side_effect=serve_pages(items))

    found = [m async for m in bsg.messages.list()]

    assert [m.alternative_channels for m in found] == [
        AlternativeChannels(sms=AlternativeChannelInfo(ids=(71, 72), parts=2)),
        None,
        AlternativeChannels(sms=AlternativeChannelInfo(ids=(73,))),
    ]


async def test_list_reads_a_bare_amount_and_string_ids(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(MESSAGES).mock(
        side_effect=serve_pages([{**ITEM, "id": "3266500452", "amount": 0.0250000}])
    )

    found = [m async for m in bsg.messages.list()]

    assert found[0].id == 3266500452
    assert found[0].amount == Amount(value=Decimal("0.0250000"))


async def test_an_undecodable_item_names_its_path(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(MESSAGES).mock(side_effect=serve_pages([{**ITEM, "sent_at": "yesterday"}]))

    with pytest.raises(UnexpectedResponseError) as caught:
        [m async for m in bsg.messages.list()]

    assert caught.value.field == "$.sent_at"


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"reference": "order_42"}, "reference"),
        ({"reference": "x" * 33}, "reference"),
        ({"campaign_id": 0}, "campaign_id"),
        ({"campaign_id": "4213"}, "campaign_id"),
        ({"id": -5}, "id"),
        ({"created_from": "2024-08-22"}, "created_from"),
        ({"page_size": 14}, "page_size"),
        ({"page_size": 501}, "page_size"),
    ],
)
def test_list_refuses_bad_arguments_when_called(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        bsg.messages.list(**arguments)

    assert caught.value.field == field
    assert not respx_mock.calls


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.decimals(allow_nan=False),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
_item_mutations = st.dictionaries(st.sampled_from([*sorted(ITEM), "alternative_channels"]), _json)


def decode(data: dict[str, Any]) -> OneApiMessage | UnexpectedResponseError:
    try:
        return wire().structure(data, OneApiMessage)
    except UnexpectedResponseError as error:
        return error


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(_item_mutations)
def test_decoding_a_mutated_item_gives_a_message_or_an_unexpected_response(
    changes: dict[str, Any],
) -> None:
    result = decode({**ITEM, **changes})

    if isinstance(result, UnexpectedResponseError):
        assert result.field is not None
        assert result.field.startswith("$")
    else:
        assert isinstance(result.id, int)
        assert result.amount is None or isinstance(result.amount.value, Decimal | None)
