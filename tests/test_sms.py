"""`bsg.sms`: the documented payloads and answers, and the send-retry rule (never send twice)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    APIError,
    AsyncBSG,
    DuplicateRecipientError,
    DuplicateReferenceError,
    Failed,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    Receipt,
    Recipient,
    Rejection,
    RequestTimeoutError,
    RetryPolicy,
    Sent,
    ServerError,
    SmsMessage,
    SmsStatus,
    TransportError,
    UnexpectedResponseError,
)

from .conftest import API_KEY, BASE

CREATE = f"{BASE}/sms/create"
HEX32 = re.compile(r"[0-9a-f]{32}")

# -- the documented answers (bsg-api.md sections 2 and 3) ---------------------------------------

SINGLE_ANSWER = {
    "error": "0",
    "id": "22125",
    "reference": "12erdgm9",
    "price": "0.02",
    "currency": "EUR",
}
SINGLE_ANSWER_WRAPPED = {
    "result": {
        "error": 0,
        "errorDescription": "No errors",
        "reference": "ext_id_16",
        "id": "213",
        "price": 0.23,
        "currency": "EUR",
    }
}
BULK_ANSWER = {
    "result": [
        {"reference": "12erdgm9", "id": "12345", "error": "0", "price": "0.02", "currency": "EUR"},
        {"reference": "12erdgn0", "id": "12346", "error": "0", "price": "0.02", "currency": "EUR"},
    ],
    "error": "0",
    "task_id": "21902",
}
INDIVIDUAL_ANSWER = {
    "result": BULK_ANSWER["result"],
    "error": "0",
    "totalprice": "0.04",
    "currency": "EUR",
}
STATUS_ANSWER = {
    "error": 0,
    "errorDescription": "No errors",
    "id": "211",
    "msisdn": "380972000001",
    "reference": "ext_id_19",
    "time_in": "2017-01-17 09:11:41",
    "time_sent": "2017-01-17 09:11:41",
    "time_dr": "2017-01-17 09:11:41",
    "status": "delivered",
    "price": 0.23,
    "currency": "EUR",
}
TASK_ANSWER = {
    "originator": "alpha_name",
    "body": "message text",
    "validity": 72,
    "totalprice": 0.23,
    "currency": "EUR",
    "sent": 1,
    "delivered": 1,
    "expired": 0,
    "undeliverable": 0,
    "unknown": 0,
}


def sent_json(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


# -- a small stateful service for the retry rule ------------------------------------------------


class FakeService:
    """The legacy send and status-by-reference endpoints, with lost answers on demand.

    Every accepted reference is recorded (and counted) *before* an answer may be lost by
    raising `httpx.ReadTimeout`, so a test can prove that nothing was accepted twice. A second
    message with an accepted reference gets 23 (SMS) or 43 (Viber), as the real service does.
    """

    def __init__(
        self,
        *,
        lose_answers: int = 0,
        accept_first: int | None = None,
        reverse_entries: bool = False,
        lookup_status: int = 200,
        single_duplicate: str = "flat",
        refuse_whole_request: bool = False,
    ) -> None:
        self.lose_answers = lose_answers  # create answers to lose after processing
        self.accept_first = accept_first  # a lost attempt processes only this many entries
        self.reverse_entries = reverse_entries
        self.lookup_status = lookup_status
        self.single_duplicate = single_duplicate  # "flat" or "wrapped" code 23 answer
        # a known reference refuses the whole multi-recipient request with a top-level code
        self.refuse_whole_request = refuse_whole_request
        self.accepted: dict[str, dict[str, Any]] = {}
        self.acceptances: Counter[str] = Counter()
        self.creates: list[Any] = []
        self.lookups: list[str] = []
        self.next_id = 470093225

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/rest")
        if path in ("/sms/create", "/viber/create"):
            return self._create(request, viber=path.startswith("/viber"))
        channel, _, reference = path.strip("/").partition("/reference/")
        assert request.method == "GET", path
        assert channel in ("sms", "viber"), path
        self.lookups.append(request.url.raw_path.decode())
        if self.lookup_status != 200:
            return httpx.Response(self.lookup_status, text="lookup failed")
        message = self.accepted.get(reference)
        if message is None:
            return httpx.Response(200, json={"error": 20, "errorDescription": "SMS not found"})
        return httpx.Response(200, json={"error": 0, "status": "sent", **message})

    def _create(self, request: httpx.Request, *, viber: bool) -> httpx.Response:
        body = json.loads(request.content)
        self.creates.append(body)
        lose = self.lose_answers > 0
        if viber:
            phones = [phone for message in body["messages"] for phone in message["to"]]
        elif body["destination"] == "phone":
            phones = [{"msisdn": body["msisdn"], "reference": body["reference"]}]
        else:
            phones = body["phones"]
        if self.refuse_whole_request and any(p["reference"] in self.accepted for p in phones):
            code = 43 if viber else 23
            return httpx.Response(200, json={"error": code, "errorDescription": "already exists"})
        limit = self.accept_first if lose and self.accept_first is not None else len(phones)
        entries = [self._accept(phone, viber) for phone in phones[:limit]]
        if lose:
            self.lose_answers -= 1
            raise httpx.ReadTimeout("the answer was lost", request=request)
        if self.reverse_entries:
            entries.reverse()
        if not viber and body["destination"] == "phone":
            (entry,) = entries
            if entry["error"] == 23 and self.single_duplicate == "flat":
                return httpx.Response(200, json=entry)
            return httpx.Response(200, json={"result": entry})
        answer: dict[str, Any] = {"result": entries}
        if not viber:
            answer.update(error="0", task_id="21902")
        return httpx.Response(200, json=answer)

    def _accept(self, phone: dict[str, str], viber: bool) -> dict[str, Any]:
        reference = phone["reference"]
        if reference in self.accepted:
            code = 43 if viber else 23
            return {"error": code, "errorDescription": "already exists", "reference": reference}
        self.next_id += 1
        message = {
            "id": str(self.next_id),
            "msisdn": phone["msisdn"],
            "reference": reference,
            "price": "0.023" if viber else "0.02",
            "currency": "EUR",
        }
        self.accepted[reference] = message
        self.acceptances[reference] += 1
        return {"error": 0, **message}

    def receipt(self, reference: str) -> Receipt:
        """The receipt the SDK must report for an accepted reference."""
        message = self.accepted[reference]
        return Receipt(
            id=int(message["id"]),
            reference=reference,
            price=Decimal(message["price"]),
            currency="EUR",
            to=message["msisdn"],
        )


def fake_client(service: Callable[[httpx.Request], httpx.Response], **retry: Any) -> AsyncBSG:
    return AsyncBSG(
        API_KEY,
        base_url=BASE,
        transport=httpx.MockTransport(service),
        retry=RetryPolicy(**{"max_attempts": 3, "base_delay": 0.1, **retry}),
    )


def references_sent(body: dict[str, Any]) -> list[str]:
    if "messages" in body:
        return [phone["reference"] for message in body["messages"] for phone in message["to"]]
    if body["destination"] == "phone":
        return [body["reference"]]
    return [phone["reference"] for phone in body["phones"]]


def assert_each_accepted_once(service: FakeService, references: Sequence[str]) -> None:
    assert dict(service.acceptances) == dict.fromkeys(references, 1)


# -- single send --------------------------------------------------------------------------------


async def test_send_posts_the_documented_single_payload(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(json=SINGLE_ANSWER)

    receipt = await bsg.sms.send(
        to="380501234567", text="test sms", sender="sender", reference="reference_id"
    )

    assert sent_json(route) == {
        "destination": "phone",
        "msisdn": "380501234567",
        "reference": "reference_id",
        "originator": "sender",
        "body": "test sms",
    }
    assert route.calls.last.request.headers["Content-Type"] == "application/json"
    assert receipt == Receipt(
        id=22125,
        reference="reference_id",
        price=Decimal("0.02"),
        currency="EUR",
        to="380501234567",
    )


async def test_send_options_are_sent_as_integers_and_tariff_0_is_kept(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(json=SINGLE_ANSWER)

    await bsg.sms.send(
        to="+380501234567",
        text="test sms",
        sender="sender",
        reference="r1",
        validity=timedelta(hours=24),
        tariff=0,
        two_way=True,
    )

    body = sent_json(route)
    assert body["msisdn"] == "380501234567"  # the leading + is stripped
    assert body["validity"] == 24
    assert body["tariff"] == 0
    assert body["2way"] == 1
    assert all(type(body[key]) is int for key in ("validity", "tariff", "2way"))


async def test_send_leaves_out_options_not_given(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(json=SINGLE_ANSWER)

    await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="r1")

    assert {"validity", "tariff", "2way"}.isdisjoint(sent_json(route))


async def test_send_accepts_the_answer_wrapped_in_result(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(json=SINGLE_ANSWER_WRAPPED)

    receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="ext_id_16")

    assert (receipt.id, receipt.price, receipt.currency) == (213, Decimal("0.23"), "EUR")
    assert receipt.reference == "ext_id_16"
    assert receipt.accepted is True


async def test_send_generates_a_32_hex_reference_when_none_is_given(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(json=SINGLE_ANSWER)

    receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")

    reference = sent_json(route)["reference"]
    assert HEX32.fullmatch(reference)
    assert receipt.reference == reference


async def test_send_raises_the_typed_error_of_a_top_level_code(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(json={"error": 25, "errorDescription": "Incorrect originator"})

    with pytest.raises(InvalidRequestError) as info:
        await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="r1")

    assert (info.value.code, info.value.field) == (25, "sender")
    assert info.value.may_have_been_accepted is False


async def test_send_raises_the_typed_error_of_a_wrapped_entry_code(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(
        json={"result": {"error": 21, "errorDescription": "Incorrect phone", "reference": "r1"}}
    )

    with pytest.raises(InvalidRequestError) as info:
        await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="r1")

    assert (info.value.code, info.value.field) == (21, "to")


async def test_send_with_an_undecodable_answer_may_have_been_accepted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(json={"error": 0, "id": "not-a-number", "price": "0.02"})

    with pytest.raises(UnexpectedResponseError) as info:
        await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="r1")

    assert info.value.may_have_been_accepted is True
    assert info.value.field == "$.id"


async def test_send_refuses_bad_input_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE)

    for kwargs, field in [
        ({"to": "12 34"}, "to"),
        ({"reference": "a/b"}, "reference"),
        ({"sender": ""}, "sender"),
        ({"text": " "}, "text"),
        ({"validity": timedelta(hours=73)}, "validity"),
        ({"tariff": 10}, "tariff"),
        ({"two_way": 1}, "two_way"),
    ]:
        arguments: dict[str, Any] = {
            "to": "380501234567",
            "text": "Hi",
            "sender": "Shop",
            **kwargs,
        }
        with pytest.raises(InvalidParameterError) as info:
            await bsg.sms.send(**arguments)
        assert info.value.field == field

    assert not route.called


# -- bulk and individual ------------------------------------------------------------------------


async def test_send_bulk_posts_the_documented_phones_payload(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(json=BULK_ANSWER)

    result = await bsg.sms.send_bulk(
        to=[Recipient("380972000001", "12erdgm9"), Recipient("380972000002", "12erdgn0")],
        text="test sms",
        sender="test",
        validity=timedelta(hours=72),
        tariff=9,
    )

    assert sent_json(route) == {
        "destination": "phones",
        "phones": [
            {"msisdn": "380972000001", "reference": "12erdgm9"},
            {"msisdn": "380972000002", "reference": "12erdgn0"},
        ],
        "originator": "test",
        "body": "test sms",
        "validity": 72,
        "tariff": 9,
    }
    assert [(e.id, e.reference) for e in result.accepted] == [
        (12345, "12erdgm9"),
        (12346, "12erdgn0"),
    ]
    assert all(e.price == Decimal("0.02") and e.currency == "EUR" for e in result.accepted)
    assert result.task_id == 21902
    assert len(result) == 2


async def test_send_bulk_fixes_references_for_plain_numbers_and_keeps_tariff_0(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        phones = json.loads(request.content)["phones"]
        entries = [
            {"reference": p["reference"], "id": str(i), "error": 0, "price": "0.02"}
            for i, p in enumerate(phones, 1)
        ]
        return httpx.Response(200, json={"result": entries, "error": 0, "task_id": 5})

    route = respx_mock.post(CREATE).mock(side_effect=answer)

    result = await bsg.sms.send_bulk(
        to=["380972000001", Recipient("380972000002", reference="r2")],
        text="Sale",
        sender="Shop",
        validity=timedelta(hours=24),
        tariff=0,
        two_way=True,
    )

    body = sent_json(route)
    first, second = body["phones"]
    assert HEX32.fullmatch(first["reference"])
    assert second["reference"] == "r2"
    assert (body["validity"], body["tariff"], body["2way"]) == (24, 0, 1)
    assert [e.reference for e in result] == [first["reference"], "r2"]


async def test_send_bulk_keeps_request_order_when_the_answer_is_reordered(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    entries = [
        {"reference": f"r{i}", "id": str(100 + i), "error": 0, "price": "0.02"} for i in range(5)
    ]
    respx_mock.post(CREATE).respond(
        json={"result": entries[::-1], "error": 0, "task_id": 1, "currency": "EUR"}
    )

    result = await bsg.sms.send_bulk(
        to=[Recipient(f"38097200000{i}", f"r{i}") for i in range(5)], text="x", sender="Shop"
    )

    assert [(e.reference, e.id) for e in result.accepted] == [(f"r{i}", 100 + i) for i in range(5)]
    assert all(e.currency == "EUR" for e in result.accepted)  # the top-level currency


async def test_send_bulk_per_recipient_rejections_are_values_not_exceptions(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(
        json={
            "result": [
                {"reference": "r1", "id": "1", "error": 0, "price": "0.02", "currency": "EUR"},
                {"reference": "r2", "error": 21, "errorDescription": "Incorrect phone number"},
                {"reference": "r3", "error": "31", "errorDescription": "Phone already listed"},
            ],
            "error": 0,
            "task_id": "7",
        }
    )
    lookup = respx_mock.get(url__startswith=f"{BASE}/sms/reference/")

    result = await bsg.sms.send_bulk(
        to=[
            Recipient("380972000001", "r1"),
            Recipient("380972000002", "r2"),
            Recipient("380972000003", "r3"),
        ],
        text="x",
        sender="Shop",
    )

    accepted, rejected, duplicate = result.entries
    assert isinstance(accepted, Receipt)
    assert accepted.id == 1
    assert isinstance(rejected, Rejection)
    assert rejected.accepted is False
    assert isinstance(rejected.error, InvalidRequestError)
    assert (rejected.reference, rejected.to) == ("r2", "380972000002")
    assert (rejected.error.code, rejected.error.field) == (21, "to")
    assert rejected.error.description == "Incorrect phone number"
    assert rejected.error.http_status is None
    assert isinstance(duplicate, Rejection)
    assert isinstance(duplicate.error, DuplicateRecipientError)
    assert result.rejected == (rejected, duplicate)
    assert not lookup.called


async def test_send_bulk_raises_a_top_level_error(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(json={"error": 25, "errorDescription": "Incorrect originator"})

    with pytest.raises(InvalidRequestError) as info:
        await bsg.sms.send_bulk(to=["380972000001"], text="x", sender="Shop")

    assert info.value.code == 25
    assert info.value.may_have_been_accepted is False


async def test_send_bulk_reads_back_a_recipient_the_answer_forgot(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(
        json={"result": [{"reference": "r1", "id": "1", "error": 0, "price": "0.02"}], "error": 0}
    )
    lookup = respx_mock.get(f"{BASE}/sms/reference/r2").respond(
        json={**STATUS_ANSWER, "id": "2", "reference": "r2", "price": "0.03"}
    )

    result = await bsg.sms.send_bulk(
        to=[Recipient("380972000001", "r1"), Recipient("380972000002", "r2")],
        text="x",
        sender="Shop",
    )

    assert [(e.reference, e.id) for e in result.accepted] == [("r1", 1), ("r2", 2)]
    assert result.accepted[1].price == Decimal("0.03")
    assert lookup.call_count == 1


async def test_send_bulk_entries_without_reference_are_matched_by_position(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(
        json={
            "result": [
                {"id": "1", "error": 0, "price": "0.02"},
                {"error": 21, "errorDescription": "Incorrect phone number"},
            ],
            "error": 0,
        }
    )

    result = await bsg.sms.send_bulk(
        to=[Recipient("380972000001", "r1"), Recipient("380972000002", "r2")],
        text="x",
        sender="Shop",
    )

    first, second = result.entries
    assert isinstance(first, Receipt)
    assert (first.reference, first.id) == ("r1", 1)
    assert isinstance(second, Rejection)
    assert second.reference == "r2"


async def test_send_bulk_refuses_duplicate_references_and_empty_lists(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE)

    with pytest.raises(InvalidParameterError) as info:
        await bsg.sms.send_bulk(
            to=[Recipient("380972000001", "same"), Recipient("380972000002", "same")],
            text="x",
            sender="Shop",
        )
    assert (info.value.field, info.value.value) == ("reference", "same")
    with pytest.raises(InvalidParameterError) as empty:
        await bsg.sms.send_bulk(to=[], text="x", sender="Shop")
    assert empty.value.field == "to"
    assert not route.called


async def test_send_bulk_accepts_a_single_recipient_not_in_a_list(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(
        json={"result": [{"reference": "r1", "id": "1", "error": 0, "price": "0.02"}], "error": 0}
    )

    result = await bsg.sms.send_bulk(to=Recipient("380972000001", "r1"), text="x", sender="Shop")

    assert sent_json(route)["phones"] == [{"msisdn": "380972000001", "reference": "r1"}]
    assert len(result) == 1


async def test_send_individual_posts_the_documented_payload_and_reads_totalprice(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(json=INDIVIDUAL_ANSWER)

    result = await bsg.sms.send_individual(
        [
            SmsMessage("380972000001", "test sms1", "test1", "12erdgm9"),
            SmsMessage("380972000002", "test sms2", "test2", "12erdgn0"),
        ],
        validity=timedelta(hours=72),
        tariff=9,
    )

    assert sent_json(route) == {
        "destination": "individual",
        "validity": 72,
        "tariff": 9,
        "phones": [
            {
                "originator": "test1",
                "body": "test sms1",
                "msisdn": "380972000001",
                "reference": "12erdgm9",
            },
            {
                "originator": "test2",
                "body": "test sms2",
                "msisdn": "380972000002",
                "reference": "12erdgn0",
            },
        ],
    }
    assert result.total_price == Decimal("0.04")
    assert result.currency == "EUR"
    assert result.task_id is None
    assert [e.id for e in result.accepted] == [12345, 12346]


async def test_send_individual_reads_total_price_spelled_with_underscore(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(json={**BULK_ANSWER, "total_price": 0.04, "currency": "EUR"})

    result = await bsg.sms.send_individual(
        [
            SmsMessage("380972000001", "a", "Shop", "12erdgm9"),
            SmsMessage("380972000002", "b", "Shop", "12erdgn0"),
        ]
    )

    assert result.total_price == Decimal("0.04")


async def test_send_individual_generates_missing_references(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        phones = json.loads(request.content)["phones"]
        entries = [
            {"reference": p["reference"], "id": "9", "error": 0, "price": "0.02"} for p in phones
        ]
        return httpx.Response(200, json={"result": entries, "error": 0})

    route = respx_mock.post(CREATE).mock(side_effect=answer)

    result = await bsg.sms.send_individual([SmsMessage("380972000001", "a", "Shop")])

    (phone,) = sent_json(route)["phones"]
    assert HEX32.fullmatch(phone["reference"])
    assert result.entries[0].reference == phone["reference"]


async def test_send_individual_refuses_bad_input_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE)

    with pytest.raises(InvalidParameterError) as not_a_message:
        await bsg.sms.send_individual(["380972000001"])  # type: ignore[list-item]
    with pytest.raises(InvalidParameterError) as empty:
        await bsg.sms.send_individual([])
    with pytest.raises(InvalidParameterError) as twice:
        await bsg.sms.send_individual(
            [SmsMessage("380972000001", "a", "S", "x"), SmsMessage("380972000002", "b", "S", "x")]
        )

    assert not_a_message.value.field == "messages[0]"
    assert empty.value.field == "messages"
    assert twice.value.field == "reference"
    assert not route.called


# -- status reads -------------------------------------------------------------------------------


async def test_get_reads_the_documented_status(bsg: AsyncBSG, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(f"{BASE}/sms/211").respond(json=STATUS_ANSWER)

    report = await bsg.sms.get(211)

    assert route.calls.last.request.method == "GET"
    assert report.id == 211
    assert report.to == "380972000001"
    assert report.reference == "ext_id_19"
    assert report.status is SmsStatus.DELIVERED
    assert report.time_in == report.time_sent == report.time_dr == datetime(2017, 1, 17, 9, 11, 41)
    assert report.price == Decimal("0.23")
    assert report.currency == "EUR"


async def test_get_by_reference_uses_the_reference_path(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{BASE}/sms/reference/ext_id-19").respond(json=STATUS_ANSWER)

    report = await bsg.sms.get_by_reference("ext_id-19")

    assert route.calls.last.request.url.raw_path == b"/rest/sms/reference/ext_id-19"
    assert report.id == 211


@pytest.mark.parametrize("reference", ["a/b", "a b", "ä", "?x", "", "x" * 33])
async def test_get_by_reference_refuses_a_reference_that_would_need_escaping(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, reference: str
) -> None:
    with pytest.raises(InvalidParameterError) as info:
        await bsg.sms.get_by_reference(reference)

    assert info.value.field == "reference"
    assert not respx_mock.calls


async def test_get_task_uses_the_task_path_and_reads_the_counters(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{BASE}/sms/task/21902").respond(json=TASK_ANSWER)

    task = await bsg.sms.get_task(21902)

    assert (task.sender, task.text, task.validity) == (
        "alpha_name",
        "message text",
        timedelta(hours=72),
    )
    assert task.total_price == Decimal("0.23")
    assert task.currency == "EUR"
    assert (task.sent, task.delivered, task.expired, task.undeliverable, task.unknown) == (
        1,
        1,
        0,
        0,
        0,
    )


async def test_get_task_accepts_validity_as_a_string(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{BASE}/sms/task/1").respond(json={**TASK_ANSWER, "validity": "24"})

    assert (await bsg.sms.get_task(1)).validity == timedelta(hours=24)


@pytest.mark.parametrize(
    ("call", "url", "answer"),
    [
        ("get", f"{BASE}/sms/211", {"error": 20, "errorDescription": "SMS not found"}),
        (
            "get_by_reference",
            f"{BASE}/sms/reference/ext_id_19",
            {"error": 20, "errorDescription": "SMS not found"},
        ),
        ("get_task", f"{BASE}/sms/task/211", {"error": 30, "errorDescription": "Task not found"}),
    ],
)
async def test_reads_raise_not_found(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, call: str, url: str, answer: dict[str, Any]
) -> None:
    respx_mock.get(url).respond(json=answer)
    argument: int | str = "ext_id_19" if call == "get_by_reference" else 211

    with pytest.raises(NotFoundError) as info:
        await getattr(bsg.sms, call)(argument)

    assert info.value.code == answer["error"]


@pytest.mark.parametrize("bad", [0, -1, "211", True, 2.0, None])
async def test_reads_refuse_a_bad_id_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, bad: Any
) -> None:
    with pytest.raises(InvalidParameterError) as by_id:
        await bsg.sms.get(bad)
    with pytest.raises(InvalidParameterError) as by_task:
        await bsg.sms.get_task(bad)

    assert (by_id.value.field, by_task.value.field) == ("id", "task_id")
    assert not respx_mock.calls


async def test_get_decodes_a_large_id_and_a_not_yet_time(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{BASE}/sms/3266500452").respond(
        json={**STATUS_ANSWER, "id": "3266500452", "time_dr": "0000-00-00 00:00:00"}
    )

    report = await bsg.sms.get(3266500452)

    assert report.id == 3266500452
    assert report.time_dr is None


# -- the send-retry rule ------------------------------------------------------------------------


@pytest.mark.parametrize("duplicate_shape", ["flat", "wrapped"])
async def test_single_send_lost_answer_then_23_is_read_back_as_one_receipt(
    duplicate_shape: str,
) -> None:
    service = FakeService(lose_answers=1, single_duplicate=duplicate_shape)

    async with fake_client(service) as bsg:
        receipt = await bsg.sms.send(
            to="380501234567", text="Hi", sender="Shop", reference="order42"
        )

    assert receipt == service.receipt("order42")
    assert receipt.id == 470093226
    assert receipt.price == Decimal("0.02")
    assert_each_accepted_once(service, ["order42"])
    assert len(service.creates) == 2
    assert service.lookups == ["/rest/sms/reference/order42"]


async def test_single_send_23_on_the_first_attempt_stays_a_duplicate_reference_error() -> None:
    service = FakeService()
    service.accepted["order42"] = {"id": "1", "msisdn": "380501234567", "reference": "order42"}

    async with fake_client(service) as bsg:
        with pytest.raises(DuplicateReferenceError) as info:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="order42")

    assert info.value.code == 23
    assert info.value.may_have_been_accepted is False
    assert service.lookups == []
    assert len(service.creates) == 1


async def test_single_send_wrapped_23_on_the_first_attempt_stays_a_duplicate_error() -> None:
    service = FakeService(single_duplicate="wrapped")
    service.accepted["order42"] = {"id": "1", "msisdn": "380501234567", "reference": "order42"}

    async with fake_client(service) as bsg:
        with pytest.raises(DuplicateReferenceError) as info:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="order42")

    assert info.value.may_have_been_accepted is False
    assert service.lookups == []


@pytest.mark.parametrize("destination", ["phones", "individual"])
async def test_bulk_lost_answer_then_23_for_all_resolves_every_entry_in_order(
    destination: str,
) -> None:
    service = FakeService(lose_answers=1, reverse_entries=True)
    references = [f"ref{i}" for i in range(6)]
    numbers = [f"38097200000{i}" for i in range(6)]

    async with fake_client(service) as bsg:
        if destination == "phones":
            result = await bsg.sms.send_bulk(
                to=[Recipient(n, r) for n, r in zip(numbers, references, strict=True)],
                text="x",
                sender="S",
            )
        else:
            result = await bsg.sms.send_individual(
                [SmsMessage(n, "x", "S", r) for n, r in zip(numbers, references, strict=True)]
            )

    assert list(result.entries) == [service.receipt(r) for r in references]
    assert_each_accepted_once(service, references)
    assert sorted(service.lookups) == sorted(f"/rest/sms/reference/{r}" for r in references)


async def test_bulk_partly_processed_attempt_mixes_new_receipts_and_read_back_ones() -> None:
    service = FakeService(lose_answers=1, accept_first=2)
    references = ["a1", "a2", "a3", "a4"]

    async with fake_client(service) as bsg:
        result = await bsg.sms.send_bulk(
            to=[Recipient(f"38097200000{i}", r) for i, r in enumerate(references)],
            text="x",
            sender="S",
        )

    assert list(result.entries) == [service.receipt(r) for r in references]
    assert_each_accepted_once(service, references)
    assert sorted(service.lookups) == ["/rest/sms/reference/a1", "/rest/sms/reference/a2"]
    assert result.task_id == 21902


async def test_bulk_23_on_the_first_attempt_is_a_rejection_without_lookup() -> None:
    service = FakeService()
    service.accepted["old"] = {"id": "1", "msisdn": "380972000001", "reference": "old"}

    async with fake_client(service) as bsg:
        result = await bsg.sms.send_bulk(
            to=[Recipient("380972000001", "old"), Recipient("380972000002", "new")],
            text="x",
            sender="S",
        )

    duplicate, fresh = result.entries
    assert isinstance(duplicate, Rejection)
    assert isinstance(duplicate.error, DuplicateReferenceError)
    assert duplicate.error.code == 23
    assert duplicate.error.may_have_been_accepted is False
    assert fresh == service.receipt("new")
    assert service.lookups == []


async def test_retries_exhausted_after_lost_answers_may_have_been_accepted() -> None:
    service = FakeService(lose_answers=3)

    async with fake_client(service) as bsg:
        with pytest.raises(RequestTimeoutError) as info:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="r")

    assert info.value.may_have_been_accepted is True
    assert isinstance(info.value.__cause__, httpx.ReadTimeout)
    assert_each_accepted_once(service, ["r"])


async def test_connect_errors_only_were_never_accepted() -> None:
    calls = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("connection refused", request=request)

    async with fake_client(refuse) as bsg:
        with pytest.raises(TransportError) as info:
            await bsg.sms.send_bulk(to=["380972000001"], text="x", sender="S")

    assert calls == 3
    assert info.value.may_have_been_accepted is False


async def test_throttled_sends_were_never_accepted() -> None:
    def throttle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"error": 11, "errorDescription": "Too many messages"})

    async with fake_client(throttle) as bsg:
        with pytest.raises(RateLimitError) as info:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")

    assert info.value.code == 11
    assert info.value.may_have_been_accepted is False


async def test_a_5xx_then_a_refusal_may_have_been_accepted() -> None:
    answers = iter(
        [
            httpx.Response(502, text="Bad Gateway"),
            httpx.Response(400, json={"error": 24, "errorDescription": "Invalid payload"}),
        ]
    )

    async with fake_client(lambda request: next(answers)) as bsg:
        with pytest.raises(InvalidRequestError) as info:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")

    assert info.value.code == 24
    assert info.value.may_have_been_accepted is True


async def test_5xx_until_exhausted_may_have_been_accepted() -> None:
    async with fake_client(lambda request: httpx.Response(503)) as bsg:
        with pytest.raises(ServerError) as info:
            await bsg.sms.send_bulk(to=["380972000001"], text="x", sender="S")

    assert info.value.may_have_been_accepted is True


async def test_a_connect_error_then_a_refusal_was_never_accepted() -> None:
    answers: list[Any] = [httpx.ConnectError("refused"), httpx.Response(200, json={"error": 25})]

    def handler(request: httpx.Request) -> httpx.Response:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async with fake_client(handler) as bsg:
        with pytest.raises(InvalidRequestError) as info:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")

    assert info.value.may_have_been_accepted is False


@pytest.mark.parametrize("call", ["send", "send_bulk", "send_individual"])
async def test_generated_references_are_32_hex_and_the_same_in_every_attempt(call: str) -> None:
    service = FakeService(lose_answers=2)

    async with fake_client(service) as bsg:
        if call == "send":
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
        elif call == "send_bulk":
            await bsg.sms.send_bulk(to=["380972000001", "380972000002"], text="x", sender="S")
        else:
            await bsg.sms.send_individual(
                [SmsMessage("380972000001", "a", "S"), SmsMessage("380972000002", "b", "S")]
            )

    first, *others = [references_sent(body) for body in service.creates]
    assert len(others) == 2
    assert all(sent == first for sent in others)
    assert all(HEX32.fullmatch(reference) for reference in first)
    assert len(set(first)) == len(first)
    assert_each_accepted_once(service, first)


async def test_single_send_lookup_failing_during_recovery_raises_may_have_been_accepted() -> None:
    service = FakeService(lose_answers=1, lookup_status=500)

    async with fake_client(service) as bsg:
        with pytest.raises(DuplicateReferenceError) as info:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="r")

    assert info.value.may_have_been_accepted is True
    assert isinstance(info.value.__cause__, ServerError)
    assert len(service.lookups) == 3  # the lookup itself was retried
    assert_each_accepted_once(service, ["r"])


async def test_bulk_lookup_failing_during_recovery_gives_rejections_that_may_be_accepted() -> None:
    service = FakeService(lose_answers=1, lookup_status=404)

    async with fake_client(service) as bsg:
        result = await bsg.sms.send_bulk(
            to=[Recipient("380972000001", "r1"), Recipient("380972000002", "r2")],
            text="x",
            sender="S",
        )

    assert [e.reference for e in result.entries] == ["r1", "r2"]
    for entry in result.entries:
        assert isinstance(entry, Rejection)
        assert isinstance(entry.error, DuplicateReferenceError)
        assert entry.error.may_have_been_accepted is True
        assert isinstance(entry.error.__cause__, NotFoundError)


async def test_bulk_entry_accepted_without_id_is_read_back() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={**STATUS_ANSWER, "id": "77", "reference": "r1"})
        return httpx.Response(200, json={"result": [{"reference": "r1", "error": 0}], "error": 0})

    async with fake_client(answer) as bsg:
        result = await bsg.sms.send_bulk(to=[Recipient("380972000001", "r1")], text="x", sender="S")

    (entry,) = result.entries
    assert isinstance(entry, Receipt)
    assert entry.id == 77
    assert entry.price == Decimal("0.23")


# -- an acceptance states its price: one without is read back by reference ----------------------

PRICELESS = {"error": 0, "currency": "EUR"}  # an acceptance that does not state its price


def status_of(reference: str, id_: int, price: float | None) -> dict[str, Any]:
    """The status answer for `reference`; `price=None`: the status does not state one."""
    status = {**STATUS_ANSWER, "id": str(id_), "reference": reference}
    if price is None:
        del status["price"]
    else:
        status["price"] = price
    return status


def assert_fate_unknown_for_want_of_a_price(error: BaseException) -> None:
    """The send's error, fate unknown, chained to the status read that states no price."""
    assert isinstance(error, APIError)
    assert error.may_have_been_accepted is True
    assert "without stating its price" in str(error)
    cause = error.__cause__
    assert isinstance(cause, UnexpectedResponseError)
    assert cause.field == "$.price"
    assert "states no price" in str(cause)


async def test_single_send_accepted_without_a_price_is_read_back_by_reference(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    create = respx_mock.post(CREATE).respond(json={**PRICELESS, "id": "22125", "reference": "r1"})
    status = respx_mock.get(f"{BASE}/sms/reference/r1").respond(json=status_of("r1", 22125, 0.23))

    receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="r1")

    assert receipt == Receipt(22125, "r1", Decimal("0.23"), "EUR", "380501234567")
    assert create.call_count == 1  # read back, never sent again
    assert status.call_count == 1


async def test_single_send_whose_status_states_no_price_either_raises_with_fate_unknown(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    create = respx_mock.post(CREATE).respond(json={**PRICELESS, "id": "22125", "reference": "r1"})
    respx_mock.get(f"{BASE}/sms/reference/r1").respond(json=status_of("r1", 22125, None))

    with pytest.raises(APIError) as info:
        await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="r1")

    assert_fate_unknown_for_want_of_a_price(info.value)
    assert create.call_count == 1


async def test_bulk_entries_accepted_without_a_price_are_read_back_by_reference(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    entries = [
        {**PRICELESS, "id": "11", "reference": "r1"},  # the status states the price
        {**PRICELESS, "id": "12", "reference": "r2"},  # the status does not either
        {**PRICELESS, "id": "13", "reference": "r3", "price": "0.02"},
    ]
    respx_mock.post(CREATE).respond(json={"result": entries, "error": 0, "task_id": "7"})
    respx_mock.get(f"{BASE}/sms/reference/r1").respond(json=status_of("r1", 11, 0.23))
    respx_mock.get(f"{BASE}/sms/reference/r2").respond(json=status_of("r2", 12, None))
    to = [Recipient(f"38097200000{n}", f"r{n}") for n in (1, 2, 3)]

    result = await bsg.sms.send_bulk(to=to, text="x", sender="S")

    first, second, third = result.entries
    assert first == Receipt(11, "r1", Decimal("0.23"), "EUR", "380972000001")
    assert isinstance(second, Rejection)
    assert second.reference == "r2"
    assert_fate_unknown_for_want_of_a_price(second.error)
    assert third == Receipt(13, "r3", Decimal("0.02"), "EUR", "380972000003")
    assert [receipt.price * 2 for receipt in result.accepted] == [Decimal("0.46"), Decimal("0.04")]


async def test_send_many_reads_back_recipients_accepted_without_a_price(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    entries = [
        {**PRICELESS, "id": "11", "reference": "r1", "price": "0.02"},
        {**PRICELESS, "id": "12", "reference": "r2"},  # the status states the price
        {**PRICELESS, "id": "13", "reference": "r3"},  # the status does not either
    ]
    create = respx_mock.post(CREATE).respond(json={"result": entries, "error": 0})
    respx_mock.get(f"{BASE}/sms/reference/r2").respond(json=status_of("r2", 12, 0.23))
    respx_mock.get(f"{BASE}/sms/reference/r3").respond(json=status_of("r3", 13, None))
    to = [Recipient(f"38097200000{n}", f"r{n}") for n in (1, 2, 3)]

    report = await bsg.sms.send_many(to=to, text="x", sender="S")

    first, second, third = report.outcomes
    assert isinstance(first, Sent) and isinstance(second, Sent)
    assert (first.id, first.price, first.currency) == (11, Decimal("0.02"), "EUR")
    assert (second.id, second.price, second.currency) == (12, Decimal("0.23"), "EUR")
    assert isinstance(third, Failed)
    assert third.reference == "r3" and third.may_have_been_accepted is True
    assert_fate_unknown_for_want_of_a_price(third.error)
    assert create.call_count == 1  # read back, never sent again


async def test_bulk_undecodable_answer_may_have_been_accepted(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(json={"result": "nope", "error": 0})

    with pytest.raises(UnexpectedResponseError) as info:
        await bsg.sms.send_bulk(to=["380972000001"], text="x", sender="S")

    assert info.value.may_have_been_accepted is True


@pytest.mark.parametrize("destination", ["phones", "individual"])
async def test_bulk_lost_answer_then_a_top_level_23_reads_every_recipient_back(
    destination: str,
) -> None:
    service = FakeService(lose_answers=1, accept_first=2, refuse_whole_request=True)
    references = ["t1", "t2", "t3"]
    numbers = ["380972000001", "380972000002", "380972000003"]

    async with fake_client(service) as bsg:
        if destination == "phones":
            result = await bsg.sms.send_bulk(
                to=[Recipient(n, r) for n, r in zip(numbers, references, strict=True)],
                text="x",
                sender="S",
            )
        else:
            result = await bsg.sms.send_individual(
                [SmsMessage(n, "x", "S", r) for n, r in zip(numbers, references, strict=True)]
            )

    first, second, third = result.entries
    assert [first, second] == [service.receipt("t1"), service.receipt("t2")]
    assert isinstance(third, Rejection)
    assert third.reference == "t3"
    assert isinstance(third.error, DuplicateReferenceError)
    assert third.error.may_have_been_accepted is True  # the caller may resend it safely
    assert isinstance(third.error.__cause__, NotFoundError)
    assert_each_accepted_once(service, ["t1", "t2"])
    assert sorted(service.lookups) == [f"/rest/sms/reference/{r}" for r in references]


async def test_bulk_top_level_23_on_the_first_attempt_raises_without_lookup() -> None:
    service = FakeService(refuse_whole_request=True)
    service.accepted["t1"] = {"id": "1", "msisdn": "380972000001", "reference": "t1"}

    async with fake_client(service) as bsg:
        with pytest.raises(DuplicateReferenceError) as info:
            await bsg.sms.send_bulk(to=[Recipient("380972000001", "t1")], text="x", sender="S")

    assert info.value.may_have_been_accepted is False
    assert service.lookups == []
