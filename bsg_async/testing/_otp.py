"""The fake One-API's one-time passwords (2FA): sessions with real codes, and code templates.

Endpoints (the OpenAPI description's TwoFA operations), each behind a valid bearer token:

- `POST /api/2fa/authentications/otp` -> 201 `{"data": session}`: a code of `code_digits`
  digits from the fake's seeded generator, living `code_lifetime` seconds of the fake's clock;
- `POST /api/2fa/authentications/otp/{id}/verify` `{"access_code"}`: the right code -> 200,
  `verified`; a wrong one -> 404 "The code does not match the expected value" and one try
  spent (the last one turns the session `failed`); an expired, failed or canceled session ->
  422 "Authentication expired", "... failed status", "... canceled status";
- `POST /api/2fa/authentications/otp/{id}/resend`: a new code (the old one stops working), a
  new lifetime from now; the tries spent stay spent;
- `POST /api/2fa/authentications/{id}/cancel`, `GET /api/2fa/authentications/{id}` (with its
  `messages`), `GET /api/2fa/authentications` (`filter[from]`, `filter[to]` required days;
  status, channel, recipient, country filters; paged 10 to 500) -> `{"data": {"total", "list"}}`;
- templates: `POST`, `GET` (paged, `filter[status]`) `/api/2fa/authentications/templates`,
  `GET`, `DELETE .../templates/{templateId}`; a new template is `requested` (approve it with
  `fake.otp.set_template_status`); template 1, "Default", is approved and cannot be deleted;
- `GET /api/internal/2fa/authentications/full-price` -> `{"data": {"price", "currency"}}`
  (`Account.sms_price`).

Unknown sessions get 404 "Authentication not found". Bodies and queries are validated as the
description says, 422 with per-field messages (`Check`); refusals the description words as a
list (template not approved, name taken, ...) answer `{"message", "errors": [text]}`. A
session's price is 0 while pending and when canceled; otherwise the channel's price
(`Account.sms_price` / `viber_price`) per message sent. Where the description is silent the
fake chose: verifying a verified session answers 422 "Authentication verified status".

Tests read codes through `fake.otp` (`OtpView`): `fake.otp.code(session_id)`,
`fake.otp.last_code(to="380...")`. Codes never leave the fake otherwise.
"""

from __future__ import annotations

import calendar
import random
import re
import time
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import attrs

from ..errors import InvalidParameterError
from ._check import Check, first, paging
from ._config import Account
from ._fates import format_time
from ._json import dumps
from ._rcs import country_of
from ._reply import Reply, invalid
from ._routes import Route
from ._store import Store

__all__ = ["FakeOtpSession", "FakeOtpTemplate", "OtpApi", "OtpView"]

SESSION_BASE = 1
TEMPLATE_BASE = 1
MESSAGE_ID_BASE = 1_445_088_940  # the description's example message id
LIFETIME = (30, 300)
MAX_TRIES = (1, 5)
DIGITS = (3, 9)
TEMPLATE_IDS = (1, 999_999_999)
SENDER_MAX = 15
TEMPLATE_NAME = (3, 50)
REQUESTED_MAX = 10
PAGE = (10, 500)
DEFAULT_PAGE_LIMIT = 10
PLACEHOLDER = "{code2fa}"
DEFAULT_TEMPLATE = ("Default", "Your code is {code2fa}")
STATUSES = ("pending", "verified", "failed", "canceled", "expired")
TEMPLATE_STATUSES = ("requested", "approved", "rejected", "deleted")
CHANNELS = ("sms", "viber")

SERVICE_ERROR = "TwoFA Service error."
INVALID = "The given data was invalid."
NOT_FOUND = "Authentication not found"
WRONG_CODE = "The code does not match the expected value"
_REFUSED = {
    "expired": "Authentication expired",
    "failed": "Authentication failed status",
    "canceled": "Authentication canceled status",
    "verified": "Authentication verified status",  # not in the description: the fake's words
}
_PHONE = re.compile(r"[0-9]{9,15}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ID = re.compile(r"[0-9]{1,9}")


@attrs.frozen
class FakeOtpSession:
    """One 2FA session the fake holds. `id` is the session id the service answers (a UUID);
    `number` its place in the fake's store. `code` is the code now valid (never in the repr);
    `tries` the wrong codes checked so far; `status` the stored status (`"expired"` is
    computed: see `OtpView.status`); times are the fake's clock (Unix seconds); `sent` holds
    the `(message id, time)` of each message that carried a code (the send, then each
    resend)."""

    number: int
    id: str
    to: str
    channel: str
    sender: str
    sender_alt: str | None
    template_id: int
    text: str
    lifetime: int
    max_tries: int
    digits: int
    code: str = attrs.field(repr=False)
    tries: int
    status: str
    created_at: float
    expires_at: float
    finished_at: float | None
    sent: tuple[tuple[int, float], ...]


@attrs.frozen
class FakeOtpTemplate:
    """One code template: `id` (`template_id` on the wire), `name`, `text` (with
    `{code2fa}`), `countries` (empty: any), `status` and when it last changed (fake clock)."""

    id: int
    name: str
    text: str
    countries: tuple[str, ...]
    status: str
    updated_at: float


Sessions = Store[
    [
        str,
        str,
        str,
        str,
        str | None,
        int,
        str,
        int,
        int,
        int,
        str,
        int,
        str,
        float,
        float,
        float | None,
        tuple[tuple[int, float], ...],
    ],
    FakeOtpSession,
]
Templates = Store[[str, str, tuple[str, ...], str, float], FakeOtpTemplate]


def _row(session: FakeOtpSession) -> tuple[Any, ...]:
    """The fields of `session` as its store row (without `number`)."""
    return attrs.astuple(session, recurse=False)[1:]


class OtpApi:
    """The 2FA endpoints and their state (see the module docstring)."""

    def __init__(self, account: Account, *, seed: int, now: Callable[[], float]) -> None:
        self.account = account
        self.seed = seed
        self.now = now
        self.sessions: Sessions = Store(SESSION_BASE, FakeOtpSession, key=0)
        self.templates: Templates = Store(TEMPLATE_BASE, FakeOtpTemplate, key=0)
        self._rng = random.Random(f"otp:{seed}")
        self._next_message = MESSAGE_ID_BASE
        self.clear()

    def clear(self) -> None:
        """Forget every session and template but the default one; the codes start over."""
        self.sessions.clear()
        self.templates.clear()
        self._rng.seed(f"otp:{self.seed}")
        self._next_message = MESSAGE_ID_BASE
        name, text = DEFAULT_TEMPLATE
        self.templates.add(name, text, (), "approved", self.now())

    # -- state -----------------------------------------------------------------------------

    def find(self, session_id: str) -> FakeOtpSession | None:
        """The session with this id, or `None`."""
        return self.sessions.find(session_id)

    def status(self, session: FakeOtpSession) -> str:
        """The session's status now: a pending one past its expiry is `expired`."""
        if session.status == "pending" and self.now() >= session.expires_at:
            return "expired"
        return session.status

    def _new_code(self, digits: int) -> str:
        return "".join(str(self._rng.randrange(10)) for _ in range(digits))

    def _update(self, session: FakeOtpSession, **changes: Any) -> FakeOtpSession:
        changed = attrs.evolve(session, **changes)
        self.sessions.replace(session.number, *_row(changed))
        return changed

    # -- sessions --------------------------------------------------------------------------

    def send(self, payload: Any) -> Reply:
        """`POST /api/2fa/authentications/otp`."""
        body = payload if isinstance(payload, dict) else {}
        check = Check()
        to = check.text(body.get("recipient"), "recipient", SENDER_MAX)
        if to is not None and not _PHONE.fullmatch(to):
            check.add("recipient", "The recipient must be 9 to 15 digits.")
        channel = body.get("channel")
        if check.required(channel, "channel") and channel not in CHANNELS:
            check.add("channel", "The value you selected is not a valid choice.")
        sender = check.text(body.get("sender"), "sender", SENDER_MAX)
        if sender is not None and len(sender) < 3:
            check.add("sender", "The sender must be at least 3 characters.")
        sender_alt = check.text(body.get("sender_alt"), "sender_alt", SENDER_MAX, required=False)
        template_id = _required_int(check, body.get("template_id"), "template_id", TEMPLATE_IDS)
        lifetime = _required_int(check, body.get("code_lifetime"), "code_lifetime", LIFETIME)
        max_tries = _required_int(check, body.get("code_max_tries"), "code_max_tries", MAX_TRIES)
        digits = _required_int(check, body.get("code_digits"), "code_digits", DIGITS)
        if check.errors:
            return invalid(check.errors)
        assert to is not None
        assert sender is not None
        assert isinstance(channel, str)
        assert template_id is not None
        assert lifetime is not None
        assert max_tries is not None
        assert digits is not None
        template = self.templates.get(template_id)
        if template is None:
            return _refused(422, "Template is not available.", message=INVALID)
        if template.status != "approved":
            return _refused(422, "Invalid template status", message=INVALID)
        if template.countries and country_of(to) not in template.countries:
            return _refused(
                422,
                "The recipients phone number is located in a country that is not on the list "
                "of countries allowed for the selected template. Please register new message "
                "template.",
                message=INVALID,
            )
        now = self.now()
        session_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        session = self.sessions.create(
            session_id,
            to,
            channel,
            sender,
            sender_alt if channel == "viber" else None,
            template_id,
            template.text,
            lifetime,
            max_tries,
            digits,
            self._new_code(digits),
            0,
            "pending",
            now,
            now + lifetime,
            None,
            ((self._message_id(), now),),
        )
        return Reply(201, dumps({"data": self.session_json(session)}))

    def verify(self, session_id: str, payload: Any) -> Reply:
        """`POST /api/2fa/authentications/otp/{id}/verify`."""
        body = payload if isinstance(payload, dict) else {}
        check = Check()
        code = check.text(body.get("access_code"), "access_code", 9)
        if check.errors:
            return invalid(check.errors)
        session = self._pending(session_id)
        if isinstance(session, Reply):
            return session
        if code == session.code:
            session = self._update(session, status="verified", finished_at=self.now())
            return Reply(200, dumps({"data": self.session_json(session)}))
        tries = session.tries + 1
        if tries >= session.max_tries:
            self._update(session, tries=tries, status="failed", finished_at=self.now())
        else:
            self._update(session, tries=tries)
        return _refused(404, WRONG_CODE)

    def resend(self, session_id: str) -> Reply:
        """`POST /api/2fa/authentications/otp/{id}/resend`."""
        session = self._pending(session_id)
        if isinstance(session, Reply):
            return session
        now = self.now()
        session = self._update(
            session,
            code=self._new_code(session.digits),
            expires_at=now + session.lifetime,
            sent=(*session.sent, (self._message_id(), now)),
        )
        return Reply(200, dumps({"data": self.session_json(session)}))

    def cancel(self, session_id: str) -> Reply:
        """`POST /api/2fa/authentications/{id}/cancel`."""
        session = self._pending(session_id)
        if isinstance(session, Reply):
            return session
        session = self._update(session, status="canceled", finished_at=self.now())
        return Reply(200, dumps({"data": self.session_json(session)}))

    def _pending(self, session_id: str) -> FakeOtpSession | Reply:
        """The pending session with this id, or the refusal: 404 unknown, 422 finished."""
        session = self.find(session_id)
        if session is None:
            return _refused(404, NOT_FOUND)
        status = self.status(session)
        if status != "pending":
            return _refused(422, _REFUSED[status])
        return session

    def get(self, session_id: str) -> Reply:
        """`GET /api/2fa/authentications/{id}`, with the session's messages."""
        session = self.find(session_id)
        if session is None:
            return _refused(404, NOT_FOUND)
        return Reply(200, dumps({"data": self.session_json(session, messages=True)}))

    def list(self, query: str) -> Reply:
        """`GET /api/2fa/authentications`: created from `filter[from]` to `filter[to]` (days)."""
        params = parse_qs(query, keep_blank_values=True)
        check = Check()
        offset, limit = paging(check, params, PAGE, DEFAULT_PAGE_LIMIT)
        since = _day(check, params, "from")
        until = _day(check, params, "to")
        status = _choice(check, params, "status", STATUSES)
        channel = _choice(check, params, "channel", CHANNELS)
        recipient = first(params, "filter[recipient]")
        country = first(params, "filter[country_code]")
        if check.errors:
            return invalid(check.errors)
        assert since is not None
        assert until is not None

        def wanted(session: FakeOtpSession) -> bool:
            day = time.strftime("%Y-%m-%d", time.gmtime(session.created_at))
            return (
                since <= day <= until
                and (status is None or self.status(session) == status)
                and (channel is None or session.channel == channel)
                and (recipient is None or session.to == recipient)
                and (country is None or country_of(session.to) == country)
            )

        found = self.sessions.page(offset, limit, where=wanted)
        items = [self.session_json(s, messages=True) for s in found.items]
        return Reply(200, dumps({"data": {"total": found.total, "list": items}}))

    def session_json(self, session: FakeOtpSession, *, messages: bool = False) -> dict[str, Any]:
        """A session as the service answers it (its `messages` for `get` and `list`)."""
        status = self.status(session)
        finished = session.finished_at
        if status == "expired":
            finished = session.expires_at
        price = self._price(session)
        data: dict[str, Any] = {
            "id": session.id,
            "recipient": session.to,
            "status": status,
            "channel": session.channel,
            "sender": session.sender,
            "sender_alt": session.sender_alt,
            "message_text": session.text,
            "code_lifetime": session.lifetime,
            "code_max_tries": session.max_tries,
            "code_digits": session.digits,
            "price": 0 if status in ("pending", "canceled") else price * len(session.sent),
            "currency": self.account.currency,
            "country_code": country_of(session.to),
            "expired_at": format_time(session.expires_at),
            "created_at": format_time(session.created_at),
            "finished_at": None if finished is None else format_time(finished),
        }
        if messages:
            data["messages"] = [
                {
                    "id": message_id,
                    "recipient": session.to,
                    "channel": session.channel,
                    "sender": session.sender,
                    "status": "sent",
                    "price": price,
                    "currency": self.account.currency,
                    "created_at": format_time(moment),
                    "sent_at": format_time(moment),
                }
                for message_id, moment in session.sent
            ]
        return data

    def _price(self, session: FakeOtpSession) -> Decimal:
        return self.account.price(session.channel)

    def _message_id(self) -> int:
        self._next_message += 1
        return self._next_message - 1

    # -- templates -------------------------------------------------------------------------

    def create_template(self, payload: Any) -> Reply:
        """`POST /api/2fa/authentications/templates`."""
        body = payload if isinstance(payload, dict) else {}
        check = Check()
        name = check.text(body.get("name"), "name", TEMPLATE_NAME[1])
        if name is not None and len(name) < TEMPLATE_NAME[0]:
            check.add("name", f"The name must be at least {TEMPLATE_NAME[0]} characters.")
        text = check.text(body.get("text"), "text", 2000)
        countries: list[str] = []
        raw = body.get("countries")
        if raw is not None:
            for index, code in enumerate(check.items(raw, "countries", (0, 300)) or ()):
                if isinstance(code, str) and _COUNTRY.fullmatch(code):
                    countries.append(code)
                else:
                    check.add(f"countries.{index}", f"The countries.{index} is not a country.")
        if check.errors:
            return invalid(check.errors)
        assert name is not None
        assert text is not None
        if PLACEHOLDER not in text:
            return _refused(422, "The variable {code2fa} is required in the text", message=INVALID)
        if text.count(PLACEHOLDER) > 1:
            return _refused(
                422, "The {code2fa} variable must occur only once in the text", message=INVALID
            )
        if self.templates.taken(name):
            return _refused(422, "User has a template with the identical name!", message=INVALID)
        if sum(t.status == "requested" for t in self.templates) >= REQUESTED_MAX:
            return _refused(
                422,
                "The number of requests to create a template is limited to 10. Please wait for "
                "the manager approve before making a new request.",
                message=INVALID,
            )
        template = self.templates.create(name, text, tuple(countries), "requested", self.now())
        return Reply(200, dumps({"data": _template_json(template)}))

    def template(self, raw_id: str) -> Reply:
        """`GET /api/2fa/authentications/templates/{templateId}`."""
        template = self._template(raw_id)
        if template is None:
            return Reply(404, dumps({"message": "Model not found"}))
        return Reply(200, dumps({"data": _template_json(template)}))

    def template_list(self, query: str) -> Reply:
        """`GET /api/2fa/authentications/templates`: paged, optionally by status."""
        params = parse_qs(query, keep_blank_values=True)
        check = Check()
        offset, limit = paging(check, params, PAGE, DEFAULT_PAGE_LIMIT)
        status = _choice(check, params, "status", TEMPLATE_STATUSES)
        if check.errors:
            return invalid(check.errors)
        found = self.templates.page(
            offset, limit, where=lambda t: status is None or t.status == status
        )
        items = [_template_json(t) for t in found.items]
        return Reply(200, dumps({"data": {"total": found.total, "list": items}}))

    def delete_template(self, raw_id: str) -> Reply:
        """`DELETE /api/2fa/authentications/templates/{templateId}`."""
        template = self._template(raw_id)
        if template is None:
            return _refused(404, "Template not found")
        if template.id == TEMPLATE_BASE:
            return _refused(422, "Default template is not available for deletion", message=INVALID)
        self.templates.remove(template.id)
        return Reply(200, dumps({"data": {"status": "Successfully removed"}}))

    def set_template_status(self, template_id: int, status: str) -> FakeOtpTemplate:
        """Moderate a template: give it `status` (`requested`, `approved`, `rejected`)."""
        template = self.templates.get(template_id)
        if template is None:
            raise KeyError(f"no 2FA template {template_id!r}")
        if status not in TEMPLATE_STATUSES[:3]:
            raise InvalidParameterError(
                "status", status, "expected 'requested', 'approved' or 'rejected'"
            )
        changed = attrs.evolve(template, status=status, updated_at=self.now())
        self.templates.replace(template_id, *attrs.astuple(changed, recurse=False)[1:])
        return changed

    def _template(self, raw_id: str) -> FakeOtpTemplate | None:
        return self.templates.get(int(raw_id)) if _ID.fullmatch(raw_id) else None

    # -- price -----------------------------------------------------------------------------

    def full_price(self, query: str) -> Reply:
        """`GET /api/internal/2fa/authentications/full-price`."""
        params = parse_qs(query, keep_blank_values=True)
        check = Check()
        channel = first(params, "channel_type")
        if check.required(channel, "channel_type") and channel != "sms":
            check.add("channel_type", "The selected channel type is invalid.")
        currency = first(params, "currency")
        check.required(currency, "currency")
        check.integer(first(params, "tariff_code"), "tariff_code")
        check.integer(first(params, "operator_id"), "operator_id")
        if check.errors:
            return invalid(check.errors)
        data = {"price": self.account.sms_price, "currency": currency}
        return Reply(200, dumps({"data": data}))

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router` (templates before `{id}`)."""
        sessions = "2fa/authentications"
        templates = f"{sessions}/templates"
        return (
            Route("POST", f"{sessions}/otp", lambda call: self.send(call.json())),
            Route(
                "POST",
                f"{sessions}/otp/{{id}}/verify",
                lambda call: self.verify(call.params["id"], call.json()),
            ),
            Route("POST", f"{sessions}/otp/{{id}}/resend", lambda c: self.resend(c.params["id"])),
            Route("POST", f"{sessions}/{{id}}/cancel", lambda c: self.cancel(c.params["id"])),
            Route("GET", templates, lambda call: self.template_list(call.query)),
            Route("POST", templates, lambda call: self.create_template(call.json())),
            Route("GET", f"{templates}/{{id}}", lambda c: self.template(c.params["id"])),
            Route("DELETE", f"{templates}/{{id}}", lambda c: self.delete_template(c.params["id"])),
            Route("GET", sessions, lambda call: self.list(call.query)),
            Route("GET", f"{sessions}/{{id}}", lambda call: self.get(call.params["id"])),
            Route(
                "GET",
                "internal/2fa/authentications/full-price",
                lambda call: self.full_price(call.query),
            ),
        )


class OtpView:
    """What a test reads of the fake's one-time passwords (`fake.otp`): the codes the
    service sent, so your own tests can log in, and the sessions and templates.

    ```python
    session = await bsg.otp.send(to="380501234567", sender="MyShop", template=1)
    await bsg.otp.verify(session.id, fake.otp.code(session.id))
    assert fake.otp.status(session.id) == "verified"
    ```
    """

    def __init__(self, api: OtpApi) -> None:
        self._api = api

    @property
    def default_template(self) -> int:
        """The id of the account's default template (approved; it cannot be deleted)."""
        return TEMPLATE_BASE

    def code(self, session_id: str) -> str:
        """The code now valid for the session (after a resend: the new one).

        Raises `KeyError` for an unknown session id.
        """
        return self._session(session_id).code

    def last_code(self, to: str) -> str:
        """The code of the newest session sent to the phone `to` (digits; a leading `+` is
        ignored). Raises `KeyError` when none was sent to it."""
        number = to[1:] if to.startswith("+") else to
        for session in reversed(self._api.sessions.records):
            if session.to == number:
                return session.code
        raise KeyError(f"no 2FA code was sent to {to!r}")

    def session(self, session_id: str) -> FakeOtpSession | None:
        """The session with this id, or `None`."""
        return self._api.find(session_id)

    @property
    def sessions(self) -> tuple[FakeOtpSession, ...]:
        """Every session, oldest first (a copy)."""
        return tuple(self._api.sessions)

    def status(self, session_id: str) -> str:
        """The session's status now (`pending`, `verified`, `failed`, `canceled`, `expired`
        once its lifetime passed on the fake's clock). Raises `KeyError` for an unknown id."""
        return self._api.status(self._session(session_id))

    def tries_left(self, session_id: str) -> int:
        """How many more codes the session would check. Raises `KeyError` for an unknown id."""
        session = self._session(session_id)
        return max(session.max_tries - session.tries, 0)

    @property
    def templates(self) -> tuple[FakeOtpTemplate, ...]:
        """Every template, in id order (a copy)."""
        return tuple(self._api.templates)

    def set_template_status(self, template_id: int, status: str) -> FakeOtpTemplate:
        """Moderate a template as BSG's managers do: `"approved"` (it can send codes),
        `"rejected"` or back to `"requested"`; returns it as changed.

        Raises `KeyError` for an unknown id, `InvalidParameterError` for another status.
        """
        return self._api.set_template_status(template_id, status)

    def _session(self, session_id: str) -> FakeOtpSession:
        session = self._api.find(session_id)
        if session is None:
            raise KeyError(f"no 2FA session {session_id!r}")
        return session

    def __len__(self) -> int:
        return len(self._api.sessions)


def _refused(status: int, text: str, *, message: str = SERVICE_ERROR) -> Reply:
    """A refusal worded as a list: `{"message", "errors": [text]}`."""
    return Reply(status, dumps({"message": message, "errors": [text]}))


def _template_json(template: FakeOtpTemplate) -> dict[str, Any]:
    return {
        "template_id": template.id,
        "name": template.name,
        "text": template.text,
        "countries": list(template.countries),
        "status": template.status,
        "updated_at": format_time(template.updated_at),
    }


def _required_int(check: Check, value: Any, key: str, bounds: tuple[int, int]) -> int | None:
    if not check.required(value, key):
        return None
    return check.integer(value, key, bounds)


def _day(check: Check, params: Mapping[str, list[str]], name: str) -> str | None:
    key = f"filter.{name}"
    raw = first(params, f"filter[{name}]")
    if not check.required(raw, key):
        return None
    assert raw is not None
    try:
        if not _DAY.fullmatch(raw):
            raise ValueError(raw)
        calendar.timegm(time.strptime(raw, "%Y-%m-%d"))
    except ValueError:
        check.add(key, f"The {key} does not match the format Y-m-d.")
        return None
    return raw


def _choice(
    check: Check, params: Mapping[str, list[str]], name: str, allowed: tuple[str, ...]
) -> str | None:
    value = first(params, f"filter[{name}]")
    if value is not None and value not in allowed:
        check.add(f"filter.{name}", f"The selected filter.{name} is invalid.")
        return None
    return value
