"""FakeBSG moves statuses forward on its clock: scheduled -> sent -> final, seeded failures,
Viber read receipts and SMS fallback for numbers that are not on Viber."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone

import attrs
import pytest

from bsg_async import (
    AsyncBSG,
    InvalidParameterError,
    Recipient,
    SmsFallback,
    SmsStatus,
    ViberMessage,
    ViberStatus,
)
from bsg_async.testing import Account, FakeBSG, Lifecycle

from .conftest import API_KEY, BASE
from .fake_support import CALM, START, Clock, client, fake, phones

__all__ = ["client", "fake"]  # fixtures, imported for pytest


def _accept_sms(fake: FakeBSG, count: int) -> None:
    payload = {"destination": "phones", "phones": phones(count), "originator": "t", "body": "x"}
    fake.handle(
        "POST", "/sms/create", headers={"x-api-key": "k"}, body=json.dumps(payload).encode()
    )


def _accept_viber(fake: FakeBSG, count: int, **viber_options: object) -> None:
    for start in range(0, count, 50):
        message = {
            "to": phones(min(50, count - start), start=start),
            "text": "Hi",
            "alpha_name": "BSG",
            "options": {"viber": viber_options},
        }
        fake.handle(
            "POST",
            "/viber/create",
            headers={"x-api-key": "k"},
            body=json.dumps({"messages": [message]}).encode(),
        )


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(START + seconds, timezone.utc).replace(tzinfo=None)


async def test_sms_moves_from_scheduled_to_sent_to_delivered(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    receipt = await client.sms.send(to="380501234567", text="Hi", sender="Shop")

    seen = []
    for _ in range(3):
        seen.append((await client.sms.get(receipt.id)).status)
        fake.advance(2.5)

    assert seen == [SmsStatus.SCHEDULED, SmsStatus.SENT, SmsStatus.DELIVERED]


async def test_status_times_are_set_as_the_message_reaches_each_stage(
    client: AsyncBSG, fake: FakeBSG
) -> None:
    receipt = await client.sms.send(to="380501234567", text="Hi", sender="Shop")
    fake.advance(1)
    sent = await client.sms.get(receipt.id)
    fake.advance(10)
    delivered = await client.sms.get(receipt.id)

    assert (sent.time_in, sent.time_sent, sent.time_dr) == (_at(0), _at(1), None)
    assert (delivered.time_sent, delivered.time_dr) == (_at(1), _at(5))


def test_a_seeded_share_of_sms_ends_undeliverable_or_expired() -> None:
    life = Lifecycle(undeliverable_rate=0.2, expired_rate=0.1)

    def fates(seed: int) -> list[str]:
        fake = FakeBSG(seed=seed, lifecycle=life, clock=Clock())
        _accept_sms(fake, 500)
        fake.advance(5)
        return [fake.sms.status(m) for m in fake.sms.messages]

    counts = Counter(fates(4))
    assert fates(4) == fates(4)
    assert fates(4) != fates(5)
    assert 60 <= counts["undeliverable"] <= 140
    assert 25 <= counts["expired"] <= 75
    assert counts["delivered"] + counts["undeliverable"] + counts["expired"] == 500


def test_a_seeded_share_of_viber_messages_is_read_after_read_after() -> None:
    fake = FakeBSG(
        seed=2,
        clock=Clock(),
        lifecycle=Lifecycle(undeliverable_rate=0, expired_rate=0, non_viber_rate=0, read_rate=0.5),
    )
    _accept_viber(fake, 200)

    fake.advance(29)
    before = Counter(fake.viber.status(m) for m in fake.viber.messages)
    fake.advance(1)
    after = Counter(fake.viber.status(m) for m in fake.viber.messages)

    assert before == {"delivered": 200}
    assert after.keys() == {"delivered", "read"}
    assert 60 <= after["read"] <= 140


async def test_viber_to_a_non_viber_number_falls_back_to_sms() -> None:
    fake_off_viber = FakeBSG(
        account=Account(api_keys=[API_KEY]),
        clock=Clock(),
        lifecycle=attrs.evolve(CALM, non_viber_numbers=["380972920001"]),
    )
    async with AsyncBSG(api_key=API_KEY, base_url=BASE, transport=fake_off_viber.transport) as bsg:
        result = await bsg.viber.send_messages(
            [
                ViberMessage(
                    to=[Recipient("380972920001", "nv1")],
                    text="Hi",
                    sender="BSG",
                    sms_fallback=SmsFallback(sender="BSG", text="Hi by SMS"),
                )
            ]
        )
        viber_id = result.accepted[0].id
        before = await bsg.viber.get(viber_id)
        fake_off_viber.advance(1)
        sent = await bsg.viber.get(viber_id)
        fake_off_viber.advance(4)
        failed = await bsg.viber.get(viber_id)
        fake_off_viber.advance(5)
        fallback_done = await bsg.viber.get_by_reference("nv1")
        sms = await bsg.sms.get(fallback_done.fallback[0].id)

    assert before.status is ViberStatus.SCHEDULED
    assert before.fallback == ()
    assert sent.status is ViberStatus.SENT
    assert sent.fallback == ()
    assert failed.status is ViberStatus.UNDELIVERABLE
    [entry] = failed.fallback
    assert (entry.channel, entry.status, str(entry.price)) == ("sms", SmsStatus.SCHEDULED, "0.02")
    assert fallback_done.fallback[0].status is SmsStatus.DELIVERED
    assert fallback_done.fallback[0].id == entry.id != viber_id
    assert sms.status is SmsStatus.DELIVERED
    assert sms.to == "380972920001"
    assert sms.time_in == _at(5)
    assert sms.reference is None


def test_alt_route_is_an_empty_list_until_the_fallback_is_sent() -> None:
    fake = FakeBSG(clock=Clock(), lifecycle=Lifecycle(non_viber_numbers=["380970000000"]))
    _accept_viber(fake, 1, alt_route={"originator": "BSG", "text": "sms"})
    [message] = fake.viber.messages
    path = f"/viber/{message.id}"

    before = json.loads(fake.handle("GET", path, headers={"x-api-key": "k"}).body)
    fake.advance(5)
    after = json.loads(fake.handle("GET", path, headers={"x-api-key": "k"}).body)

    assert before["alt_route"] == []
    assert after["alt_route"] == [
        {
            "channel": "sms",
            "id": after["alt_route"][0]["id"],
            "status": "scheduled",
            "price": "0.02",
        }
    ]


def test_non_viber_number_without_alt_route_just_fails() -> None:
    fake = FakeBSG(clock=Clock(), lifecycle=Lifecycle(non_viber_numbers=["380970000000"]))
    _accept_viber(fake, 1)
    fake.advance(60)
    [message] = fake.viber.messages

    answer = json.loads(fake.handle("GET", f"/viber/{message.id}", headers={"x-api-key": "k"}).body)

    assert answer["status"] == "undeliverable"
    assert "alt_route" not in answer


def test_a_seeded_share_of_numbers_is_not_on_viber() -> None:
    fake = FakeBSG(seed=9, lifecycle=Lifecycle(non_viber_rate=0.3))
    numbers = [f"38097{i:07d}" for i in range(1000)]

    off_viber = [n for n in numbers if not fake.is_viber_user(n)]

    assert 220 <= len(off_viber) <= 380
    assert off_viber == [
        n for n in numbers if not FakeBSG(seed=9, lifecycle=fake.lifecycle).is_viber_user(n)
    ]


def test_the_fallback_of_a_message_never_sent_is_not_an_sms() -> None:
    fake_off_viber = FakeBSG(clock=Clock(), lifecycle=Lifecycle(non_viber_numbers=["380970000000"]))
    _accept_viber(fake_off_viber, 1, alt_route={"originator": "BSG", "text": "sms"})
    [message] = fake_off_viber.viber.messages

    answer = fake_off_viber.handle(
        "GET", f"/sms/{message.id + 3_000_000_000}", headers={"x-api-key": "k"}
    )

    assert json.loads(answer.body)["error"] == 20


async def test_task_counters_follow_the_statuses(client: AsyncBSG, fake: FakeBSG) -> None:
    result = await client.sms.send_bulk(
        to=["380972000001", "380972000002", "380972000003"], text="Sale", sender="Shop"
    )
    assert result.task_id is not None

    scheduled = await client.sms.get_task(result.task_id)
    fake.advance(1)
    sent = await client.sms.get_task(result.task_id)
    fake.advance(4)
    delivered = await client.sms.get_task(result.task_id)

    assert (scheduled.sent, scheduled.unknown, scheduled.delivered) == (0, 0, 0)
    assert (sent.sent, sent.unknown, sent.delivered) == (3, 3, 0)
    assert (delivered.sent, delivered.unknown, delivered.delivered) == (3, 0, 3)
    assert str(delivered.total_price) == "0.06"


def test_task_counts_undeliverable_and_expired() -> None:
    fake = FakeBSG(clock=Clock(), lifecycle=Lifecycle(undeliverable_rate=0.5, expired_rate=0.5))
    _accept_sms(fake, 40)
    fake.advance(5)
    task_id = fake.sms.messages[0].task_id

    task = json.loads(fake.handle("GET", f"/sms/task/{task_id}", headers={"x-api-key": "k"}).body)

    assert task["undeliverable"] + task["expired"] == 40 == task["sent"]
    assert task["undeliverable"] > 0
    assert task["expired"] > 0
    assert task["delivered"] == 0


def test_a_clock_callable_drives_the_statuses() -> None:
    clock = Clock()
    fake = FakeBSG(clock=clock, lifecycle=CALM)
    _accept_sms(fake, 1)
    [message] = fake.sms.messages

    clock.now += 3

    assert fake.now() == START + 3
    assert fake.sms.state(message).status == "sent"
    assert fake.sms.status(message.reference) == "sent"


def test_default_clock_is_frozen_until_advanced() -> None:
    fake = FakeBSG(lifecycle=CALM)
    _accept_sms(fake, 1)
    first = fake.now()

    assert fake.now() == first
    assert fake.sms.status("ref0") == "scheduled"
    fake.advance(10)
    assert fake.now() == first + 10
    assert fake.sms.status("ref0") == "delivered"


def test_state_of_an_unknown_reference_is_a_key_error(fake: FakeBSG) -> None:
    with pytest.raises(KeyError, match="nobody"):
        fake.viber.status("nobody")


@pytest.mark.parametrize("seconds", [-1, "5", True])
def test_advance_refuses_a_bad_value(fake: FakeBSG, seconds: object) -> None:
    with pytest.raises(InvalidParameterError):
        fake.advance(seconds)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "options",
    [
        {"undeliverable_rate": 0.7, "expired_rate": 0.4},
        {"read_rate": 1.5},
        {"non_viber_rate": -0.1},
        {"sent_after": 10.0},
        {"final_after": 40.0},
        {"sent_after": -1.0},
        {"undeliverable_rate": True},
    ],
)
def test_lifecycle_refuses_inconsistent_settings(options: dict[str, float]) -> None:
    with pytest.raises(InvalidParameterError):
        Lifecycle(**options)
