"""The wire format: every documented answer decodes, nothing else escapes as a raw exception.

The fixtures are the payloads of bsg-api.md sections 2, 3, 4, 5 and 8.1, kept as JSON text and
parsed with `loads` exactly as the pipeline parses an answer.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bsg_async import (
    FallbackSms,
    Recipient,
    SmsFallback,
    SmsMessage,
    SmsReport,
    SmsStatus,
    SmsTask,
    UnexpectedResponseError,
    UnknownStatus,
    ViberMessage,
    ViberReport,
    ViberStatus,
)
from bsg_async._converter import Wire, WireBatch, WireEntry, count_from, wire
from bsg_async._json import loads

# -- documented answers --------------------------------------------------------------------

SINGLE_FLAT = """{"error": "0", "id": "22125", "reference": "12erdgm9", "price": "0.02",
 "currency": "EUR"}"""
SINGLE_WRAPPED = """{"result": {"error": 0, "errorDescription": "No errors",
 "reference": "ext_id_16", "id": "213", "price": 0.23, "currency": "EUR"}}"""
BULK = """{"result": [
 {"reference": "12erdgm9", "id": "12345", "error": "0", "price": "0.02", "currency": "EUR"},
 {"reference": "12erdgn0", "id": "12346", "error": "0", "price": "0.02", "currency": "EUR"}],
 "error": "0", "task_id": "21902"}"""
INDIVIDUAL = """{"result": [
 {"reference": "12erdgm9", "id": "12345", "error": "0", "price": "0.02", "currency": "EUR"},
 {"reference": "12erdgn0", "id": "12346", "error": "0", "price": "0.02", "currency": "EUR"}],
 "error": "0", "totalprice": "0.04", "currency": "EUR"}"""
VIBER_CREATE = """{"result": [{"error": 0, "errorDescription": "No errors",
 "reference": "ext_id_19", "id": "217", "price": 0.23, "currency": "EUR"}],
 "currency": "EUR", "total_price": 0.23}"""
VIBER_CREATE_ERROR = """{"result": [{"error": 43,
 "errorDescription": "External ID already exists", "reference": "ext_id_19"}]}"""
SMS_STATUS = """{"error": 0, "errorDescription": "No errors", "id": "211",
 "msisdn": "380972000001", "reference": "ext_id_19", "time_in": "2017-01-17 09:11:41",
 "time_sent": "2017-01-17 09:11:41", "time_dr": "2017-01-17 09:11:41", "status": "delivered",
 "price": 0.23, "currency": "EUR"}"""
VIBER_STATUS = """{"error": 0, "errorDescription": "No errors", "id": "470093225",
 "msisdn": "380972920000", "reference": "ext_id_19", "time_in": "2017-01-17 09:20:02",
 "time_sent": "2017-01-17 09:20:02", "time_dr": "2017-01-17 09:20:02",
 "status": "undeliverable", "price": 0.00, "currency": "EUR",
 "alt_route": [{"channel": "sms", "id": "470094225", "status": "delivered", "price": "0.023"}]}"""
TASK = """{"originator": "alpha_name", "body": "message text", "validity": 72,
 "totalprice": 0.23, "currency": "EUR", "sent": 1, "delivered": 1, "expired": 0,
 "undeliverable": 0, "unknown": 0}"""

W = wire()


def doc(text: str, **changes: Any) -> Any:
    """A documented payload, parsed as the pipeline parses it, with some keys changed."""
    data = loads(text)
    data.update(changes)
    return data


def without(text: str, key: str) -> Any:
    data = loads(text)
    del data[key]
    return data


class Entry(NamedTuple):
    """A send answer's entry with its fields named (the SDK's `WireEntry` is a plain tuple in
    this order)."""

    reference: str | None = None
    error: int = 0
    error_description: str | None = None
    id: int | None = None
    price: Decimal | None = None
    currency: str | None = None
    msisdn: str | None = None


def decode_error(value: Any, cls: type[Any]) -> UnexpectedResponseError:
    decode: Callable[..., Any] = functools.partial(W.structure, cls=cls)
    if cls is WireBatch:  # send answers have their own decoder, not the converter's
        decode = W.batch
    elif cls is WireEntry:
        decode = W.single_entry
    with pytest.raises(UnexpectedResponseError) as info:
        decode(value, http_status=200)
    return info.value


# -- single sends --------------------------------------------------------------------------


def test_single_answer_flat_decodes_ids_and_prices_from_strings() -> None:
    entry = W.single_entry(loads(SINGLE_FLAT))
    assert entry == Entry(
        reference="12erdgm9", error=0, id=22125, price=Decimal("0.02"), currency="EUR"
    )


def test_single_answer_wrapped_in_result_decodes() -> None:
    entry = Entry(*W.single_entry(loads(SINGLE_WRAPPED)))
    assert entry.id == 213
    assert entry.reference == "ext_id_16"
    assert entry.error == 0
    assert entry.error_description == "No errors"
    assert entry.price == Decimal("0.23")
    assert str(entry.price) == "0.23"


def test_single_answer_wrapped_in_a_one_item_result_list_decodes() -> None:
    data = {"result": [loads(SINGLE_WRAPPED)["result"]]}
    assert Entry(*W.single_entry(data)).id == 213


def test_single_answer_with_a_per_recipient_error_decodes() -> None:
    entry = Entry(*W.single_entry(loads(VIBER_CREATE_ERROR)))
    assert entry.error == 43
    assert entry.id is None
    assert entry.price is None
    assert entry.error_description == "External ID already exists"


def test_single_answer_that_is_not_an_object_names_the_root() -> None:
    with pytest.raises(UnexpectedResponseError) as info:
        W.single_entry(["not", "an", "object"], http_status=200)
    assert info.value.field == "$"
    assert info.value.http_status == 200


# -- multi-recipient sends -----------------------------------------------------------------


def test_bulk_answer_decodes_entries_in_order_and_the_task_id() -> None:
    batch = W.batch(loads(BULK))
    assert [(e.reference, e.id, e.error) for e in map(Entry._make, batch.result)] == [
        ("12erdgm9", 12345, 0),
        ("12erdgn0", 12346, 0),
    ]
    assert batch.task_id == 21902
    assert batch.total_price is None


def test_individual_answer_decodes_totalprice_as_total_price() -> None:
    batch = W.batch(loads(INDIVIDUAL))
    assert batch.total_price == Decimal("0.04")
    assert batch.currency == "EUR"
    assert [e.price for e in map(Entry._make, batch.result)] == [Decimal("0.02"), Decimal("0.02")]


def test_viber_create_answer_decodes_total_price_and_numeric_error() -> None:
    batch = W.batch(loads(VIBER_CREATE))
    assert batch.total_price == Decimal("0.23")
    assert str(batch.total_price) == "0.23"
    assert batch.result == (
        Entry(
            reference="ext_id_19",
            error=0,
            error_description="No errors",
            id=217,
            price=Decimal("0.23"),
            currency="EUR",
        ),
    )


def test_per_recipient_error_entry_without_id_decodes_and_has_no_totals() -> None:
    batch = W.batch(loads(VIBER_CREATE_ERROR))
    assert batch == WireBatch(
        result=(
            Entry(reference="ext_id_19", error=43, error_description="External ID already exists"),
        )
    )


@pytest.mark.parametrize("result", [None, []])
def test_batch_answer_with_null_or_empty_result_has_no_entries(result: object) -> None:
    assert W.batch({"result": result, "error": 0}).result == ()


def test_batch_answer_without_result_has_no_entries() -> None:
    assert W.batch({"error": 0, "task_id": 5}).result == ()


def test_batch_total_price_wins_over_totalprice_when_both_are_given() -> None:
    assert W.batch({"total_price": "1.5", "totalprice": "9"}).total_price == Decimal("1.5")


# -- SMS status ----------------------------------------------------------------------------


def test_sms_status_answer_decodes_every_field() -> None:
    when = datetime(2017, 1, 17, 9, 11, 41)
    assert W.structure(loads(SMS_STATUS), SmsReport) == SmsReport(
        id=211,
        status=SmsStatus.DELIVERED,
        to="380972000001",
        reference="ext_id_19",
        time_in=when,
        time_sent=when,
        time_dr=when,
        price=Decimal("0.23"),
        currency="EUR",
    )


def test_a_json_number_price_is_exactly_its_text() -> None:
    price = W.structure(loads(SMS_STATUS), SmsReport).price
    assert isinstance(price, Decimal)
    assert price.as_tuple() == Decimal("0.23").as_tuple()


def test_a_seven_decimal_price_keeps_all_seven_decimals() -> None:
    report = W.structure(doc(SMS_STATUS, price="1.1000000"), SmsReport)
    assert str(report.price) == "1.1000000"


def test_a_zero_price_keeps_its_two_decimals() -> None:
    assert str(W.structure(loads(VIBER_STATUS), ViberReport).price) == "0.00"


def _send_answer(*prices: str) -> Any:
    entries = ", ".join(
        f'{{"reference": "r{i}", "error": 0, "id": "{i + 1}", "price": {price}, "currency": "EUR"}}'
        for i, price in enumerate(prices)
    )
    return loads(f'{{"result": [{entries}]}}')


def test_each_entry_of_a_send_answer_carries_its_own_price() -> None:
    # The decoder shares one Decimal per price text among the entries.
    answer = _send_answer("0.23", "0.23", '"0.5"', "0.23", "1E+2")
    prices = [entry[4] for entry in Wire.batch(answer).result]
    assert prices == [Decimal("0.23"), Decimal("0.23"), Decimal("0.5"), Decimal("0.23"), 100]


def test_a_price_out_of_range_shared_by_entries_is_refused_at_the_first() -> None:
    with pytest.raises(UnexpectedResponseError) as info:
        Wire.batch(_send_answer("1e99999", "1e99999"))
    assert info.value.field == "$.result[0].price"


@pytest.mark.parametrize("empty", ["", None, "0000-00-00 00:00:00", " 0000-00-00 00:00:00 "])
def test_a_time_not_yet_known_is_none(empty: object) -> None:
    report = W.structure(doc(SMS_STATUS, time_dr=empty), SmsReport)
    assert report.time_dr is None


def test_times_are_naive_without_a_configured_timezone() -> None:
    report = W.structure(loads(SMS_STATUS), SmsReport)
    assert report.time_in is not None
    assert report.time_in.tzinfo is None


def test_a_configured_timezone_is_attached_to_times() -> None:
    kyiv = timezone(timedelta(hours=2))
    report = wire(kyiv).structure(loads(SMS_STATUS), SmsReport)
    assert report.time_in == datetime(2017, 1, 17, 9, 11, 41, tzinfo=kyiv)
    assert report.time_sent is not None
    assert report.time_sent.tzinfo == kyiv


def test_an_iso_time_with_its_own_offset_keeps_it() -> None:
    report = wire(timezone.utc).structure(
        doc(SMS_STATUS, time_dr="2017-01-17T09:11:41+02:00"), SmsReport
    )
    assert report.time_dr == datetime(2017, 1, 17, 7, 11, 41, tzinfo=timezone.utc)


def test_wire_is_shared_per_timezone() -> None:
    assert wire(None) is wire(None)
    assert wire(timezone.utc) is wire(timezone.utc)
    assert wire(timezone.utc) is not wire(None)


@pytest.mark.parametrize("status", ["DELIVERED", "Delivered", "delivered"])
def test_sms_status_is_read_case_insensitively(status: str) -> None:
    assert W.structure(doc(SMS_STATUS, status=status), SmsReport).status is SmsStatus.DELIVERED


def test_an_unknown_status_is_kept_as_the_raw_string() -> None:
    report = W.structure(doc(SMS_STATUS, status="Moderation"), SmsReport)
    assert report.status == "Moderation"
    assert type(report.status) is UnknownStatus


def test_unknown_fields_are_tolerated() -> None:
    data = doc(SMS_STATUS, channel_extra={"nested": [1, 2]}, new_flag=True)
    assert W.structure(data, SmsReport).id == 211


@pytest.mark.parametrize("ident", ["3266500452", 3266500452, "9007199254740993", 2**63])
def test_ids_beyond_32_bits_decode_exactly(ident: object) -> None:
    assert W.structure(doc(SMS_STATUS, id=ident), SmsReport).id == int(str(ident))


def test_an_msisdn_sent_as_a_json_integer_becomes_a_string() -> None:
    report = W.structure(loads(SMS_STATUS.replace('"380972000001"', "380972000001")), SmsReport)
    assert report.to == "380972000001"


def test_an_integral_json_number_id_decodes() -> None:
    assert W.structure(loads(SMS_STATUS.replace('"211"', "211.0")), SmsReport).id == 211


def test_an_integer_price_decodes() -> None:
    assert W.structure(doc(SMS_STATUS, price=1), SmsReport).price == Decimal(1)


# -- Viber status --------------------------------------------------------------------------


def test_viber_status_answer_decodes_its_sms_fallback() -> None:
    report = W.structure(loads(VIBER_STATUS), ViberReport)
    assert report.id == 470093225
    assert report.status is ViberStatus.UNDELIVERABLE
    assert report.fallback == (
        FallbackSms(
            id=470094225, status=SmsStatus.DELIVERED, channel="sms", price=Decimal("0.023")
        ),
    )


@pytest.mark.parametrize("alt_route", [[], None, {}])
def test_viber_status_with_empty_or_null_alt_route_has_no_fallback(alt_route: object) -> None:
    report = W.structure(doc(VIBER_STATUS, alt_route=alt_route), ViberReport)
    assert report.fallback == ()


def test_viber_status_without_alt_route_has_no_fallback() -> None:
    assert W.structure(without(VIBER_STATUS, "alt_route"), ViberReport).fallback == ()


def test_viber_read_status_decodes() -> None:
    assert W.structure(doc(VIBER_STATUS, status="READ"), ViberReport).status is ViberStatus.READ


# -- task ----------------------------------------------------------------------------------


@pytest.mark.parametrize("validity", [72, "72"])
def test_task_answer_decodes_validity_as_string_or_integer(validity: object) -> None:
    task = W.structure(doc(TASK, validity=validity), SmsTask)
    assert task == SmsTask(
        sender="alpha_name",
        text="message text",
        validity=timedelta(hours=72),
        total_price=Decimal("0.23"),
        currency="EUR",
        sent=1,
        delivered=1,
        expired=0,
        undeliverable=0,
        unknown=0,
    )


def test_task_answer_with_total_price_spelling_decodes() -> None:
    data = without(TASK, "totalprice")
    data["total_price"] = "0.23"
    assert W.structure(data, SmsTask).total_price == Decimal("0.23")


# -- undecodable answers -------------------------------------------------------------------

BAD = [
    pytest.param(doc(SMS_STATUS, id="abc"), SmsReport, "$.id", id="id-not-digits"),
    pytest.param(without(SMS_STATUS, "id"), SmsReport, "$.id", id="id-missing"),
    pytest.param(doc(SMS_STATUS, id=True), SmsReport, "$.id", id="id-bool"),
    pytest.param(doc(SMS_STATUS, id=Decimal("1.5")), SmsReport, "$.id", id="id-fraction"),
    pytest.param(doc(SMS_STATUS, id="1e999999999"), SmsReport, "$.id", id="id-exponent-text"),
    pytest.param(
        doc(SMS_STATUS, id=Decimal("1e999999999")), SmsReport, "$.id", id="id-huge-number"
    ),
    pytest.param(doc(SMS_STATUS, price=True), SmsReport, "$.price", id="price-bool"),
    pytest.param(doc(SMS_STATUS, price="NaN"), SmsReport, "$.price", id="price-nan-text"),
    pytest.param(doc(SMS_STATUS, price=Decimal("NaN")), SmsReport, "$.price", id="price-nan"),
    pytest.param(doc(SMS_STATUS, price="Infinity"), SmsReport, "$.price", id="price-inf"),
    pytest.param(doc(SMS_STATUS, price=0.5), SmsReport, "$.price", id="price-float"),
    pytest.param(doc(SMS_STATUS, price="12 EUR"), SmsReport, "$.price", id="price-text"),
    pytest.param(doc(SMS_STATUS, msisdn=["380"]), SmsReport, "$.msisdn", id="msisdn-list"),
    pytest.param(doc(SMS_STATUS, status=5), SmsReport, "$.status", id="status-number"),
    pytest.param(without(SMS_STATUS, "status"), SmsReport, "$.status", id="status-missing"),
    pytest.param(doc(SMS_STATUS, time_in="yesterday"), SmsReport, "$.time_in", id="time-text"),
    pytest.param(doc(SMS_STATUS, time_in=1484644301), SmsReport, "$.time_in", id="time-number"),
    pytest.param([loads(SMS_STATUS)], SmsReport, "$", id="list-for-object"),
    pytest.param("delivered", SmsReport, "$", id="string-for-object"),
    pytest.param(None, SmsReport, "$", id="null-for-object"),
    pytest.param(doc(TASK, validity="a day"), SmsTask, "$.validity", id="task-validity"),
    pytest.param(doc(TASK, totalprice=True), SmsTask, "$.totalprice", id="task-totalprice"),
    pytest.param(doc(TASK, sent=None), SmsTask, "$.sent", id="task-counter-null"),
    pytest.param(
        doc(VIBER_STATUS, alt_route=[{"id": "x", "status": "sent"}]),
        ViberReport,
        "$.alt_route[0].id",
        id="alt-route-id",
    ),
    pytest.param(
        doc(VIBER_STATUS, alt_route=[{"status": "sent"}]),
        ViberReport,
        "$.alt_route[0].id",
        id="alt-route-id-missing",
    ),
    pytest.param(doc(VIBER_STATUS, alt_route=[7]), ViberReport, "$.alt_route[0]", id="alt-int"),
    pytest.param(doc(VIBER_STATUS, alt_route="sms"), ViberReport, "$.alt_route", id="alt-str"),
    pytest.param(
        doc(VIBER_STATUS, alt_route={"id": 1, "status": "sent"}),
        ViberReport,
        "$.alt_route",
        id="alt-object",
    ),
    pytest.param(
        doc(BULK, result=[loads(BULK)["result"][0], {"id": "x"}]),
        WireBatch,
        "$.result[1].id",
        id="result-entry-id",
    ),
    pytest.param(doc(BULK, result="ok"), WireBatch, "$.result", id="result-string"),
    pytest.param(doc(BULK, task_id="t-1"), WireBatch, "$.task_id", id="task-id"),
    pytest.param(doc(INDIVIDUAL, totalprice="x"), WireBatch, "$.totalprice", id="totalprice"),
    pytest.param(
        {"result": [{"error": 43, "errorDescription": ["bad"]}]},
        WireBatch,
        "$.result[0].errorDescription",
        id="error-description",
    ),
    pytest.param({"error": "x"}, WireEntry, "$.error", id="entry-error"),
    # Every integer has at most 30 digits, and every amount lies within 1E-9999 to 1E+9999
    # (the default decimal context overflows past 1E+999999, so summing such prices would).
    pytest.param(doc(SMS_STATUS, id=10**30), SmsReport, "$.id", id="id-31-digits"),
    pytest.param(doc(SMS_STATUS, id=-(10**30)), SmsReport, "$.id", id="id-31-digits-negative"),
    pytest.param(
        loads(SMS_STATUS.replace('"price": 0.23', '"price": 1e999999999')),
        SmsReport,
        "$.price",
        id="price-huge-exponent",
    ),
    pytest.param(doc(SMS_STATUS, price="0.1e-9999"), SmsReport, "$.price", id="price-tiny"),
]


@pytest.mark.parametrize(("value", "cls", "path"), BAD)
def test_an_undecodable_answer_raises_unexpected_response_error_naming_the_path(
    value: Any, cls: type[Any], path: str
) -> None:
    error = decode_error(value, cls)
    assert error.field == path
    assert path in str(error)
    if cls in (WireBatch, WireEntry):
        assert "send answer" in str(error)
        assert error.may_have_been_accepted  # the service answered the send: it may hold it
    else:
        assert cls.__name__ in str(error)
    assert error.http_status == 200


def test_a_decoding_error_hides_the_cattrs_internals() -> None:
    error = decode_error(doc(SMS_STATUS, id="abc"), SmsReport)
    assert error.__cause__ is None
    assert error.__suppress_context__


# -- for any JSON value, only UnexpectedResponseError --------------------------------------

KEYS = [
    "error",
    "errorDescription",
    "id",
    "to",
    "reference",
    "status",
    "time_in",
    "time_sent",
    "time_dr",
    "price",
    "currency",
    "alt_route",
    "channel",
    "result",
    "task_id",
    "total_price",
    "totalprice",
    "sender",
    "text",
    "validity",
    "sent",
    "delivered",
    "expired",
    "undeliverable",
    "unknown",
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70).map(str)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str)
    | st.text(max_size=20)
    | st.sampled_from(
        ["", "0", "0000-00-00 00:00:00", "2017-01-17 09:11:41", "delivered", "NaN", "1e99999"]
    )
)
JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
        | st.fixed_dictionaries({}, optional=dict.fromkeys(KEYS, children))
    ),
    max_leaves=25,
)
AROUND_DOCUMENTED = st.builds(
    lambda base, changes: {**loads(base), **changes},
    st.sampled_from(
        [
            SINGLE_FLAT,
            SINGLE_WRAPPED,
            BULK,
            INDIVIDUAL,
            VIBER_CREATE,
            SMS_STATUS,
            VIBER_STATUS,
            TASK,
        ]
    ),
    st.dictionaries(st.sampled_from(KEYS), JSON, max_size=3),
)
ANY_ANSWER = JSON | AROUND_DOCUMENTED
MODELS = [SmsReport, SmsTask, ViberReport, FallbackSms]


@pytest.mark.parametrize("cls", MODELS, ids=[m.__name__ for m in MODELS])
@given(value=ANY_ANSWER)
def test_structure_raises_only_unexpected_response_error(cls: type[Any], value: Any) -> None:
    for decoder in (W, wire(timezone.utc)):
        try:
            outcome: object = decoder.structure(value, cls)
        except UnexpectedResponseError as error:
            outcome = error
        if isinstance(outcome, UnexpectedResponseError):
            assert (outcome.field or "").startswith("$")
        else:
            assert isinstance(outcome, cls)


@given(value=ANY_ANSWER)
def test_single_entry_raises_only_unexpected_response_error(value: Any) -> None:
    try:
        entry = W.single_entry(value)
    except UnexpectedResponseError:
        return
    assert isinstance(entry, tuple) and len(entry) == len(Entry._fields)
    entry = Entry(*entry)
    assert entry.id is None or type(entry.id) is int
    assert entry.price is None or (isinstance(entry.price, Decimal) and entry.price.is_finite())


@given(value=ANY_ANSWER)
def test_batch_raises_only_unexpected_response_error(value: Any) -> None:
    try:
        batch = W.batch(value)
    except UnexpectedResponseError:
        return
    assert all(isinstance(e, tuple) and len(e) == len(Entry._fields) for e in batch.result)
    assert batch.task_id is None or type(batch.task_id) is int


# -- request encoders ----------------------------------------------------------------------


def test_single_sms_request_is_the_documented_body() -> None:
    body = Wire.sms_single(
        Recipient("380501234567", "reference_id"),
        text="test sms",
        sender="sender",
        options={"2way": 1},
    )
    assert body == json.loads(
        """{"destination": "phone", "msisdn": "380501234567", "reference": "reference_id",
        "originator": "sender", "body": "test sms", "2way": 1}"""
    )


def test_bulk_sms_request_is_the_documented_body() -> None:
    body = Wire.sms_bulk(
        [Recipient("380972000001", "12erdgm9"), Recipient("380972000002", "12erdgn0")],
        text="test sms",
        sender="test",
        options={"validity": 72, "tariff": 9},
    )
    assert body == json.loads(
        """{"destination": "phones",
        "phones": [{"msisdn": "380972000001", "reference": "12erdgm9"},
                   {"msisdn": "380972000002", "reference": "12erdgn0"}],
        "originator": "test", "body": "test sms", "validity": 72, "tariff": 9}"""
    )


def test_individual_sms_request_is_the_documented_body() -> None:
    body = Wire.sms_individual(
        [
            SmsMessage("380972000001", "test sms1", "test1", "12erdgm9"),
            SmsMessage("380972000002", "test sms2", "test2", "12erdgn0"),
        ],
        options={"validity": 72, "tariff": 9},
    )
    assert body == json.loads(
        """{"destination": "individual", "validity": 72, "tariff": 9,
        "phones": [{"originator": "test1", "body": "test sms1", "msisdn": "380972000001",
                    "reference": "12erdgm9"},
                   {"originator": "test2", "body": "test sms2", "msisdn": "380972000002",
                    "reference": "12erdgn0"}]}"""
    )


def test_viber_request_is_the_documented_body_with_integers_and_alt_route_inside_viber() -> None:
    message = ViberMessage(
        to=[Recipient("380972920000", "ext_id_19")],
        text="My Viber messages is shinier than your SMS messages",
        sender="BSG",
        is_promotional=False,
        image_url="http://mysite.com/logo.png",
        button_caption="See Details",
        button_url="http://mysite.com/",
        sms_fallback=SmsFallback(
            sender="BSG", text="SMS message will be received if you not a VIBER user."
        ),
    )
    body = Wire.viber([message], options={"tariff": 0, "validity": 3600})
    assert body == json.loads(
        """{"tariff": 0, "validity": 3600,
        "messages": [{
          "to": [{"msisdn": "380972920000", "reference": "ext_id_19"}],
          "text": "My Viber messages is shinier than your SMS messages",
          "alpha_name": "BSG",
          "is_promotional": false,
          "options": {"viber": {
            "img": "http://mysite.com/logo.png",
            "caption": "See Details",
            "action": "http://mysite.com/",
            "alt_route": {"originator": "BSG",
                          "text": "SMS message will be received if you not a VIBER user."}}}}]}"""
    )


def test_viber_request_without_extras_has_no_options() -> None:
    message = ViberMessage(to=[Recipient("380972920000", "v1")], text="Hi", sender="BSG")
    assert Wire.viber([message], options={}) == {
        "messages": [
            {
                "to": [{"msisdn": "380972920000", "reference": "v1"}],
                "text": "Hi",
                "alpha_name": "BSG",
                "is_promotional": False,
            }
        ]
    }


def test_viber_request_with_only_a_fallback_puts_it_inside_options_viber() -> None:
    message = ViberMessage(
        to=["380972920000"],
        text="Hi",
        sender="BSG",
        sms_fallback=SmsFallback(text="Hi", sender="BSG"),
    )
    encoded = Wire.viber([message], options={})["messages"][0]
    assert encoded["options"] == {"viber": {"alt_route": {"originator": "BSG", "text": "Hi"}}}
    assert "alt_route" not in encoded


# -- counts and codes read outside the converter -------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        (43, 43),
        ("43", 43),
        (" 7 ", 7),
        ("9" * 30, 10**30 - 1),
        (10**30 - 1, 10**30 - 1),
        ("9" * 31, None),
        ("9" * 5000, None),  # `int()` would raise past 4,300 digits
        (10**30, None),
        (-1, None),
        ("-1", None),
        ("+1", None),
        ("\u0661", None),  # another script's digit
        ("", None),
        (True, None),
        (1.0, None),
        (None, None),
    ],
)
def test_count_from_reads_only_short_non_negative_counts(
    value: object, expected: int | None
) -> None:
    assert count_from(value) == expected


def test_the_largest_integers_and_amounts_still_decode() -> None:
    report = W.structure(
        loads(
            SMS_STATUS.replace('"price": 0.23', '"price": 9.5e9999').replace(
                '"211"', '"9' + "9" * 29 + '"'
            )
        ),
        SmsReport,
    )
    assert report.id == 10**30 - 1
    assert report.price == Decimal("9.5e9999")


@pytest.mark.parametrize(
    "item",
    [
        {
            "reference": "r1",
            "error": 43,
            "errorDescription": "Exists",
            "id": "7",
            "currency": "EUR",
        },
        {"reference": "r1", "error": 43, "errorDescription": "Exists"},
        {
            "reference": "r1",
            "error": 43,
            "id": "7",
            "price": "0.1",
            "currency": "EUR",
            "errorDescription": "Exists",
        },
    ],
    ids=["five-keys-not-the-usual-five", "three-keys", "the-usual-five-and-more"],
)
def test_an_entry_keeps_its_description_whatever_keys_it_has(item: dict[str, Any]) -> None:
    entry = Entry(*W.batch({"result": [item]}).result[0])
    assert (entry.reference, entry.error, entry.error_description) == ("r1", 43, "Exists")


def test_an_entry_of_just_the_usual_five_keys_has_no_description_or_msisdn() -> None:
    item = {"reference": "r1", "error": "0", "id": "7", "price": "0.1", "currency": "EUR"}
    entry = Entry(*W.batch({"result": [item]}).result[0])
    assert entry == Entry("r1", 0, None, 7, Decimal("0.1"), "EUR", None)
