"""How a `FakeBSG` is configured: a few frozen values, each with defaults that just work.

As httpx groups `Timeout` and `Limits`, the fake groups its options by what they are about:

| `FakeBSG(...)` | value | what it says |
|---|---|---|
| `account=` | `Account` | keys, token lifetime, prices, balance, credit, tariffs, contact lists |
| `rules=` | `Rules` | what the service refuses, and how it words its answers |
| `lifecycle=` | `Lifecycle` | how statuses move, what share fails, who is not on Viber or RCS |
| `webhook=` | `Webhook` | where RCS callbacks go, and how hard the fake tries |

The fault plan (`Faults`) is not here: it is changed while the fake runs (scripts are used up),
so it is its own object, `fake.faults`. Derive a changed value with `attrs.evolve`:

```python
calm = Lifecycle(undeliverable_rate=0, expired_rate=0, non_viber_rate=0)
fake = FakeBSG(account=Account(api_keys=["test_x"], credit=Decimal(0)), lifecycle=calm)
later = FakeBSG(lifecycle=attrs.evolve(calm, non_viber_numbers={"380501234567"}))
```

Every value checks its fields when it is made and raises `InvalidParameterError` naming the
field; `FakeBSG` itself has nothing left to check but the seed and the record limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import attrs

from ..errors import InvalidParameterError
from ..models.one_api import Tariff
from ._callbacks import ClickHandler, ReportHandler
from ._check import URL

if TYPE_CHECKING:
    import httpx

__all__ = ["DEFAULT_TARIFFS", "Account", "Lifecycle", "Rules", "Webhook"]

DEFAULT_TARIFFS: tuple[Tariff, ...] = (
    Tariff(id=50470, code=0, name="Standard", is_active=True, is_default=True),
    Tariff(id=50471, code=9, name="Best quality", is_active=True, is_default=False),
)

_GROUP_PHONE = re.compile(r"[0-9]{9,15}")

_T = TypeVar("_T")


# -- checks shared by the values --------------------------------------------------------------


def _strings(value: object) -> Any:
    """One string is a collection of one (`api_keys="k"` means `["k"]`)."""
    return [value] if isinstance(value, str) else value


def _string_set(value: object) -> frozenset[str]:
    return frozenset(_strings(value))


def _string_set_or_none(value: object) -> frozenset[str] | None:
    return None if value is None else _string_set(value)


def _int(minimum: int) -> Callable[[object, attrs.Attribute[Any], Any], None]:
    def check(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise InvalidParameterError(attribute.name, value, f"expected an int >= {minimum}")

    return check


def _price(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise InvalidParameterError(attribute.name, value, "expected a finite Decimal >= 0")


def _rate(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InvalidParameterError(attribute.name, value, "expected a share from 0 to 1")


def _delay(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise InvalidParameterError(attribute.name, value, "expected seconds >= 0")


def _prefixes(value: object) -> Any:
    """Number prefixes (one string or several), each of digits only; checked by `_digits`."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Collection):
        return tuple(value)
    return value


def _digits(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, tuple):
        raise InvalidParameterError(attribute.name, value, "expected a list of number prefixes")
    for prefix in value:
        if not isinstance(prefix, str) or not prefix.isdigit() or not prefix.isascii():
            raise InvalidParameterError(
                attribute.name, prefix, "expected number prefixes of digits"
            )


def _token_ttl(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise InvalidParameterError("token_ttl", value, "expected seconds > 0")
    return float(value)


def _tariffs(value: object) -> Any:
    if isinstance(value, (str, bytes)) or not isinstance(value, Collection):
        raise InvalidParameterError("tariffs", value, "expected a list of Tariff values")
    for index, tariff in enumerate(value):
        if not isinstance(tariff, Tariff):
            raise InvalidParameterError(f"tariffs[{index}]", tariff, "expected a Tariff")
    return tuple(value)


def _groups(value: object) -> Mapping[int, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise InvalidParameterError(
            "contact_lists", value, "expected a mapping of contact-list id to phone numbers"
        )
    fixed: dict[int, tuple[str, ...]] = {}
    for group, phones in value.items():
        if isinstance(group, bool) or not isinstance(group, int) or group < 1:
            raise InvalidParameterError("contact_lists", group, "expected ids as ints >= 1")
        numbers = tuple(_strings(phones))
        for number in numbers:
            if not isinstance(number, str) or not _GROUP_PHONE.fullmatch(number):
                raise InvalidParameterError(
                    f"contact_lists[{group}]", number, "expected phone numbers of 9 to 15 digits"
                )
        fixed[group] = numbers
    return MappingProxyType(fixed)


def _url(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not URL.fullmatch(value)):
        raise InvalidParameterError(attribute.name, value, "expected an http(s) URL")


def _callable(_instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not callable(value):
        raise InvalidParameterError(attribute.name, value, "expected an async callable")


# -- the values --------------------------------------------------------------------------------


@attrs.frozen
class Account:
    """The account the fake serves: who may call it, what sending costs, what it may spend.

    - `api_keys`: the accepted keys (`None`: any non-blank key). A wrong key gets code 1 with
      HTTP 401 on the legacy API and HTTP 401 on the One-API login.
    - `token_ttl`: One-API token lifetime in seconds (default 30 days), counted on the wall
      clock (which the SDK reads a token's `exp` against) plus every `advance()`.
    - `currency`; `sms_price`, `viber_price`: the price per message (`Decimal`);
      `rcs_price`: the amount of one RCS message (`Decimal`, reported with 7 decimals);
      `hlr_price`: the price of one HLR lookup, in the `hlr/prices` list.
    - `balance`: the starting balance (`Decimal`); the price of every message accepted on any
      channel is deducted from it (it may go negative, as a postpaid one).
    - `credit`: how far below zero the balance may go (`Decimal` >= 0), reported as the
      balance answer's `credit`. With it set, an SMS or Viber recipient whose price would take
      the balance lower is refused with code 8 ("not enough funds"), charged in request order
      (a bulk request may be partly accepted). `None` (default): no limit, never refused. RCS
      sends still draw from the balance but are not refused (the One-API's answer for it is
      not documented).
    - `tariffs`: the account's tariffs (`bsg_async.models.one_api.Tariff` values); an RCS
      send's `tariff_code` must be the `code` of an active one. Default: code 0 "Standard"
      (the default) and code 9 "Best quality".
    - `contact_lists`: contact-list id -> phone numbers, for RCS `send-groups`.

    ```python
    FakeBSG(account=Account(api_keys=["test_x"], balance=Decimal("5"), credit=Decimal(0)))
    ```
    Raises `InvalidParameterError` for a bad field (a negative or `float` price, ...).
    """

    api_keys: frozenset[str] | None = attrs.field(default=None, converter=_string_set_or_none)
    token_ttl: float = attrs.field(default=30 * 86_400.0, converter=_token_ttl)
    currency: str = "EUR"
    sms_price: Decimal = attrs.field(default=Decimal("0.02"), validator=_price)
    viber_price: Decimal = attrs.field(default=Decimal("0.23"), validator=_price)
    rcs_price: Decimal = attrs.field(default=Decimal("1.1000000"), validator=_price)
    hlr_price: Decimal = attrs.field(default=Decimal("0.0050000"), validator=_price)
    balance: Decimal = Decimal("100.0000000")
    credit: Decimal | None = None
    tariffs: tuple[Tariff, ...] = attrs.field(default=DEFAULT_TARIFFS, converter=_tariffs)
    contact_lists: Mapping[int, tuple[str, ...]] = attrs.field(
        factory=lambda: MappingProxyType({}), converter=_groups
    )

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.currency, str) or not self.currency:
            raise InvalidParameterError("currency", self.currency, "expected a currency code")
        if not isinstance(self.balance, Decimal) or not self.balance.is_finite():
            raise InvalidParameterError("balance", self.balance, "expected a finite Decimal")
        credit = self.credit
        if credit is not None and (
            not isinstance(credit, Decimal) or not credit.is_finite() or credit < 0
        ):
            raise InvalidParameterError("credit", credit, "expected a finite Decimal >= 0 or None")

    def price(self, channel: str) -> Decimal:
        """The price of one message on `channel` (`"sms"`, `"viber"` or `"rcs"`)."""
        return {"sms": self.sms_price, "viber": self.viber_price}.get(channel, self.rcs_price)


@attrs.frozen
class Rules:
    """What the service refuses, and how it words its answers (legacy REST API).

    - `unique_references`: `False` accepts a reference again (counted by `acceptances`), to
      show what a client that relies on the service's guard would do without it (all channels).
    - `invalid_prefixes`: numbers starting with these are refused (21 SMS, 41 Viber).
    - `unroutable_prefixes`: numbers starting with these (a country or network code, digits
      only) have no route: each such recipient is refused with code 33 ("unresolved
      direction") inside an otherwise successful answer, on SMS and Viber alike.
    - `allowed_senders`: when given, other originators are refused (32 SMS, 45 Viber).
    - `max_text_length`: an SMS body limit (code 26); Viber text is limited to 1,000 (46).
    - `two_way_enabled`: `False` refuses `2way` with code 35.
    - `single_shape`: the single-SMS answer: `"flat"` (the seed documentation), `"wrapped"`
      in `result` (the official clients), or `"mixed"` (seeded choice per request).
    - `http_error_status`: `False` (default) answers request-level errors with HTTP 200 and
      the code in the body; `True` uses 400/404/429 for them.

    ```python
    FakeBSG(rules=Rules(allowed_senders=["Shop"], unroutable_prefixes=["7"]))
    ```
    Raises `InvalidParameterError` for a bad field.
    """

    unique_references: bool = attrs.field(default=True, converter=bool)
    invalid_prefixes: tuple[str, ...] = attrs.field(
        default=(), converter=_prefixes, validator=_digits
    )
    unroutable_prefixes: tuple[str, ...] = attrs.field(
        default=(), converter=_prefixes, validator=_digits
    )
    allowed_senders: frozenset[str] | None = attrs.field(
        default=None, converter=_string_set_or_none
    )
    max_text_length: int | None = attrs.field(
        default=None, validator=attrs.validators.optional(_int(1))
    )
    two_way_enabled: bool = attrs.field(default=True, converter=bool)
    single_shape: Literal["flat", "wrapped", "mixed"] = "flat"
    http_error_status: bool = attrs.field(default=False, converter=bool)

    def __attrs_post_init__(self) -> None:
        if self.single_shape not in ("flat", "wrapped", "mixed"):
            raise InvalidParameterError(
                "single_shape", self.single_shape, "expected 'flat', 'wrapped' or 'mixed'"
            )


@attrs.frozen
class Lifecycle:
    """How messages move on the fake's clock, and how they end (every channel).

    Times are seconds after acceptance: `scheduled` until `sent_after`, `sent` until
    `final_after`, then the message's final status: `delivered` (Viber: later `read` at
    `read_after` for a `read_rate` share), or for a seeded share `undeliverable_rate` /
    `expired_rate` that status instead. A `non_viber_rate` share of phone numbers (drawn per
    number from the seed), and the `non_viber_numbers`, are not on Viber: their Viber messages
    end `undeliverable` and, when the message had an SMS fallback (`alt_route`), an SMS is
    sent at that moment with its own id and the same SMS lifecycle.

    RCS messages (One-API) follow the same clock: `accepted` (a single send) or `sending` (a
    campaign's message; `scheduled` before a future `start_at`), `sent` at `sent_after`, then
    `delivered` at `final_after` (later `read` at `read_after` for a `read_rate` share), or for
    seeded shares `undelivered` (`undeliverable_rate`), `expired` (`expired_rate`) or `failed`
    (`failed_rate`, RCS only, drawn after the two others: at `sent_after`, never sent). A
    `non_rcs_rate` share of numbers, and the `non_rcs_numbers`, have no RCS: their messages end
    `undelivered`, and the SMS fallback (`alternative_channel.sms`), when given, is sent then.

    ```python
    FakeBSG(lifecycle=Lifecycle(undeliverable_rate=0, expired_rate=0, non_viber_rate=0))
    ```
    Raises `InvalidParameterError` for a share outside 0..1, shares summing above 1 or times
    out of order.
    """

    sent_after: float = attrs.field(default=1.0, validator=_delay)
    final_after: float = attrs.field(default=5.0, validator=_delay)
    read_after: float = attrs.field(default=30.0, validator=_delay)
    undeliverable_rate: float = attrs.field(default=0.05, validator=_rate)
    expired_rate: float = attrs.field(default=0.02, validator=_rate)
    read_rate: float = attrs.field(default=0.5, validator=_rate)
    non_viber_rate: float = attrs.field(default=0.1, validator=_rate)
    failed_rate: float = attrs.field(default=0.01, validator=_rate)
    non_rcs_rate: float = attrs.field(default=0.1, validator=_rate)
    non_viber_numbers: frozenset[str] = attrs.field(default=frozenset(), converter=_string_set)
    non_rcs_numbers: frozenset[str] = attrs.field(default=frozenset(), converter=_string_set)

    def __attrs_post_init__(self) -> None:
        if self.undeliverable_rate + self.expired_rate > 1:
            raise InvalidParameterError(
                "expired_rate", self.expired_rate, "undeliverable_rate + expired_rate must be <= 1"
            )
        if not self.sent_after <= self.final_after <= self.read_after:
            raise InvalidParameterError(
                "final_after",
                self.final_after,
                "expected sent_after <= final_after <= read_after",
            )


@attrs.frozen
class Webhook:
    """Where the fake delivers RCS callbacks (status reports and clicks), and how hard it tries.

    - `url`: the account's "Callback URL for RCS" (a message's own `callback_url` overrides
      it); `handler`: an async callable taking an `RcsReport`, called with every status
      report; `click_handler`: the same for `RcsClick`s (see `FakeBSG.click`). All three can
      be changed later as `fake.callback_url`, `fake.callback_handler`, `fake.click_handler`.
    - `transport`: an `httpx.AsyncBaseTransport` for the callback POSTs (such as
      `httpx.ASGITransport(app=RcsWebhookApp(...))`); without it, URLs are POSTed over the
      network, to loopback addresses only unless `allow_remote=True`.
    - `attempts`: tries per callback (one per delivery round); `timeout`: seconds per POST.

    Callbacks leave the fake only through `await fake.deliver_callbacks()`.

    ```python
    FakeBSG(webhook=Webhook(handler=on_report, url="http://127.0.0.1:8000/bsg/rcs"))
    ```
    Raises `InvalidParameterError` for a bad field.
    """

    url: str | None = attrs.field(default=None, validator=_url)
    handler: ReportHandler | None = attrs.field(default=None, validator=_callable)
    click_handler: ClickHandler | None = attrs.field(default=None, validator=_callable)
    transport: httpx.AsyncBaseTransport | None = attrs.field(default=None, repr=False)
    allow_remote: bool = attrs.field(default=False, converter=bool)
    attempts: int = attrs.field(default=3, validator=_int(1))
    timeout: float = 5.0

    def __attrs_post_init__(self) -> None:
        timeout = self.timeout
        if (
            isinstance(timeout, bool)
            or not isinstance(timeout, (int, float))
            or not (0 < timeout <= 600)
        ):
            raise InvalidParameterError("timeout", timeout, "expected seconds from 0 to 600")


def checked(name: str, value: Any, kind: type[_T]) -> _T:
    """`value` if it is a `kind`, else `InvalidParameterError` naming the option `name`."""
    if not isinstance(value, kind):
        raise InvalidParameterError(name, value, f"expected {kind.__name__} (bsg_async.testing)")
    return value
