"""`bsg.hlr`: HLR lookups through the public API: the request shape (respx), exactly-once
creation and read-backs against FakeBSG."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    DuplicateReferenceError,
    HlrResult,
    HlrStatus,
    InvalidParameterError,
    NotFoundError,
    Receipt,
    UndeliverableDestinationError,
    UnknownStatus,
)
from bsg_async.testing import FakeBSG, Faults, Rules

from .conftest import API_KEY, BASE
from .fake_support import ACCOUNT, calm_fake, client, fake, sdk_on

__all__ = ["client", "fake"]  # fixtures, imported for pytest

CREATE = f"{BASE}/hlr/create"
ANSWER = {
    "result": [
        {
            "error": 0,
            "errorDescription": "No errors",
            "reference": "check42",
            "id": "5100000001",
            "price": 0.005,
            "currency": "EUR",
        }
    ],
    "total_price": 0.005,
    "currency": "EUR",
}
REPORT = {
    "error": 0,
    "id": "5100000001",
    "msisdn": "380501234567",
    "reference": "check42",
    "status": "ACTIVE",
    "network": "25501",
    "price": "0.0050000",
    "currency": "EUR",
    "createdDatetime": "2017-01-17 09:11:41",
    "statusDatetime": "2017-01-17 09:11:42",
}


async def test_create_sends_a_json_array_under_the_wire_names(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(json=ANSWER)

    receipt = await bsg.hlr.create(to="+380501234567", reference="check42", tariff=0)

    assert json.loads(route.calls.last.request.content) == [
        {"msisdn": "380501234567", "reference": "check42", "tariff": 0}
    ]
    assert receipt == Receipt(5100000001, "check42", Decimal("0.005"), "EUR", "380501234567")


async def test_create_without_reference_fixes_a_32_character_one(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(
        json={"result": [{**ANSWER["result"][0], "reference": None}]}
    )

    await bsg.hlr.create(to="380501234567")

    (sent,) = json.loads(route.calls.last.request.content)
    assert len(sent["reference"]) == 32
    assert "tariff" not in sent


@pytest.mark.parametrize(
    ("arguments", "field", "value"),
    [
        ({"to": "0501 234 567"}, "to", "0501 234 567"),
        ({"reference": "no spaces"}, "reference", "no spaces"),
        ({"tariff": 10}, "tariff", 10),
    ],
)
async def test_create_bad_input_is_refused_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, arguments: dict[str, Any], field: str, value: Any
) -> None:
    route = respx_mock.post(CREATE).respond(json=ANSWER)

    with pytest.raises(InvalidParameterError) as info:
        await bsg.hlr.create(**{"to": "380501234567"} | arguments)

    assert (info.value.field, info.value.value) == (field, value)
    assert not route.called


async def test_result_decodes_into_typed_values(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{BASE}/hlr/5100000001").respond(json=REPORT)

    result = await bsg.hlr.get(5100000001)

    assert result == HlrResult(
        id=5100000001,
        phone="380501234567",
        reference="check42",
        status=HlrStatus.ACTIVE,
        network="25501",
        price=Decimal("0.0050000"),
        currency="EUR",
        created_at=datetime(2017, 1, 17, 9, 11, 41),
        status_at=datetime(2017, 1, 17, 9, 11, 42),
    )


async def test_unknown_status_is_kept_as_its_text(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{BASE}/hlr/reference/check-42").respond(json={**REPORT, "status": "ported"})

    result = await bsg.hlr.get_by_reference("check-42")

    assert result.status == UnknownStatus("ported")
    assert isinstance(result.status, UnknownStatus)


async def test_get_refuses_an_id_that_is_not_a_positive_int(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(url__regex=r".*").respond(json=REPORT)

    with pytest.raises(InvalidParameterError) as info:
        await bsg.hlr.get("5100000001")  # type: ignore[arg-type]

    assert info.value.field == "id"
    assert not route.called


async def test_fake_lookup_reads_back_by_id_and_reference(client: AsyncBSG, fake: FakeBSG) -> None:
    receipt = await client.hlr.create(to="380501234567", reference="check42")

    by_id = await client.hlr.get(receipt.id)
    by_reference = await client.hlr.get_by_reference("check42")

    assert by_id == by_reference
    assert by_id.status is HlrStatus.ACTIVE
    assert by_id.network == "25501"
    assert by_id.price == receipt.price == ACCOUNT.hlr_price


async def test_fake_number_without_a_route_is_refused_with_code_33() -> None:
    fake = calm_fake(rules=Rules(unroutable_prefixes=["7"]))
    async with sdk_on(fake) as bsg:
        with pytest.raises(UndeliverableDestinationError) as info:
            await bsg.hlr.create(to="79001234567")

    assert info.value.code == 33


async def test_fake_unknown_lookup_is_not_found(client: AsyncBSG) -> None:
    with pytest.raises(NotFoundError):
        await client.hlr.get_by_reference("never")


async def test_lost_answer_then_reference_exists_is_read_back_as_one_lookup() -> None:
    fake = calm_fake(faults=Faults(paths=["/hlr/create"]))
    fake.faults.script(["lost_answer"])
    async with sdk_on(fake) as bsg:
        receipt = await bsg.hlr.create(to="380501234567", reference="check42")

    creates = [r for r in fake.requests if r.path.endswith("/hlr/create")]
    assert len(creates) == 2  # the retry carried the same reference and was refused with 23
    assert [json.loads(r.body)[0]["reference"] for r in creates] == ["check42", "check42"]
    assert receipt.reference == "check42"
    assert receipt.id == 5100000001  # the one lookup the service made
    assert receipt.price == ACCOUNT.hlr_price


async def test_reference_already_used_on_the_first_attempt_stays_an_error(
    client: AsyncBSG,
) -> None:
    await client.hlr.create(to="380501234567", reference="check42")

    with pytest.raises(DuplicateReferenceError) as info:
        await client.hlr.create(to="380501234568", reference="check42")

    assert info.value.code == 23
    assert not info.value.may_have_been_accepted


async def test_lookup_over_the_asgi_app(fake: FakeBSG) -> None:
    url = "http://fake.test"
    async with AsyncBSG(
        api_key=API_KEY,
        base_url=f"{url}/rest",
        one_api_url=url,
        transport=httpx.ASGITransport(fake.app),
    ) as bsg:
        receipt = await bsg.hlr.create(to="48601234567")
        result = await bsg.hlr.get_by_reference(receipt.reference)

    assert result.id == receipt.id
    assert result.network == "26001"


async def test_lost_answer_then_request_level_23_is_read_back_by_reference(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    def create(request: httpx.Request) -> httpx.Response:
        if create_route.call_count == 0:
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return httpx.Response(200, json={"error": 23, "errorDescription": "already present"})

    create_route = respx_mock.post(CREATE).mock(side_effect=create)
    lookup = respx_mock.get(f"{BASE}/hlr/reference/check42").respond(json=REPORT)

    receipt = await bsg.hlr.create(to="380501234567", reference="check42")

    assert receipt == Receipt(5100000001, "check42", Decimal("0.0050000"), "EUR", "380501234567")
    assert create_route.call_count == 2
    assert lookup.call_count == 1


async def test_request_level_23_on_the_first_attempt_is_not_read_back(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(json={"error": 23, "errorDescription": "already present"})
    lookup = respx_mock.get(f"{BASE}/hlr/reference/check42").respond(json=REPORT)

    with pytest.raises(DuplicateReferenceError):
        await bsg.hlr.create(to="380501234567", reference="check42")

    assert not lookup.called


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"msisdn": "380501234567"}, None),  # not an array: request-level 24
        ([], None),
        ([{"msisdn": "12", "reference": "a"}], 21),
        ([{"msisdn": "380501234567"}], 22),
        ([{"msisdn": "380501234567", "reference": "a b"}], 27),
        ([{"msisdn": "380501234567", "reference": "a", "tariff": 10}], 6),
        (
            [
                {"msisdn": "380501234567", "reference": "a"},
                {"msisdn": "380501234567", "reference": "b"},
            ],
            31,
        ),
    ],
)
async def test_fake_refuses_bad_lookups_with_the_documented_codes(
    fake: FakeBSG, payload: Any, code: int | None
) -> None:
    async with httpx.AsyncClient(transport=fake.transport, base_url=BASE) as http:
        answer = (
            await http.post("/hlr/create", json=payload, headers={"X-API-KEY": API_KEY})
        ).json()

    if code is None:
        assert answer["error"] == 24
    else:
        assert answer["result"][-1]["error"] == code
    assert len(fake.requests) == 1
