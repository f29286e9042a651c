"""`bsg.rcs`: send RCS messages and campaigns through the One-API.

**Retries and the 429 rule.** Every phone of an RCS send carries a `reference` (sent as
`reference_id`) fixed before the first attempt (32 hex characters are generated where none is
given), and the service rejects a second message with a reference it already holds. So a send whose
answer was lost (a timeout after the request was written, a reset connection, a 5xx) is retried with
the same bytes, like every other request. An HTTP 429 on a send ("Too many duplicate request
detected") is different: it may mean "already accepted", so it is **never resent**. The SDK
reconciles instead, by looking the reference up in the message search (`GET
/api/messages?filter[reference_id]=...`):

- found: the call returns what the service holds (a `MessageInfo` for `send`, the `Campaign`
  of the found message for `send_campaign`);
- not found: the `RateLimitError` is raised, with `may_have_been_accepted=True` when an
  earlier attempt of the call may have been accepted or the service called it a duplicate
  (resending later with the **same** `reference` is then safe).

A 422 naming `reference_id` after an attempt that may have been accepted, and a success
answer the SDK cannot decode, are reconciled the same way. A campaign to `contact_lists` has
no reference: it is retried only when the request surely did not reach the service, and a
429 there is raised as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from . import _validation as rules
from ._one_api_sending import (
    held_campaign,
    held_message,
    post_referenced,
    post_unreferenced,
)
from .errors import (
    BSGError,
    InvalidParameterError,
)
from .models import Recipient, SmsFallback
from .models.one_api import (
    SMS_FALLBACK_TEXT_MAX,
    Campaign,
    MessageInfo,
    RcsCard,
    RcsContent,
    RcsOptions,
)

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["RcsResource"]

SEND_PATH = "/api/messages/rcs/send"
CAMPAIGN_PATH = "/api/campaigns/rcs/send"
GROUPS_PATH = "/api/campaigns/rcs/send-groups"

SENDER_MAX = 40
CALLBACK_URL_MAX = 100
CAMPAIGN_MAX_PHONES = 5000
CONTACT_LISTS_MAX = 1000


class RcsResource:
    """The RCS endpoints of the One-API, as `bsg.rcs`.

    `validity` is a `timedelta`: whole hours from 1 to 72 are sent as `validity` (hours),
    anything else must be whole seconds from 30 to 86,400 (sent as `validity_seconds`); the
    service's default is 72 hours. `tariff` is a `Tariff.code` from `bsg.account.tariffs()`
    (sent as `tariff_code`). `add_to_contact_book` and `check_stop_list` are sent only when
    given (the service's default for both: `True`). See the module docstring for retries and
    the 429 rule.
    """

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def send(
        self,
        *,
        to: str,
        sender: str,
        text: str | None = None,
        cards: Sequence[RcsCard] | RcsCard | None = None,
        reference: str | None = None,
        sms_fallback: SmsFallback | None = None,
        callback_url: str | None = None,
        tariff: int | None = None,
        validity: timedelta | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
    ) -> MessageInfo:
        """Send one RCS message (no campaign) and return its `MessageInfo`.

        - `to`: 9 to 15 digits, international format (a leading `+` is stripped; sent as
          `phone.number`).
        - `sender`: the RCS agent's name, 1 to 40 characters.
        - `text` (1 to 160 characters) **or** `cards` (1 to 10 `RcsCard`s; the service's
          prose says up to 5).
        - `reference`: 1 to 32 letters and digits, unique per message (sent as
          `reference_id`); generated when `None`. Status callbacks and
          `bsg.messages.list(reference=...)` use it.
        - `sms_fallback`: an `SmsFallback` sent when RCS cannot be delivered.
        - `callback_url`: http(s), up to 100 characters; overrides the account's callback for
          this message's status and click reports.

        ```python
        info = await bsg.rcs.send(to="380501234567", sender="MyShop", text="Your order shipped",
                                  sms_fallback=SmsFallback(text="Shipped", sender="MyShop"))
        ```

        Raises `InvalidParameterError` before sending for a bad value; an `APIError` subclass
        when the service refuses (`InvalidRequestError` with `errors` for a 422); a
        `RateLimitError` for a 429 the message search cannot resolve; `TransportError` when no
        answer came after all retries (then `may_have_been_accepted` tells whether the service
        may hold the message).
        """
        number = _phone(to, "to")
        ref = _reference(reference, "reference")
        content = _content(
            sender=sender,
            text=text,
            cards=cards,
            sms_fallback=sms_fallback,
            tariff=tariff,
            validity=validity,
            add_to_contact_book=add_to_contact_book,
            check_stop_list=check_stop_list,
        )
        url = None if callback_url is None else _callback_url(callback_url)
        payload = self._client._wire.rcs_message(number, ref, content, callback_url=url)
        client = self._client

        async def recover(error: BSGError) -> MessageInfo:
            return (await held_message(client, error, ref, number)).to_message_info()

        return await post_referenced(client, SEND_PATH, payload, MessageInfo, recover)

    async def send_campaign(
        self,
        *,
        to: Iterable[str | Recipient] | None = None,
        contact_lists: Iterable[int] | None = None,
        sender: str,
        text: str | None = None,
        cards: Sequence[RcsCard] | RcsCard | None = None,
        sms_fallback: SmsFallback | None = None,
        start_at: datetime | None = None,
        tariff: int | None = None,
        validity: timedelta | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
    ) -> Campaign:
        """Send one RCS message as a campaign, to `to` **or** to `contact_lists` (exactly one);
        return the `Campaign`.

        - `to`: 1 to 5,000 unique phones (sent as `phones`): phone-number strings (9 to 15
          digits) or `Recipient(to, reference)`s (a reference of 1 to 32 letters and digits;
          one is generated where none is given, so pass your own to match status reports to
          recipients). For more than 5,000 phones, split the list.
        - `contact_lists`: the ids of 1 to 1,000 contact lists (sent as `groups`). This
          request carries no reference, so the service cannot refuse a repeat: it is retried
          only when it surely did not reach the service, and a 429 is raised as is (a
          `TransportError` or `ServerError` with `may_have_been_accepted=True` means "check
          `bsg.campaigns.list()` before sending again").
        - `start_at` schedules the campaign, at most 30 days ahead: a naive `datetime` on the
          service's clock, or an aware one when the client has a `timezone`.

        Content and options as in `send`.

        ```python
        campaign = await bsg.rcs.send_campaign(to=["380501234567", "380501234568"],
                                               sender="MyShop", text="Sale starts now")
        campaign = await bsg.rcs.send_campaign(contact_lists=[4012], sender="MyShop", text="Hi")
        ```

        Raises `InvalidParameterError` before sending for a bad value, both or neither of `to`
        and `contact_lists`, no phones, more than 5,000, or a phone or reference twice;
        otherwise as `send`.
        """
        if (to is None) == (contact_lists is None):
            raise InvalidParameterError(
                "to", to, "give exactly one of to (phones) and contact_lists"
            )
        content = _content(
            sender=sender,
            text=text,
            cards=cards,
            sms_fallback=sms_fallback,
            tariff=tariff,
            validity=validity,
            add_to_contact_book=add_to_contact_book,
            check_stop_list=check_stop_list,
        )
        if contact_lists is not None:
            ids = _contact_list_ids(contact_lists)
            start = None if start_at is None else self._start_at(start_at)
            return await self._send_to_contact_lists(ids, content, start)
        recipients = _campaign_phones(to)
        start = None if start_at is None else self._start_at(start_at)
        payload = self._client._wire.rcs_campaign(recipients, content, start_at=start)
        first_number, first_ref = recipients[0]
        client = self._client

        async def recover(error: BSGError) -> Campaign:
            return await held_campaign(client, error, first_ref, first_number)

        return await post_referenced(client, CAMPAIGN_PATH, payload, Campaign, recover)

    async def _send_to_contact_lists(
        self, ids: list[int], content: RcsContent, start: str | None
    ) -> Campaign:
        payload = self._client._wire.rcs_contact_lists(ids, content, start_at=start)
        return await post_unreferenced(self._client, GROUPS_PATH, payload, Campaign)

    # -- helpers -----------------------------------------------------------------------------

    def _start_at(self, value: object) -> str:
        zone = self._client._wire.zone
        return rules.start_at_time(value, zone, _service_now(zone))


def _content(
    *,
    sender: object,
    text: object,
    cards: object,
    sms_fallback: object,
    tariff: object,
    validity: object,
    add_to_contact_book: object,
    check_stop_list: object,
) -> RcsContent:
    """What every RCS send shares, validated (the codec writes it: `Wire.rcs_*`)."""
    fallback, fallback_validity = _sms_fallback(sms_fallback)
    return RcsContent(
        sender=rules.sender(sender, max_length=SENDER_MAX),
        options=_options(text, cards),
        sms_fallback=fallback,
        fallback_validity=fallback_validity,
        tariff=None if tariff is None else rules.integer(tariff, "tariff", rules.ONE_API_TARIFFS),
        validity=rules.one_api_validity(validity),
        add_to_contact_book=None
        if add_to_contact_book is None
        else rules.boolean(add_to_contact_book, "add_to_contact_book"),
        check_stop_list=None
        if check_stop_list is None
        else rules.boolean(check_stop_list, "check_stop_list"),
    )


def _sms_fallback(sms_fallback: object) -> tuple[SmsFallback | None, dict[str, int]]:
    """Check a One-API send's `sms_fallback` (`None` or an `SmsFallback` within the One-API's
    limits); return it with its validity field to send (`{}` when none). Every One-API send
    with an SMS fallback (RCS, WhatsApp) checks it here."""
    if sms_fallback is None:
        return None, {}
    if not isinstance(sms_fallback, SmsFallback):
        raise InvalidParameterError("sms_fallback", sms_fallback, "expected an SmsFallback")
    rules.text(sms_fallback.text, "sms_fallback.text", max_length=SMS_FALLBACK_TEXT_MAX)
    rules.sender(sms_fallback.sender, "sms_fallback.sender", sms=True)
    return sms_fallback, rules.one_api_validity(sms_fallback.validity, "sms_fallback.validity")


def _service_now(zone: tzinfo | None) -> datetime:
    """Now, as a naive time on the service's clock (the client's `timezone`, else local)."""
    return datetime.now(zone).replace(tzinfo=None) if zone is not None else datetime.now()


def _reference(value: object, field: str) -> str:
    return rules.new_reference() if value is None else rules.reference(value, field, one_api=True)


def _phone(value: object, field: str) -> str:
    return rules.msisdn(value, field, min_digits=rules.ONE_API_PHONE_MIN_DIGITS)


def _callback_url(value: object) -> str:
    url = rules.http_url(value, "callback_url")
    if len(url) > CALLBACK_URL_MAX:
        raise InvalidParameterError(
            "callback_url", value, f"must be at most {CALLBACK_URL_MAX} characters"
        )
    return url


def _options(text: object, cards: object) -> RcsOptions:
    if isinstance(cards, RcsCard):
        cards = (cards,)
    elif cards is None:
        cards = ()
    return RcsOptions(text=text, cards=cards)  # type: ignore[arg-type]


def _campaign_phones(phones: object) -> list[tuple[str, str]]:
    """(number, reference) for each phone: 1 to 5,000, numbers and references unique."""
    if isinstance(phones, str | Recipient):
        phones = [phones]
    if not isinstance(phones, Iterable):
        raise InvalidParameterError("to", phones, "expected a list of phone numbers")
    fixed: list[tuple[str, str]] = []
    for index, item in enumerate(phones):
        if len(fixed) == CAMPAIGN_MAX_PHONES:
            raise InvalidParameterError(
                "to",
                f"more than {CAMPAIGN_MAX_PHONES} phones",
                f"at most {CAMPAIGN_MAX_PHONES} phones per campaign; split the list",
            )
        if isinstance(item, Recipient):
            number, ref = item.to, item.reference
        elif isinstance(item, str):
            number, ref = item, None
        else:
            raise InvalidParameterError(
                f"to[{index}]", item, "expected a phone number string or a Recipient"
            )
        fixed.append((_phone(number, f"to[{index}]"), _reference(ref, f"to[{index}].reference")))
    if not fixed:
        raise InvalidParameterError("to", [], "needs at least one phone")
    rules.unique_phones(number for number, _ in fixed)
    rules.unique_references((ref for _, ref in fixed), "to.reference")
    return fixed


def _contact_list_ids(contact_lists: object) -> list[int]:
    if isinstance(contact_lists, int) and not isinstance(contact_lists, bool):
        contact_lists = [contact_lists]
    if isinstance(contact_lists, str | bytes) or not isinstance(contact_lists, Iterable):
        raise InvalidParameterError(
            "contact_lists", contact_lists, "expected a list of contact-list ids"
        )
    ids: list[int] = []
    for index, contact_list in enumerate(contact_lists):
        if len(ids) == CONTACT_LISTS_MAX:
            raise InvalidParameterError(
                "contact_lists",
                f"more than {CONTACT_LISTS_MAX} contact lists",
                f"at most {CONTACT_LISTS_MAX} contact lists",
            )
        ids.append(rules.message_id(contact_list, f"contact_lists[{index}]"))
    if not ids:
        raise InvalidParameterError("contact_lists", [], "needs at least one contact-list id")
    return ids
