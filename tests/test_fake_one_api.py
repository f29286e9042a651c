"""FakeBSG's One-API (bsg-api.md 8.2 to 8.5) seen through the real SDK: RCS sends, campaigns,
the message search, balance and tariffs; validation, the 429 duplicate guard and the SDK's
reconciliation, pagination, campaign stop rules and status progression. Raw HTTP is used only
for requests the SDK's own validation would never send."""

from __future__ import annotations

import calendar
import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import attrs
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bsg_async import (
    AsyncBSG,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    Recipient,
    RetryPolicy,
)
from bsg_async.models.one_api import (
    Amount,
    CampaignStatus,
    LinkSuggestion,
    MessageInfo,
    OneApiMessageStatus,
    RcsCard,
    SmsFallback,
    Tariff,
)
from bsg_async.testing import Account, FakeBSG, Lifecycle, Rules, Webhook
from bsg_async.testing._cli import build_parser, fake_from_args

from .conftest import API_KEY, ONE_API
from .profiles import examples

# bsg-api.md 7.1's example time, 2024-08-22 11:47:42, as the fake's frozen clock.
START = float(calendar.timegm((2024, 8, 22, 11, 47, 42)))
T0 = datetime(2024, 8, 22, 11, 47, 42)
PHONE = "380997087351"
# Nothing fails, everyone has RCS, nobody reads: each message ends `delivered` at +5 s.
CALM = Lifecycle(undeliverable_rate=0, expired_rate=0, failed_rate=0, non_rcs_rate=0, read_rate=0)


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> FakeBSG:
    """A fake on the documentation's clock, the test key and calm statuses."""
    return FakeBSG(seed=1, account=Account(api_keys=[API_KEY]), clock=Clock(), lifecycle=CALM)


@pytest.fixture
async def client(fake: FakeBSG) -> AsyncIterator[AsyncBSG]:
    """The real SDK on `fake`."""
    async with AsyncBSG(
        api_key=API_KEY,
        one_api_url=ONE_API,
        transport=fake.transport,
        retry=RetryPolicy(max_attempts=3, base_delay=0.1, max_delay=1.0),
    ) as bsg:
        yield bsg


@pytest.fixture
async def raw(fake: FakeBSG) -> AsyncIterator[httpx.AsyncClient]:
    """Plain httpx on `fake` with a valid bearer token."""
    answer = fake.handle("POST", "/api/auth/login", body=json.dumps({"api_key": API_KEY}).encode())
    token = json.loads(answer.body)["bearer"]
    async with httpx.AsyncClient(
        transport=fake.transport,
        base_url=ONE_API,
        headers={"Authorization": f"Bearer {token}"},
    ) as http:
        yield http


def single(**fields: Any) -> dict[str, Any]:
    """A valid single RCS send body, with `fields` replacing its own."""
    return {
        "phone": {"number": PHONE, "reference_id": "order42"},
        "sender": "MyShop",
        "options": {"text": "Your order shipped"},
        **fields,
    }


def card(**fields: Any) -> dict[str, Any]:
    """A valid card with one link suggestion, with `fields` replacing its own."""
    return {
        "title": "Sale",
        "text": "50% off",
        "media": {"url": "https://shop.example/sale.png"},
        "suggestions": [
            {"type": "link", "text": "Open", "url": "https://shop.example", "postback_data": "o"}
        ],
        **fields,
    }


def numbers(count: int, start: int = 0) -> list[str]:
    """`count` distinct valid phone numbers."""
    return [f"38050{start + n:07d}" for n in range(count)]


# -- RCS single send ---------------------------------------------------------------------------


async def test_rcs_send_answers_the_documented_message_info(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    info = await client.rcs.send(to=PHONE, sender="MyShop", text="Hi", reference="order42")

    assert info == MessageInfo(
        id=3266500452,
        status=OneApiMessageStatus.ACCEPTED,
        reference="order42",
        to=PHONE,
        type="rcs",
        source="rest",
        sender="MyShop",
        validity=timedelta(hours=72),
        amount=Amount(Decimal("1.1000000"), "EUR"),
        created_at=T0,
    )
    assert fake.rcs.acceptances("order42") == 1


async def test_rcs_send_keeps_what_the_request_said(client: AsyncBSG, fake: FakeBSG) -> None:
    await client.rcs.send(
        to=PHONE,
        sender="MyShop",
        cards=RcsCard(text="Sale", suggestions=[LinkSuggestion("Open", "https://s.example")]),
        reference="cards1",
        sms_fallback=SmsFallback(text="Sale", sender="MyShop", validity=timedelta(hours=2)),
        callback_url="http://127.0.0.1:8000/rcs",
        tariff=9,
        validity=timedelta(seconds=3601),
        check_stop_list=False,
    )

    message = fake.rcs.find("cards1")
    assert message is not None
    assert (message.to, message.sender, message.text) == (PHONE, "MyShop", None)
    link = {"type": "link", "text": "Open", "url": "https://s.example"}
    assert message.cards == ({"text": "Sale", "suggestions": [link]},)
    assert message.suggestions == (link,)
    assert message.callback_url == "http://127.0.0.1:8000/rcs"
    assert message.has_fallback
    assert message.submission.tariff == 9
    assert (message.submission.validity_seconds, message.submission.validity_hours) == (3601, 2)
    assert message.submission.check_stop_list is False


async def test_sends_are_deducted_from_the_balance(client: AsyncBSG) -> None:
    await client.rcs.send(to=PHONE, sender="MyShop", text="Hi")
    await client.rcs.send_campaign(to=numbers(3), sender="MyShop", text="Hi")

    balance = await client.account.balance()

    assert balance.balance == Decimal("100.0000000") - 4 * Decimal("1.1000000")
    assert (balance.currency, balance.credit) == ("EUR", Decimal(0))


async def test_legacy_sends_are_deducted_from_the_same_balance(fake: FakeBSG) -> None:
    async with AsyncBSG(
        api_key=API_KEY, base_url="https://api.test/rest", transport=fake.transport
    ) as bsg:
        await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")

    assert fake.balance == Decimal("100.0000000") - Decimal("0.02")


# -- campaigns ---------------------------------------------------------------------------------


async def test_campaign_send_accepts_every_phone_with_its_reference(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.rcs.send_campaign(
        to=[Recipient("380501234567", "first"), "380501234568"], sender="MyShop", text="Sale"
    )

    assert (campaign.id, campaign.status, campaign.message_type) == (
        4213,
        CampaignStatus.SENDING,
        "rcs",
    )
    assert campaign.calculated_price == Decimal("2.2000000")
    assert (campaign.start_at, campaign.real_start_at, campaign.created_at) == (T0, T0, T0)
    first, second = fake.rcs.campaign_messages(campaign.id)
    assert (first.reference, first.to, first.campaign_id) == ("first", "380501234567", 4213)
    assert second.reference is not None and fake.rcs.acceptances(second.reference) == 1
    assert fake.rcs.status(first) == "sending"


async def test_campaign_of_5000_phones_is_accepted(client: AsyncBSG, fake: FakeBSG) -> None:
    campaign = await client.rcs.send_campaign(to=numbers(5000), sender="MyShop", text="Sale")

    found = fake.rcs.campaign(campaign.id)
    assert found is not None and found.count == 5000
    assert len(fake.rcs) == 5000


async def test_campaign_of_5001_phones_is_422_naming_phones(
    raw: httpx.AsyncClient, fake: FakeBSG
) -> None:
    phones = [{"number": number} for number in numbers(5001)]
    answer = await raw.post(
        "/api/campaigns/rcs/send", json={**single(), "phones": phones, "phone": None}
    )

    assert answer.status_code == 422
    assert answer.json()["errors"]["phones"] == ["The phones must not have more than 5000 items."]
    assert len(fake.rcs) == 0


async def test_send_to_groups_reaches_the_unique_phones_of_the_groups() -> None:
    fake = FakeBSG(
        clock=Clock(),
        lifecycle=CALM,
        account=Account(
            contact_lists={4012: ["380501234567", "380501234568"], 4013: ["380501234568"]}
        ),
    )
    async with AsyncBSG(api_key=API_KEY, one_api_url=ONE_API, transport=fake.transport) as bsg:
        campaign = await bsg.rcs.send_campaign(
            contact_lists=[4012, 4013], sender="MyShop", text="Hi"
        )

    found = fake.rcs.campaign(campaign.id)
    assert found is not None and found.contact_lists == (4012, 4013)
    phones = [m.to for m in fake.rcs.campaign_messages(found)]
    assert phones == ["380501234567", "380501234568"]
    assert all(m.reference is None for m in fake.rcs.messages)


async def test_send_to_an_unknown_group_is_422_naming_the_group(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client.rcs.send_campaign(contact_lists=[77], sender="MyShop", text="Hi")

    assert caught.value.http_status == 422
    assert dict(caught.value.errors) == {"groups.0": ("The selected groups.0 is invalid.",)}
    assert len(fake.rcs.campaigns) == 0


async def test_campaign_get_and_detail_report_counters_per_status(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.rcs.send_campaign(to=numbers(3), sender="MyShop", text="Hi")
    fake.advance(2)  # sent
    sending = await client.campaigns.get(campaign.id)
    fake.advance(10)  # delivered

    done = await client.campaigns.get(campaign.id)
    detail = await client.campaigns.detail(campaign.id)

    assert sending.status == CampaignStatus.SENDING
    assert sending.statistics is not None and sending.statistics.sent == 3
    assert done.status == CampaignStatus.DONE
    assert done.finished_at == datetime(2024, 8, 22, 11, 47, 47)
    assert done.statistics is not None and done.statistics.delivered == 3
    assert detail.statistics is not None
    assert (detail.statistics.delivered, detail.statistics.sent) == (3, 0)
    assert (detail.total_messages, detail.total_price) == (3, Decimal("3.3000000"))
    assert detail.message_type == "rcs" and detail.real_start_at == T0


async def test_unknown_campaign_is_a_not_found_error(client: AsyncBSG) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.campaigns.get(999)

    assert caught.value.http_status == 404


async def test_campaign_scheduled_ahead_starts_at_its_start_at(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    start = datetime(2024, 8, 22, 12, 47, 42)  # an hour ahead of the fake's clock
    campaign = await client.rcs.send_campaign(
        to=numbers(2), sender="MyShop", text="Hi", start_at=start
    )
    [first, _] = fake.rcs.campaign_messages(campaign.id)
    before = fake.rcs.status(first)
    fake.advance(3600)
    started = await client.campaigns.get(campaign.id)

    assert (campaign.status, campaign.start_at, campaign.real_start_at) == (
        CampaignStatus.SCHEDULED,
        start,
        None,
    )
    assert before == "scheduled"
    assert (started.status, started.real_start_at) == (CampaignStatus.SENDING, start)
    assert fake.rcs.status(first) == "sending"


async def test_start_at_more_than_30_days_ahead_of_the_service_clock_is_422(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client.rcs.send_campaign(
            to=numbers(1), sender="MyShop", text="Hi", start_at=datetime(2024, 9, 22, 11, 47, 43)
        )

    assert caught.value.field == "start_at"
    assert len(fake.rcs) == 0


# -- campaign stop -----------------------------------------------------------------------------


async def test_stopping_a_sending_campaign_stops_it(client: AsyncBSG, fake: FakeBSG) -> None:
    campaign = await client.rcs.send_campaign(to=numbers(2), sender="MyShop", text="Hi")
    fake.advance(1)

    stopped = await client.campaigns.stop(campaign.id)

    assert stopped.status == CampaignStatus.STOPPED
    assert stopped.finished_at == datetime(2024, 8, 22, 11, 47, 43)
    assert fake.rcs.campaign_status(campaign.id) == "stopped"


async def test_messages_not_sent_when_their_campaign_stopped_never_move(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    start = datetime(2024, 8, 22, 12, 0, 0)
    campaign = await client.rcs.send_campaign(
        to=numbers(2), sender="MyShop", text="Hi", start_at=start
    )
    await client.campaigns.stop(campaign.id)
    fake.advance(86_400)

    assert {fake.rcs.status(m) for m in fake.rcs.campaign_messages(campaign.id)} == {"scheduled"}
    assert fake.pending_callbacks == ()


@pytest.mark.parametrize("status", ["scheduled", "sending", "paused", "moderation"])
async def test_campaign_in_a_stoppable_state_can_be_stopped(
    client: AsyncBSG, fake: FakeBSG, status: str
) -> None:
    campaign = await client.rcs.send_campaign(to=numbers(1), sender="MyShop", text="Hi")
    fake.rcs.set_campaign_status(campaign.id, status)

    stopped = await client.campaigns.stop(campaign.id)

    assert stopped.status == CampaignStatus.STOPPED


@pytest.mark.parametrize("status", ["creation", "done", "stopped", "spam"])
async def test_campaign_in_any_other_state_cannot_be_stopped_422(
    client: AsyncBSG, fake: FakeBSG, status: str
) -> None:
    campaign = await client.rcs.send_campaign(to=numbers(1), sender="MyShop", text="Hi")
    fake.rcs.set_campaign_status(campaign.id, status)

    with pytest.raises(InvalidRequestError) as caught:
        await client.campaigns.stop(campaign.id)

    assert caught.value.http_status == 422
    assert list(caught.value.errors) == ["status"]
    assert fake.rcs.campaign_status(campaign.id) == status


async def test_a_campaign_that_finished_by_itself_cannot_be_stopped(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.rcs.send_campaign(to=numbers(1), sender="MyShop", text="Hi")
    fake.advance(60)

    with pytest.raises(InvalidRequestError):
        await client.campaigns.stop(campaign.id)

    assert fake.rcs.campaign_status(campaign.id) == "done"


# -- validation: 422 with per-field messages ---------------------------------------------------


async def test_unknown_tariff_code_is_an_invalid_request_with_the_service_messages(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        await client.rcs.send(to=PHONE, sender="MyShop", text="Hi", tariff=5)

    assert caught.value.http_status == 422
    assert caught.value.field == "tariff_code"
    assert dict(caught.value.errors) == {"tariff_code": ("The selected tariff code is invalid.",)}
    assert not caught.value.may_have_been_accepted
    assert len(fake.rcs) == 0


async def test_inactive_tariff_is_refused_and_configured_tariffs_are_listed() -> None:
    tariffs = [
        Tariff(id=1, code=3, name="Old", is_active=False, is_default=False),
        Tariff(id=2, code=4, name="New", is_active=True, is_default=True),
    ]
    fake = FakeBSG(clock=Clock(), account=Account(tariffs=tariffs))
    async with AsyncBSG(api_key=API_KEY, one_api_url=ONE_API, transport=fake.transport) as bsg:
        listed = [t async for t in bsg.account.tariffs()]
        with pytest.raises(InvalidRequestError):
            await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi", tariff=3)
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi", tariff=4)

    assert listed == tariffs
    assert len(fake.rcs) == 1


INVALID_SINGLE: list[tuple[dict[str, Any], str]] = [
    ({"phone": None}, "phone"),
    ({"phone": {"number": "12345678"}}, "phone.number"),
    ({"phone": {"number": "+380997087351"}}, "phone.number"),
    ({"phone": {"number": PHONE, "reference_id": "order-42"}}, "phone.reference_id"),
    ({"phone": {"number": PHONE, "reference_id": "a" * 33}}, "phone.reference_id"),
    ({"sender": ""}, "sender"),
    ({"sender": "s" * 41}, "sender"),
    ({"options": None}, "options"),
    ({"options": {"text": "t" * 161}}, "options.text"),
    ({"options": {}}, "options.text"),
    ({"options": {"text": "Hi", "cards": [card()]}}, "options"),
    ({"options": {"cards": []}}, "options.cards"),
    ({"options": {"cards": [card()] * 11}}, "options.cards"),
    ({"options": {"cards": [card(text="t" * 1001)]}}, "options.cards.0.text"),
    ({"options": {"cards": [card(text=None, media=None)]}}, "options.cards.0.text"),
    ({"options": {"cards": [card(title="t" * 201)]}}, "options.cards.0.title"),
    (
        {"options": {"cards": [card(media={"url": "ftp://x.example/a.png"})]}},
        "options.cards.0.media.url",
    ),
    (
        {"options": {"cards": [card(suggestions=card()["suggestions"] * 5)]}},
        "options.cards.0.suggestions",
    ),
    (
        {
            "options": {
                "cards": [
                    card(suggestions=[{"type": "link", "text": "t" * 26, "url": "https://a.b"}])
                ]
            }
        },
        "options.cards.0.suggestions.0.text",
    ),
    (
        {
            "options": {
                "cards": [
                    card(
                        suggestions=[
                            {
                                "type": "link",
                                "text": "t",
                                "url": "https://a.b",
                                "postback_data": "p" * 26,
                            }
                        ]
                    )
                ]
            }
        },
        "options.cards.0.suggestions.0.postback_data",
    ),
    (
        {
            "options": {
                "cards": [card(suggestions=[{"type": "call", "text": "Call", "phone": "123"}])]
            }
        },
        "options.cards.0.suggestions.0.phone",
    ),
    (
        {"options": {"cards": [card(suggestions=[{"type": "share", "text": "Share"}])]}},
        "options.cards.0.suggestions.0.type",
    ),
    ({"callback_url": "https://shop.example/" + "c" * 80}, "callback_url"),
    ({"callback_url": "ftp://shop.example/rcs"}, "callback_url"),
    ({"validity": 73}, "validity"),
    ({"validity_seconds": 29}, "validity_seconds"),
    ({"validity": 1, "validity_seconds": 60}, "validity"),
    ({"tariff_code": "nine"}, "tariff_code"),
    ({"add_to_contact_book": "yes"}, "add_to_contact_book"),
    ({"check_stop_list": 2}, "check_stop_list"),
    ({"alternative_channel": {"sms": None}}, "alternative_channel.sms"),
    (
        {"alternative_channel": {"sms": {"text": "t" * 766, "sender": "Shop"}}},
        "alternative_channel.sms.text",
    ),
    (
        {"alternative_channel": {"sms": {"text": "Hi", "sender": "TooLongSender1"}}},
        "alternative_channel.sms.sender",
    ),
    (
        {"alternative_channel": {"sms": {"text": "Hi", "sender": "Shop", "validity": 0}}},
        "alternative_channel.sms.validity",
    ),
    (
        {
            "alternative_channel": {
                "sms": {"text": "Hi", "sender": "Shop", "validity_seconds": 86_401}
            }
        },
        "alternative_channel.sms.validity_seconds",
    ),
]


@pytest.mark.parametrize(("change", "field"), INVALID_SINGLE)
async def test_each_documented_limit_of_a_single_send_is_a_422_naming_the_field(
    raw: httpx.AsyncClient, fake: FakeBSG, change: dict[str, Any], field: str
) -> None:
    answer = await raw.post("/api/messages/rcs/send", json=single(**change))

    assert answer.status_code == 422
    assert answer.json()["message"] == "The given data was invalid."
    assert list(answer.json()["errors"]) == [field]
    assert len(fake.rcs) == 0


INVALID_CAMPAIGN: list[tuple[dict[str, Any], str]] = [
    ({"phones": []}, "phones"),
    ({"phones": "380997087351"}, "phones"),
    ({"phones": [{"number": PHONE}, {"number": PHONE}]}, "phones.1.number"),
    ({"phones": [{"number": "12"}]}, "phones.0.number"),
    (
        {
            "phones": [
                {"number": PHONE, "reference_id": "r"},
                {"number": "380997087352", "reference_id": "r"},
            ]
        },
        "phones.1.reference_id",
    ),
    ({"phones": [PHONE]}, "phones.0"),
    ({"start_at": "2024/08/22 12:00"}, "start_at"),
]


@pytest.mark.parametrize(("change", "field"), INVALID_CAMPAIGN)
async def test_each_documented_limit_of_a_campaign_is_a_422_naming_the_field(
    raw: httpx.AsyncClient, fake: FakeBSG, change: dict[str, Any], field: str
) -> None:
    body = {"phones": [{"number": PHONE}], "sender": "MyShop", "options": {"text": "Hi"}}
    answer = await raw.post("/api/campaigns/rcs/send", json={**body, **change})

    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == [field]
    assert len(fake.rcs.campaigns) == 0


async def test_every_invalid_field_is_listed_at_once(raw: httpx.AsyncClient) -> None:
    answer = await raw.post(
        "/api/messages/rcs/send", json={"phone": {"number": "1"}, "options": {"text": ""}}
    )

    assert answer.json()["errors"] == {
        "phone.number": ["The phone.number must be 9 to 15 digits."],
        "sender": ["The sender field is required."],
        "options.text": ["The options.text field is required."],
    }


async def test_a_body_that_is_not_json_is_422_for_every_required_field(
    raw: httpx.AsyncClient,
) -> None:
    answer = await raw.post("/api/messages/rcs/send", content=b"{nope")

    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"phone", "sender", "options"}


# -- the duplicate guard and the SDK's reconciliation ------------------------------------------


async def test_a_held_reference_id_gets_the_429_duplicate_guard(
    raw: httpx.AsyncClient, fake: FakeBSG
) -> None:
    first = await raw.post("/api/messages/rcs/send", json=single())
    again = await raw.post("/api/messages/rcs/send", json=single())

    assert first.status_code == 200
    assert again.status_code == 429
    assert again.json() == {"message": "Too many duplicate request detected"}
    assert fake.rcs.acceptances("order42") == 1


async def test_a_campaign_holding_any_known_reference_id_is_refused_whole(
    raw: httpx.AsyncClient, fake: FakeBSG
) -> None:
    await raw.post("/api/messages/rcs/send", json=single())
    phones = [
        {"number": "380997087352", "reference_id": "new1"},
        {"number": PHONE, "reference_id": "order42"},
    ]
    answer = await raw.post(
        "/api/campaigns/rcs/send", json={"phones": phones, "sender": "S", "options": {"text": "Hi"}}
    )

    assert answer.status_code == 429
    assert fake.rcs.acceptances("new1") == 0


async def test_sdk_resend_of_a_held_reference_returns_what_the_service_has(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    first = await client.rcs.send(to=PHONE, sender="MyShop", text="Hi", reference="order42")
    fake.advance(2)

    again = await client.rcs.send(to=PHONE, sender="MyShop", text="Hi", reference="order42")

    assert again.id == first.id
    assert again.status == OneApiMessageStatus.SENT
    assert fake.rcs.acceptances("order42") == 1
    assert [(r.path, r.status) for r in fake.requests[-2:]] == [
        ("/api/messages/rcs/send", 429),
        ("/api/messages", 200),
    ]


async def test_lost_answer_on_the_first_attempt_still_ends_with_one_acceptance(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    fake.faults.script(["lost_answer"], paths=["/api/messages/rcs/send"])

    info = await client.rcs.send(to=PHONE, sender="MyShop", text="Hi", reference="lost1")

    message = fake.rcs.find("lost1")
    assert message is not None and info.id == message.id
    assert fake.rcs.acceptances("lost1") == 1
    sends = [(r.fault, r.status, r.processed) for r in fake.requests if r.method == "POST"]
    assert sends[-2:] == [("lost_answer", 200, True), (None, 429, True)]


async def test_lost_campaign_answer_is_reconciled_to_the_campaign(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    fake.faults.script(["reset_after"], paths=["/api/campaigns/rcs/send"])
    recipients = [Recipient(number, f"c{n}") for n, number in enumerate(numbers(3))]

    campaign = await client.rcs.send_campaign(to=recipients, sender="MyShop", text="Hi")

    assert [c.id for c in fake.rcs.campaigns] == [campaign.id]
    assert all(fake.rcs.acceptances(f"c{n}") == 1 for n in range(3))


async def test_a_throttling_429_is_raised_not_resent(client: AsyncBSG, fake: FakeBSG) -> None:
    fake.faults.script(["429"], paths=["/api/messages/rcs/send"])

    with pytest.raises(RateLimitError) as caught:
        await client.rcs.send(to=PHONE, sender="MyShop", text="Hi", reference="busy1")

    assert not caught.value.may_have_been_accepted
    assert fake.rcs.acceptances("busy1") == 0
    assert sum(r.path == "/api/messages/rcs/send" for r in fake.requests) == 1


async def test_without_unique_references_a_reference_id_is_accepted_again() -> None:
    fake = FakeBSG(clock=Clock(), rules=Rules(unique_references=False))
    async with AsyncBSG(api_key=API_KEY, one_api_url=ONE_API, transport=fake.transport) as bsg:
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi", reference="twice")
        await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi", reference="twice")
        found = [m async for m in bsg.messages.list(reference="twice")]

    assert fake.acceptances("twice", "rcs") == 2
    assert fake.duplicates == {("rcs", "twice"): 2}
    assert len(found) == 2


# -- the message search and pagination ---------------------------------------------------------


async def test_message_search_pages_through_every_message(client: AsyncBSG, fake: FakeBSG) -> None:
    campaign = await client.rcs.send_campaign(to=numbers(40), sender="MyShop", text="Hi")
    fake.clear_requests()

    found = [m async for m in client.messages.list(campaign_id=campaign.id, page_size=15)]

    assert [m.to for m in found] == numbers(40)
    assert {m.campaign_id for m in found} == {campaign.id}
    assert [r.query for r in fake.requests] == [
        f"filter%5Bcampaign_id%5D={campaign.id}&page%5Boffset%5D={offset}&page%5Blimit%5D=15"
        for offset in (0, 15, 30)
    ]


async def test_message_search_answers_data_and_meta_page(
    raw: httpx.AsyncClient, client: AsyncBSG
) -> None:
    await client.rcs.send_campaign(to=numbers(20), sender="MyShop", text="Hi")

    answer = await raw.get("/api/messages", params={"page[offset]": 15, "page[limit]": 15})

    assert len(answer.json()["data"]) == 5
    assert answer.json()["meta"] == {"page": {"total": 20, "limit": 15, "offset": 15}}


async def test_message_search_item_has_the_documented_fields(
    raw: httpx.AsyncClient, client: AsyncBSG
) -> None:
    await client.rcs.send(to=PHONE, sender="MyShop", text="Hi", reference="order42")

    answer = await raw.get("/api/messages", params={"filter[reference_id]": "order42"})

    assert answer.json()["data"] == [
        {
            "id": 3266500452,
            "reference_id": "order42",
            "source": "rest",
            "type": "rcs",
            "phone": 380997087351,
            "status": "accepted",
            "validity": 72,
            "amount": {"value": "1.1000000", "currency": "EUR"},
            "sender": "MyShop",
            "created_at": "2024-08-22 11:47:42",
            "sent_at": None,
            "delivered_at": None,
            "campaign_id": None,
            "country": "UA",
            "parts": 1,
            "alternative_channels": None,
        }
    ]


async def test_message_search_applies_every_filter(client: AsyncBSG, fake: FakeBSG) -> None:
    single_info = await client.rcs.send(to=PHONE, sender="MyShop", text="Hi", reference="one")
    fake.advance(3600)
    campaign = await client.rcs.send_campaign(to=numbers(2), sender="MyShop", text="Hi")

    by_id = [m.id async for m in client.messages.list(id=single_info.id)]
    by_ref = [m.id async for m in client.messages.list(reference="one")]
    by_both = [m.id async for m in client.messages.list(reference="one", campaign_id=campaign.id)]
    later = [
        m.campaign_id async for m in client.messages.list(created_from=datetime(2024, 8, 22, 12))
    ]
    earlier = [m.id async for m in client.messages.list(created_to=datetime(2024, 8, 22, 12))]

    assert by_id == by_ref == earlier == [single_info.id]
    assert by_both == []
    assert later == [campaign.id, campaign.id]


async def test_campaign_list_pages_through_every_campaign(client: AsyncBSG, fake: FakeBSG) -> None:
    for n in range(65):
        await client.rcs.send_campaign(to=numbers(1, start=n), sender="MyShop", text="Hi")
    fake.clear_requests()

    found = [c.id async for c in client.campaigns.list(page_size=30)]

    assert found == [c.id for c in fake.rcs.campaigns]
    assert len(found) == 65
    assert len(fake.requests) == 3


async def test_tariffs_answer_data_and_total_without_meta(raw: httpx.AsyncClient) -> None:
    answer = await raw.get("/api/accounts/tariff", params={"page[offset]": 0, "page[limit]": 50})

    assert answer.json() == {
        "data": [
            {"id": 50470, "name": "Standard", "code": 0, "is_active": True, "is_default": True},
            {
                "id": 50471,
                "name": "Best quality",
                "code": 9,
                "is_active": True,
                "is_default": False,
            },
        ],
        "total": 2,
    }


async def test_tariffs_page_through_every_tariff() -> None:
    tariffs = [Tariff(id=n, code=n, name=f"T{n}", is_active=True) for n in range(1, 21)]
    fake = FakeBSG(account=Account(tariffs=tariffs))
    async with AsyncBSG(api_key=API_KEY, one_api_url=ONE_API, transport=fake.transport) as bsg:
        found = [t async for t in bsg.account.tariffs(page_size=15)]

    assert found == tariffs
    assert [r.path for r in fake.requests].count("/api/accounts/tariff") == 2


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/api/messages", 14),
        ("/api/messages", 501),
        ("/api/campaigns", 29),
        ("/api/accounts/tariff", 501),
    ],
)
async def test_page_limit_outside_the_documented_bounds_is_422(
    raw: httpx.AsyncClient, path: str, limit: int
) -> None:
    answer = await raw.get(path, params={"page[limit]": limit})

    assert answer.status_code == 422
    assert list(answer.json()["errors"]) == ["page.limit"]


@pytest.mark.parametrize(
    ("name", "value"),
    [("filter[reference_id]", "bad-ref"), ("filter[id]", "x"), ("filter[from]", "yesterday")],
)
async def test_a_malformed_search_filter_is_422(
    raw: httpx.AsyncClient, name: str, value: str
) -> None:
    answer = await raw.get("/api/messages", params={name: value})

    assert answer.status_code == 422


# -- status progression ------------------------------------------------------------------------


async def test_a_message_moves_accepted_sent_delivered_read() -> None:
    life = Lifecycle(
        undeliverable_rate=0, expired_rate=0, failed_rate=0, non_rcs_rate=0, read_rate=1
    )
    fake = FakeBSG(clock=Clock(), lifecycle=life)
    seen = []
    async with AsyncBSG(api_key=API_KEY, one_api_url=ONE_API, transport=fake.transport) as bsg:
        info = await bsg.rcs.send(to=PHONE, sender="MyShop", text="Hi")
        for step in (0.5, 1, 4, 25):
            fake.advance(step)
            [message] = [m async for m in bsg.messages.list(id=info.id)]
            seen.append((message.status, message.sent_at, message.delivered_at))

    sent, delivered = datetime(2024, 8, 22, 11, 47, 43), datetime(2024, 8, 22, 11, 47, 47)
    assert seen == [
        (OneApiMessageStatus.ACCEPTED, None, None),
        (OneApiMessageStatus.SENT, sent, None),
        (OneApiMessageStatus.DELIVERED, sent, delivered),
        (OneApiMessageStatus.READ, sent, delivered),
    ]


async def test_a_number_without_rcs_ends_undelivered_and_gets_the_sms_fallback() -> None:
    fake = FakeBSG(clock=Clock(), lifecycle=attrs.evolve(CALM, non_rcs_numbers=[PHONE]))
    fallback = SmsFallback(text="Shipped", sender="MyShop")
    async with AsyncBSG(api_key=API_KEY, one_api_url=ONE_API, transport=fake.transport) as bsg:
        campaign = await bsg.rcs.send_campaign(
            to=[PHONE, "380997087352"], sender="MyShop", text="Hi", sms_fallback=fallback
        )
        fake.advance(60)
        found = [m async for m in bsg.messages.list(campaign_id=campaign.id)]
        detail = await bsg.campaigns.detail(campaign.id)

    assert [m.status for m in found] == ["undelivered", "delivered"]
    assert found[0].alternative_channels is not None
    assert found[0].alternative_channels.sms is not None
    assert found[0].alternative_channels.sms.ids == (found[0].id + 1_000_000_000,)
    assert found[1].alternative_channels is None
    assert detail.statistics is not None and detail.statistics.not_rcs_user == 1
    assert detail.alternative_channels is not None and detail.alternative_channels.sms is not None
    assert detail.alternative_channels.sms.statistics is not None
    assert detail.alternative_channels.sms.statistics.delivered == 1


def test_seeded_fates_reach_every_final_status() -> None:
    life = Lifecycle(
        undeliverable_rate=0.25, expired_rate=0.25, failed_rate=0.25, non_rcs_rate=0, read_rate=0
    )
    fake = FakeBSG(seed=3, clock=Clock(), lifecycle=life)
    body = {
        "phones": [{"number": n} for n in numbers(80)],
        "sender": "S",
        "options": {"text": "Hi"},
    }
    login = fake.handle("POST", "/api/auth/login", body=json.dumps({"api_key": "k"}).encode())
    headers = {"authorization": "Bearer " + json.loads(login.body)["bearer"]}
    fake.handle("POST", "/api/campaigns/rcs/send", headers=headers, body=json.dumps(body).encode())
    fake.advance(60)

    assert {fake.rcs.status(m) for m in fake.rcs.messages} == {
        "delivered",
        "undelivered",
        "expired",
        "failed",
    }


@settings(max_examples=examples(25), deadline=None)
@given(seed=st.integers(0, 10_000), waits=st.lists(st.floats(0, 40), min_size=1, max_size=6))
def test_for_every_seed_statuses_only_move_forward_along_the_timeline(
    seed: int, waits: list[float]
) -> None:
    fake = FakeBSG(seed=seed, clock=Clock())
    login = fake.handle("POST", "/api/auth/login", body=json.dumps({"api_key": "k"}).encode())
    headers = {"authorization": "Bearer " + json.loads(login.body)["bearer"]}
    body = {"phones": [{"number": n} for n in numbers(5)], "sender": "S", "options": {"text": "H"}}
    fake.handle("POST", "/api/campaigns/rcs/send", headers=headers, body=json.dumps(body).encode())
    order = ["sending", "sent", "failed", "delivered", "undelivered", "expired", "read"]
    previous = {m.id: 0 for m in fake.rcs.messages}
    for wait in waits:
        fake.advance(wait)
        for message in fake.rcs.messages:
            rank = order.index(fake.rcs.status(message))
            assert rank >= previous[message.id]
            previous[message.id] = rank


# -- auth, routing, recording, control, CLI ----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/messages/rcs/send"),
        ("POST", "/api/campaigns/rcs/send"),
        ("POST", "/api/campaigns/rcs/send-groups"),
        ("GET", "/api/campaigns"),
        ("GET", "/api/campaigns/4213"),
        ("GET", "/api/campaigns/4213/detail"),
        ("PATCH", "/api/campaigns/4213/stop"),
        ("GET", "/api/messages"),
        ("GET", "/api/accounts/tariff"),
    ],
)
def test_every_one_api_endpoint_needs_a_bearer_token(method: str, path: str) -> None:
    fake = FakeBSG()

    answer = fake.handle(method, path, headers={"authorization": "Bearer forged.token.here"})

    assert answer.status == 401
    assert json.loads(answer.body) == {"message": "Unauthenticated."}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/messages/rcs/send"),
        ("POST", "/api/campaigns"),
        ("GET", "/api/campaigns/4213/stop"),
        ("PATCH", "/api/campaigns/4213"),
    ],
)
def test_a_wrong_method_on_a_one_api_path_is_405(method: str, path: str) -> None:
    assert FakeBSG().handle(method, path).status == 405


def test_an_unknown_one_api_path_is_404_not_a_legacy_read() -> None:
    answer = FakeBSG().handle("GET", "/api/campaigns/voice/send")

    assert answer.status == 404


async def test_recorded_login_masks_the_api_key(client: AsyncBSG, fake: FakeBSG) -> None:
    await client.account.balance()

    login = fake.requests[0]
    assert login.path == "/api/auth/login"
    assert login.json() == {"api_key": "[secure]"}
    assert API_KEY.encode() not in b"".join(r.body for r in fake.requests)


async def test_faults_apply_to_one_api_reads(client: AsyncBSG, fake: FakeBSG) -> None:
    await client.rcs.send_campaign(to=numbers(1), sender="MyShop", text="Hi")
    fake.faults.script(["503", "reset_before"], paths=["/api/campaigns"])

    found = [c async for c in client.campaigns.list()]

    assert len(found) == 1
    assert [r.status for r in fake.requests if r.path == "/api/campaigns"] == [503, 0, 200]


async def test_reset_forgets_rcs_messages_campaigns_and_spending(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    await client.rcs.send_campaign(to=numbers(2), sender="MyShop", text="Hi")

    fake.reset()

    assert (len(fake.rcs), fake.rcs.campaigns, fake.balance) == (0, (), Decimal("100.0000000"))


async def test_control_endpoints_show_and_steer_rcs(client: AsyncBSG, fake: FakeBSG) -> None:
    campaign = await client.rcs.send_campaign(
        to=[Recipient(PHONE, "ctl1")], sender="MyShop", text="Hi"
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app), base_url="http://fake"
    ) as http:
        state = (await http.get("/_fake/state")).json()
        accepted = (await http.get("/_fake/accepted")).json()
        count = (await http.get("/_fake/acceptances?reference=ctl1&channel=rcs")).json()
        paused = await http.post(
            "/_fake/campaign-status", json={"id": campaign.id, "status": "paused"}
        )
        unknown = await http.post("/_fake/campaign-status", json={"id": 1, "status": "paused"})

    assert (state["rcs"], state["campaigns"], state["balance"]) == (1, 1, 98.9)
    assert accepted["rcs"] == {"ctl1": [str(fake.rcs.messages[0].id), 1]}
    assert count == {"reference": "ctl1", "acceptances": 1}
    assert paused.json() == {"id": campaign.id, "status": "paused"}
    assert unknown.status_code == 400
    assert fake.rcs.campaign_status(campaign.id) == "paused"


def test_cli_options_configure_the_one_api_side() -> None:
    args = build_parser().parse_args(
        [
            "--group",
            "4012=380501234567,380501234568",
            "--callback-url",
            "http://127.0.0.1:8000/rcs",
            "--rcs-price",
            "0.5",
            "--failed-rate",
            "0.5",
        ]
    )

    fake = fake_from_args(args)

    assert fake.callback_url == "http://127.0.0.1:8000/rcs"
    assert fake.lifecycle.failed_rate == 0.5
    assert fake.account.contact_lists == {4012: ("380501234567", "380501234568")}
    assert fake.account.rcs_price == Decimal("0.5")


def test_cli_refuses_a_malformed_group(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--group", "4012:380501234567"])

    assert "ID=PHONE" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("config", "option", "value"),
    [
        (Account, "rcs_price", Decimal("-1")),
        (Account, "tariffs", "Standard"),
        (Account, "tariffs", [{"id": 1, "code": 0}]),
        (Account, "contact_lists", [1, 2]),
        (Account, "contact_lists", {0: ["380501234567"]}),
        (Account, "contact_lists", {1: ["12"]}),
        (Webhook, "url", "ftp://x"),
        (Webhook, "handler", "not callable"),
        (Webhook, "click_handler", 3),
        (Webhook, "attempts", 0),
        (Webhook, "timeout", 0),
    ],
)
def test_a_bad_one_api_option_is_an_invalid_parameter_error(
    config: type[Account | Webhook], option: str, value: object
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        config(**{option: value})

    assert caught.value.field.split("[")[0] == option


@pytest.mark.parametrize("option", ["failed_rate", "non_rcs_rate"])
def test_rcs_lifecycle_shares_must_be_between_0_and_1(option: str) -> None:
    with pytest.raises(InvalidParameterError):
        Lifecycle(**{option: 1.5})  # type: ignore[arg-type]


def test_set_campaign_status_refuses_an_unknown_status() -> None:
    fake = FakeBSG(clock=Clock())
    login = fake.handle("POST", "/api/auth/login", body=b'{"api_key": "k"}')
    headers = {"authorization": "Bearer " + json.loads(login.body)["bearer"]}
    body = {"phones": [{"number": PHONE}], "sender": "S", "options": {"text": "H"}}
    fake.handle("POST", "/api/campaigns/rcs/send", headers=headers, body=json.dumps(body).encode())

    with pytest.raises(InvalidParameterError):
        fake.rcs.set_campaign_status(4213, "finished")
    with pytest.raises(KeyError):
        fake.rcs.set_campaign_status(1, "paused")
