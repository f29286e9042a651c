"""The content of a One-API message on each channel: one value per channel, for every send
that carries content by channel. Pure: no I/O.

`bsg.messages.send` (one message) and `bsg.campaigns.send` (a campaign) carry their text over
a chain of channels: the first is tried, the next takes over when it cannot deliver. Each link
is a value whose type is the channel (`SmsChannel`, `ViberChannel`, `RcsChannel`,
`VoiceChannel`, `TelegramChannel`) and whose fields are what that channel sends; the channel
campaigns (`bsg.viber.send_campaign`, ...) build the same values from their keywords. The values
check the OpenAPI description's rules when they are built, so bad input raises
`InvalidParameterError` naming the field before any network traffic.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

import attrs

from .. import _validation as rules
from ..errors import InvalidParameterError
from ._checks import checked, non_blank, one_of, optional
from .one_api import RcsCard, RcsOptions, _as_tuple

__all__ = [
    "MessageChannel",
    "RcsChannel",
    "SmsChannel",
    "SmsShortLink",
    "TelegramChannel",
    "ViberChannel",
    "VoiceChannel",
]

SMS_TEXT_MAX = 765
UNSUBSCRIBE_CAPTION_MAX = 50
SENDER_MAX = 40
VIBER_TEXT_MAX = 1000
VIBER_URL_MAX = 255
BUTTON_CAPTION_MAX = 20
VOICE_TEXT_MAX = 1000
VOICE_CATEGORIES = ("otp", "transactional", "marketing")
VOICES = ("ostap", "dariya", "sonya", "amala")
PLACEHOLDER_MAX = 255
CHANGE_DOMAIN_AFTER = (1, 2**31 - 1)
CHAIN_MAX = 2


def _url(max_length: int) -> Any:
    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        url = rules.http_url(value, attribute.name)
        if len(url) > max_length:
            raise InvalidParameterError(
                attribute.name, value, f"must be at most {max_length} characters"
            )

    return validate


def _cards(value: Any) -> Any:
    """One card becomes a one-card tuple; lists and tuples become tuples (`_as_tuple`)."""
    return (value,) if isinstance(value, RcsCard) else _as_tuple(value)


def _domain_ids(value: Any) -> Any:
    """One id becomes a one-id tuple; other iterables become tuples."""
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, Iterable) else value


def _check_domain_ids(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple) or not value:
        raise InvalidParameterError(attribute.name, value, "expected one or more domain ids")
    for index, domain_id in enumerate(value):
        rules.uuid(domain_id, f"{attribute.name}[{index}]")


@attrs.frozen
class SmsShortLink:
    """A short link put in an SMS: the service replaces `placeholder` in the text with a
    short link of its own to `target`, one per recipient, so each click is counted
    (`bsg.short_links.clicks`).

    - `target`: where the link leads, an http(s) URL (sent as `link`).
    - `placeholder`: the word of the text to replace, 1 to 255 characters; it must appear in
      the SMS text.
    - `domain_ids`: the ids of one or more of the account's short-link domains
      (`bsg.short_links.domains`, `ShortDomain.id`); one id may be given as is.
    - `change_domain_after`: move to the next domain every this many messages.
    - `with_protocol`: whether the short link starts with `https://` (sent as `protocol`;
      the service's default: `True`).

    >>> link = SmsShortLink(target="https://shop.example/sale", placeholder="LINK",
    ...                     domain_ids="21b6f472-7e9a-4c71-9518-e9a0e0b09284")
    >>> SmsChannel(text="Sale: LINK", sender="MyShop", short_links=[link]).short_links[0].domain_ids
    ('21b6f472-7e9a-4c71-9518-e9a0e0b09284',)

    Raises `InvalidParameterError` naming the field.
    """

    target: str = attrs.field(validator=checked(rules.http_url))
    placeholder: str = attrs.field(validator=non_blank(PLACEHOLDER_MAX))
    domain_ids: tuple[str, ...] = attrs.field(converter=_domain_ids, validator=_check_domain_ids)
    change_domain_after: int | None = attrs.field(
        default=None,
        validator=optional(checked(functools.partial(rules.integer, bounds=CHANGE_DOMAIN_AFTER))),
    )
    with_protocol: bool | None = attrs.field(
        default=None, validator=optional(checked(rules.boolean))
    )


def _short_links(value: Any) -> Any:
    """One link becomes a one-link tuple; lists and tuples become tuples."""
    return (value,) if isinstance(value, SmsShortLink) else _as_tuple(value)


def _check_short_links(instance: SmsChannel, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple):
        raise InvalidParameterError(attribute.name, value, "expected a list of SmsShortLink")
    for index, link in enumerate(value):
        field = f"{attribute.name}[{index}]"
        if not isinstance(link, SmsShortLink):
            raise InvalidParameterError(field, link, "expected an SmsShortLink")
        if link.placeholder not in instance.text:
            raise InvalidParameterError(
                f"{field}.placeholder", link.placeholder, "does not appear in the text"
            )


@attrs.frozen
class SmsChannel:
    """An SMS (`sms` on the wire): a link of a universal send's or a campaign's chain, or the
    content of an SMS campaign.

    - `text`: 1 to 765 characters (GSM 7-bit; 355 for UCS-2, which the service checks).
    - `sender`: up to 11 Latin letters, digits, spaces or signs, or up to 15 digits.
    - `transliterate`: let the service transliterate the text where needed (its default:
      `False`).
    - `unsubscribe_caption`: up to 50 characters put before the unsubscribe link.
    - `short_links`: `SmsShortLink`s, each replacing its placeholder in `text` with a short
      link per recipient (one may be given as is).

    >>> SmsChannel(text="Your order has shipped", sender="Shop").sender
    'Shop'

    Raises `InvalidParameterError` naming the field.
    """

    text: str = attrs.field(validator=non_blank(SMS_TEXT_MAX))
    sender: str = attrs.field(validator=checked(functools.partial(rules.sender, sms=True)))
    transliterate: bool | None = attrs.field(
        default=None, validator=optional(checked(rules.boolean))
    )
    unsubscribe_caption: str | None = attrs.field(
        default=None, validator=optional(non_blank(UNSUBSCRIBE_CAPTION_MAX))
    )
    short_links: tuple[SmsShortLink, ...] = attrs.field(
        default=(), converter=_short_links, validator=_check_short_links
    )


@attrs.frozen
class ViberChannel:
    """A Viber message (`viber` on the wire): a link of a chain, or the content of
    `bsg.viber.send_campaign`.

    - `text`: 1 to 1,000 characters; `sender`: the Viber sender's name, 1 to 40.
    - `image_url`: an http(s) link to an image (up to 255 characters).
    - `button_caption` (up to 20 characters) with `button_url` (http(s), up to 255; sent as
      `link_url`): a button; give both or neither.

    Raises `InvalidParameterError` naming the field.
    """

    text: str = attrs.field(validator=non_blank(VIBER_TEXT_MAX))
    sender: str = attrs.field(validator=non_blank(SENDER_MAX))
    image_url: str | None = attrs.field(default=None, validator=optional(_url(VIBER_URL_MAX)))
    button_caption: str | None = attrs.field(
        default=None, validator=optional(non_blank(BUTTON_CAPTION_MAX))
    )
    button_url: str | None = attrs.field(default=None, validator=optional(_url(VIBER_URL_MAX)))

    def __attrs_post_init__(self) -> None:
        if (self.button_caption is None) != (self.button_url is None):
            raise InvalidParameterError(
                "button_url", self.button_url, "a button needs both button_caption and button_url"
            )


@attrs.frozen
class RcsChannel:
    """An RCS message (`rcs` on the wire), a link of a chain: the agent `sender` (1 to 40
    characters) and a plain `text` (1 to 160 characters) **or** 1 to 10 `cards` (`RcsCard`s;
    one card may be given as is), as `bsg.rcs.send` takes them.

    >>> RcsChannel(sender="MyShop", text="Your order has shipped")
    RcsChannel(sender='MyShop', text='Your order has shipped', cards=())

    Raises `InvalidParameterError` naming the field.
    """

    sender: str = attrs.field(validator=non_blank(SENDER_MAX))
    text: str | None = None
    cards: tuple[RcsCard, ...] = attrs.field(default=(), converter=_cards)

    def __attrs_post_init__(self) -> None:
        RcsOptions(text=self.text, cards=self.cards)  # the one rule for RCS content

    @property
    def options(self) -> RcsOptions:
        """The content as an `RcsOptions` (text or cards)."""
        return RcsOptions(text=self.text, cards=self.cards)


@attrs.frozen
class VoiceChannel:
    """A voice call (`voice` on the wire), a link of a chain: the service calls and reads
    `text` out.

    - `text`: 1 to 1,000 characters; `category`: `"otp"`, `"transactional"` or
      `"marketing"`.
    - `sender`: 1 to 40 characters; `voice`: `"ostap"`, `"dariya"`, `"sonya"` or `"amala"`;
      `language`: a language or locale such as `"en"` or `"en_UK"` (sent as `lang`).

    Raises `InvalidParameterError` naming the field.
    """

    text: str = attrs.field(validator=non_blank(VOICE_TEXT_MAX))
    category: str = attrs.field(validator=one_of(VOICE_CATEGORIES))
    sender: str | None = attrs.field(default=None, validator=optional(non_blank(SENDER_MAX)))
    voice: str | None = attrs.field(default=None, validator=optional(one_of(VOICES)))
    language: str | None = attrs.field(default=None, validator=optional(non_blank()))


@attrs.frozen
class TelegramChannel:
    """A Telegram message (`telegram` on the wire), a link of a chain: `text`, and optionally the
    `sender`. The service says Telegram can carry only one-time passwords for now.

    Raises `InvalidParameterError` naming the field.
    """

    text: str = attrs.field(validator=non_blank())
    sender: str | None = attrs.field(default=None, validator=optional(non_blank()))


MessageChannel: TypeAlias = SmsChannel | ViberChannel | RcsChannel | VoiceChannel | TelegramChannel
"""One link of a chain of channels (`bsg.messages.send`, `bsg.campaigns.send`)."""

CHANNEL_TYPES = (SmsChannel, ViberChannel, RcsChannel, VoiceChannel, TelegramChannel)


def chain(channels: object) -> list[MessageChannel]:
    """A chain of one or two channel values, each of another channel (one value may be given
    as is). Raises `InvalidParameterError` naming `channels` or the offending item."""
    if isinstance(channels, CHANNEL_TYPES):
        channels = [channels]
    if isinstance(channels, str | bytes) or not isinstance(channels, Iterable):
        raise InvalidParameterError("channels", channels, "expected a list of channel values")
    links: list[MessageChannel] = []
    for index, channel in enumerate(channels):
        if not isinstance(channel, CHANNEL_TYPES):
            raise InvalidParameterError(
                f"channels[{index}]",
                channel,
                "expected an SmsChannel, ViberChannel, RcsChannel, VoiceChannel or TelegramChannel",
            )
        if any(type(earlier) is type(channel) for earlier in links):
            raise InvalidParameterError(
                f"channels[{index}]", channel, f"a {type(channel).__name__} is in the chain already"
            )
        links.append(channel)
        if len(links) > CHAIN_MAX:
            raise InvalidParameterError(
                "channels", f"{len(links)} channels", f"at most {CHAIN_MAX} channels"
            )
    if not links:
        raise InvalidParameterError("channels", [], "needs at least one channel")
    return links


@attrs.frozen
class UniversalOptions:
    """What a universal send says besides its channels, validated: made by
    `bsg.messages.send`, written by the codec. `validity` holds the one validity field given
    (`{"validity": hours}` or `{"validity_seconds": seconds}`), or nothing; `dry_run` asks the
    service to check the request without sending. Internal: not exported."""

    callback_url: str | None = None
    tariff: int | None = None
    validity: Mapping[str, int] = attrs.field(factory=dict)
    respect_curfew: bool | None = None
    add_to_contact_book: bool | None = None
    check_stop_list: bool | None = None
    dry_run: bool = False
