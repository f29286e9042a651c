"""`bsg.statistics`: statistics exports (`/api/stat/jobs`) through the public API.

respx checks the requests against BSG's OpenAPI description and decodes its example answers
(written out here); FakeBSG runs the whole job: create, wait, read, delete.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import anyio
import httpx
import pytest
import respx

from bsg_async import (
    APIError,
    AsyncBSG,
    InvalidParameterError,
    NotFoundError,
    StatisticsJob,
    StatisticsRow,
    UnexpectedResponseError,
    WaitTimeoutError,
)
from bsg_async.testing import FakeBSG, RecordedRequest

from .conftest import ONE_API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY2NvdW50In0.c2ln"
JOBS = f"{ONE_API}/api/stat/jobs"
KEY = "3941ffacdd698b404e"

# The description's examples (`/api/stat/jobs`, `/api/stat/jobs/{id}`).
CREATED = {"error": 0, "key": KEY}
FULL = {"error": 0, "errorDescription": "Maximum count of exports reached"}
LISTED = {
    "error": 0,
    "result": [
        {"key": KEY, "request": {"message_ids": [3282067917], "user_id": "50529"}, "status": "Done"}
    ],
}
ROWS = {
    "error": 0,
    "result": [
        {
            "message_id": "3282296417",
            "message_type": "sms",
            "msisdn": "380501971415",
            "country_name": "Ukraine",
            "brand": "Vodafone",
            "mcc": "255",
            "mnc": "01",
            "originator": "testsms",
            "price": "0.0012836",
            "currency": "EUR",
            "time_in": "2026-02-18 14:32:59",
            "time_sent": "2026-02-18 14:33:03",
            "time_dlr": "2026-02-18 14:33:14",
            "status": "Delivered",
            "body": "111Vika",
            "sl_clicks": None,
        }
    ],
}
NOT_FOUND = {"error": 90, "errorDescription": "File not found"}
DELETED = {"error": 0, "errorDescription": "No errors"}


@pytest.fixture
def login(respx_mock: respx.MockRouter) -> respx.Route:
    return respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})


def body(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


async def test_a_job_by_message_ids_sends_type_message(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(JOBS).respond(json=CREATED)

    key = await bsg.statistics.create_job(message_ids=[3282296417, 3282296418])

    assert key == KEY
    assert body(route) == {"type": "message", "message_id": [3282296417, 3282296418]}


async def test_a_job_by_params_writes_times_on_the_service_clock_and_phones_as_integers(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(JOBS).respond(json=CREATED)

    await bsg.statistics.create_job(
        created_from=datetime(2026, 2, 18, 0, 0),
        created_to=datetime(2026, 2, 19, 0, 0),
        sent_from=datetime(2026, 2, 18, 1, 0),
        sent_to=datetime(2026, 2, 18, 2, 0),
        to=["+380501971415"],
        source="api",
        country="Ukraine",
        operator="25501",
        status="Delivered",
    )

    assert body(route) == {
        "type": "params",
        "time_in_from": "2026-02-18 00:00:00",
        "time_in_to": "2026-02-19 00:00:00",
        "time_sent_from": "2026-02-18 01:00:00",
        "time_sent_to": "2026-02-18 02:00:00",
        "phones": [380501971415],
        "source": "api",
        "country": "Ukraine",
        "operator_id": "25501",
        "status": "Delivered",
    }


async def test_too_many_exports_is_an_api_error_with_the_service_text(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.post(JOBS).respond(json=FULL)

    with pytest.raises(APIError, match="Maximum count of exports reached"):
        await bsg.statistics.create_job(message_ids=[1])


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({}, "created_from"),
        ({"message_ids": []}, "message_ids"),
        ({"message_ids": [0]}, "message_ids[0]"),
        ({"message_ids": [1], "created_from": datetime(2026, 1, 1)}, "message_ids"),
        ({"created_from": datetime(2026, 1, 2), "created_to": datetime(2026, 1, 1)}, "created_to"),
        (
            {
                "created_from": datetime(2026, 1, 1),
                "created_to": datetime(2026, 1, 2),
                "sent_from": datetime(2026, 1, 1),
            },
            "sent_from",
        ),
        ({"message_ids": [1], "source": "fax"}, "source"),
        ({"message_ids": [1], "status": "delivered"}, "status"),
        ({"message_ids": [1], "to": ["12"]}, "to[0]"),
    ],
)
async def test_bad_job_arguments_are_refused_before_sending(
    bsg: AsyncBSG, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.statistics.create_job(**arguments)
    assert caught.value.field == field


async def test_jobs_and_rows_decode_the_description_examples(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(JOBS).respond(json=LISTED)
    respx_mock.get(f"{JOBS}/{KEY}").respond(json=ROWS)

    jobs = await bsg.statistics.jobs()
    rows = await bsg.statistics.rows(KEY)

    assert jobs == (StatisticsJob(KEY, "Done", (3282067917,)),)
    assert jobs[0].done
    assert rows == (
        StatisticsRow(
            message_id=3282296417,
            channel="sms",
            to="380501971415",
            sender="testsms",
            text="111Vika",
            country="Ukraine",
            operator="Vodafone",
            mcc="255",
            mnc="01",
            price=Decimal("0.0012836"),
            currency="EUR",
            created_at=datetime(2026, 2, 18, 14, 32, 59),
            sent_at=datetime(2026, 2, 18, 14, 33, 3),
            delivered_at=datetime(2026, 2, 18, 14, 33, 14),
            status="Delivered",
            short_link_clicks=None,
        ),
    )


async def test_an_unknown_key_is_the_services_code_90(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{JOBS}/nope").respond(json=NOT_FOUND)
    respx_mock.delete(f"{JOBS}/nope").respond(json=NOT_FOUND)

    with pytest.raises(APIError) as read:
        await bsg.statistics.rows("nope")
    with pytest.raises(APIError) as deleted:
        await bsg.statistics.delete("nope")

    assert read.value.code == deleted.value.code == 90
    assert "File not found" in str(read.value)


async def test_delete_sends_the_key_in_the_path(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.delete(f"{JOBS}/{KEY}").respond(json=DELETED)

    await bsg.statistics.delete(KEY)

    assert route.called


async def test_a_bad_answer_names_the_json_path(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    broken = {"error": 0, "result": [{**ROWS["result"][0], "price": "cheap"}]}  # type: ignore[index]
    respx_mock.get(f"{JOBS}/{KEY}").respond(json=broken)

    with pytest.raises(UnexpectedResponseError, match=r"result\[0\]\.price"):
        await bsg.statistics.rows(KEY)


# -- against FakeBSG ---------------------------------------------------------------------------


@pytest.fixture
async def faked() -> AsyncIterator[tuple[FakeBSG, AsyncBSG]]:
    fake = FakeBSG(seed=7)
    async with AsyncBSG(api_key="test_k", transport=fake.transport) as bsg:
        yield fake, bsg


async def test_an_export_of_sent_messages_end_to_end(faked: tuple[FakeBSG, AsyncBSG]) -> None:
    _, bsg = faked
    receipt = await bsg.sms.send(to="380501234567", text="Hello", sender="Shop")
    await bsg.sms.send(to="380501234568", text="Other", sender="Shop")

    key = await bsg.statistics.create_job(message_ids=[receipt.id])
    rows = await bsg.statistics.wait(key, interval=timedelta(milliseconds=10))

    assert [(row.message_id, row.to, row.text, row.sender) for row in rows] == [
        (receipt.id, "380501234567", "Hello", "Shop")
    ]
    assert rows[0].price == receipt.price
    await bsg.statistics.delete(key)
    assert await bsg.statistics.jobs() == ()


async def test_an_export_by_time_range_and_phone(faked: tuple[FakeBSG, AsyncBSG]) -> None:
    fake, bsg = faked
    await bsg.sms.send(to="380501234567", text="A", sender="Shop")
    await bsg.sms.send(to="380501234568", text="B", sender="Shop")
    now = datetime.fromtimestamp(fake.now(), timezone.utc).replace(tzinfo=None)

    key = await bsg.statistics.create_job(
        created_from=now - timedelta(minutes=1),
        created_to=now + timedelta(minutes=1),
        to=["380501234568"],
    )

    rows = await bsg.statistics.rows(key)
    assert [row.text for row in rows] == ["B"]


async def test_wait_polls_until_the_job_is_done(faked: tuple[FakeBSG, AsyncBSG]) -> None:
    fake, bsg = faked
    fake.statistics.ready_after = 60.0
    receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
    key = await bsg.statistics.create_job(message_ids=[receipt.id])

    def polls() -> list[RecordedRequest]:
        return [r for r in fake.requests if r.method == "GET" and r.path == "/api/stat/jobs"]

    async def later() -> None:
        # Ready once it was asked while still being prepared, whatever the machine's speed.
        with anyio.fail_after(30):  # a hang guard only
            while not polls():  # noqa: ASYNC110
                await anyio.sleep(0.005)
        fake.advance(60)

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(later)
        rows = await bsg.statistics.wait(
            key, interval=timedelta(milliseconds=10), deadline=timedelta(seconds=30)
        )

    assert [row.message_id for row in rows] == [receipt.id]
    assert len(polls()) >= 2  # it asked while the job was still being prepared, then again


async def test_wait_gives_up_at_its_deadline(faked: tuple[FakeBSG, AsyncBSG]) -> None:
    fake, bsg = faked
    fake.statistics.ready_after = 3600.0
    key = await bsg.statistics.create_job(message_ids=[1])

    with pytest.raises(WaitTimeoutError) as caught:
        await bsg.statistics.wait(
            key, interval=timedelta(milliseconds=10), deadline=timedelta(milliseconds=50)
        )

    assert isinstance(caught.value, TimeoutError)
    assert caught.value.waited == timedelta(milliseconds=50)


async def test_wait_for_a_job_that_is_not_listed_is_not_found(
    faked: tuple[FakeBSG, AsyncBSG],
) -> None:
    _, bsg = faked
    with pytest.raises(NotFoundError):
        await bsg.statistics.wait("0123456789abcdef01", interval=timedelta(milliseconds=10))


@pytest.mark.parametrize(
    ("interval", "deadline", "field"),
    [
        (timedelta(0), timedelta(seconds=1), "interval"),
        (timedelta(seconds=1), timedelta(seconds=-1), "deadline"),
    ],
)
async def test_wait_refuses_a_bad_interval_or_deadline_before_asking(
    faked: tuple[FakeBSG, AsyncBSG], interval: timedelta, deadline: timedelta, field: str
) -> None:
    fake, bsg = faked
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.statistics.wait(KEY, interval=interval, deadline=deadline)
    assert caught.value.field == field
    assert not fake.requests


async def test_the_fake_refuses_a_bad_job_with_per_field_messages() -> None:
    fake = FakeBSG(seed=1)
    transport = httpx.ASGITransport(app=fake.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://fake") as http:
        login = await http.post("/api/auth/login", json={"api_key": "test_k"})
        headers = {"Authorization": f"Bearer {login.json()['bearer']}"}
        bad = await http.post(
            "/api/stat/jobs", json={"type": "params", "time_in_from": "yesterday"}, headers=headers
        )
        full = [
            await http.post(
                "/api/stat/jobs", json={"type": "message", "message_id": [1]}, headers=headers
            )
            for _ in range(11)
        ]
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"time_in_from", "time_in_to"}
    assert full[-1].json() == FULL


async def test_an_aware_time_needs_the_client_timezone(
    bsg: AsyncBSG,
) -> None:
    with pytest.raises(InvalidParameterError, match="timezone"):
        await bsg.statistics.create_job(
            created_from=datetime(2026, 1, 1, tzinfo=datetime.now().astimezone().tzinfo),
            created_to=datetime(2026, 1, 2),
        )


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ([], {"body"}),
        ({"type": "csv"}, {"type"}),
        ({"type": "message", "message_id": ["x"]}, {"message_id.0"}),
        (
            {"type": "params", "time_in_from": "2026-01-01 00:00:00", "phones": "380501234567"},
            {"time_in_to", "phones"},
        ),
        ({"type": "message", "message_id": [1], "status": "Great"}, {"status"}),
    ],
)
async def test_the_fake_validates_each_job_field(payload: Any, fields: set[str]) -> None:
    fake = FakeBSG(seed=1)
    async with httpx.AsyncClient(transport=fake.transport, base_url="http://fake") as http:
        login = await http.post("/api/auth/login", json={"api_key": "test_k"})
        headers = {"Authorization": f"Bearer {login.json()['bearer']}"}
        answer = await http.post("/api/stat/jobs", json=payload, headers=headers)
        missing = await http.delete("/api/stat/jobs/nope", headers=headers)
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == fields
    assert missing.json() == NOT_FOUND


async def test_the_fake_filters_an_export_by_status(faked: tuple[FakeBSG, AsyncBSG]) -> None:
    fake, bsg = faked
    await bsg.sms.send(to="380501234567", text="A", sender="Shop")
    now = datetime.fromtimestamp(fake.now(), timezone.utc).replace(tzinfo=None)
    window = {"created_from": now - timedelta(minutes=1), "created_to": now + timedelta(minutes=1)}

    fake.advance(3600)  # every message has reached its final status
    rows = await bsg.statistics.rows(await bsg.statistics.create_job(**window))
    (status,) = {row.status for row in rows}
    assert status is not None
    other = "Expired" if status != "Expired" else "Delivered"

    matching = await bsg.statistics.create_job(**window, status=status)
    not_matching = await bsg.statistics.create_job(**window, status=other)

    assert len(await bsg.statistics.rows(matching)) == 1
    assert await bsg.statistics.rows(not_matching) == ()
