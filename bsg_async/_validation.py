"""The documented field rules, checked before any byte goes to the network.

Each check returns the value to send (normalised where the rule allows, such as a stripped
leading `+`) or raises `InvalidParameterError` naming the field and the value. Pure functions:
no I/O, so models and hypothesis tests can use them freely.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import urlsplit

from .errors import InvalidParameterError

REFERENCE_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
ONE_API_REFERENCE_RE = re.compile(r"[A-Za-z0-9]{1,32}")
SMS_SENDER_DIGITS_RE = re.compile(r"[0-9]{1,15}")
SMS_SENDER_NAME_RE = re.compile(r"[\x20-\x7e]{1,11}")
OTP_CODE_RE = re.compile(r"[0-9]{3,9}")
UUID_RE = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")
EMAIL_RE = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+")
EMAIL_SENDER_RE = re.compile(r"(?:[^<>\r\n]*<([^<>]+)>|([^<>\s]+))")

ORIGINATOR_MAX = 14
VIBER_TEXT_MAX = 1000
SMS_VALIDITY_HOURS = (1, 72)
VIBER_VALIDITY_SECONDS = (15, 86_400)
TARIFF_RANGE = (0, 9)
VIBER_MAX_RECIPIENTS = 50

ONE_API_PHONE_MIN_DIGITS = 9
ONE_API_VALIDITY_HOURS = (1, 72)
ONE_API_VALIDITY_SECONDS = (30, 86_400)
ONE_API_TARIFFS = (0, 2**63 - 1)
START_AT_MAX_AHEAD = timedelta(days=30)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def new_reference() -> str:
    """A fresh reference: 32 hex characters (128 random bits), letters and digits only."""
    return os.urandom(16).hex()  # what uuid4().hex carries, without building a UUID


def new_references(per_read: int = 256) -> Iterator[str]:
    """Fresh references without end, each like `new_reference()`'s, read `per_read` at a time.

    For batches: one read of the OS's random source per reference costs more than all the rest
    of fixing it. Make one iterator per batch (never share it across processes).
    """
    return itertools.chain.from_iterable(_reference_blocks(per_read))


def _reference_blocks(per_read: int) -> Iterator[list[str]]:
    # Lists handed to `chain`: taking the next reference is then a C call, not a generator's.
    while True:
        block = os.urandom(16 * per_read).hex()
        yield [block[start : start + 32] for start in range(0, len(block), 32)]


def is_credential(value: object) -> bool:
    """Whether `value` can travel as a key or token in a header: printable ASCII, no spaces,
    not empty.

    Anything else (a control character above all) would be refused by the HTTP library when
    the request is written, differently on each backend, or smuggle in another header.
    """
    return (
        isinstance(value, str)
        and value != ""
        and value.isascii()
        and value.isprintable()
        and " " not in value
    )


def msisdn(value: object, field: str = "to", *, min_digits: int = 7) -> str:
    """A phone number in international format: `min_digits` (7 on the legacy API, 9 on the
    One-API) to 15 digits; one leading `+` is stripped. The one phone-number rule of the SDK:
    each endpoint's differences are its arguments."""
    if isinstance(value, str):
        digits = value[1:] if value[:1] == "+" else value
        # `[0-9]{7,15}` without a regex (this runs once per recipient of every batch):
        # `isdigit` alone would also take other scripts' digits, `isascii` rules them out.
        if min_digits <= len(digits) <= 15 and digits.isdigit() and digits.isascii():
            return digits
    raise InvalidParameterError(
        field,
        value,
        f"expected {min_digits} to 15 digits in international format, without spaces",
    )


def reference(value: object, field: str = "reference", *, one_api: bool = False) -> str:
    """A caller's reference: 1 to 32 characters from `[A-Za-z0-9_-]`; on the One-API
    (`one_api=True`, sent as `reference_id`) letters and digits only."""
    pattern = ONE_API_REFERENCE_RE if one_api else REFERENCE_RE
    if isinstance(value, str) and pattern.fullmatch(value):
        return value
    allowed = "letters and digits" if one_api else "characters from [A-Za-z0-9_-]"
    raise InvalidParameterError(field, value, f"expected 1 to 32 {allowed}")


def optional_reference(
    value: object, field: str = "reference", *, one_api: bool = False
) -> str | None:
    """`None`, or a valid reference (see `reference`)."""
    return None if value is None else reference(value, field, one_api=one_api)


def text(value: object, field: str, *, max_length: int | None = None, min_length: int = 1) -> str:
    """A non-blank string of at least `min_length` characters, and at most `max_length` when
    a limit is documented."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(field, value, "must be a non-empty string")
    if len(value) < min_length:
        raise InvalidParameterError(
            field, value, f"must be at least {min_length} characters, got {len(value)}"
        )
    if max_length is not None and len(value) > max_length:
        raise InvalidParameterError(
            field, value, f"must be at most {max_length} characters, got {len(value)}"
        )
    return value


def optional_text(
    value: object, field: str, *, max_length: int | None = None, min_length: int = 1
) -> str | None:
    """`None`, or a valid text (see `text`): an optional field left out when `None`."""
    return (
        None if value is None else text(value, field, max_length=max_length, min_length=min_length)
    )


def sender(
    value: object,
    field: str = "sender",
    *,
    max_length: int = ORIGINATOR_MAX,
    sms: bool = False,
    min_length: int = 1,
) -> str:
    """A sender name: `min_length` (default 1) to `max_length` characters (14 on the legacy
    API, sent as `originator` or `alpha_name`). `sms=True` is the One-API SMS rule instead: up
    to 15 digits, or up to 11 Latin letters, digits, spaces or signs (2FA: at least 3)."""
    if not sms:
        return text(value, field, max_length=max_length, min_length=min_length)
    if (
        isinstance(value, str)
        and value.strip()
        and len(value) >= min_length
        and (SMS_SENDER_DIGITS_RE.fullmatch(value) or SMS_SENDER_NAME_RE.fullmatch(value))
    ):
        return value
    least = f"{min_length} to " if min_length > 1 else "up to "
    raise InvalidParameterError(
        field, value, f"expected {least}11 Latin letters or digits, or {least}15 digits"
    )


def uuid(value: object, field: str = "id") -> str:
    """A UUID the service made (`"3338470c-4647-4f8d-a503-afce21e6312a"`), as text."""
    if isinstance(value, str) and UUID_RE.fullmatch(value):
        return value
    raise InvalidParameterError(field, value, "expected a UUID like 3338470c-4647-4f8d-...")


def day(value: object, field: str) -> str:
    """A calendar day (`datetime.date`, not a `datetime`), written `yyyy-mm-dd`."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    raise InvalidParameterError(field, value, "expected a datetime.date")


def days(created_from: object, created_to: object) -> tuple[str, str]:
    """A range of calendar days, both included (`created_from` and `created_to`, each a
    `datetime.date`), written `yyyy-mm-dd`; the last may not come before the first."""
    first = day(created_from, "created_from")
    last = day(created_to, "created_to")
    if last < first:
        raise InvalidParameterError("created_to", created_to, "must not be before created_from")
    return first, last


def country_code(value: object, field: str = "country") -> str:
    """An ISO 3166-1 alpha-2 country code (`"UA"`); lower case is accepted and sent upper."""
    return iso_code(value, field, letters=2)


def email(value: object, field: str, *, max_length: int | None = None) -> str:
    """An email address (`name@example.com`): one `@`, a dotted domain, no spaces; at most
    `max_length` characters where the endpoint sets a limit."""
    address = text(value, field, max_length=max_length)
    if EMAIL_RE.fullmatch(address):
        return address
    raise InvalidParameterError(field, value, "expected an email address like name@example.com")


def email_sender(value: object, field: str = "sender") -> str:
    """An email sender: an address, or a display name and an address in angle brackets
    (`Shop <news@shop.example>`)."""
    whole = text(value, field)
    found = EMAIL_SENDER_RE.fullmatch(whole.strip())
    address = None if found is None else (found.group(1) or found.group(2))
    if address is not None and EMAIL_RE.fullmatch(address):
        return whole.strip()
    raise InvalidParameterError(
        field, value, "expected an email address, or 'Name <name@example.com>'"
    )


def integer(value: object, field: str, bounds: tuple[int, int], unit: str = "") -> int:
    """An `int` (not a `bool`) within `bounds`, both ends included."""
    low, high = bounds
    if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
        return value
    suffix = f" {unit}" if unit else ""
    raise InvalidParameterError(field, value, f"expected an integer from {low} to {high}{suffix}")


_UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600}


def duration(value: object, field: str, bounds: tuple[int, int], unit: str) -> int:
    """A `timedelta` as a whole number of `unit` (`"seconds"`, `"minutes"` or `"hours"`)
    within `bounds`, both ends included: what an endpoint sends for a validity or a TTL.

    The error names the range in the endpoint's own unit (`"from 1 to 72 hours"`). A duration
    that is not a whole number of that unit is refused rather than rounded: rounding up could
    keep a message alive longer than the caller allowed, rounding down could make it 0.
    """
    size = _UNIT_SECONDS[unit]
    low, high = bounds
    allowed = f"expected a timedelta from {low} to {high} {unit}"
    if not isinstance(value, timedelta):
        raise InvalidParameterError(field, value, allowed)
    whole, rest = divmod(value, timedelta(seconds=size))
    if rest:
        raise InvalidParameterError(field, value, f"{allowed}, a whole number of {unit}")
    if not low <= whole <= high:
        raise InvalidParameterError(field, value, allowed)
    return whole


def optional_duration(value: object, field: str, bounds: tuple[int, int], unit: str) -> int | None:
    """`None`, or a `timedelta` as a whole number of `unit` within `bounds` (see `duration`)."""
    return None if value is None else duration(value, field, bounds, unit)


def legacy_options(
    validity: object, tariff: object, validity_bounds: tuple[int, int], unit: str
) -> dict[str, int]:
    """The optional fields of a legacy create (SMS or Viber), sent only when given (`tariff=0`
    included): `validity` a `timedelta` of whole `unit`s within `validity_bounds`, `tariff`
    0 to 9."""
    options: dict[str, int] = {}
    duration = optional_duration(validity, "validity", validity_bounds, unit)
    if duration is not None:
        options["validity"] = duration
    tariff_value = optional_integer(tariff, "tariff", TARIFF_RANGE)
    if tariff_value is not None:
        options["tariff"] = tariff_value
    return options


def one_api_validity(value: object, field: str = "validity") -> dict[str, int]:
    """A One-API validity (`timedelta` or `None`) as the field to send: a whole number of
    hours from 1 to 72 as `validity` (hours), otherwise a whole number of seconds from 30 to
    86,400 as `validity_seconds`; `None` gives `{}` (the service's default, 72 hours)."""
    if value is None:
        return {}
    if isinstance(value, timedelta):
        hours, rest = divmod(value, timedelta(hours=1))
        low, high = ONE_API_VALIDITY_HOURS
        if not rest and low <= hours <= high:
            return {"validity": hours}
        seconds, rest = divmod(value, timedelta(seconds=1))
        low, high = ONE_API_VALIDITY_SECONDS
        if not rest and low <= seconds <= high:
            return {"validity_seconds": seconds}
    raise InvalidParameterError(
        field,
        value,
        "expected a timedelta of whole hours from 1 to 72 or whole seconds from 30 to 86400",
    )


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


def unique_phones(numbers: Iterable[str], field: str = "to") -> None:
    """Refuse a phone number that appears twice in one campaign."""
    seen: set[str] = set()
    for index, number in enumerate(numbers):
        if number in seen:
            raise InvalidParameterError(
                f"{field}[{index}]", number, "appears twice: campaign phones must be unique"
            )
        seen.add(number)


def period(value: object, field: str, minimum: timedelta) -> float:
    """A `timedelta` of at least `minimum` (a poll's interval or deadline), in seconds."""
    if isinstance(value, timedelta) and value >= minimum:
        return value.total_seconds()
    raise InvalidParameterError(field, value, f"expected a timedelta of at least {minimum}")


def optional_integer(
    value: object, field: str, bounds: tuple[int, int], unit: str = ""
) -> int | None:
    """`None`, or an `int` within `bounds`."""
    return None if value is None else integer(value, field, bounds, unit)


def message_id(value: object, field: str = "id") -> int:
    """A message, task or campaign id: a positive `int`."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    raise InvalidParameterError(field, value, "expected a positive integer id")


def http_url(value: object, field: str) -> str:
    """An absolute `http` or `https` URL."""
    if isinstance(value, str):
        parts = urlsplit(value)
        if parts.scheme in ("http", "https") and parts.netloc and " " not in value:
            return value
    raise InvalidParameterError(field, value, "expected an absolute http(s) URL")


def optional_http_url(value: object, field: str) -> str | None:
    """`None`, or an absolute `http` or `https` URL."""
    return None if value is None else http_url(value, field)


def boolean(value: object, field: str) -> bool:
    """A real `bool`: 0/1 and strings are refused so a typo cannot flip a flag."""
    if isinstance(value, bool):
        return value
    raise InvalidParameterError(field, value, "expected True or False")


def optional_boolean(value: object, field: str) -> bool | None:
    """`None` (left to the service's default), or a real `bool`."""
    return None if value is None else boolean(value, field)


def items(
    value: object,
    field: str,
    bounds: tuple[int, int] | None = None,
    noun: str = "items",
    *,
    kind: type[Any] | None = None,
) -> list[Any]:
    """The items of a list-like argument; `None` or a non-iterable is refused, and so is a
    count outside `bounds` when given (the error counts them in `noun`: "51 addresses"), and
    an item that is not a `kind` when given (the error names it: `inlines[2]`)."""
    if not isinstance(value, Iterable):
        raise InvalidParameterError(field, value, "expected a list")
    found = list(value)
    if bounds is not None and not bounds[0] <= len(found) <= bounds[1]:
        low, high = bounds
        raise InvalidParameterError(
            field, f"{len(found)} {noun}", f"expected {low} to {high} {noun} in one request"
        )
    if kind is not None:
        for index, item in enumerate(found):
            if not isinstance(item, kind):
                raise InvalidParameterError(f"{field}[{index}]", item, f"expected {kind.__name__}")
    return found


def unique_references(references: Iterable[str], field: str = "reference") -> None:
    """Refuse a reference that appears twice in one request."""
    seen: set[str] = set()
    for ref in references:
        if ref in seen:
            raise InvalidParameterError(field, ref, "appears twice in one request")
        seen.add(ref)


def otp_code(value: object, field: str = "code") -> str:
    """A one-time code as the user typed it: 3 to 9 digits (surrounding spaces ignored).

    The error never shows the value: a mistyped code may be one keystroke from the real one.
    """
    if isinstance(value, str):
        code = value.strip()
        if OTP_CODE_RE.fullmatch(code) and code.isascii():
            return code
    raise InvalidParameterError(field, "[secure]", "expected a code of 3 to 9 digits")


def ids(value: object, field: str, bounds: tuple[int, int]) -> list[int]:
    """Positive `int` ids: one id or an iterable of them, as many as `bounds` allows, each
    once (a repeat is dropped). The error names the item (`field[2]`) or the count."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidParameterError(field, value, "expected a list of ids")
    low, high = bounds
    found: dict[int, None] = {}
    for index, item in enumerate(value):
        found[message_id(item, f"{field}[{index}]")] = None
        if len(found) > high:
            raise InvalidParameterError(field, f"more than {high} ids", f"at most {high} ids")
    if len(found) < low:
        raise InvalidParameterError(field, list(found), f"needs at least {low} id(s)")
    return list(found)


_ISO_CODE_RES = {2: re.compile(r"[A-Za-z]{2}"), 3: re.compile(r"[A-Za-z]{3}")}
_ISO_EXAMPLES = {2: "a country code such as 'UA'", 3: "a currency code such as 'EUR'"}


def iso_code(value: object, field: str, *, letters: int = 2) -> str:
    """An ISO code of `letters` Latin letters, returned upper-case: 2 for a country (ISO
    3166-1 alpha-2, `"UA"`), 3 for a currency (ISO 4217, `"EUR"`)."""
    if isinstance(value, str) and _ISO_CODE_RES[letters].fullmatch(value):
        return value.upper()
    raise InvalidParameterError(
        field, value, f"expected {letters} Latin letters ({_ISO_EXAMPLES[letters]})"
    )


def choice(value: object, field: str, allowed: Iterable[str]) -> str:
    """One of the `allowed` strings (an endpoint's enumeration), exactly as spelled there."""
    options = tuple(allowed)
    if isinstance(value, str) and value in options:
        return value
    if len(options) > 8:  # a long enumeration (languages): a few examples say enough
        raise InvalidParameterError(
            field, value, f"expected one of {len(options)} codes such as {', '.join(options[:4])}"
        )
    raise InvalidParameterError(field, value, f"expected one of {', '.join(options)}")
