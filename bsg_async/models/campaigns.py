"""What a One-API campaign of any channel sends: the content of each channel of
`bsg.campaigns.send` (`SmsContent`, `ViberContent`, `RcsContent`), checked when built. Pure:
no I/O.

The codec (`Wire.campaign`) writes them as the `sms`, `viber` and `rcs` objects of the
request; the campaign's recipients and options are keywords of the call.
"""

from __future__ import annotations

from typing import Any

import attrs

from .. import _validation as rules
from ..errors import InvalidParameterError
from ._checks import non_blank, optional
from .one_api import RcsCard, RcsOptions

__all__ = ["RcsContent", "SmsContent", "ViberContent"]

SMS_TEXT_MAX = 765
UNSUBSCRIBE_CAPTION_MAX = 50
VIBER_SENDER_MAX = 40
RCS_SENDER_MAX = 40
VIBER_TEXT_MAX = 1000
VIBER_URL_MAX = 255
BUTTON_CAPTION_MAX = 20


def _sms_sender(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    rules.sender(value, attribute.name, sms=True)


def _url(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    rules.http_url(value, attribute.name)
    if len(value) > VIBER_URL_MAX:
        raise InvalidParameterError(
            attribute.name, value, f"must be at most {VIBER_URL_MAX} characters"
        )


def _optional_bool(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        rules.boolean(value, attribute.name)


@attrs.frozen
class SmsContent:
    """The SMS of a One-API campaign (`bsg.campaigns.send`), as its primary channel or as the
    fallback of a Viber or RCS one.

    - `text`: 1 to 765 characters (GSM 7-bit; 355 for UCS-2, which the service checks).
    - `sender`: up to 11 Latin letters, digits, spaces or signs, or up to 15 digits.
    - `unsubscribe_caption`: up to 50 characters put before an unsubscribe link.
    - `transliterate`: let the service transliterate the text where needed (its default:
      `False`).

    Raises `InvalidParameterError` naming the field.

    >>> SmsContent(text="Sale starts now", sender="MyShop").sender
    'MyShop'
    """

    text: str = attrs.field(validator=non_blank(SMS_TEXT_MAX))
    sender: str = attrs.field(validator=_sms_sender)
    unsubscribe_caption: str | None = attrs.field(
        default=None, validator=optional(non_blank(UNSUBSCRIBE_CAPTION_MAX))
    )
    transliterate: bool | None = attrs.field(default=None, validator=_optional_bool)


@attrs.frozen
class ViberContent:
    """The Viber message of a One-API campaign (`bsg.viber.send_campaign` builds one from its
    keywords; `bsg.campaigns.send` takes it in `channels`).

    - `text`: 1 to 1,000 characters; `sender`: 1 to 40 characters.
    - `image_url`: an http(s) link (up to 255 characters) to a jpg, png, tiff, gif or bmp.
    - `button_caption` (up to 20 characters) and `link_url` (http(s), up to 255): a button
      needs both.

    Raises `InvalidParameterError` naming the field.

    >>> ViberContent(text="50% off", sender="MyShop", button_caption="Shop",
    ...              link_url="https://shop.example/sale").button_caption
    'Shop'
    """

    text: str = attrs.field(validator=non_blank(VIBER_TEXT_MAX))
    sender: str = attrs.field(validator=non_blank(VIBER_SENDER_MAX))
    image_url: str | None = attrs.field(default=None, validator=optional(_url))
    button_caption: str | None = attrs.field(
        default=None, validator=optional(non_blank(BUTTON_CAPTION_MAX))
    )
    link_url: str | None = attrs.field(default=None, validator=optional(_url))

    def __attrs_post_init__(self) -> None:
        if self.button_caption is not None and self.link_url is None:
            raise InvalidParameterError("link_url", None, "a button_caption needs a link_url")


def _rcs_sender(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    rules.sender(value, attribute.name, max_length=RCS_SENDER_MAX)


def _cards(value: Any) -> Any:
    if isinstance(value, RcsCard):
        return (value,)
    return tuple(value) if isinstance(value, list | tuple) else value


@attrs.frozen
class RcsContent:
    """The RCS message of a One-API campaign of any channel (`bsg.campaigns.send`): the
    agent's `sender` (1 to 40 characters) and a `text` (1 to 160 characters) **or** `cards`
    (1 to 10 `RcsCard`s), checked as `RcsOptions` checks them.

    Raises `InvalidParameterError` naming the field.

    >>> RcsContent(sender="MyShop", text="Sale starts now").text
    'Sale starts now'
    """

    sender: str = attrs.field(validator=_rcs_sender)
    text: str | None = None
    cards: tuple[RcsCard, ...] = attrs.field(default=(), converter=_cards)

    def __attrs_post_init__(self) -> None:
        RcsOptions(text=self.text, cards=self.cards)  # checks text, cards and their mix

    @property
    def options(self) -> RcsOptions:
        """The text or cards as `RcsOptions`."""
        return RcsOptions(text=self.text, cards=self.cards)


@attrs.frozen
class CampaignTarget:
    """Who a campaign goes to: `phones` as `(number, reference_id)` pairs, or the ids of
    `contact_lists` (the other is empty). Internal: made by `_campaign_args`, written by the
    codec."""

    phones: tuple[tuple[str, str], ...] = ()
    contact_lists: tuple[int, ...] = ()


@attrs.frozen
class CampaignOptions:
    """The optional fields of a campaign, checked; `None` ones are not sent. `validity` is in
    hours, `start_at` already `yyyy-mm-dd hh:mm:ss` on the service's clock. Internal."""

    start_at: str | None = None
    tariff: int | None = None
    validity: int | None = None
    add_to_contact_book: bool | None = None
    check_stop_list: bool | None = None
    transliterate: bool | None = None
    callback_url: str | None = None
