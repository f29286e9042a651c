"""The wire format: the one place that knows how BSG spells things.

In: JSON (parsed by `_json.loads`, so no price ever passes through `float`) to frozen models,
through one private cattrs converter with hooks for every quirk in bsg-api.md: ids and prices
as strings or numbers, `error` as `0` or `"0"`, empty and all-zero times as `None`,
`total_price`/`totalprice`, `alt_route`, single-send answers flat or wrapped in `result`,
unknown extra fields ignored. Anything that cannot be decoded raises `UnexpectedResponseError`
naming the JSON path, never a `KeyError`, `TypeError` or a cattrs exception group.

Out: request bodies built from validated models, with integers sent as integers.
"""

from __future__ import annotations

import base64
import functools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import AttributeValidationNote
from cattrs.gen import make_dict_structure_fn, override

from . import _validation as rules
from ._json import EXPONENT_LIMIT, INTEGER_DIGITS, Remembered, in_range
from .errors import UnexpectedResponseError
from .models import (
    FallbackSms,
    Recipient,
    SmsFallback,
    SmsMessage,
    SmsReport,
    SmsTask,
    ViberMessage,
    ViberReport,
)
from .models._status import StatusEnum, UnknownStatus
from .models.campaigns import CampaignOptions, CampaignTarget
from .models.channels import (
    MessageChannel,
    RcsChannel,
    SmsChannel,
    SmsShortLink,
    TelegramChannel,
    UniversalOptions,
    ViberChannel,
    VoiceChannel,
)
from .models.contacts import (
    Contact,
    ContactField,
    ContactFieldType,
    ContactList,
    SearchCriterion,
    StopListEntry,
)
from .models.email import EmailInline, EmailReceipt
from .models.legacy import HlrResult, HlrStatus, LegacyBalance, Price, PriceQuote
from .models.one_api import (
    AlternativeChannelInfo,
    AlternativeChannels,
    Amount,
    Balance,
    Campaign,
    CampaignDetail,
    CampaignStatistics,
    CampaignStatus,
    LinkSuggestion,
    MessageInfo,
    OneApiMessage,
    OneApiMessageStatus,
    RcsCard,
    RcsOptions,
    RcsSendFields,
    RcsSuggestion,
    Tariff,
)
from .models.otp import (
    OtpChannel,
    OtpMessage,
    OtpMessageStatus,
    OtpSession,
    OtpStatus,
    OtpTemplate,
    OtpTemplateStatus,
)
from .models.rcs_report import RcsClick, RcsReport, RcsStatus
from .models.reference import CallPrice, Country, CountryPrices, Currency, OperatorPrice
from .models.senders import Sender, SenderRequest, SenderRequestStatus, SenderStatus
from .models.short_links import (
    ShortDomain,
    ShortLink,
    ShortLinkClick,
    ShortLinkStatistics,
    ShortLinkStatus,
    SlugType,
)
from .models.sms import SmsStatus
from .models.statistics import StatisticsJob, StatisticsRow
from .models.viber import ViberStatus
from .models.whatsapp import WhatsAppContent, WhatsAppTemplate

__all__ = [
    "Wire",
    "WireBatch",
    "WireEntry",
    "count_from",
    "wire",
]

T = TypeVar("T")

# The number limits are `_json`'s, the same for answers and webhooks. Every integer the
# converter reads has at most `INTEGER_DIGITS` digits, whether the answer writes it as a number
# or as a string; every amount's exponent lies within ±`EXPONENT_LIMIT`.
_INT_LIMIT = 10**INTEGER_DIGITS
_INT_RE = re.compile(rf"\s*-?[0-9]{{1,{INTEGER_DIGITS}}}\s*")
_COUNT_RE = re.compile(rf"\s*([0-9]{{1,{INTEGER_DIGITS}}})\s*")
_EXPONENT_DIGITS = len(str(EXPONENT_LIMIT))  # a longer exponent is out of range anyway
_DECIMAL_RE = re.compile(
    rf"\s*-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]{{1,{_EXPONENT_DIGITS}}})?\s*"
)
_OUT_OF_RANGE = (
    f"expected a finite number with an exponent from -{EXPONENT_LIMIT} to {EXPONENT_LIMIT}"
)
_NOT_YET = frozenset({"", "0000-00-00 00:00:00", "0000-00-00", "0000-00-00T00:00:00"})
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


WireEntry = tuple[str | None, int, str | None, int | None, Decimal | None, str | None, str | None]
"""One entry of a send answer's `result`, before it becomes a recipient's outcome:
`(reference, error, error_description, id, price, currency, msisdn)`, read by unpacking.

A plain tuple, because one is made per recipient of every send: a named tuple or an attrs
class costs about a thousand instructions more each (callgrind), for names nobody outside
`_sending` reads."""


@attrs.frozen
class _PriceList:
    """A price list answer: `{"prices": [...]}`; absent or null means an empty list."""

    prices: tuple[Price, ...] = ()


@attrs.frozen
class _StatisticsRows:
    """A statistics job's rows: `{"result": [...]}`; absent or null means none."""

    result: tuple[StatisticsRow, ...] = ()


@attrs.frozen
class _StatisticsJobs:
    """The statistics jobs: `{"result": [...]}`; absent or null means none."""

    result: tuple[StatisticsJob, ...] = ()


# Internal and never changed after decoding: not frozen (a frozen attrs class costs more).
@attrs.define
class WireBatch:
    """A multi-recipient send answer."""

    result: tuple[WireEntry, ...] = ()
    task_id: int | None = None
    total_price: Decimal | None = None
    currency: str | None = None


def count_from(value: object) -> int | None:
    """A count or a code read outside the converter (an answer's `error`, a list's `total`): a
    non-negative integer written as a number or as a string of ASCII digits (whitespace around
    it allowed), of at most 30 digits as every integer the converter reads; `None` for
    anything else, booleans included."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value < _INT_LIMIT else None
    if isinstance(value, str):
        found = _COUNT_RE.fullmatch(value)
        if found is not None:
            return int(found.group(1))
    return None


def _int(value: Any, _: Any = None) -> int:
    """An integer of at most 30 digits, written as a number or a string of digits; the usual
    id, a short string of ASCII digits, is taken first (one per recipient of every send)."""
    if type(value) is str and value.isdigit() and value.isascii() and len(value) <= INTEGER_DIGITS:
        return int(value)
    if isinstance(value, bool):
        raise TypeError("expected an integer, got a boolean")
    if isinstance(value, int):
        if -_INT_LIMIT < value < _INT_LIMIT:
            return value
        raise ValueError("expected an integer of at most 30 digits")
    if isinstance(value, str) and _INT_RE.fullmatch(value):
        return int(value)
    if (
        isinstance(value, Decimal)
        and value.is_finite()
        and value.adjusted() < INTEGER_DIGITS  # `1e999999999` must not build a huge int
        and value == value.to_integral_value()
    ):
        return int(value)
    raise ValueError("expected an integer or a string of digits")


def _decimal(value: Any, _: Any = None) -> Decimal:
    """An amount within 1E-9999 to 1E+9999, from a JSON number or a string holding one.

    A string is parsed once and remembered: an answer repeats the same few prices thousands
    of times, and a `Decimal` is immutable, so one is shared (`_PRICES`).
    """
    if type(value) is str:
        return _PRICES[value]
    if type(value) is Decimal and in_range(value):  # the usual JSON number, as it is
        return value
    return _parse_decimal(value)


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("expected a number, got a boolean")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str) and _DECIMAL_RE.fullmatch(value):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
            raise ValueError("expected a decimal number") from exc
    else:
        raise ValueError("expected a number or a string holding one")
    if not in_range(result):
        raise ValueError(_OUT_OF_RANGE)
    return result


def _str(value: Any, _: Any = None) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # msisdn is documented as an integer and sent as a string
    raise TypeError("expected a string")


def _hours(value: Any, _: Any = None) -> timedelta | None:
    """A validity the answer gives in whole hours, as a `timedelta`."""
    return None if value is None else timedelta(hours=_int(value))


def _seconds(value: Any, _: Any = None) -> timedelta:
    """A duration the answer gives in whole seconds, as a `timedelta`."""
    return timedelta(seconds=_int(value))


_OTP_PRICE_KEYS = ("price", "full_price", "amount", "total_price", "value")


def _optional(hook: Callable[[Any, Any], T]) -> Callable[[Any, Any], T | None]:
    def structure(value: Any, type_: Any) -> T | None:
        return None if value is None else hook(value, type_)

    return structure


def _time_hook(zone: tzinfo | None) -> Callable[[Any, Any], datetime | None]:
    def structure(value: Any, _: Any) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise TypeError("expected a 'yyyy-mm-dd hh:mm:ss' string")
        text = value.strip()
        if text in _NOT_YET:
            return None
        try:
            moment = datetime.strptime(text, _TIME_FORMAT)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                raise ValueError("expected a 'yyyy-mm-dd hh:mm:ss' time") from None
        if zone is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment

    return structure


def _status_hook(enum: type[StatusEnum]) -> Callable[[Any, Any], StatusEnum | UnknownStatus]:
    def structure(value: Any, _: Any) -> StatusEnum | UnknownStatus:
        if not isinstance(value, str):
            raise TypeError("expected a status string")
        return enum.parse(value)

    return structure


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError("expected a JSON object")
    return value


def _entries(value: Any, _: Any) -> Sequence[Any]:
    if value is None or (isinstance(value, Mapping) and not value):
        return ()  # absent, null and (liberally) an empty object all mean "none"
    if not isinstance(value, list):
        raise TypeError("expected a JSON list")
    return value


class Wire:
    """Decodes answers into models and encodes requests. One instance per time zone."""

    def __init__(self, zone: tzinfo | None = None) -> None:
        self.zone = zone
        conv = cattrs.Converter(detailed_validation=True, forbid_extra_keys=False)
        self._converter = conv
        conv.register_structure_hook(int, _int)
        conv.register_structure_hook(Decimal, _decimal)
        conv.register_structure_hook(str, _str)
        time_hook = _time_hook(zone)
        nullable: dict[Any, Callable[[Any, Any], Any]] = {
            int | None: _optional(_int),
            Decimal | None: _optional(_decimal),
            str | None: _optional(_str),
            datetime | None: time_hook,
        }
        for type_, hook in nullable.items():
            conv.register_structure_hook_func(functools.partial(_is, type_), hook)
        self._register_statuses(
            SmsStatus, ViberStatus, RcsStatus, CampaignStatus, OneApiMessageStatus
        )

        # `result` and `alt_route` may be absent or null: both mean "none".
        self._register_lists(tuple[FallbackSms, ...])
        to = override(rename="msisdn")
        self._register(SmsReport, to=to)
        self._register(
            SmsTask,
            aliases={"totalprice": "total_price"},
            sender=override(rename="originator"),
            text=override(rename="body"),
            validity=override(struct_hook=_hours),
        )
        self._register(FallbackSms)
        self._register(ViberReport, to=to, fallback=override(rename="alt_route"))
        self._register(RcsReport, to=to, error_description=override(rename="errorDescription"))
        self._register(RcsClick, to=to)
        self._register_statuses(HlrStatus, nullable=True)
        self._register(
            HlrResult,
            phone=override(rename="msisdn"),
            aliases={
                "createdDatetime": "created_at",
                "statusDatetime": "status_at",
                "mccmnc": "network",
            },
        )
        self._register(LegacyBalance)
        self._register(Price)
        # `price`: the One-API's campaign quote (`bsg.campaigns.price`)
        self._register(PriceQuote, aliases={"totalprice": "total_price", "price": "total_price"})
        self._register_lists(tuple[Price, ...])
        self._register(_PriceList)
        self._register_one_api()
        self._register_otp()
        self._register_account_data()
        self._register_reference()

    def _register_one_api(self) -> None:
        """The One-API answers: nested objects may be `null`, `[]` or `{}` (all "none"),
        `amount` may be a bare number, booleans may be `0`/`1`, and a campaign's detail spells
        some fields differently."""
        conv = self._converter
        conv.register_structure_hook(bool, _bool)
        conv.register_structure_hook_func(functools.partial(_is, bool | None), _optional(_bool))
        for nested in (CampaignStatistics, AlternativeChannelInfo, AlternativeChannels):
            conv.register_structure_hook_func(
                functools.partial(_is, nested | None), _object_or_none(conv, nested)
            )
        conv.register_structure_hook_func(functools.partial(_is, Amount | None), _amount_hook(conv))
        campaign_aliases = {
            "type": "message_type",
            "started_at": "start_at",
            "actual_start_at": "real_start_at",
        }
        self._register(CampaignStatistics)
        self._register(
            AlternativeChannelInfo,
            ids=override(rename="id", struct_hook=_ids(conv.get_structure_hook(tuple[int, ...]))),
        )
        self._register(AlternativeChannels)
        self._register(Amount)
        message_names: dict[str, Any] = {
            "reference": override(rename="reference_id"),
            "to": override(rename="phone"),
            "validity": override(struct_hook=_hours),
        }
        self._register(MessageInfo, **message_names)
        self._register(OneApiMessage, **message_names)
        self._register(Campaign, aliases=campaign_aliases)
        self._register(CampaignDetail, aliases=campaign_aliases)
        self._register(Balance)
        self._register(Tariff)
        self._register_statistics()
        self._register(EmailReceipt, aliases={"message_id": "id"})
        self._register_senders()
        self._register_short_links()

    def _register_short_links(self) -> None:
        """Short links, domains, clicks and a link's statistics."""
        self._register_statuses(ShortLinkStatus, SlugType, nullable=True)
        link = {"short_link": "url", "original_link": "target"}
        self._register(
            ShortLink,
            aliases={
                **link,
                "init_deleted_at": "deleted_at",
                "count_clicks": "clicks",
                "count_human_clicks": "human_clicks",
                "count_unique_clicks": "unique_clicks",
            },
        )
        self._register(
            ShortDomain, aliases={"count_short_links": "links", "init_deleted_at": "deleted_at"}
        )
        self._register(
            ShortLinkClick,
            aliases={
                **link,
                "phone_number": "to",
                "client_ip": "ip",
                "browser_language": "language",
                "referrer_url": "referrer",
                "country_code": "country",
            },
        )
        self._register(
            ShortLinkStatistics,
            aliases={
                **link,
                "count_clicks": "clicks",
                "click_date": "clicked_at",
                "client_ip": "ip",
                "phone": "to",
            },
        )

    def _register_senders(self) -> None:
        """Senders and sender registration requests."""
        self._register_statuses(SenderStatus, SenderRequestStatus, nullable=True)
        self._register(Sender)
        self._register(
            SenderRequest,
            aliases={
                "type": "channel",
                "country_code": "country",
                "code_of_company": "company_code",
                "name": "person_name",
                "informing_purpose": "purpose",
            },
        )

    def _register_statistics(self) -> None:
        """The statistics exports: legacy-style answers (`{"error": 0, "result": [...]}`);
        a job names its message ids inside its `request` object."""
        conv = self._converter
        self._register_lists(tuple[StatisticsRow, ...], tuple[StatisticsJob, ...])
        self._register(
            StatisticsRow,
            aliases={
                "message_type": "channel",
                "msisdn": "to",
                "originator": "sender",
                "body": "text",
                "country_name": "country",
                "brand": "operator",
                "time_in": "created_at",
                "time_sent": "sent_at",
                "time_dlr": "delivered_at",
                "sl_clicks": "short_link_clicks",
            },
        )
        job = make_dict_structure_fn(StatisticsJob, conv)

        def structure_job(value: Any, type_: Any) -> StatisticsJob:
            data = _mapping(value)
            request = data.get("request")
            if isinstance(request, Mapping) and "message_ids" in request:
                data = {**data, "message_ids": request["message_ids"]}
            return job(data, type_)

        conv.register_structure_hook(StatisticsJob, structure_job)
        self._register(_StatisticsRows)
        self._register(_StatisticsJobs)

    # -- one-time passwords (2FA) ------------------------------------------------------------

    def _register_otp(self) -> None:
        """The 2FA answers: sessions with their messages, and code templates. The wire's
        `recipient`, `code_lifetime` (seconds), `code_max_tries`, `code_digits`, `sender_alt`,
        `message_text`, `country_code`, `expired_at` and `template_id` become the SDK's names."""
        self._register_statuses(OtpStatus)
        self._register_statuses(OtpChannel, OtpMessageStatus, OtpTemplateStatus, nullable=True)
        self._register_lists(tuple[str, ...], tuple[OtpMessage, ...])
        self._register(OtpMessage, to=override(rename="recipient"))
        self._register(
            OtpSession,
            to=override(rename="recipient"),
            sms_sender=override(rename="sender_alt"),
            text=override(rename="message_text"),
            validity=override(rename="code_lifetime", struct_hook=_optional(_seconds)),
            max_tries=override(rename="code_max_tries"),
            digits=override(rename="code_digits"),
            country=override(rename="country_code"),
            expires_at=override(rename="expired_at"),
        )
        self._register(OtpTemplate, id=override(rename="template_id"))

    @staticmethod
    def otp_send(
        *,
        to: str,
        channel: str,
        sender: str,
        sms_sender: str | None,
        template: int,
        validity: int,
        max_tries: int,
        digits: int,
    ) -> dict[str, Any]:
        """The body of a 2FA send (`POST /api/2fa/authentications/otp`); `validity` in
        seconds (`code_lifetime`)."""
        body: dict[str, Any] = {
            "recipient": to,
            "channel": channel,
            "sender": sender,
            "template_id": template,
            "code_lifetime": validity,
            "code_max_tries": max_tries,
            "code_digits": digits,
        }
        if sms_sender is not None:
            body["sender_alt"] = sms_sender
        return body

    @staticmethod
    def otp_verify(code: str) -> dict[str, Any]:
        """The body of a 2FA verify: the code the user typed (`access_code`)."""
        return {"access_code": code}

    @staticmethod
    def otp_template(name: str, text: str, countries: Sequence[str] | None) -> dict[str, Any]:
        """The body of a 2FA template create."""
        body: dict[str, Any] = {"name": name, "text": text}
        if countries is not None:
            body["countries"] = list(countries)
        return body

    @staticmethod
    def otp_price(data: Any, *, http_status: int | None = None) -> Decimal:
        """The price in a 2FA full-price answer (`{"data": {...}}`).

        The schema leaves that object undescribed, so the price is read liberally: the first
        of `price`, `full_price`, `amount`, `total_price` and `value` present (a number, a
        string holding one, or an `{"value": ...}` object). Raises `UnexpectedResponseError`
        naming `$.data.price` when there is none or it is not a number.
        """
        found: Any = None
        if isinstance(data, Mapping) and "data" in data:
            data = data["data"]
        if isinstance(data, Mapping):
            key = next((k for k in _OTP_PRICE_KEYS if data.get(k) is not None), None)
            found = None if key is None else data[key]
        elif not isinstance(data, bool) and isinstance(data, Decimal | int | str):
            found = data  # a bare number, where the schema promised an object
        if isinstance(found, Mapping):
            found = found.get("value")
        try:
            if found is None or isinstance(found, bool | Mapping | list):
                raise ValueError("expected a price")
            return _decimal(found)
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise UnexpectedResponseError(
                f"could not decode the 2FA price from the answer: {exc} at $.data.price",
                http_status=http_status,
                field="$.data.price",
            ) from None

    def _register_account_data(self) -> None:
        """Contacts, contact lists, contact fields and the stop list: the wire's `groups`,
        `items`, `default` and `*_stoplist` are read into the models' names; a contact's
        `fields` may be an object, `[]` (PHP's empty object) or a list of objects."""
        conv = self._converter
        self._register_statuses(ContactFieldType, nullable=True)
        conv.register_structure_hook_func(
            functools.partial(_is, Mapping[int, str]), _field_values_hook
        )
        self._register(ContactList, aliases={"default": "is_default", "items": "contact_count"})
        self._register_lists(tuple[ContactList, ...])
        self._register(Contact, aliases={"groups": "contact_lists"})
        self._register(ContactField)
        self._register(
            StopListEntry,
            aliases={"sms_stoplist": "sms", "viber_stoplist": "viber", "rcs_stoplist": "rcs"},
        )

    def _register_reference(self) -> None:
        """The One-API's reference data: countries, currencies, price lists (`null` or `[]`
        operators mean none)."""
        self._register_lists(tuple[OperatorPrice, ...])
        self._register(Country, code=override(rename="id"))
        self._register(
            Currency,
            code=override(rename="id"),
            rate=override(rename="ratio"),
            updated_at=override(rename="date"),
        )
        self._register(OperatorPrice)
        self._register(CountryPrices, country=override(rename="country_id"))
        self._register(CallPrice, country=override(rename="country_code"))

    def _register_statuses(self, *enums: type[StatusEnum], nullable: bool = False) -> None:
        """Fields typed `enum | UnknownStatus` read a status string with `enum.parse` (a text
        the SDK does not know is kept as an `UnknownStatus`); `nullable=True`: fields typed
        `enum | UnknownStatus | None`, where `null` is `None`."""
        for enum in enums:
            hook = _status_hook(enum)
            if nullable:
                self._converter.register_structure_hook_func(
                    functools.partial(_is, enum | UnknownStatus | None), _optional(hook)
                )
            else:
                self._converter.register_structure_hook_func(
                    functools.partial(_is, enum | UnknownStatus), hook
                )

    def _register_lists(self, *many: Any) -> None:
        """Tuple fields of these types read an absent, `null` or empty answer as `()` (see
        `_entries`); any other non-list is refused. Registered before the classes holding them,
        whose structuring functions bind their field hooks when they are built; cattrs' own
        tuple hook keeps the `[index]` paths."""
        conv = self._converter
        for type_ in many:
            conv.register_structure_hook_func(
                functools.partial(_is, type_), _none_or_list(conv.get_structure_hook(type_))
            )

    def _register(
        self, cls: type[Any], *, aliases: Mapping[str, str] | None = None, **overrides: Any
    ) -> None:
        base = make_dict_structure_fn(cls, self._converter, **overrides)
        renamed = {name: o.rename for name, o in overrides.items() if o.rename is not None}

        def structure(value: Any, type_: Any) -> Any:
            data = _mapping(value)
            wire_names = renamed
            if aliases and any(alias in data for alias in aliases):
                data = dict(data)
                wire_names = dict(renamed)
                for alias, name in aliases.items():
                    if alias in data:
                        if name not in data:
                            wire_names[name] = alias
                        data.setdefault(name, data.pop(alias))
            try:
                return base(data, type_)
            except cattrs.ClassValidationError as exc:
                _use_wire_names(exc, wire_names)  # so the error's path is the JSON path
                raise

        self._converter.register_structure_hook(cls, structure)

    def structure(
        self, value: Any, cls: type[T], *, http_status: int | None = None, send: bool = False
    ) -> T:
        """Decode `value` into `cls`, or raise `UnexpectedResponseError` naming the path.

        `send=True`: `value` answers a send, so the service may hold what it could not
        describe (the error's `may_have_been_accepted`).
        """
        try:
            return self._converter.structure(value, cls)
        except Exception as exc:  # cattrs raises exception groups and plain hook errors alike
            raise _decoding_error(exc, cls, http_status, send) from None

    def data_items(
        self, value: Any, cls: type[T], *, http_status: int | None = None
    ) -> tuple[T, ...]:
        """The items of a One-API `{"data": [...]}` answer, each decoded as `cls`.

        Raises `UnexpectedResponseError` for another shape or an item it cannot decode.
        """
        items = value.get("data") if isinstance(value, Mapping) else None
        if not isinstance(items, list):
            raise UnexpectedResponseError(
                "expected a JSON object with a 'data' list", http_status=http_status, field="$.data"
            )
        return tuple(self.structure(item, cls, http_status=http_status) for item in items)

    # -- answers -----------------------------------------------------------------------------

    @staticmethod
    def single_entry(data: Any, *, http_status: int | None = None) -> WireEntry:
        """A single-send answer: flat, or wrapped in `result` (an object or a one-item list).

        Raises `UnexpectedResponseError` naming the JSON path of what it cannot decode.
        """
        path = "$"
        if isinstance(data, Mapping) and "result" in data:
            inner = data["result"]
            if isinstance(inner, list) and len(inner) == 1:
                inner, path = inner[0], "$.result[0]"
            if isinstance(inner, Mapping):
                data, path = inner, path if path != "$" else "$.result"
        return send_entry(data, path, http_status)

    @staticmethod
    def batch(data: Any, *, http_status: int | None = None) -> WireBatch:
        """A multi-recipient send answer with its per-recipient `result` list.

        Raises `UnexpectedResponseError` naming the JSON path of what it cannot decode.
        """
        return send_batch(data, http_status)

    def price_list(self, data: Any, *, http_status: int | None = None) -> tuple[Price, ...]:
        """A price list answer's rows (`{"prices": [...]}`), in the service's order.

        Raises `UnexpectedResponseError` naming the JSON path of what it cannot decode.
        """
        return self.structure(data, _PriceList, http_status=http_status).prices

    def statistics_rows(
        self, data: Any, *, http_status: int | None = None
    ) -> tuple[StatisticsRow, ...]:
        """A statistics job's rows (`{"result": [...]}`), in the service's order.

        Raises `UnexpectedResponseError` naming the JSON path of what it cannot decode.
        """
        return self.structure(data, _StatisticsRows, http_status=http_status).result

    def statistics_jobs(
        self, data: Any, *, http_status: int | None = None
    ) -> tuple[StatisticsJob, ...]:
        """The statistics jobs (`{"result": [...]}`), in the service's order."""
        return self.structure(data, _StatisticsJobs, http_status=http_status).result

    # -- requests ----------------------------------------------------------------------------

    @staticmethod
    def email(
        *,
        to: Sequence[str],
        sender: str,
        subject: str | None,
        inlines: Sequence[EmailInline],
        html: str | None = None,
        text: str | None = None,
        template_id: int | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """The body of `POST /api/email/send-emails` (with `html`) or
        `.../send-template-emails` (with `template_id`): `sender` goes as `from`, `html` as
        `htmlbody`, `text` as `body`, `variables` as `template_content`."""
        body: dict[str, Any] = {"to": list(to), "from": sender}
        if subject is not None:
            body["subject"] = subject
        if template_id is not None:
            body["template_id"] = template_id
            if variables:
                body["template_content"] = dict(variables)
        else:
            body["htmlbody"] = html
            if text is not None:
                body["body"] = text
        if inlines:
            body["inlines"] = [_inline_json(inline) for inline in inlines]
        return body

    @staticmethod
    def sender_request(
        *,
        sender: str,
        country: str,
        company_code: str,
        description: str,
        purpose: str,
        site_url: str | None,
        comment: str | None,
        person_name: str | None = None,
        legal_name: str | None = None,
        tax_number: str | None = None,
        address: str | None = None,
    ) -> dict[str, Any]:
        """The body of `POST /api/senders/requests/legal` (with `legal_name`) or `.../natural`
        (with `person_name`), for an SMS sender."""
        body: dict[str, Any] = {
            "type": "sms",
            "sender": sender,
            "country_code": country,
            "code_of_company": company_code,
            "description": description,
            "informing_purpose": purpose,
        }
        if person_name is not None:
            body["name"] = person_name
        if legal_name is not None:
            # The description's properties say `legal_name` and `address`, its `required` list
            # `juridical_name` and `juridical_address`: both spellings are sent, so the request
            # is complete whichever the service reads.
            body["legal_name"] = body["juridical_name"] = legal_name
            body["address"] = body["juridical_address"] = address
            body["tax_number"] = tax_number
        if site_url is not None:
            body["site_url"] = site_url
        if comment is not None:
            body["comment"] = comment
        return body

    @staticmethod
    def short_link(
        *,
        target: str | None,
        domain_id: str | None = None,
        name: str | None = None,
        slug: str | None = None,
    ) -> dict[str, Any]:
        """The body of a short link's create (`domain_id` and `target` as `link`) or update
        (`name`, `slug`, `target` as `original_link`; only what is given)."""
        if domain_id is not None:
            return {"domain_id": domain_id, "link": target}
        return _present(name=name, slug=slug, original_link=target)

    @staticmethod
    def short_domain(
        *,
        name: str | None = None,
        slug_type: str | None = None,
        not_found_page: str | None = None,
        is_default: bool | None = None,
    ) -> dict[str, Any]:
        """The body of a short-link domain's create or update: only what is given."""
        return _present(
            name=name, slug_type=slug_type, not_found_page=not_found_page, is_default=is_default
        )

    @staticmethod
    def statistics_job(
        *,
        message_ids: Sequence[int] | None,
        created: tuple[str, str] | None,
        sent: tuple[str, str] | None,
        to: Sequence[str],
        source: str | None,
        country: str | None,
        operator: str | None,
        status: str | None,
    ) -> dict[str, Any]:
        """The body of `POST /api/stat/jobs`: by message ids (`type: message`), or by filters
        (`type: params`); times are already written on the service's clock, `to` are phone
        numbers (sent as integers, as the description types `phones`)."""
        if message_ids is not None:
            return {"type": "message", "message_id": list(message_ids)}
        body: dict[str, Any] = {"type": "params"}
        if created is not None:
            body["time_in_from"], body["time_in_to"] = created
        if sent is not None:
            body["time_sent_from"], body["time_sent_to"] = sent
        if to:
            body["phones"] = [int(number) for number in to]
        for key, value in (
            ("source", source),
            ("country", country),
            ("operator_id", operator),
            ("status", status),
        ):
            if value is not None:
                body[key] = value
        return body

    @staticmethod
    def sms_single(
        recipient: Recipient,
        *,
        text: str,
        sender: str,
        options: Mapping[str, int],
    ) -> dict[str, Any]:
        """The body of a single SMS create (`destination: phone`)."""
        return {
            "destination": "phone",
            "msisdn": recipient.to,
            "reference": recipient.reference,
            "originator": sender,
            "body": text,
            **options,
        }

    @staticmethod
    def hlr_create(recipient: Recipient, *, tariff: int | None) -> list[dict[str, Any]]:
        """The body of an HLR create: a JSON array of lookups, here one."""
        lookup: dict[str, Any] = {"msisdn": recipient.to, "reference": recipient.reference}
        if tariff is not None:
            lookup["tariff"] = tariff
        return [lookup]

    @staticmethod
    def sms_bulk(
        recipients: Sequence[Recipient],
        *,
        text: str,
        sender: str,
        options: Mapping[str, int],
    ) -> dict[str, Any]:
        """The body of a bulk SMS create (`destination: phones`), one text for all."""
        return {
            "destination": "phones",
            "phones": [{"msisdn": r.to, "reference": r.reference} for r in recipients],
            "originator": sender,
            "body": text,
            **options,
        }

    @staticmethod
    def sms_individual(
        messages: Sequence[SmsMessage], *, options: Mapping[str, int]
    ) -> dict[str, Any]:
        """The body of an individual SMS create (`destination: individual`)."""
        return {
            "destination": "individual",
            "phones": [
                {
                    "msisdn": m.to,
                    "reference": m.reference,
                    "originator": m.sender,
                    "body": m.text,
                }
                for m in messages
            ],
            **options,
        }

    @staticmethod
    def viber(messages: Sequence[ViberMessage], *, options: Mapping[str, int]) -> dict[str, Any]:
        """The body of a Viber create; the SMS fallback goes inside `options.viber`."""
        return {**options, "messages": [_viber_message(m, m.to) for m in messages]}

    @staticmethod
    def viber_to(
        template: ViberMessage, recipients: Sequence[Recipient], *, options: Mapping[str, int]
    ) -> dict[str, Any]:
        """The body of a Viber create sending `template` to `recipients` instead of its `to`.

        For a batch's chunks: the message's fields were checked once, when `template` was made.
        """
        return {**options, "messages": [_viber_message(template, recipients)]}

    @staticmethod
    def channel_message(
        to: str, reference: str, content: ChannelSend, *, callback_url: str | None
    ) -> dict[str, Any]:
        """The body of a One-API RCS or WhatsApp message to one phone (`phone.number`,
        `reference_id`)."""
        return _one_phone(to, reference, _send_fields(content), callback_url)

    @staticmethod
    def channel_campaign(
        phones: Sequence[tuple[str, str]], content: ChannelSend, *, start_at: str | None
    ) -> dict[str, Any]:
        """The body of a One-API RCS or WhatsApp campaign to `(number, reference)` phones
        (`phones`)."""
        return _phones(phones, _send_fields(content), start_at)

    @staticmethod
    def rcs_contact_lists(
        contact_lists: Sequence[int], content: RcsSendFields, *, start_at: str | None
    ) -> dict[str, Any]:
        """The body of a One-API RCS campaign to contact lists (`groups` on the wire)."""
        body: dict[str, Any] = {"groups": list(contact_lists), **_rcs(content)}
        if start_at is not None:
            body["start_at"] = start_at
        return body

    # -- the account's data (contacts, contact lists, fields, stop list) --------------------

    @staticmethod
    def contact(
        phone: str, *, fields: Mapping[int, str] | None, contact_lists: Sequence[int] | None
    ) -> dict[str, Any]:
        """The body of a contact create or update: `phone` as the integer the schema says,
        custom values as `[{"id", "value"}]`, the lists as `groups` (ids)."""
        body: dict[str, Any] = {"phone": int(phone)}
        if fields is not None:
            body["fields"] = [{"id": key, "value": value} for key, value in fields.items()]
        if contact_lists is not None:
            body["groups"] = list(contact_lists)
        return body

    @staticmethod
    def contact_list(
        name: str, *, description: str | None, is_default: bool | None
    ) -> dict[str, Any]:
        """The body of a contact-list create or update."""
        return {"name": name, **_present(description=description, default=is_default)}

    @staticmethod
    def contact_field(
        *,
        name: str | None,
        type: ContactFieldType | None,
        description: str | None,
        is_visible: bool | None,
    ) -> dict[str, Any]:
        """The body of a custom field create or update: the fields given."""
        return _present(
            name=name,
            type=None if type is None else type.value,
            description=description,
            is_visible=is_visible,
        )

    @staticmethod
    def membership(contacts: Sequence[int], contact_lists: Sequence[int]) -> dict[str, Any]:
        """The body of an attach or detach of contacts to or from contact lists."""
        return {"contacts": list(contacts), "groups": list(contact_lists)}

    @staticmethod
    def stop_list_add(phones: Sequence[str], channels: Sequence[str]) -> dict[str, Any]:
        """The body of a stop-list add: the phones as the integers the schema says."""
        return {"phones": [int(phone) for phone in phones], "types": list(channels)}

    @staticmethod
    def stop_list_remove(ids: Sequence[int], channels: Sequence[str]) -> dict[str, Any]:
        """The body of a stop-list remove: entry ids and the stop lists to take them off."""
        return {"ids": list(ids), "types": list(channels)}

    def search_params(
        self,
        criteria: Sequence[SearchCriterion],
        names: Mapping[str, str],
        *,
        sort: str | None,
        descending: bool,
    ) -> dict[str, str | int]:
        """The query of a One-API search: one criterion as `search[field|operator|value]`,
        several as `search_fields[i][...]`; `sort` and `way`. `names` maps the SDK's field
        names to the wire's (a custom field id is sent as its digits)."""
        params: dict[str, str | int] = {}
        for index, criterion in enumerate(criteria):
            prefix = "search" if len(criteria) == 1 else f"search_fields[{index}]"
            field = criterion.field
            params[f"{prefix}[field]"] = str(field) if isinstance(field, int) else names[field]
            params[f"{prefix}[operator]"] = criterion.operator.value
            value = criterion.value
            if isinstance(value, datetime):
                value = rules.service_time(value, "value", self.zone).strftime(_TIME_FORMAT)
            params[f"{prefix}[value]"] = str(value)
        if sort is not None:
            params["sort"] = names[sort]
        params["way"] = "desc" if descending else "asc"
        return params

    @staticmethod
    def universal_message(
        number: str,
        reference: str,
        channels: Sequence[MessageChannel],
        options: UniversalOptions,
    ) -> dict[str, Any]:
        """The body of a One-API universal send: one phone, its chain of channels (each
        channel's content under its name), and the options given."""
        fields = _chain_json(channels)
        fields.update(_given(options, _UNIVERSAL_OPTIONS))
        fields.update(options.validity)
        if options.dry_run:
            fields["dry_run"] = True
        return _one_phone(number, reference, fields, options.callback_url)

    # -- One-API campaigns: SMS, Viber, any channel, price -----------------------------------

    @staticmethod
    def sms_campaign(
        target: CampaignTarget, content: SmsChannel, *, options: CampaignOptions
    ) -> dict[str, Any]:
        """The body of a One-API SMS campaign (`sms/send`: phone numbers as integers, as the
        description types them; `sms/send-groups`: `groups`), with its `short_links`."""
        body = _target(target, numbers=int)
        body["sender"], body["text"] = content.sender, content.text
        if content.short_links:
            body["short_links"] = [_short_link_json(link) for link in content.short_links]
        body.update(_campaign_options(options))
        return body

    @staticmethod
    def sms_campaign_individual(
        messages: Sequence[tuple[str, str, str, str, int | None]],
        options: CampaignOptions,
        *,
        transliterate: bool | None = None,
    ) -> dict[str, Any]:
        """The body of `sms/send-individual` from `(number, reference_id, text, sender,
        tariff)` (a message's own `tariff_code` where its tariff is not `None`); the
        description has `transliterate` on each message only, so it is written on each."""
        items = []
        for number, ref, text, sender, tariff in messages:
            item: dict[str, Any] = {
                "phone": int(number),
                "text": text,
                "sender": sender,
                "reference_id": ref,
            }
            if tariff is not None:
                item["tariff_code"] = tariff
            if transliterate is not None:
                item["transliterate"] = transliterate
            items.append(item)
        return {"messages": items, **_campaign_options(options)}

    @staticmethod
    def viber_campaign(
        phones: Sequence[tuple[str, str]],
        content: ViberChannel,
        sms_fallback: tuple[SmsFallback | None, Mapping[str, int]],
        *,
        options: CampaignOptions,
    ) -> dict[str, Any]:
        """The body of a One-API Viber campaign (`viber/send`); `sms_fallback` is the fallback
        and its validity field, as `_campaign_args.sms_fallback` checked them."""
        body = _target(CampaignTarget(phones=tuple(phones)), numbers=str)
        body.update(_channel_json(content))
        body.update(_alternative_channel(*sms_fallback))
        body.update(_campaign_options(options))
        return body

    @staticmethod
    def campaign(
        target: CampaignTarget,
        channels: Sequence[MessageChannel],
        options: CampaignOptions,
        *,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """The body of the any-channel campaign (`campaigns/send`): `channels` by priority,
        each channel's content under its name, the recipients under `recipients`, and
        `dry_run` when the request is only to be checked."""
        body = _chain_json(channels)
        body["recipients"] = _target(target, numbers=str)
        body.update(_campaign_options(options))
        if dry_run:
            body["dry_run"] = True
        return body

    @staticmethod
    def campaign_price(
        target: CampaignTarget, *, text: str, sender: str, tariff: int | None
    ) -> dict[str, Any]:
        """The body of `campaigns/price`: `messages` of integer phones, or `groups`."""
        body: dict[str, Any] = {"sender": sender, "text": text}
        if target.contact_lists:
            body["groups"] = list(target.contact_lists)
        else:
            body["messages"] = [{"phone": int(number)} for number, _ in target.phones]
        if tariff is not None:
            body["tariff_code"] = tariff
        return body


# -- send answers ------------------------------------------------------------------------------
# The one decoder of the answers to sends: one per recipient of every batch, so it is written
# out by hand (a value of the usual type is taken as it is, any other goes through the same
# hook as everywhere else) rather than through cattrs' per-field dispatch. What it cannot
# decode it names by JSON path, as the converter does.


def send_batch(data: Any, http_status: int | None = None) -> WireBatch:
    """A multi-recipient send answer: `result` (absent, `null` or `{}` mean none), `task_id`,
    `total_price` (or `totalprice`) and `currency`. Raises `UnexpectedResponseError`."""
    if type(data) is not dict and not isinstance(data, Mapping):
        raise _send_answer_error("expected a JSON object", "$", http_status)
    result = data.get("result")
    if type(result) is list:
        entries = send_entries(result, http_status)
    else:
        try:
            entries = tuple(_entries(result, None))
        except TypeError as exc:
            raise _send_answer_error(str(exc), "$.result", http_status) from None
        if entries:  # pragma: no cover - `_entries` gives a list or nothing
            raise _send_answer_error("expected a JSON list", "$.result", http_status)
    total_key = "total_price" if "total_price" in data else "totalprice"
    field = "task_id"
    try:
        task_id = data.get("task_id")
        if task_id is not None:
            task_id = _int(task_id)
        field = total_key
        total = data.get(total_key)
        if total is not None:
            total = _decimal(total)
        field = "currency"
        currency = data.get("currency")
        if currency is not None and type(currency) is not str:
            currency = _str(currency)
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise _send_answer_error(str(exc), f"$.{field}", http_status) from None
    return WireBatch(entries, task_id, total, currency)


def send_entry(item: Any, path: str = "$", http_status: int | None = None) -> WireEntry:
    """One entry of a single send's answer, found at the JSON `path` (see `send_entries`)."""
    return send_entries((item,), http_status, path)[0]


def send_entries(
    items: Sequence[Any], http_status: int | None = None, path: str | None = None
) -> tuple[WireEntry, ...]:
    """The entries of a send answer's `result` (`reference`, `error`, `errorDescription`, `id`,
    `price`, `currency`, `msisdn` each), in one loop: this runs once per recipient of every
    send. Raises `UnexpectedResponseError` naming the field's JSON path (`$.result[i].field`,
    or `path.field` when given)."""
    entries: list[WireEntry] = []
    add = entries.append
    position = 0
    field = ""
    last_price: Any = None  # the last price read (never `None` once set) and its amount
    last_amount: Decimal | None = None
    try:
        for position, item in enumerate(items):  # noqa: B007 - read by the error below
            if type(item) is not dict and not isinstance(item, Mapping):
                field = ""
                raise TypeError("expected a JSON object")
            get = item.get
            try:  # the keys every accepted entry has, read in one call
                reference, error, id_, price, currency = _USUAL_KEYS(item)
            except KeyError:  # one is absent, which means none (`error`: 0)
                reference, error, id_ = get("reference"), get("error", 0), get("id")
                price, currency = get("price"), get("currency")
                description, msisdn = get("errorDescription"), get("msisdn")
            else:  # an entry of just those five has no description or msisdn
                if len(item) > len(_USUAL_KEYS_NAMES):
                    description, msisdn = get("errorDescription"), get("msisdn")
                else:
                    description = msisdn = None
            field = "reference"
            if reference is not None and type(reference) is not str:
                reference = _str(reference)
            field = "error"
            if error != 0 or type(error) is not int:  # the usual `0` as it is
                error = 0 if error == "0" else _int(error)
            field = "errorDescription"
            if description is not None and type(description) is not str:
                description = _str(description)
            field = "id"
            if id_ is not None:
                id_ = _int(id_)
            field = "price"
            if price is not None:
                if price is last_price:
                    # The very object the previous price read was: its amount is what
                    # `_decimal` gave for it then (a price value is immutable), without the
                    # call. The decoder shares one `Decimal` per price text among entries.
                    price = last_amount
                else:  # `_decimal`; a string through its memo without the call
                    last_price = price
                    price = last_amount = _PRICES[price] if type(price) is str else _decimal(price)
            field = "currency"
            if currency is not None and type(currency) is not str:
                currency = _str(currency)
            field = "msisdn"
            if msisdn is not None and type(msisdn) is not str:
                msisdn = _str(msisdn)
            add((reference, error, description, id_, price, currency, msisdn))
    # An unusual value (even a signalling NaN, whose comparisons raise `InvalidOperation`, an
    # `ArithmeticError`) is named, never raised as it is.
    except (TypeError, ValueError, ArithmeticError) as exc:
        where = path if path is not None else f"$.result[{position}]"
        raise _send_answer_error(
            str(exc), f"{where}.{field}" if field else where, http_status
        ) from None
    return tuple(entries)


_USUAL_KEYS_NAMES = ("reference", "error", "id", "price", "currency")
_USUAL_KEYS = operator.itemgetter(*_USUAL_KEYS_NAMES)


def _send_answer_error(what: str, path: str, http_status: int | None) -> UnexpectedResponseError:
    # The service answered a send with something unreadable: it may hold the message.
    return UnexpectedResponseError(
        f"could not decode the send answer: {what} at {path}",
        http_status=http_status,
        field=path,
        may_have_been_accepted=True,
    )


_PRICES = Remembered(_parse_decimal)  # amounts by their text, parsed once each


def _viber_message(message: ViberMessage, to: Sequence[Recipient]) -> dict[str, Any]:
    viber: dict[str, Any] = {}
    if message.image_url is not None:
        viber["img"] = message.image_url
    if message.button_caption is not None:
        viber["caption"] = message.button_caption
    if message.button_url is not None:
        viber["action"] = message.button_url
    if message.sms_fallback is not None:
        viber["alt_route"] = {
            "originator": message.sms_fallback.sender,
            "text": message.sms_fallback.text,
        }
    out: dict[str, Any] = {
        "to": [{"msisdn": r.to, "reference": r.reference} for r in to],
        "text": message.text,
        "alpha_name": message.sender,
        "is_promotional": message.is_promotional,
    }
    if viber:
        out["options"] = {"viber": viber}
    return out


def _none_or_list(
    hook: Callable[[Any, Any], tuple[T, ...]],
) -> Callable[[Any, Any], tuple[T, ...]]:
    def structure(value: Any, type_: Any) -> tuple[T, ...]:
        return hook(_entries(value, type_), type_)

    return structure


def _use_wire_names(exc: cattrs.ClassValidationError, wire_names: Mapping[str, str]) -> None:
    """Rename the attribute notes of `exc` from Python names to the JSON keys they came from."""
    if not wire_names:
        return
    for inner in exc.exceptions:
        inner.__notes__ = [
            AttributeValidationNote(str(note), wire_names[note.name], note.type)
            if isinstance(note, AttributeValidationNote) and note.name in wire_names
            else note
            for note in getattr(inner, "__notes__", ())
        ]


def _bool(value: Any, _: Any = None) -> bool:
    """A JSON boolean; `0`/`1` and `"true"`/`"false"` too (never `bool("false")`)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise TypeError("expected true or false")


def _object_or_none(conv: cattrs.Converter, cls: type[T]) -> Callable[[Any, Any], T | None]:
    """A nested object where `null`, `[]` and `{}` mean "none" (PHP encodes an empty
    object as `[]`, so `alternative_channels: []` arrives where the schema says object)."""

    def structure(value: Any, _: Any) -> T | None:
        if value is None or (isinstance(value, list | Mapping) and not value):
            return None
        return conv.structure(value, cls)

    return structure


def _amount_hook(conv: cattrs.Converter) -> Callable[[Any, Any], Amount | None]:
    """`{"value", "currency"}`, or (liberally) a bare number or numeric string."""
    empty = _object_or_none(conv, Amount)

    def structure(value: Any, type_: Any) -> Amount | None:
        if isinstance(value, Decimal | int | str) and not isinstance(value, bool):
            return Amount(value=_decimal(value))
        return empty(value, type_)

    return structure


def _ids(hook: Callable[[Any, Any], tuple[int, ...]]) -> Callable[[Any, Any], tuple[int, ...]]:
    """A list of ids, or (liberally) one id or `null`."""

    def structure(value: Any, type_: Any) -> tuple[int, ...]:
        if value is None:
            return ()
        return hook(value if isinstance(value, list) else [value], type_)

    return structure


def _field_values_hook(value: Any, _: Any) -> Mapping[int, str]:
    """A contact's custom values by field id: `{"388077": "Zufafa"}`; `[]`, `{}` and `null`
    for none; (liberally) a list of such objects or of `{"id", "value"}` pairs."""
    if value is None:
        return {}
    objects = value if isinstance(value, list) else [value]
    found: dict[int, str] = {}
    for item in objects:
        item = _mapping(item)
        if "id" in item and "value" in item:
            item = {item["id"]: item["value"]}
        for key, text in item.items():
            found[_int(key)] = _str(text)
    return found


def _is(expected: Any, candidate: Any) -> bool:
    try:
        return bool(candidate == expected)
    except TypeError:  # pragma: no cover - exotic typing objects
        return False


def _decoding_error(
    exc: Exception, cls: type[Any], http_status: int | None, send: bool
) -> UnexpectedResponseError:
    if isinstance(exc, cattrs.BaseValidationError):
        problems = cattrs.transform_error(exc, path="$")
    else:
        problems = [f"{exc} @ $"]
    first = problems[0] if problems else "undecodable value @ $"
    what, _, path = first.rpartition(" @ ")
    return UnexpectedResponseError(
        f"could not decode {cls.__name__} from the answer: {what or first} at {path}",
        http_status=http_status,
        field=path or None,
        may_have_been_accepted=send,
    )


@functools.lru_cache(maxsize=16)
def wire(zone: tzinfo | None = None) -> Wire:
    """The shared `Wire` for a time zone (`None`: naive times, the service's own zone)."""
    return Wire(zone)


def _inline_json(inline: EmailInline) -> dict[str, str]:
    # The description's Inline schema names the type `contentType`, but its `required` list
    # and every request example say `content_type`: sent as the examples do.
    return {
        "name": inline.name,
        "cid": inline.cid,
        "content_type": inline.content_type,
        "content": base64.b64encode(inline.content).decode("ascii"),
    }


ChannelSend = RcsSendFields | WhatsAppContent
"""What a One-API RCS or WhatsApp send carries besides its phones, checked."""


def _send_fields(content: ChannelSend) -> dict[str, Any]:
    """The fields of an RCS or WhatsApp send, in wire form."""
    return _rcs(content) if isinstance(content, RcsSendFields) else _whatsapp(content)


def _rcs(content: RcsSendFields) -> dict[str, Any]:
    """The fields every RCS send shares, in wire form."""
    fields: dict[str, Any] = {"sender": content.sender, "options": _options_json(content.options)}
    fields.update(_alternative_channel(content.sms_fallback, content.fallback_validity))
    fields.update(_given(content, _SEND_OPTIONS))
    fields.update(content.validity)
    return fields


# -- One-API request values ----------------------------------------------------------------------


def _target(target: CampaignTarget, *, numbers: Callable[[str], Any]) -> dict[str, Any]:
    """`{"phones": [{"number", "reference_id"}]}` or `{"groups": [...]}`."""
    if target.contact_lists:
        return {"groups": list(target.contact_lists)}
    return {
        "phones": [
            {"number": numbers(number), "reference_id": ref} for number, ref in target.phones
        ]
    }


def _campaign_options(options: CampaignOptions) -> dict[str, Any]:
    """The optional campaign fields given, by their wire names."""
    return _given(options, _CAMPAIGN_OPTIONS)


def _options_json(options: RcsOptions) -> dict[str, Any]:
    if options.text is not None:
        return {"text": options.text}
    return {"cards": [_card_json(card) for card in options.cards]}


def _card_json(card: RcsCard) -> dict[str, Any]:
    out = _given(card, _names("title", "text"))
    if card.media_url is not None:
        out["media"] = {"url": card.media_url}
    if card.suggestions:
        out["suggestions"] = [_suggestion_json(s) for s in card.suggestions]
    return out


def _suggestion_json(suggestion: RcsSuggestion) -> dict[str, Any]:
    out: dict[str, Any]
    if isinstance(suggestion, LinkSuggestion):
        out = {"type": "link", "text": suggestion.text, "url": suggestion.url}
    else:
        out = {"type": "call", "text": suggestion.text, "phone": suggestion.phone}
    if suggestion.postback_data is not None:
        out["postback_data"] = suggestion.postback_data
    return out


def _fallback_json(fallback: SmsFallback, validity: Mapping[str, int]) -> Mapping[str, Any]:
    out: dict[str, Any] = {"text": fallback.text, "sender": fallback.sender}
    out.update(validity)
    if fallback.check_stop_list is not None:
        out["check_stop_list"] = fallback.check_stop_list
    return out


def _one_phone(
    number: str, reference: str, fields: Mapping[str, Any], callback_url: str | None
) -> dict[str, Any]:
    """A One-API single send's body: `phone` (`number`, `reference_id`), the channel's
    `fields`, and the `callback_url` if given."""
    body = {"phone": {"number": number, "reference_id": reference}, **fields}
    if callback_url is not None:
        body["callback_url"] = callback_url
    return body


def _phones(
    phones: Sequence[tuple[str, str]], fields: Mapping[str, Any], start_at: str | None
) -> dict[str, Any]:
    """A One-API campaign's body: `phones` from `(number, reference)` pairs, the channel's
    `fields`, and `start_at` if given."""
    body = {
        "phones": [{"number": number, "reference_id": ref} for number, ref in phones],
        **fields,
    }
    if start_at is not None:
        body["start_at"] = start_at
    return body


def _whatsapp(content: WhatsAppContent) -> dict[str, Any]:
    """The fields every WhatsApp send shares, in wire form (`type` is always `template`, the
    only type the service has)."""
    fields: dict[str, Any] = {
        "sender": content.sender,
        "type": "template",
        "template": _template_json(content.template),
    }
    fields.update(_alternative_channel(content.sms_fallback, content.fallback_validity))
    fields.update(_given(content, _SEND_FLAGS))
    return fields


def _template_json(template: WhatsAppTemplate) -> dict[str, Any]:
    components = []
    for component in template.components:
        out: dict[str, Any] = {"type": component.type}
        if component.sub_type is not None:
            out["sub_type"] = component.sub_type
        if component.index is not None:
            out["index"] = str(component.index)
        out["parameters"] = [
            {"type": "text", "text": p.text}
            if p.text is not None
            else {"type": "payload", "payload": p.payload}
            for p in component.parameters
        ]
        components.append(out)
    return {
        "name": template.name,
        "language": {"code": template.language},
        "components": components,
    }


def _channel_name(channel: MessageChannel) -> str:
    """The wire's name of a channel (`"sms"`, `"viber"`, `"rcs"`, `"voice"`, `"telegram"`)."""
    return _CHANNELS[type(channel)][0]


def _chain_json(channels: Sequence[MessageChannel]) -> dict[str, Any]:
    """A chain of channels by priority (`channels`: their names), each channel's content
    under its name: the part a universal send and an any-channel campaign share."""
    fields: dict[str, Any] = {"channels": [_channel_name(channel) for channel in channels]}
    for channel in channels:
        fields[_channel_name(channel)] = _channel_json(channel)
    return fields


def _channel_json(channel: MessageChannel) -> dict[str, Any]:
    """One channel's content object (`sms`, `viber`, ... of a universal send or an
    any-channel campaign; the top-level fields of a Viber campaign): its fields that are not
    `None`, by their wire names, and an RCS message's text or cards, an SMS's short links."""
    out = _given(channel, _CHANNELS[type(channel)][1])
    if isinstance(channel, RcsChannel):
        out.update(_options_json(channel.options))
    elif isinstance(channel, SmsChannel) and channel.short_links:
        out["short_links"] = [_short_link_json(link) for link in channel.short_links]
    return out


def _names(*names: str, **renamed: str) -> dict[str, str]:
    """Field name -> wire name: `names` as they are, `renamed` to their wire names."""
    return {**{name: name for name in names}, **renamed}


def _present(**fields: Any) -> dict[str, Any]:
    """The fields given (not `None`), in the order written: a body's optional fields."""
    return {name: value for name, value in fields.items() if value is not None}


def _given(value: object, names: Mapping[str, str]) -> dict[str, Any]:
    """The fields of `value` named in `names` that are not `None`, by their wire names."""
    return {
        wire_name: field
        for name, wire_name in names.items()
        if (field := getattr(value, name)) is not None
    }


def _alternative_channel(
    fallback: SmsFallback | None, validity: Mapping[str, int]
) -> dict[str, Any]:
    """The SMS fallback of a One-API send (`alternative_channel.sms`), or nothing."""
    if fallback is None:
        return {}
    return {"alternative_channel": {"sms": _fallback_json(fallback, validity)}}


# The optional fields of One-API sends that are written as they are (or renamed) when given.
_SEND_FLAGS = _names("add_to_contact_book", "check_stop_list")
_SEND_OPTIONS = _names("add_to_contact_book", "check_stop_list", tariff="tariff_code")
_UNIVERSAL_OPTIONS = _names("respect_curfew", **_SEND_OPTIONS)
_CAMPAIGN_OPTIONS = _names(
    "start_at",
    "validity",
    "add_to_contact_book",
    "check_stop_list",
    "transliterate",
    "callback_url",
    tariff="tariff_code",
)


# Each channel's wire name and its plain fields. A Viber button has both parts or none (the
# model's rule), its link sent as `link_url`.
_CHANNELS: Mapping[type[Any], tuple[str, Mapping[str, str]]] = {
    SmsChannel: ("sms", _names("sender", "text", "transliterate", "unsubscribe_caption")),
    ViberChannel: (
        "viber",
        _names("sender", "text", "image_url", "button_caption", button_url="link_url"),
    ),
    RcsChannel: ("rcs", _names("sender")),
    VoiceChannel: ("voice", _names("text", "category", "sender", "voice", language="lang")),
    TelegramChannel: ("telegram", _names("text", "sender")),
}


def _short_link_json(link: SmsShortLink) -> dict[str, Any]:
    """A short link of an SMS, as the description's `ShortLink` object."""
    out: dict[str, Any] = {
        "link": link.target,
        "placeholder": link.placeholder,
        "domain_ids": list(link.domain_ids),
    }
    out.update(_given(link, _names("change_domain_after", with_protocol="protocol")))
    return out
