"""High volume on the One-API: `send_campaign_many`/`stream_campaign_many` of SMS and Viber,
through the one batcher (`OutcomeStream`) and the one One-API recovery, against FakeBSG.

The exactly-once contract, as for the legacy batcher: one outcome per recipient; every
reference fixed before the first attempt; a lost answer retried with the same bytes and the
service's 429 duplicate guard resolved by reading the messages back by `reference_id`; a
`Sent` carries the id and price the service holds, and every reference is accepted at most
once (`fake.acceptances`)."""

from __future__ import annotations

import calendar
import json
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
import respx
from hypothesis import given, settings
from hypothesis import strategies as st

from bsg_async import (
    AsyncBSG,
    BatchReport,
    InvalidParameterError,
    RateLimitError,
    Recipient,
    RetryPolicy,
    Sent,
    SmsShortLink,
)
from bsg_async.testing import Account, FakeBSG, Faults, Lifecycle

from .conftest import API_KEY, ONE_API
from .profiles import examples

START = float(calendar.timegm((2025, 3, 3, 20, 5, 47)))
ACCOUNT = Account(api_keys=[API_KEY])
CALM = Lifecycle(undeliverable_rate=0, expired_rate=0, failed_rate=0, non_viber_rate=0)
SMS_SEND = "/api/campaigns/sms/send"
VIBER_SEND = "/api/campaigns/viber/send"


def numbers(count: int, start: int = 0) -> list[str]:
    return [f"38050{start + i:07d}" for i in range(count)]


def new_fake(**options: object) -> FakeBSG:
    return FakeBSG(seed=1, account=ACCOUNT, clock=lambda: START, lifecycle=CALM, **options)  # type: ignore[arg-type]


def sdk(fake: FakeBSG, attempts: int = 4) -> AsyncBSG:
    return AsyncBSG(
        api_key=API_KEY,
        one_api_url=ONE_API,
        transport=fake.transport,
        retry=RetryPolicy(max_attempts=attempts, base_delay=0.1, max_delay=1.0),
    )


@pytest.fixture
def fake() -> FakeBSG:
    return new_fake()


@pytest.fixture
async def bsg(fake: FakeBSG) -> AsyncIterator[AsyncBSG]:
    async with sdk(fake) as client:
        yield client


def assert_exactly_once(report: BatchReport, fake: FakeBSG, total: int, channel: str) -> None:
    """One outcome per recipient, in input order; a `Sent` is the message the fake holds;
    a `Failed` that cannot have been accepted was not; no reference accepted twice."""
    assert [outcome.index for outcome in report] == list(range(total))
    for outcome in report:
        if isinstance(outcome, Sent):
            held = fake.rcs.find(outcome.reference)
            assert held is not None
            assert (held.id, held.to) == (outcome.id, outcome.recipient.to)
            assert (outcome.price, outcome.currency) == (held.price, held.currency)
            assert fake.acceptances(outcome.reference, channel) == 1  # type: ignore[arg-type]
        elif outcome.reference is not None and not outcome.may_have_been_accepted:
            assert fake.acceptances(outcome.reference) == 0
    assert fake.duplicates == {}


async def test_every_recipient_is_sent_in_campaigns_of_chunk_size(
    bsg: AsyncBSG, fake: FakeBSG
) -> None:
    fake.clear_requests()

    report = await bsg.sms.send_campaign_many(
        numbers(1200), text="Sale", sender="Shop", chunk_size=500, concurrency=3
    )

    assert len(report.succeeded) == 1200
    assert report.total_price == {ACCOUNT.currency: 1200 * ACCOUNT.sms_price}
    assert len(fake.rcs.campaigns) == 3
    assert_exactly_once(report, fake, 1200, "sms")
    # the documented cost: one campaign POST per chunk, one search GET per 500 recipients
    posts = [r for r in fake.requests if r.method == "POST" and r.path.endswith(SMS_SEND)]
    searches = [r for r in fake.requests if r.path.endswith("/api/messages")]
    assert (len(posts), len(searches)) == (3, 3)


async def test_every_campaign_of_a_many_send_carries_its_short_links(
    bsg: AsyncBSG, fake: FakeBSG
) -> None:
    fake.clear_requests()
    link = SmsShortLink(
        target="https://shop.example/sale",
        placeholder="LINK",
        domain_ids=["21b6f472-7e9a-4c71-9518-e9a0e0b09284"],
    )

    report = await bsg.sms.send_campaign_many(
        numbers(30), text="Sale: LINK", sender="Shop", short_links=link, chunk_size=10
    )

    assert_exactly_once(report, fake, 30, "sms")
    bodies = [
        json.loads(r.body)
        for r in fake.requests
        if r.method == "POST" and r.path.endswith(SMS_SEND)
    ]
    assert len(bodies) == 3
    for body in bodies:
        assert body["short_links"] == [
            {
                "link": "https://shop.example/sale",
                "placeholder": "LINK",
                "domain_ids": ["21b6f472-7e9a-4c71-9518-e9a0e0b09284"],
            }
        ]


async def test_a_many_send_checks_its_short_links_before_any_request(
    bsg: AsyncBSG, fake: FakeBSG
) -> None:
    link = SmsShortLink(
        target="https://shop.example/sale",
        placeholder="LINK",
        domain_ids=["21b6f472-7e9a-4c71-9518-e9a0e0b09284"],
    )
    fake.clear_requests()

    with pytest.raises(InvalidParameterError) as caught:
        bsg.sms.stream_campaign_many(numbers(3), text="Sale", sender="Shop", short_links=[link])

    assert caught.value.field == "short_links[0].placeholder"
    assert fake.requests == ()


async def test_the_default_chunk_is_the_endpoints_maximum(bsg: AsyncBSG, fake: FakeBSG) -> None:
    report = await bsg.viber.send_campaign_many(numbers(5001), text="Sale", sender="Shop")

    assert [campaign.count for campaign in fake.rcs.campaigns] == [5000, 1]
    assert_exactly_once(report, fake, 5001, "viber")


async def test_a_lost_answer_is_resolved_by_the_429_guard_and_reading_back(
    bsg: AsyncBSG, fake: FakeBSG
) -> None:
    fake.faults.script(["lost_answer"], paths=[SMS_SEND])

    report = await bsg.sms.send_campaign_many(numbers(300), text="Sale", sender="Shop")

    assert len(report.succeeded) == 300
    assert len(fake.rcs.campaigns) == 1
    posts = [r for r in fake.requests if r.path.endswith(SMS_SEND)]
    assert [(r.fault, r.status) for r in posts] == [("lost_answer", 200), (None, 429)]
    assert_exactly_once(report, fake, 300, "sms")


async def test_a_reference_sent_before_is_read_back_and_the_rest_sent_again(
    bsg: AsyncBSG, fake: FakeBSG
) -> None:
    earlier = await bsg.sms.send_campaign(
        to=[Recipient("380501111111", "old1")], text="Hi", sender="Shop"
    )
    recipients = [Recipient("380501111111", "old1"), Recipient("380502222222", "new1")]

    report = await bsg.sms.send_campaign_many(recipients, text="Hi", sender="Shop")

    assert all(isinstance(outcome, Sent) for outcome in report)
    assert fake.rcs.find("old1").campaign_id == earlier.id  # type: ignore[union-attr]
    assert fake.rcs.find("new1").campaign_id != earlier.id  # type: ignore[union-attr]
    assert_exactly_once(report, fake, 2, "sms")


async def test_running_an_interrupted_send_again_sends_each_recipient_once(
    bsg: AsyncBSG, fake: FakeBSG
) -> None:
    recipients = [Recipient(number, f"run{i}") for i, number in enumerate(numbers(40))]
    async with bsg.sms.stream_campaign_many(
        recipients, text="Hi", sender="Shop", chunk_size=10, concurrency=1
    ) as stream:
        first = await stream.batches()  # one campaign, then leave
    assert first is not None

    report = await bsg.sms.send_campaign_many(recipients, text="Hi", sender="Shop", chunk_size=10)

    assert len(report.succeeded) == 40
    assert [o.id for o in report.outcomes[:10]] == [o.id for o in first]  # type: ignore[union-attr]
    assert_exactly_once(report, fake, 40, "sms")


async def test_a_rate_limit_that_the_search_cannot_resolve_fails_its_chunk_only(
    bsg: AsyncBSG, fake: FakeBSG
) -> None:
    fake.faults.script([None, "429"], paths=[VIBER_SEND])

    report = await bsg.viber.send_campaign_many(
        numbers(20), text="Sale", sender="Shop", chunk_size=10, concurrency=1
    )

    assert len(report.succeeded) == 10
    assert all(isinstance(o.error, RateLimitError) for o in report.failed)
    assert [o.index for o in report.failed] == list(range(10, 20))
    assert_exactly_once(report, fake, 20, "viber")


async def test_a_fault_on_reading_back_keeps_the_sent_ones_unsettled_not_lost(
    fake: FakeBSG,
) -> None:
    fake.faults.script(["503"] * 3, paths=["/api/messages"])

    async with sdk(fake, attempts=3) as bsg:
        report = await bsg.sms.send_campaign_many(
            numbers(10), text="Sale", sender="Shop", chunk_size=5, concurrency=1
        )

    assert len(report.failed) == 5
    assert all(o.may_have_been_accepted for o in report.failed)
    assert len(report.succeeded) == 5
    assert_exactly_once(report, fake, 10, "sms")


async def test_bad_recipients_fail_alone_and_a_phone_twice_goes_in_a_second_campaign(
    bsg: AsyncBSG, fake: FakeBSG
) -> None:
    recipients = [
        "380501234567",
        "12345678",  # 8 digits: the One-API takes 9 to 15
        Recipient("380501234568", "with_underscore"),  # letters and digits only
        "380501234567",
        42,
    ]

    report = await bsg.sms.send_campaign_many(recipients, text="Hi", sender="Shop")  # type: ignore[arg-type]

    kinds = [type(o).__name__ for o in report]
    assert kinds == ["Sent", "Failed", "Failed", "Sent", "Failed"]
    assert all(isinstance(o.error, InvalidParameterError) for o in report.failed)
    assert len(fake.rcs.campaigns) == 2
    assert_exactly_once(report, fake, 5, "sms")


async def test_streaming_an_async_input_yields_one_outcome_each(
    bsg: AsyncBSG, fake: FakeBSG
) -> None:
    async def source() -> AsyncIterator[str]:
        for number in numbers(25):
            yield number

    seen: list[int] = []
    async with bsg.viber.stream_campaign_many(
        source(), text="Sale", sender="Shop", chunk_size=10, on_progress=lambda d, t: None
    ) as outcomes:
        async for outcome in outcomes:
            assert isinstance(outcome, Sent)
            seen.append(outcome.index)

    assert sorted(seen) == list(range(25))


async def test_bad_shared_options_are_refused_before_anything_is_sent(
    bsg: AsyncBSG, fake: FakeBSG
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await bsg.sms.send_campaign_many(numbers(2), text="Hi", sender="Shop", chunk_size=10_001)
    assert caught.value.field == "chunk_size"
    with pytest.raises(InvalidParameterError) as caught:
        bsg.viber.stream_campaign_many(numbers(2), text="Hi", sender="x" * 41)
    assert caught.value.field == "sender"
    assert len(fake.rcs) == 0


FAULTS = st.lists(
    st.sampled_from([None, "lost_answer", "reset_after", "reset_before", "500", "503", "429"]),
    max_size=8,
)


@settings(max_examples=examples(25))
@given(
    count=st.integers(1, 40),
    chunk=st.integers(1, 15),
    post_faults=FAULTS,
    search_faults=FAULTS,
)
async def test_property_one_outcome_each_and_no_reference_accepted_twice(
    count: int, chunk: int, post_faults: Sequence[str | None], search_faults: Sequence[str | None]
) -> None:
    fake = new_fake(faults=Faults())
    fake.faults.script(post_faults, paths=[SMS_SEND])
    fake.faults.script(search_faults, paths=["/api/messages"])

    async with sdk(fake) as bsg:
        report = await bsg.sms.send_campaign_many(
            numbers(count), text="Sale", sender="Shop", chunk_size=chunk, concurrency=2
        )

    assert_exactly_once(report, fake, count, "sms")
    assert sum(isinstance(o, Sent) for o in report) + len(report.failed) == count
    assert all(o.price == Decimal("0.02") for o in report.succeeded)


async def test_rcs_campaigns_many_keep_the_contract_after_a_reset_connection(
    bsg: AsyncBSG, fake: FakeBSG
) -> None:
    fake.faults.script(["reset_after"], paths=["/api/campaigns/rcs/send"])

    report = await bsg.rcs.send_campaign_many(
        numbers(30), sender="MyShop", text="Sale", chunk_size=10, validity=timedelta(hours=2)
    )

    assert len(report.succeeded) == 30
    assert report.total_price == {ACCOUNT.currency: 30 * ACCOUNT.rcs_price}
    assert {c.submission.validity_hours for c in fake.rcs.campaigns} == {2}
    assert_exactly_once(report, fake, 30, "rcs")


async def test_rcs_validity_that_is_not_whole_hours_is_sent_in_seconds(
    bsg: AsyncBSG, fake: FakeBSG
) -> None:
    await bsg.rcs.send_campaign_many(
        numbers(1), sender="MyShop", text="Sale", validity=timedelta(minutes=90)
    )

    assert fake.rcs.campaigns[0].submission.validity_seconds == 5400
    for bad in (timedelta(seconds=1.5), 3600):
        with pytest.raises(InvalidParameterError) as caught:
            bsg.rcs.stream_campaign_many(numbers(1), sender="S", text="Hi", validity=bad)  # type: ignore[arg-type]
        assert caught.value.field == "validity"


async def test_a_recipient_the_search_cannot_tell_about_may_have_been_accepted(
    respx_mock: respx.MockRouter,
) -> None:
    respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": "a.b.c"})
    campaign = {"id": 7, "status": "sending", "message_type": "sms"}
    respx_mock.post(f"{ONE_API}{SMS_SEND}").respond(json={"data": campaign})
    page = {"data": [], "meta": {"page": {"total": 0, "limit": 500, "offset": 0}}}
    respx_mock.get(f"{ONE_API}/api/messages", params={"filter[campaign_id]": "7"}).respond(
        json=page
    )
    respx_mock.get(f"{ONE_API}/api/messages", params={"filter[reference_id]": "r1"}).respond(503)

    async with AsyncBSG(
        api_key=API_KEY, one_api_url=ONE_API, retry=RetryPolicy(max_attempts=2, base_delay=0.1)
    ) as bsg:
        report = await bsg.sms.send_campaign_many(
            [Recipient("380501234567", "r1")], text="Hi", sender="Shop"
        )

    (failed,) = report.failed
    assert failed.may_have_been_accepted
    assert "does not list" in str(failed.error)


async def test_high_volume_over_the_fakes_asgi_app(fake: FakeBSG) -> None:
    async with AsyncBSG(
        api_key=API_KEY, one_api_url=ONE_API, transport=httpx.ASGITransport(fake.app)
    ) as bsg:
        report = await bsg.viber.send_campaign_many(
            numbers(120), text="Sale", sender="Shop", chunk_size=50
        )

    assert len(fake.rcs.campaigns) == 3
    assert_exactly_once(report, fake, 120, "viber")
