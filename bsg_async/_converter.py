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

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import AttributeValidationNote
from cattrs.gen import make_dict_structure_fn, override

from ._json import EXPONENT_LIMIT, INTEGER_DIGITS, Remembered, in_range
from .errors import UnexpectedResponseError
from .models import (
    FallbackSms,
    Recipient,
    Sent,
    SmsMessage,
    SmsReport,
    SmsTask,
    ViberMessage,
    ViberReport,
)
from .models._status import StatusEnum
from .models.one_api import (
    AlternativeChannelInfo,
    AlternativeChannels,
    Amount,
    Balance,
    Campaign,
    CampaignDetail,
    CampaignStatistics,
    CampaignStatus,
    MessageInfo,
    OneApiMessage,
    OneApiMessageStatus,
    Tariff,
)
from .models.rcs_report import RcsClick, RcsReport, RcsStatus
from .models.sms import SmsStatus
from .models.viber import ViberStatus

__all__ = [
    "Wire",
    "WireBatch",
    "WireEntry",
    "count_from",
    "sent_in_order",
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


# The two `Wire*` classes are internal and never changed after decoding: not frozen, because
# a frozen attrs class costs three times as much to build, and one is built per recipient.
@attrs.define
class WireEntry:
    """One entry of a send answer's `result`, before it becomes a recipient's outcome."""

    reference: str | None = None
    error: int = 0
    error_description: str | None = None
    id: int | None = None
    price: Decimal | None = None
    currency: str | None = None
    msisdn: str | None = None


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


def _status_hook(enum: type[StatusEnum]) -> Callable[[Any, Any], StatusEnum | str]:
    def structure(value: Any, _: Any) -> StatusEnum | str:
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
        for enum in (SmsStatus, ViberStatus, RcsStatus, CampaignStatus, OneApiMessageStatus):
            conv.register_structure_hook_func(
                functools.partial(_is, enum | str), _status_hook(enum)
            )

        # `result` and `alt_route` may be absent or null: both mean "none"; any other non-list
        # is refused. Registered before the classes, whose structuring functions bind their
        # field hooks when they are built; cattrs' own tuple hook keeps the `[index]` paths.
        for many in (tuple[WireEntry, ...], tuple[FallbackSms, ...]):
            conv.register_structure_hook_func(
                functools.partial(_is, many), _none_or_list(conv.get_structure_hook(many))
            )
        self._register(WireEntry, error_description=override(rename="errorDescription"))
        self._register(WireBatch, aliases={"totalprice": "total_price"})
        self._register(SmsReport)
        self._register(SmsTask, aliases={"totalprice": "total_price"})
        self._register(FallbackSms)
        self._register(ViberReport, fallback=override(rename="alt_route"))
        self._register(RcsReport, error_description=override(rename="errorDescription"))
        self._register(RcsClick)
        self._register_one_api()

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
        self._register(MessageInfo)
        self._register(OneApiMessage)
        self._register(Campaign, aliases=campaign_aliases)
        self._register(CampaignDetail, aliases=campaign_aliases)
        self._register(Balance)
        self._register(Tariff)

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

    def structure(self, value: Any, cls: type[T], *, http_status: int | None = None) -> T:
        """Decode `value` into `cls`, or raise `UnexpectedResponseError` naming the path."""
        try:
            return self._converter.structure(value, cls)
        except Exception as exc:  # cattrs raises exception groups and plain hook errors alike
            raise _decoding_error(exc, cls, http_status) from None

    # -- answers -----------------------------------------------------------------------------

    def single_entry(self, data: Any, *, http_status: int | None = None) -> WireEntry:
        """A single-send answer: flat, or wrapped in `result` (an object or a one-item list)."""
        if isinstance(data, Mapping) and "result" in data:
            inner = data["result"]
            if isinstance(inner, list) and len(inner) == 1:
                inner = inner[0]
            if isinstance(inner, Mapping):
                data = inner
        return self.structure(data, WireEntry, http_status=http_status)

    def batch(self, data: Any, *, http_status: int | None = None) -> WireBatch:
        """A multi-recipient send answer with its per-recipient `result` list."""
        try:
            return _fast_batch(data)
        except Exception:  # anything unusual: the converter decodes it or names the bad path
            return self.structure(data, WireBatch, http_status=http_status)

    # -- requests ----------------------------------------------------------------------------

    @staticmethod
    def sms_single(
        recipient: Recipient,
        *,
        body: str,
        originator: str,
        options: Mapping[str, int],
    ) -> dict[str, Any]:
        """The body of a single SMS create (`destination: phone`)."""
        return {
            "destination": "phone",
            "msisdn": recipient.msisdn,
            "reference": recipient.reference,
            "originator": originator,
            "body": body,
            **options,
        }

    @staticmethod
    def sms_bulk(
        recipients: Sequence[Recipient],
        *,
        body: str,
        originator: str,
        options: Mapping[str, int],
    ) -> dict[str, Any]:
        """The body of a bulk SMS create (`destination: phones`), one text for all."""
        return {
            "destination": "phones",
            "phones": [{"msisdn": r.msisdn, "reference": r.reference} for r in recipients],
            "originator": originator,
            "body": body,
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
                    "msisdn": m.msisdn,
                    "reference": m.reference,
                    "originator": m.originator,
                    "body": m.body,
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


def _fast_batch(data: Any) -> WireBatch:
    """`WireBatch` for the common, well-formed answer, decoded without cattrs' per-field
    dispatch (this runs once per recipient of every send). Gives exactly what the converter
    gives for such an answer, and raises for anything else so the converter takes over."""
    if type(data) is not dict:
        raise TypeError("not a JSON object")
    result = data.get("result")
    if result is None:
        entries: tuple[WireEntry, ...] = ()
    elif type(result) is list:
        entries = tuple(map(_fast_entry, result))
    else:
        raise TypeError("result is not a list")
    return _fast_totals(data, entries)


def _fast_totals(data: dict[str, Any], entries: tuple[WireEntry, ...]) -> WireBatch:
    """The answer's task id, total price and currency (raises if one is unusual), with
    `entries` as its `result`."""
    total = data["total_price"] if "total_price" in data else data.get("totalprice")
    task_id = data.get("task_id")
    currency = data.get("currency")
    return WireBatch(
        entries,
        None if task_id is None else _int(task_id),
        None if total is None else _decimal(total),
        None if currency is None else _str(currency),
    )


def sent_in_order(
    data: Any, chunk: Sequence[tuple[int, Recipient]]
) -> tuple[list[Sent], WireBatch] | None:
    """Every recipient of `chunk` as `Sent`, when the answer `data` accepted them all, in order.

    The common answer to a batch's request, decoded in one pass without a `WireEntry` per
    recipient: one well-formed entry per recipient, in the request's order, each carrying the
    recipient's reference, no error code and a message id. `None` for any other answer, which
    the caller then decodes entry by entry (`Wire.batch`). The references of `chunk` are unique
    (every send checks), so matching by position is matching by reference; for the answers it
    takes, this gives exactly the outcomes the entry-by-entry way gives (a property test holds
    the two together). The `WireBatch` carries the answer's totals; its `result` is left empty.
    """
    if type(data) is not dict:
        return None
    result = data.get("result")
    if type(result) is not list or len(result) != len(chunk):
        return None
    sent: list[Sent] = []
    add, make = sent.append, Sent._checked
    try:
        totals = _fast_totals(data, ())
        default_currency = totals.currency
        for (index, recipient), item in zip(chunk, result, strict=True):
            if type(item) is not dict:
                return None
            get = item.get
            error, id_, price, currency = get("error", 0), get("id"), get("price"), get("currency")
            msisdn, description = get("msisdn"), get("errorDescription")
            if (
                get("reference") != recipient.reference
                or (error != "0" and (error != 0 or type(error) is not int))
                or id_ is None
                or not (currency is None or type(currency) is str)
                or not (msisdn is None or type(msisdn) is str)
                or not (description is None or type(description) is str)
            ):
                return None
            add(
                make(
                    index,
                    recipient,
                    _fast_id(id_),
                    None if price is None else _fast_price(price),
                    currency or default_currency,
                )
            )
    # An unusual value (even a signalling NaN, whose comparisons raise `InvalidOperation`, an
    # `ArithmeticError`): the entry-by-entry way reports it.
    except (TypeError, ValueError, ArithmeticError):
        return None
    return sent, totals


def _fast_entry(item: Any) -> WireEntry:
    if type(item) is not dict:
        raise TypeError("not a JSON object")
    get = item.get
    reference, error, description = get("reference"), get("error", 0), get("errorDescription")
    id_, price, currency, msisdn = get("id"), get("price"), get("currency"), get("msisdn")
    # A value of the usual type is taken as it is; any other goes through the converter's hook.
    return WireEntry(
        reference if reference is None or type(reference) is str else _str(reference),
        0 if error == "0" else _int(error),
        description if description is None or type(description) is str else _str(description),
        None if id_ is None else _fast_id(id_),
        None if price is None else _fast_price(price),
        currency if currency is None or type(currency) is str else _str(currency),
        msisdn if msisdn is None or type(msisdn) is str else _str(msisdn),
    )


def _fast_id(value: Any) -> int:
    """`_int(value)`, quicker for the usual id: a short string of ASCII digits."""
    if type(value) is str and value.isdigit() and value.isascii() and len(value) <= 30:
        return int(value)
    return _int(value)


def _fast_price(value: Any) -> Decimal:
    """`_decimal(value)`, quicker for the usual prices: a JSON number, parsed as a `Decimal`,
    or one of the few strings a campaign's prices are spelt with (remembered once parsed)."""
    if type(value) is Decimal and value.is_finite():
        return value
    if type(value) is str:
        return _PRICES[value]
    return _decimal(value)


_PRICES = Remembered(_decimal)  # price strings, checked by `_decimal`


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
            "originator": message.sms_fallback.originator,
            "text": message.sms_fallback.text,
        }
    out: dict[str, Any] = {
        "to": [{"msisdn": r.msisdn, "reference": r.reference} for r in to],
        "text": message.text,
        "alpha_name": message.alpha_name,
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


def _is(expected: Any, candidate: Any) -> bool:
    try:
        return bool(candidate == expected)
    except TypeError:  # pragma: no cover - exotic typing objects
        return False


def _decoding_error(exc: Exception, cls: type[Any], http_status: int | None) -> Exception:
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
    )


@functools.lru_cache(maxsize=16)
def wire(zone: tzinfo | None = None) -> Wire:
    """The shared `Wire` for a time zone (`None`: naive times, the service's own zone)."""
    return Wire(zone)
