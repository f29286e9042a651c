"""The fast decoder of send answers gives exactly what the converter gives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bsg_async._converter import WireBatch, _fast_batch, wire
from bsg_async.errors import UnexpectedResponseError

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**20),
    st.decimals(allow_nan=True, allow_infinity=True, places=4),
    st.text(max_size=8),
    st.sampled_from(["0", "23", "0.02", "1.1000000", "12345", " 7 ", "abc", "", "1e3"]),
)
KEYS = ["reference", "error", "errorDescription", "id", "price", "currency", "msisdn", "x"]
entries = st.one_of(st.dictionaries(st.sampled_from(KEYS), scalars, max_size=8), scalars)
answers = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "result": st.one_of(st.lists(entries, max_size=4), scalars),
            "task_id": scalars,
            "total_price": scalars,
            "totalprice": scalars,
            "currency": scalars,
            "error": scalars,
        },
    ),
    scalars,
    st.lists(scalars, max_size=2),
)


def converter_result(data: Any) -> WireBatch | type[UnexpectedResponseError]:
    try:
        return wire().structure(data, WireBatch)
    except UnexpectedResponseError:
        return UnexpectedResponseError


@given(answers)
def test_fast_path_agrees_with_the_converter(data: Any) -> None:
    expected = converter_result(data)
    try:
        fast: WireBatch | type[UnexpectedResponseError] = _fast_batch(data)
    except Exception:
        return  # the fast path declines; `Wire.batch` then uses the converter itself
    assert fast == expected


def test_documented_answer_takes_the_fast_path() -> None:
    data = {
        "result": [
            {"reference": "a", "id": "12345", "error": "0", "price": "0.02", "currency": "EUR"},
            {"error": 43, "errorDescription": "External ID already exists", "reference": "b"},
        ],
        "error": "0",
        "task_id": "21902",
        "totalprice": 0.04,
    }
    data["totalprice"] = Decimal("0.04")
    batch = _fast_batch(data)
    assert batch == wire().batch(data)
    assert batch.task_id == 21902 and batch.total_price == Decimal("0.04")
    assert batch.result[1].error == 43 and batch.result[1].id is None
