"""The frozen values: immutability, equality, coercion, send results and status enums."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bsg_async import (
    APIError,
    FallbackSms,
    InvalidParameterError,
    Receipt,
    Recipient,
    Rejection,
    RetryPolicy,
    SendResult,
    Sent,
    SmsFallback,
    SmsMessage,
    SmsReport,
    SmsStatus,
    SmsTask,
    UnknownStatus,
    ViberMessage,
    ViberReport,
    ViberStatus,
)
from bsg_async.errors import error_for_code

PHONE = "380972000001"


def duplicate() -> APIError:
    return error_for_code(43, "External ID already exists")


def receipt(n: int = 1) -> Receipt:
    return Receipt(id=n, reference=f"r{n}", price=Decimal("0.02"), currency="EUR", to=PHONE)


def rejection(reference: str = "bad") -> Rejection:
    return Rejection(reference, duplicate(), PHONE)


# -- frozen --------------------------------------------------------------------------------

VALUES = [
    (Recipient(PHONE, "r1"), "reference", "r2"),
    (SmsMessage(PHONE, "Hi", "Shop"), "text", "changed"),
    (SmsFallback(text="Hi", sender="BSG"), "text", "changed"),
    (ViberMessage(to=[PHONE], text="Hi", sender="BSG"), "text", "changed"),
    (receipt(), "price", Decimal("9")),
    (rejection(), "reference", "other"),
    (SendResult((receipt(),)), "task_id", 7),
    (SmsReport(id=1, status=SmsStatus.SENT), "status", SmsStatus.DELIVERED),
    (SmsTask(sent=1), "sent", 2),
    (ViberReport(id=1, status=ViberStatus.READ), "id", 2),
    (FallbackSms(id=1, status=SmsStatus.SENT), "price", Decimal("1")),
    (RetryPolicy(), "max_attempts", 9),
]


@pytest.mark.parametrize(
    ("value", "field", "new"), VALUES, ids=[type(v).__name__ for v, _, _ in VALUES]
)
def test_assigning_to_a_value_raises(value: object, field: str, new: object) -> None:
    before = getattr(value, field)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(value, field, new)
    assert getattr(value, field) == before


@pytest.mark.parametrize(
    "value", [v for v, _, _ in VALUES], ids=[type(v).__name__ for v, _, _ in VALUES]
)
def test_values_have_no_instance_dict(value: object) -> None:
    assert not hasattr(value, "__dict__")


# -- equality ------------------------------------------------------------------------------


def test_recipients_with_the_same_number_and_reference_are_equal_and_hash_alike() -> None:
    a, b = Recipient("+" + PHONE, "r1"), Recipient(PHONE, "r1")
    assert a == b
    assert len({a, b}) == 1


def test_recipients_with_different_references_differ() -> None:
    assert Recipient(PHONE, "r1") != Recipient(PHONE, "r2")
    assert Recipient(PHONE) != Recipient(PHONE, "r1")


def test_receipts_compare_by_value() -> None:
    assert receipt(1) == receipt(1)
    assert receipt(1) != receipt(2)


def test_rejections_compare_without_their_error_object() -> None:
    assert rejection("r1") == rejection("r1")
    assert rejection("r1") != rejection("r2")


def test_reports_compare_by_value() -> None:
    when = datetime(2017, 1, 17, 9, 11, 41)
    a = SmsReport(id=211, status=SmsStatus.DELIVERED, time_dr=when, price=Decimal("0.23"))
    b = SmsReport(id=211, status="delivered", time_dr=when, price=Decimal("0.230"))
    assert a == b
    assert a != attrs.evolve(a, id=212)


def test_evolve_revalidates_the_changed_field() -> None:
    with pytest.raises(InvalidParameterError):
        attrs.evolve(Recipient(PHONE), reference="a b")


# -- Recipient -----------------------------------------------------------------------------


def test_coerce_turns_a_phone_number_into_a_recipient_without_reference() -> None:
    assert Recipient.coerce("+" + PHONE) == Recipient(PHONE, None)


def test_coerce_returns_a_recipient_unchanged() -> None:
    recipient = Recipient(PHONE, "r1")
    assert Recipient.coerce(recipient) is recipient


def test_coerce_refuses_a_bad_phone_number() -> None:
    with pytest.raises(InvalidParameterError) as info:
        Recipient.coerce("not a phone")
    assert info.value.field == "to"


def test_with_reference_keeps_an_existing_reference() -> None:
    recipient = Recipient(PHONE, "r1")
    assert recipient.with_reference() is recipient


def test_with_reference_fixes_a_new_reference_and_keeps_the_number() -> None:
    fixed = Recipient(PHONE).with_reference()
    assert fixed.to == PHONE
    assert fixed.reference is not None
    assert len(fixed.reference) == 32


def test_with_reference_gives_each_call_its_own_reference() -> None:
    recipient = Recipient(PHONE)
    assert recipient.with_reference().reference != recipient.with_reference().reference


def test_recipient_repr_shows_number_and_reference() -> None:
    assert repr(Recipient(PHONE, "r1")) == f"Recipient(to='{PHONE}', reference='r1')"


# -- ViberMessage recipients ---------------------------------------------------------------


def test_viber_message_turns_a_single_phone_into_one_recipient() -> None:
    message = ViberMessage(to="+" + PHONE, text="Hi", sender="BSG")
    assert message.to == (Recipient(PHONE),)


def test_viber_message_turns_a_single_recipient_into_a_tuple() -> None:
    message = ViberMessage(to=Recipient(PHONE, "v1"), text="Hi", sender="BSG")
    assert message.to == (Recipient(PHONE, "v1"),)


def test_viber_message_keeps_the_order_of_mixed_recipients() -> None:
    message = ViberMessage(to=["380972000002", Recipient(PHONE, "v1")], text="Hi", sender="BSG")
    assert message.to == (Recipient("380972000002"), Recipient(PHONE, "v1"))


def test_viber_message_defaults() -> None:
    message = ViberMessage(to=[PHONE], text="Hi", sender="BSG")
    assert message.is_promotional is False
    assert message.image_url is None
    assert message.button_caption is None
    assert message.button_url is None
    assert message.sms_fallback is None


# -- Receipt, Rejection, SendResult ---------------------------------------------------------


def test_receipt_and_rejection_tell_themselves_apart() -> None:
    assert receipt().accepted is True
    assert rejection().accepted is False


def test_rejection_carries_the_per_recipient_error() -> None:
    error = rejection().error
    assert error.code == 43
    assert error.description == "External ID already exists"


def test_send_result_keeps_entries_in_request_order() -> None:
    entries = (receipt(1), rejection("r2"), receipt(3))
    result = SendResult(entries, task_id=21902, total_price=Decimal("0.04"), currency="EUR")
    assert list(result) == list(entries)
    assert len(result) == 3


def test_send_result_accepted_and_rejected_split_in_order() -> None:
    result = SendResult((rejection("a"), receipt(1), rejection("b"), receipt(2)))
    assert result.accepted == (receipt(1), receipt(2))
    assert [r.reference for r in result.rejected] == ["a", "b"]


def test_send_result_defaults_have_no_totals() -> None:
    result = SendResult(())
    assert len(result) == 0
    assert list(result) == []
    assert result.accepted == ()
    assert result.rejected == ()
    assert result.task_id is None
    assert result.total_price is None
    assert result.currency is None


# -- status enums --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["DELIVERED", "delivered", "Delivered", " delivered "])
def test_sms_status_parses_case_insensitively(text: str) -> None:
    assert SmsStatus.parse(text) is SmsStatus.DELIVERED


def test_viber_status_parses_read() -> None:
    assert ViberStatus.parse("READ") is ViberStatus.READ


def test_an_unknown_status_is_kept_as_the_raw_string() -> None:
    parsed = SmsStatus.parse("Queued_On_The_Moon")
    assert parsed == "Queued_On_The_Moon"
    assert type(parsed) is UnknownStatus and isinstance(parsed, str)
    assert repr(parsed) == "UnknownStatus('Queued_On_The_Moon')"


def test_read_is_not_an_sms_status() -> None:
    assert type(SmsStatus.parse("read")) is UnknownStatus


def test_a_status_member_equals_its_lower_case_string() -> None:
    sms: SmsStatus | UnknownStatus = SmsStatus.parse("DELIVERED")
    viber: ViberStatus | UnknownStatus = ViberStatus.parse("Undeliverable")
    assert sms == "delivered"
    assert viber == "undeliverable"
    assert str(SmsStatus.DELIVERED) == "delivered"
    assert f"{ViberStatus.READ}" == "read"


def test_sms_statuses_are_the_documented_seven() -> None:
    assert {s.value for s in SmsStatus} == {
        "scheduled",
        "sent",
        "delivered",
        "expired",
        "undeliverable",
        "rejected",
        "unknown",
    }


def test_viber_statuses_are_the_documented_eight() -> None:
    assert {s.value for s in ViberStatus} == {
        "scheduled",
        "sent",
        "delivered",
        "read",
        "expired",
        "undeliverable",
        "rejected",
        "unknown",
    }


@pytest.mark.parametrize(
    ("status", "final"),
    [
        (SmsStatus.SCHEDULED, False),
        (SmsStatus.SENT, False),
        (SmsStatus.UNKNOWN, False),
        (SmsStatus.DELIVERED, True),
        (SmsStatus.EXPIRED, True),
        (SmsStatus.UNDELIVERABLE, True),
        (SmsStatus.REJECTED, True),
    ],
)
def test_sms_status_is_final(status: SmsStatus, final: bool) -> None:
    assert status.is_final is final


@pytest.mark.parametrize(
    ("status", "final"),
    [
        (ViberStatus.SCHEDULED, False),
        (ViberStatus.SENT, False),
        (ViberStatus.DELIVERED, False),  # may still become "read"
        (ViberStatus.UNKNOWN, False),
        (ViberStatus.READ, True),
        (ViberStatus.EXPIRED, True),
        (ViberStatus.UNDELIVERABLE, True),
        (ViberStatus.REJECTED, True),
    ],
)
def test_viber_status_is_final(status: ViberStatus, final: bool) -> None:
    assert status.is_final is final


@given(st.text())
def test_parse_never_raises_and_returns_a_member_exactly_for_known_values(text: str) -> None:
    for enum in (SmsStatus, ViberStatus):
        parsed = enum.parse(text)
        known = text.strip().lower() in {s.value for s in enum}
        assert isinstance(parsed, enum) is known
        if not known:
            assert parsed == text


def test_a_sent_outcome_is_a_frozen_value_made_by_keyword_or_position() -> None:
    recipient = Recipient("380972000001", "order-1")
    by_position = Sent(3, recipient, 42, Decimal("0.02"), "EUR")
    by_keyword = Sent(index=3, recipient=recipient, id=42, price=Decimal("0.02"), currency="EUR")

    assert by_position == by_keyword and hash(by_position) == hash(by_keyword)
    assert (by_position.index, by_position.id, by_position.reference) == (3, 42, "order-1")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        by_position.id = 7  # type: ignore[misc]
    assert attrs.evolve(by_position, id=7).id == 7
    assert repr(by_position).startswith("Sent(index=3, recipient=Recipient(")
