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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import _campaign_args as campaign_args
from . import _validation as rules
from ._many import send_form
from ._one_api_sending import (
    campaign_stream,
    post_campaign,
    send_message,
)
from .batch import OutcomeStream, ProgressCallback, Recipients
from .models import Recipient, SmsFallback
from .models.one_api import (
    Campaign,
    MessageInfo,
    RcsCard,
    RcsOptions,
    RcsSendFields,
)

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["RcsResource"]

SEND_PATH = "/api/messages/rcs/send"
CAMPAIGN_PATH = "/api/campaigns/rcs/send"
GROUPS_PATH = "/api/campaigns/rcs/send-groups"

SENDER_MAX = 40
CAMPAIGN_MAX_PHONES = 5000
CONTACT_LISTS_MAX = 1000
DEFAULT_CAMPAIGN_CONCURRENCY = 2


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
        return await send_message(self._client, SEND_PATH, to, reference, content, callback_url)

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
        target = campaign_args.target(
            to, contact_lists, max_phones=CAMPAIGN_MAX_PHONES, max_lists=CONTACT_LISTS_MAX
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
        start = campaign_args.start(self._client, start_at)
        wire = self._client._wire
        if target.contact_lists:
            payload = wire.rcs_contact_lists(target.contact_lists, content, start_at=start)
            return await post_campaign(self._client, GROUPS_PATH, payload, target)
        payload = wire.channel_campaign(target.phones, content, start_at=start)
        return await post_campaign(self._client, CAMPAIGN_PATH, payload, target)

    def stream_campaign_many(
        self,
        to: Recipients,
        *,
        sender: str,
        text: str | None = None,
        cards: Sequence[RcsCard] | RcsCard | None = None,
        sms_fallback: SmsFallback | None = None,
        start_at: datetime | None = None,
        tariff: int | None = None,
        validity: timedelta | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
        chunk_size: int = CAMPAIGN_MAX_PHONES,
        concurrency: int = DEFAULT_CAMPAIGN_CONCURRENCY,
        on_progress: ProgressCallback | None = None,
    ) -> OutcomeStream:
        """Send one RCS message to any number of recipients as campaigns of `chunk_size`
        phones (1 to 5,000, the endpoint's maximum by default), and yield each outcome as its
        campaign's outcomes are read (see `OutcomeStream`: open it with `async with`). The
        contract and the cost of reading each recipient's id and price back are those of
        `bsg.sms.stream_campaign_many`; content and options as in `send_campaign`.
        """
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
        start = campaign_args.start(self._client, start_at)
        wire = self._client._wire

        def payload(phones: Sequence[tuple[str, str]]) -> dict[str, Any]:
            return wire.channel_campaign(phones, content, start_at=start)

        return campaign_stream(
            self._client,
            CAMPAIGN_PATH,
            to,
            payload,
            max_chunk=CAMPAIGN_MAX_PHONES,
            chunk_size=chunk_size,
            concurrency=concurrency,
            on_progress=on_progress,
        )

    send_campaign_many = send_form(stream_campaign_many)
    """Send one RCS message to any number of recipients as campaigns of `chunk_size` phones,
    and return a `BatchReport` with exactly one outcome per recipient, in input order.

    ```python
    report = await bsg.rcs.send_campaign_many(numbers, sender="MyShop", text="Sale")
    ```

    The keywords, their checks and the contract are those of `stream_campaign_many`.
    """


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
) -> RcsSendFields:
    """What every RCS send shares, validated (the codec writes it: `Wire.channel_*`,
    `Wire.rcs_contact_lists`)."""
    fallback, fallback_validity = campaign_args.sms_fallback(sms_fallback)
    return RcsSendFields(
        sender=rules.sender(sender, max_length=SENDER_MAX),
        options=_options(text, cards),
        sms_fallback=fallback,
        fallback_validity=fallback_validity,
        tariff=rules.optional_integer(tariff, "tariff", rules.ONE_API_TARIFFS),
        validity=rules.one_api_validity(validity),
        add_to_contact_book=rules.optional_boolean(add_to_contact_book, "add_to_contact_book"),
        check_stop_list=rules.optional_boolean(check_stop_list, "check_stop_list"),
    )


def _options(text: object, cards: object) -> RcsOptions:
    if isinstance(cards, RcsCard):
        cards = (cards,)
    elif cards is None:
        cards = ()
    return RcsOptions(text=text, cards=cards)  # type: ignore[arg-type]
