"""`bsg.viber`: send Viber messages with SMS fallback, and read their status."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import attrs

from . import _campaign_args as campaign_args
from . import _validation as rules
from ._many import send_form
from ._one_api_sending import campaign_stream, post_campaign
from ._paging import legacy_object
from ._sending import chunk_stream, send_result
from ._transport import Answer
from .batch import OutcomeStream, ProgressCallback, Recipients
from .batch import _read_many as read_many
from .errors import InvalidParameterError
from .models import Receipt, Recipient, SendResult, SmsFallback, ViberMessage, ViberReport
from .models.batch import LookupFailed
from .models.channels import MessageChannel, SmsChannel, ViberChannel
from .models.legacy import PriceQuote
from .models.one_api import Campaign

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["ViberResource"]

DEFAULT_CONCURRENCY = 8
DEFAULT_READ_CONCURRENCY = 16
MAX_CAMPAIGN_PHONES = 5000
DEFAULT_CAMPAIGN_CONCURRENCY = 2
CAMPAIGN_PATH = "/api/campaigns/viber/send"


class ViberResource:
    """The Viber endpoints of the legacy REST API, as `bsg.viber`.

    The phone numbers are `to` (sent as `msisdn`), the sender `sender` (`alpha_name`, 1 to 14
    characters). Viber `validity` is a `timedelta` of whole **seconds** (15 to 86,400; the
    service's default 86,400), unlike SMS validity, which is in hours. At most 50 recipients
    per request (the API's limit).
    """

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def send(
        self,
        *,
        to: str,
        text: str,
        sender: str,
        reference: str | None = None,
        is_promotional: bool = False,
        image_url: str | None = None,
        button_caption: str | None = None,
        button_url: str | None = None,
        sms_fallback: SmsFallback | None = None,
        validity: timedelta | None = None,
        tariff: int | None = None,
    ) -> Receipt:
        """Send one Viber message to one phone and return its `Receipt`.

        ```python
        receipt = await bsg.viber.send(
            to="380972920000", text="Hi", sender="BSG",
            sms_fallback=SmsFallback(text="Hi", sender="BSG"), validity=timedelta(hours=1),
        )
        ```

        `reference` as in `Recipient` (generated when `None`); the other fields as in
        `ViberMessage`. Raises `InvalidParameterError` before sending for a bad value, the
        recipient's `APIError` subclass when the service refuses it, and otherwise as
        `bsg.sms.send` does.
        """
        message = ViberMessage(
            to=Recipient(to, reference),
            text=text,
            sender=sender,
            is_promotional=is_promotional,
            image_url=image_url,
            button_caption=button_caption,
            button_url=button_url,
            sms_fallback=sms_fallback,
        )
        result = await self.send_messages([message], validity=validity, tariff=tariff)
        entry = result.entries[0]
        if isinstance(entry, Receipt):
            return entry
        raise entry.error

    async def send_messages(
        self,
        messages: Iterable[ViberMessage],
        *,
        validity: timedelta | None = None,
        tariff: int | None = None,
    ) -> SendResult:
        """Send Viber messages (at most 50 recipients across all of them) in one request.

        ```python
        result = await bsg.viber.send_messages(
            [ViberMessage(to=["380972920000"], text="Hi", sender="BSG",
                          sms_fallback=SmsFallback(text="Hi", sender="BSG"))],
            validity=timedelta(hours=1),
        )
        ```

        Returns a `SendResult` with one entry per recipient, in the order of the messages and
        their `to` lists. Raises `InvalidParameterError` before sending for a bad value, more
        than 50 recipients or a duplicate reference; otherwise raises as `bsg.sms.send` does.
        """
        fixed, recipients = _fixed_messages(messages)
        payload = self._client._wire.viber(fixed, options=_options(validity, tariff))

        async def post(_: list[Recipient]) -> Answer:
            return await self._create(payload)

        return await send_result(self._client._wire, recipients, post, self.get_by_reference)

    async def quote(
        self,
        messages: Iterable[ViberMessage],
        *,
        validity: timedelta | None = None,
        tariff: int | None = None,
    ) -> PriceQuote:
        """What `send_messages` with the same arguments would cost, without sending anything
        (`PUT viber/price`, the body of a create): a `PriceQuote` with `total_price`.

        ```python
        message = ViberMessage(to=["380972920000"], text="Hi", sender="BSG")
        quote = await bsg.viber.quote([message])
        ```

        Raises `InvalidParameterError` before any request as `send_messages` does, an `APIError`
        subclass when the service refuses, `TransportError` without an answer.
        """
        fixed, _ = _fixed_messages(messages)  # the body needs references; nothing is sent
        payload = self._client._wire.viber(fixed, options=_options(validity, tariff))
        return await legacy_object(self._client, "PUT", "/viber/price", PriceQuote, json=payload)

    async def _create(self, payload: dict[str, Any]) -> Answer:
        return await self._client.legacy_request("POST", "/viber/create", json=payload, send=True)

    def stream_many(
        self,
        *,
        to: Recipients,
        text: str,
        sender: str,
        is_promotional: bool = False,
        image_url: str | None = None,
        button_caption: str | None = None,
        button_url: str | None = None,
        sms_fallback: SmsFallback | None = None,
        validity: timedelta | None = None,
        tariff: int | None = None,
        chunk_size: int = rules.VIBER_MAX_RECIPIENTS,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressCallback | None = None,
        resume: bool = False,
    ) -> OutcomeStream:
        """Send one Viber message to any number of recipients, 50 (`chunk_size`) per request,
        and yield each outcome as its chunk completes (in completion order).

        ```python
        async with bsg.viber.stream_many(
            to=numbers, text="Sale", sender="BSG",
            sms_fallback=SmsFallback(text="Sale", sender="BSG"), validity=timedelta(hours=1),
        ) as outcomes:
            async for outcome in outcomes:
                print(outcome)
        ```

        `to` is a list, iterable or async iterable of phone numbers or `Recipient`s, of
        any length. Each gets exactly one outcome: `Sent` (id, price) or `Failed` (typed error,
        `may_have_been_accepted`). Partial failure never raises. The message's fields as in
        `ViberMessage`; `validity` whole seconds (15 to 86,400), `tariff` 0 to 9. `chunk_size`
        is 1 to 50 (the API's limit), `concurrency` the requests in flight (default 8, within
        the client's `max_concurrency`), `on_progress(done, total)` is called as chunks
        complete. `resume=True` continues an interrupted campaign with the same references
        (see `bsg.sms.stream_many`). Raises `InvalidParameterError` before sending for a bad
        shared option.

        Memory stays flat: the input is read only as far as the chunks in flight need, and no
        list of outcomes is kept. Open it with `async with`, then `async for outcome in
        outcomes:`; leaving the block stops it (see `OutcomeStream`). `send_many` takes the
        same keywords and returns every outcome at once.
        """
        # The shared fields are checked once, here, by building the message with a placeholder
        # recipient; each chunk's body then carries the chunk's recipients instead.
        template = ViberMessage(
            to=(_PLACEHOLDER,),
            text=text,
            sender=sender,
            is_promotional=is_promotional,
            image_url=image_url,
            button_caption=button_caption,
            button_url=button_url,
            sms_fallback=sms_fallback,
        )
        options = _options(validity, tariff)
        wire = self._client._wire

        async def post(recipients: list[Recipient]) -> Answer:
            return await self._create(wire.viber_to(template, recipients, options=options))

        return chunk_stream(
            wire,
            to,
            post,
            self.get_by_reference,
            max_chunk=rules.VIBER_MAX_RECIPIENTS,
            chunk_size=chunk_size,
            concurrency=concurrency,
            on_progress=on_progress,
            resume=resume,
        )

    send_many = send_form(stream_many)
    """Send one Viber message to any number of recipients, 50 (`chunk_size`) per request, and
    return a `BatchReport` with exactly one outcome per recipient, in input order.

    ```python
    report = await bsg.viber.send_many(
        to=numbers, text="Sale", sender="BSG",
        sms_fallback=SmsFallback(text="Sale", sender="BSG"), validity=timedelta(hours=1),
    )
    report.raise_for_failures()
    ```

    The keywords, their checks and the contract are those of `stream_many`, which yields the
    same outcomes as they come instead of holding them all.
    """

    async def get_many(
        self, keys: Iterable[int | str], *, concurrency: int = DEFAULT_READ_CONCURRENCY
    ) -> list[ViberReport | LookupFailed[ViberReport]]:
        """Read many Viber statuses concurrently; results in input order.

        An `int` is a message id, a `str` a reference (never guessed from its content). A read
        that fails is a `LookupFailed`. Raises `InvalidParameterError` for a bad key first.
        """
        return await read_many(
            keys, concurrency=concurrency, by_id=self.get, by_reference=self.get_by_reference
        )

    async def get(self, id: int) -> ViberReport:
        """The status of one Viber message by id, with its SMS fallback entries.

        Raises `NotFoundError` (code 40).
        """
        message_id = rules.message_id(id)
        return await legacy_object(self._client, "GET", f"/viber/{message_id}", ViberReport)

    async def get_by_reference(self, reference: str) -> ViberReport:
        """The status of one Viber message by its reference. Raises `NotFoundError`."""
        ref = quote(rules.reference(reference), safe="")
        return await legacy_object(self._client, "GET", f"/viber/reference/{ref}", ViberReport)

    # -- One-API campaigns -------------------------------------------------------------------

    async def send_campaign(
        self,
        *,
        to: Iterable[str | Recipient] | None = None,
        contact_lists: Iterable[int] | None = None,
        text: str,
        sender: str,
        image_url: str | None = None,
        button_caption: str | None = None,
        button_url: str | None = None,
        sms_fallback: SmsFallback | None = None,
        start_at: datetime | None = None,
        tariff: int | None = None,
        validity: timedelta | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
    ) -> Campaign:
        """Send one Viber message as a One-API campaign, to `to` **or** to `contact_lists`
        (exactly one); return the `Campaign`.

        - `to`: 1 to 5,000 unique phones (9 to 15 digits, or `Recipient`s with a reference of
          1 to 32 letters and digits, generated where none is given), to `viber/send`. For
          more, `send_campaign_many` chunks them.
        - `contact_lists`: contact-list ids, sent through the any-channel campaign
          (`campaigns/send` with `channels: ["viber"]`, and `"sms"` second for a fallback,
          whose `validity` and `check_stop_list` that endpoint cannot carry). Without
          references it is retried only when it surely did not reach the service.
        - Content as `ViberChannel`: `text` 1 to 1,000 characters, `sender` 1 to 40,
          `image_url`, and a button of `button_caption` (up to 20) and `button_url` (sent as
          `link_url`), both or neither.
        - `sms_fallback`: the SMS sent to those Viber does not reach (`alternative_channel`).
        - `validity`: a `timedelta` of whole hours, 1 to 72 (hours on the One-API, unlike the
          legacy `send`'s seconds); `start_at`, `tariff` as in `bsg.sms.send_campaign`;
          `add_to_contact_book`, `check_stop_list` (the service's default for both: `True`).

        ```python
        campaign = await bsg.viber.send_campaign(to=["380501234567"], text="Sale",
                                                 sender="MyShop")
        ```

        Retries, the 429 rule and errors as `bsg.sms.send_campaign`.
        """
        content = ViberChannel(
            text=text,
            sender=sender,
            image_url=image_url,
            button_caption=button_caption,
            button_url=button_url,
        )
        fallback = campaign_args.sms_fallback(sms_fallback)
        if contact_lists is not None and to is None:
            channels: list[MessageChannel] = [content]
            if fallback[0] is not None:
                channels.append(_fallback_content(fallback[0]))
            return await self._client.campaigns.send(
                contact_lists=contact_lists,
                channels=channels,
                start_at=start_at,
                tariff=tariff,
                validity=validity,
                add_to_contact_book=add_to_contact_book,
                check_stop_list=check_stop_list,
            )
        target = campaign_args.target(to, contact_lists, max_phones=MAX_CAMPAIGN_PHONES)
        payload = self._client._wire.viber_campaign(
            target.phones,
            content,
            fallback,
            options=campaign_args.contact_book_options(
                self._client, start_at, tariff, validity, add_to_contact_book, check_stop_list
            ),
        )
        return await post_campaign(self._client, CAMPAIGN_PATH, payload, target)

    def stream_campaign_many(
        self,
        to: Recipients,
        *,
        text: str,
        sender: str,
        image_url: str | None = None,
        button_caption: str | None = None,
        button_url: str | None = None,
        sms_fallback: SmsFallback | None = None,
        start_at: datetime | None = None,
        tariff: int | None = None,
        validity: timedelta | None = None,
        add_to_contact_book: bool | None = None,
        check_stop_list: bool | None = None,
        chunk_size: int = MAX_CAMPAIGN_PHONES,
        concurrency: int = DEFAULT_CAMPAIGN_CONCURRENCY,
        on_progress: ProgressCallback | None = None,
    ) -> OutcomeStream:
        """Send one Viber message to any number of recipients as One-API campaigns of
        `chunk_size` phones (1 to 5,000, the endpoint's maximum by default), and yield each
        outcome as its campaign's outcomes are read (see `OutcomeStream`: open it with
        `async with`). The contract and the cost of reading each recipient's id and price back
        are those of `bsg.sms.stream_campaign_many`; options as in `send_campaign`.
        """
        content = ViberChannel(
            text=text,
            sender=sender,
            image_url=image_url,
            button_caption=button_caption,
            button_url=button_url,
        )
        fallback = campaign_args.sms_fallback(sms_fallback)
        options = campaign_args.contact_book_options(
            self._client, start_at, tariff, validity, add_to_contact_book, check_stop_list
        )
        wire, client = self._client._wire, self._client

        def payload(phones: Sequence[tuple[str, str]]) -> dict[str, Any]:
            return wire.viber_campaign(phones, content, fallback, options=options)

        return campaign_stream(
            client,
            CAMPAIGN_PATH,
            to,
            payload,
            max_chunk=MAX_CAMPAIGN_PHONES,
            chunk_size=chunk_size,
            concurrency=concurrency,
            on_progress=on_progress,
        )

    send_campaign_many = send_form(stream_campaign_many)
    """Send one Viber message to any number of recipients as One-API campaigns of `chunk_size`
    phones, and return a `BatchReport` with exactly one outcome per recipient, in input order.

    ```python
    report = await bsg.viber.send_campaign_many(numbers, text="Sale", sender="MyShop")
    ```

    The keywords, their checks and the contract are those of `stream_campaign_many`.
    """


def _options(validity: timedelta | None, tariff: int | None) -> dict[str, int]:
    """The optional request fields, sent only when given (`tariff=0` included): validity in
    seconds."""
    return rules.legacy_options(validity, tariff, rules.VIBER_VALIDITY_SECONDS, "seconds")


_PLACEHOLDER = Recipient("10000000", "placeholder")


def _as_list(messages: Iterable[ViberMessage]) -> list[ViberMessage]:
    if isinstance(messages, ViberMessage):
        return [messages]
    return rules.items(messages, "messages")


def _fixed_messages(messages: Iterable[ViberMessage]) -> tuple[list[ViberMessage], list[Recipient]]:
    """The messages with every recipient's reference fixed, and those recipients in order;
    refuses a non-message, no recipient, more than 50 or a duplicate reference."""
    fixed: list[ViberMessage] = []
    for index, message in enumerate(_as_list(messages)):
        if not isinstance(message, ViberMessage):
            raise InvalidParameterError(f"messages[{index}]", message, "expected a ViberMessage")
        to = tuple(r.with_reference() for r in message.to)
        fixed.append(message if to == message.to else attrs.evolve(message, to=to))
    recipients = [r for m in fixed for r in m.to]
    if not recipients:
        raise InvalidParameterError("messages", [], "needs at least one message")
    if len(recipients) > rules.VIBER_MAX_RECIPIENTS:
        raise InvalidParameterError(
            "messages",
            f"{len(recipients)} recipients",
            f"at most {rules.VIBER_MAX_RECIPIENTS} recipients per request",
        )
    rules.unique_references(r.reference or "" for r in recipients)
    return fixed, recipients


def _fallback_content(fallback: SmsFallback) -> SmsChannel:
    """The fallback as the second channel of an any-channel campaign, which carries its text
    and sender only."""
    if fallback.validity is not None:
        raise InvalidParameterError(
            "sms_fallback.validity", fallback.validity, "not carried to contact lists"
        )
    if fallback.check_stop_list is not None:
        raise InvalidParameterError(
            "sms_fallback.check_stop_list", fallback.check_stop_list, "not carried to contact lists"
        )
    return SmsChannel(text=fallback.text, sender=fallback.sender)
