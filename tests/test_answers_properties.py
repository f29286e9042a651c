"""Whatever the service answers, every public call returns its typed result or raises a
`BSGError`: never a bare `KeyError`, `ValueError`, `ArithmeticError` or the like.

Each example serves one answer (a random status, random headers, and a body that is random
bytes, random JSON, or a documented answer with random changes) to every request of the
call; the One-API login gets a valid token, or (in its own property) the random answer too.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
import respx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bsg_async import (
    AsyncBSG,
    BSGError,
    Recipient,
    RetryPolicy,
    SmsFallback,
    SmsMessage,
    UnexpectedResponseError,
    ViberMessage,
)
from bsg_async.models.batch import Failed, Sent

from .conftest import API_KEY, BASE, ONE_API
from .profiles import examples

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY2NvdW50In0.c2ln"  # a token without `exp`

# Keys the SDK reads somewhere, so that random objects often carry them.
KEYS = [
    "error",
    "errorDescription",
    "result",
    "id",
    "reference",
    "price",
    "currency",
    "msisdn",
    "task_id",
    "total_price",
    "totalprice",
    "status",
    "time_in",
    "alt_route",
    "data",
    "meta",
    "page",
    "total",
    "balance",
    "credit",
    "message",
    "errors",
    "reference_id",
    "amount",
    "value",
    "statistics",
    "bearer",
]
# Texts JSON decodes into unusual Python values: huge integers and digit strings (Python
# refuses to parse integers of more than 4,300 digits), NaN and infinities, a huge exponent.
ODD_NUMBER_TEXTS = ["NaN", "Infinity", "-Infinity", "1e999999999", "9" * 5000, "-0", "1.5"]
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=12)
    | st.sampled_from(["0", "23", "0.02", "2017-01-17 09:11:41", "9" * 5000, "delivered", ""])
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=20,
)
DOCUMENTED = [
    {"error": 0, "id": "22125", "reference": "r1", "price": "0.02", "currency": "EUR"},
    {"result": [{"error": 0, "reference": "r1", "id": "1", "price": 0.02}], "task_id": "7"},
    {"error": 0, "id": "211", "status": "delivered", "price": 0.23, "currency": "EUR"},
    {"data": {"balance": -50.25, "currency": "USD", "credit": 125}},
    {"data": [], "meta": {"page": {"total": 3, "limit": 15, "offset": 0}}},
]


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    """A response body: random bytes, JSON text (with odd numbers spliced in), or a documented
    answer with some fields replaced."""
    kind = draw(st.sampled_from(["bytes", "json", "documented"]))
    if kind == "bytes":
        return draw(st.binary(max_size=40))
    if kind == "documented":
        base = dict(draw(st.sampled_from(DOCUMENTED)))
        base.update(draw(st.dictionaries(st.sampled_from(KEYS), documents, max_size=3)))
        document: Any = base
    else:
        document = draw(documents)
    text = json.dumps(document)
    if draw(st.booleans()):  # an odd number where a JSON value goes
        odd = draw(st.sampled_from(ODD_NUMBER_TEXTS))
        text = text.replace("null", odd, 1) if "null" in text else f'{{"error": {odd}}}'
    return text.encode()


answers = st.tuples(
    st.sampled_from([200, 201, 204, 400, 401, 403, 404, 409, 422, 429, 500, 503]),
    bodies(),
    st.sampled_from(["application/json", "text/html", ""]),
    st.none() | st.sampled_from(["0", "1", "-5", "soon", "9" * 400, "Wed, 21 Oct 2015 07:28:00"]),
)

Call = Callable[[AsyncBSG], Awaitable[object]]


async def _drain(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


CALLS: dict[str, Call] = {
    "sms.send": lambda b: b.sms.send(to="380501234567", text="Hi", sender="Shop"),
    "sms.send_bulk": lambda b: b.sms.send_bulk(
        to=["380501234567", Recipient("380501234568", "r2")], text="Hi", sender="Shop"
    ),
    "sms.send_individual": lambda b: b.sms.send_individual(
        [SmsMessage(to="380501234567", text="Hi", sender="Shop")]
    ),
    "sms.get": lambda b: b.sms.get(211),
    "sms.get_by_reference": lambda b: b.sms.get_by_reference("r1"),
    "sms.get_task": lambda b: b.sms.get_task(7),
    "viber.send": lambda b: b.viber.send_messages(
        [
            ViberMessage(
                to=["380501234567"],
                text="Hi",
                sender="BSG",
                sms_fallback=SmsFallback(sender="BSG", text="Hi"),
            )
        ]
    ),
    "viber.get": lambda b: b.viber.get(470093225),
    "rcs.send": lambda b: b.rcs.send(to="380501234567", sender="Shop", text="Hi"),
    "campaigns.detail": lambda b: b.campaigns.detail(5),
    "campaigns.list": lambda b: _drain(b.campaigns.list()),
    "messages.list": lambda b: _drain(b.messages.list()),
    "account.balance": lambda b: b.account.balance(),
    "account.tariffs": lambda b: _drain(b.account.tariffs()),
}


def outcome_of(
    call: Call, answer: tuple[int, bytes, str, str | None], *, login_too: bool = False
) -> object:
    """What `call` returns against `answer` (served to the login as well with `login_too`),
    or the `BSGError` it raises."""
    status, body, content_type, retry_after = answer
    headers = {"Content-Type": content_type} if content_type else {}
    if retry_after is not None:
        headers["Retry-After"] = retry_after

    async def run() -> object:
        with respx.mock(assert_all_called=False) as router:
            if not login_too:
                router.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})
            router.route().respond(status, content=body, headers=headers)
            # Not the `bsg` fixture: each example needs a fresh client (a login never shared
            # across answers) and one retry, so a retried answer is served twice at most.
            async with AsyncBSG(
                api_key=API_KEY,
                base_url=BASE,
                one_api_url=ONE_API,
                retry=RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0),
            ) as bsg:
                try:
                    return await call(bsg)
                except BSGError as error:
                    return error

    return anyio.run(run)


over_answers = settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.mark.parametrize("name", list(CALLS))
@over_answers
@given(answer=answers)
def test_any_answer_gives_a_result_or_a_bsg_error(
    name: str, answer: tuple[int, bytes, str, str | None]
) -> None:
    outcome = outcome_of(CALLS[name], answer)
    if isinstance(outcome, BSGError):
        assert isinstance(outcome.may_have_been_accepted, bool)
        assert API_KEY not in str(outcome)


@pytest.mark.parametrize("name", ["rcs.send", "account.balance", "campaigns.list"])
@over_answers
@given(answer=answers, token=st.none() | st.text(max_size=12) | st.sampled_from([JWT]))
def test_any_login_answer_gives_a_result_or_a_bsg_error(
    name: str, answer: tuple[int, bytes, str, str | None], token: str | None
) -> None:
    status, body, content_type, retry_after = answer
    if token is not None:  # a login answer of the documented shape, with any token in it
        body = json.dumps({"bearer": token}).encode()
    outcome = outcome_of(CALLS[name], (status, body, content_type, retry_after), login_too=True)
    if isinstance(outcome, BSGError):
        assert API_KEY not in str(outcome)


@over_answers
@given(answer=answers)
def test_any_answer_gives_every_batch_recipient_one_outcome(
    answer: tuple[int, bytes, str, str | None],
) -> None:
    phones = ["380501234567", "380501234568", "12", "380501234569"]

    async def send(bsg: AsyncBSG) -> object:
        return await bsg.sms.send_many(to=phones, text="Hi", sender="Shop", chunk_size=2)

    report = outcome_of(send, answer)
    assert not isinstance(report, BaseException), report  # send_many never raises for answers
    outcomes = report.outcomes  # type: ignore[attr-defined]
    assert [o.index for o in outcomes] == list(range(len(phones)))
    assert all(isinstance(o, Sent | Failed) for o in outcomes)
    assert isinstance(outcomes[2], Failed)  # "12" is no phone number: never sent


@pytest.mark.parametrize(
    "body",
    [
        b'{"error": 0, "id": "211", "status": "sent", "price": NaN}',
        b'{"error": 0, "id": "211", "status": "sent", "price": 1e999999999}',
        b'{"error": "' + b"9" * 5000 + b'"}',
        b'{"error": 0, "id": ' + b"9" * 4000 + b', "status": "sent"}',
    ],
    ids=["nan-price", "huge-exponent-price", "5000-digit-code", "4000-digit-id"],
)
def test_odd_numbers_in_an_answer_are_unexpected_responses(body: bytes) -> None:
    outcome = outcome_of(CALLS["sms.get"], (200, body, "application/json", None))
    assert isinstance(outcome, UnexpectedResponseError)
