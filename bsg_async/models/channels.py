"""The channels of a universal send (`bsg.messages.send`): one content value per channel.
Pure: no I/O.

A universal send carries one message over a chain of channels: the first is tried, the next
takes over when it cannot deliver. Each link is a value whose type is the channel
(`SmsChannel`, `ViberChannel`, `RcsChannel`, `VoiceChannel`, `TelegramChannel`) and whose
fields are what that channel sends. The values check the OpenAPI description's rules when they
are built, so bad input raises `InvalidParameterError` naming the field before any network
traffic.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
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


@attrs.frozen
class SmsChannel:
    """An SMS link of the chain (`sms` on the wire).

    - `text`: 1 to 765 characters (GSM 7-bit; 355 for UCS-2, which the service checks).
    - `sender`: up to 11 Latin letters or digits, or up to 15 digits.
    - `transliterate`: let the service transliterate the text where needed.
    - `unsubscribe_caption`: up to 50 characters put before the unsubscribe link.

    >>> sms = SmsChannel(text="Your order has shipped", sender="Shop")

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


@attrs.frozen
class ViberChannel:
    """A Viber link of the chain (`viber` on the wire).

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
    """An RCS link of the chain (`rcs` on the wire): the agent `sender` (1 to 40 characters)
    and a plain `text` (1 to 160 characters) **or** 1 to 10 `cards` (`RcsCard`s; one card may
    be given as is), as `bsg.rcs.send` takes them.

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
    """A voice-call link of the chain (`voice` on the wire): the service calls and reads
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
    """A Telegram link of the chain (`telegram` on the wire): `text`, and optionally the
    `sender`. The service says Telegram can carry only one-time passwords for now.

    Raises `InvalidParameterError` naming the field.
    """

    text: str = attrs.field(validator=non_blank())
    sender: str | None = attrs.field(default=None, validator=optional(non_blank()))


MessageChannel: TypeAlias = SmsChannel | ViberChannel | RcsChannel | VoiceChannel | TelegramChannel
"""One link of a universal send's chain of channels."""

CHANNEL_TYPES = (SmsChannel, ViberChannel, RcsChannel, VoiceChannel, TelegramChannel)


@attrs.frozen
class UniversalOptions:
    """What a universal send says besides its channels, validated: made by
    `bsg.messages.send`, written by the codec. `validity` holds the one validity field given
    (`{"validity": hours}` or `{"validity_seconds": seconds}`), or nothing. Internal: not
    exported."""

    callback_url: str | None = None
    tariff: int | None = None
    validity: Mapping[str, int] = attrs.field(factory=dict)
    respect_curfew: bool | None = None
    add_to_contact_book: bool | None = None
    check_stop_list: bool | None = None
