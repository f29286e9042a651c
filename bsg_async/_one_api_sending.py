"""Exactly-once for One-API sends: one recovery for every channel and campaign endpoint.

Every recipient of a One-API send carries a `reference_id` fixed before the first attempt, and
the service refuses a second message with a `reference_id` it already holds. So a send whose
answer was lost (a timeout after the request was written, a reset connection, a 5xx) is
retried with the same bytes, like every other request. An HTTP 429 ("Too many duplicate
request detected") may mean "already accepted", so it is **never resent**: the message is
looked up by its `reference_id` in the message search (`GET /api/messages`) instead. A 422
naming `reference_id` after an attempt that may have been accepted, and a success answer the
SDK cannot decode, are resolved the same way.

- found: the send returns what the service holds;
- not found: the error is raised, with `may_have_been_accepted=True` when an earlier attempt
  may have been accepted (resending later with the **same** reference is then safe).

A request without references (a campaign to contact lists) cannot be resolved that way: it is
retried only when it surely did not reach the service, and a 429 is raised as is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ._paging import data_object
from .errors import (
    BSGError,
    InvalidRequestError,
    RateLimitError,
    UnexpectedResponseError,
    fate_unknown,
)
from .models.one_api import Campaign, OneApiMessage

if TYPE_CHECKING:
    from ._transport import Answer
    from .client import AsyncBSG

__all__ = [
    "held_campaign",
    "held_message",
    "post_referenced",
    "post_unreferenced",
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


async def post_unreferenced(
    client: AsyncBSG, path: str, payload: Mapping[str, Any], result: type[T]
) -> T:
    """POST a send without references (to contact lists) and return the answer's `data` as
    `result`: retried only when the request surely did not reach the service; every error is
    raised as is."""
    answer = await client.one_api_request(
        "POST", path, json=payload, send=True, retry_if=surely_not_accepted
    )
    return structured(client, answer, result)


async def held_message(client: AsyncBSG, error: BSGError, reference: str, to: str) -> OneApiMessage:
    """The message the service holds for `reference` (sent to `to`), or raise `error`
    (a copy whose fate is unknown when the search itself failed)."""
    try:
        async for message in client.messages.list(reference=reference, page_size=15):
            if message.reference in (None, reference) and message.to in (None, to):
                return message
    except BSGError as lookup_error:
        raise fate_unknown(error) from lookup_error
    raise error


async def held_campaign(client: AsyncBSG, error: BSGError, reference: str, to: str) -> Campaign:
    """The campaign holding the message with `reference`, or raise `error` (a copy whose fate
    is unknown when the message was found but its campaign cannot be read)."""
    message = await held_message(client, error, reference, to)
    if message.campaign_id is None:
        raise fate_unknown(error)
    try:
        return await client.campaigns.get(message.campaign_id)
    except BSGError as lookup_error:
        raise fate_unknown(error) from lookup_error


def not_rate_limited(error: BSGError) -> bool:
    """Retry anything the policy allows but a 429: that one is reconciled, never resent."""
    return not isinstance(error, RateLimitError)


def surely_not_accepted(error: BSGError) -> bool:
    """Without a `reference_id`, retry only what cannot have reached the service."""
    return not_rate_limited(error) and not error.may_have_been_accepted


def reconcilable(error: BSGError) -> bool:
    """A 429, or a 422 about `reference_id` after an attempt that may have been accepted."""
    if isinstance(error, RateLimitError):
        return True
    return (
        isinstance(error, InvalidRequestError)
        and error.may_have_been_accepted
        and any("reference_id" in key for key in error.errors)
    )
