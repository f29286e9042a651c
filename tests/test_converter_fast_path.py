"""The fast decoders of send answers give exactly what the long way gives."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bsg_async._converter import WireBatch, _fast_batch, sent_in_order, wire
from bsg_async._sending import _each_entry
from bsg_async._transport import Answer
from bsg_async.errors import UnexpectedResponseError
from bsg_async.models import Recipient

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


# -- a whole answer in one pass: `sent_in_order` ----------------------------------------------


def chunk_of(size: int) -> list[tuple[int, Recipient]]:
    return [(index * 2, Recipient(f"38097200000{index}", f"ref{index}")) for index in range(size)]


def accepted_entry(recipient: Recipient, position: int) -> dict[str, Any]:
    return {
        "error": 0,
        "errorDescription": "No errors",
        "reference": recipient.reference,
        "id": str(4700000000 + position),
        "price": Decimal("0.23"),
        "currency": "EUR",
        "msisdn": recipient.msisdn,
    }


@st.composite
def answers_to(draw: st.DrawFn) -> tuple[list[tuple[int, Recipient]], Any]:
    """A chunk and an answer to it: mostly the usual one, with a few random changes."""
    chunk = chunk_of(draw(st.integers(min_value=1, max_value=4)))
    entries: list[Any] = [accepted_entry(r, p) for p, (_, r) in enumerate(chunk)]
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        position = draw(st.integers(min_value=0, max_value=len(entries) - 1))
        change = draw(st.sampled_from(["set", "drop", "swap", "replace", "extra", "remove"]))
        entry = entries[position]
        if change == "set" and isinstance(entry, dict):
            entry[draw(st.sampled_from(KEYS))] = draw(scalars)
        elif change == "drop" and isinstance(entry, dict) and entry:
            del entry[draw(st.sampled_from(sorted(entry)))]
        elif change == "swap":
            other = draw(st.integers(min_value=0, max_value=len(entries) - 1))
            entries[position], entries[other] = entries[other], entry
        elif change == "replace":
            entries[position] = draw(scalars)
        elif change == "extra":
            entries.append(dict(entry) if isinstance(entry, dict) else entry)
        elif change == "remove" and len(entries) > 1:
            del entries[position]
    answer: dict[str, Any] = {"result": entries}
    for key in ("currency", "total_price", "totalprice", "task_id"):
        if draw(st.booleans()):
            answer[key] = draw(scalars)
    return chunk, answer


async def _no_lookup(reference: str) -> Any:
    raise AssertionError(f"a status read of {reference!r} for an answer that accepted everyone")


def each_entry(chunk: list[tuple[int, Recipient]], data: Any) -> Any:
    """What the entry-by-entry way decides, or the type of the error it raises."""
    try:
        return anyio.run(
            functools.partial(
                _each_entry, wire(), Answer(data, 200), chunk, _no_lookup, resume=False
            )
        )
    except UnexpectedResponseError:
        return UnexpectedResponseError


@given(answers_to())
def test_one_pass_agrees_with_each_entry(case: tuple[list[tuple[int, Recipient]], Any]) -> None:
    chunk, data = case
    fast = sent_in_order(data, chunk)
    if fast is None:
        return  # declined: `_outcomes` then takes the entry-by-entry way itself
    sent, totals = fast
    outcomes, batch = each_entry(chunk, data)
    assert sent == outcomes
    assert [str(s.price) for s in sent] == [str(o.price) for o in outcomes]  # same digits too
    assert (totals.task_id, totals.total_price, totals.currency) == (
        batch.task_id,
        batch.total_price,
        batch.currency,
    )


def test_the_usual_answer_takes_one_pass() -> None:
    chunk = chunk_of(3)
    data = {
        "result": [accepted_entry(r, p) for p, (_, r) in enumerate(chunk)],
        "currency": "EUR",
        "total_price": Decimal("0.69"),
    }
    data["result"][1].update(error="0", id=4700000001, price="0.2300", currency=None)
    found = sent_in_order(data, chunk)
    assert found is not None
    sent, totals = found
    assert [(s.index, s.recipient, s.id, s.currency) for s in sent] == [
        (0, chunk[0][1], 4700000000, "EUR"),
        (2, chunk[1][1], 4700000001, "EUR"),  # the answer's currency where the entry has none
        (4, chunk[2][1], 4700000002, "EUR"),
    ]
    assert str(sent[1].price) == "0.2300" and totals.total_price == Decimal("0.69")


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"error": 43}, id="refused"),
        pytest.param({"id": None}, id="no-id"),
        pytest.param({"reference": "other"}, id="other-reference"),
        pytest.param({"price": "free"}, id="bad-price"),
        pytest.param({"msisdn": 380972000001}, id="numeric-msisdn"),
        pytest.param({"error": False}, id="boolean-error"),
        # Comparing a signalling NaN raises `InvalidOperation`: found by a soak run.
        pytest.param({"error": Decimal("sNaN")}, id="signalling-nan-error"),
        pytest.param({"id": Decimal("sNaN")}, id="signalling-nan-id"),
    ],
)
def test_anything_unusual_goes_entry_by_entry(change: dict[str, Any]) -> None:
    chunk = chunk_of(2)
    data = {"result": [accepted_entry(r, p) for p, (_, r) in enumerate(chunk)]}
    data["result"][1].update(change)
    assert sent_in_order(data, chunk) is None
    assert sent_in_order({"result": data["result"][:1]}, chunk) is None  # one entry short
    assert sent_in_order(data["result"], chunk) is None  # not an object
    assert sent_in_order({**data, "total_price": "n/a"}, chunk) is None  # an odd total
