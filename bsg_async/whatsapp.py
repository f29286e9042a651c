"""`bsg.whatsapp`: send WhatsApp template messages and campaigns through the One-API.

Exactly once, as every One-API send (`_one_api_sending`): each phone carries a `reference`
(sent as `reference_id`) fixed before the first attempt, so a lost answer is retried with the
same bytes, and a 429 ("Too many duplicate request detected") is never resent but looked up
in the message search: the call then returns what the service holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from . import _campaign_args as campaign_args
from . import _validation as rules
from ._one_api_sending import post_campaign, send_message
from .errors import InvalidParameterError
from .models import Recipient, SmsFallback
from .models.campaigns import CampaignTarget
from .models.one_api import Campaign, MessageInfo
from .models.whatsapp import WhatsAppContent, WhatsAppTemplate
from .rcs import CAMPAIGN_MAX_PHONES

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["WhatsAppResource"]

SEND_PATH = "/api/messages/whatsapp/send"
CAMPAIGN_PATH = "/api/campaigns/whatsapp/send"
SENDER_MAX = 40


class WhatsAppResource:
    """The WhatsApp endpoints of the One-API, as `bsg.whatsapp`.

    `sender` is the WhatsApp business sender's name (1 to 40 characters); `template` a
    `WhatsAppTemplate`. `add_to_contact_book` and `check_stop_list` are sent only when given
    (the service's default for both: `True`).
    """

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def send(
        self,
        *,
        to: str,
        sender: str,
        template: WhatsAppTemplate,
        reference: str | None = None,
        sms_fallback: SmsFallback | None = None,
        callback_url: str | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
    ) -> MessageInfo:
        """Send one WhatsApp template message (no campaign) and return its `MessageInfo`.

        - `to`: 9 to 15 digits, international format (a leading `+` is stripped; sent as
          `phone.number`).
        - `reference`: 1 to 32 letters and digits, unique per message (sent as
          `reference_id`); generated when `None`.
        - `sms_fallback`: an `SmsFallback` sent when WhatsApp cannot deliver (its `text` up
          to 765 characters, its `sender` up to 11 letters or digits or 15 digits).
        - `callback_url`: http(s), up to 100 characters; overrides the account's status
          callback for this message.

        ```python
        info = await bsg.whatsapp.send(
            to="380501234567",
            sender="MyShop",
            template=WhatsAppTemplate("order_shipped", "en",
                                      [WhatsAppComponent("body", [WhatsAppParameter(text="42")])]),
        )
        ```

        Raises `InvalidParameterError` before sending for a bad value; an `APIError` subclass
        when the service refuses (`InvalidRequestError` with `errors` for a 422); a
        `RateLimitError` for a 429 the message search cannot resolve; `TransportError` when no
        answer came after all retries (then `may_have_been_accepted` tells whether the service
        may hold the message).
        """
        content = _content(sender, template, sms_fallback, add_to_contact_book, check_stop_list)
        return await send_message(self._client, SEND_PATH, to, reference, content, callback_url)

    async def send_campaign(
        self,
        *,
        to: Iterable[str | Recipient],
        sender: str,
        template: WhatsAppTemplate,
        sms_fallback: SmsFallback | None = None,
        start_at: datetime | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
    ) -> Campaign:
        """Send one WhatsApp template message to 1 to 5,000 unique phones as a campaign;
        return the `Campaign`.

        `to` holds phone-number strings (9 to 15 digits) or `Recipient(to, reference)`s (a
        reference of 1 to 32 letters and digits; one is generated where none is given). For
        more than 5,000 phones, split the list. `start_at` schedules the campaign, at most 30
        days ahead: a naive `datetime` on the service's clock, or an aware one when the client
        has a `timezone`. Sender, template and options as in `send`.

        ```python
        campaign = await bsg.whatsapp.send_campaign(
            to=["380501234567", "380501234568"], sender="MyShop", template=template
        )
        ```

        Raises `InvalidParameterError` before sending for a bad value, no phones, more than
        5,000, or a phone or reference twice; otherwise as `send`.
        """
        recipients = campaign_args.phones(to, max_phones=CAMPAIGN_MAX_PHONES)
        content = _content(sender, template, sms_fallback, add_to_contact_book, check_stop_list)
        start = campaign_args.start(self._client, start_at)
        client = self._client
        payload = client._wire.channel_campaign(recipients, content, start_at=start)
        target = CampaignTarget(phones=tuple(recipients))
        return await post_campaign(client, CAMPAIGN_PATH, payload, target)


def _content(
    sender: object,
    template: object,
    sms_fallback: object,
    add_to_contact_book: object,
    check_stop_list: object,
) -> WhatsAppContent:
    """What every WhatsApp send shares, validated (the codec writes it: `Wire.channel_*`)."""
    if not isinstance(template, WhatsAppTemplate):
        raise InvalidParameterError("template", template, "expected a WhatsAppTemplate")
    fallback, fallback_validity = campaign_args.sms_fallback(sms_fallback)
    return WhatsAppContent(
        sender=rules.sender(sender, max_length=SENDER_MAX),
        template=template,
        sms_fallback=fallback,
        fallback_validity=fallback_validity,
        add_to_contact_book=rules.optional_boolean(add_to_contact_book, "add_to_contact_book"),
        check_stop_list=rules.optional_boolean(check_stop_list, "check_stop_list"),
    )
