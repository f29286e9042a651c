"""FakeBSG's account and routing refusals, seen through the real SDK: "not enough funds"
(code 8, bsg-api.md 8.1) once a `credit` limit is set, and "unresolved direction" (code 33,
section 5) for `unroutable_prefixes`. Both are off by default."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Literal

import attrs
import pytest

from bsg_async import (
    AsyncBSG,
    InsufficientFundsError,
    InvalidParameterError,
    Recipient,
    UndeliverableDestinationError,
)
from bsg_async.models.batch import BatchReport, Failed, Sent
from bsg_async.testing import Account, FakeBSG, Rules

from .conftest import API_KEY
from .fake_support import ACCOUNT, calm_fake, sdk_on

Channel = Literal["sms", "viber"]
SMS_PRICE = Decimal("0.02")
VIBER_PRICE = Decimal("0.23")
UNROUTABLE = "99988"


async def send_many(bsg: AsyncBSG, channel: Channel, recipients: list[Recipient]) -> BatchReport:
    """One `send_many` of `channel`, every recipient in one request."""
    if channel == "sms":
        return await bsg.sms.send_many(to=recipients, text="Sale", sender="Shop")
    return await bsg.viber.send_many(to=recipients, text="Sale", sender="Shop")


def people(count: int, *, prefix: str = "38050") -> list[Recipient]:
    """`count` recipients with distinct numbers and references."""
    return [Recipient(f"{prefix}{i:07d}", f"p{prefix}x{i}") for i in range(count)]


@pytest.fixture
async def broke() -> AsyncIterator[tuple[FakeBSG, AsyncBSG]]:
    """A prepaid account (no credit) with enough for exactly two SMS."""
    fake = calm_fake(account=attrs.evolve(ACCOUNT, balance=2 * SMS_PRICE, credit=Decimal(0)))
    async with sdk_on(fake) as bsg:
        yield fake, bsg


# -- not enough funds (8) ------------------------------------------------------------------------


async def test_an_sms_the_balance_cannot_cover_is_insufficient_funds(
    broke: tuple[FakeBSG, AsyncBSG],
) -> None:
    fake, bsg = broke
    for reference in ("paid1", "paid2"):
        await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference=reference)

    with pytest.raises(InsufficientFundsError) as caught:
        await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="unpaid")

    assert (caught.value.code, caught.value.description) == (8, "Not enough funds")
    assert not caught.value.may_have_been_accepted
    assert fake.sms.acceptances("unpaid") == 0
    assert fake.balance == Decimal("0.00")
    assert fake.codes == {8: 1}


@pytest.mark.parametrize(("channel", "price"), [("sms", SMS_PRICE), ("viber", VIBER_PRICE)])
async def test_send_many_recipients_beyond_the_funds_fail_as_not_accepted(
    channel: Channel, price: Decimal
) -> None:
    fake = calm_fake(account=attrs.evolve(ACCOUNT, balance=3 * price, credit=Decimal(0)))
    recipients = people(5)
    async with sdk_on(fake) as bsg:
        report = await send_many(bsg, channel, recipients)

    sent, failed = report.outcomes[:3], report.outcomes[3:]
    assert all(isinstance(outcome, Sent) for outcome in sent)
    assert all(isinstance(outcome, Failed) for outcome in failed)
    for outcome in report.failed:
        assert isinstance(outcome.error, InsufficientFundsError)
        assert outcome.error.code == 8
        assert outcome.may_have_been_accepted is False
        assert fake.acceptances(outcome.reference or "", channel) == 0
    assert fake.balance == Decimal(0)


async def test_credit_lets_the_balance_go_that_far_below_zero_and_the_balance_answer_agrees() -> (
    None
):
    fake = calm_fake(account=attrs.evolve(ACCOUNT, balance=Decimal("0.01"), credit=Decimal("0.03")))
    async with sdk_on(fake) as bsg:
        report = await bsg.sms.send_many(to=people(4), text="Sale", sender="Shop")
        balance = await bsg.account.balance()

    assert [outcome.ok for outcome in report] == [True, True, False, False]
    assert (balance.balance, balance.credit) == (Decimal("-0.03"), Decimal("0.03"))
    assert balance.balance == fake.balance == Decimal("0.01") - 2 * SMS_PRICE


async def test_a_retry_after_a_lost_answer_is_resolved_not_refused_for_funds() -> None:
    # The lost attempt spent the whole balance; the retry must meet "reference already
    # exists" (resolved as sent), not "not enough funds".
    fake = calm_fake(account=attrs.evolve(ACCOUNT, balance=2 * SMS_PRICE, credit=Decimal(0)))
    fake.faults.script(["lost_answer"], paths=["/sms/create"])
    async with sdk_on(fake) as bsg:
        report = await bsg.sms.send_many(to=people(2), text="Sale", sender="Shop")

    assert all(outcome.ok for outcome in report)
    assert set(fake.sms.accepted.values()) == {1}
    assert fake.codes == {23: 2}


async def test_without_a_credit_limit_the_balance_just_goes_negative() -> None:
    fake = calm_fake(account=attrs.evolve(ACCOUNT, balance=Decimal(0)))
    async with sdk_on(fake) as bsg:
        report = await bsg.sms.send_many(to=people(3), text="Sale", sender="Shop")
        balance = await bsg.account.balance()

    assert all(outcome.ok for outcome in report)
    assert (balance.balance, balance.credit) == (-3 * SMS_PRICE, Decimal(0))


# -- no route (33) -------------------------------------------------------------------------------


async def test_a_single_sms_to_an_unroutable_network_is_an_undeliverable_destination() -> None:
    fake = calm_fake(rules=Rules(unroutable_prefixes=[UNROUTABLE]))
    async with sdk_on(fake) as bsg:
        with pytest.raises(UndeliverableDestinationError) as caught:
            await bsg.sms.send(to=UNROUTABLE + "1234567", text="Hi", sender="Shop")
        receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")

    assert (caught.value.code, caught.value.field) == (33, "to")
    assert not caught.value.may_have_been_accepted
    assert len(fake.sms) == 1 and fake.sms.acceptances(receipt.reference) == 1


@pytest.mark.parametrize("channel", ["sms", "viber"])
async def test_send_many_unroutable_recipients_fail_inside_a_successful_answer(
    channel: Channel,
) -> None:
    fake = calm_fake(rules=Rules(unroutable_prefixes=[UNROUTABLE, "37100"]))
    recipients = [*people(2, prefix=UNROUTABLE), *people(2), *people(1, prefix="37100")]
    async with sdk_on(fake) as bsg:
        report = await send_many(bsg, channel, recipients)

    assert [outcome.ok for outcome in report] == [False, False, True, True, False]
    for outcome in report.failed:
        assert isinstance(outcome.error, UndeliverableDestinationError)
        assert outcome.error.code == 33
        assert outcome.may_have_been_accepted is False
    assert len(fake.sms if channel == "sms" else fake.viber) == 2
    assert fake.codes == {33: 3}


async def test_the_wire_answer_carries_33_per_recipient() -> None:
    fake = calm_fake(rules=Rules(unroutable_prefixes=UNROUTABLE))
    body = (
        b'{"destination":"phones","originator":"Shop","body":"Hi","phones":['
        b'{"msisdn":"99988000001","reference":"a"},{"msisdn":"380501234567","reference":"b"}]}'
    )

    answer = fake.handle("POST", "/sms/create", headers={"x-api-key": API_KEY}, body=body)

    first, second = json.loads(answer.body)["result"]
    assert first == {"reference": "a", "error": "33", "errorDescription": "Unresolved direction"}
    assert second["error"] == "0"


# -- options ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "option", "value"),
    [
        (Account, "credit", Decimal("-1")),
        (Account, "credit", 0.5),
        (Account, "credit", Decimal("Infinity")),
        (Rules, "unroutable_prefixes", ["+380"]),
        (Rules, "unroutable_prefixes", [380]),
        (Rules, "unroutable_prefixes", [""]),
        (Rules, "unroutable_prefixes", 380),
        (Rules, "invalid_prefixes", ["38O"]),
    ],
)
def test_bad_refusal_options_are_invalid_parameters(
    config: type[Account | Rules], option: str, value: object
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        config(**{option: value})

    assert caught.value.field == option
