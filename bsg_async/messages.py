"""`bsg.messages`: the One-API message search, and the universal send (one message over a
chain of channels)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from . import _campaign_args as campaign_args
from . import _validation as rules
from ._one_api_sending import not_rate_limited, post_message
from ._paging import DEFAULT_PAGE_SIZE, Pages, data_object, page_size, time_filters
from .models.channels import MessageChannel, UniversalOptions, chain
from .models.one_api import MessageInfo, OneApiMessage

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["MessagesResource"]

PAGE_SIZE_BOUNDS = (15, 500)
SEND_PATH = "/api/messages/send"
T = TypeVar("T")


class MessagesResource:
    """The message search and the universal send of the One-API, as `bsg.messages`."""

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    def list(
        self,
        *,
        reference: str | None = None,
        campaign_id: int | None = None,
        id: int | None = None,
        created_from: datetime | None = None,
        created_to: datetime | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> AsyncIterator[OneApiMessage]:
        """The messages matching every filter given (all messages when none is), as an async
        iterator that fetches pages of `page_size` (15 to 500) as it goes.

        - `reference`: the external id a message was sent with (1 to 32 letters and
          digits; the filter `reference_id`);
        - `campaign_id`, `id`: a campaign's or a message's id;
        - `created_from`, `created_to`: creation times (the filters `from` and `to`), naive on
          the service's clock or aware when the client has a `timezone`.

        ```python
        async for message in bsg.messages.list(campaign_id=4213):
            print(message.to, message.status, message.amount)
        ```

        Raises `InvalidParameterError` at once for a bad argument; while iterating, what a
        request raises.
        """
        params: dict[str, str | int] = {}
        if reference is not None:
            params["filter[reference_id]"] = rules.reference(reference, one_api=True)
        if campaign_id is not None:
            params["filter[campaign_id]"] = rules.message_id(campaign_id, "campaign_id")
        if id is not None:
            params["filter[id]"] = rules.message_id(id, "id")
        params.update(time_filters(self._client, created_from, created_to))
        return Pages(
            self._client,
            "/api/messages",
            OneApiMessage,
            limit=page_size_checked(page_size),
            params=params,
        )

    async def send(
        self,
        *,
        to: str,
        channels: Iterable[MessageChannel] | MessageChannel,
        reference: str | None = None,
        callback_url: str | None = None,
        tariff: int | None = None,
        validity: timedelta | None = None,
        respect_curfew: bool | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
        dry_run: bool = False,
    ) -> MessageInfo:
        """Send one message (no campaign) over a chain of channels and return its
        `MessageInfo`: the first channel is tried, the second (if any) takes over when the
        first cannot deliver.

        - `to`: 9 to 15 digits, international format (a leading `+` is stripped; sent as
          `phone.number`).
        - `channels`: one or two content values, each of another channel: `SmsChannel`,
          `ViberChannel`, `RcsChannel`, `VoiceChannel`, `TelegramChannel` (one may be given
          as is).
        - `reference`: 1 to 32 letters and digits, unique per message (sent as
          `reference_id`); generated when `None`.
        - `callback_url`: http(s), up to 100 characters, for this message's status reports.
        - `tariff`: a `Tariff.code` from `bsg.account.tariffs()` (sent as `tariff_code`).
        - `validity`: a `timedelta`, whole hours from 1 to 72 (sent as `validity`) or whole
          seconds from 30 to 86,400 (sent as `validity_seconds`); the service's default is
          72 hours. When it runs out, the next channel takes over.
        - `respect_curfew`: keep to the curfew set in the account (the service's default:
          `False`); `add_to_contact_book`, `check_stop_list` (default `True` for both).
        - `dry_run`: only check the request (sent as `dry_run: true`); nothing is sent. The
          answer has the shape of a send's (the description gives no other): a `MessageInfo`
          whose `id` names no message. Retried as any read; a 429 is raised as is.

        ```python
        info = await bsg.messages.send(
            to="380501234567",
            channels=[RcsChannel(sender="MyShop", text="Your order shipped"),
                      SmsChannel(text="Your order shipped", sender="MyShop")],
        )
        ```

        Exactly once, as every One-API send: the reference is fixed before the first
        attempt, a lost answer is retried with the same bytes, and a 429 ("Too many duplicate
        request detected") is looked up in the message search instead of being resent.
        Raises `InvalidParameterError` before sending for a bad value, no channel, more than
        two or a channel twice; an `APIError` subclass when the service refuses
        (`InvalidRequestError` with `errors` for a 422); a `RateLimitError` for a 429 the
        search cannot resolve; `TransportError` when no answer came after all retries (then
        `may_have_been_accepted` tells whether the service may hold the message).
        """
        number = campaign_args.phone(to, "to")
        ref = campaign_args.reference(reference, "reference")
        links = chain(channels)
        options = UniversalOptions(
            callback_url=campaign_args.callback(callback_url),
            tariff=rules.optional_integer(tariff, "tariff", rules.ONE_API_TARIFFS),
            validity=rules.one_api_validity(validity),
            respect_curfew=rules.optional_boolean(respect_curfew, "respect_curfew"),
            add_to_contact_book=rules.optional_boolean(add_to_contact_book, "add_to_contact_book"),
            check_stop_list=rules.optional_boolean(check_stop_list, "check_stop_list"),
            dry_run=rules.boolean(dry_run, "dry_run"),
        )
        client = self._client
        payload = client._wire.universal_message(number, ref, links, options)
        if options.dry_run:
            return await post_dry_run(client, SEND_PATH, payload, MessageInfo)
        return await post_message(client, SEND_PATH, payload, ref, number)


async def post_dry_run(
    client: AsyncBSG, path: str, payload: Mapping[str, Any], result: type[T]
) -> T:
    """POST a send marked `dry_run` and return the answer's `data` as `result`. Nothing is
    sent, so it is retried as any read (but a 429, "Too many duplicate request detected": a
    reference is held already, which retrying cannot change), and no answer means nothing is
    held."""
    answer = await client.one_api_request("POST", path, json=payload, retry_if=not_rate_limited)
    return client._wire.structure(data_object(answer), result, http_status=answer.http_status)


def page_size_checked(value: object) -> int:
    """A message-search page size: 15 to 500."""
    return page_size(value, PAGE_SIZE_BOUNDS)
