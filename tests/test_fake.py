"""FakeBSG behaves like the documented service, seen through the real SDK (and raw HTTP where the
SDK's own validation would never send the request)."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal

import anyio
import httpx
import pytest

from bsg_async import (
    AsyncBSG,
    AuthenticationError,
    DuplicateRecipientError,
    DuplicateReferenceError,
    FeatureNotEnabledError,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    Receipt,
    Recipient,
    Rejection,
    SenderNotAllowedError,
    SmsFallback,
    SmsMessage,
    SmsStatus,
    ViberMessage,
)
from bsg_async._auth import jwt_expiry
from bsg_async.testing import Account, FakeBSG, FaultKind, Faults, Lifecycle, Rules

from .conftest import API_KEY, BASE, ONE_API
from .fake_support import (
    CALM,
    START,
    Clock,
    body,
    client,
    fake,
    phones,
    raw,
    sms_single,
    viber_request,
)

__all__ = ["client", "fake", "raw"]  # fixtures, imported for pytest


def _sdk(fake: FakeBSG, **options: object) -> AsyncBSG:
    return AsyncBSG(
        api_key=API_KEY,
        base_url=BASE,
        one_api_url=ONE_API,
        transport=fake.transport,
        **options,  # type: ignore[arg-type]
    )


# -- SMS single -------------------------------------------------------------------------------


async def test_single_sms_is_accepted_with_its_id_price_and_currency(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    receipt = await client.sms.send(
        to="+380501234567", text="Hi", sender="Shop", reference="order42"
    )

    message = fake.sms.find("order42")
    assert message is not None
    assert receipt == Receipt(message.id, "order42", Decimal("0.02"), "EUR", "380501234567")
    assert (message.to, message.text, message.sender) == ("380501234567", "Hi", "Shop")
    assert message.accepted_at == START


async def test_single_sms_answer_is_flat_with_strings_as_documented(
    raw: httpx.AsyncClient,
) -> None:
    answer = await raw.post("/sms/create", content=sms_single(reference="12erdgm9"))

    data = answer.json()
    assert answer.status_code == 200
    assert data == {
        "error": "0",
        "id": data["id"],
        "reference": "12erdgm9",
        "price": "0.02",
        "currency": "EUR",
    }
    assert data["id"].isdigit()


async def test_single_sms_answer_can_be_wrapped_in_result() -> None:
    fake = FakeBSG(rules=Rules(single_shape="wrapped"))
    async with httpx.AsyncClient(transport=fake.transport, base_url=BASE) as http:
        answer = await http.post("/sms/create", content=sms_single(), headers={"X-API-KEY": "k"})
    async with _sdk(fake) as bsg:
        receipt = await bsg.sms.send(to="380501234568", text="Hi", sender="Shop")

    assert b'"price":0.02' in answer.content
    assert json.loads(answer.content)["result"]["error"] == 0
    assert receipt.price == Decimal("0.02")
    assert fake.sms.acceptances(receipt.reference) == 1


async def test_wrapped_single_answer_carries_a_refusal_inside_result() -> None:
    fake = FakeBSG(rules=Rules(single_shape="wrapped", invalid_prefixes=["999"]))
    async with httpx.AsyncClient(
        transport=fake.transport, base_url=BASE, headers={"X-API-KEY": "k"}
    ) as http:
        answer = await http.post("/sms/create", content=sms_single(msisdn="9990000001"))
    async with _sdk(fake) as bsg:
        with pytest.raises(InvalidRequestError) as caught:
            await bsg.sms.send(to="9990000001", text="Hi", sender="Shop")

    assert answer.json() == {
        "result": {"reference": "ref1", "error": 21, "errorDescription": "Incorrect phone number"}
    }
    assert caught.value.code == 21


async def test_lost_wrapped_answer_is_resolved_by_reference() -> None:
    fake = FakeBSG(rules=Rules(single_shape="wrapped"))
    fake.faults.script(["lost_answer"])
    async with _sdk(fake) as bsg:
        receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="w1")

    message = fake.sms.find("w1")
    assert message is not None
    assert receipt.id == message.id
    assert fake.codes == {23: 1}


def test_mixed_single_shape_alternates_by_seed() -> None:
    def shapes(seed: int) -> list[bool]:
        fake = FakeBSG(seed=seed, rules=Rules(single_shape="mixed"))
        return [
            "result"
            in json.loads(
                fake.handle(
                    "POST",
                    "/sms/create",
                    headers={"x-api-key": "k"},
                    body=sms_single(reference=f"r{i}"),
                ).body
            )
            for i in range(24)
        ]

    assert shapes(5) == shapes(5)
    assert set(shapes(5)) == {True, False}


async def test_two_way_flag_is_stored(client: AsyncBSG, fake: FakeBSG) -> None:
    receipt = await client.sms.send(to="380501234567", text="Hi", sender="Shop", two_way=True)

    message = fake.sms.get(receipt.id)
    assert message is not None
    assert message.submission.two_way


async def test_two_way_is_refused_with_code_35_when_not_enabled() -> None:
    fake = FakeBSG(rules=Rules(two_way_enabled=False))
    async with _sdk(fake) as bsg:
        with pytest.raises(FeatureNotEnabledError) as caught:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", two_way=True)

    assert caught.value.code == 35
    assert len(fake.sms) == 0


# -- SMS bulk and individual ------------------------------------------------------------------


async def test_bulk_sms_accepts_every_phone_and_returns_a_task(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    result = await client.sms.send_bulk(
        to=[Recipient("380972000001", "b1"), Recipient("380972000002", "b2")],
        text="Sale",
        sender="Shop",
        validity=timedelta(hours=24),
        tariff=9,
    )

    assert [type(e) for e in result] == [Receipt, Receipt]
    assert result.task_id is not None
    task = fake.task(result.task_id)
    assert task is not None
    assert task.count == 2
    assert (task.submission.validity, task.submission.tariff) == (24, 9)
    assert [m.task_id for m in fake.sms.messages] == [result.task_id] * 2


async def test_bulk_sms_answer_has_string_codes_and_task_id(raw: httpx.AsyncClient) -> None:
    answer = await raw.post(
        "/sms/create",
        content=body(destination="phones", phones=phones(2), originator="t", body="x"),
    )

    data = answer.json()
    assert data["error"] == "0"
    assert data["task_id"].isdigit()
    assert [(e["error"], e["price"], e["currency"]) for e in data["result"]] == [
        ("0", "0.02", "EUR")
    ] * 2


async def test_bulk_sms_refuses_a_repeated_phone_with_code_31(client: AsyncBSG) -> None:
    result = await client.sms.send_bulk(
        to=[Recipient("380972000001", "d1"), Recipient("380972000001", "d2")],
        text="Sale",
        sender="Shop",
    )

    first, second = result.entries
    assert isinstance(first, Receipt)
    assert isinstance(second, Rejection)
    assert isinstance(second.error, DuplicateRecipientError)
    assert second.error.code == 31


async def test_number_with_an_invalid_prefix_is_refused_with_code_21() -> None:
    fake = FakeBSG(rules=Rules(invalid_prefixes=["999"]))
    async with _sdk(fake) as bsg:
        result = await bsg.sms.send_bulk(
            to=["380972000001", "9990000001"], text="Sale", sender="Shop"
        )

    ok, refused = result.entries
    assert isinstance(ok, Receipt)
    assert isinstance(refused, Rejection)
    assert refused.error.code == 21
    assert refused.error.field == "to"
    assert len(fake.sms) == 1


async def test_bulk_without_an_accepted_phone_has_no_task(raw: httpx.AsyncClient) -> None:
    answer = await raw.post(
        "/sms/create",
        content=body(
            destination="phones",
            phones=[{"msisdn": "12", "reference": "a"}],
            originator="t",
            body="x",
        ),
    )

    assert "task_id" not in answer.json()


async def test_individual_sms_keeps_each_text_and_sender_and_totals(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    result = await client.sms.send_individual(
        [
            SmsMessage("380972000001", "text one", "test1", "i1"),
            SmsMessage("380972000002", "text two", "test2", "i2"),
        ]
    )

    assert result.total_price == Decimal("0.04")
    assert result.currency == "EUR"
    assert [(m.text, m.sender) for m in fake.sms.messages] == [
        ("text one", "test1"),
        ("text two", "test2"),
    ]


async def test_individual_entry_with_a_disallowed_sender_is_refused_with_code_32() -> None:
    fake = FakeBSG(rules=Rules(allowed_senders=["Shop"]))
    async with _sdk(fake) as bsg:
        result = await bsg.sms.send_individual(
            [
                SmsMessage("380972000001", "a", "Shop", "i1"),
                SmsMessage("380972000002", "b", "Other", "i2"),
            ]
        )

    ok, refused = result.entries
    assert isinstance(ok, Receipt)
    assert isinstance(refused, Rejection)
    assert isinstance(refused.error, SenderNotAllowedError)
    assert refused.error.code == 32


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"not json", 24),
        (b"[1, 2]", 24),
        (body(destination="everyone", msisdn="380501234567"), 24),
        (sms_single(originator=""), 25),
        (sms_single(originator="a" * 15), 25),
        (sms_single(body=""), 26),
        (sms_single(body="   "), 26),
        (sms_single(validity=0), 28),
        (sms_single(validity=73), 28),
        (sms_single(validity="x"), 28),
        (sms_single(tariff=10), 6),
        (body(destination="phones", phones=[], originator="t", body="x"), 24),
        (body(destination="individual", phones="380501234567"), 24),
    ],
)
async def test_bad_sms_request_is_refused_with_its_code(
    raw: httpx.AsyncClient, fake: FakeBSG, payload: bytes, code: int
) -> None:
    answer = await raw.post("/sms/create", content=payload)

    assert answer.status_code == 200
    data = answer.json()
    assert data["error"] == str(code)
    assert data["errorDescription"]
    assert len(fake.sms) == 0
    assert fake.codes == {code: 1}


async def test_string_validity_and_tariff_are_accepted(raw: httpx.AsyncClient) -> None:
    answer = await raw.post("/sms/create", content=sms_single(validity="24", tariff="0"))

    assert answer.json()["error"] == "0"


async def test_sdk_sees_request_level_codes_as_typed_errors() -> None:
    fake = FakeBSG(rules=Rules(allowed_senders=["Shop"], max_text_length=5))
    async with _sdk(fake) as bsg:
        with pytest.raises(SenderNotAllowedError) as sender:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Other")
        with pytest.raises(InvalidRequestError) as text:
            await bsg.sms.send(to="380501234567", text="too long", sender="Shop")

    assert sender.value.code == 32
    assert (text.value.code, text.value.field) == (26, "text")


async def test_per_recipient_sms_codes_are_inside_result(raw: httpx.AsyncClient) -> None:
    entries = [
        {"msisdn": "12ab", "reference": "a1"},
        {"msisdn": "380972000001"},
        {"msisdn": "380972000002", "reference": "bad ref!"},
        "not an object",
        {"msisdn": 380972000003, "reference": "a4"},
    ]
    answer = await raw.post(
        "/sms/create",
        content=body(destination="phones", phones=entries, originator="t", body="x"),
    )

    assert [e["error"] for e in answer.json()["result"]] == ["21", "22", "27", "24", "0"]


async def test_http_error_status_option_answers_errors_with_4xx() -> None:
    fake = FakeBSG(rules=Rules(http_error_status=True))
    async with httpx.AsyncClient(
        transport=fake.transport, base_url=BASE, headers={"X-API-KEY": "k"}
    ) as http:
        invalid = await http.post("/sms/create", content=sms_single(originator=""))
        missing = await http.get("/sms/123")

    assert (invalid.status_code, invalid.json()["error"]) == (400, "25")
    assert (missing.status_code, missing.json()["error"]) == (404, 20)


# -- references: unique forever, counted ------------------------------------------------------


async def test_sms_reference_is_refused_forever_with_code_23(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    await client.sms.send(to="380501234567", text="Hi", sender="Shop", reference="once")
    fake.advance(365 * 86_400)

    with pytest.raises(DuplicateReferenceError) as caught:
        await client.sms.send(to="380501234568", text="Hi", sender="Shop", reference="once")

    assert caught.value.code == 23
    assert not caught.value.may_have_been_accepted
    assert fake.sms.acceptances("once") == 1
    assert fake.codes == {23: 1}


async def test_viber_reference_is_refused_with_code_43(client: AsyncBSG, fake: FakeBSG) -> None:
    message = ViberMessage(to=[Recipient("380972920000", "v1")], text="Hi", sender="BSG")
    await client.viber.send_messages([message])

    again = await client.viber.send_messages([message])

    [entry] = again.entries
    assert isinstance(entry, Rejection)
    assert isinstance(entry.error, DuplicateReferenceError)
    assert entry.error.code == 43
    assert fake.viber.acceptances("v1") == 1


async def test_references_are_unique_per_channel(client: AsyncBSG, fake: FakeBSG) -> None:
    await client.sms.send(to="380501234567", text="Hi", sender="Shop", reference="both")
    await client.viber.send_messages(
        [ViberMessage(to=[Recipient("380501234567", "both")], text="Hi", sender="BSG")]
    )

    assert fake.acceptances("both") == 2
    assert fake.acceptances("both", "sms") == fake.acceptances("both", "viber") == 1


async def test_same_reference_twice_in_one_request_is_accepted_once(
    raw: httpx.AsyncClient, fake: FakeBSG
) -> None:
    twice = [
        {"msisdn": "380972000001", "reference": "same"},
        {"msisdn": "380972000002", "reference": "same"},
    ]
    answer = await raw.post(
        "/sms/create",
        content=body(destination="phones", phones=twice, originator="t", body="x"),
    )

    assert [e["error"] for e in answer.json()["result"]] == ["0", "23"]
    assert fake.sms.acceptances("same") == 1


async def test_acceptances_count_repeats_when_uniqueness_is_off() -> None:
    fake = FakeBSG(rules=Rules(unique_references=False))
    async with _sdk(fake) as bsg:
        for _ in range(3):
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="again")

    assert fake.acceptances("again") == 3
    assert fake.duplicates == {("sms", "again"): 3}
    assert fake.sms.accepted == {"again": 3}


async def test_accepted_maps_every_reference_to_its_count(client: AsyncBSG, fake: FakeBSG) -> None:
    await client.sms.send_bulk(
        to=[Recipient("380972000001", "m1"), Recipient("380972000002", "m2")],
        text="Sale",
        sender="Shop",
    )

    assert dict(fake.sms.accepted) == {"m1": 1, "m2": 1}
    assert "m1" in fake.sms.accepted
    assert "m3" not in fake.sms.accepted
    assert fake.acceptances("m3") == 0
    assert fake.duplicates == {}
    assert [m.reference for m in fake.messages] == ["m1", "m2"]
    assert fake.sms.by_reference["m2"].to == "380972000002"


# -- SMS reads --------------------------------------------------------------------------------


async def test_sms_status_by_id_and_by_reference_agree(client: AsyncBSG) -> None:
    receipt = await client.sms.send(
        to="380972000001", text="Hi", sender="Shop", reference="ext_id_19"
    )

    by_id = await client.sms.get(receipt.id)
    by_reference = await client.sms.get_by_reference("ext_id_19")

    assert by_id == by_reference
    assert by_id.status is SmsStatus.SCHEDULED
    assert by_id.to == "380972000001"
    assert by_id.time_in is not None
    assert by_id.time_in.isoformat() == "2017-01-17T09:11:41"
    assert by_id.time_sent is None
    assert by_id.price == Decimal("0.02")


async def test_sms_status_answer_has_the_documented_wire_types(
    raw: httpx.AsyncClient, fake: FakeBSG
) -> None:
    await raw.post("/sms/create", content=sms_single(reference="ext_id_19"))

    answer = await raw.get("/sms/reference/ext_id_19")

    data = answer.json()
    assert data["error"] == 0
    assert data["errorDescription"] == "No errors"
    assert isinstance(data["id"], str)
    assert data["msisdn"] == "380501234567"
    assert b'"price":0.02' in answer.content
    assert (data["time_in"], data["time_sent"], data["time_dr"]) == ("2017-01-17 09:11:41", "", "")


async def test_reference_in_a_lookup_path_is_percent_decoded(
    raw: httpx.AsyncClient,
) -> None:
    await raw.post("/sms/create", content=sms_single(reference="ext_id-19"))

    answer = await raw.get("/sms/reference/ext%5Fid%2D19")

    assert answer.json()["reference"] == "ext_id-19"


async def test_unknown_sms_is_not_found_with_code_20(client: AsyncBSG) -> None:
    with pytest.raises(NotFoundError) as by_id:
        await client.sms.get(123)
    with pytest.raises(NotFoundError) as by_reference:
        await client.sms.get_by_reference("nobody")

    assert by_id.value.code == by_reference.value.code == 20


async def test_sms_id_that_is_not_a_number_is_not_found(raw: httpx.AsyncClient) -> None:
    answer = await raw.get("/sms/abc")

    assert answer.json() == {"error": 20, "errorDescription": "SMS not found"}


async def test_task_id_that_is_not_a_number_is_code_29(raw: httpx.AsyncClient) -> None:
    answer = await raw.get("/sms/task/abc")

    assert answer.json()["error"] == 29


async def test_unknown_task_is_not_found_with_code_30(client: AsyncBSG) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.sms.get_task(99)

    assert caught.value.code == 30


async def test_task_answer_has_the_documented_fields(
    client: AsyncBSG, raw: httpx.AsyncClient
) -> None:
    result = await client.sms.send_bulk(
        to=["380972000001", "380972000002"], text="message text", sender="alpha_name"
    )

    answer = await raw.get(f"/sms/task/{result.task_id}")

    assert answer.json() == {
        "originator": "alpha_name",
        "body": "message text",
        "validity": 72,
        "totalprice": 0.04,
        "currency": "EUR",
        "sent": 0,
        "delivered": 0,
        "expired": 0,
        "undeliverable": 0,
        "unknown": 0,
    }


# -- Viber --------------------------------------------------------------------------------------


async def test_viber_send_accepts_recipients_and_stores_the_message(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    message = ViberMessage(
        to=[Recipient("380972920000", "ext_id_19"), Recipient("380972920001", "ext_id_20")],
        text="My Viber messages is shinier than your SMS messages",
        sender="BSG",
        is_promotional=True,
        image_url="http://mysite.com/logo.png",
        button_caption="See Details",
        button_url="http://mysite.com/",
        sms_fallback=SmsFallback(sender="BSG", text="SMS instead"),
    )

    result = await client.viber.send_messages([message], validity=timedelta(seconds=3600), tariff=0)

    assert [e.id for e in result.accepted] == [m.id for m in fake.viber.messages]
    assert result.total_price == Decimal("0.46")
    assert result.currency == "EUR"
    submission = fake.viber.messages[0].submission
    assert (submission.validity, submission.tariff, submission.is_promotional) == (3600, 0, True)
    assert submission.image_url == "http://mysite.com/logo.png"
    assert (submission.button_caption, submission.button_url) == (
        "See Details",
        "http://mysite.com/",
    )
    assert submission.fallback == ("BSG", "SMS instead")


async def test_viber_answer_has_numeric_codes_and_prices(raw: httpx.AsyncClient) -> None:
    answer = await raw.post("/viber/create", json=viber_request(phones(1), validity="1000"))

    data = answer.json()
    assert data["result"][0]["error"] == 0
    assert isinstance(data["result"][0]["id"], str)
    assert b'"price":0.23' in answer.content
    assert b'"total_price":0.23' in answer.content


async def test_viber_refused_entries_carry_no_id_and_no_totals(raw: httpx.AsyncClient) -> None:
    await raw.post(
        "/viber/create", json=viber_request([{"msisdn": "380972920000", "reference": "x"}])
    )

    answer = await raw.post(
        "/viber/create", json=viber_request([{"msisdn": "380972920001", "reference": "x"}])
    )

    assert answer.json() == {
        "result": [
            {"reference": "x", "error": 43, "errorDescription": "External ID already exists"}
        ]
    }


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("nonsense", 24),
        ({"messages": []}, 24),
        ({"messages": [{"to": "380972920000"}]}, 24),
        ({"messages": [{"to": [], "text": "Hi", "alpha_name": "BSG"}]}, 44),
        (viber_request(phones(51)), 12),
        ({"messages": [{"to": phones(30)}, {"to": phones(21, start=30)}]}, 12),
        ({**viber_request(phones(1)), "validity": 14}, 48),
        ({**viber_request(phones(1)), "validity": 86_401}, 48),
        ({**viber_request(phones(1)), "tariff": -1}, 6),
    ],
)
async def test_bad_viber_request_is_refused_with_its_code(
    raw: httpx.AsyncClient, fake: FakeBSG, payload: object, code: int
) -> None:
    answer = await raw.post("/viber/create", json=payload)

    assert answer.json() == {"error": code, "errorDescription": answer.json()["errorDescription"]}
    assert len(fake.viber) == 0


async def test_per_recipient_viber_codes(raw: httpx.AsyncClient) -> None:
    to = [
        {"msisdn": "12", "reference": "a1"},
        {"msisdn": "380972920000", "reference": "bad ref"},
        {"msisdn": "380972920001"},
        {"msisdn": "380972920002", "reference": "a4"},
        {"msisdn": "380972920002", "reference": "a5"},
        "nope",
    ]
    answer = await raw.post("/viber/create", json=viber_request(to))

    assert [e["error"] for e in answer.json()["result"]] == [41, 47, 22, 0, 51, 44]


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"text": ""}, 46),
        ({"text": "x" * 1001}, 46),
        ({"alpha_name": ""}, 45),
        ({"alpha_name": "a" * 15}, 45),
        ({"is_promotional": "yes"}, 49),
        ({"options": []}, 49),
        ({"options": {"viber": "x"}}, 49),
        ({"options": {"viber": {"img": "http://a.b/i.png"}}}, 49),
        ({"options": {"viber": {"caption": "Go"}}}, 49),
        ({"options": {"viber": {"caption": "Go", "action": "ftp://a.b"}}}, 49),
        ({"options": {"viber": {"caption": " ", "action": "https://a.b"}}}, 49),
        ({"options": {"viber": {"alt_route": "sms"}}}, 49),
        ({"options": {"viber": {"alt_route": {"originator": "BSG"}}}}, 49),
        ({"options": {"viber": {"alt_route": {"originator": "", "text": "x"}}}}, 49),
    ],
)
async def test_message_level_viber_problems_refuse_each_recipient(
    raw: httpx.AsyncClient, message: dict[str, object], code: int
) -> None:
    answer = await raw.post("/viber/create", json=viber_request(phones(2), **message))

    assert [e["error"] for e in answer.json()["result"]] == [code, code]


async def test_viber_sender_outside_allowed_senders_is_code_45() -> None:
    fake = FakeBSG(rules=Rules(allowed_senders=["BSG"]))
    async with _sdk(fake) as bsg:
        result = await bsg.viber.send_messages(
            [ViberMessage(to=["380972920000"], text="x", sender="X")]
        )

    [entry] = result.entries
    assert isinstance(entry, Rejection)
    assert isinstance(entry.error, SenderNotAllowedError)
    assert entry.error.code == 45


async def test_unknown_viber_message_is_not_found_with_code_40(client: AsyncBSG) -> None:
    with pytest.raises(NotFoundError) as by_id:
        await client.viber.get(5)
    with pytest.raises(NotFoundError) as by_reference:
        await client.viber.get_by_reference("nobody")

    assert by_id.value.code == by_reference.value.code == 40


async def test_viber_status_by_id_and_reference_agree(client: AsyncBSG) -> None:
    result = await client.viber.send_messages(
        [ViberMessage(to=[Recipient("380972920000", "v9")], text="Hi", sender="BSG")]
    )

    by_id = await client.viber.get(result.accepted[0].id)
    by_reference = await client.viber.get_by_reference("v9")

    assert by_id == by_reference
    assert by_id.status == "scheduled"
    assert by_id.fallback == ()


# -- authentication -----------------------------------------------------------------------------


async def test_wrong_api_key_is_code_1_with_http_401(fake: FakeBSG) -> None:
    async with AsyncBSG(api_key="live_wrong", base_url=BASE, transport=fake.transport) as bsg:
        with pytest.raises(AuthenticationError) as caught:
            await bsg.sms.get(1)

    assert (caught.value.code, caught.value.http_status) == (1, 401)


async def test_request_without_a_key_is_refused(fake: FakeBSG) -> None:
    async with httpx.AsyncClient(transport=fake.transport, base_url=BASE) as http:
        answer = await http.get("/sms/1")

    assert answer.status_code == 401
    assert answer.json()["error"] == 1


async def test_any_key_is_accepted_when_no_keys_are_configured() -> None:
    fake = FakeBSG()
    async with _sdk(fake) as bsg:
        receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")

    assert fake.sms.acceptances(receipt.reference) == 1


# -- One-API --------------------------------------------------------------------------------


async def test_login_answers_a_jwt_expiring_after_the_ttl(fake: FakeBSG) -> None:
    fake.advance(100)
    before = time.time()
    async with httpx.AsyncClient(transport=fake.transport, base_url=ONE_API) as http:
        answer = await http.post("/api/auth/login", json={"api_key": API_KEY})
    after = time.time()

    token = answer.json()["bearer"]
    assert set(answer.json()) == {"bearer"}
    expiry = jwt_expiry(token)
    assert expiry is not None
    assert int(before) + 100 + 30 * 86_400 <= expiry <= after + 100 + 30 * 86_400
    assert fake.logins == 1


async def test_login_with_a_wrong_key_is_http_401(fake: FakeBSG) -> None:
    async with AsyncBSG(api_key="live_wrong", one_api_url=ONE_API, transport=fake.transport) as bsg:
        with pytest.raises(AuthenticationError) as caught:
            await bsg.one_api_request("GET", "/api/accounts/balance")

    assert caught.value.http_status == 401
    assert fake.logins == 0


async def test_login_without_an_api_key_is_http_422(fake: FakeBSG) -> None:
    async with httpx.AsyncClient(transport=fake.transport, base_url=ONE_API) as http:
        answer = await http.post("/api/auth/login", content=b"{}")

    assert answer.status_code == 422
    assert "api_key" in answer.json()["errors"]


async def test_balance_needs_a_valid_bearer_token(fake: FakeBSG) -> None:
    async with httpx.AsyncClient(transport=fake.transport, base_url=ONE_API) as http:
        missing = await http.get("/api/accounts/balance")
        forged = await http.get("/api/accounts/balance", headers={"Authorization": "Bearer a.b.c"})
        basic = await http.get("/api/accounts/balance", headers={"Authorization": "Basic eDp5"})

    assert missing.status_code == forged.status_code == basic.status_code == 401


async def test_token_signed_by_another_fake_is_refused(fake: FakeBSG) -> None:
    other = FakeBSG(seed=99)
    token = json.loads(other.handle("POST", "/api/auth/login", body=body(api_key="k")).body)

    answer = fake.handle(
        "GET", "/api/accounts/balance", headers={"authorization": f"Bearer {token['bearer']}"}
    )

    assert answer.status == 401


async def test_concurrent_one_api_calls_share_one_login(client: AsyncBSG, fake: FakeBSG) -> None:
    answers = []

    async def balance() -> None:
        answers.append(await client.one_api_request("GET", "/api/accounts/balance"))

    async with anyio.create_task_group() as group:
        for _ in range(50):
            group.start_soon(balance)

    assert fake.logins == 1
    assert {a.data["data"]["balance"] for a in answers} == {Decimal("100.0000000")}


async def test_token_close_to_expiry_is_refreshed() -> None:
    # Inside the SDK's 60-second leeway: refreshed on next use.
    fake = FakeBSG(account=Account(token_ttl=30))
    async with _sdk(fake) as bsg:
        await bsg.one_api_request("GET", "/api/accounts/balance")
        await bsg.one_api_request("GET", "/api/accounts/balance")

    assert (fake.logins, fake.refreshes) == (1, 1)


async def test_refresh_revokes_the_old_token(fake: FakeBSG) -> None:
    async with httpx.AsyncClient(transport=fake.transport, base_url=ONE_API) as http:
        old = (await http.post("/api/auth/login", json={"api_key": API_KEY})).json()["bearer"]
        refreshed = await http.post("/api/auth/refresh", headers={"Authorization": f"Bearer {old}"})
        new = refreshed.json()["bearer"]
        with_old = await http.get(
            "/api/accounts/balance", headers={"Authorization": f"Bearer {old}"}
        )
        with_new = await http.get(
            "/api/accounts/balance", headers={"Authorization": f"Bearer: {new}"}
        )

    assert (with_old.status_code, with_new.status_code) == (401, 200)


async def test_expired_token_is_refused(fake: FakeBSG) -> None:
    async with httpx.AsyncClient(transport=fake.transport, base_url=ONE_API) as http:
        token = (await http.post("/api/auth/login", json={"api_key": API_KEY})).json()["bearer"]
        fake.advance(30 * 86_400)
        answer = await http.post("/api/auth/refresh", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 401


async def test_revoked_tokens_make_the_sdk_log_in_again(client: AsyncBSG, fake: FakeBSG) -> None:
    await client.one_api_request("GET", "/api/accounts/balance")
    fake.revoke_tokens()

    await client.one_api_request("GET", "/api/accounts/balance")

    assert fake.logins == 2


# -- routing, recording, reset --------------------------------------------------------------


async def test_unknown_path_is_404_and_wrong_method_is_405(raw: httpx.AsyncClient) -> None:
    unknown = await raw.get("/nothing/here")
    wrong = await raw.get("/sms/create")
    delete = await raw.delete("/sms/1")
    viber_task = await raw.get("/viber/task/1")
    login_get = await raw.get(f"{ONE_API}/api/auth/login")
    balance_post = await raw.post(f"{ONE_API}/api/accounts/balance")

    assert (unknown.status_code, viber_task.status_code) == (404, 404)
    assert {wrong.status_code, delete.status_code, login_get.status_code} == {405}
    assert balance_post.status_code == 405


async def test_requests_are_recorded_with_credentials_masked(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    await client.sms.send(to="380501234567", text="Hi", sender="Shop", reference="rec")
    await client.one_api_request("GET", "/api/accounts/balance")

    create, login, balance = fake.requests
    assert (create.method, create.path, create.status) == ("POST", "/rest/sms/create", 200)
    assert create.json()["reference"] == "rec"
    assert create.processed
    assert create.fault is None
    assert login.path == "/api/auth/login"
    assert dict(create.headers)["x-api-key"] == "[secure]"
    assert dict(balance.headers)["authorization"] == "[secure]"
    assert API_KEY not in repr(fake.requests) + repr([r.headers for r in fake.requests])


def test_record_limit_keeps_the_newest_requests() -> None:
    fake = FakeBSG(record_limit=2)
    for i in range(3):
        fake.handle("GET", f"/sms/{i + 1}", headers={"x-api-key": "k"})

    assert [r.path for r in fake.requests] == ["/sms/2", "/sms/3"]
    fake.clear_requests()
    assert fake.requests == ()


def test_record_limit_zero_records_nothing() -> None:
    fake = FakeBSG(record_limit=0)
    fake.handle("GET", "/sms/1", headers={"x-api-key": "k"})

    assert fake.requests == ()


async def test_reset_forgets_messages_but_keeps_settings(client: AsyncBSG, fake: FakeBSG) -> None:
    await client.sms.send(to="380501234567", text="Hi", sender="Shop", reference="r")
    await client.one_api_request("GET", "/api/accounts/balance")

    fake.reset()

    assert (len(fake.sms), fake.requests, fake.codes, fake.logins) == (0, (), {}, 0)
    receipt = await client.sms.send(to="380501234567", text="Hi", sender="Shop", reference="r")
    assert fake.sms.acceptances(receipt.reference) == 1


async def test_reset_keeps_the_fault_plan_latency_included(client: AsyncBSG, fake: FakeBSG) -> None:
    fake.faults.rates = {"503": 0.25}
    fake.faults.latency = 0.02
    fake.faults.script(["500"], paths=["/sms/create"])
    await client.sms.send(to="380501234567", text="Hi", sender="Shop", reference="r")

    fake.reset()

    assert fake.faults.rates == {FaultKind.SERVICE_UNAVAILABLE: 0.25}
    assert fake.faults.latency == 0.02
    assert (fake.faults.pending, fake.faults.injected) == (0, {})


def test_a_reset_fake_answers_as_a_new_one_would() -> None:
    def new() -> FakeBSG:
        return FakeBSG(
            seed=5,
            clock=Clock(),
            lifecycle=CALM,
            rules=Rules(single_shape="mixed"),
            faults=Faults({"500": 0.5}),
        )

    def run(fake: FakeBSG) -> list[tuple[int, bytes, FaultKind | None]]:
        answers = []
        for index in range(8):
            exchange = fake.handle(
                "POST",
                "/sms/create",
                headers={"x-api-key": "k"},
                body=sms_single(reference=f"r{index}"),
            )
            answers.append((exchange.status, exchange.body, exchange.fault))
        return answers

    used = new()
    first = run(used)
    used.reset()

    assert run(used) == first == run(new())


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("seed", "1"),
        ("record_limit", -1),
        ("account", {"currency": "EUR"}),
        ("rules", None),
        ("lifecycle", "calm"),
        ("webhook", "http://127.0.0.1:8000/rcs"),
        ("faults", {"500": 0.1}),
    ],
)
def test_bad_option_is_an_invalid_parameter_error(option: str, value: object) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        FakeBSG(**{option: value})  # type: ignore[arg-type]

    assert caught.value.field == option


@pytest.mark.parametrize(
    ("config", "option", "value"),
    [
        (Account, "sms_price", 0.02),
        (Account, "viber_price", Decimal("-1")),
        (Account, "balance", Decimal("NaN")),
        (Account, "currency", ""),
        (Account, "token_ttl", 0),
        (Rules, "single_shape", "round"),
        (Rules, "max_text_length", 0),
        (Lifecycle, "read_rate", 2),
    ],
)
def test_bad_config_field_is_an_invalid_parameter_error(
    config: type[Account | Rules | Lifecycle], option: str, value: object
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        config(**{option: value})

    assert caught.value.field == option


def test_fake_repr_shows_counts_not_secrets() -> None:
    fake = FakeBSG(account=Account(api_keys=API_KEY), clock=Clock(), lifecycle=CALM)
    fake.handle("POST", "/sms/create", headers={"x-api-key": API_KEY}, body=sms_single())

    assert repr(fake) == "<FakeBSG seed=0 sms=1 viber=0 requests=1>"
    assert repr(fake.sms) == "<ChannelView sms: 1 messages>"
    assert API_KEY not in repr(fake.sms.messages[0])


async def test_message_views_are_live_read_only_sequences_and_mappings(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    messages = fake.sms.messages
    await client.sms.send_bulk(
        to=[Recipient("380972000001", "s1"), Recipient("380972000002", "s2")],
        text="Sale",
        sender="Shop",
    )

    assert len(messages) == 2
    assert [m.reference for m in messages] == ["s1", "s2"]
    assert messages[-1] == messages[1] == fake.sms.get(messages[1].id)
    assert [m.reference for m in messages[:1]] == ["s1"]
    with pytest.raises(IndexError):
        messages[2]
    assert list(fake.sms.by_reference) == ["s1", "s2"]
    assert len(fake.sms.by_reference) == 2
    assert "s3" not in fake.sms.by_reference
    with pytest.raises(KeyError):
        fake.sms.by_reference["s3"]
    with pytest.raises(KeyError):
        fake.sms.accepted["s3"]
    assert fake.sms.get(1) is None
