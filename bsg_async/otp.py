"""`bsg.otp`: one-time passwords (2FA) through the One-API: send a code, verify what the user
typed, resend, cancel, read sessions, manage code templates, and the price.

The service generates the code, sends it in an SMS or Viber message made from an approved
template, and checks it: the SDK never sees the code. A session is `pending` until the code
is verified, its tries are spent, its lifetime ends or it is canceled (`OtpStatus`).

**Errors a session answers with** are typed (`bsg_async.errors`): a wrong code is
`OtpWrongCodeError` (HTTP 404; the try is spent), an expired session `OtpExpiredError`, a
session whose tries are all spent `OtpExhaustedError`, a canceled one `OtpCanceledError`
(HTTP 422 each; all are `OtpError`s), an unknown session id `NotFoundError`.

**Retries.** A 2FA send carries no `reference_id`, so the service cannot refuse a repeat: a
send (and a resend) is retried only when it surely did not reach the service; otherwise the
error says `may_have_been_accepted=True` (a code may be on its way, in a session whose id
the SDK never learned; sending again sends the user a second code). A verify or cancel whose
answer was lost is settled by reading the session: done (`verified`, `canceled`) -> the
call returns it; otherwise the call is made once more: on a pending session that is a retry
(a lost wrong-code verify then spends one more try), on a finished one it gets the service's
refusal (`OtpExhaustedError`, `OtpExpiredError`, ...). When the session cannot be read, the
first error is raised.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from . import _validation as rules
from ._one_api_sending import post_unreferenced, structured, surely_not_accepted
from ._paging import DEFAULT_PAGE_SIZE, Pages, one_object, page_size
from .errors import BSGError, InvalidParameterError
from .models.otp import OtpChannel, OtpSession, OtpStatus, OtpTemplate, OtpTemplateStatus

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["OtpResource", "OtpTemplatesResource"]

SESSIONS_PATH = "/api/2fa/authentications"
SEND_PATH = "/api/2fa/authentications/otp"
TEMPLATES_PATH = "/api/2fa/authentications/templates"
PRICE_PATH = "/api/internal/2fa/authentications/full-price"

VALIDITY_SECONDS = (30, 300)
MAX_TRIES = (1, 5)
DIGITS = (3, 9)
TEMPLATE_IDS = (1, 999_999_999)  # 1 to 9 digits
SENDER_MIN = 3  # 3 to 11 for a name, 3 to 15 for a number
TEMPLATE_NAME_LENGTH = (3, 50)
PLACEHOLDER = "{code2fa}"
PAGE_SIZE_BOUNDS = (10, 500)
PRICE_TARIFFS = (0, 2**63 - 1)
PRICE_OPERATORS = (1, 2**63 - 1)


class OtpResource:
    """One-time passwords (the One-API's 2FA), as `bsg.otp`; code templates as
    `bsg.otp.templates`. See the module docstring for errors and retries.

    ```python
    session = await bsg.otp.send(to="380501234567", sender="MyShop", template=12)
    ...  # the user types the code they received
    try:
        await bsg.otp.verify(session.id, typed_code)
    except OtpWrongCodeError:
        ...  # ask again (until OtpExhaustedError)
    ```
    """

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client
        self.templates = OtpTemplatesResource(client)

    async def send(
        self,
        *,
        to: str,
        sender: str,
        template: int,
        channel: OtpChannel | str = OtpChannel.SMS,
        sms_sender: str | None = None,
        validity: timedelta = timedelta(minutes=5),
        max_tries: int = 3,
        digits: int = 6,
    ) -> OtpSession:
        """Generate a code, send it to `to`, and return the new `pending` session.

        - `to`: the recipient, 9 to 15 digits in international format (a leading `+` is
          stripped); sent as `recipient`.
        - `sender`: the sender name (3 to 11 Latin letters, digits, spaces or signs) or
          number (3 to 15 digits), registered in your account.
        - `template`: the id of an **approved** template (`bsg.otp.templates`), whose text
          holds the code's place (`{code2fa}`); sent as `template_id`.
        - `channel`: `"sms"` (default) or `"viber"`; with Viber, `sms_sender` names the SMS
          sender used when the Viber message cannot be delivered (`sender_alt`).
        - `validity`: how long the code lives, a `timedelta` of 30 to 300 whole seconds
          (default 5 minutes; `code_lifetime`).
        - `max_tries`: how many codes may be checked, 1 to 5 (default 3); `digits`: the
          code's length, 3 to 9 (default 6).

        ```python
        session = await bsg.otp.send(to="380501234567", sender="MyShop", template=12,
                                     validity=timedelta(minutes=2))
        ```

        Raises `InvalidParameterError` before sending for a bad value;
        `InvalidRequestError` (HTTP 422) when the service refuses (template not approved or
        not for that country, the phone on the stop list, insufficient funds, too many
        pending sessions: its words are in `errors`); `TransportError` or `ServerError` with
        `may_have_been_accepted=True` when a code may have been sent without the SDK
        learning the session (see the module docstring).
        """
        chosen = _channel(channel)
        if sms_sender is not None and chosen is not OtpChannel.VIBER:
            raise InvalidParameterError(
                "sms_sender", sms_sender, "only a Viber send has an SMS sender to fall back to"
            )
        payload = self._client._wire.otp_send(
            to=rules.msisdn(to, "to", min_digits=9),
            channel=chosen.value,
            sender=_sender(sender, "sender", sms=chosen is OtpChannel.SMS),
            sms_sender=None if sms_sender is None else _sender(sms_sender, "sms_sender"),
            template=rules.integer(template, "template", TEMPLATE_IDS, "(a template id)"),
            validity=rules.duration(validity, "validity", VALIDITY_SECONDS, "seconds"),
            max_tries=rules.integer(max_tries, "max_tries", MAX_TRIES),
            digits=rules.integer(digits, "digits", DIGITS),
        )
        return await post_unreferenced(self._client, SEND_PATH, payload, OtpSession)

    async def verify(self, id: str, code: str) -> OtpSession:
        """Check the code the user typed; return the session, now `verified`.

        `id` is `OtpSession.id` from `send`; `code` is 3 to 9 digits (surrounding spaces
        ignored; sent as `access_code`, never logged or shown in an error).

        ```python
        try:
            session = await bsg.otp.verify(session_id, "482913")
        except OtpWrongCodeError:
            ...  # the try is spent; the user may type it again
        except (OtpExpiredError, OtpExhaustedError):
            ...  # send a new code
        ```

        Raises `InvalidParameterError` before sending for a malformed id or code;
        `OtpWrongCodeError` (wrong code, the session stays pending while tries remain),
        `OtpExpiredError`, `OtpExhaustedError`, `OtpCanceledError` (all `OtpError`),
        `NotFoundError` for an unknown session. A verify whose answer was lost is settled by
        reading the session (module docstring).
        """
        session_id = rules.uuid(id)
        payload = self._client._wire.otp_verify(rules.otp_code(code))
        path = f"{SESSIONS_PATH}/otp/{session_id}/verify"

        async def attempt() -> OtpSession:
            return await self._settling_post(path, payload)

        return await self._settled(session_id, OtpStatus.VERIFIED, attempt)

    async def resend(self, id: str) -> OtpSession:
        """Send a new code for a pending session (the previous code stops working) and
        return the session.

        ```python
        session = await bsg.otp.resend(session.id)
        ```

        Raises `InvalidParameterError` for a malformed id; `OtpExpiredError`,
        `OtpExhaustedError`, `OtpCanceledError` when the session is no longer pending;
        `NotFoundError` for an unknown session. Retried only when the request surely did
        not reach the service (a lost answer: `may_have_been_accepted=True`, a new code
        may be on its way).
        """
        session_id = rules.uuid(id)
        return await post_unreferenced(
            self._client, f"{SESSIONS_PATH}/otp/{session_id}/resend", None, OtpSession
        )

    async def cancel(self, id: str) -> OtpSession:
        """Cancel a pending session (its code stops working) and return it, `canceled`.

        ```python
        await bsg.otp.cancel(session.id)
        ```

        Raises `InvalidParameterError` for a malformed id; `OtpExpiredError`,
        `OtpExhaustedError` (HTTP 422) or `InvalidRequestError` when the session is no
        longer pending; `NotFoundError` for an unknown session.
        """
        session_id = rules.uuid(id)
        path = f"{SESSIONS_PATH}/{session_id}/cancel"

        async def attempt() -> OtpSession:
            return await self._settling_post(path, None)

        return await self._settled(session_id, OtpStatus.CANCELED, attempt)

    async def get(self, id: str) -> OtpSession:
        """One session by its id, with the messages that carried its codes.

        ```python
        session = await bsg.otp.get("ea5db413-e368-4952-b745-cc2030210c49")
        print(session.status, session.expires_at, session.price)
        ```

        Raises `InvalidParameterError` for a malformed id, `NotFoundError` for an unknown
        session.
        """
        session_id = rules.uuid(id)
        return await one_object(self._client, "GET", f"{SESSIONS_PATH}/{session_id}", OtpSession)

    def list(
        self,
        *,
        created_from: date,
        created_to: date,
        status: OtpStatus | str | None = None,
        channel: OtpChannel | str | None = None,
        to: str | None = None,
        country: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[OtpSession]:
        """The sessions created from `created_from` to `created_to` (`date`s, both included;
        the service needs both: the filters `from` and `to`), as an async iterator fetching
        pages of `page_size` (10 to 500).

        Optional filters: `status`, `channel`, `to` (the recipient's phone, 9 to 15 digits;
        `recipient` on the wire) and `country` (ISO 3166-1 alpha-2, `country_code`).

        ```python
        async for session in bsg.otp.list(
            created_from=date(2026, 12, 1), created_to=date(2026, 12, 6), status="verified"
        ):
            print(session.id, session.to, session.price)
        ```

        Raises `InvalidParameterError` at once for a bad argument; while iterating, what a
        request raises.
        """
        first, last = rules.days(created_from, created_to)
        params: dict[str, str | int] = {"filter[from]": first, "filter[to]": last}
        if status is not None:
            params["filter[status]"] = OtpStatus.required(status, "status")
        if channel is not None:
            params["filter[channel]"] = _channel(channel).value
        if to is not None:
            params["filter[recipient]"] = rules.msisdn(to, "to", min_digits=9)
        if country is not None:
            params["filter[country_code]"] = rules.country_code(country)
        return Pages(
            self._client,
            SESSIONS_PATH,
            OtpSession,
            limit=page_size_checked(page_size),
            params=params,
        )

    async def price(
        self,
        *,
        currency: str,
        country: str | None = None,
        operator_id: int | None = None,
        tariff: int | None = None,
        channel: OtpChannel | str = OtpChannel.SMS,
    ) -> Decimal:
        """The full price of one session (the service's "full price" query, an internal
        endpoint of the One-API), in `currency` (`"EUR"`, ...).

        Optional: `country` (ISO 3166-1 alpha-2), `operator_id` (a network's id), `tariff`
        (sent as `tariff_code`). `channel`: the service prices `"sms"` only.

        ```python
        price = await bsg.otp.price(currency="EUR", country="UA")
        ```

        Raises `InvalidParameterError` for a bad argument; `UnexpectedResponseError` when
        the answer holds no price (its shape is not documented: `price`, `full_price`,
        `amount`, `total_price` or `value` is read).
        """
        if _channel(channel) is not OtpChannel.SMS:
            raise InvalidParameterError("channel", channel, "the service prices SMS codes only")
        params: dict[str, str | int] = {
            "channel_type": OtpChannel.SMS.value,
            "currency": rules.text(currency, "currency", max_length=10),
        }
        if tariff is not None:
            params["tariff_code"] = rules.integer(tariff, "tariff", PRICE_TARIFFS)
        if country is not None:
            params["country_code"] = rules.country_code(country)
        if operator_id is not None:
            params["operator_id"] = rules.integer(operator_id, "operator_id", PRICE_OPERATORS)
        answer = await self._client.one_api_request("GET", PRICE_PATH, params=params)
        return self._client._wire.otp_price(answer.data, http_status=answer.http_status)

    # -- helpers -------------------------------------------------------------------------------

    async def _settling_post(self, path: str, payload: dict[str, str] | None) -> OtpSession:
        """POST a call that changes a session, retried only when it surely did not arrive
        (errors say `may_have_been_accepted` when it may have)."""
        answer = await self._client.one_api_request(
            "POST", path, json=payload, send=True, retry_if=surely_not_accepted
        )
        return structured(self._client, answer, OtpSession)

    async def _settled(
        self,
        session_id: str,
        done: OtpStatus,
        attempt: Callable[[], Awaitable[OtpSession]],
    ) -> OtpSession:
        """`attempt()`; when its fate is unknown, the session as the service has it if it is
        `done`, else one more `attempt()` (whose errors are raised as they are)."""
        try:
            return await attempt()
        except BSGError as error:
            if not error.may_have_been_accepted:
                raise
            try:
                session = await self.get(session_id)
            except BSGError as lookup_error:
                raise error from lookup_error
            if session.status is done:
                return session
            # Pending: the call did not take effect (a wrong code spent a try, at most). Finished
            # otherwise: the call is refused without effect, in the service's typed words.
            return await attempt()


class OtpTemplatesResource:
    """The message templates of one-time codes, as `bsg.otp.templates`. A new template is
    `requested` until BSG's moderation approves (or rejects) it; only an approved one can
    send codes."""

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def create(
        self, *, name: str, text: str, countries: Iterable[str] | None = None
    ) -> OtpTemplate:
        """Create a template and return it (`requested`, awaiting moderation).

        - `name`: 3 to 50 characters, unique among your templates.
        - `text`: the message, with `{code2fa}` exactly once where the code goes.
        - `countries`: ISO 3166-1 alpha-2 codes of the recipients it may be sent to.

        ```python
        template = await bsg.otp.templates.create(name="login", text="Your code: {code2fa}",
                                                   countries=["UA", "PL"])
        ```

        Raises `InvalidParameterError` before sending for a bad value (no `{code2fa}`, or
        more than one); `InvalidRequestError` (HTTP 422) when the service refuses (a name
        taken, 10 templates already awaiting moderation, a demo account).
        """
        low, high = TEMPLATE_NAME_LENGTH
        checked_name = rules.text(name, "name", min_length=low, max_length=high)
        checked_text = rules.text(text, "text")
        if checked_text.count(PLACEHOLDER) != 1:
            raise InvalidParameterError(
                "text", text, f"needs the placeholder {PLACEHOLDER} exactly once"
            )
        codes = None if countries is None else _countries(countries)
        payload = self._client._wire.otp_template(checked_name, checked_text, codes)
        # Made once: after a lost answer a retry would meet "User has a template with the
        # identical name!", so only what surely did not arrive is retried (and the error says
        # `may_have_been_accepted`: look for it with `list`).
        return await post_unreferenced(self._client, TEMPLATES_PATH, payload, OtpTemplate)

    async def get(self, id: int) -> OtpTemplate:
        """One template by its id.

        ```python
        template = await bsg.otp.templates.get(515)
        ```

        Raises `InvalidParameterError` for a bad id, `NotFoundError` for an unknown one.
        """
        template_id = rules.integer(id, "id", TEMPLATE_IDS, "(a template id)")
        return await one_object(self._client, "GET", f"{TEMPLATES_PATH}/{template_id}", OtpTemplate)

    def list(
        self,
        *,
        status: OtpTemplateStatus | str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[OtpTemplate]:
        """Every template (with `status`, when given), as an async iterator fetching pages
        of `page_size` (10 to 500).

        ```python
        async for template in bsg.otp.templates.list(status="approved"):
            print(template.id, template.name)
        ```

        Raises `InvalidParameterError` at once for a bad argument; while iterating, what a
        request raises.
        """
        params: dict[str, str | int] = {}
        if status is not None:
            params["filter[status]"] = OtpTemplateStatus.required(status, "status")
        return Pages(
            self._client,
            TEMPLATES_PATH,
            OtpTemplate,
            limit=page_size_checked(page_size),
            params=params,
        )

    async def delete(self, id: int) -> None:
        """Delete a template.

        ```python
        await bsg.otp.templates.delete(515)
        ```

        Raises `InvalidParameterError` for a bad id; `NotFoundError` for an unknown one;
        `InvalidRequestError` (HTTP 422) for the account's default template, which cannot
        be deleted.
        """
        template_id = rules.integer(id, "id", TEMPLATE_IDS, "(a template id)")
        await self._client.one_api_request("DELETE", f"{TEMPLATES_PATH}/{template_id}")


def page_size_checked(value: object) -> int:
    """A 2FA list's page size: 10 to 500."""
    return page_size(value, PAGE_SIZE_BOUNDS)


def _sender(value: object, field: str, *, sms: bool = True) -> str:
    """An SMS sender (3 to 11 letters, digits, spaces or signs, or 3 to 15 digits), or a
    Viber one (`sms=False`: 3 to 14 characters, as the Viber `alpha_name`; the description's
    own example is 12 characters)."""
    return rules.sender(value, field, sms=sms, min_length=SENDER_MIN)


def _channel(value: object) -> OtpChannel:
    return OtpChannel(OtpChannel.required(value, "channel"))


def _countries(value: Iterable[str]) -> list[str]:
    if isinstance(value, str):
        value = [value]
    return [rules.country_code(code, f"countries[{index}]") for index, code in enumerate(value)]
