"""The legacy REST endpoints of the fake: SMS create/status/task and Viber create/status.

Every answer follows the documented wire format of its endpoint (bsg-api.md sections 2 to 5):
string ids everywhere; SMS create with `error` and prices as strings; Viber create, status reads
and task counters with numbers; request-level errors at the top level, per-recipient errors
inside `result`. Validation follows the documented codes (the option names below are fields of
the fake's `Rules` and `Account`):

Request-level codes (top-level `error`):

- 24: body not a JSON object, unknown `destination`, `phones`/`messages`/`to` malformed;
- 25 / 32: SMS `originator` empty or over 14 characters / not in `allowed_senders`;
- 26: SMS `body` empty (or over `max_text_length`);
- 28 / 48: SMS validity not 1..72 hours / Viber validity not 15..86,400 seconds;
- 6: `tariff` not 0..9; 35: `2way` asked while `two_way_enabled=False`;
- 12: more than 50 Viber phones in one request; 44: a Viber message with an empty `to`.

Per-recipient codes (inside `result`; SMS / Viber):

- 21 / 41: msisdn not 7..15 digits, or starting with one of `invalid_prefixes`;
- 33 (both channels): msisdn starting with one of `unroutable_prefixes` ("unresolved
  direction": no route to that network);
- 22: reference missing; 27 / 47: reference not 1..32 characters of `[A-Za-z0-9_-]`;
- 25, 32, 26 (individual SMS): that entry's originator or body, as above;
- 45 / 46 / 49 (Viber): `alpha_name` bad or not allowed / `text` empty or over 1,000 / options;
- 23 / 43: reference already accepted on that channel, ever;
- 31 / 51: the same phone twice in one request;
- 8 (both channels): with a `credit` set, a recipient that passed every other check but whose
  price would take the balance below `-credit` ("not enough funds"); recipients are charged
  in request order, so the first ones of a request may be accepted and the rest refused.

A single SMS answers its recipient's code at the top level (flat) or in `result` (wrapped).

Reads: 20 SMS not found, 29 task id not a number, 30 task not found, 40 Viber not found.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal
from json.encoder import encode_basestring_ascii as _string
from typing import Any
from urllib.parse import unquote

import attrs

from ._check import DIGITS, at_path_id, path_id
from ._config import Account, Rules
from ._fates import VIBER, Fates, MessageState, format_time
from ._json import dumps
from ._records import Channel, FakeMessage, Submission, Task
from ._reply import Reply, not_found
from ._routes import Route, legacy_send
from ._store import Store

__all__ = [
    "DESCRIPTIONS",
    "SMS_ID_BASE",
    "TASK_ID_BASE",
    "VIBER_ID_BASE",
    "LegacyApi",
    "Messages",
    "Tasks",
]

Messages = Store[[str, str, Submission], FakeMessage]
"""The messages of one channel, keyed by reference (field 0)."""
Tasks = Store[[int, int, Submission], Task]
"""The bulk SMS tasks."""

SMS_ID_BASE = 3_000_000_001
VIBER_ID_BASE = 4_700_000_001
TASK_ID_BASE = 21_901

DESCRIPTIONS: Mapping[int, str] = {
    0: "No errors",
    1: "Invalid API key",
    4: "Function not supported",
    6: "Non-existent tariff",
    8: "Not enough funds",
    11: "Too many messages processed simultaneously",
    12: "Batch size exceeded: at most 50 phones per request",
    20: "SMS not found",
    21: "Incorrect phone number",
    22: "The external ID of the SMS request is missing",
    23: "SMS with this ID is already present",
    24: "Invalid query payload",
    25: "Invalid originator",
    26: "Empty or too long SMS text",
    27: "Incorrect external SMS ID",
    28: "Incorrect value of SMS duration",
    29: "The task id is incorrect",
    30: "Task not found",
    31: "The phone is already in the messaging list",
    32: "Sender not allowed",
    33: "Unresolved direction",
    35: "2WAY service is not activated",
    40: "Message not found",
    41: "Invalid phone number",
    43: "External ID already exists",
    44: "Invalid request payload",
    45: "Sender not registered",
    46: "Text is empty or longer than 1000 characters",
    47: "Invalid reference",
    48: "Invalid validity",
    49: "Invalid options combination",
    51: "The same phone appears twice in the request",
}

# The service's rules, written here again on purpose rather than imported from the SDK's
# `_validation`: the fake stands for the service, so a rule the SDK gets wrong is refused here,
# where a shared rule would agree with it and no test would see the mistake.
_MSISDN = re.compile(r"\+?([0-9]{7,15})")
_REFERENCE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_URL = re.compile(r"https?://[^\s/]+\S*")
ORIGINATOR_MAX = 14
VIBER_TEXT_MAX = 1000
VIBER_MAX_PHONES = 50
SMS_VALIDITY = (1, 72)
VIBER_VALIDITY = (15, 86_400)
TARIFF = (0, 9)
_BAD = object()


@attrs.frozen
class _Codes:
    """The per-recipient codes of one channel."""

    channel: Channel
    bad_entry: int
    bad_msisdn: int
    bad_reference: int
    duplicate_reference: int
    duplicate_phone: int
    as_string: bool


_SMS_CODES = _Codes("sms", 24, 21, 27, 23, 31, as_string=True)
_VIBER_CODES = _Codes("viber", 44, 41, 47, 43, 51, as_string=False)


def _http_status(code: int) -> int:
    if code == 1:
        return 401
    if code in (20, 30, 40):
        return 404
    if code == 11:
        return 429
    return 400


class LegacyApi:
    """The SMS and Viber endpoints over their stores; every method returns a `Reply`.

    `balance` returns the account's balance now, which a `credit` limit checks sends against.
    """

    def __init__(
        self,
        account: Account,
        rules: Rules,
        *,
        sms: Messages,
        viber: Messages,
        tasks: Tasks,
        fates: Fates,
        now: Callable[[], float],
        shape_rng: random.Random,
        balance: Callable[[], Decimal] | None = None,
    ) -> None:
        self.account = account
        self.rules = rules
        self.sms = sms
        self.viber = viber
        self.tasks = tasks
        self.fates = fates
        self.now = now
        self.shape_rng = shape_rng
        self.current_balance = balance if balance is not None else (lambda: account.balance)
        self.codes: Counter[int] = Counter()
        self._sms_price_text = str(account.sms_price)
        currency = _string(account.currency)
        # The hot path writes accepted entries from these templates instead of encoding dicts.
        self._sms_entry_tail = (
            f',"error":"0","price":{_string(self._sms_price_text)},"currency":{currency}}}'
        )
        self._viber_entry_head = '{"error":0,"errorDescription":"No errors","reference":'
        self._viber_entry_tail = f',"price":{account.viber_price},"currency":{currency}}}'

    def routes(self) -> tuple[Route, ...]:
        """The SMS and Viber operations, for the fake's legacy `Router` (fixed paths first)."""
        return (
            *legacy_send("sms/create", lambda call: self.sms_create(call.json())),
            Route("GET", "sms/task/{id}", lambda call: self.sms_task(call.params["id"])),
            Route(
                "GET", "sms/reference/{ref}", lambda call: self.sms_by_reference(call.params["ref"])
            ),
            Route("GET", "sms/{id}", lambda call: self.sms_get(call.params["id"])),
            *legacy_send("viber/create", lambda call: self.viber_create(call.json())),
            Route("GET", "viber/task/{id}", lambda call: not_found("Not Found")),  # SMS only
            Route(
                "GET",
                "viber/reference/{ref}",
                lambda call: self.viber_by_reference(call.params["ref"]),
            ),
            Route("GET", "viber/{id}", lambda call: self.viber_get(call.params["id"])),
        )

    # -- helpers -------------------------------------------------------------------------------

    def error(self, code: int, *, as_string: bool = False) -> Reply:
        """A request-level error answer."""
        self.codes[code] += 1
        status = _http_status(code) if self.rules.http_error_status or code == 1 else 200
        body = {"error": str(code) if as_string else code, "errorDescription": DESCRIPTIONS[code]}
        return Reply(status, dumps(body))

    def _entry_error_text(self, code: int, reference: Any, *, as_string: bool) -> str:
        return dumps(self._entry_error(code, reference, as_string=as_string)).decode("ascii")

    def _entry_error(self, code: int, reference: Any, *, as_string: bool) -> dict[str, Any]:
        self.codes[code] += 1
        entry: dict[str, Any] = {}
        if isinstance(reference, str):
            entry["reference"] = reference
        entry["error"] = str(code) if as_string else code
        entry["errorDescription"] = DESCRIPTIONS[code]
        return entry

    @staticmethod
    def _text(value: Any, limit: int | None) -> str | None:
        """`value` if it is a non-blank string of at most `limit` characters, else `None`."""
        if not isinstance(value, str) or not value.strip():
            return None
        if limit is not None and len(value) > limit:
            return None
        return value

    def _sender_code(self, value: Any, bad: int, not_allowed: int) -> int | None:
        if not isinstance(value, str) or not value.strip() or len(value) > ORIGINATOR_MAX:
            return bad
        allowed = self.rules.allowed_senders
        if allowed is not None and value not in allowed:
            return not_allowed
        return None

    def _recipient(
        self,
        entry: Any,
        store: Store[..., Any],
        seen_phones: set[str],
        codes: _Codes,
        message_code: int | None = None,
    ) -> tuple[int | None, str, Any]:
        """Check one recipient: `(code or None, msisdn, reference)`."""
        if not isinstance(entry, dict):
            return codes.bad_entry, "", None
        raw_msisdn = entry.get("msisdn")
        reference = entry.get("reference")
        if isinstance(raw_msisdn, int) and not isinstance(raw_msisdn, bool):
            raw_msisdn = str(raw_msisdn)
        match = _MSISDN.fullmatch(raw_msisdn) if isinstance(raw_msisdn, str) else None
        if match is None:
            return codes.bad_msisdn, "", reference
        msisdn = match.group(1)
        rules = self.rules
        if rules.invalid_prefixes and msisdn.startswith(rules.invalid_prefixes):
            return codes.bad_msisdn, msisdn, reference
        if rules.unroutable_prefixes and msisdn.startswith(rules.unroutable_prefixes):
            return 33, msisdn, reference
        first_time = msisdn not in seen_phones
        seen_phones.add(msisdn)
        if reference is None or reference == "":
            return 22, msisdn, reference
        if not isinstance(reference, str) or _REFERENCE.fullmatch(reference) is None:
            return codes.bad_reference, msisdn, reference
        if message_code is not None:
            return message_code, msisdn, reference
        if store.taken(reference):
            return codes.duplicate_reference, msisdn, reference
        if not first_time:
            return codes.duplicate_phone, msisdn, reference
        if not self._affordable(codes.channel):
            return 8, msisdn, reference
        return None, msisdn, reference

    def _affordable(self, channel: Channel) -> bool:
        """Whether the balance can pay one more message of `channel` now."""
        credit = self.account.credit
        if credit is None:
            return True
        return self.current_balance() - self.account.price(channel) >= -credit

    # -- SMS create ----------------------------------------------------------------------------

    def sms_create(self, payload: Any) -> Reply:
        """`POST|PUT .../sms/create`: single, bulk (`phones`) or `individual`."""
        if not isinstance(payload, dict):
            return self.error(24, as_string=True)
        validity = _bounded(payload.get("validity"), SMS_VALIDITY)
        if validity is _BAD:
            return self.error(28, as_string=True)
        tariff = _bounded(payload.get("tariff"), TARIFF)
        if tariff is _BAD:
            return self.error(6, as_string=True)
        two_way = payload.get("2way") in (1, True, "1", "true")
        if two_way and not self.rules.two_way_enabled:
            return self.error(35, as_string=True)
        destination = payload.get("destination")
        options = {"validity": validity, "tariff": tariff, "two_way": two_way}
        if destination == "phone":
            return self._sms_single(payload, options)
        if destination == "phones":
            return self._sms_bulk(payload, options)
        if destination == "individual":
            return self._sms_individual(payload, options)
        return self.error(24, as_string=True)

    def _sms_submission(
        self, text: str, originator: str, options: Mapping[str, Any], task_id: int | None = None
    ) -> Submission:
        return Submission(
            "sms",
            text,
            originator,
            self.now(),
            self.account.sms_price,
            self.account.currency,
            validity=options["validity"],
            tariff=options["tariff"],
            task_id=task_id,
            two_way=options["two_way"],
        )

    def _message_codes(self, originator: Any, body: Any) -> int | None:
        sender = self._sender_code(originator, 25, 32)
        if sender is not None:
            return sender
        if self._text(body, self.rules.max_text_length) is None:
            return 26
        return None

    def _sms_single(self, payload: dict[str, Any], options: Mapping[str, Any]) -> Reply:
        problem = self._message_codes(payload.get("originator"), payload.get("body"))
        if problem is not None:
            return self.error(problem, as_string=True)
        code, msisdn, reference = self._recipient(payload, self.sms, set(), _SMS_CODES)
        wrapped = self._wrapped()
        if code is not None:
            if wrapped:
                entry = self._entry_error(code, reference, as_string=False)
                return Reply(200, dumps({"result": entry}))
            status = _http_status(code) if self.rules.http_error_status else 200
            body = self._entry_error(code, reference, as_string=True)
            return Reply(status, dumps({"error": body.pop("error"), **body}))
        submission = self._sms_submission(payload["body"], payload["originator"], options)
        message_id = self.sms.add(reference, msisdn, submission)
        if wrapped:
            result = {
                "error": 0,
                "errorDescription": DESCRIPTIONS[0],
                "reference": reference,
                "id": str(message_id),
                "price": self.account.sms_price,
                "currency": self.account.currency,
            }
            return Reply(200, dumps({"result": result}))
        flat = {
            "error": "0",
            "id": str(message_id),
            "reference": reference,
            "price": self._sms_price_text,
            "currency": self.account.currency,
        }
        return Reply(200, dumps(flat))

    def _wrapped(self) -> bool:
        shape = self.rules.single_shape
        if shape == "mixed":
            return self.shape_rng.random() < 0.5
        return shape == "wrapped"

    def _sms_ok(self, reference: str, message_id: int) -> str:
        head = '{"reference":' + _string(reference)
        return head + ',"id":"' + str(message_id) + '"' + self._sms_entry_tail

    def _sms_bulk(self, payload: dict[str, Any], options: Mapping[str, Any]) -> Reply:
        phones = payload.get("phones")
        if not isinstance(phones, list) or not phones:
            return self.error(24, as_string=True)
        problem = self._message_codes(payload.get("originator"), payload.get("body"))
        if problem is not None:
            return self.error(problem, as_string=True)
        task_id = self.tasks.next_id()
        submission = self._sms_submission(
            payload["body"], payload["originator"], options, task_id=task_id
        )
        first_id = self.sms.next_id()
        seen: set[str] = set()
        result = []
        for entry in phones:
            code, msisdn, reference = self._recipient(entry, self.sms, seen, _SMS_CODES)
            if code is None:
                message_id = self.sms.add(reference, msisdn, submission)
                result.append(self._sms_ok(reference, message_id))
            else:
                result.append(self._entry_error_text(code, reference, as_string=True))
        count = self.sms.next_id() - first_id
        tail = ""
        if count:
            self.tasks.add(first_id, count, submission)
            tail = f',"task_id":"{task_id}"'
        return Reply(200, _json_text('{"result":[', result, '],"error":"0"' + tail + "}"))

    def _sms_individual(self, payload: dict[str, Any], options: Mapping[str, Any]) -> Reply:
        phones = payload.get("phones")
        if not isinstance(phones, list) or not phones:
            return self.error(24, as_string=True)
        seen: set[str] = set()
        result = []
        accepted = 0
        for entry in phones:
            problem = None
            if isinstance(entry, dict):
                problem = self._message_codes(entry.get("originator"), entry.get("body"))
            code, msisdn, reference = self._recipient(entry, self.sms, seen, _SMS_CODES, problem)
            if code is None:
                submission = self._sms_submission(entry["body"], entry["originator"], options)
                message_id = self.sms.add(reference, msisdn, submission)
                result.append(self._sms_ok(reference, message_id))
                accepted += 1
            else:
                result.append(self._entry_error_text(code, reference, as_string=True))
        tail = ""
        if accepted:
            total = str(self.account.sms_price * accepted)
            tail = (
                ',"totalprice":' + _string(total) + ',"currency":' + _string(self.account.currency)
            )
        return Reply(200, _json_text('{"result":[', result, '],"error":"0"' + tail + "}"))

    # -- SMS reads -----------------------------------------------------------------------------

    def _status_report(self, message: FakeMessage, state: MessageState) -> dict[str, Any]:
        return {
            "error": 0,
            "errorDescription": DESCRIPTIONS[0],
            "id": str(message.id),
            "msisdn": message.to,
            "reference": message.reference,
            "time_in": format_time(state.time_in),
            "time_sent": format_time(state.time_sent),
            "time_dr": format_time(state.time_dr),
            "status": state.status,
            "price": message.price,
            "currency": message.currency,
        }

    def sms_get(self, raw_id: str) -> Reply:
        """`GET .../sms/{id}` (also finds the SMS fallback of a Viber message by its id)."""
        message_id = path_id(raw_id)
        if message_id is None:
            return self.error(20)
        message = self.sms.get(message_id)
        if message is not None:
            state = self.fates.state(message, self.now())
            return Reply(200, dumps(self._status_report(message, state)))
        viber = self.viber.get(message_id - VIBER.fallback_offset)
        if viber is not None:
            state = self.fates.state(viber, self.now())
            if state.fallback is not None:
                fallback = state.fallback
                report = {
                    "error": 0,
                    "errorDescription": DESCRIPTIONS[0],
                    "id": str(message_id),
                    "msisdn": viber.to,
                    "time_in": format_time(fallback.time_in),
                    "time_sent": format_time(fallback.time_sent),
                    "time_dr": format_time(fallback.time_dr),
                    "status": fallback.status,
                    "price": self.account.sms_price,
                    "currency": self.account.currency,
                }
                return Reply(200, dumps(report))
        return self.error(20)

    def sms_by_reference(self, raw_reference: str) -> Reply:
        """`GET .../sms/reference/{reference}`."""
        message = self.sms.find(unquote(raw_reference))
        if message is None:
            return self.error(20)
        state = self.fates.state(message, self.now())
        return Reply(200, dumps(self._status_report(message, state)))

    def sms_task(self, raw_id: str) -> Reply:
        """`GET .../sms/task/{task_id}`: the counters of a bulk campaign."""
        task_id = path_id(raw_id)
        if task_id is None:
            return self.error(29)
        task = self.tasks.get(task_id)
        if task is None:
            return self.error(30)
        now = self.now()
        counts: Counter[str] = Counter()
        for message_id in range(task.first_id, task.first_id + task.count):
            message = self.sms.get(message_id)
            if message is not None:
                counts[self.fates.state(message, now).status] += 1
        submission = task.submission
        answer = {
            "originator": submission.sender,
            "body": submission.text,
            "validity": submission.validity if submission.validity is not None else 72,
            "totalprice": submission.price * task.count,
            "currency": submission.currency,
            "sent": task.count - counts["scheduled"],
            "delivered": counts["delivered"],
            "expired": counts["expired"],
            "undeliverable": counts["undeliverable"],
            "unknown": counts["sent"],
        }
        return Reply(200, dumps(answer))

    # -- Viber ---------------------------------------------------------------------------------

    def viber_create(self, payload: Any) -> Reply:
        """`POST|PUT .../viber/create`: up to 50 phones across `messages[].to`."""
        if not isinstance(payload, dict):
            return self.error(24)
        messages = payload.get("messages")
        if not isinstance(messages, list) or not messages:
            return self.error(24)
        validity = _bounded(payload.get("validity"), VIBER_VALIDITY)
        if validity is _BAD:
            return self.error(48)
        tariff = _bounded(payload.get("tariff"), TARIFF)
        if tariff is _BAD:
            return self.error(6)
        phones = 0
        for message in messages:
            to = message.get("to") if isinstance(message, dict) else None
            if not isinstance(to, list):
                return self.error(24)
            if not to:
                return self.error(44)
            phones += len(to)
        if phones > VIBER_MAX_PHONES:
            return self.error(12)
        seen: set[str] = set()
        result: list[str] = []
        accepted = 0
        now = self.now()
        store = self.viber
        head, tail = self._viber_entry_head, self._viber_entry_tail
        for message in messages:
            submission, problem = self._viber_submission(message, validity, tariff, now)
            for entry in message["to"]:
                code, msisdn, reference = self._recipient(entry, store, seen, _VIBER_CODES, problem)
                if code is not None or submission is None:
                    result.append(self._entry_error_text(code or 44, reference, as_string=False))
                    continue
                message_id = store.add(reference, msisdn, submission)
                accepted += 1
                result.append(head + _string(reference) + ',"id":"' + str(message_id) + '"' + tail)
        totals = ""
        if accepted:
            totals = ',"currency":' + _string(self.account.currency)
            totals += ',"total_price":' + str(self.account.viber_price * accepted)
        return Reply(200, _json_text('{"result":[', result, "]" + totals + "}"))

    def _viber_submission(
        self, message: dict[str, Any], validity: Any, tariff: Any, now: float
    ) -> tuple[Submission | None, int | None]:
        """The shared part of one Viber message, or the per-recipient code that refuses it."""
        sender = self._sender_code(message.get("alpha_name"), 45, 45)
        if sender is not None:
            return None, sender
        limit = VIBER_TEXT_MAX
        if self.rules.max_text_length is not None:
            limit = min(limit, self.rules.max_text_length)
        text = self._text(message.get("text"), limit)
        if text is None:
            return None, 46
        promotional = message.get("is_promotional", False)
        if promotional not in (True, False, 0, 1):
            return None, 49
        options = message.get("options")
        viber: Any = {}
        if options is not None:
            if not isinstance(options, dict):
                return None, 49
            viber = options.get("viber", {})
            if not isinstance(viber, dict):
                return None, 49
        image, caption, action = viber.get("img"), viber.get("caption"), viber.get("action")
        if (caption is None) != (action is None) or (image is not None and action is None):
            return None, 49
        for url in (image, action):
            if url is not None and (not isinstance(url, str) or not _URL.fullmatch(url)):
                return None, 49
        if caption is not None and self._text(caption, None) is None:
            return None, 49
        fallback = None
        alt_route = viber.get("alt_route")
        if alt_route is not None:
            if not isinstance(alt_route, dict):
                return None, 49
            originator = alt_route.get("originator")
            fallback_text = self._text(alt_route.get("text"), None)
            if self._sender_code(originator, 49, 49) is not None or fallback_text is None:
                return None, 49
            fallback = (str(originator), fallback_text)
        submission = Submission(
            "viber",
            text,
            str(message["alpha_name"]),
            now,
            self.account.viber_price,
            self.account.currency,
            validity=validity,
            tariff=tariff,
            is_promotional=bool(promotional),
            image_url=image,
            button_caption=caption,
            button_url=action,
            fallback=fallback,
        )
        return submission, None

    def _viber_report(self, message: FakeMessage) -> Reply:
        state = self.fates.state(message, self.now())
        report = self._status_report(message, state)
        if message.has_fallback:
            alt_route = []
            if state.fallback is not None:
                alt_route.append(
                    {
                        "channel": "sms",
                        "id": str(state.fallback_id),
                        "status": state.fallback.status,
                        "price": self._sms_price_text,
                    }
                )
            report["alt_route"] = alt_route
        return Reply(200, dumps(report))

    def viber_get(self, raw_id: str) -> Reply:
        """`GET .../viber/{id}`, with the SMS fallback entries in `alt_route`."""
        message = at_path_id(raw_id, self.viber.get)
        if message is None:
            return self.error(40)
        return self._viber_report(message)

    def viber_by_reference(self, raw_reference: str) -> Reply:
        """`GET .../viber/reference/{reference}`."""
        message = self.viber.find(unquote(raw_reference))
        if message is None:
            return self.error(40)
        return self._viber_report(message)


def _bounded(value: Any, bounds: tuple[int, int]) -> Any:
    """`None` when absent, the int when within `bounds` (strings of digits too), else `_BAD`."""
    if value is None:
        return None
    if isinstance(value, str) and DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]:
        return value
    return _BAD


def _json_text(head: str, items: list[str], tail: str) -> bytes:
    return (head + ",".join(items) + tail).encode("ascii")
