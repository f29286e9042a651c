"""`bsg.sms`: send SMS (single, bulk, individual) and read their status."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from . import _campaign_args as campaign_args
from . import _validation as rules
from ._many import send_form
from ._one_api_sending import campaign_stream, post_campaign
from ._paging import legacy_object
from ._sending import Post, chunk_stream, post_single, send_result
from ._transport import Answer
from .batch import OutcomeStream, ProgressCallback, Recipients
from .batch import _read_many as read_many
from .errors import InvalidParameterError
from .models import Receipt, Recipient, SendResult, SmsMessage, SmsReport, SmsTask
from .models.batch import LookupFailed
from .models.campaigns import CampaignOptions, CampaignTarget
from .models.channels import SMS_TEXT_MAX, SmsChannel, SmsShortLink
from .models.legacy import PriceQuote
from .models.one_api import Campaign

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["SmsResource"]

DEFAULT_SMS_CHUNK = 1000
MAX_SMS_CHUNK = 10_000
DEFAULT_CONCURRENCY = 8
DEFAULT_READ_CONCURRENCY = 16
MAX_CAMPAIGN_PHONES = 10_000
DEFAULT_CAMPAIGN_CONCURRENCY = 2
CAMPAIGN_PATH = "/api/campaigns/sms/send"
CAMPAIGN_GROUPS_PATH = "/api/campaigns/sms/send-groups"
CAMPAIGN_INDIVIDUAL_PATH = "/api/campaigns/sms/send-individual"


class SmsResource:
    """The SMS endpoints of the legacy REST API, as `bsg.sms`.

    The phone numbers are `to` (sent as `msisdn`), the text `text` (`body`), the sender
    `sender` (`originator`, 1 to 14 characters). SMS `validity` is a `timedelta` of whole
    **hours** (1 to 72, the service's default 72); `tariff` is 0 to 9; `two_way` is sent as
    `2way`.
    Every send fixes each message's reference before the first attempt (generating 32 hex
    characters where none is given), so retries can never send a message twice.
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
        validity: timedelta | None = None,
        tariff: int | None = None,
        two_way: bool = False,
    ) -> Receipt:
        """Send one SMS and return its `Receipt` (`id`, `reference`, `price`, `currency`).

        ```python
        receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
        ```

        Raises `InvalidParameterError` before sending for a bad value, an `APIError` subclass
        when the service refuses the message, `TransportError` when no answer came after all
        retries (then `may_have_been_accepted` tells whether the service may hold it).
        """
        recipient = Recipient(to, reference).with_reference()
        payload = self._client._wire.sms_single(
            recipient,
            text=rules.text(text, "text"),
            sender=rules.sender(sender),
            options=_options(validity, tariff, two_way),
        )
        return await post_single(
            self._client, "/sms/create", payload, recipient, self.get_by_reference
        )

    async def send_bulk(
        self,
        *,
        to: Iterable[str | Recipient],
        text: str,
        sender: str,
        validity: timedelta | None = None,
        tariff: int | None = None,
        two_way: bool = False,
    ) -> SendResult:
        """Send one text to many phones in one request (`destination: phones`).

        Returns a `SendResult` with one `Receipt` or `Rejection` per recipient, in the order
        given, and the campaign's `task_id` (for `get_task`). A refused recipient never fails
        the call. For very large lists use `send_many`, which chunks them.
        Raises like `send`; a duplicate reference within the call is an `InvalidParameterError`.
        """
        fixed = _fixed(to, "to")
        post = self._bulk_poster(text, sender, validity, tariff, two_way)
        return await send_result(self._client._wire, fixed, post, self.get_by_reference)

    def _bulk_poster(
        self, text: str, sender: str, validity: timedelta | None, tariff: int | None, two_way: bool
    ) -> Post:
        """Checks the shared fields once, then sends one bulk create (`destination: phones`)
        to the recipients it is given (`send_bulk`, and each chunk of `stream_many`)."""
        text, sender = rules.text(text, "text"), rules.sender(sender)
        options = _options(validity, tariff, two_way)
        wire, request = self._client._wire, self._client.legacy_request

        async def post(recipients: list[Recipient]) -> Answer:
            payload = wire.sms_bulk(recipients, text=text, sender=sender, options=options)
            return await request("POST", "/sms/create", json=payload, send=True)

        return post

    def stream_many(
        self,
        *,
        to: Recipients,
        text: str,
        sender: str,
        validity: timedelta | None = None,
        tariff: int | None = None,
        two_way: bool = False,
        chunk_size: int = DEFAULT_SMS_CHUNK,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: ProgressCallback | None = None,
        resume: bool = False,
    ) -> OutcomeStream:
        """Send one text to any number of recipients, in bulk requests of `chunk_size`, and
        yield each outcome as its chunk completes (in completion order).

        ```python
        async with bsg.sms.stream_many(to=numbers, text="Sale", sender="Shop") as outcomes:
            async for outcome in outcomes:
                print(outcome)
        ```

        `to` is a list, iterable or async iterable of phone numbers or `Recipient`s, of
        any length. Each gets exactly one outcome: `Sent` (id, price) or `Failed` (typed error,
        `may_have_been_accepted`). Partial failure never raises. `text`, `sender`, `validity`,
        `tariff` and `two_way` as in `send`. `chunk_size` is 1 to 10,000 (default 1,000; the
        API gives no limit), `concurrency` the requests in flight (default 8, within the
        client's `max_concurrency`), `on_progress(done, total)` is called as chunks complete.
        `resume=True` continues an interrupted campaign with the same references: a reference
        the service already holds is reported `Sent` with its receipt instead of failing.
        Raises `InvalidParameterError` before sending for a bad shared option.

        Memory stays flat: the input is read only as far as the chunks in flight need, and no
        list of outcomes is kept. Open it with `async with`, then `async for outcome in
        outcomes:`; leaving the block stops it (see `OutcomeStream`). `send_many` takes the
        same keywords and returns every outcome at once.
        """
        post = self._bulk_poster(text, sender, validity, tariff, two_way)
        return chunk_stream(
            self._client._wire,
            to,
            post,
            self.get_by_reference,
            max_chunk=MAX_SMS_CHUNK,
            chunk_size=chunk_size,
            concurrency=concurrency,
            on_progress=on_progress,
            resume=resume,
        )

    send_many = send_form(stream_many)
    """Send one text to any number of recipients, in bulk requests of `chunk_size`, and
    return a `BatchReport` with exactly one outcome per recipient, in input order.

    ```python
    report = await bsg.sms.send_many(to=numbers, text="Sale", sender="Shop")
    print(len(report.succeeded), report.total_price)
    ```

    The keywords, their checks and the contract are those of `stream_many`, which yields the
    same outcomes as they come instead of holding them all.
    """

    async def get_many(
        self, keys: Iterable[int | str], *, concurrency: int = DEFAULT_READ_CONCURRENCY
    ) -> list[SmsReport | LookupFailed[SmsReport]]:
        """Read many SMS statuses concurrently; results in input order.

        An `int` is a message id, a `str` a reference (`"211"` is the reference "211", never
        the id 211). A read that fails is a `LookupFailed` with the typed error; the others
        are `SmsReport`s. Raises `InvalidParameterError` for a bad key before any request.
        """
        return await read_many(
            keys, concurrency=concurrency, by_id=self.get, by_reference=self.get_by_reference
        )

    async def send_individual(
        self,
        messages: Iterable[SmsMessage],
        *,
        validity: timedelta | None = None,
        tariff: int | None = None,
        two_way: bool = False,
    ) -> SendResult:
        """Send messages with their own text and sender in one request (`individual`).

        Returns a `SendResult` as `send_bulk` does, with `total_price` where given.
        """
        fixed_messages = []
        for index, message in enumerate(rules.items(messages, "messages")):
            if not isinstance(message, SmsMessage):
                raise InvalidParameterError(f"messages[{index}]", message, "expected an SmsMessage")
            if message.tariff is not None:
                raise InvalidParameterError(
                    f"messages[{index}].tariff", message.tariff, "one tariff per request: tariff="
                )
            if message.reference is None:
                message = SmsMessage(
                    message.to, message.text, message.sender, rules.new_reference()
                )
            fixed_messages.append(message)
        if not fixed_messages:
            raise InvalidParameterError("messages", [], "needs at least one message")
        rules.unique_references(m.reference or "" for m in fixed_messages)
        payload = self._client._wire.sms_individual(
            fixed_messages, options=_options(validity, tariff, two_way)
        )
        recipients = [Recipient(m.to, m.reference) for m in fixed_messages]

        async def post(_: list[Recipient]) -> Answer:
            return await self._client.legacy_request("POST", "/sms/create", json=payload, send=True)

        return await send_result(self._client._wire, recipients, post, self.get_by_reference)

    async def quote(
        self,
        to: str | Iterable[str],
        *,
        text: str,
        sender: str,
        validity: timedelta | None = None,
        tariff: int | None = None,
    ) -> PriceQuote:
        """What sending `text` from `sender` to `to` (one phone number or many) would cost,
        without sending anything (`PUT sms/price`, the body of a create).

        ```python
        quote = await bsg.sms.quote(["380501234567", "380501234568"], text="Sale", sender="Shop")
        print(quote.total_price, quote.currency)   # Decimal('0.05') USD
        ```

        The phone numbers are sent as `msisdn`, the text as `body`, the sender as `originator`;
        `validity` a `timedelta` of whole hours (1 to 72), `tariff` 0 to 9. Nothing is sent, so the
        references the body needs are generated and thrown away. Raises `InvalidParameterError`
        before any request for a bad value, an `APIError` subclass when the service refuses,
        `TransportError` without an answer (asking again is harmless).
        """
        phones = [to] if isinstance(to, str) else rules.items(to, "to")
        if not phones:
            raise InvalidParameterError("to", [], "needs at least one phone number")
        recipients = [
            Recipient._checked(rules.msisdn(p, "to"), rules.new_reference()) for p in phones
        ]
        wire = self._client._wire
        text, sender = rules.text(text, "text"), rules.sender(sender)
        options = _options(validity, tariff, False)
        if len(recipients) == 1:
            payload = wire.sms_single(recipients[0], text=text, sender=sender, options=options)
        else:
            payload = wire.sms_bulk(recipients, text=text, sender=sender, options=options)
        return await legacy_object(self._client, "PUT", "/sms/price", PriceQuote, json=payload)

    async def get(self, id: int) -> SmsReport:
        """The status of one SMS by its message id. Raises `NotFoundError` (code 20)."""
        message_id = rules.message_id(id)
        return await legacy_object(self._client, "GET", f"/sms/{message_id}", SmsReport)

    async def get_by_reference(self, reference: str) -> SmsReport:
        """The status of one SMS by the reference it was sent with. Raises `NotFoundError`."""
        ref = quote(rules.reference(reference), safe="")
        return await legacy_object(self._client, "GET", f"/sms/reference/{ref}", SmsReport)

    async def get_task(self, task_id: int) -> SmsTask:
        """The counters of a bulk campaign by the `task_id` of `send_bulk`. Raises `NotFoundError`
        (code 30)."""
        task = rules.message_id(task_id, "task_id")
        return await legacy_object(self._client, "GET", f"/sms/task/{task}", SmsTask)

    # -- One-API campaigns -------------------------------------------------------------------

    async def send_campaign(
        self,
        *,
        to: Iterable[str | Recipient] | None = None,
        contact_lists: Iterable[int] | None = None,
        text: str,
        sender: str,
        start_at: datetime | None = None,
        tariff: int | None = None,
        validity: timedelta | None = None,
        transliterate: bool | None = None,
        callback_url: str | None = None,
        short_links: Iterable[SmsShortLink] | SmsShortLink = (),
    ) -> Campaign:
        """Send one SMS text as a One-API campaign, to `to` **or** to `contact_lists`
        (exactly one); return the `Campaign` (`calculated_price` is its estimated cost).

        - `to`: 1 to 10,000 unique phones (sent as `phones`): phone-number strings (9 to 15
          digits) or `Recipient(to, reference)`s; a reference (1 to 32 letters and digits,
          sent as `reference_id`) is generated where none is given, before the first attempt.
          For more, `send_campaign_many` chunks them.
        - `contact_lists`: contact-list ids (sent as `groups`, to `sms/send-groups`; the
          service allows 10,000 contacts per campaign). Without references this request is
          retried only when it surely did not reach the service; a 429 is raised as is.
        - `text`: 1 to 765 characters; `sender`: up to 11 Latin letters or digits, or up to
          15 digits.
        - `start_at`: at most 30 days ahead (naive on the service's clock, or aware with the
          client's `timezone`); `validity`: a `timedelta` of whole hours, 1 to 72 (the
          service's default 72); `tariff`: a `Tariff.code` (sent as `tariff_code`);
          `transliterate`; `callback_url` (http(s), up to 100 characters) for status reports.
        - `short_links`: `SmsShortLink`s, each replacing its placeholder in `text` with a
          short link of its own per recipient (see `SmsChannel`).

        ```python
        campaign = await bsg.sms.send_campaign(to=["380501234567", "380501234568"],
                                               text="Sale starts now", sender="MyShop")
        ```

        Retries and the 429 rule as `bsg.rcs.send_campaign` (reconciled by the first phone's
        reference through the message search). Raises `InvalidParameterError` before sending
        for a bad value; an `APIError` subclass when the service refuses; `TransportError`
        without an answer (`may_have_been_accepted` tells whether it may hold the campaign).
        """
        content = SmsChannel(text=text, sender=sender, short_links=short_links)
        target = campaign_args.target(to, contact_lists, max_phones=MAX_CAMPAIGN_PHONES)
        options = _campaign_options(
            self._client, start_at, tariff, validity, transliterate, callback_url
        )
        payload = self._client._wire.sms_campaign(target, content, options=options)
        path = CAMPAIGN_GROUPS_PATH if target.contact_lists else CAMPAIGN_PATH
        return await post_campaign(self._client, path, payload, target)

    async def send_campaign_individual(
        self,
        messages: Iterable[SmsMessage],
        *,
        start_at: datetime | None = None,
        tariff: int | None = None,
        validity: timedelta | None = None,
        transliterate: bool | None = None,
        callback_url: str | None = None,
    ) -> Campaign:
        """Send SMS with their own text and sender as one One-API campaign
        (`sms/send-individual`); return the `Campaign`.

        Each `SmsMessage` gives the phone (9 to 15 digits), its text (1 to 765 characters),
        its sender (up to 11 Latin letters or digits, or up to 15 digits), a reference (1
        to 32 letters and digits; generated when `None`, before the first attempt) and
        optionally its own `tariff` (a `Tariff.code`, sent as the message's `tariff_code`;
        the campaign's `tariff` applies to the others). Options as in `send_campaign`
        (`transliterate` goes on every message: the endpoint takes it per message only).

        ```python
        campaign = await bsg.sms.send_campaign_individual(
            [SmsMessage("380501234567", "Hi Jack", "MyShop"),
             SmsMessage("380501234568", "Hi Anna", "MyShop")])
        ```

        Raises as `send_campaign`; a reference twice is an `InvalidParameterError`.
        """
        fixed: list[tuple[str, str, str, str, int | None]] = []
        for index, message in enumerate(rules.items(messages, "messages")):
            if not isinstance(message, SmsMessage):
                raise InvalidParameterError(f"messages[{index}]", message, "expected an SmsMessage")
            field = f"messages[{index}]"
            number, ref = campaign_args.recipient_fields(
                Recipient(message.to, message.reference), field
            )
            fixed.append(
                (
                    number,
                    ref,
                    rules.text(message.text, f"{field}.text", max_length=SMS_TEXT_MAX),
                    rules.sender(message.sender, f"{field}.sender", sms=True),
                    rules.optional_integer(
                        message.tariff, f"{field}.tariff", rules.ONE_API_TARIFFS
                    ),
                )
            )
        if not fixed:
            raise InvalidParameterError("messages", [], "needs at least one message")
        rules.unique_references((entry[1] for entry in fixed), "messages.reference")
        payload = self._client._wire.sms_campaign_individual(
            fixed,
            _campaign_options(self._client, start_at, tariff, validity, None, callback_url),
            transliterate=rules.optional_boolean(transliterate, "transliterate"),
        )
        target = CampaignTarget(phones=tuple((entry[0], entry[1]) for entry in fixed))
        return await post_campaign(self._client, CAMPAIGN_INDIVIDUAL_PATH, payload, target)

    def stream_campaign_many(
        self,
        to: Recipients,
        *,
        text: str,
        sender: str,
        start_at: datetime | None = None,
        tariff: int | None = None,
        validity: timedelta | None = None,
        transliterate: bool | None = None,
        callback_url: str | None = None,
        short_links: Iterable[SmsShortLink] | SmsShortLink = (),
        chunk_size: int = MAX_CAMPAIGN_PHONES,
        concurrency: int = DEFAULT_CAMPAIGN_CONCURRENCY,
        on_progress: ProgressCallback | None = None,
    ) -> OutcomeStream:
        """Send one SMS text to any number of recipients as One-API campaigns of `chunk_size`
        phones (1 to 10,000, the endpoint's maximum by default), and yield each outcome as its
        campaign's outcomes are read: `Sent` with id and price, or `Failed` (see
        `OutcomeStream`: open it with `async with`).

        ```python
        async with bsg.sms.stream_campaign_many(numbers, text="Sale", sender="MyShop") as outcomes:
            async for outcome in outcomes:
                print(outcome)
        ```

        Exactly once, as `stream_many`: every reference is fixed before the first attempt, a
        lost answer is retried with the same bytes, a 429 is reconciled by reference, never
        resent. The id and price of each recipient are read back from the campaign's
        messages: one message-search request per 500 recipients after each campaign (see
        `_one_api_sending`). Options as in `send_campaign`; `concurrency` campaigns in flight
        (default 2). Raises `InvalidParameterError` before sending for a bad shared option.
        """
        wire, client = self._client._wire, self._client
        content = SmsChannel(text=text, sender=sender, short_links=short_links)
        options = _campaign_options(client, start_at, tariff, validity, transliterate, callback_url)

        def payload(phones: Sequence[tuple[str, str]]) -> dict[str, Any]:
            return wire.sms_campaign(CampaignTarget(phones=tuple(phones)), content, options=options)

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
    """Send one SMS text to any number of recipients as One-API campaigns of `chunk_size`
    phones, and return a `BatchReport` with exactly one outcome per recipient, in input order.

    ```python
    report = await bsg.sms.send_campaign_many(numbers, text="Sale", sender="MyShop")
    print(len(report.succeeded), report.total_price)
    ```

    The keywords, their checks and the contract are those of `stream_campaign_many`.
    """


def _campaign_options(
    client: AsyncBSG,
    start_at: object,
    tariff: object,
    validity: object,
    transliterate: object,
    callback_url: object,
) -> CampaignOptions:
    """`campaign_args.options` of an SMS campaign: the keywords its send methods share,
    checked."""
    return campaign_args.options(
        client,
        start_at=start_at,
        tariff=tariff,
        validity=validity,
        transliterate=transliterate,
        callback_url=callback_url,
    )


def _options(validity: timedelta | None, tariff: int | None, two_way: bool) -> dict[str, int]:
    """The optional request fields, sent only when given (`tariff=0` included): validity in
    hours, and `2way` for `two_way`."""
    options = rules.legacy_options(validity, tariff, rules.SMS_VALIDITY_HOURS, "hours")
    if rules.boolean(two_way, "two_way"):
        options["2way"] = 1
    return options


def _fixed(recipients: Iterable[str | Recipient], field: str) -> list[Recipient]:
    """Recipients with references fixed, checked for duplicates; at least one."""
    if isinstance(recipients, str | Recipient):
        recipients = [recipients]
    fixed = [Recipient.coerce(r).with_reference() for r in rules.items(recipients, field)]
    if not fixed:
        raise InvalidParameterError(field, [], "needs at least one recipient")
    rules.unique_references(r.reference or "" for r in fixed)
    return fixed
