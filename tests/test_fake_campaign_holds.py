"""FakeBSG's held RCS campaigns: a campaign `paused` or in `moderation` sends nothing until it is
released, then goes on as late as the hold lasted; what was already sent still gets delivered;
status reports follow, once each and in order."""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bsg_async import AsyncBSG, RetryPolicy
from bsg_async.models.one_api import Campaign, CampaignStatus
from bsg_async.testing import Account, FakeBSG, Lifecycle, Webhook

from .conftest import API_KEY
from .fake_support import Clock, sdk_on

START = float(calendar.timegm((2024, 8, 22, 11, 47, 42)))
T0 = datetime(2024, 8, 22, 11, 47, 42)
# Sent at +1 s, delivered at +5 s, read at +30 s; nothing fails, everyone has RCS.
READ_ALL = Lifecycle(
    undeliverable_rate=0, expired_rate=0, failed_rate=0, non_rcs_rate=0, read_rate=1
)
HELD = ["paused", "moderation"]
PHONES = ["380501234567", "380501234568"]


async def _ignore(_report: Any) -> None:
    """A callback handler, so that status reports are queued (and seen in `pending_callbacks`)."""


def make_fake() -> FakeBSG:
    """A fake on the documentation's clock whose status reports are queued for a handler."""
    return FakeBSG(
        seed=1,
        account=Account(api_keys=[API_KEY]),
        clock=Clock(START),
        lifecycle=READ_ALL,
        webhook=Webhook(handler=_ignore),
    )


@pytest.fixture
def fake() -> FakeBSG:
    return make_fake()


@pytest.fixture
async def client(fake: FakeBSG) -> AsyncIterator[AsyncBSG]:
    """The real SDK on `fake`."""
    async with sdk_on(fake, retry=RetryPolicy(max_attempts=1)) as bsg:
        yield bsg


def statuses(fake: FakeBSG, campaign: Campaign) -> set[str]:
    """The statuses of the campaign's messages now."""
    return {fake.rcs.status(message) for message in fake.rcs.campaign_messages(campaign.id)}


def reported(fake: FakeBSG) -> list[str | None]:
    """The statuses of the reports queued so far, oldest first."""
    return [delivery.status for delivery in fake.pending_callbacks]


@pytest.mark.parametrize("status", HELD)
async def test_a_held_campaign_sends_nothing_until_it_is_released(
    client: AsyncBSG, fake: FakeBSG, status: str
) -> None:
    campaign = await client.rcs.send_campaign(to=PHONES, sender="MyShop", text="Hi")
    fake.rcs.set_campaign_status(campaign.id, status)
    fake.advance(3600)

    held = await client.campaigns.get(campaign.id)

    assert held.status == CampaignStatus(status)
    assert (held.real_start_at, held.finished_at) == (T0, None)
    assert statuses(fake, campaign) == {"sending"}
    assert reported(fake) == []


@pytest.mark.parametrize("status", HELD)
async def test_a_released_campaign_goes_on_as_late_as_it_was_held(
    client: AsyncBSG, fake: FakeBSG, status: str
) -> None:
    campaign = await client.rcs.send_campaign(to=PHONES, sender="MyShop", text="Hi")
    fake.rcs.set_campaign_status(campaign.id, status)
    fake.advance(3600)

    fake.rcs.set_campaign_status(campaign.id, None)
    fake.advance(1)
    sending = statuses(fake, campaign)
    fake.advance(4)
    done = await client.campaigns.get(campaign.id)

    assert sending == {"sent"}
    assert statuses(fake, campaign) == {"delivered"}
    assert done.status == CampaignStatus.DONE
    assert done.finished_at == T0 + timedelta(seconds=3605)


async def test_a_message_sent_before_the_pause_is_still_delivered(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.rcs.send_campaign(to=PHONES, sender="MyShop", text="Hi")
    fake.advance(1)
    fake.rcs.set_campaign_status(campaign.id, "paused")

    fake.advance(10)

    assert statuses(fake, campaign) == {"delivered"}
    assert fake.rcs.campaign_status(campaign.id) == "paused"


async def test_switching_between_held_statuses_keeps_holding_and_any_other_releases(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.rcs.send_campaign(to=PHONES, sender="MyShop", text="Hi")
    fake.rcs.set_campaign_status(campaign.id, "moderation")
    fake.advance(60)
    fake.rcs.set_campaign_status(campaign.id, "paused")
    fake.advance(60)
    held = statuses(fake, campaign)

    fake.rcs.set_campaign_status(campaign.id, "sending")
    fake.advance(5)

    assert held == {"sending"}
    assert statuses(fake, campaign) == {"delivered"}
    assert fake.rcs.campaign_status(campaign.id) == "sending"  # forced until set to None


async def test_a_campaign_held_past_its_start_starts_at_its_release(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.rcs.send_campaign(
        to=PHONES, sender="MyShop", text="Hi", start_at=T0 + timedelta(minutes=10)
    )
    fake.rcs.set_campaign_status(campaign.id, "moderation")
    fake.advance(1200)
    waiting = statuses(fake, campaign)

    fake.rcs.set_campaign_status(campaign.id, None)
    started = await client.campaigns.get(campaign.id)
    fake.advance(5)

    assert waiting == {"scheduled"}
    assert (started.status, started.real_start_at) == (
        CampaignStatus.SENDING,
        T0 + timedelta(minutes=20),
    )
    assert statuses(fake, campaign) == {"delivered"}


async def test_a_hold_released_before_the_start_does_not_delay_it(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    start = T0 + timedelta(minutes=10)
    campaign = await client.rcs.send_campaign(to=PHONES, sender="MyShop", text="Hi", start_at=start)
    fake.rcs.set_campaign_status(campaign.id, "moderation")
    fake.advance(300)
    fake.rcs.set_campaign_status(campaign.id, None)

    fake.advance(300)
    started = await client.campaigns.get(campaign.id)

    assert (started.status, started.real_start_at) == (CampaignStatus.SENDING, start)
    assert statuses(fake, campaign) == {"sending"}


async def test_a_campaign_stopped_while_held_never_sends(client: AsyncBSG, fake: FakeBSG) -> None:
    campaign = await client.rcs.send_campaign(to=PHONES, sender="MyShop", text="Hi")
    fake.rcs.set_campaign_status(campaign.id, "paused")
    fake.advance(10)

    stopped = await client.campaigns.stop(campaign.id)
    fake.advance(86_400)

    assert stopped.status == CampaignStatus.STOPPED
    assert stopped.finished_at == T0 + timedelta(seconds=10)
    assert statuses(fake, campaign) == {"sending"}
    assert reported(fake) == []


async def test_a_campaign_stopped_in_moderation_past_its_start_never_started(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.rcs.send_campaign(
        to=PHONES, sender="MyShop", text="Hi", start_at=T0 + timedelta(minutes=10)
    )
    fake.rcs.set_campaign_status(campaign.id, "moderation")
    fake.advance(1200)

    stopped = await client.campaigns.stop(campaign.id)
    fake.advance(60)

    assert (stopped.status, stopped.real_start_at) == (CampaignStatus.STOPPED, None)
    assert statuses(fake, campaign) == {"scheduled"}


async def test_reports_of_a_held_campaign_carry_the_delayed_times(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    campaign = await client.rcs.send_campaign(to=PHONES[:1], sender="MyShop", text="Hi")
    fake.rcs.set_campaign_status(campaign.id, "paused")
    fake.advance(100)
    fake.rcs.set_campaign_status(campaign.id, None)
    fake.advance(5)

    sent, delivered = [delivery.json() for delivery in fake.pending_callbacks]

    assert (sent["status"], sent["time_sent"]) == ("sent", "2024-08-22 11:49:23")
    assert (delivered["status"], delivered["time_dr"]) == ("delivered", "2024-08-22 11:49:27")


# One step of a schedule: let time pass, hold, release, stop, or collect the reports due.
operations = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.integers(min_value=0, max_value=40)),
        st.tuples(
            st.sampled_from(["paused", "moderation", "release", "stopped", "collect"]), st.just(0)
        ),
    ),
    max_size=25,
)


@given(operations, st.integers(min_value=0, max_value=20))
def test_holds_only_delay_every_message_reports_its_statuses_once_in_order(
    schedule: list[tuple[str, int]], start_in: int
) -> None:
    fake = make_fake()
    login = fake.handle("POST", "/api/auth/login", body=json.dumps({"api_key": API_KEY}).encode())
    headers = {"authorization": "Bearer " + json.loads(login.body)["bearer"]}
    body = {
        "phones": [{"number": phone} for phone in PHONES],
        "sender": "MyShop",
        "options": {"text": "Hi"},
        "start_at": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(START + start_in)),
    }
    fake.handle("POST", "/api/campaigns/rcs/send", headers=headers, body=json.dumps(body).encode())
    [campaign] = fake.rcs.campaigns

    for action, seconds in schedule:
        if action == "advance":
            fake.advance(seconds)
        elif action == "collect":
            _ = fake.pending_callbacks  # collects the reports due now
        else:
            fake.rcs.set_campaign_status(campaign, None if action == "release" else action)
    fake.rcs.set_campaign_status(campaign, None)
    fake.advance(3600)

    # A campaign starting at once is `sending` from its acceptance: no report for that.
    expected = ["sending", "sent", "delivered", "read"][0 if start_in else 1 :]
    stopped = any(action == "stopped" for action, _ in schedule)
    reports = fake.pending_callbacks
    for message in fake.rcs.campaign_messages(campaign):
        got = [r.status for r in reports if r.message_id == message.id]
        assert got == (expected[: len(got)] if stopped else expected)
    assert fake.rcs.campaign_status(campaign) == ("stopped" if stopped else "done")
