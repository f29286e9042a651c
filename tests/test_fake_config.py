"""FakeBSG's configuration: a few frozen values (`Account`, `Rules`, `Lifecycle`, `Webhook`)."""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest

from bsg_async import InvalidParameterError
from bsg_async.testing import Account, FakeBSG, Lifecycle, Rules, Webhook

from .fake_support import Clock


def test_a_fake_made_without_options_holds_the_default_values() -> None:
    fake = FakeBSG()

    assert (fake.account, fake.rules, fake.lifecycle, fake.webhook) == (
        Account(),
        Rules(),
        Lifecycle(),
        Webhook(),
    )
    assert fake.balance == Decimal("100.0000000") and fake.account.api_keys is None


@pytest.mark.parametrize(
    "value", [Account(), Rules(), Lifecycle(), Webhook()], ids=lambda v: type(v).__name__
)
def test_config_values_are_frozen(value: Account | Rules | Lifecycle | Webhook) -> None:
    name = attrs.fields(type(value))[0].name

    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(value, name, None)


def test_one_string_stands_for_a_list_of_one() -> None:
    assert Account(api_keys="test_x").api_keys == frozenset({"test_x"})
    assert Rules(allowed_senders="Shop").allowed_senders == frozenset({"Shop"})
    assert Rules(invalid_prefixes="999").invalid_prefixes == ("999",)
    assert Lifecycle(non_rcs_numbers="380501234567").non_rcs_numbers == frozenset({"380501234567"})
    assert Account(contact_lists={1: "380501234567"}).contact_lists == {1: ("380501234567",)}


def test_contact_lists_cannot_be_changed_behind_the_fake() -> None:
    groups = {4012: ["380501234567"]}
    account = Account(contact_lists=groups)
    groups[4012].append("380501234568")

    assert account.contact_lists == {4012: ("380501234567",)}
    with pytest.raises(TypeError):
        account.contact_lists[1] = ("380501234569",)  # type: ignore[index]


def test_a_derived_value_keeps_the_other_fields() -> None:
    base = Account(api_keys=["test_x"], currency="USD")

    derived = attrs.evolve(base, credit=Decimal(0))

    assert (derived.api_keys, derived.currency, derived.credit) == (
        frozenset({"test_x"}),
        "USD",
        Decimal(0),
    )


def test_a_bad_callback_target_is_refused_and_the_webhook_kept() -> None:
    fake = FakeBSG(clock=Clock(), webhook=Webhook(url="http://127.0.0.1:8000/rcs"))

    with pytest.raises(InvalidParameterError) as caught:
        fake.callback_url = "ftp://x"

    assert caught.value.field == "url"
    assert fake.webhook == Webhook(url="http://127.0.0.1:8000/rcs")


def test_assigned_targets_replace_the_webhook_fields() -> None:
    async def on_report(report: object) -> None:
        return None

    fake = FakeBSG(webhook=Webhook(attempts=5))

    fake.callback_url = "http://127.0.0.1:9/rcs"
    fake.callback_handler = on_report

    assert fake.webhook == Webhook(url="http://127.0.0.1:9/rcs", handler=on_report, attempts=5)
    assert fake.callback_url == fake.webhook.url
