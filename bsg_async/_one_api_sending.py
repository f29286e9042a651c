"""One-API sends, and their part of the exactly-once recovery (`_exactly_once` tells it whole).

Every recipient of a One-API send carries a `reference_id` fixed before the first attempt, and
the service refuses a second message with a `reference_id` it already holds. So a send whose
answer was lost (a timeout after the request was written, a reset connection, a 5xx) is
retried with the same bytes, like every other request. An HTTP 429 ("Too many duplicate
request detected") may mean "already accepted", so it is **never resent** (`not_rate_limited`):
like a 422 naming `reference_id` after an attempt that may have been accepted
(`_exactly_once.reconcilable`) and a success answer the SDK cannot decode, it is resolved by
`_exactly_once.resolve` with this API's lookup: the message search (`GET /api/messages`) by
`reference_id` (`held_message`, `held_campaign`).

A request without references (a campaign to contact lists) cannot be resolved that way: it is
retried only when it surely did not reach the service, and a 429 is raised as is.

High volume (`send_campaign_many` of SMS, Viber and RCS) sends each chunk of the batcher
(`batch.OutcomeStream`, references fixed before the first attempt) with `send_campaign_chunk`:
one campaign per chunk, through `post_referenced` like any campaign send; then one outcome per
recipient from the campaign's messages, read back by campaign id through the message search
(one `GET /api/messages` per 500 recipients), each matched by its `reference_id`. The
recipients the search does not list under that campaign are read back by their `reference_id`
alone (`_exactly_once.read_back`); those the service does not hold (a reference it held
elsewhere refused the whole request) are sent once more, in a campaign of their own, with the
same reference. One still not found is `Failed` with `may_have_been_accepted=True` (resending
it with the same reference is safe: the service refuses a `reference_id` it holds).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from . import _campaign_args as campaign_args
from . import _validation as rules
from ._exactly_once import Chunk, Held, Pending, read_back, reconcilable, resolve
from ._paging import data_object
from .batch import OutcomeStream, ProgressCallback, Recipients
from .batch import _check_batch_options as check_batch_options
from .errors import (
    APIError,
    BSGError,
    InvalidParameterError,
    InvalidRequestError,
    RateLimitError,
    UnexpectedResponseError,
    fate_unknown,
)
from .models import Recipient
from .models.batch import Failed, Outcome, Sent
from .models.campaigns import CampaignTarget
from .models.one_api import Campaign, MessageInfo, OneApiMessage

if TYPE_CHECKING:
    from ._converter import ChannelSend
    from ._transport import Answer
    from .client import AsyncBSG

__all__ = [
    "CampaignPayload",
    "campaign_stream",
    "held_campaign",
    "held_message",
    "post_keyed",
    "post_message",
    "send_message",
    "post_referenced",
    "post_campaign",
    "post_unreferenced",
    "send_campaign_chunk",
    "structured",
]

T = TypeVar("T")

Recover = Callable[[BSGError], Awaitable[T]]
"""What a send returns instead of raising `error` when the service may hold its message:
usually `held_message` or `held_campaign` for the send's first reference."""


def structured(client: AsyncBSG, answer: Answer, cls: type[T]) -> T:
    """The answer's `data` object decoded as `cls` (raises `UnexpectedResponseError`)."""
    return client._wire.structure(
        data_object(answer), cls, http_status=answer.http_status, send=True
    )


async def post_referenced(
    client: AsyncBSG,
    path: str,
    payload: Mapping[str, Any],
    result: type[T],
    recover: Recover[T],
) -> T:
    """POST a send whose recipients all carry a `reference_id`; return the answer's `data`
    as `result`.

    Any error the retry policy allows is retried with the same bytes but a 429; a 429, a 422
    about `reference_id` after an attempt that may have been accepted, and an answer that
    cannot be read as `result` go to `recover(error)`, which returns what the service holds or
    raises.
    """
    try:
        answer = await client.one_api_request(
            "POST", path, json=payload, send=True, retry_if=not_rate_limited
        )
    except (RateLimitError, InvalidRequestError) as error:
        if not reconcilable(error):
            raise
        return await recover(error)
    try:
        return structured(client, answer, result)
    except UnexpectedResponseError as error:
        return await recover(error)


async def post_message(
    client: AsyncBSG, path: str, payload: Mapping[str, Any], reference: str, to: str
) -> MessageInfo:
    """POST a one-message send (no campaign) through `post_referenced`, reconciled by the
    message's `reference` (sent to `to`); return its `MessageInfo`."""

    async def recover(error: BSGError) -> MessageInfo:
        return (await held_message(client, error, reference, to)).to_message_info()

    return await post_referenced(client, path, payload, MessageInfo, recover)


async def send_message(
    client: AsyncBSG,
    path: str,
    to: object,
    reference: object,
    content: ChannelSend,
    callback_url: object,
) -> MessageInfo:
    """Send one RCS or WhatsApp message of checked `content` to the phone `to` (no campaign):
    `to`, `reference` (generated when `None`) and `callback_url` checked by the One-API's
    rules, then `post_message`."""
    number = campaign_args.phone(to, "to")
    ref = campaign_args.reference(reference, "reference")
    url = campaign_args.callback(callback_url)
    payload = client._wire.channel_message(number, ref, content, callback_url=url)
    return await post_message(client, path, payload, ref, number)


async def post_unreferenced(
    client: AsyncBSG, path: str, payload: Mapping[str, Any] | None, result: type[T]
) -> T:
    """POST a send without references (to contact lists, a 2FA code; `payload` `None`: no
    body) and return the answer's `data` as `result`: retried only when the request surely
    did not reach the service; every error is raised as is."""
    answer = await client.one_api_request(
        "POST", path, json=payload, send=True, retry_if=surely_not_accepted
    )
    return structured(client, answer, result)


async def held_message(client: AsyncBSG, error: BSGError, reference: str, to: str) -> OneApiMessage:
    """The message the service holds for `reference` (sent to `to`), or raise `error`
    (a copy whose fate is unknown when the search itself failed)."""
    return await resolve(error, lambda: _search(client, reference, to))


async def held_campaign(client: AsyncBSG, error: BSGError, reference: str, to: str) -> Campaign:
    """The campaign holding the message with `reference`, or raise `error` (a copy whose fate
    is unknown when the message was found but its campaign cannot be read)."""

    async def campaign() -> Campaign | None:
        message = await _search(client, reference, to)
        if message is None:
            return None
        if message.campaign_id is None:
            raise UnexpectedResponseError(
                f"the message search lists the message {message.id} without its campaign id"
            )
        return await client.campaigns.get(message.campaign_id)

    return await resolve(error, campaign)


async def _search(client: AsyncBSG, reference: str, to: str) -> OneApiMessage | None:
    """The One-API's lookup for `_exactly_once`: the message the search lists for
    `reference` (sent to `to`), `None` when it lists none."""
    async for message in client.messages.list(reference=reference, page_size=15):
        if message.reference in (None, reference) and message.to in (None, to):
            return message
    return None


async def post_campaign(
    client: AsyncBSG, path: str, payload: Mapping[str, Any], target: CampaignTarget
) -> Campaign:
    """POST a campaign send: to phones (each with a `reference_id`) through `post_referenced`,
    reconciled by the first phone's reference; to contact lists through `post_unreferenced`."""
    if not target.phones:
        return await post_unreferenced(client, path, payload, Campaign)
    first_number, first_ref = target.phones[0]

    async def recover(error: BSGError) -> Campaign:
        return await held_campaign(client, error, first_ref, first_number)

    return await post_referenced(client, path, payload, Campaign, recover)


# -- high volume -------------------------------------------------------------------------------

CampaignPayload = Callable[[Sequence[tuple[str, str]]], Mapping[str, Any]]
"""The body of one campaign to these `(number, reference_id)` phones."""

SEARCH_PAGE = 500  # the message search's largest page


def campaign_stream(
    client: AsyncBSG,
    path: str,
    to: Recipients,
    payload: CampaignPayload,
    *,
    max_chunk: int,
    chunk_size: int,
    concurrency: int,
    on_progress: ProgressCallback | None,
) -> OutcomeStream:
    """The `OutcomeStream` of a high-volume send to the campaign endpoint `path`: chunks of
    `chunk_size` (1 to `max_chunk`), each sent by `send_campaign_chunk`."""
    size, workers = check_batch_options(chunk_size, concurrency, max_chunk=max_chunk)

    async def send(chunk: Chunk) -> list[Outcome]:
        return await send_campaign_chunk(client, path, chunk, payload)

    return OutcomeStream(to, send, chunk_size=size, concurrency=workers, on_progress=on_progress)


async def send_campaign_chunk(
    client: AsyncBSG, path: str, chunk: Chunk, payload: CampaignPayload
) -> list[Outcome]:
    """Send one chunk of a high-volume send as campaigns; one outcome per recipient, in chunk
    order. Never raises a `BSGError`.

    A recipient that breaks a One-API rule (9 to 15 digits; a reference of letters and digits
    only) is `Failed` with its `InvalidParameterError` and not sent. A phone given twice goes
    in a second campaign (a campaign's phones must be unique), so nobody is dropped.
    """
    outcomes: list[Outcome | None] = [None] * len(chunk)
    layers: list[list[tuple[int, str, str]]] = []  # (position, number, reference): unique phones
    seen: dict[str, int] = {}
    for position, (index, recipient) in enumerate(chunk):
        try:
            number = rules.msisdn(recipient.to, "to", min_digits=rules.ONE_API_PHONE_MIN_DIGITS)
            ref = rules.reference(recipient.reference, "reference", one_api=True)
        except InvalidParameterError as invalid:
            outcomes[position] = Failed(index, recipient, recipient.reference, invalid)
            continue
        depth = seen.get(number, 0)
        seen[number] = depth + 1
        if depth == len(layers):
            layers.append([])
        layers[depth].append((position, number, ref))
    for layer in layers:
        for position, outcome in await _send_layer(client, path, chunk, layer, payload):
            outcomes[position] = outcome
    return [outcome for outcome in outcomes if outcome is not None]


async def _send_layer(
    client: AsyncBSG,
    path: str,
    chunk: Chunk,
    layer: list[tuple[int, str, str]],
    payload: CampaignPayload,
    *,
    again: bool = True,
) -> list[tuple[int, Outcome]]:
    """One campaign to `layer` (positions in `chunk` with unique numbers), then its outcomes.

    A recipient the service does not hold after it (its reference found neither among the
    campaign's messages nor alone: a reference held elsewhere refused the request) is sent
    once more in a campaign of its own (`again`); its reference makes that safe.
    """
    phones = tuple((number, ref) for _, number, ref in layer)
    try:
        campaign = await post_campaign(client, path, payload(phones), CampaignTarget(phones))
    except BSGError as error:
        # Sent again, these may be held from the first round whatever this error says.
        maybe = error.may_have_been_accepted or not again
        failure = fate_unknown(error) if maybe else error
        return [(position, _failed(chunk[position], failure, maybe)) for position, _, _ in layer]
    try:
        listed = await _campaign_messages(client, campaign.id)
    except BSGError as error:  # accepted, but its messages cannot be read now
        unknown = fate_unknown(error)
        return [(position, _failed(chunk[position], unknown, True)) for position, _, _ in layer]
    found: list[tuple[int, Outcome]] = []
    missing: list[tuple[int, str, str]] = []
    for position, number, ref in layer:
        message = listed.get(ref)
        if message is None:
            missing.append((position, number, ref))
        else:
            found.append((position, _sent(chunk[position], message)))
    if not missing:
        return found
    # Each its own error: a failed lookup chains its cause to it.
    unlisted: list[Pending] = [
        (
            position,
            APIError(
                f"campaign {campaign.id} was accepted, but the message search does not list "
                "this recipient's message",
                may_have_been_accepted=True,
            ),
        )
        for position, _, _ in missing
    ]
    numbers = {ref: number for _, number, ref in missing}  # `ref` is the recipient's reference

    async def held(recipient: Recipient) -> Held[Decimal | None] | None:
        ref = recipient.reference or ""
        message = await _search(client, ref, numbers[ref])
        return None if message is None else _held(message)

    told, absent = await read_back(chunk, unlisted, held)
    found.extend(told)
    if absent and again:
        not_held = {position for position, _ in absent}
        retry = [entry for entry in missing if entry[0] in not_held]
        found.extend(await _send_layer(client, path, chunk, retry, payload, again=False))
        return found
    found.extend((position, _failed(chunk[position], error, True)) for position, error in absent)
    return found


async def _campaign_messages(client: AsyncBSG, campaign_id: int) -> dict[str, OneApiMessage]:
    """The messages of a campaign by `reference_id` (one search request per 500)."""
    held: dict[str, OneApiMessage] = {}
    async for message in client.messages.list(campaign_id=campaign_id, page_size=SEARCH_PAGE):
        if message.reference is not None:
            held.setdefault(message.reference, message)
    return held


def _held(message: OneApiMessage) -> Held[Decimal | None]:
    amount = message.amount
    return Held(
        message.id,
        None if amount is None else amount.value,
        None if amount is None else amount.currency,
    )


def _sent(entry: tuple[int, Recipient], message: OneApiMessage) -> Sent:
    return _held(message).sent(*entry)


def _failed(entry: tuple[int, Recipient], error: BSGError, maybe: bool) -> Failed:
    index, recipient = entry
    return Failed(index, recipient, recipient.reference, error, maybe)


def not_rate_limited(error: BSGError) -> bool:
    """Retry anything the policy allows but a 429: that one is reconciled, never resent."""
    return not isinstance(error, RateLimitError)


def surely_not_accepted(error: BSGError) -> bool:
    """Without a `reference_id`, retry only what cannot have reached the service."""
    return not_rate_limited(error) and not error.may_have_been_accepted


async def post_keyed(
    client: AsyncBSG,
    path: str,
    payload: Mapping[str, Any],
    result: type[T],
    find: Callable[[], Awaitable[T | None]],
) -> T:
    """POST a create of a record the service keeps unique by a natural key (a contact's phone,
    a contact list's name) and return the answer's `data` as `result`.

    Retried like any request but a 429. When an attempt may have been accepted and the service
    then refuses the create (a 429, or a 422 such as "Phone number is already exist"), the
    record is looked up by its key (`find`): found, it is returned; not found, the error is
    raised. So a lost answer neither doubles the record nor fails a create that happened.
    """
    try:
        answer = await client.one_api_request(
            "POST", path, json=payload, send=True, retry_if=not_rate_limited
        )
    except (RateLimitError, InvalidRequestError) as error:
        if not error.may_have_been_accepted:
            raise
        return await resolve(error, find)
    return structured(client, answer, result)
