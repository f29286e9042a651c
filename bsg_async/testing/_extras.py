"""The legacy REST extras of the fake: HLR lookups, the key's balance, price lists and quotes.

- `POST|PUT hlr/create`: a JSON array of `{"msisdn", "reference", "tariff"?}` (else code 24);
  each lookup is checked as an SMS recipient is (21, 22, 27, 23 for a reference already
  held, 31 for a phone twice, 33 under `unroutable_prefixes`: no route, no lookup) and
  answered in `result` in order, with `total_price`. A lookup is made at once: `status`
  `"active"`, priced at the `Account`'s `hlr_price`. `GET hlr/{id}` and
  `GET hlr/reference/{ref}` read it back (code 20 when unknown).

- `GET common/balance`: `{"error": 0, "amount", "currency", "limit"}`, the amounts as strings
  with 7 decimals (bsg-api.md 8.1); `amount` is the fake's balance now (every accepted message
  is charged), `limit` the account's `credit` (0 without one).
- `GET {sms|viber|hlr}/prices[/{tariff}]`: `{"error": 0, "prices": [...]}`, one row per network
  of `NETWORKS`, priced from the `Account` (`sms_price`, `viber_price`, `hlr_price`); a tariff
  that is not 0..9 is code 6.
- `PUT|POST {sms|viber}/price`: the body of a create, checked as a create checks it but with
  every problem answered at the top level (a quote has no per-recipient results), and nothing
  stored or charged; the answer is `{"totalprice": <number>, "currency"}`.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from ._check import at_path_id
from ._fates import format_time
from ._json import dumps
from ._legacy import (
    _BAD,
    _MSISDN,
    SMS_VALIDITY,
    TARIFF,
    VIBER_MAX_PHONES,
    VIBER_TEXT_MAX,
    VIBER_VALIDITY,
    LegacyApi,
    _Codes,
)
from ._legacy import _bounded as bounded
from ._records import FakeHlr
from ._reply import Reply
from ._routes import Handler, Route, legacy_send
from ._store import Store

__all__ = ["HLR_ID_BASE", "NETWORKS", "HlrLookups", "LegacyExtras"]

HlrLookups = Store[[str, str, str, str | None, Decimal, float], FakeHlr]
"""The HLR lookups, keyed by reference (field 0)."""

HLR_ID_BASE = 5_100_000_001
_HLR_CODES = _Codes("sms", 24, 21, 27, 23, 31, as_string=False)

NETWORKS: tuple[tuple[str, str, str], ...] = (
    ("UA", "Ukraine", "255"),
    ("PL", "Poland", "260"),
    ("DE", "Germany", "262"),
)
"""`(country, country_name, mcc)` of every price-list row."""

_SEVEN = Decimal("0.0000001")
_PREFIXES = (("380", "255"), ("48", "260"), ("49", "262"))
"""Phone-number prefixes of `NETWORKS`, for an HLR lookup's `network`."""


class LegacyExtras:
    """The extras over the legacy endpoints' account, rules and error wording."""

    def __init__(
        self, legacy: LegacyApi, *, hlr: HlrLookups, balance: Callable[[], Decimal]
    ) -> None:
        self.legacy = legacy
        self.hlr = hlr
        self.current_balance = balance

    def routes(self) -> tuple[Route, ...]:
        """The balance, price, quote and HLR operations, for the fake's legacy `Router`; they
        come before `LegacyApi.routes()` (`sms/price` is not the SMS with id `price`)."""
        return (
            Route("GET", "common/balance", lambda call: self.balance()),
            *(
                route
                for channel in ("sms", "viber", "hlr")
                for route in (
                    Route("GET", f"{channel}/prices", self._price_list(channel)),
                    Route("GET", f"{channel}/prices/{{tariff}}", self._price_list(channel)),
                )
            ),
            *legacy_send("sms/price", lambda call: self.sms_quote(call.json())),
            *legacy_send("viber/price", lambda call: self.viber_quote(call.json())),
            *legacy_send("hlr/create", lambda call: self.hlr_create(call.json())),
            Route(
                "GET", "hlr/reference/{ref}", lambda call: self.hlr_by_reference(call.params["ref"])
            ),
            Route("GET", "hlr/{id}", lambda call: self.hlr_get(call.params["id"])),
        )

    def _price_list(self, channel: str) -> Handler:
        return lambda call: self.prices(channel, call.params.get("tariff"))

    def hlr_create(self, payload: Any) -> Reply:
        """`POST|PUT .../hlr/create`."""
        legacy, account = self.legacy, self.legacy.account
        if not isinstance(payload, list) or not payload:
            return legacy.error(24)
        seen: set[str] = set()
        result: list[dict[str, Any]] = []
        for entry in payload:
            tariff = entry.get("tariff") if isinstance(entry, dict) else None
            if bounded(tariff, TARIFF) is _BAD:
                result.append(legacy._entry_error(6, entry.get("reference"), as_string=False))
                continue
            code, msisdn, reference = legacy._recipient(entry, self.hlr, seen, _HLR_CODES)
            if code is not None:
                result.append(legacy._entry_error(code, reference, as_string=False))
                continue
            network = next(
                (mcc + "01" for prefix, mcc in _PREFIXES if msisdn.startswith(prefix)), None
            )
            lookup_id = self.hlr.add(
                reference,
                msisdn,
                "active",
                network,
                account.hlr_price,
                legacy.now(),
            )
            result.append(
                {
                    "error": 0,
                    "errorDescription": "No errors",
                    "reference": reference,
                    "id": str(lookup_id),
                    "price": account.hlr_price,
                    "currency": account.currency,
                }
            )
        accepted = sum(1 for entry in result if entry["error"] == 0)
        body: dict[str, Any] = {"result": result}
        if accepted:
            body["total_price"] = account.hlr_price * accepted
            body["currency"] = account.currency
        return Reply(200, dumps(body))

    def hlr_get(self, raw_id: str) -> Reply:
        """`GET .../hlr/{id}`."""
        return self._hlr_report(at_path_id(raw_id, self.hlr.get))

    def hlr_by_reference(self, raw_reference: str) -> Reply:
        """`GET .../hlr/reference/{reference}`."""
        return self._hlr_report(self.hlr.find(unquote(raw_reference)))

    def _hlr_report(self, lookup: FakeHlr | None) -> Reply:
        if lookup is None:
            return self.legacy.error(20)
        body = {
            "error": 0,
            "errorDescription": "No errors",
            "id": str(lookup.id),
            "msisdn": lookup.phone,
            "reference": lookup.reference,
            "status": lookup.status,
            "network": lookup.network,
            "price": lookup.price,
            "currency": self.legacy.account.currency,
            "createdDatetime": format_time(lookup.created),
            "statusDatetime": format_time(lookup.created),
        }
        return Reply(200, dumps(body))

    def balance(self) -> Reply:
        """`GET .../common/balance`."""
        account = self.legacy.account
        body = {
            "error": 0,
            "amount": str(self.current_balance().quantize(_SEVEN)),
            "currency": account.currency,
            "limit": str((account.credit or Decimal(0)).quantize(_SEVEN)),
        }
        return Reply(200, dumps(body))

    def prices(self, channel: str, raw_tariff: str | None) -> Reply:
        """`GET .../{channel}/prices[/{tariff}]`."""
        if raw_tariff is not None and bounded(raw_tariff, TARIFF) in (None, _BAD):
            return self.legacy.error(6)
        account = self.legacy.account
        price = {"sms": account.sms_price, "viber": account.viber_price}.get(
            channel, account.hlr_price
        )
        rows = [
            {
                "type": channel,
                "country": country,
                "country_name": name,
                "mcc": mcc,
                "price": str(price.quantize(_SEVEN)),
                "currency": account.currency,
            }
            for country, name, mcc in NETWORKS
        ]
        return Reply(200, dumps({"error": 0, "prices": rows}))

    def sms_quote(self, payload: Any) -> Reply:
        """`PUT|POST .../sms/price`: the price of an SMS create's body."""
        legacy = self.legacy
        if not isinstance(payload, dict):
            return legacy.error(24, as_string=True)
        if bounded(payload.get("validity"), SMS_VALIDITY) is _BAD:
            return legacy.error(28, as_string=True)
        if bounded(payload.get("tariff"), TARIFF) is _BAD:
            return legacy.error(6, as_string=True)
        destination = payload.get("destination")
        if destination == "phone":
            entries: Any = [payload]
        elif destination in ("phones", "individual"):
            entries = payload.get("phones")
        else:
            return legacy.error(24, as_string=True)
        if not isinstance(entries, list) or not entries:
            return legacy.error(24, as_string=True)
        for entry in entries:
            if not isinstance(entry, dict):
                return legacy.error(24, as_string=True)
            source = entry if destination == "individual" else payload
            code = legacy._message_codes(source.get("originator"), source.get("body"))
            code = code or self._phone_code(entry.get("msisdn"), 21)
            if code is not None:
                return legacy.error(code, as_string=True)
        return self._quote(legacy.account.sms_price * len(entries))

    def viber_quote(self, payload: Any) -> Reply:
        """`PUT|POST .../viber/price`: the price of a Viber create's body."""
        legacy = self.legacy
        messages = payload.get("messages") if isinstance(payload, dict) else None
        if not isinstance(messages, list) or not messages:
            return legacy.error(24)
        if bounded(payload.get("validity"), VIBER_VALIDITY) is _BAD:
            return legacy.error(48)
        if bounded(payload.get("tariff"), TARIFF) is _BAD:
            return legacy.error(6)
        phones = 0
        for message in messages:
            to = message.get("to") if isinstance(message, dict) else None
            if not isinstance(to, list) or not to:
                return legacy.error(44)
            code = legacy._sender_code(message.get("alpha_name"), 45, 45)
            if code is None and legacy._text(message.get("text"), VIBER_TEXT_MAX) is None:
                code = 46
            for entry in to:
                if code is None:
                    raw = entry.get("msisdn") if isinstance(entry, dict) else None
                    code = self._phone_code(raw, 41)
            if code is not None:
                return legacy.error(code)
            phones += len(to)
        if phones > VIBER_MAX_PHONES:
            return legacy.error(12)
        return self._quote(legacy.account.viber_price * phones)

    def _phone_code(self, raw: Any, bad: int) -> int | None:
        """`bad` for a number that is not 7..15 digits or is refused by the rules' prefixes,
        33 for one without a route, else `None`."""
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        match = _MSISDN.fullmatch(raw) if isinstance(raw, str) else None
        if match is None:
            return bad
        rules = self.legacy.rules
        if rules.invalid_prefixes and match.group(1).startswith(rules.invalid_prefixes):
            return bad
        if rules.unroutable_prefixes and match.group(1).startswith(rules.unroutable_prefixes):
            return 33
        return None

    def _quote(self, total: Decimal) -> Reply:
        return Reply(200, dumps({"totalprice": total, "currency": self.legacy.account.currency}))
