"""Claims about FakeBSG for every input: it never crashes, answers one entry per recipient, and
never accepts a reference twice."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bsg_async.testing import FakeBSG

KEY = {"x-api-key": "test_key"}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
# Bodies shaped like create requests, with any value in any field.
field_values = st.one_of(json_values, st.sampled_from(["phone", "phones", "individual", ""]))
recipient = st.fixed_dictionaries(
    {},
    optional={
        "msisdn": st.one_of(st.sampled_from(["380972000001", "380972000002", "12"]), json_values),
        "reference": st.one_of(st.sampled_from(["r1", "r2", "bad ref"]), json_values),
        "originator": field_values,
        "body": field_values,
    },
)
create_body = st.fixed_dictionaries(
    {},
    optional={
        "destination": field_values,
        "msisdn": field_values,
        "reference": field_values,
        "originator": field_values,
        "body": field_values,
        "validity": field_values,
        "tariff": field_values,
        "2way": field_values,
        "phones": st.one_of(st.lists(recipient, max_size=5), json_values),
        "messages": st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "to": st.one_of(st.lists(recipient, max_size=5), json_values),
                        "text": field_values,
                        "alpha_name": field_values,
                        "is_promotional": field_values,
                        "options": json_values,
                    },
                ),
                max_size=3,
            ),
            json_values,
        ),
    },
)


def _answer(fake: FakeBSG, path: str, payload: Any) -> Any:
    exchange = fake.handle("POST", path, headers=KEY, body=json.dumps(payload).encode())
    assert exchange.status == 200
    return json.loads(exchange.body)


@given(payload=st.one_of(create_body, json_values))
def test_any_sms_create_body_gets_a_json_answer_with_error_codes(payload: Any) -> None:
    answer = _answer(FakeBSG(), "/sms/create", payload)

    assert "error" in answer
    assert all(int(entry["error"]) >= 0 for entry in answer.get("result", []))


@given(payload=st.one_of(create_body, json_values))
def test_any_viber_create_body_gets_a_json_answer_with_error_codes(payload: Any) -> None:
    answer = _answer(FakeBSG(), "/viber/create", payload)

    assert "error" in answer or all("error" in e for e in answer["result"])


@given(
    batches=st.lists(
        st.lists(
            st.tuples(
                st.sampled_from(["380972000001", "380972000002", "380972000003", "12345"]),
                st.sampled_from(["a", "b", "c", "d", "bad ref"]),
            ),
            min_size=1,
            max_size=6,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_every_recipient_gets_one_entry_and_no_reference_is_accepted_twice(
    batches: list[list[tuple[str, str]]],
) -> None:
    fake = FakeBSG()
    accepted: list[str] = []
    for batch in batches:
        phones = [{"msisdn": m, "reference": r} for m, r in batch]
        sms = _answer(
            fake,
            "/sms/create",
            {"destination": "phones", "phones": phones, "originator": "o", "body": "b"},
        )
        viber = _answer(
            fake, "/viber/create", {"messages": [{"to": phones, "text": "t", "alpha_name": "a"}]}
        )
        assert len(sms["result"]) == len(viber["result"]) == len(batch)
        accepted += [e["reference"] for e in sms["result"] if e["error"] == "0"]

    assert len(accepted) == len(set(accepted)) == len(fake.sms)
    assert all(fake.sms.acceptances(r) == 1 for r in accepted)
    assert sorted(fake.viber.accepted) == sorted(accepted)
