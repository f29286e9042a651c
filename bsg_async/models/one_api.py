"""One-API values: RCS content to send, and what the One-API answers (messages, campaigns,
balance, tariffs). Pure: no I/O.

The request values check the documented limits when they are built, so bad input raises
`InvalidParameterError` naming the field before any network traffic. The answer values are
built by the converter, which tolerates every shape the sources show.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, TypeAlias

import attrs

from .. import _validation as rules
from ..errors import InvalidParameterError
from ._checks import optional
from ._status import StatusEnum, UnknownStatus
from .common import SmsFallback

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
    "RcsSuggestion",
    "Tariff",
]

# -- limits (bsg-api.md 8.3, 8.4) ------------------------------------------------------------

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
    return rules.msisdn(value, "phone", min_digits=rules.ONE_API_PHONE_MIN_DIGITS)


def _as_tuple(value: Any) -> Any:
    """Lists and tuples become tuples; anything else is left for the validator to refuse."""
    return tuple(value) if isinstance(value, list | tuple) else value


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


# -- what the One-API answers ------------------------------------------------------------------


@attrs.frozen
class Amount:
    """A price: `value` as a `Decimal` (all 7 decimals the service sends) in `currency`."""

    value: Decimal | None = None
    currency: str | None = None


@attrs.frozen
class MessageInfo:
    """One One-API message as a send answers it (`bsg.rcs.send`).

    `id` is the message id; `reference` the external id it was sent with (`reference_id` on the
    wire); `to` the recipient's digits (`phone`); `validity` a `timedelta` (sent in hours); `amount`
    the price; `type` the channel (`"rcs"`, ...) and `source` how it was sent (`"rest"`, ...). Times
    are naive `datetime`s in the service's zone unless the client was given a `timezone`; `None`
    means "not yet".
    """

    id: int
    status: OneApiMessageStatus | UnknownStatus
    reference: str | None = None
    to: str | None = None
    type: str | None = None
    source: str | None = None
    sender: str | None = None
    validity: timedelta | None = None
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
    """One of the account's tariffs; pass its `code` as `tariff` to a One-API send (sent as
    `tariff_code`)."""

    id: int
    code: int | None = None
    name: str | None = None
    is_active: bool | None = None
    is_default: bool | None = None


@attrs.frozen
class RcsSendFields:
    """What every RCS send shares, validated: made by `bsg.rcs`, written by the codec.

    `validity` holds the one validity field given (`{"validity": hours}` or
    `{"validity_seconds": seconds}`), or nothing; `fallback_validity` the same for the
    `sms_fallback`. Internal: not exported.
    """

    sender: str
    options: RcsOptions
    sms_fallback: SmsFallback | None = None
    fallback_validity: Mapping[str, int] = attrs.field(factory=dict)
    tariff: int | None = None
    validity: Mapping[str, int] = attrs.field(factory=dict)
    add_to_contact_book: bool | None = None
    check_stop_list: bool | None = None
