"""One-API values: RCS content to send, and what the One-API answers (messages, campaigns,
balance, tariffs). Pure: no I/O.

The request values check the documented limits when they are built, so bad input raises
`InvalidParameterError` naming the field before any network traffic. The answer values are
built by the converter, which tolerates every shape the sources show.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any, TypeAlias

import attrs

from .. import _validation as rules
from ..errors import InvalidParameterError
from ._checks import checked, optional
from ._status import StatusEnum, UnknownStatus

__all__ = [
    "AlternativeChannelInfo",
    "AlternativeChannels",
    "Amount",
    "Balance",
    "CallSuggestion",
    "Campaign",
    "CampaignDetail",
    "CampaignStatistics",
    "CampaignStatus",
    "LinkSuggestion",
    "MessageInfo",
    "OneApiMessage",
    "OneApiMessageStatus",
    "RcsCard",
    "RcsOptions",
    "RcsSmsFallback",
    "RcsSuggestion",
    "Tariff",
]

# -- limits (bsg-api.md 8.3, 8.4) ------------------------------------------------------------

ONE_API_PHONE_MIN_DIGITS = 9
REFERENCE_ID_RE = re.compile(r"[A-Za-z0-9]{1,32}")
SMS_SENDER_DIGITS_RE = re.compile(r"[0-9]{1,15}")
SMS_SENDER_NAME_RE = re.compile(r"[\x20-\x7e]{1,11}")

RCS_SENDER_MAX = 40
RCS_TEXT_MAX = 160
CARDS_MAX = 10  # the schema's limit; the prose says "up to 5", which tariffs may enforce
CARD_TITLE_MAX = 200
CARD_TEXT_MAX = 1000
MEDIA_URL_MAX = 1000
SUGGESTIONS_MAX = 4
SUGGESTION_TEXT_MAX = 25
POSTBACK_MAX = 25
SMS_FALLBACK_TEXT_MAX = 765
VALIDITY_HOURS = (1, 72)
VALIDITY_SECONDS = (30, 86_400)
START_AT_MAX_AHEAD = timedelta(days=30)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def phone_number(value: object, field: str = "phone") -> str:
    """A One-API phone number: 9 to 15 digits, international format; one leading `+` is
    stripped. Raises `InvalidParameterError` naming `field`."""
    return rules.msisdn(value, field, min_digits=ONE_API_PHONE_MIN_DIGITS)


def reference_id(value: object, field: str = "reference_id") -> str:
    """A One-API `reference_id`: 1 to 32 letters and digits. Raises `InvalidParameterError`."""
    if isinstance(value, str) and REFERENCE_ID_RE.fullmatch(value):
        return value
    raise InvalidParameterError(field, value, "expected 1 to 32 letters and digits")


def sms_sender(value: object, field: str = "sender") -> str:
    """An SMS sender: up to 15 digits, or up to 11 Latin letters, digits, spaces or signs."""
    if (
        isinstance(value, str)
        and value.strip()
        and (SMS_SENDER_DIGITS_RE.fullmatch(value) or SMS_SENDER_NAME_RE.fullmatch(value))
    ):
        return value
    raise InvalidParameterError(
        field, value, "expected up to 11 Latin letters or digits, or up to 15 digits"
    )


def validity_options(
    validity: object, validity_seconds: object, *, prefix: str = ""
) -> dict[str, int]:
    """The `validity` (hours, 1 to 72) or `validity_seconds` (30 to 86,400) field to send.

    At most one may be given; neither gives `{}` (the service's default, 72 hours).
    """
    if validity is not None and validity_seconds is not None:
        raise InvalidParameterError(
            f"{prefix}validity_seconds",
            validity_seconds,
            "give either validity (hours) or validity_seconds, not both",
        )
    if validity is not None:
        hours = rules.integer(validity, f"{prefix}validity", VALIDITY_HOURS, "hours")
        return {"validity": hours}
    if validity_seconds is not None:
        seconds = rules.integer(
            validity_seconds, f"{prefix}validity_seconds", VALIDITY_SECONDS, "seconds"
        )
        return {"validity_seconds": seconds}
    return {}


def service_time(value: object, field: str, zone: tzinfo | None) -> datetime:
    """`value` as a naive `datetime` on the service's clock, to send as `yyyy-mm-dd hh:mm:ss`.

    A naive `datetime` is taken to be in the service's zone already (as the times it answers
    are). An aware one is converted to the client's `timezone`, and refused when the client
    has none: the service's zone is not documented, so the SDK cannot convert it.
    """
    if not isinstance(value, datetime):
        raise InvalidParameterError(field, value, "expected a datetime")
    if value.tzinfo is None:
        return value
    if zone is None:
        raise InvalidParameterError(
            field,
            value,
            "an aware datetime needs AsyncBSG(timezone=...) (the service's zone); "
            "or pass a naive datetime in the service's zone",
        )
    return value.astimezone(zone).replace(tzinfo=None)


def start_at_time(value: object, zone: tzinfo | None, now: datetime) -> str:
    """A campaign's `start_at`: at most 30 days after `now` (a naive time on the service's
    clock), formatted `yyyy-mm-dd hh:mm:ss`. Raises `InvalidParameterError`."""
    moment = service_time(value, "start_at", zone)
    if moment - now > START_AT_MAX_AHEAD:
        raise InvalidParameterError("start_at", value, "must be at most 30 days ahead")
    return moment.strftime(TIME_FORMAT)


def _text(max_length: int) -> Any:
    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        rules.text(value, attribute.name, max_length=max_length)

    return validate


def _url(max_length: int | None = None) -> Any:
    def validate(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        rules.http_url(value, attribute.name)
        if max_length is not None and len(value) > max_length:
            raise InvalidParameterError(
                attribute.name, value, f"must be at most {max_length} characters"
            )

    return validate


def _phone_converter(value: Any) -> str:
    return phone_number(value, "phone")


def _as_tuple(value: Any) -> Any:
    """Lists and tuples become tuples; anything else is left for the validator to refuse."""
    return tuple(value) if isinstance(value, list | tuple) else value


def _optional_bool(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        rules.boolean(value, attribute.name)


# -- statuses ----------------------------------------------------------------------------------


class CampaignStatus(StatusEnum):
    """The state of a One-API campaign. An unknown value is kept as an `UnknownStatus`."""

    CREATION = "creation"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    PAUSED = "paused"
    STOPPED = "stopped"
    SPAM = "spam"
    MODERATION = "moderation"

    @property
    def is_final(self) -> bool:
        """`True` for a state the campaign will not leave (done, stopped, spam)."""
        return self in _FINAL_CAMPAIGN

    @property
    def is_stoppable(self) -> bool:
        """`True` where `bsg.campaigns.stop` is allowed: scheduled, sending, paused,
        moderation."""
        return self in _STOPPABLE_CAMPAIGN


_FINAL_CAMPAIGN = frozenset({CampaignStatus.DONE, CampaignStatus.STOPPED, CampaignStatus.SPAM})
_STOPPABLE_CAMPAIGN = frozenset(
    {
        CampaignStatus.SCHEDULED,
        CampaignStatus.SENDING,
        CampaignStatus.PAUSED,
        CampaignStatus.MODERATION,
    }
)


class OneApiMessageStatus(StatusEnum):
    """The state of one One-API message (any channel). An unknown value is kept as a `str`."""

    SCHEDULED = "scheduled"
    MODERATION = "moderation"
    ACCEPTED = "accepted"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    EXPIRED = "expired"
    FAILED = "failed"
    UNDELIVERED = "undelivered"
    UNKNOWN = "unknown"
    READ = "read"
    NOT_VIBER_USER = "not_viber_user"
    NOT_SERVICE_USER = "not_service_user"


# -- what to send ------------------------------------------------------------------------------


@attrs.frozen
class LinkSuggestion:
    """An RCS button that opens `url` (http or https).

    `text` is the button label (1 to 25 characters); `postback_data` (up to 25) comes back in
    the click callback. Raises `InvalidParameterError` naming the field.

    >>> LinkSuggestion("Open", "https://shop.example/sale", postback_data="sale")
    LinkSuggestion(text='Open', url='https://shop.example/sale', postback_data='sale')
    """

    text: str = attrs.field(validator=_text(SUGGESTION_TEXT_MAX))
    url: str = attrs.field(validator=_url())
    postback_data: str | None = attrs.field(default=None, validator=optional(_text(POSTBACK_MAX)))


@attrs.frozen
class CallSuggestion:
    """An RCS button that calls `phone` (9 to 15 digits, international format, no `+`).

    `text` is the button label (1 to 25 characters); `postback_data` (up to 25) comes back in
    the click callback. Raises `InvalidParameterError` naming the field.

    >>> CallSuggestion("Call us", "380501234567")
    CallSuggestion(text='Call us', phone='380501234567', postback_data=None)
    """

    text: str = attrs.field(validator=_text(SUGGESTION_TEXT_MAX))
    # A converter, not a validator: it strips the `+` and reports the value as given.
    phone: str = attrs.field(converter=_phone_converter)
    postback_data: str | None = attrs.field(default=None, validator=optional(_text(POSTBACK_MAX)))


RcsSuggestion: TypeAlias = LinkSuggestion | CallSuggestion
"""A button on an RCS card: a `LinkSuggestion` or a `CallSuggestion`."""


@attrs.frozen
class RcsCard:
    """One RCS rich card.

    - `text`: 1 to 1,000 characters; may be left out when the card has `media_url`.
    - `title`: up to 200 characters.
    - `media_url`: an http(s) link (up to 1,000 characters) to an image or video.
    - `suggestions`: up to 4 `LinkSuggestion`/`CallSuggestion` buttons (the service may
      show fewer: its prose says 2 per card).

    Raises `InvalidParameterError` naming the field.

    >>> card = RcsCard(text="50% off today", media_url="https://shop.example/sale.png",
    ...                suggestions=[LinkSuggestion("Shop", "https://shop.example")])
    """

    text: str | None = attrs.field(default=None, validator=optional(_text(CARD_TEXT_MAX)))
    title: str | None = attrs.field(default=None, validator=optional(_text(CARD_TITLE_MAX)))
    media_url: str | None = attrs.field(default=None, validator=optional(_url(MEDIA_URL_MAX)))
    suggestions: tuple[RcsSuggestion, ...] = attrs.field(default=(), converter=_as_tuple)

    @suggestions.validator
    def _check_suggestions(self, _attribute: Any, value: Any) -> None:
        if not isinstance(value, tuple):
            raise InvalidParameterError("suggestions", value, "expected a list of suggestions")
        if len(value) > SUGGESTIONS_MAX:
            raise InvalidParameterError(
                "suggestions", value, f"at most {SUGGESTIONS_MAX} suggestions per card"
            )
        for index, item in enumerate(value):
            if not isinstance(item, LinkSuggestion | CallSuggestion):
                raise InvalidParameterError(
                    f"suggestions[{index}]", item, "expected a LinkSuggestion or CallSuggestion"
                )

    def __attrs_post_init__(self) -> None:
        if self.text is None and self.media_url is None:
            raise InvalidParameterError("text", None, "a card needs text, media_url or both")


@attrs.frozen
class RcsOptions:
    """The content of an RCS message: a plain `text` (1 to 160 characters) **or** `cards`.

    `cards` holds 1 to 10 `RcsCard`s (the schema allows 10; the documentation's prose says
    "up to 5", and a tariff may allow only single cards). One card is a "single card", more
    are a carousel. Exactly one of `text` and `cards` must be given.
    Raises `InvalidParameterError` naming the field.

    >>> RcsOptions(text="Your order has shipped")
    RcsOptions(text='Your order has shipped', cards=())
    """

    text: str | None = attrs.field(default=None, validator=optional(_text(RCS_TEXT_MAX)))
    cards: tuple[RcsCard, ...] = attrs.field(default=(), converter=_as_tuple)

    @cards.validator
    def _check_cards(self, _attribute: Any, value: Any) -> None:
        if not isinstance(value, tuple):
            raise InvalidParameterError("cards", value, "expected a list of RcsCard")
        if self.text is not None and value:
            raise InvalidParameterError("cards", value, "give either text or cards, not both")
        if self.text is None and not value:
            raise InvalidParameterError("text", None, "give text or 1 to 10 cards")
        if len(value) > CARDS_MAX:
            raise InvalidParameterError(
                "cards", f"{len(value)} cards", f"at most {CARDS_MAX} cards"
            )
        for index, card in enumerate(value):
            if not isinstance(card, RcsCard):
                raise InvalidParameterError(f"cards[{index}]", card, "expected an RcsCard")


@attrs.frozen
class RcsSmsFallback:
    """The SMS sent instead when the recipient cannot get the RCS message
    (`alternative_channel.sms` on the wire).

    - `text`: 1 to 765 characters (GSM 7-bit; 355 for UCS-2, which the service checks).
    - `sender`: up to 11 Latin letters or digits, or up to 15 digits.
    - `validity` in **hours** (1 to 72) or `validity_seconds` (30 to 86,400), not both.
    - `check_stop_list`: skip numbers on the stop list (the service's default: `True`).

    Raises `InvalidParameterError` naming the field.

    >>> fallback = RcsSmsFallback(text="Your order has shipped", sender="Shop", validity=24)
    """

    text: str = attrs.field(validator=_text(SMS_FALLBACK_TEXT_MAX))
    sender: str = attrs.field(validator=checked(sms_sender))
    validity: int | None = None
    validity_seconds: int | None = attrs.field(default=None)
    check_stop_list: bool | None = attrs.field(default=None, validator=_optional_bool)

    @validity_seconds.validator
    def _check_validity(self, _attribute: Any, value: Any) -> None:
        validity_options(self.validity, value)


# -- what the One-API answers ------------------------------------------------------------------


@attrs.frozen
class Amount:
    """A price: `value` as a `Decimal` (all 7 decimals the service sends) in `currency`."""

    value: Decimal | None = None
    currency: str | None = None


@attrs.frozen
class MessageInfo:
    """One One-API message as a send answers it (`bsg.rcs.send`).

    `id` is the message id; `reference_id` the external id it was sent with; `phone` the
    recipient's digits; `validity` in hours; `amount` the price; `type` the channel (`"rcs"`,
    ...) and `source` how it was sent (`"rest"`, ...). Times are naive `datetime`s in the
    service's zone unless the client was given a `timezone`; `None` means "not yet".
    """

    id: int
    status: OneApiMessageStatus | UnknownStatus
    reference_id: str | None = None
    phone: str | None = None
    type: str | None = None
    source: str | None = None
    sender: str | None = None
    validity: int | None = None
    amount: Amount | None = None
    created_at: datetime | None = None
    sent_at: datetime | None = None
    delivered_at: datetime | None = None


@attrs.frozen
class CampaignStatistics:
    """Message counters of a campaign by status; 0 where the answer does not report one.

    A campaign as `get`/`list` return it carries only `delivered` and `sent`; its `detail`
    carries every counter.
    """

    delivered: int = 0
    sent: int = 0
    scheduled: int = 0
    moderation: int = 0
    accepted: int = 0
    sending: int = 0
    expired: int = 0
    failed: int = 0
    undelivered: int = 0
    unknown: int = 0
    read: int = 0
    not_viber_user: int = 0
    not_rcs_user: int = 0


@attrs.frozen
class AlternativeChannelInfo:
    """What the service reports about a fallback channel (such as the SMS of an RCS message).

    `ids` are the fallback messages' ids, `parts` their SMS parts, `statistics` a campaign's
    counters for that channel; each is empty or `None` where the answer does not say.
    """

    ids: tuple[int, ...] = ()
    parts: int | None = None
    statistics: CampaignStatistics | None = None


@attrs.frozen
class AlternativeChannels:
    """The fallback channels of a message or campaign, by channel."""

    sms: AlternativeChannelInfo | None = None
    viber: AlternativeChannelInfo | None = None


@attrs.frozen
class Campaign:
    """A One-API campaign, as a campaign send, `bsg.campaigns.get`, `stop` and `list` return it.

    `start_at` is when it is scheduled to start, `real_start_at` when it did, `finished_at`
    when it ended (`None`: not yet). `calculated_price` is the estimated cost in `currency`,
    given only in the answer to a send. `alternative_channels` is `None` when the service
    reports none (it may send `null` or `[]`).
    """

    id: int
    status: CampaignStatus | UnknownStatus
    name: str | None = None
    sender: str | None = None
    message_type: str | None = None
    start_at: datetime | None = None
    real_start_at: datetime | None = None
    finished_at: datetime | None = None
    created_at: datetime | None = None
    statistics: CampaignStatistics | None = None
    calculated_price: Decimal | None = None
    currency: str | None = None
    alternative_channels: AlternativeChannels | None = None


@attrs.frozen
class CampaignDetail(Campaign):
    """A campaign with its counters per message status, as `bsg.campaigns.detail` returns it.

    Everything a `Campaign` holds (`calculated_price` stays `None`: only a send's answer
    gives it), and the totals. The wire spells some fields differently from `Campaign`
    (`type`, `started_at`, `actual_start_at`); both spellings are read into the same names.
    `total_price` is in `currency`.
    """

    total_messages: int | None = None
    total_phones: int | None = None
    total_price: Decimal | None = None


@attrs.frozen
class OneApiMessage(MessageInfo):
    """One message as the One-API message search (`bsg.messages.list`) returns it.

    Everything a `MessageInfo` holds, and where the search says more: `campaign_id` links it
    to its campaign; `country` is ISO 3166-1 alpha-2; `parts` the number of SMS parts.
    """

    campaign_id: int | None = None
    country: str | None = None
    parts: int | None = None
    alternative_channels: AlternativeChannels | None = None

    def to_message_info(self) -> MessageInfo:
        """The same message as a plain `MessageInfo` (what `bsg.rcs.send` returns)."""
        return MessageInfo(
            **{field.name: getattr(self, field.name) for field in attrs.fields(MessageInfo)}
        )


@attrs.frozen
class Balance:
    """The account's money, as `bsg.account.balance` returns it.

    `balance` may be negative (postpaid accounts); `credit` is the postpaid credit limit.
    Both are `Decimal`s in `currency`, decoded from the JSON text, never through `float`.
    """

    balance: Decimal
    currency: str | None = None
    credit: Decimal | None = None


@attrs.frozen
class Tariff:
    """One of the account's tariffs; pass its `code` as `tariff_code` to a send."""

    id: int
    code: int | None = None
    name: str | None = None
    is_active: bool | None = None
    is_default: bool | None = None


def unique_phones(numbers: Iterable[str], field: str = "phones") -> None:
    """Refuse a phone number that appears twice in one campaign."""
    seen: set[str] = set()
    for index, number in enumerate(numbers):
        if number in seen:
            raise InvalidParameterError(
                f"{field}[{index}]", number, "appears twice: campaign phones must be unique"
            )
        seen.add(number)


@attrs.frozen
class RcsContent:
    """What every RCS send shares, validated: made by `bsg.rcs`, written by the codec.

    `validity` holds the one validity field given (`{"validity": hours}` or
    `{"validity_seconds": seconds}`), or nothing. Internal: not exported.
    """

    sender: str
    options: RcsOptions
    sms_fallback: RcsSmsFallback | None = None
    tariff_code: int | None = None
    validity: Mapping[str, int] = attrs.field(factory=dict)
    add_to_contact_book: bool | None = None
    check_stop_list: bool | None = None
