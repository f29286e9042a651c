"""The shortcuts on the per-recipient and per-request path give what the long way gives."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bsg_async import (
    AsyncBSG,
    InvalidParameterError,
    Recipient,
    SmsFallback,
    ViberMessage,
    _converter,
)
from bsg_async import _validation as rules
from bsg_async._converter import Wire, _decimal, _int
from bsg_async.batch import _Chunker
from bsg_async.models.batch import Failed

from .conftest import API_KEY, BASE

# Strings that look like digits to `str.isdigit` but are no ASCII number, and edge lengths.
ARABIC_INDIC_123 = "\u0661\u0662\u0663"
TRICKY_IDS = ["²", ARABIC_INDIC_123, "①", "0" * 30, "1" * 31, " 12", "12 ", "-5", "+5", "", "1_0"]
numbers = st.one_of(
    st.sampled_from(TRICKY_IDS),
    st.text(alphabet=st.characters(categories=["Nd", "No"]), max_size=4),
    st.text(max_size=6),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.booleans(),
    st.none(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.floats(),
)


def mocked(answer: Any) -> AsyncBSG:
    return AsyncBSG(api_key=API_KEY, base_url=BASE, transport=httpx.MockTransport(answer))


def outcome_of(function: Any, value: Any) -> Any:
    """What `function(value)` returns, or the type of what it raises."""
    try:
        return ("value", function(value), type(function(value)))
    except Exception as error:  # the hooks raise ValueError or TypeError
        return ("raises", type(error))


@given(numbers)
def test_an_integer_is_at_most_30_ascii_digits_however_it_is_written(value: Any) -> None:
    outcome = outcome_of(_int, value)
    if isinstance(value, str):
        accepted = re.fullmatch(r"\s*-?[0-9]{1,30}\s*", value, flags=re.ASCII) is not None
        assert outcome == (("value", int(value), int) if accepted else ("raises", ValueError))
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        assert outcome[0] == "raises"
    elif isinstance(value, int):
        assert outcome[0] == ("value" if abs(value) < 10**30 else "raises")


@given(numbers)
def test_an_amount_is_exact_and_within_range_however_it_is_written(value: Any) -> None:
    outcome = outcome_of(_decimal, value)
    if outcome[0] == "value":
        amount = outcome[1]
        assert type(amount) is Decimal and amount.is_finite()
        assert -9999 <= amount.adjusted() <= 9999
        assert not isinstance(value, bool | float)


phone_like = st.one_of(
    st.from_regex(r"\A\+?[0-9]{5,17}\Z"),
    st.text(alphabet=st.sampled_from("+0123456789 \u00b2\u0661\uff11-"), max_size=17),
    st.text(max_size=17),
)


@given(phone_like)
def test_msisdn_check_is_the_documented_pattern(value: str) -> None:
    documented = re.fullmatch(r"\+?([0-9]{7,15})", value)
    if documented:
        assert rules.msisdn(value) == documented.group(1)
    else:
        with pytest.raises(InvalidParameterError):
            rules.msisdn(value)


def prepared(item: object) -> tuple[list[tuple[int, Recipient]], Any]:
    """What the batch's producer makes of one input item: the chunk, and the refusal if any."""
    chunker = _Chunker(size=50)
    chunker.add(0, item)
    return chunker.chunk, chunker.rejected[0] if chunker.rejected else None


def test_a_number_in_a_batch_gets_a_fresh_valid_reference() -> None:
    [(_, first)], _ = prepared("+380972000001")
    [(_, second)], _ = prepared("380972000001")
    assert first.to == "380972000001"
    assert re.fullmatch(r"[0-9a-f]{32}", first.reference or "")
    assert first.reference != second.reference
    # The same value the validating constructor makes, equal and hashing alike.
    again = Recipient(first.to, first.reference)
    assert again == first and hash(again) == hash(first)


def test_price_strings_are_remembered_within_a_bound() -> None:
    _converter._PRICES.clear()
    first = _decimal("0.0200")
    assert _decimal("0.0200") is first  # parsed once, shared after
    for cents in range(_converter._PRICES.limit + 10):
        assert _decimal(f"{cents}.5") == Decimal(f"{cents}.5")
    assert len(_converter._PRICES) <= _converter._PRICES.limit
    assert _decimal("0.0200") == first  # forgotten once the bound was reached: parsed again
    with pytest.raises(ValueError, match="expected a number"):
        _decimal("12abc")  # a bad price is refused every time, never remembered
    assert "12abc" not in _converter._PRICES
    long = "1." + "5" * 100
    assert _decimal(long) == Decimal(long)
    assert long not in _converter._PRICES  # parsed, not remembered: the memo stays small


def test_references_of_a_batch_are_fresh_valid_and_unique_across_reads() -> None:
    supply = rules.new_references(per_read=3)
    references = [next(supply) for _ in range(10)]  # four reads of the random source
    assert all(re.fullmatch(r"[0-9a-f]{32}", reference) for reference in references)
    assert len(set(references)) == 10
    other = rules.new_references(per_read=3)
    assert not set(references) & {next(other) for _ in range(10)}


def test_a_recipient_of_checked_values_is_the_validated_one() -> None:
    checked = Recipient._checked("380972000001", "order-1")
    validated = Recipient("380972000001", "order-1")
    assert checked == validated and hash(checked) == hash(validated)
    assert repr(checked) == repr(validated)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        checked.to = "1"  # type: ignore[misc]


def test_recipients_of_checked_values_made_many_at_once_are_the_validated_ones() -> None:
    numbers, references = ["380972000001", "380972000002"], ["order-1", "order-2"]
    made = Recipient._checked_many(numbers, references)
    validated = tuple(map(Recipient, numbers, references))
    assert made == validated and list(map(hash, made)) == list(map(hash, validated))
    assert list(map(repr, made)) == list(map(repr, validated))
    assert Recipient._checked_many([], []) == ()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        made[1].reference = "x"  # type: ignore[misc]


def test_a_bad_number_in_a_batch_is_refused_not_chunked() -> None:
    chunk, refusal = prepared("12-34")
    assert chunk == []
    assert isinstance(refusal, Failed) and isinstance(refusal.error, InvalidParameterError)
    assert refusal.error.field == "to" and refusal.recipient == "12-34"


phones = st.from_regex(r"\A[0-9]{7,15}\Z")
templates = st.builds(
    ViberMessage,
    to=st.just(("10000000",)),
    text=st.sampled_from(["Hi", "Привіт", "a" * 1000]),
    sender=st.sampled_from(["BSG", "Shop"]),
    is_promotional=st.booleans(),
    sms_fallback=st.one_of(st.none(), st.just(SmsFallback(text="Fallback", sender="BSG"))),
).flatmap(
    lambda message: st.one_of(
        st.just(message),
        st.just(
            attrs.evolve(
                message,
                image_url="https://example.com/a.png",
                button_caption="Open",
                button_url="https://example.com/",
            )
        ),
    )
)


@given(
    templates,
    st.lists(st.builds(Recipient, phones, st.from_regex(r"\A[a-z0-9]{1,32}\Z")), min_size=1),
    st.sampled_from([{}, {"validity": 3600}, {"tariff": 0, "validity": 15}]),
)
def test_viber_body_from_a_template_is_the_body_of_the_full_message(
    template: ViberMessage, recipients: list[Recipient], options: dict[str, int]
) -> None:
    full = attrs.evolve(template, to=tuple(recipients))
    assert Wire.viber_to(template, recipients, options=options) == Wire.viber(
        [full], options=options
    )


async def test_requests_to_one_url_keep_their_own_query_parameters() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"error": 0})

    async with mocked(answer) as bsg:
        pipeline = bsg._open_pipeline
        url = BASE + "/sms/1"
        for page in (1, 2, 1):
            await pipeline.request("GET", url, auth=None, params={"page": page})
        await pipeline.request("GET", url, auth=None)
    assert seen == [f"{url}?page=1", f"{url}?page=2", f"{url}?page=1", url]


async def test_requests_with_a_body_say_it_is_json() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json={"error": 0})

    async with mocked(answer) as bsg:
        await bsg._open_pipeline.request("POST", BASE + "/x", auth=None, json={"a": 1})
        await bsg._open_pipeline.request("GET", BASE + "/x", auth=None)
    assert sent[0].headers["content-type"] == "application/json"
    assert json.loads(sent[0].content) == {"a": 1}
    assert "content-type" not in sent[1].headers


@pytest.mark.parametrize("text", ["0E-1000000001", "1E+10000", "-5E-10000"])
def test_an_amount_already_decoded_is_held_to_the_range_too(text: str) -> None:
    # A `Decimal` that did not come through the SDK's JSON decoder (a webhook's mapping) is
    # checked like any other: the range is one rule, however the number arrived.
    with pytest.raises(ValueError, match="exponent from"):
        _decimal(Decimal(text))
