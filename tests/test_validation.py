"""Every documented input rule (bsg-api.md sections 2, 4, 6 and 8.1), through the public API.

Bad input must raise `InvalidParameterError` (a `ValueError`) naming the field and the value
before any byte goes out: the `offline` client's transport fails the test if it is ever called.
Good boundary values go through the `accepting` client, whose requests are recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bsg_async import (
    AsyncBSG,
    BSGError,
    InvalidParameterError,
    Recipient,
    RetryPolicy,
    SmsFallback,
    SmsMessage,
    ViberMessage,
)
from bsg_async import _validation as rules

from .conftest import API_KEY, BASE

PHONE = "380972000001"
HEX32 = re.compile(r"[0-9a-f]{32}")


# -- clients -------------------------------------------------------------------------------


@pytest.fixture
async def offline() -> AsyncIterator[AsyncBSG]:
    """An open client whose transport fails the test on any request."""
    requests: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        raise AssertionError(f"a request went out: {request.method} {request.url}")

    async with AsyncBSG(
        api_key=API_KEY,
        base_url=BASE,
        transport=httpx.MockTransport(refuse),
        retry=RetryPolicy(max_attempts=1),
    ) as client:
        yield client
    assert requests == []


class Accepting:
    """A transport that accepts every send and answers every status read; records bodies."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self.paths: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if request.method == "GET":
            ident = request.url.path.rsplit("/", 1)[-1]
            return httpx.Response(
                200,
                json={
                    "error": 0,
                    "id": ident,
                    "status": "sent",
                    "price": "0.02",
                    "currency": "EUR",
                },
            )
        body = json.loads(request.content)
        self.bodies.append(body)
        if body.get("destination") == "phone":
            return httpx.Response(
                200,
                json={
                    "error": "0",
                    "id": "1",
                    "reference": body["reference"],
                    "price": "0.02",
                    "currency": "EUR",
                },
            )
        phones = body.get("phones") or [to for m in body["messages"] for to in m["to"]]
        result = [
            {"reference": p["reference"], "id": str(n), "error": "0", "price": "0.02"}
            for n, p in enumerate(phones, start=1)
        ]
        return httpx.Response(200, json={"result": result, "error": "0", "currency": "EUR"})


@pytest.fixture
async def accepting() -> AsyncIterator[tuple[AsyncBSG, Accepting]]:
    """An open client whose every request succeeds; the recorder holds what was sent."""
    recorder = Accepting()
    async with AsyncBSG(
        api_key=API_KEY, base_url=BASE, transport=httpx.MockTransport(recorder)
    ) as client:
        yield client, recorder


# -- helpers -------------------------------------------------------------------------------


def assert_names(error: InvalidParameterError, field: str, value: object) -> None:
    """The error is a ValueError naming `field` and `value`, in its attributes and message."""
    assert isinstance(error, ValueError)
    assert isinstance(error, BSGError)
    assert error.field == field
    assert error.value == value or (error.value != error.value and value != value)
    message = str(error)
    assert field in message
    assert repr(value)[:40] in message


def refused(build: Callable[[], object], field: str, value: object) -> None:
    with pytest.raises(InvalidParameterError) as info:
        build()
    assert_names(info.value, field, value)


async def refused_async(call: Callable[[], Awaitable[object]], field: str, value: object) -> None:
    with pytest.raises(InvalidParameterError) as info:
        await call()
    assert_names(info.value, field, value)


def viber(**changes: Any) -> ViberMessage:
    fields: dict[str, Any] = {"to": [PHONE], "text": "Hi", "sender": "BSG", **changes}
    return ViberMessage(**fields)


# -- msisdn --------------------------------------------------------------------------------

GOOD_MSISDNS = [
    ("1234567", "1234567"),
    ("123456789012345", "123456789012345"),
    ("380501234567", "380501234567"),
    ("+380501234567", "380501234567"),
]
BAD_MSISDNS = [
    "380 50 123 4567",
    "38050123456a",
    "phone",
    "123456",
    "1234567890123456",
    "",
    "+",
    "++380501234567",
    "380501234567+",
    " 380501234567",
    "380501234567\n",
    "380-50-123-4567",
    "\uff13\uff18\uff10\uff15\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17",  # full-width
    "\u0663\u0668\u0660\u0665\u0660\u0661\u0662\u0663",  # Arabic-Indic digits
    "38050123456\u00b2",  # a superscript two: `str.isdigit` says yes
    None,
    380501234567,
]


@pytest.mark.parametrize(("given", "kept"), GOOD_MSISDNS)
def test_recipient_accepts_7_to_15_digits_and_strips_one_plus(given: str, kept: str) -> None:
    assert Recipient(given).to == kept


@pytest.mark.parametrize(("given", "kept"), GOOD_MSISDNS)
def test_sms_message_accepts_7_to_15_digits_and_strips_one_plus(given: str, kept: str) -> None:
    assert SmsMessage(given, "body", "Shop").to == kept


@pytest.mark.parametrize("bad", BAD_MSISDNS)
def test_recipient_refuses_bad_msisdn(bad: object) -> None:
    refused(lambda: Recipient(bad), "to", bad)


@pytest.mark.parametrize("bad", BAD_MSISDNS)
def test_sms_message_refuses_bad_msisdn(bad: object) -> None:
    refused(lambda: SmsMessage(bad, "text", "Shop"), "to", bad)


@pytest.mark.parametrize("bad", BAD_MSISDNS)
def test_viber_message_refuses_bad_msisdn(bad: object) -> None:
    refused(lambda: viber(to=[bad]), "to", bad)


@pytest.mark.parametrize("bad", BAD_MSISDNS)
async def test_sms_send_refuses_bad_msisdn(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.sms.send(to=bad, text="Hi", sender="Shop"),  # type: ignore[arg-type]
        "to",
        bad,
    )


@pytest.mark.parametrize("bad", ["380 50 123 4567", "123456", "1234567890123456"])
async def test_sms_send_bulk_refuses_bad_msisdn_among_good_ones(
    offline: AsyncBSG, bad: str
) -> None:
    await refused_async(
        lambda: offline.sms.send_bulk(to=[PHONE, bad], text="Hi", sender="Shop"), "to", bad
    )


async def test_sms_send_sends_the_number_without_its_plus(
    accepting: tuple[AsyncBSG, Accepting],
) -> None:
    client, recorder = accepting
    await client.sms.send(to="+380501234567", text="Hi", sender="Shop")
    assert recorder.bodies[0]["msisdn"] == "380501234567"


# -- reference -----------------------------------------------------------------------------

GOOD_REFERENCES = ["ext_id_19", "a", "A" * 32, "order-42", "12erdgm9", "_-_"]
BAD_REFERENCES = ["a" * 33, "a b", "\u00fc", "", "ref/1", "ref.1", "ref\n", "ref%20", 19]


@pytest.mark.parametrize("good", GOOD_REFERENCES)
def test_recipient_accepts_1_to_32_letters_digits_underscore_hyphen(good: str) -> None:
    assert Recipient(PHONE, reference=good).reference == good


@pytest.mark.parametrize("bad", BAD_REFERENCES)
def test_recipient_refuses_bad_reference(bad: object) -> None:
    refused(lambda: Recipient(PHONE, reference=bad), "reference", bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", BAD_REFERENCES)
def test_sms_message_refuses_bad_reference(bad: object) -> None:
    refused(
        lambda: SmsMessage(PHONE, "Hi", "Shop", reference=bad),  # type: ignore[arg-type]
        "reference",
        bad,
    )


@pytest.mark.parametrize("bad", BAD_REFERENCES)
async def test_sms_send_refuses_bad_reference(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.sms.send(
            to=PHONE,
            text="Hi",
            sender="Shop",
            reference=bad,  # type: ignore[arg-type]
        ),
        "reference",
        bad,
    )


@pytest.mark.parametrize("bad", BAD_REFERENCES)
async def test_sms_get_by_reference_refuses_bad_reference(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.sms.get_by_reference(bad),  # type: ignore[arg-type]
        "reference",
        bad,
    )


@pytest.mark.parametrize("bad", BAD_REFERENCES)
async def test_viber_get_by_reference_refuses_bad_reference(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.viber.get_by_reference(bad),  # type: ignore[arg-type]
        "reference",
        bad,
    )


async def test_sms_send_keeps_a_reference_with_underscores(
    accepting: tuple[AsyncBSG, Accepting],
) -> None:
    client, recorder = accepting
    receipt = await client.sms.send(to=PHONE, text="Hi", sender="Shop", reference="ext_id_19")
    assert recorder.bodies[0]["reference"] == "ext_id_19"
    assert receipt.reference == "ext_id_19"


# -- generated references ------------------------------------------------------------------


def test_generated_reference_is_32_lowercase_hex_characters() -> None:
    reference = Recipient(PHONE).with_reference().reference
    assert reference is not None
    assert HEX32.fullmatch(reference)


def test_generated_references_are_unique() -> None:
    references = {rules.new_reference() for _ in range(2000)}
    assert len(references) == 2000
    assert all(HEX32.fullmatch(r) for r in references)


def test_generated_reference_passes_the_strict_documented_pattern() -> None:
    assert re.fullmatch(r"[a-zA-Z0-9]{1,32}", rules.new_reference())


async def test_sms_send_bulk_generates_distinct_hex_references_where_none_given(
    accepting: tuple[AsyncBSG, Accepting],
) -> None:
    client, recorder = accepting
    phones = [f"38097200000{n}" for n in range(5)]
    result = await client.sms.send_bulk(
        to=[*phones, Recipient("380972000009", "mine")], text="Hi", sender="Shop"
    )
    sent = [p["reference"] for p in recorder.bodies[0]["phones"]]
    assert sent[-1] == "mine"
    assert all(HEX32.fullmatch(r) for r in sent[:-1])
    assert len(set(sent)) == len(sent)
    assert [e.reference for e in result] == sent


async def test_sms_send_generates_a_hex_reference_where_none_given(
    accepting: tuple[AsyncBSG, Accepting],
) -> None:
    client, recorder = accepting
    receipt = await client.sms.send(to=PHONE, text="Hi", sender="Shop")
    assert HEX32.fullmatch(recorder.bodies[0]["reference"])
    assert receipt.reference == recorder.bodies[0]["reference"]


async def test_sms_send_individual_generates_references_where_none_given(
    accepting: tuple[AsyncBSG, Accepting],
) -> None:
    client, recorder = accepting
    await client.sms.send_individual(
        [SmsMessage(PHONE, "a", "Shop"), SmsMessage("380972000002", "b", "Shop", "x1")]
    )
    sent = [p["reference"] for p in recorder.bodies[0]["phones"]]
    assert HEX32.fullmatch(sent[0])
    assert sent[1] == "x1"


# -- originator, body, text ----------------------------------------------------------------

BAD_ORIGINATORS = ["", "   ", "A" * 15, None, 5]
BLANKS = ["", " ", "\n\t", None, 5]


@pytest.mark.parametrize("good", ["S", "A" * 14, "Shop 24"])
def test_originator_accepts_1_to_14_characters(good: str) -> None:
    assert SmsMessage(PHONE, "Hi", good).sender == good
    assert SmsFallback(text="Hi", sender=good).sender == good
    assert viber(sender=good).sender == good


@pytest.mark.parametrize("bad", BAD_ORIGINATORS)
def test_sms_message_refuses_bad_originator(bad: object) -> None:
    refused(lambda: SmsMessage(PHONE, "Hi", bad), "sender", bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", BLANKS)
def test_sms_fallback_refuses_a_blank_sender(bad: object) -> None:
    refused(lambda: SmsFallback(text="Hi", sender=bad), "sender", bad)  # type: ignore[arg-type]


def test_a_viber_sms_fallback_refuses_a_sender_longer_than_the_legacy_14() -> None:
    fallback = SmsFallback(text="Hi", sender="A" * 15)
    refused(lambda: viber(sms_fallback=fallback), "sms_fallback.sender", "A" * 15)


@pytest.mark.parametrize(
    "fallback",
    [
        SmsFallback(text="Hi", sender="BSG", validity=timedelta(hours=1)),
        SmsFallback(text="Hi", sender="BSG", check_stop_list=False),
    ],
)
def test_a_viber_sms_fallback_refuses_what_the_legacy_api_cannot_carry(
    fallback: SmsFallback,
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        viber(sms_fallback=fallback)

    assert caught.value.field in ("sms_fallback.validity", "sms_fallback.check_stop_list")


@pytest.mark.parametrize("bad", BAD_ORIGINATORS)
def test_viber_message_refuses_bad_sender(bad: object) -> None:
    refused(lambda: viber(sender=bad), "sender", bad)


@pytest.mark.parametrize("bad", BAD_ORIGINATORS)
async def test_sms_send_refuses_bad_originator(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.sms.send(to=PHONE, text="Hi", sender=bad),  # type: ignore[arg-type]
        "sender",
        bad,
    )


@pytest.mark.parametrize("bad", BAD_ORIGINATORS)
async def test_sms_send_bulk_refuses_bad_originator(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.sms.send_bulk(to=[PHONE], text="Hi", sender=bad),  # type: ignore[arg-type]
        "sender",
        bad,
    )


@pytest.mark.parametrize("bad", BLANKS)
async def test_sms_send_refuses_blank_body(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.sms.send(to=PHONE, text=bad, sender="Shop"),  # type: ignore[arg-type]
        "text",
        bad,
    )


@pytest.mark.parametrize("bad", BLANKS)
async def test_sms_send_bulk_refuses_blank_body(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.sms.send_bulk(to=[PHONE], text=bad, sender="Shop"),  # type: ignore[arg-type]
        "text",
        bad,
    )


@pytest.mark.parametrize("bad", BLANKS)
def test_sms_message_refuses_blank_body(bad: object) -> None:
    refused(lambda: SmsMessage(PHONE, bad, "Shop"), "text", bad)  # type: ignore[arg-type]


def test_sms_body_has_no_invented_length_limit() -> None:
    assert len(SmsMessage(PHONE, "x" * 5000, "Shop").text) == 5000


@pytest.mark.parametrize("bad", BLANKS)
def test_viber_message_refuses_blank_text(bad: object) -> None:
    refused(lambda: viber(text=bad), "text", bad)


@pytest.mark.parametrize("bad", BLANKS)
def test_sms_fallback_refuses_blank_text(bad: object) -> None:
    refused(lambda: SmsFallback(text=bad, sender="BSG"), "text", bad)  # type: ignore[arg-type]


def test_viber_text_accepts_1000_characters() -> None:
    assert len(viber(text="x" * 1000).text) == 1000


def test_viber_text_refuses_1001_characters() -> None:
    refused(lambda: viber(text="x" * 1001), "text", "x" * 1001)


# -- validity and tariff -------------------------------------------------------------------

BAD_SMS_VALIDITY = [
    timedelta(0),
    timedelta(hours=73),
    timedelta(hours=-1),
    timedelta(minutes=90),  # not a whole number of hours
    24,  # a bare number: the unit would be a guess
    True,
    "24",
]
BAD_VIBER_VALIDITY = [
    timedelta(seconds=14),
    timedelta(seconds=86_401),
    timedelta(0),
    timedelta(seconds=15.5),
    3600,
    True,
    "3600",
]
BAD_TARIFFS = [-1, 10, True, False, "0", 0.0]


@pytest.mark.parametrize("bad", BAD_SMS_VALIDITY)
async def test_sms_send_refuses_validity_outside_1_to_72_hours(
    offline: AsyncBSG, bad: object
) -> None:
    await refused_async(
        lambda: offline.sms.send(
            to=PHONE,
            text="Hi",
            sender="Shop",
            validity=bad,  # type: ignore[arg-type]
        ),
        "validity",
        bad,
    )


@pytest.mark.parametrize("bad", BAD_SMS_VALIDITY)
async def test_sms_send_bulk_refuses_bad_validity(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.sms.send_bulk(
            to=[PHONE],
            text="Hi",
            sender="Shop",
            validity=bad,  # type: ignore[arg-type]
        ),
        "validity",
        bad,
    )


@pytest.mark.parametrize("bad", BAD_SMS_VALIDITY)
async def test_sms_send_individual_refuses_bad_validity(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.sms.send_individual(
            [SmsMessage(PHONE, "Hi", "Shop")],
            validity=bad,  # type: ignore[arg-type]
        ),
        "validity",
        bad,
    )


@pytest.mark.parametrize("hours", [1, 72])
async def test_sms_validity_bounds_are_sent_as_integers(
    accepting: tuple[AsyncBSG, Accepting], hours: int
) -> None:
    client, recorder = accepting
    await client.sms.send(to=PHONE, text="Hi", sender="Shop", validity=timedelta(hours=hours))
    assert recorder.bodies[0]["validity"] == hours
    assert type(recorder.bodies[0]["validity"]) is int


@pytest.mark.parametrize("bad", BAD_VIBER_VALIDITY)
async def test_viber_send_refuses_validity_outside_15_to_86400_seconds(
    offline: AsyncBSG, bad: object
) -> None:
    await refused_async(
        lambda: offline.viber.send_messages([viber()], validity=bad),  # type: ignore[arg-type]
        "validity",
        bad,
    )


@pytest.mark.parametrize("seconds", [15, 86_400])
async def test_viber_validity_bounds_are_sent_as_integers(
    accepting: tuple[AsyncBSG, Accepting], seconds: int
) -> None:
    client, recorder = accepting
    await client.viber.send_messages([viber()], validity=timedelta(seconds=seconds))
    assert recorder.bodies[0]["validity"] == seconds


@pytest.mark.parametrize("bad", BAD_TARIFFS)
async def test_sms_send_refuses_tariff_outside_0_to_9(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.sms.send(
            to=PHONE,
            text="Hi",
            sender="Shop",
            tariff=bad,  # type: ignore[arg-type]
        ),
        "tariff",
        bad,
    )


@pytest.mark.parametrize("bad", BAD_TARIFFS)
async def test_sms_send_bulk_refuses_bad_tariff(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.sms.send_bulk(
            to=[PHONE],
            text="Hi",
            sender="Shop",
            tariff=bad,  # type: ignore[arg-type]
        ),
        "tariff",
        bad,
    )


@pytest.mark.parametrize("bad", BAD_TARIFFS)
async def test_viber_send_refuses_bad_tariff(offline: AsyncBSG, bad: object) -> None:
    await refused_async(
        lambda: offline.viber.send_messages([viber()], tariff=bad),  # type: ignore[arg-type]
        "tariff",
        bad,
    )


@pytest.mark.parametrize("tariff", [0, 9])
async def test_sms_tariff_bounds_are_sent_and_zero_is_not_dropped(
    accepting: tuple[AsyncBSG, Accepting], tariff: int
) -> None:
    client, recorder = accepting
    await client.sms.send_bulk(to=[PHONE], text="Hi", sender="Shop", tariff=tariff)
    assert recorder.bodies[0]["tariff"] == tariff


async def test_viber_tariff_zero_is_sent(accepting: tuple[AsyncBSG, Accepting]) -> None:
    client, recorder = accepting
    await client.viber.send_messages([viber()], tariff=0)
    assert recorder.bodies[0]["tariff"] == 0


@pytest.mark.parametrize("bad", [1, "yes", None])
async def test_sms_send_refuses_a_two_way_flag_that_is_not_a_bool(
    offline: AsyncBSG, bad: object
) -> None:
    await refused_async(
        lambda: offline.sms.send(
            to=PHONE,
            text="Hi",
            sender="Shop",
            two_way=bad,  # type: ignore[arg-type]
        ),
        "two_way",
        bad,
    )


@pytest.mark.parametrize("bad", [1, 0, "false", None])
def test_viber_message_refuses_is_promotional_that_is_not_a_bool(bad: object) -> None:
    refused(lambda: viber(is_promotional=bad), "is_promotional", bad)


# -- Viber: recipients, button, image, URLs ------------------------------------------------


def fifty_phones(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{n:05d}" for n in range(count)]


async def test_viber_send_accepts_50_recipients_across_messages(
    accepting: tuple[AsyncBSG, Accepting],
) -> None:
    client, recorder = accepting
    messages = [viber(to=fifty_phones("3809720", 30)), viber(to=fifty_phones("3809721", 20))]
    result = await client.viber.send_messages(messages)
    assert len(result) == 50
    assert sum(len(m["to"]) for m in recorder.bodies[0]["messages"]) == 50


async def test_viber_send_refuses_51_recipients_across_messages(offline: AsyncBSG) -> None:
    messages = [viber(to=fifty_phones("3809720", 30)), viber(to=fifty_phones("3809721", 21))]
    with pytest.raises(InvalidParameterError) as info:
        await offline.viber.send_messages(messages)
    assert info.value.field == "messages"
    assert "51" in str(info.value)
    assert "50" in str(info.value)


async def test_viber_send_refuses_51_recipients_in_one_message(offline: AsyncBSG) -> None:
    with pytest.raises(InvalidParameterError) as info:
        await offline.viber.send_messages([viber(to=fifty_phones("3809720", 51))])
    assert info.value.field == "messages"
    assert "51" in str(info.value)


def test_viber_button_caption_without_url_is_refused() -> None:
    refused(lambda: viber(button_caption="See"), "button_url", None)


def test_viber_button_url_without_caption_is_refused() -> None:
    refused(lambda: viber(button_url="https://mysite.com/"), "button_caption", None)


def test_viber_image_without_button_is_refused() -> None:
    refused(lambda: viber(image_url="http://mysite.com/logo.png"), "button_url", None)


def test_viber_image_with_a_full_button_is_accepted() -> None:
    message = viber(
        image_url="http://mysite.com/logo.png",
        button_caption="See Details",
        button_url="http://mysite.com/",
    )
    assert message.image_url == "http://mysite.com/logo.png"


def test_viber_button_without_image_is_accepted() -> None:
    assert viber(button_caption="Go", button_url="https://x.example/").button_caption == "Go"


@pytest.mark.parametrize("bad", ["", " ", 5])
def test_viber_blank_button_caption_is_refused(bad: object) -> None:
    refused(
        lambda: viber(button_caption=bad, button_url="https://x.example/"), "button_caption", bad
    )


BAD_URLS = [
    "ftp://mysite.com/logo.png",
    "javascript:alert(1)",
    "mysite.com/logo.png",
    "http://",
    "http://my site.com/",
    "file:///etc/passwd",
    "",
    5,
]


@pytest.mark.parametrize("bad", BAD_URLS)
def test_viber_button_url_must_be_http_or_https(bad: object) -> None:
    refused(lambda: viber(button_caption="Go", button_url=bad), "button_url", bad)


@pytest.mark.parametrize("bad", BAD_URLS)
def test_viber_image_url_must_be_http_or_https(bad: object) -> None:
    refused(
        lambda: viber(image_url=bad, button_caption="Go", button_url="https://x.example/"),
        "image_url",
        bad,
    )


@pytest.mark.parametrize("good", ["http://mysite.com/logo.png", "https://cdn.example/a.jpg?x=1"])
def test_viber_image_url_accepts_http_and_https(good: str) -> None:
    message = viber(image_url=good, button_caption="Go", button_url=good)
    assert message.image_url == good
    assert message.button_url == good


@pytest.mark.parametrize("bad", ["BSG/Hi", 5])
def test_viber_message_refuses_sms_fallback_that_is_not_an_sms_fallback(bad: object) -> None:
    refused(lambda: viber(sms_fallback=bad), "sms_fallback", bad)


# -- duplicates and empty lists ------------------------------------------------------------


async def test_sms_send_bulk_refuses_a_duplicate_reference(offline: AsyncBSG) -> None:
    recipients = [Recipient(PHONE, "dup"), Recipient("380972000002", "dup")]
    await refused_async(
        lambda: offline.sms.send_bulk(to=recipients, text="Hi", sender="Shop"), "reference", "dup"
    )


async def test_sms_send_individual_refuses_a_duplicate_reference(offline: AsyncBSG) -> None:
    messages = [SmsMessage(PHONE, "a", "Shop", "dup"), SmsMessage("380972000002", "b", "S", "dup")]
    await refused_async(lambda: offline.sms.send_individual(messages), "reference", "dup")


async def test_viber_send_refuses_a_duplicate_reference_across_messages(
    offline: AsyncBSG,
) -> None:
    messages = [viber(to=[Recipient(PHONE, "dup")]), viber(to=[Recipient("380972000002", "dup")])]
    await refused_async(lambda: offline.viber.send_messages(messages), "reference", "dup")


async def test_viber_send_refuses_a_duplicate_reference_within_one_message(
    offline: AsyncBSG,
) -> None:
    message = viber(to=[Recipient(PHONE, "dup"), Recipient("380972000002", "dup")])
    await refused_async(lambda: offline.viber.send_messages([message]), "reference", "dup")


async def test_sms_send_bulk_refuses_an_empty_recipient_list(offline: AsyncBSG) -> None:
    await refused_async(lambda: offline.sms.send_bulk(to=[], text="Hi", sender="Shop"), "to", [])


async def test_sms_send_individual_refuses_an_empty_message_list(offline: AsyncBSG) -> None:
    await refused_async(lambda: offline.sms.send_individual([]), "messages", [])


async def test_viber_send_refuses_an_empty_message_list(offline: AsyncBSG) -> None:
    await refused_async(lambda: offline.viber.send_messages([]), "messages", [])


def test_viber_message_refuses_an_empty_recipient_list() -> None:
    refused(lambda: viber(to=[]), "to", ())


@pytest.mark.parametrize("bad", [None, 5])
def test_viber_message_refuses_recipients_that_are_not_a_list(bad: object) -> None:
    refused(lambda: viber(to=bad), "to", bad)


@pytest.mark.parametrize("bad", [None, 5])
async def test_sms_send_bulk_refuses_recipients_that_are_not_a_list(
    offline: AsyncBSG, bad: object
) -> None:
    await refused_async(
        lambda: offline.sms.send_bulk(to=bad, text="Hi", sender="Shop"),  # type: ignore[arg-type]
        "to",
        bad,
    )


@pytest.mark.parametrize("bad", [None, 5])
async def test_sms_send_individual_refuses_messages_that_are_not_a_list(
    offline: AsyncBSG, bad: object
) -> None:
    await refused_async(
        lambda: offline.sms.send_individual(bad),  # type: ignore[arg-type]
        "messages",
        bad,
    )


@pytest.mark.parametrize("bad", [None, 5])
async def test_viber_send_refuses_messages_that_are_not_a_list(
    offline: AsyncBSG, bad: object
) -> None:
    await refused_async(
        lambda: offline.viber.send_messages(bad),  # type: ignore[arg-type]
        "messages",
        bad,
    )


async def test_sms_send_individual_refuses_an_item_that_is_not_an_sms_message(
    offline: AsyncBSG,
) -> None:
    await refused_async(
        lambda: offline.sms.send_individual([PHONE]),  # type: ignore[list-item]
        "messages[0]",
        PHONE,
    )


async def test_viber_send_refuses_an_item_that_is_not_a_viber_message(offline: AsyncBSG) -> None:
    await refused_async(
        lambda: offline.viber.send_messages([viber(), PHONE]),  # type: ignore[list-item]
        "messages[1]",
        PHONE,
    )


# -- ids -----------------------------------------------------------------------------------

BAD_IDS = ["211", 0, -1, True, 211.0, None]


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_sms_get_refuses_an_id_that_is_not_a_positive_int(
    offline: AsyncBSG, bad: object
) -> None:
    await refused_async(lambda: offline.sms.get(bad), "id", bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_sms_get_task_refuses_a_task_id_that_is_not_a_positive_int(
    offline: AsyncBSG, bad: object
) -> None:
    await refused_async(lambda: offline.sms.get_task(bad), "task_id", bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", BAD_IDS)
async def test_viber_get_refuses_an_id_that_is_not_a_positive_int(
    offline: AsyncBSG, bad: object
) -> None:
    await refused_async(lambda: offline.viber.get(bad), "id", bad)  # type: ignore[arg-type]


async def test_sms_get_accepts_an_id_beyond_32_bits(
    accepting: tuple[AsyncBSG, Accepting],
) -> None:
    client, recorder = accepting
    report = await client.sms.get(4_294_967_296)
    assert report.id == 4_294_967_296
    assert recorder.paths == ["/rest/sms/4294967296"]


# -- the pure rules themselves -------------------------------------------------------------


def test_invalid_parameter_error_shortens_a_long_value_in_its_message() -> None:
    with pytest.raises(InvalidParameterError) as info:
        rules.text("x" * 2000, "text", max_length=1000)
    assert len(str(info.value)) < 200
    assert info.value.value == "x" * 2000


def test_optional_rules_accept_none() -> None:
    assert rules.optional_reference(None) is None
    assert rules.optional_integer(None, "tariff", rules.TARIFF_RANGE) is None
    assert rules.optional_http_url(None, "image_url") is None
    assert rules.optional_text(None, "name", max_length=5) is None
    assert rules.optional_boolean(None, "is_default") is None


def test_optional_rules_still_check_a_given_value() -> None:
    with pytest.raises(InvalidParameterError):
        rules.optional_reference("a b")
    with pytest.raises(InvalidParameterError):
        rules.optional_http_url("ftp://x", "image_url")
    assert rules.optional_http_url("https://x.example/", "image_url") == "https://x.example/"
    with pytest.raises(InvalidParameterError):
        rules.optional_text("toolong", "name", max_length=5)
    with pytest.raises(InvalidParameterError):
        rules.optional_boolean(1, "is_default")
    assert rules.optional_text("ok", "name", max_length=5) == "ok"
    assert rules.optional_boolean(False, "is_default") is False


def test_items_keeps_a_list_like_argument() -> None:
    assert rules.items((1, 2), "messages") == [1, 2]


def test_items_refuses_a_count_outside_the_bounds_naming_the_count() -> None:
    assert rules.items(["a@b.co"], "to", (1, 2), "addresses") == ["a@b.co"]
    for value in ([], ["a", "b", "c"]):
        with pytest.raises(InvalidParameterError) as caught:
            rules.items(value, "to", (1, 2), "addresses")
        assert caught.value.field == "to"
        assert caught.value.value == f"{len(value)} addresses"
        assert "expected 1 to 2 addresses" in str(caught.value)


def test_items_of_a_kind_names_the_first_item_of_another_kind() -> None:
    assert rules.items((1, 2), "ids", kind=int) == [1, 2]
    with pytest.raises(InvalidParameterError) as caught:
        rules.items([1, "2"], "ids", kind=int)
    assert caught.value.field == "ids[1]"
    assert caught.value.value == "2"


@pytest.mark.parametrize(
    ("value", "unit", "bounds", "expected"),
    [
        (timedelta(hours=1), "hours", (1, 72), 1),
        (timedelta(days=3), "hours", (1, 72), 72),
        (timedelta(seconds=15), "seconds", (15, 86_400), 15),
        (timedelta(minutes=2), "minutes", (1, 10), 2),
    ],
)
def test_duration_converts_to_the_endpoint_unit(
    value: timedelta, unit: str, bounds: tuple[int, int], expected: int
) -> None:
    assert rules.duration(value, "validity", bounds, unit) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (timedelta(minutes=90), "a whole number of hours"),
        (timedelta(hours=73), "from 1 to 72 hours"),
        (timedelta(0), "from 1 to 72 hours"),
        (timedelta(hours=-1), "from 1 to 72 hours"),
        (3, "expected a timedelta from 1 to 72 hours"),
        (True, "expected a timedelta"),
    ],
)
def test_duration_refuses_naming_the_range_in_the_endpoint_unit(
    value: object, message: str
) -> None:
    with pytest.raises(InvalidParameterError, match=message) as caught:
        rules.duration(value, "validity", (1, 72), "hours")
    assert caught.value.field == "validity"
    assert rules.optional_duration(None, "validity", (1, 72), "hours") is None


@pytest.mark.parametrize("value", [None, True, False])
def test_an_optional_flag_is_none_or_a_real_bool(value: bool | None) -> None:
    assert rules.optional_boolean(value, "check_stop_list") is value


@pytest.mark.parametrize("value", [0, 1, "true", "False"])
def test_an_optional_flag_refuses_what_only_looks_like_a_bool(value: object) -> None:
    with pytest.raises(InvalidParameterError) as refused:
        rules.optional_boolean(value, "check_stop_list")

    assert (refused.value.field, refused.value.value) == ("check_stop_list", value)
