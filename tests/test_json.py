"""`_json`: one JSON decoder and encoder for answers and webhooks, with one set of number limits."""

from __future__ import annotations

import doctest
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bsg_async import _json
from bsg_async._json import EXPONENT_LIMIT, OUT_OF_RANGE, dumps, loads


def test_dumps_writes_compact_utf8_json() -> None:
    assert dumps({"body": "Привіт", "2way": 1}) == '{"body":"Привіт","2way":1}'.encode()


def test_loads_parses_every_fraction_as_decimal() -> None:
    assert loads(b'{"price": 0.1, "n": 3}') == {"price": Decimal("0.1"), "n": 3}
    assert type(loads("[1.5]")[0]) is Decimal


def test_json_numbers_become_exact_decimals_parsed_once() -> None:
    data = _json.loads(b'{"a": 0.23, "b": [0.23, 1.1000000, 2e-3], "c": 7}')
    assert data == {
        "a": Decimal("0.23"),
        "b": [Decimal("0.23"), Decimal("1.1000000"), Decimal("2e-3")],
        "c": 7,
    }
    assert data["a"] is data["b"][0]  # one Decimal per text, shared
    assert str(data["b"][1]) == "1.1000000"  # the digits as sent
    assert type(data["c"]) is int


@pytest.mark.parametrize(
    "content",
    [b"", b"[1,", b"\xff", "\ufeff[1]", b"NaN1", b'{"a": 1} x'],
    ids=["empty", "truncated", "not-utf8", "text-with-bom", "junk", "trailing-data"],
)
def test_undecodable_answers_fail_as_json_loads_fails(content: bytes | str) -> None:
    with pytest.raises(ValueError) as ours:
        _json.loads(content)
    with pytest.raises(ValueError) as standard:
        json.loads(content)
    assert type(ours.value) is type(standard.value)


def test_answers_in_any_json_encoding_decode() -> None:
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-32"):
        assert _json.loads('{"price": 0.5}'.encode(encoding)) == {"price": Decimal("0.5")}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)  # beyond 64 bits: orjson refuses
    | st.text()
    | st.sampled_from(["\ud800", "a\udfffb", "\u2028", "\x00\x1f\x7f", '"\\/', "Привіт 👋"]),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def encoded(encode: Any, payload: Any) -> Any:
    try:
        return encode(payload)
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 for it
        return UnicodeEncodeError


@given(json_values)
def test_request_bodies_are_the_same_bytes_with_or_without_orjson(payload: Any) -> None:
    assert encoded(_json.dumps, payload) == encoded(_json._json_dumps, payload)


@given(st.dictionaries(st.integers(min_value=-(2**63), max_value=2**63 - 1), json_values))
def test_integer_keys_are_the_same_bytes_with_or_without_orjson(payload: Any) -> None:
    ours = encoded(lambda value: _json.dumps(value, integer_keys=True), [payload])
    assert ours == encoded(_json._json_dumps, [payload])


def test_orjson_encodes_request_bodies_when_installed() -> None:
    orjson = pytest.importorskip("orjson")
    assert _json._orjson_dumps is orjson.dumps  # the property above compares both encoders
    body = {"phones": [{"msisdn": "380972000001", "reference": "a"}], "body": "Привіт"}
    assert _json.dumps(body) == json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


# -- the number limits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["9.5e9999", "-9.5e9999", "1e-9999", "0.0", "-0.0", "1.1000000", "123.456e-20"],
)
def test_a_number_within_the_limits_is_its_exact_text(text: str) -> None:
    value = loads(f"[{text}]")[0]
    assert value.is_finite()
    assert value.as_tuple() == Decimal(text).as_tuple()  # every digit and the exponent kept


@pytest.mark.parametrize(
    "text", ["1e10000", "-1e10000", "10.0e9999", "0.1e-9999", "1e-10000", "0e-99999", "1e999999999"]
)
def test_a_number_beyond_the_limits_decodes_as_out_of_range(text: str) -> None:
    assert loads(f'{{"price": {text}}}')["price"] is OUT_OF_RANGE


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants_decode_as_out_of_range_not_as_floats(constant: str) -> None:
    assert loads(f'{{"price": {constant}}}')["price"] is OUT_OF_RANGE


@given(st.integers(min_value=-(EXPONENT_LIMIT + 5), max_value=EXPONENT_LIMIT + 5))
def test_the_exponent_limit_is_the_same_in_both_directions(exponent: int) -> None:
    value = loads(f"[1.5e{exponent}]")[0]
    if abs(exponent) <= EXPONENT_LIMIT:
        assert value == Decimal(f"1.5e{exponent}")
    else:
        assert value is OUT_OF_RANGE


def test_a_long_number_text_is_parsed_exactly_but_not_remembered() -> None:
    text = "0." + "7" * 100
    assert loads(f"[{text}]") == [Decimal(text)]
    assert text not in _json._NUMBERS


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(_json)
    assert result.attempted > 0
    assert result.failed == 0


def test_an_integer_too_long_for_int_decodes_as_out_of_range() -> None:
    digits = "1" + "0" * 5000  # `int` reads at most 4,300 digits from a text

    assert loads(f'{{"id": {digits}, "error": 0, "price": 0.5}}') == {
        "id": OUT_OF_RANGE,
        "error": 0,
        "price": Decimal("0.5"),
    }


def test_a_document_that_is_not_json_fails_even_with_a_long_integer_in_it() -> None:
    with pytest.raises(json.JSONDecodeError, match="Expecting value"):
        loads(f'{{"id": {"1" + "0" * 5000}, "error": }}')
