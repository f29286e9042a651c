"""`bsg.rcs`: send RCS messages and campaigns through the One-API.

**Retries and the 429 rule.** Every phone of an RCS send carries a `reference_id` fixed before
the first attempt (32 hex characters are generated where none is given), and the service
rejects a second message with a `reference_id` it already holds. So a send whose answer was
lost (a timeout after the request was written, a reset connection, a 5xx) is retried with the
same bytes, like every other request. An HTTP 429 on a send ("Too many duplicate request
detected") is different: it may mean "already accepted", so it is **never resent**. The SDK
reconciles instead, by looking the `reference_id` up in the message search
(`GET /api/messages?filter[reference_id]=...`):

- found: the call returns what the service holds (a `MessageInfo` for `send`, the `Campaign`
  of the found message for `send_campaign`);
- not found: the `RateLimitError` is raised, with `may_have_been_accepted=True` when an
  earlier attempt of the call may have been accepted or the service called it a duplicate
  (resending later with the **same** `reference_id` is then safe).

A 422 naming `reference_id` after an attempt that may have been accepted, and a success
answer the SDK cannot decode, are reconciled the same way. `send_to_groups` has no
`reference_id`: it is retried only when the request surely did not reach the service, and a
429 there is raised as is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from . import _validation as rules
from ._one_api_sending import (
    campaign_stream,
    held_campaign,
    held_message,
    post_referenced,
    post_unreferenced,
)
from .batch import OutcomeStream, ProgressCallback, Recipients
from .batch import _collect as collect
from .errors import (
    BSGError,
    InvalidParameterError,
)
from .models import Recipient
from .models.batch import BatchReport
from .models.one_api import (
    Campaign,
    MessageInfo,
    RcsCard,
    RcsContent,
    RcsOptions,
    RcsSmsFallback,
    phone_number,
    start_at_time,
    unique_phones,
    validity_options,
)
from .models.one_api import reference_id as valid_reference_id

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["RcsResource"]

SEND_PATH = "/api/messages/rcs/send"
CAMPAIGN_PATH = "/api/campaigns/rcs/send"
GROUPS_PATH = "/api/campaigns/rcs/send-groups"

SENDER_MAX = 40
CALLBACK_URL_MAX = 100
CAMPAIGN_MAX_PHONES = 5000
GROUPS_MAX = 1000
DEFAULT_CAMPAIGN_CONCURRENCY = 2
_TARIFF_CODES = (0, 2**63 - 1)


class RcsResource:
    """The RCS endpoints of the One-API, as `bsg.rcs`.

    `validity` is in **hours** (1 to 72; the service's default 72) and `validity_seconds` in
    seconds (30 to 86,400): give at most one. `tariff_code` is a `Tariff.code` from
    `bsg.account.tariffs()`. `add_to_contact_book` and `check_stop_list` are sent only when
    given (the service's default for both: `True`). See the module docstring for retries and
    the 429 rule.
    """

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def send(
        self,
        phone: str,
        *,
        sender: str,
        text: str | None = None,
        cards: Sequence[RcsCard] | RcsCard | None = None,
        reference_id: str | None = None,
        sms_fallback: RcsSmsFallback | None = None,
        callback_url: str | None = None,
        tariff_code: int | None = None,
        validity: int | None = None,
        validity_seconds: int | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
    ) -> MessageInfo:
        """Send one RCS message (no campaign) and return its `MessageInfo`.

        - `phone`: 9 to 15 digits, international format (a leading `+` is stripped).
        - `sender`: the RCS agent's name, 1 to 40 characters.
        - `text` (1 to 160 characters) **or** `cards` (1 to 10 `RcsCard`s; the service's
          prose says up to 5).
        - `reference_id`: 1 to 32 letters and digits, unique per message; generated when
          `None`. Status callbacks and `bsg.messages.list(reference_id=...)` use it.
        - `sms_fallback`: an `RcsSmsFallback` sent when RCS cannot be delivered.
        - `callback_url`: http(s), up to 100 characters; overrides the account's callback for
          this message's status and click reports.

        ```python
        info = await bsg.rcs.send("380501234567", sender="MyShop", text="Your order shipped",
                                  sms_fallback=RcsSmsFallback(text="Shipped", sender="MyShop"))
        ```

        Raises `InvalidParameterError` before sending for a bad value; an `APIError` subclass
        when the service refuses (`InvalidRequestError` with `errors` for a 422); a
        `RateLimitError` for a 429 the message search cannot resolve; `TransportError` when no
        answer came after all retries (then `may_have_been_accepted` tells whether the service
        may hold the message).
        """
        number = phone_number(phone, "phone")
        ref = _reference_id(reference_id, "reference_id")
        content = _content(
            sender=sender,
            text=text,
            cards=cards,
            sms_fallback=sms_fallback,
            tariff_code=tariff_code,
            validity=validity,
            validity_seconds=validity_seconds,
            add_to_contact_book=add_to_contact_book,
            check_stop_list=check_stop_list,
        )
        url = None if callback_url is None else _callback_url(callback_url)
        payload = self._client._wire.rcs_message(number, ref, content, callback_url=url)
        client = self._client

        async def recover(error: BSGError) -> MessageInfo:
            return (await held_message(client, error, ref, number)).to_message_info()

        return await post_referenced(
            client,
            SEND_PATH,
            payload,
            MessageInfo,
            recover,
        )

    async def send_campaign(
        self,
        phones: Iterable[str | Recipient],
        *,
        sender: str,
        text: str | None = None,
        cards: Sequence[RcsCard] | RcsCard | None = None,
        sms_fallback: RcsSmsFallback | None = None,
        start_at: datetime | None = None,
        tariff_code: int | None = None,
        validity: int | None = None,
        validity_seconds: int | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
    ) -> Campaign:
        """Send one RCS message to 1 to 5,000 unique phones as a campaign; return the `Campaign`.

        `phones` are phone-number strings (9 to 15 digits) or `Recipient(phone, reference)`s
        (a reference of 1 to 32 letters and digits; one is generated where none is given, so
        pass your own to match status reports to recipients). `start_at` schedules the
        campaign, at most 30 days ahead: a naive `datetime` on the service's clock, or an aware
        one when the client has a `timezone`. Content and options as in `send`. For more than
        5,000 phones, split the list (the batcher does).

        ```python
        campaign = await bsg.rcs.send_campaign(["380501234567", "380501234568"],
                                               sender="MyShop", text="Sale starts now")
        ```

        Raises `InvalidParameterError` before sending for a bad value, no phones, more than
        5,000, or a phone or reference twice; otherwise as `send`.
        """
        recipients = _campaign_phones(phones)
        content = _content(
            sender=sender,
            text=text,
            cards=cards,
            sms_fallback=sms_fallback,
            tariff_code=tariff_code,
            validity=validity,
            validity_seconds=validity_seconds,
            add_to_contact_book=add_to_contact_book,
            check_stop_list=check_stop_list,
        )
        start = None if start_at is None else self._start_at(start_at)
        payload = self._client._wire.rcs_campaign(recipients, content, start_at=start)
        first_number, first_ref = recipients[0]
        client = self._client

        async def recover(error: BSGError) -> Campaign:
            return await held_campaign(client, error, first_ref, first_number)

        return await post_referenced(
            client,
            CAMPAIGN_PATH,
            payload,
            Campaign,
            recover,
        )

    async def send_to_groups(
        self,
        groups: Iterable[int],
        *,
        sender: str,
        text: str | None = None,
        cards: Sequence[RcsCard] | RcsCard | None = None,
        sms_fallback: RcsSmsFallback | None = None,
        start_at: datetime | None = None,
        tariff_code: int | None = None,
        validity: int | None = None,
        validity_seconds: int | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
    ) -> Campaign:
        """Send one RCS message to the contacts of 1 to 1,000 contact lists (their ids);
        return the `Campaign`. Options as in `send_campaign`.

        ```python
        campaign = await bsg.rcs.send_to_groups([4012, 4013], sender="MyShop", text="Hi")
        ```

        This request carries no `reference_id`, so the service cannot refuse a repeat: it is
        retried only when it surely did not reach the service, and a 429 is raised as is.
        Raises `InvalidParameterError` before sending for a bad value; otherwise as `send`
        (a `TransportError` or `ServerError` with `may_have_been_accepted=True` means "check
        `bsg.campaigns.list()` before sending again").
        """
        ids = _group_ids(groups)
        content = _content(
            sender=sender,
            text=text,
            cards=cards,
            sms_fallback=sms_fallback,
            tariff_code=tariff_code,
            validity=validity,
            validity_seconds=validity_seconds,
            add_to_contact_book=add_to_contact_book,
            check_stop_list=check_stop_list,
        )
        start = None if start_at is None else self._start_at(start_at)
        payload = self._client._wire.rcs_groups(ids, content, start_at=start)
        client = self._client
        return await post_unreferenced(client, GROUPS_PATH, payload, Campaign)

    async def send_campaign_many(
        self,
        to: Recipients,
        *,
        sender: str,
        text: str | None = None,
        cards: Sequence[RcsCard] | RcsCard | None = None,
        sms_fallback: RcsSmsFallback | None = None,
        start_at: datetime | None = None,
        tariff: int | None = None,
        validity: timedelta | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
        chunk_size: int = CAMPAIGN_MAX_PHONES,
        concurrency: int = DEFAULT_CAMPAIGN_CONCURRENCY,
        on_progress: ProgressCallback | None = None,
    ) -> BatchReport:
        """Send one RCS message to any number of recipients as campaigns of `chunk_size`
        phones (1 to 5,000, the endpoint's maximum by default); one outcome per recipient, in
        input order. The contract and the cost of reading each recipient's id and price back
        are those of `bsg.sms.send_campaign_many`; content as in `send_campaign`, `validity` a
        `timedelta` (whole hours from 1 to 72, else whole seconds from 30 to 86,400) and
        `tariff` a `Tariff.code`.

        ```python
        report = await bsg.rcs.send_campaign_many(numbers, sender="MyShop", text="Sale")
        ```
        """
        return await collect(
            self.stream_campaign_many(
                to,
                sender=sender,
                text=text,
                cards=cards,
                sms_fallback=sms_fallback,
                start_at=start_at,
                tariff=tariff,
                validity=validity,
                add_to_contact_book=add_to_contact_book,
                check_stop_list=check_stop_list,
                chunk_size=chunk_size,
                concurrency=concurrency,
                on_progress=on_progress,
            )
        )

    def stream_campaign_many(
        self,
        to: Recipients,
        *,
        sender: str,
        text: str | None = None,
        cards: Sequence[RcsCard] | RcsCard | None = None,
        sms_fallback: RcsSmsFallback | None = None,
        start_at: datetime | None = None,
        tariff: int | None = None,
        validity: timedelta | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
        chunk_size: int = CAMPAIGN_MAX_PHONES,
        concurrency: int = DEFAULT_CAMPAIGN_CONCURRENCY,
        on_progress: ProgressCallback | None = None,
    ) -> OutcomeStream:
        """Like `send_campaign_many`, but yield each outcome as its campaign's outcomes are
        read (see `OutcomeStream`: open it with `async with`)."""
        hours, seconds = _validity_fields(validity)
        content = _content(
            sender=sender,
            text=text,
            cards=cards,
            sms_fallback=sms_fallback,
            tariff_code=tariff,
            validity=hours,
            validity_seconds=seconds,
            add_to_contact_book=add_to_contact_book,
            check_stop_list=check_stop_list,
        )
        start = None if start_at is None else self._start_at(start_at)
        wire, client = self._client._wire, self._client

        def payload(phones: Sequence[tuple[str, str]]) -> dict[str, Any]:
            return wire.rcs_campaign(phones, content, start_at=start)

        return campaign_stream(
            client,
            CAMPAIGN_PATH,
            to,
            payload,
            max_chunk=CAMPAIGN_MAX_PHONES,
            chunk_size=chunk_size,
            concurrency=concurrency,
            on_progress=on_progress,
        )

    # -- helpers -----------------------------------------------------------------------------

    def _start_at(self, value: object) -> str:
        zone = self._client._wire.zone
        return start_at_time(value, zone, _service_now(zone))


def _content(
    *,
    sender: object,
    text: object,
    cards: object,
    sms_fallback: object,
    tariff_code: object,
    validity: object,
    validity_seconds: object,
    add_to_contact_book: object,
    check_stop_list: object,
) -> RcsContent:
    """What every RCS send shares, validated (the codec writes it: `Wire.rcs_*`)."""
    if sms_fallback is not None and not isinstance(sms_fallback, RcsSmsFallback):
        raise InvalidParameterError("sms_fallback", sms_fallback, "expected an RcsSmsFallback")
    return RcsContent(
        sender=rules.text(sender, "sender", max_length=SENDER_MAX),
        options=_options(text, cards),
        sms_fallback=sms_fallback,
        tariff_code=None
        if tariff_code is None
        else rules.integer(tariff_code, "tariff_code", _TARIFF_CODES),
        validity=validity_options(validity, validity_seconds),
        add_to_contact_book=None
        if add_to_contact_book is None
        else rules.boolean(add_to_contact_book, "add_to_contact_book"),
        check_stop_list=None
        if check_stop_list is None
        else rules.boolean(check_stop_list, "check_stop_list"),
    )


def _validity_fields(value: object) -> tuple[int | None, int | None]:
    """A `timedelta` validity as (hours, seconds): whole hours from 1 to 72 as hours, else
    whole seconds."""
    if value is None:
        return None, None
    if not isinstance(value, timedelta):
        raise InvalidParameterError("validity", value, "expected a timedelta")
    hours, rest = divmod(value, timedelta(hours=1))
    if not rest and 1 <= hours <= 72:
        return hours, None
    seconds, rest = divmod(value, timedelta(seconds=1))
    if rest:
        raise InvalidParameterError("validity", value, "expected whole seconds")
    return None, seconds


def _service_now(zone: tzinfo | None) -> datetime:
    """Now, as a naive time on the service's clock (the client's `timezone`, else local)."""
    return datetime.now(zone).replace(tzinfo=None) if zone is not None else datetime.now()


def _reference_id(value: object, field: str) -> str:
    return rules.new_reference() if value is None else valid_reference_id(value, field)


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
    """(number, reference_id) for each phone: 1 to 5,000, numbers and references unique."""
    if isinstance(phones, str | Recipient):
        phones = [phones]
    if not isinstance(phones, Iterable):
        raise InvalidParameterError("phones", phones, "expected a list of phone numbers")
    fixed: list[tuple[str, str]] = []
    for index, item in enumerate(phones):
        if len(fixed) == CAMPAIGN_MAX_PHONES:
            raise InvalidParameterError(
                "phones",
                f"more than {CAMPAIGN_MAX_PHONES} phones",
                f"at most {CAMPAIGN_MAX_PHONES} phones per campaign; split the list",
            )
        if isinstance(item, Recipient):
            number, ref = item.msisdn, item.reference
        elif isinstance(item, str):
            number, ref = item, None
        else:
            raise InvalidParameterError(
                f"phones[{index}]", item, "expected a phone number string or a Recipient"
            )
        fixed.append(
            (
                phone_number(number, f"phones[{index}]"),
                _reference_id(ref, f"phones[{index}].reference_id"),
            )
        )
    if not fixed:
        raise InvalidParameterError("phones", [], "needs at least one phone")
    unique_phones(number for number, _ in fixed)
    rules.unique_references((ref for _, ref in fixed), "phones.reference_id")
    return fixed


def _group_ids(groups: object) -> list[int]:
    if isinstance(groups, int) and not isinstance(groups, bool):
        groups = [groups]
    if isinstance(groups, str | bytes) or not isinstance(groups, Iterable):
        raise InvalidParameterError("groups", groups, "expected a list of contact-list ids")
    ids: list[int] = []
    for index, group in enumerate(groups):
        if len(ids) == GROUPS_MAX:
            raise InvalidParameterError(
                "groups", f"more than {GROUPS_MAX} groups", f"at most {GROUPS_MAX} groups"
            )
        ids.append(rules.message_id(group, f"groups[{index}]"))
    if not ids:
        raise InvalidParameterError("groups", [], "needs at least one contact-list id")
    return ids
