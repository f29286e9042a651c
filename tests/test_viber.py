"""`bsg.viber`: the documented payloads and answers, fallback entries, and the send-retry rule."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    DuplicateReferenceError,
    FallbackSms,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    Receipt,
    Recipient,
    Rejection,
    RequestTimeoutError,
    SenderNotAllowedError,
    SmsFallback,
    SmsStatus,
    TransportError,
    ViberMessage,
    ViberStatus,
)

from .conftest import BASE
from .test_sms import FakeService, assert_each_accepted_once, fake_client, references_sent

CREATE = f"{BASE}/viber/create"
HEX32 = re.compile(r"[0-9a-f]{32}")

CREATE_ANSWER = {
    "result": [
        {
            "error": 0,
            "errorDescription": "No errors",
            "reference": "ext_id_19",
            "id": "217",
            "price": 0.23,
            "currency": "EUR",
        }
    ],
    "currency": "EUR",
    "total_price": 0.23,
}
DUPLICATE_ANSWER = {
    "result": [
        {"error": 43, "errorDescription": "External ID already exists", "reference": "ext_id_19"}
    ]
}
STATUS_ANSWER = {
    "error": 0,
    "errorDescription": "No errors",
    "id": "470093225",
    "msisdn": "380972920000",
    "reference": "ext_id_19",
    "time_in": "2017-01-17 09:20:02",
    "time_sent": "2017-01-17 09:20:02",
    "time_dr": "2017-01-17 09:20:02",
    "status": "undeliverable",
    "price": 0.00,
    "currency": "EUR",
    "alt_route": [{"channel": "sms", "id": "470094225", "status": "delivered", "price": "0.023"}],
}


def documented_message(**changes: Any) -> ViberMessage:
    """The message of the documented create request (bsg-api.md 4.1)."""
    fields: dict[str, Any] = {
        "to": [Recipient("380972920000", reference="ext_id_19")],
        "text": "My Viber messages is shinier than your SMS messages",
        "sender": "BSG",
        "is_promotional": False,
        "image_url": "http://mysite.com/logo.png",
        "button_caption": "See Details",
        "button_url": "http://mysite.com/",
        "sms_fallback": SmsFallback(
            sender="BSG", text="SMS message will be received if you not a VIBER user."
        ),
    }
    return ViberMessage(**{**fields, **changes})


def sent_json(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


# -- create -------------------------------------------------------------------------------------


async def test_send_posts_the_documented_payload_with_alt_route_inside_options_viber(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(json=CREATE_ANSWER)

    await bsg.viber.send_messages(
        [documented_message()], validity=timedelta(seconds=3600), tariff=0
    )

    assert sent_json(route) == {
        "tariff": 0,
        "validity": 3600,
        "messages": [
            {
                "to": [{"msisdn": "380972920000", "reference": "ext_id_19"}],
                "text": "My Viber messages is shinier than your SMS messages",
                "alpha_name": "BSG",
                "is_promotional": False,
                "options": {
                    "viber": {
                        "img": "http://mysite.com/logo.png",
                        "caption": "See Details",
                        "action": "http://mysite.com/",
                        "alt_route": {
                            "originator": "BSG",
                            "text": "SMS message will be received if you not a VIBER user.",
                        },
                    }
                },
            }
        ],
    }


async def test_send_to_one_phone_posts_one_message_and_returns_its_receipt(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(json=CREATE_ANSWER)

    receipt = await bsg.viber.send(
        to="+380972920000",
        text="Hi",
        sender="BSG",
        reference="ext_id_19",
        sms_fallback=SmsFallback(text="Hi by SMS", sender="BSG"),
        validity=timedelta(minutes=5),
    )

    assert receipt == Receipt(
        id=217, reference="ext_id_19", price=Decimal("0.23"), currency="EUR", to="380972920000"
    )
    assert sent_json(route) == {
        "validity": 300,
        "messages": [
            {
                "to": [{"msisdn": "380972920000", "reference": "ext_id_19"}],
                "text": "Hi",
                "alpha_name": "BSG",
                "is_promotional": False,
                "options": {"viber": {"alt_route": {"originator": "BSG", "text": "Hi by SMS"}}},
            }
        ],
    }


async def test_send_to_one_phone_raises_the_recipients_refusal(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(
        json={"result": [{"error": 45, "errorDescription": "Sender not registered"}]}
    )

    with pytest.raises(SenderNotAllowedError) as caught:
        await bsg.viber.send(to="380972920000", text="Hi", sender="Nobody")

    assert (caught.value.code, caught.value.field) == (45, "sender")


async def test_send_is_promotional_is_a_json_boolean_and_plain_messages_have_no_options(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(json=CREATE_ANSWER)

    await bsg.viber.send_messages(
        [
            ViberMessage(
                to=[Recipient("380972920000", "ext_id_19")],
                text="Hi",
                sender="BSG",
                is_promotional=True,
            )
        ]
    )

    (message,) = sent_json(route)["messages"]
    assert message["is_promotional"] is True
    assert "options" not in message
    assert {"validity", "tariff"}.isdisjoint(sent_json(route))


async def test_send_with_only_a_fallback_puts_it_inside_options_viber(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE).respond(json=CREATE_ANSWER)

    await bsg.viber.send_messages(
        documented_message(image_url=None, button_caption=None, button_url=None),
        validity=timedelta(seconds=15),
    )

    body = sent_json(route)
    assert body["validity"] == 15
    assert type(body["validity"]) is int
    assert body["messages"][0]["options"] == {
        "viber": {
            "alt_route": {
                "originator": "BSG",
                "text": "SMS message will be received if you not a VIBER user.",
            }
        }
    }
    assert "alt_route" not in body["messages"][0]


async def test_send_returns_receipts_and_totals(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(json=CREATE_ANSWER)

    result = await bsg.viber.send_messages([documented_message()])

    assert list(result) == [
        Receipt(
            id=217,
            reference="ext_id_19",
            price=Decimal("0.23"),
            currency="EUR",
            to="380972920000",
        )
    ]
    assert result.total_price == Decimal("0.23")
    assert result.currency == "EUR"
    assert result.task_id is None


async def test_send_orders_entries_as_requested_across_messages(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    entries = [
        {"error": 0, "reference": ref, "id": str(i), "price": "0.1", "currency": "EUR"}
        for i, ref in enumerate(["a", "b", "c"], 1)
    ]
    respx_mock.post(CREATE).respond(json={"result": [entries[2], entries[0], entries[1]]})

    result = await bsg.viber.send_messages(
        [
            ViberMessage(
                to=[Recipient("380972920001", "a"), Recipient("380972920002", "b")],
                text="one",
                sender="BSG",
            ),
            ViberMessage(to=[Recipient("380972920003", "c")], text="two", sender="BSG"),
        ]
    )

    assert [(e.reference, e.id) for e in result.accepted] == [("a", 1), ("b", 2), ("c", 3)]


async def test_send_per_recipient_rejections_never_raise(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(
        json={
            "result": [
                {"error": 41, "errorDescription": "Invalid phone number", "reference": "a"},
                {"error": 0, "reference": "b", "id": "2", "price": 0.23, "currency": "EUR"},
                {"error": 45, "errorDescription": "Sender not registered", "reference": "c"},
            ]
        }
    )
    lookup = respx_mock.get(url__startswith=f"{BASE}/viber/reference/")

    result = await bsg.viber.send_messages(
        ViberMessage(
            to=[
                Recipient("380972920001", "a"),
                Recipient("380972920002", "b"),
                Recipient("380972920003", "c"),
            ],
            text="Hi",
            sender="BSG",
        )
    )

    bad_phone, accepted, bad_sender = result.entries
    assert isinstance(bad_phone, Rejection)
    assert isinstance(bad_phone.error, InvalidRequestError)
    assert (bad_phone.error.code, bad_phone.error.field) == (41, "to")
    assert isinstance(accepted, Receipt)
    assert accepted.id == 2
    assert isinstance(bad_sender, Rejection)
    assert isinstance(bad_sender.error, SenderNotAllowedError)
    assert bad_sender.error.code == 45
    assert result.total_price is None
    assert not lookup.called


async def test_send_a_43_on_the_first_attempt_is_a_rejection_without_lookup(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(CREATE).respond(json=DUPLICATE_ANSWER)
    lookup = respx_mock.get(url__startswith=f"{BASE}/viber/reference/")

    result = await bsg.viber.send_messages([documented_message()])

    (entry,) = result.entries
    assert isinstance(entry, Rejection)
    assert entry.reference == "ext_id_19"
    assert isinstance(entry.error, DuplicateReferenceError)
    assert entry.error.code == 43
    assert entry.error.may_have_been_accepted is False
    assert entry.error.description == "External ID already exists"
    assert not lookup.called


async def test_send_raises_a_top_level_error(bsg: AsyncBSG, respx_mock: respx.MockRouter) -> None:
    respx_mock.post(CREATE).respond(json={"error": 48, "errorDescription": "Invalid validity"})

    with pytest.raises(InvalidRequestError) as info:
        await bsg.viber.send_messages([documented_message()])

    assert (info.value.code, info.value.field) == (48, "validity")


async def test_send_generates_references_for_plain_numbers(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        to = json.loads(request.content)["messages"][0]["to"]
        entries = [{"error": 0, "reference": t["reference"], "id": "5", "price": 0.23} for t in to]
        return httpx.Response(200, json={"result": entries})

    route = respx_mock.post(CREATE).mock(side_effect=answer)

    result = await bsg.viber.send_messages(
        [ViberMessage(to=["380972920000", "380972920001"], text="Hi", sender="BSG")]
    )

    to = sent_json(route)["messages"][0]["to"]
    assert all(HEX32.fullmatch(t["reference"]) for t in to)
    assert [e.reference for e in result] == [t["reference"] for t in to]


async def test_send_refuses_bad_input_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.post(CREATE)
    fifty_one = [Recipient(f"3809729{i:05d}", f"r{i}") for i in range(51)]
    cases: list[tuple[Any, dict[str, Any], str]] = [
        (
            [
                ViberMessage(to=fifty_one[:26], text="a", sender="B"),
                ViberMessage(to=fifty_one[26:], text="b", sender="B"),
            ],
            {},
            "messages",
        ),
        ([], {}, "messages"),
        (["380972920000"], {}, "messages[0]"),
        ([documented_message()], {"validity": timedelta(seconds=14)}, "validity"),
        ([documented_message()], {"validity": timedelta(seconds=86_401)}, "validity"),
        ([documented_message()], {"tariff": -1}, "tariff"),
        (
            [documented_message(), documented_message(text="again")],
            {},
            "reference",
        ),
    ]

    for messages, options, field in cases:
        with pytest.raises(InvalidParameterError) as info:
            await bsg.viber.send_messages(messages, **options)
        assert info.value.field == field

    assert not route.called


async def test_send_accepts_exactly_fifty_recipients(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        to = json.loads(request.content)["messages"][0]["to"]
        entries = [
            {"error": 0, "reference": t["reference"], "id": str(i), "price": 0.23}
            for i, t in enumerate(to)
        ]
        return httpx.Response(200, json={"result": entries})

    route = respx_mock.post(CREATE).mock(side_effect=answer)
    fifty = [Recipient(f"3809729{i:05d}", f"r{i}") for i in range(50)]

    result = await bsg.viber.send_messages(ViberMessage(to=fifty, text="Hi", sender="BSG"))

    assert len(sent_json(route)["messages"][0]["to"]) == 50
    assert [e.reference for e in result.accepted] == [f"r{i}" for i in range(50)]


# -- status -------------------------------------------------------------------------------------


async def test_get_reads_the_status_with_its_fallback_sms(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{BASE}/viber/470093225").respond(json=STATUS_ANSWER)

    report = await bsg.viber.get(470093225)

    assert report.id == 470093225
    assert report.to == "380972920000"
    assert report.reference == "ext_id_19"
    assert report.status is ViberStatus.UNDELIVERABLE
    assert report.time_dr == datetime(2017, 1, 17, 9, 20, 2)
    assert report.price == Decimal("0.00")
    assert report.currency == "EUR"
    assert report.fallback == (
        FallbackSms(
            id=470094225, status=SmsStatus.DELIVERED, channel="sms", price=Decimal("0.023")
        ),
    )


@pytest.mark.parametrize("alt_route", [None, [], "absent"])
async def test_get_without_fallback_entries_has_an_empty_fallback(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, alt_route: Any
) -> None:
    answer = {k: v for k, v in STATUS_ANSWER.items() if k != "alt_route"}
    if alt_route != "absent":
        answer["alt_route"] = alt_route
    respx_mock.get(f"{BASE}/viber/470093225").respond(json={**answer, "status": "Read"})

    report = await bsg.viber.get(470093225)

    assert report.fallback == ()
    assert report.status is ViberStatus.READ


async def test_get_by_reference_uses_the_reference_path(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{BASE}/viber/reference/ext_id_19").respond(json=STATUS_ANSWER)

    report = await bsg.viber.get_by_reference("ext_id_19")

    assert route.calls.last.request.url.raw_path == b"/rest/viber/reference/ext_id_19"
    assert report.id == 470093225
    assert len(report.fallback) == 1


async def test_get_raises_not_found_for_code_40(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(f"{BASE}/viber/1").respond(
        json={"error": 40, "errorDescription": "Message not found"}
    )

    with pytest.raises(NotFoundError) as info:
        await bsg.viber.get(1)

    assert info.value.code == 40


async def test_reads_refuse_bad_ids_and_references_before_any_request(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    with pytest.raises(InvalidParameterError):
        await bsg.viber.get("470093225")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        await bsg.viber.get_by_reference("ext/19")

    assert not respx_mock.calls


# -- the send-retry rule ------------------------------------------------------------------------


async def test_lost_answer_then_43_for_all_resolves_every_entry_in_order() -> None:
    service = FakeService(lose_answers=1, reverse_entries=True)
    references = ["v1", "v2", "v3"]

    async with fake_client(service) as bsg:
        result = await bsg.viber.send_messages(
            [
                ViberMessage(
                    to=[Recipient("380972920001", "v1"), Recipient("380972920002", "v2")],
                    text="Hi",
                    sender="BSG",
                ),
                ViberMessage(to=[Recipient("380972920003", "v3")], text="Yo", sender="BSG"),
            ],
            validity=timedelta(seconds=3600),
        )

    assert list(result.entries) == [service.receipt(r) for r in references]
    assert all(e.price == Decimal("0.023") for e in result.accepted)
    assert_each_accepted_once(service, references)
    assert sorted(service.lookups) == [f"/rest/viber/reference/{r}" for r in references]
    assert len(service.creates) == 2


async def test_partly_processed_attempt_mixes_new_receipts_and_read_back_ones() -> None:
    service = FakeService(lose_answers=1, accept_first=1)
    references = ["v1", "v2", "v3"]

    async with fake_client(service) as bsg:
        result = await bsg.viber.send_messages(
            ViberMessage(
                to=[Recipient(f"38097292000{i}", r) for i, r in enumerate(references)],
                text="Hi",
                sender="BSG",
            )
        )

    assert list(result.entries) == [service.receipt(r) for r in references]
    assert_each_accepted_once(service, references)
    assert service.lookups == ["/rest/viber/reference/v1"]


async def test_generated_references_are_the_same_in_every_attempt() -> None:
    service = FakeService(lose_answers=2)

    async with fake_client(service) as bsg:
        result = await bsg.viber.send_messages(
            ViberMessage(to=["380972920001", "380972920002"], text="Hi", sender="BSG")
        )

    first, second, third = [references_sent(body) for body in service.creates]
    assert first == second == third
    assert all(HEX32.fullmatch(r) for r in first)
    assert [e.reference for e in result.accepted] == first
    assert_each_accepted_once(service, first)


async def test_retries_exhausted_after_lost_answers_may_have_been_accepted() -> None:
    service = FakeService(lose_answers=3)

    async with fake_client(service) as bsg:
        with pytest.raises(RequestTimeoutError) as info:
            await bsg.viber.send_messages([documented_message()])

    assert info.value.may_have_been_accepted is True


async def test_connect_errors_only_were_never_accepted() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with fake_client(refuse) as bsg:
        with pytest.raises(TransportError) as info:
            await bsg.viber.send_messages([documented_message()])

    assert info.value.may_have_been_accepted is False


async def test_lookup_failing_during_recovery_gives_a_rejection_that_may_be_accepted() -> None:
    service = FakeService(lose_answers=1, lookup_status=503)

    async with fake_client(service) as bsg:
        result = await bsg.viber.send_messages([documented_message()])

    (entry,) = result.entries
    assert isinstance(entry, Rejection)
    assert entry.reference == "ext_id_19"
    assert entry.to == "380972920000"
    assert isinstance(entry.error, DuplicateReferenceError)
    assert entry.error.code == 43
    assert entry.error.may_have_been_accepted is True
    assert_each_accepted_once(service, ["ext_id_19"])


async def test_lost_answer_then_a_top_level_43_reads_every_recipient_back() -> None:
    service = FakeService(lose_answers=1, refuse_whole_request=True)

    async with fake_client(service) as bsg:
        result = await bsg.viber.send_messages([documented_message()])

    assert list(result.entries) == [service.receipt("ext_id_19")]
    assert service.lookups == ["/rest/viber/reference/ext_id_19"]
    assert_each_accepted_once(service, ["ext_id_19"])
