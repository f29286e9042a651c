"""FakeBSG's one-time passwords: sessions with real codes, tries and expiry on the fake's
clock, templates, the price, the OpenAPI description's 422s, over the transport and ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bsg_async import (
    AsyncBSG,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    OtpCanceledError,
    OtpExhaustedError,
    OtpExpiredError,
    OtpStatus,
    OtpTemplateStatus,
    OtpWrongCodeError,
)
from bsg_async.testing import FakeBSG

from .conftest import API_KEY, BASE, ONE_API
from .fake_support import RETRIES, calm_fake, sdk_on

PHONE = "380501234567"
DAY = date(2017, 1, 17)  # the fake's clock (fake_support.START)


@pytest.fixture
def fake() -> FakeBSG:
    return calm_fake()


@pytest.fixture
async def bsg(fake: FakeBSG) -> AsyncIterator[AsyncBSG]:
    async with sdk_on(fake) as client:
        yield client


@pytest.fixture
async def over_asgi(fake: FakeBSG) -> AsyncIterator[AsyncBSG]:
    """The SDK talking to the fake's ASGI app (the network face)."""
    http = httpx.AsyncClient(transport=httpx.ASGITransport(fake.app))
    async with AsyncBSG(
        api_key=API_KEY, base_url=BASE, one_api_url=ONE_API, http_client=http, retry=RETRIES
    ) as client:
        yield client
    await http.aclose()


async def send(bsg: AsyncBSG, fake: FakeBSG, **options: Any) -> Any:
    arguments = {"to": PHONE, "sender": "MyShop", "template": fake.otp.default_template}
    return await bsg.otp.send(**(arguments | options))


# -- the life of a session -------------------------------------------------------------------


@pytest.mark.parametrize("face", ["transport", "asgi"])
async def test_the_code_the_fake_sent_verifies_the_session(
    fake: FakeBSG, bsg: AsyncBSG, over_asgi: AsyncBSG, face: str
) -> None:
    client = bsg if face == "transport" else over_asgi

    session = await send(client, fake, digits=7)
    code = fake.otp.code(session.id)
    verified = await client.otp.verify(session.id, code)

    assert len(code) == 7 and code.isdigit()
    assert fake.otp.last_code(to="+" + PHONE) == code
    assert session.status is OtpStatus.PENDING and session.price == 0
    assert verified.status is OtpStatus.VERIFIED
    assert verified.price == fake.account.sms_price
    assert verified.finished_at == datetime(2017, 1, 17, 9, 11, 41)
    assert fake.otp.status(session.id) == "verified"


async def test_every_2fa_operation_answers_over_the_asgi_app(
    fake: FakeBSG, over_asgi: AsyncBSG
) -> None:
    bsg = over_asgi
    template = await bsg.otp.templates.create(name="login", text="Code: {code2fa}")
    fake.otp.set_template_status(template.id, "approved")
    first = await send(bsg, fake, template=template.id)
    resent = await bsg.otp.resend(first.id)
    canceled = await bsg.otp.cancel(first.id)
    second = await send(bsg, fake)
    with pytest.raises(OtpWrongCodeError):
        await bsg.otp.verify(second.id, "0" * 5)

    read = await bsg.otp.get(first.id)
    listed = [s.id async for s in bsg.otp.list(created_from=DAY, created_to=DAY)]
    templates = [t.id async for t in bsg.otp.templates.list(status="approved")]
    got = await bsg.otp.templates.get(template.id)
    await bsg.otp.templates.delete(template.id)
    price = await bsg.otp.price(currency="EUR")

    assert resent.id == first.id and canceled.status is OtpStatus.CANCELED
    assert len(read.messages) == 2 and listed == [first.id, second.id]
    assert templates == [fake.otp.default_template, template.id]
    assert got.status is OtpTemplateStatus.APPROVED and got.name == "login"
    assert [t.id for t in fake.otp.templates] == [fake.otp.default_template]
    assert price == fake.account.sms_price


async def test_a_wrong_code_spends_a_try_and_the_last_one_fails_the_session(
    fake: FakeBSG, bsg: AsyncBSG
) -> None:
    session = await send(bsg, fake, max_tries=2)
    wrong = "0" * 6 if fake.otp.code(session.id) != "0" * 6 else "1" * 6

    with pytest.raises(OtpWrongCodeError):
        await bsg.otp.verify(session.id, wrong)
    assert fake.otp.tries_left(session.id) == 1
    assert fake.otp.status(session.id) == "pending"
    with pytest.raises(OtpWrongCodeError):
        await bsg.otp.verify(session.id, wrong)
    with pytest.raises(OtpExhaustedError):  # even the right code, now
        await bsg.otp.verify(session.id, fake.otp.code(session.id))

    assert fake.otp.tries_left(session.id) == 0
    assert (await bsg.otp.get(session.id)).status is OtpStatus.FAILED


async def test_a_session_expires_on_the_fakes_clock(fake: FakeBSG, bsg: AsyncBSG) -> None:
    session = await send(bsg, fake, validity=timedelta(seconds=30))
    code = fake.otp.code(session.id)

    fake.advance(29)
    assert fake.otp.status(session.id) == "pending"
    fake.advance(1)

    with pytest.raises(OtpExpiredError):
        await bsg.otp.verify(session.id, code)
    with pytest.raises(OtpExpiredError):
        await bsg.otp.resend(session.id)
    with pytest.raises(OtpExpiredError):
        await bsg.otp.cancel(session.id)
    expired = await bsg.otp.get(session.id)
    assert expired.status is OtpStatus.EXPIRED
    assert expired.finished_at == expired.expires_at == datetime(2017, 1, 17, 9, 12, 11)


async def test_a_resend_replaces_the_code_and_renews_the_lifetime(
    fake: FakeBSG, bsg: AsyncBSG
) -> None:
    session = await send(bsg, fake, validity=timedelta(seconds=60))
    first = fake.otp.code(session.id)
    fake.advance(50)

    again = await bsg.otp.resend(session.id)
    second = fake.otp.code(session.id)
    fake.advance(50)  # past the first lifetime, within the second

    assert again.expires_at == datetime(2017, 1, 17, 9, 13, 31)
    assert second != first
    with pytest.raises(OtpWrongCodeError):
        await bsg.otp.verify(session.id, first)
    assert (await bsg.otp.verify(session.id, second)).status is OtpStatus.VERIFIED
    read = await bsg.otp.get(session.id)
    assert [m.id for m in read.messages] == [1_445_088_940, 1_445_088_941]
    assert read.price == 2 * fake.account.sms_price


async def test_a_canceled_session_takes_no_code(fake: FakeBSG, bsg: AsyncBSG) -> None:
    session = await send(bsg, fake)

    canceled = await bsg.otp.cancel(session.id)

    assert canceled.status is OtpStatus.CANCELED and canceled.price == 0
    with pytest.raises(OtpCanceledError):
        await bsg.otp.verify(session.id, fake.otp.code(session.id))
    with pytest.raises(OtpCanceledError):
        await bsg.otp.resend(session.id)


async def test_a_verified_session_is_not_verified_again(fake: FakeBSG, bsg: AsyncBSG) -> None:
    session = await send(bsg, fake)
    await bsg.otp.verify(session.id, fake.otp.code(session.id))

    with pytest.raises(InvalidRequestError) as caught:
        await bsg.otp.verify(session.id, fake.otp.code(session.id))

    assert caught.value.errors == {"": ("Authentication verified status",)}


async def test_an_unknown_session_is_not_found(fake: FakeBSG, bsg: AsyncBSG) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    for call in (
        lambda: bsg.otp.verify(unknown, "123456"),
        lambda: bsg.otp.resend(unknown),
        lambda: bsg.otp.cancel(unknown),
        lambda: bsg.otp.get(unknown),
    ):
        with pytest.raises(NotFoundError) as caught:
            await call()
        assert caught.value.description == "TwoFA Service error. Authentication not found"
    with pytest.raises(KeyError):
        fake.otp.code(unknown)
    with pytest.raises(KeyError):
        fake.otp.last_code(to="380999999999")


async def test_a_lost_verify_answer_is_settled_against_the_fake(fake: FakeBSG) -> None:
    fake.faults.script(["lost_answer"], paths=["*/verify"])
    async with sdk_on(fake) as bsg:
        session = await send(bsg, fake)

        verified = await bsg.otp.verify(session.id, fake.otp.code(session.id))

    assert verified.status is OtpStatus.VERIFIED
    assert sum(r.path.endswith("/verify") for r in fake.requests) == 1


async def test_a_lost_answer_to_the_last_wrong_code_is_the_exhausted_refusal(
    fake: FakeBSG,
) -> None:
    fake.faults.script(["lost_answer"], paths=["*/verify"])
    async with sdk_on(fake) as bsg:
        session = await send(bsg, fake, max_tries=1)
        wrong = "0" * 6 if fake.otp.code(session.id) != "0" * 6 else "1" * 6

        with pytest.raises(OtpExhaustedError) as caught:
            await bsg.otp.verify(session.id, wrong)

    assert not caught.value.may_have_been_accepted
    assert fake.otp.status(session.id) == "failed"


async def test_a_lost_send_answer_leaves_one_session_and_says_so(fake: FakeBSG) -> None:
    fake.faults.script(["lost_answer"], paths=["*/otp"])
    async with sdk_on(fake) as bsg:
        with pytest.raises(Exception) as caught:
            await send(bsg, fake)

    assert getattr(caught.value, "may_have_been_accepted", False)
    assert len(fake.otp) == 1  # the code went out once; the SDK did not send another


async def test_codes_and_session_ids_follow_the_seed() -> None:
    sessions = []
    for _ in range(2):
        fake = calm_fake(seed=9)
        async with sdk_on(fake) as bsg:
            session = await send(bsg, fake)
        sessions.append((session.id, fake.otp.code(session.id)))

    assert sessions[0] == sessions[1]


async def test_reset_forgets_sessions_and_templates_but_the_default(
    fake: FakeBSG, bsg: AsyncBSG
) -> None:
    session = await send(bsg, fake)
    await bsg.otp.templates.create(name="login", text="Code: {code2fa}")

    fake.reset()

    assert fake.otp.session(session.id) is None and len(fake.otp) == 0
    assert [t.id for t in fake.otp.templates] == [fake.otp.default_template]


# -- list and price --------------------------------------------------------------------------


async def test_list_filters_the_sessions_of_the_days(fake: FakeBSG, bsg: AsyncBSG) -> None:
    first = await send(bsg, fake)
    await bsg.otp.verify(first.id, fake.otp.code(first.id))
    second = await send(bsg, fake, to="48501234567", channel="viber", sms_sender="MyShop")
    fake.advance(86_400)
    await send(bsg, fake)  # the next day

    everyone = [s.id async for s in bsg.otp.list(created_from=DAY, created_to=DAY, page_size=10)]
    verified = [
        s.id async for s in bsg.otp.list(created_from=DAY, created_to=DAY, status="verified")
    ]
    polish = [
        s
        async for s in bsg.otp.list(created_from=DAY, created_to=DAY, country="PL", channel="viber")
    ]
    mine = [s.id async for s in bsg.otp.list(created_from=DAY, created_to=DAY, to=PHONE)]

    assert everyone == [first.id, second.id]
    assert verified == [first.id]
    assert [s.id for s in polish] == [second.id] and polish[0].sms_sender == "MyShop"
    assert polish[0].messages[0].to == "48501234567"
    assert mine == [first.id]


async def test_list_pages_through_many_sessions(fake: FakeBSG, bsg: AsyncBSG) -> None:
    ids = [(await send(bsg, fake)).id for _ in range(23)]

    listed = [s.id async for s in bsg.otp.list(created_from=DAY, created_to=DAY, page_size=10)]

    assert listed == ids


async def test_price_is_the_accounts_sms_price(fake: FakeBSG, bsg: AsyncBSG) -> None:
    assert await bsg.otp.price(currency="EUR", country="UA") == Decimal("0.02")


# -- templates -------------------------------------------------------------------------------


async def test_a_new_template_sends_once_approved(fake: FakeBSG, bsg: AsyncBSG) -> None:
    template = await bsg.otp.templates.create(
        name="login", text="Your login code: {code2fa}", countries=["UA"]
    )

    with pytest.raises(InvalidRequestError) as refused:
        await send(bsg, fake, template=template.id)
    fake.otp.set_template_status(template.id, "approved")
    session = await send(bsg, fake, template=template.id)
    with pytest.raises(InvalidRequestError) as elsewhere:
        await send(bsg, fake, template=template.id, to="48501234567")

    assert template.status is OtpTemplateStatus.REQUESTED
    assert refused.value.errors == {"": ("Invalid template status",)}
    assert session.text == "Your login code: {code2fa}"
    assert "not on the list of countries" in elsewhere.value.errors[""][0]
    assert (await bsg.otp.templates.get(template.id)).status is OtpTemplateStatus.APPROVED


async def test_templates_are_listed_and_deleted(fake: FakeBSG, bsg: AsyncBSG) -> None:
    made = [
        await bsg.otp.templates.create(name=f"template {n}", text="{code2fa}") for n in range(9)
    ]
    fake.otp.set_template_status(made[0].id, "rejected")

    requested = [t.id async for t in bsg.otp.templates.list(status="requested", page_size=10)]
    everything = [t.id async for t in bsg.otp.templates.list()]
    await bsg.otp.templates.delete(made[1].id)

    assert requested == [t.id for t in made[1:]]
    assert everything == [fake.otp.default_template, *(t.id for t in made)]
    with pytest.raises(NotFoundError):
        await bsg.otp.templates.get(made[1].id)
    with pytest.raises(NotFoundError):
        await bsg.otp.templates.delete(made[1].id)
    with pytest.raises(InvalidRequestError) as caught:
        await bsg.otp.templates.delete(fake.otp.default_template)
    assert caught.value.errors == {"": ("Default template is not available for deletion",)}


async def test_template_names_are_unique_and_requests_limited(fake: FakeBSG, bsg: AsyncBSG) -> None:
    for n in range(10):
        await bsg.otp.templates.create(name=f"template {n}", text="{code2fa}")

    with pytest.raises(InvalidRequestError) as taken:
        await bsg.otp.templates.create(name="template 0", text="{code2fa}")
    with pytest.raises(InvalidRequestError) as limited:
        await bsg.otp.templates.create(name="one too many", text="{code2fa}")

    assert taken.value.errors == {"": ("User has a template with the identical name!",)}
    assert "limited to 10" in limited.value.errors[""][0]


def test_moderating_an_unknown_template_or_to_another_status_is_refused(
    fake: FakeBSG,
) -> None:
    with pytest.raises(KeyError):
        fake.otp.set_template_status(99, "approved")
    with pytest.raises(InvalidParameterError):
        fake.otp.set_template_status(fake.otp.default_template, "deleted")


# -- the description's 422s, for bodies the SDK would never send ----------------------------------


@pytest.fixture
async def raw(fake: FakeBSG) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=fake.transport, base_url=ONE_API) as http:
        token = (await http.post("/api/auth/login", json={"api_key": API_KEY})).json()["bearer"]
        http.headers["Authorization"] = f"Bearer {token}"
        yield http


GOOD_SEND = {
    "recipient": PHONE,
    "channel": "sms",
    "sender": "MyShop",
    "template_id": 1,
    "code_lifetime": 300,
    "code_max_tries": 3,
    "code_digits": 5,
}


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"recipient": None}, {"recipient": ["The recipient field is required."]}),
        ({"recipient": "12345"}, {"recipient": ["The recipient must be 9 to 15 digits."]}),
        ({"channel": "rcs"}, {"channel": ["The value you selected is not a valid choice."]}),
        ({"sender": "ab"}, {"sender": ["The sender must be at least 3 characters."]}),
        ({"template_id": None}, {"template_id": ["The template_id field is required."]}),
        (
            {"code_lifetime": 301},
            {"code_lifetime": ["The code_lifetime must be between 30 and 300."]},
        ),
        ({"code_max_tries": "x"}, {"code_max_tries": ["The code_max_tries must be an integer."]}),
        ({"code_digits": 2}, {"code_digits": ["The code_digits must be between 3 and 9."]}),
    ],
)
async def test_a_send_body_is_validated_as_the_description_says(
    raw: httpx.AsyncClient, change: dict[str, Any], errors: dict[str, list[str]]
) -> None:
    body = {key: value for key, value in (GOOD_SEND | change).items() if value is not None}

    answer = await raw.post("/api/2fa/authentications/otp", json=body)

    assert answer.status_code == 422
    assert answer.json() == {"message": "The given data was invalid.", "errors": errors}


async def test_the_raw_answers_have_the_documented_shapes(raw: httpx.AsyncClient) -> None:
    sent = await raw.post("/api/2fa/authentications/otp", json=GOOD_SEND)
    session_id = sent.json()["data"]["id"]
    no_code = await raw.post(f"/api/2fa/authentications/otp/{session_id}/verify", json={})
    listed = await raw.get("/api/2fa/authentications")
    bad_day = await raw.get(
        "/api/2fa/authentications?filter[from]=17-01-2017&filter[to]=2017-01-17&page[limit]=5"
    )
    template = await raw.get("/api/2fa/authentications/templates/abc")
    price = await raw.get("/api/internal/2fa/authentications/full-price?channel_type=viber")

    assert sent.status_code == 201
    assert set(sent.json()["data"]) == {
        "id",
        "recipient",
        "status",
        "channel",
        "sender",
        "sender_alt",
        "message_text",
        "code_lifetime",
        "code_max_tries",
        "code_digits",
        "price",
        "currency",
        "country_code",
        "expired_at",
        "created_at",
        "finished_at",
    }
    assert no_code.json()["errors"] == {"access_code": ["The access_code field is required."]}
    assert listed.json()["errors"] == {
        "filter.from": ["The filter.from field is required."],
        "filter.to": ["The filter.to field is required."],
    }
    assert bad_day.json()["errors"] == {
        "page.limit": ["The page.limit must be between 10 and 500."],
        "filter.from": ["The filter.from does not match the format Y-m-d."],
    }
    assert template.status_code == 404 and template.json() == {"message": "Model not found"}
    assert price.json()["errors"] == {
        "channel_type": ["The selected channel type is invalid."],
        "currency": ["The currency field is required."],
    }


async def test_a_template_body_is_validated(raw: httpx.AsyncClient) -> None:
    bad = await raw.post(
        "/api/2fa/authentications/templates", json={"name": "ab", "countries": ["UKR"]}
    )
    no_placeholder = await raw.post(
        "/api/2fa/authentications/templates", json={"name": "login", "text": "Hello"}
    )
    twice = await raw.post(
        "/api/2fa/authentications/templates", json={"name": "login", "text": "{code2fa}{code2fa}"}
    )

    assert bad.json()["errors"] == {
        "name": ["The name must be at least 3 characters."],
        "text": ["The text field is required."],
        "countries.0": ["The countries.0 is not a country."],
    }
    assert no_placeholder.json()["errors"] == ["The variable {code2fa} is required in the text"]
    assert twice.json()["errors"] == ["The {code2fa} variable must occur only once in the text"]


async def test_the_2fa_routes_need_a_token(fake: FakeBSG) -> None:
    async with httpx.AsyncClient(transport=fake.transport, base_url=ONE_API) as http:
        answer = await http.get("/api/2fa/authentications/templates")

    assert answer.status_code == 401


# -- the control endpoint ----------------------------------------------------------------------


async def test_another_process_reads_the_code_over_http(fake: FakeBSG, bsg: AsyncBSG) -> None:
    session = await send(bsg, fake)

    app = httpx.ASGITransport(fake.app)
    async with httpx.AsyncClient(transport=app, base_url="http://fake.test") as http:
        by_id = await http.get("/_fake/otp-code", params={"id": session.id})
        by_phone = await http.get("/_fake/otp-code", params={"to": PHONE})
        unknown = await http.get("/_fake/otp-code", params={"id": "nope"})

    assert by_id.json() == {"id": session.id, "code": fake.otp.code(session.id)}
    assert by_phone.json() == {"to": PHONE, "code": fake.otp.code(session.id)}
    assert unknown.status_code == 400


async def test_a_sessions_repr_does_not_show_its_code(fake: FakeBSG, bsg: AsyncBSG) -> None:
    session = await send(bsg, fake, digits=9)
    record = fake.otp.session(session.id)

    assert record is not None and record.code == fake.otp.code(session.id)
    assert record.code not in repr(record) and record.code not in repr(session)


# -- properties ----------------------------------------------------------------------------------


@given(
    digits=st.integers(3, 9),
    max_tries=st.integers(1, 5),
    wrong=st.integers(0, 6),
)
def test_a_session_takes_the_right_code_while_tries_and_time_remain(
    digits: int, max_tries: int, wrong: int
) -> None:
    """For every code length and number of tries: a session checks at most `max_tries`
    wrong codes, and the right code works exactly when tries remain."""
    import anyio

    async def scenario() -> tuple[list[str], str]:
        fake = calm_fake()
        outcomes = []
        async with sdk_on(fake) as bsg:
            session = await send(bsg, fake, digits=digits, max_tries=max_tries)
            code = fake.otp.code(session.id)
            bad = str((int(code) + 1) % 10**digits).zfill(digits)
            for _ in range(wrong):
                try:
                    await bsg.otp.verify(session.id, bad)
                except (OtpWrongCodeError, OtpExhaustedError) as error:
                    outcomes.append(type(error).__name__)
            try:
                await bsg.otp.verify(session.id, code)
            except OtpExhaustedError:
                return outcomes, "exhausted"
            return outcomes, "verified"

    outcomes, last = anyio.run(scenario)

    spent = min(wrong, max_tries)
    assert outcomes == ["OtpWrongCodeError"] * spent + ["OtpExhaustedError"] * (wrong - spent)
    assert last == ("verified" if wrong < max_tries else "exhausted")
