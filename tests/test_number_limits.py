"""One set of number limits: a number an answer of the API may hold, a webhook may hold too.

The same price or id is put into an SMS status answer (decoded as the pipeline decodes it) and
into an RCS status webhook (as bytes, and as an already decoded mapping); both accept it with
the same value, or both refuse it with an error naming the field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bsg_async import AsyncBSG, SmsReport, UnexpectedResponseError, WebhookPayloadError
from bsg_async._converter import wire
from bsg_async._json import EXPONENT_LIMIT, INTEGER_DIGITS, loads
from bsg_async.webhooks import parse_rcs_report

from .conftest import API_KEY, BASE

ANSWER = (
    '{"error": 0, "errorDescription": "No errors", "id": "211", "msisdn": "380972000001",'
    ' "reference": "ext_id_19", "time_in": "2017-01-17 09:11:41", "status": "delivered",'
    ' "price": 0.23, "currency": "EUR"}'
)
WEBHOOK = (
    '{"error": 0, "errorDescription": "No errors", "id": "3266500452", "msisdn": "380997087351",'
    ' "reference": "hello", "status": "delivered", "price": "1.1000000", "currency": "EUR"}'
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=12)
whole = st.from_regex(r"0|[1-9][0-9]{0,11}", fullmatch=True)  # JSON allows no leading zero
exponents = st.integers(min_value=-(EXPONENT_LIMIT + 3), max_value=EXPONENT_LIMIT + 3) | (
    st.sampled_from([-(10**9), -(10**5), 10**5, 10**9])
)
# The text of a JSON number with a fraction or an exponent, or a constant JSON does not have.
number_texts = st.one_of(
    st.builds(
        lambda sign, whole, fraction, exponent: f"{sign}{whole}.{fraction}e{exponent}",
        st.sampled_from(["", "-"]),
        whole,
        digits,
        exponents,
    ),
    st.builds(lambda integral, fraction: f"{integral}.{fraction}", whole, digits),
    st.sampled_from(["NaN", "Infinity", "-Infinity"]),
)


def answer_price(text: str) -> Any:
    """The price an SMS status answer with `text` as its price decodes to, or the error path."""
    data = loads(ANSWER.replace('"price": 0.23', f'"price": {text}'))
    try:
        return wire().structure(data, SmsReport).price
    except UnexpectedResponseError as error:
        return ("refused", error.field)


def webhook_price(body: Any) -> Any:
    """The price an RCS webhook decodes to, or the field its error names."""
    try:
        return parse_rcs_report(body).price
    except WebhookPayloadError as error:
        return ("refused", error.field)


def webhook_body(field: str, text: str) -> str:
    before = '"price": "1.1000000"' if field == "price" else '"id": "3266500452"'
    return WEBHOOK.replace(before, f'"{field}": {text}')


def same_outcome(answer: Any, webhook: Any, field: str) -> bool:
    if isinstance(answer, tuple):
        return answer == ("refused", f"$.{field}") and webhook == ("refused", field)
    return bool(answer == webhook and str(answer) == str(webhook))  # the same digits too


@given(number_texts)
@example(f"9.9e{EXPONENT_LIMIT}")
@example(f"1.0e{EXPONENT_LIMIT + 1}")
@example(f"1e-{EXPONENT_LIMIT}")
@example(f"0.1e-{EXPONENT_LIMIT}")
@example("1e999999999")
def test_a_json_number_price_is_taken_or_refused_alike(text: str) -> None:
    answer = answer_price(text)
    webhook = webhook_price(webhook_body("price", text).encode())

    assert same_outcome(answer, webhook, "price"), (answer, webhook)


@given(number_texts)
@example(f"1e{EXPONENT_LIMIT + 1}")
def test_a_price_string_is_taken_or_refused_alike(text: str) -> None:
    quoted = f'"{text}"'

    assert same_outcome(answer_price(quoted), webhook_price(webhook_body("price", quoted)), "price")


@given(number_texts)
def test_a_decoded_mapping_holds_its_numbers_to_the_same_limits(text: str) -> None:
    mapping = loads(WEBHOOK) | {"price": Decimal(text)}

    assert same_outcome(answer_price(text), webhook_price(mapping), "price")


@given(
    st.builds(  # JSON allows no leading zero
        lambda first, rest: first + rest,
        st.sampled_from("123456789"),
        st.text(alphabet="0123456789", max_size=INTEGER_DIGITS + 4),
    ),
    st.booleans(),
)
@example("9" * INTEGER_DIGITS, False)
@example("1" + "0" * INTEGER_DIGITS, False)
@example("1" + "0" * INTEGER_DIGITS, True)
def test_an_id_is_taken_or_refused_alike(id_digits: str, as_string: bool) -> None:
    text = f'"{id_digits}"' if as_string else id_digits
    try:
        answer: Any = (
            wire().structure(loads(ANSWER.replace('"id": "211"', f'"id": {text}')), SmsReport).id
        )
    except UnexpectedResponseError as error:
        answer = ("refused", error.field)
    try:
        webhook: Any = parse_rcs_report(webhook_body("id", text)).id
    except WebhookPayloadError as error:
        webhook = ("refused", error.field)

    assert same_outcome(answer, webhook, "id")
    assert isinstance(answer, int) == (len(id_digits) <= INTEGER_DIGITS)


def test_an_id_too_long_for_int_is_refused_alike() -> None:
    digits = "9" * 5000
    with pytest.raises(UnexpectedResponseError) as in_answer:
        wire().structure(loads(ANSWER.replace('"id": "211"', f'"id": {digits}')), SmsReport)
    with pytest.raises(WebhookPayloadError) as in_webhook:
        parse_rcs_report(webhook_body("id", digits))

    assert (in_answer.value.field, in_webhook.value.field) == ("$.id", "id")


@pytest.mark.parametrize(
    ("price", "taken"),
    [
        (f"9.5e{EXPONENT_LIMIT}", True),
        (f"1e{EXPONENT_LIMIT + 1}", False),
        ("1e999999999", False),
        ("NaN", False),
    ],
)
async def test_an_answer_through_the_client_and_a_webhook_agree(price: str, taken: bool) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=ANSWER.replace('"price": 0.23', f'"price": {price}'))

    transport = httpx.MockTransport(answer)
    async with AsyncBSG(api_key=API_KEY, base_url=BASE, transport=transport) as bsg:
        try:
            got: Any = (await bsg.sms.get(211)).price
        except UnexpectedResponseError as error:
            got = ("refused", error.field)

    assert same_outcome(got, webhook_price(webhook_body("price", price)), "price")
    assert (not isinstance(got, tuple)) == taken
