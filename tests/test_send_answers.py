"""How the entries of a send answer become one outcome per recipient, for any order.

The rule (`bsg_async/_sending.py`): an entry is matched by reference, the first of two naming
one reference wins; an entry without a reference is taken by position when the answer has one
entry per recipient; an entry naming another reference is never taken by position; a
recipient with no entry, or accepted without an id or a price, is read back by reference.
Hypothesis shuffles, drops, repeats and renames the entries of the usual answer, and every
outcome is checked against the rule, written out plainly below, through `bsg.sms.send_bulk`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bsg_async import AsyncBSG, Receipt, Recipient, Rejection, RetryPolicy

SIZE = 4
RECIPIENTS = [Recipient(f"38097200000{i}", f"ref{i}") for i in range(SIZE)]


def usual_entry(position: int) -> dict[str, Any]:
    return {
        "reference": f"ref{position}",
        "error": 0,
        "id": str(4700 + position),
        "price": "0.23",
        "currency": "EUR",
    }


@st.composite
def answers(draw: st.DrawFn) -> list[dict[str, Any]]:
    """The usual answer to `RECIPIENTS`, then a few random changes that keep it decodable."""
    entries = [usual_entry(p) for p in range(SIZE)]
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        position = draw(st.integers(min_value=0, max_value=len(entries) - 1))
        entry = entries[position]
        change = draw(
            st.sampled_from(
                ["swap", "repeat", "remove", "foreign", "anonymous", "refuse", "no-id", "no-price"]
            )
        )
        if change == "swap":
            other = draw(st.integers(min_value=0, max_value=len(entries) - 1))
            entries[position], entries[other] = entries[other], entry
        elif change == "repeat":  # the same reference again, with another id
            entries.insert(
                draw(st.integers(min_value=0, max_value=len(entries))),
                {**entry, "id": str(9000 + len(entries))},
            )
        elif change == "remove" and len(entries) > 1:
            del entries[position]
        elif change == "foreign":  # a reference of nobody in the request
            entry["reference"] = f"other{position}"
        elif change == "anonymous":
            entry.pop("reference", None)
        elif change == "refuse":
            entry["error"] = draw(st.sampled_from([21, 23, 43]))
            entry.pop("id", None)
        elif change == "no-id":
            entry.pop("id", None)
        elif change == "no-price":
            entry.pop("price", None)
    return entries


def expected(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What the rule says of each recipient: ("sent", id), ("refused", code) or ("read",)."""
    outcomes: list[tuple[Any, ...]] = []
    for position, recipient in enumerate(RECIPIENTS):
        found = next((e for e in entries if e.get("reference") == recipient.reference), None)
        if found is None and len(entries) == SIZE and "reference" not in entries[position]:
            found = entries[position]
        if found is None:
            outcomes.append(("read",))
        elif found["error"]:
            outcomes.append(("refused", found["error"]))
        elif "id" not in found or "price" not in found:  # accepted without saying what
            outcomes.append(("read",))
        else:
            outcomes.append(("sent", int(found["id"])))
    return outcomes


def seen(entry: Receipt | Rejection) -> tuple[Any, ...]:
    if isinstance(entry, Receipt):
        assert entry.price == Decimal("0.23") and entry.currency == "EUR"
        return ("sent", entry.id)
    if entry.error.may_have_been_accepted:  # a read by reference found nothing
        return ("read",)
    return ("refused", entry.error.code)


async def send(entries: list[dict[str, Any]]) -> tuple[list[tuple[Any, ...]], list[str]]:
    reads: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # a status read by reference: the service holds nothing
            reads.append(request.url.path.rsplit("/", 1)[-1])
            return httpx.Response(404, json={"error": 20, "errorDescription": "Not found"})
        return httpx.Response(200, json={"result": entries, "task_id": 7})

    async with AsyncBSG(
        "test_key",
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=1),
    ) as bsg:
        result = await bsg.sms.send_bulk(to=RECIPIENTS, text="Hi", sender="Shop")
    assert [e.reference for e in result.entries] == [r.reference for r in RECIPIENTS]
    return [seen(entry) for entry in result.entries], reads


@given(answers())
async def test_every_recipient_gets_the_outcome_the_matching_rule_says(
    entries: list[dict[str, Any]],
) -> None:
    outcomes, reads = await send(entries)
    want = expected(entries)
    assert outcomes == want
    read = [r.reference for r, w in zip(RECIPIENTS, want, strict=True) if w == ("read",)]
    assert sorted(reads) == sorted(read)  # read back by its own reference, each once


async def test_an_entry_naming_another_reference_is_never_taken_by_position() -> None:
    entries = [usual_entry(p) for p in range(SIZE)]
    entries[0]["reference"] = "someone-else"  # one entry per recipient, but not ref0's

    outcomes, reads = await send(entries)

    assert outcomes[0] == ("read",)
    assert reads == ["ref0"]
    assert outcomes[1:] == [("sent", 4701), ("sent", 4702), ("sent", 4703)]


async def test_an_entry_without_a_reference_is_taken_by_position() -> None:
    entries = [usual_entry(p) for p in range(SIZE)]
    del entries[2]["reference"]

    outcomes, reads = await send(entries)

    assert outcomes == [("sent", 4700 + p) for p in range(SIZE)]
    assert reads == []


@pytest.mark.parametrize("where", [0, 1, 3], ids=["before", "in-place", "after"])
async def test_of_two_entries_for_one_reference_the_first_wins(where: int) -> None:
    entries = [usual_entry(p) for p in range(SIZE)]
    repeat = {**usual_entry(1), "id": "9999"}
    entries.insert(where + (1 if where >= 1 else 0), repeat)
    first = next(int(e["id"]) for e in entries if e["reference"] == "ref1")

    outcomes, _ = await send(entries)

    assert outcomes[1] == ("sent", first)
    assert outcomes[0] == ("sent", 4700)


async def test_a_repeated_reference_before_its_place_wins_over_the_one_in_place() -> None:
    # ref1's first entry stands at position 0: the in-order reading must not take position 1's
    entries = [{**usual_entry(1), "id": "5555"}, usual_entry(1), *map(usual_entry, (2, 3))]

    outcomes, reads = await send(entries)

    assert outcomes[1] == ("sent", 5555)
    assert outcomes[0] == ("read",) and reads == ["ref0"]
