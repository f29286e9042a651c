"""Parsing BSG's RCS callbacks: every documented shape decodes, and bad input only ever raises
`WebhookPayloadError` naming the field."""

from __future__ import annotations

import copy
import doctest
import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bsg_async.models.rcs_report
import bsg_async.webhooks
from bsg_async.errors import BSGError, InvalidParameterError, WebhookPayloadError
from bsg_async.models.rcs_report import RcsClick, RcsReport, RcsStatus
from bsg_async.webhooks import (
    DEFAULT_MAX_BODY_SIZE,
    parse_rcs_callbacks,
    parse_rcs_click,
    parse_rcs_report,
    parse_rcs_reports,
    rcs_click_payload,
    rcs_report_payload,
)

# bsg-api.md 7.1, verbatim.
DOCUMENTED_REPORT = (
    '{"error": 0, "errorDescription": "No errors", "id": "3266500452", "msisdn": "380997087351",'
    ' "reference": "hello", "time_in": "2024-08-22 11:47:42", "time_sent": "2024-08-22 11:47:42",'
    ' "time_dr": "2024-08-22 11:47:53", "status": "delivered", "price": "1.1000000",'
    ' "currency": "EUR"}'
)
# bsg-api.md 8.4: a click callback carries {id, reference, msisdn, text, postback, time_click}.
DOCUMENTED_CLICK = (
    '{"id": "3266500452", "reference": "hello", "msisdn": "380997087351", "text": "Yes",'
    ' "postback": "confirm_yes", "time_click": "2024-08-22 11:50:02"}'
)
# The 11 statuses of bsg-api.md 7.1, upper case as in the table.
DOCUMENTED_STATUSES = [
    "SCHEDULED",
    "MODERATION",
    "SENT",
    "DELIVERED",
    "SENDING",
    "ACCEPTED",
    "EXPIRED",
    "UNDELIVERED",
    "READ",
    "UNKNOWN",
    "FAILED",
]


def report_dict(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DOCUMENTED_REPORT)
    data.update(changes)
    return data


def body(data: Any) -> bytes:
    return json.dumps(data).encode()


# -- the documented payloads --------------------------------------------------------------------


def test_documented_report_decodes_every_field() -> None:
    report = parse_rcs_report(DOCUMENTED_REPORT.encode())

    assert report == RcsReport(
        id=3266500452,
        status=RcsStatus.DELIVERED,
        to="380997087351",
        reference="hello",
        time_in=datetime(2024, 8, 22, 11, 47, 42),
        time_sent=datetime(2024, 8, 22, 11, 47, 42),
        time_dr=datetime(2024, 8, 22, 11, 47, 53),
        price=Decimal("1.1000000"),
        currency="EUR",
        error=0,
        error_description="No errors",
    )
    assert report.status_known


def test_price_keeps_its_seven_decimals() -> None:
    price = parse_rcs_report(DOCUMENTED_REPORT).price

    assert price is not None
    assert str(price) == "1.1000000"
    assert price.as_tuple().exponent == -7


def test_price_as_a_json_number_is_read_through_its_text() -> None:
    report = parse_rcs_report(b'{"id": 1, "status": "sent", "price": 0.23}')

    assert report.price == Decimal("0.23")
    assert str(report.price) == "0.23"


@pytest.mark.parametrize("wire_id", ["3266500452", 3266500452, "  3266500452 ", 3266500452.0])
def test_id_is_an_int_from_a_string_or_a_number(wire_id: object) -> None:
    assert parse_rcs_report(body(report_dict(id=wire_id))).id == 3266500452


def test_id_beyond_32_bits_is_kept_exactly() -> None:
    assert parse_rcs_report(body(report_dict(id="98765432109876543210"))).id == (
        98765432109876543210
    )


@pytest.mark.parametrize("name", DOCUMENTED_STATUSES)
@pytest.mark.parametrize("spelling", [str.upper, str.lower, str.title])
def test_every_documented_status_is_parsed_in_any_case(name: str, spelling: Any) -> None:
    report = parse_rcs_report(body(report_dict(status=spelling(name))))

    assert report.status is RcsStatus[name]
    assert report.status == name.lower()
    assert report.status_known


def test_rcs_status_has_exactly_the_eleven_documented_values() -> None:
    assert [member.name for member in RcsStatus] == DOCUMENTED_STATUSES
    assert all(member.value == member.name.lower() for member in RcsStatus)


def test_unknown_status_is_kept_raw_and_flagged() -> None:
    report = parse_rcs_report(body(report_dict(status="Not_Service_User")))

    assert report.status == "Not_Service_User"
    assert not isinstance(report.status, RcsStatus)
    assert report.status_known is False


def test_status_with_surrounding_spaces_is_known() -> None:
    assert parse_rcs_report(body(report_dict(status=" READ "))).status is RcsStatus.READ


@pytest.mark.parametrize("empty", ["", None, "0000-00-00 00:00:00", "   "])
def test_time_not_yet_known_is_none(empty: object) -> None:
    report = parse_rcs_report(body(report_dict(time_sent=empty, time_dr=empty)))

    assert report.time_sent is None
    assert report.time_dr is None
    assert report.time_in == datetime(2024, 8, 22, 11, 47, 42)


def test_missing_optional_fields_default() -> None:
    report = parse_rcs_report(b'{"id": "5", "status": "sending"}')

    assert report == RcsReport(id=5, status=RcsStatus.SENDING)
    assert report.error == 0
    assert report.price is None
    assert report.time_in is None


@pytest.mark.parametrize("error", [0, "0"])
def test_error_zero_as_number_or_string(error: object) -> None:
    assert parse_rcs_report(body(report_dict(error=error))).error == 0


def test_error_code_and_description_are_kept() -> None:
    report = parse_rcs_report(
        body(report_dict(error="5", errorDescription="Unknown error", status="FAILED"))
    )

    assert (report.error, report.error_description, report.status) == (
        5,
        "Unknown error",
        RcsStatus.FAILED,
    )


def test_msisdn_as_a_number_becomes_a_string() -> None:
    assert parse_rcs_report(body(report_dict(msisdn=380997087351))).to == "380997087351"


def test_unknown_extra_fields_are_ignored() -> None:
    report = parse_rcs_report(body(report_dict(channel="rcs", extra={"nested": [1, 2]})))

    assert report == parse_rcs_report(DOCUMENTED_REPORT)


def test_timezone_is_attached_to_times() -> None:
    kyiv = timezone(timedelta(hours=3))

    report = parse_rcs_report(DOCUMENTED_REPORT, timezone=kyiv)

    assert report.time_dr == datetime(2024, 8, 22, 11, 47, 53, tzinfo=kyiv)


# -- the body forms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        DOCUMENTED_REPORT,
        DOCUMENTED_REPORT.encode(),
        bytearray(DOCUMENTED_REPORT.encode()),
        memoryview(DOCUMENTED_REPORT.encode()),
        b"\xef\xbb\xbf" + DOCUMENTED_REPORT.encode(),  # a UTF-8 byte order mark
        json.loads(DOCUMENTED_REPORT),
    ],
    ids=["str", "bytes", "bytearray", "memoryview", "bom", "mapping"],
)
def test_every_body_form_gives_the_same_report(form: Any) -> None:
    assert parse_rcs_report(form) == parse_rcs_report(DOCUMENTED_REPORT)


def test_decoded_mapping_float_price_is_read_through_its_shortest_text() -> None:
    report = parse_rcs_report({"id": 1, "status": "sent", "price": 0.23})

    assert report.price == Decimal("0.23")


def test_decoded_mapping_of_another_mapping_type_is_accepted() -> None:
    class Frozen(Mapping[str, Any]):
        def __init__(self, data: dict[str, Any]) -> None:
            self._data = data

        def __getitem__(self, key: str) -> Any:
            return self._data[key]

        def __iter__(self) -> Iterator[str]:
            return iter(self._data)

        def __len__(self) -> int:
            return len(self._data)

    assert parse_rcs_report(Frozen(report_dict())) == parse_rcs_report(DOCUMENTED_REPORT)


def test_reports_accepts_a_list() -> None:
    reports = parse_rcs_reports(body([report_dict(), report_dict(id=3266500453, status="READ")]))

    assert [(r.id, r.status) for r in reports] == [
        (3266500452, RcsStatus.DELIVERED),
        (3266500453, RcsStatus.READ),
    ]


def test_reports_accepts_a_single_object() -> None:
    assert parse_rcs_reports(DOCUMENTED_REPORT) == (parse_rcs_report(DOCUMENTED_REPORT),)


def test_reports_accepts_an_empty_list() -> None:
    assert parse_rcs_reports(b"[]") == ()


def test_reports_names_the_bad_item_by_index() -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_rcs_reports(body([report_dict(), {"id": 2}]))

    assert caught.value.field == "[1].status"


def test_reports_refuses_a_list_item_that_is_not_an_object() -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_rcs_reports(body([report_dict(), "x"]))

    assert caught.value.field == "[1]"


def test_report_refuses_a_list() -> None:
    with pytest.raises(WebhookPayloadError, match="parse_rcs_reports") as caught:
        parse_rcs_report(body([report_dict()]))

    assert caught.value.field == "body"


@pytest.mark.parametrize("data", ["x", 5, None, True])
def test_reports_refuses_a_body_that_is_not_an_object_or_list(data: object) -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_rcs_reports(body(data))

    assert caught.value.field == "body"


# -- clicks -------------------------------------------------------------------------------------


def test_documented_click_decodes_every_field() -> None:
    click = parse_rcs_click(DOCUMENTED_CLICK.encode())

    assert click == RcsClick(
        id=3266500452,
        reference="hello",
        to="380997087351",
        text="Yes",
        postback="confirm_yes",
        time_click=datetime(2024, 8, 22, 11, 50, 2),
    )


def test_click_with_an_integer_id() -> None:
    data = json.loads(DOCUMENTED_CLICK) | {"id": 3266500452}

    assert parse_rcs_click(body(data)) == parse_rcs_click(DOCUMENTED_CLICK)


def test_click_without_id_names_the_field() -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_rcs_click(b'{"postback": "yes"}')

    assert caught.value.field == "id"


def test_click_refuses_a_list() -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_rcs_click(b"[]")

    assert caught.value.field == "body"


def test_callbacks_tell_clicks_from_reports() -> None:
    events = parse_rcs_callbacks(
        body([json.loads(DOCUMENTED_CLICK), report_dict(), {"id": 9, "time_click": ""}])
    )

    assert [type(e) for e in events] == [RcsClick, RcsReport, RcsClick]


def test_callbacks_treat_an_object_with_status_as_a_report() -> None:
    (event,) = parse_rcs_callbacks(body(report_dict(postback="yes")))

    assert isinstance(event, RcsReport)


# -- refusals name the field --------------------------------------------------------------------


@pytest.mark.parametrize("field", ["id", "status"])
def test_missing_required_field_is_named(field: str) -> None:
    data = report_dict()
    del data[field]

    with pytest.raises(WebhookPayloadError, match="missing") as caught:
        parse_rcs_report(body(data))

    assert caught.value.field == field


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "abc"),
        ("id", True),
        ("id", None),
        ("id", 1.5),
        ("id", -1),
        ("id", 10**30),
        ("id", []),
        ("status", 5),
        ("status", None),
        ("status", ""),
        ("status", "  "),
        ("status", {"code": "delivered"}),
        ("price", "1,1000000"),
        ("price", "NaN"),
        ("price", "Infinity"),
        ("price", True),
        ("price", ""),
        ("time_in", "yesterday"),
        ("time_sent", 1724327262),
        ("time_dr", "2024-13-45 99:99:99"),
        ("msisdn", ["380997087351"]),
        ("reference", {}),
        ("currency", 1.5),
        ("error", "x"),
        ("error", None),
        ("errorDescription", {"text": "no"}),
    ],
)
def test_wrong_type_is_refused_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_rcs_report(body(report_dict(**{field: value})))

    assert caught.value.field == field
    assert repr(field) in str(caught.value)


def test_error_is_a_bsg_error_and_a_value_error() -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_rcs_report(b"{}")

    assert isinstance(caught.value, BSGError)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe{}", b'{"id": "\xc3\x28", "status": "sent"}', b"\x80"],
    ids=["utf16-bom", "bad-continuation", "lone-continuation"],
)
def test_body_that_is_not_utf8_is_refused(raw: bytes) -> None:
    with pytest.raises(WebhookPayloadError, match="UTF-8") as caught:
        parse_rcs_report(raw)

    assert caught.value.field == "body"


def test_str_with_a_lone_surrogate_is_refused() -> None:
    with pytest.raises(WebhookPayloadError, match="UTF-8") as caught:
        parse_rcs_report('{"id": 1, "status": "\ud800"}')

    assert caught.value.field == "body"


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"{", b'{"id": 1,}', b"{'id': 1}", b'{"id": 1} {}'],
)
def test_body_that_is_not_json_is_refused(raw: bytes) -> None:
    with pytest.raises(WebhookPayloadError, match="not JSON") as caught:
        parse_rcs_report(raw)

    assert caught.value.field == "body"


@pytest.mark.parametrize("number", ["1e999999999", "1e10000", "0.1e-9999", "NaN", "-Infinity"])
def test_number_out_of_range_is_refused_naming_its_field(number: str) -> None:
    with pytest.raises(WebhookPayloadError, match="exponent from -9999 to 9999") as caught:
        parse_rcs_report(f'{{"id": 1, "status": "sent", "price": {number}}}')

    assert caught.value.field == "price"


@pytest.mark.parametrize("number", ["1e10000", "NaN", "Infinity"])
def test_number_out_of_range_as_an_id_is_refused_naming_the_id(number: str) -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_rcs_reports(f'[{{"id": 1, "status": "sent"}}, {{"id": {number}, "status": "sent"}}]')

    assert caught.value.field == "[1].id"


def test_number_out_of_range_in_a_field_nobody_reads_is_ignored() -> None:
    # As in an answer of the API: unknown fields are ignored, whatever they hold.
    report = parse_rcs_report('{"id": 1, "status": "sent", "extra": [1e99999, NaN]}')

    assert report.id == 1


def test_body_over_the_default_limit_is_refused() -> None:
    padding = "x" * DEFAULT_MAX_BODY_SIZE
    data = body(report_dict(reference=padding))

    with pytest.raises(WebhookPayloadError, match="larger than") as caught:
        parse_rcs_report(data)

    assert caught.value.field == "body"


def test_body_limit_is_configurable() -> None:
    data = body(report_dict(reference="x" * 100_000))

    assert parse_rcs_report(data, max_body_size=200_000).reference == "x" * 100_000
    with pytest.raises(WebhookPayloadError, match="larger than"):
        parse_rcs_report(DOCUMENTED_REPORT, max_body_size=100)


def test_body_exactly_at_the_limit_is_accepted() -> None:
    data = DOCUMENTED_REPORT.encode()

    assert parse_rcs_report(data, max_body_size=len(data)).id == 3266500452


def test_str_body_limit_counts_utf8_bytes() -> None:
    text = json.dumps(report_dict(reference="é" * 100), ensure_ascii=False)

    with pytest.raises(WebhookPayloadError, match="larger than"):
        parse_rcs_report(text, max_body_size=len(text) + 50)


def test_deep_nesting_is_refused_before_parsing() -> None:
    deep = b'{"id": 1, "status": "sent", "x": ' + b"[" * 40 + b"]" * 40 + b"}"

    with pytest.raises(WebhookPayloadError, match="deeper than 32") as caught:
        parse_rcs_report(deep)

    assert caught.value.field == "body"


def test_nesting_up_to_the_limit_is_accepted() -> None:
    deep = b'{"id": 1, "status": "sent", "x": ' + b"[" * 31 + b"]" * 31 + b"}"

    assert parse_rcs_report(deep).id == 1


def test_a_body_filled_with_brackets_raises_only_the_payload_error() -> None:
    with pytest.raises(WebhookPayloadError, match="deeper"):
        parse_rcs_report(b"[" * DEFAULT_MAX_BODY_SIZE)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    reference = '[{"' * 50 + '\\"]' * 50

    report = parse_rcs_report(body(report_dict(reference=reference)))

    assert report.reference == reference


def test_depth_limit_is_configurable() -> None:
    with pytest.raises(WebhookPayloadError, match="deeper than 1"):
        parse_rcs_report(body(report_dict(extra=[1])), max_depth=1)


def test_deep_decoded_mapping_is_refused() -> None:
    data: dict[str, Any] = report_dict()
    node = data
    for _ in range(40):
        node["x"] = {}
        node = node["x"]

    with pytest.raises(WebhookPayloadError, match="deeper"):
        parse_rcs_report(data)


def test_cyclic_decoded_mapping_is_refused() -> None:
    data: dict[str, Any] = report_dict()
    data["self"] = data

    with pytest.raises(WebhookPayloadError, match="deeper"):
        parse_rcs_report(data)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (report_dict(extra={1: "x"}), "extra"),
        (report_dict(price=float("nan")), "price"),
        (report_dict(price=float("inf")), "price"),
        (report_dict(price=Decimal("sNaN")), "price"),
        (report_dict(extra={"when": datetime(2024, 1, 1)}), "extra.when"),
        (report_dict(extra=[{1, 2}]), "extra[0]"),
    ],
)
def test_decoded_mapping_with_non_json_values_is_refused(data: Any, field: str) -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_rcs_report(data)

    assert caught.value.field == field


def test_decoded_mapping_that_fails_to_iterate_is_refused() -> None:
    class Broken(Mapping[str, Any]):
        def __getitem__(self, key: str) -> Any:
            raise KeyError(key)

        def __iter__(self) -> Iterator[str]:
            return iter(["id"])

        def __len__(self) -> int:
            return 1

    with pytest.raises(WebhookPayloadError, match="could not be read") as caught:
        parse_rcs_report(Broken())

    assert caught.value.field == "body"


@pytest.mark.parametrize("wrong", [None, 5, 1.5, object()])
def test_body_of_an_unsupported_type_is_refused(wrong: Any) -> None:
    with pytest.raises(WebhookPayloadError) as caught:
        parse_rcs_report(wrong)

    assert caught.value.field == "body"


@pytest.mark.parametrize(
    ("option", "value"), [("max_body_size", 0), ("max_depth", 0), ("max_depth", 10_000)]
)
def test_bad_limit_is_an_invalid_parameter(option: str, value: int) -> None:
    options: dict[str, Any] = {option: value}

    with pytest.raises(InvalidParameterError) as caught:
        parse_rcs_report(DOCUMENTED_REPORT, **options)

    assert caught.value.field == option


# -- payload round trip -------------------------------------------------------------------------


def test_documented_report_round_trips_through_its_payload() -> None:
    report = parse_rcs_report(DOCUMENTED_REPORT)

    payload = rcs_report_payload(report)

    assert payload == json.loads(DOCUMENTED_REPORT)
    assert parse_rcs_report(json.dumps(payload)) == report


def test_documented_click_round_trips_through_its_payload() -> None:
    click = parse_rcs_click(DOCUMENTED_CLICK)

    assert rcs_click_payload(click) == json.loads(DOCUMENTED_CLICK)
    assert parse_rcs_click(json.dumps(rcs_click_payload(click))) == click


def test_docstring_examples_hold() -> None:
    for module in (bsg_async.webhooks, bsg_async.models.rcs_report):
        result = doctest.testmod(module)
        assert result.attempted > 0
        assert result.failed == 0


# -- for every input ----------------------------------------------------------------------------

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.decimals() | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)
REPORT_KEYS = [*json.loads(DOCUMENTED_REPORT), "postback", "time_click", "text"]
report_like = st.fixed_dictionaries(
    {}, optional=dict.fromkeys(REPORT_KEYS, json_values)
)  # every field present or not, with any value


def parsed_or_refused(data: Any) -> RcsReport | None:
    """Parse `data`; a refusal must be a `WebhookPayloadError` naming a field."""
    try:
        return parse_rcs_report(data)
    except WebhookPayloadError as exc:
        refusal = exc
    assert refusal.field
    return None


def assert_round_trips(report: RcsReport) -> None:
    again = parse_rcs_report(json.dumps(rcs_report_payload(report)))
    assert again == report
    assert type(again.status) is type(report.status)


@given(json_values)
def test_any_decoded_value_raises_only_the_payload_error(data: Any) -> None:
    report = parsed_or_refused(data)
    if report is not None:
        assert_round_trips(report)


@given(report_like)
def test_any_values_in_report_fields_raise_only_the_payload_error(data: dict[str, Any]) -> None:
    for form in (data, json.dumps(data, default=str)):
        report = parsed_or_refused(form)
        if report is not None:
            assert_round_trips(report)


@given(st.binary(max_size=300))
def test_any_bytes_raise_only_the_payload_error(raw: bytes) -> None:
    parsed_or_refused(raw)


@given(st.text(max_size=300))
def test_any_text_raises_only_the_payload_error(text: str) -> None:
    parsed_or_refused(text)


@given(st.lists(st.sampled_from('{}[]",:\\ 0a-.eE'), max_size=80).map("".join))
def test_any_json_like_characters_raise_only_the_payload_error(text: str) -> None:
    for parse in (parse_rcs_report, parse_rcs_reports, parse_rcs_click, parse_rcs_callbacks):
        refusal = None
        try:
            parse(text)
        except WebhookPayloadError as exc:
            refusal = exc
        assert refusal is None or refusal.field


mutations = st.one_of(
    st.tuples(st.just("delete"), st.sampled_from(list(json.loads(DOCUMENTED_REPORT))), st.none()),
    st.tuples(st.just("set"), st.sampled_from(REPORT_KEYS), json_values),
    st.tuples(
        st.just("set"),
        st.just("status"),
        st.sampled_from(DOCUMENTED_STATUSES).flatmap(
            lambda s: st.sampled_from([s, s.lower(), s.title(), f" {s} "])
        ),
    ),
    st.tuples(
        st.just("set"),
        st.just("id"),
        st.integers(min_value=0, max_value=10**25).flatmap(lambda i: st.sampled_from([i, str(i)])),
    ),
)


@given(st.lists(mutations, max_size=5), st.booleans())
def test_mutated_documented_report_is_parsed_or_refused_cleanly(
    changes: list[tuple[str, str, Any]], as_bytes: bool
) -> None:
    data = copy.deepcopy(json.loads(DOCUMENTED_REPORT))
    for action, key, value in changes:
        if action == "delete":
            data.pop(key, None)
        else:
            data[key] = value
    form: Any = json.dumps(data, default=str).encode() if as_bytes else data
    report = parsed_or_refused(form)
    if report is not None:
        assert_round_trips(report)
        if "id" in data and "status" in data and isinstance(data["status"], str):
            status = data["status"].strip().lower()
            assert report.status_known is (status in {s.lower() for s in DOCUMENTED_STATUSES})


naive_times = st.none() | st.datetimes(min_value=datetime(1, 1, 1, 0, 0, 1))
unknown_statuses = st.text(min_size=1, max_size=20).filter(
    lambda s: s.strip() != "" and not isinstance(RcsStatus.parse(s), RcsStatus)
)
reports = st.builds(
    RcsReport,
    id=st.integers(min_value=0, max_value=10**30 - 1),
    status=st.sampled_from(RcsStatus) | unknown_statuses,
    to=st.none() | st.text(max_size=15),
    reference=st.none() | st.text(max_size=32),
    time_in=naive_times,
    time_sent=naive_times,
    time_dr=naive_times,
    price=st.none()
    | st.decimals(
        min_value=Decimal("-1e12"),
        max_value=Decimal("1e12"),
        places=7,
        allow_nan=False,
        allow_infinity=False,
    ),
    currency=st.none() | st.text(max_size=3),
    error=st.integers(min_value=-(10**9), max_value=10**9),
    error_description=st.none() | st.text(max_size=40),
)
clicks = st.builds(
    RcsClick,
    id=st.integers(min_value=0, max_value=10**30 - 1),
    reference=st.none() | st.text(max_size=32),
    to=st.none() | st.text(max_size=15),
    text=st.none() | st.text(max_size=25),
    postback=st.none() | st.text(max_size=25),
    time_click=naive_times,
)


@given(reports)
def test_every_report_round_trips_through_its_payload(report: RcsReport) -> None:
    raw = json.dumps(rcs_report_payload(report)).encode()

    assert parse_rcs_report(raw) == report
    assert parse_rcs_callbacks(raw) == (report,)


@given(clicks)
def test_every_click_round_trips_through_its_payload(click: RcsClick) -> None:
    raw = json.dumps(rcs_click_payload(click)).encode()

    assert parse_rcs_click(raw) == click
    assert parse_rcs_callbacks(raw) == (click,)
