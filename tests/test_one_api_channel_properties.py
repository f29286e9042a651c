"""For every value the SDK lets through, FakeBSG (which checks bodies as the OpenAPI
description does) accepts the body the SDK writes: the SDK's rules for WhatsApp templates and
the channels of the universal send and the any-channel campaign (SMS short links included)
are never looser than the description's.

Each example goes through the public API (`bsg.whatsapp.send`, `bsg.messages.send`,
`bsg.campaigns.send`) into a fresh fake, over its transport.
"""

from __future__ import annotations

from typing import Any

import anyio
from hypothesis import given, settings
from hypothesis import strategies as st

from bsg_async import (
    CallSuggestion,
    Campaign,
    LinkSuggestion,
    MessageInfo,
    RcsCard,
    RcsChannel,
    SmsChannel,
    SmsShortLink,
    TelegramChannel,
    ViberChannel,
    VoiceChannel,
    WhatsAppComponent,
    WhatsAppParameter,
    WhatsAppTemplate,
)
from bsg_async.models.whatsapp import WHATSAPP_LANGUAGES
from bsg_async.testing import FakeBSG

from .fake_support import sdk_on
from .profiles import examples

PHONE = "380661231231"
CHANNEL_NAMES = {
    SmsChannel: "sms",
    ViberChannel: "viber",
    RcsChannel: "rcs",
    VoiceChannel: "voice",
    TelegramChannel: "telegram",
}

words = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12)
urls = words.map(lambda word: f"https://shop.example/{word.replace('#', '').replace('?', '')}")

parameters = st.one_of(
    words.map(lambda text: WhatsAppParameter(text=text)),
    words.map(lambda payload: WhatsAppParameter(payload=payload)),
)
components = st.builds(
    WhatsAppComponent,
    type=st.sampled_from(("header", "body", "button")),
    parameters=st.lists(parameters, max_size=3),
    sub_type=st.none() | st.sampled_from(("quick_reply", "url", "catalog")),
    index=st.none() | st.integers(0, 999_999_999),
)
templates = st.builds(
    WhatsAppTemplate,
    name=words,
    language=st.sampled_from(WHATSAPP_LANGUAGES),
    components=st.lists(components, max_size=3),
)

suggestions = st.one_of(
    st.builds(LinkSuggestion, text=words, url=urls, postback_data=st.none() | words),
    st.builds(
        CallSuggestion,
        text=words,
        phone=st.from_regex(r"[0-9]{9,15}", fullmatch=True),
        postback_data=st.none() | words,
    ),
)
cards = st.builds(
    RcsCard,
    text=words,
    title=st.none() | words,
    media_url=st.none() | urls,
    suggestions=st.lists(suggestions, max_size=4),
)
sms_senders = st.one_of(
    st.from_regex(r"[0-9]{1,15}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9]{1,11}", fullmatch=True),
)
short_links = st.builds(
    SmsShortLink,
    target=urls,
    placeholder=words,
    domain_ids=st.lists(st.uuids().map(str), min_size=1, max_size=3),
    change_domain_after=st.none() | st.integers(1, 10_000),
    with_protocol=st.none() | st.booleans(),
)


@st.composite
def sms_channels(draw: st.DrawFn) -> SmsChannel:
    """An SMS whose text holds the placeholder of each of its short links."""
    links = draw(st.lists(short_links, max_size=2))
    return SmsChannel(
        text=" ".join([draw(words), *(link.placeholder for link in links)]),
        sender=draw(sms_senders),
        transliterate=draw(st.none() | st.booleans()),
        unsubscribe_caption=draw(st.none() | words),
        short_links=links,
    )


channel_values: dict[str, st.SearchStrategy[Any]] = {
    "sms": sms_channels(),
    "viber": st.one_of(
        st.builds(ViberChannel, text=words, sender=words, image_url=st.none() | urls),
        st.builds(
            ViberChannel,
            text=words,
            sender=words,
            button_caption=words,
            button_url=urls,
        ),
    ),
    "rcs": st.one_of(
        st.builds(RcsChannel, sender=words, text=words),
        st.builds(RcsChannel, sender=words, cards=st.lists(cards, min_size=1, max_size=3)),
    ),
    "voice": st.builds(
        VoiceChannel,
        text=words,
        category=st.sampled_from(("otp", "transactional", "marketing")),
        sender=st.none() | words,
        voice=st.none() | st.sampled_from(("ostap", "dariya", "sonya", "amala")),
        language=st.none() | words,
    ),
    "telegram": st.builds(TelegramChannel, text=words, sender=st.none() | words),
}
chains = (
    st.lists(st.sampled_from(sorted(channel_values)), min_size=1, max_size=2, unique=True)
    .flatmap(lambda names: st.tuples(*(channel_values[name] for name in names)))
    .map(list)
)


def run(send: Any) -> Any:
    async def main() -> Any:
        async with sdk_on(FakeBSG(seed=1)) as bsg:
            return await send(bsg)

    return anyio.run(main)


@settings(max_examples=examples(60))
@given(templates)
def test_the_fake_accepts_every_template_the_sdk_lets_through(template: WhatsAppTemplate) -> None:
    info = run(lambda bsg: bsg.whatsapp.send(to=PHONE, sender="Shop", template=template))

    assert isinstance(info, MessageInfo)
    assert info.type == "whatsapp"


@settings(max_examples=examples(100))
@given(chains)
def test_the_fake_accepts_every_chain_the_sdk_lets_through(channels: list[Any]) -> None:
    info = run(lambda bsg: bsg.messages.send(to=PHONE, channels=channels))

    assert info.type == CHANNEL_NAMES[type(channels[0])]


@settings(max_examples=examples(100))
@given(chains, st.booleans())
def test_the_fake_accepts_every_campaign_chain_the_sdk_lets_through(
    channels: list[Any], dry_run: bool
) -> None:
    campaign = run(lambda bsg: bsg.campaigns.send(to=[PHONE], channels=channels, dry_run=dry_run))

    assert isinstance(campaign, Campaign)
    assert campaign.message_type == CHANNEL_NAMES[type(channels[0])]
    assert (campaign.id == 0) == dry_run
