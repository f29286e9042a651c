"""`bsg.viber`: send Viber messages with SMS fallback, and read their status."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote

import attrs

from . import _validation as rules
from ._sending import batch_result
from .errors import InvalidParameterError
from .models import SendResult, ViberMessage, ViberReport

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["ViberResource"]


class ViberResource:
    """The Viber endpoints of the legacy REST API, as `bsg.viber`.

    Viber `validity` is in **seconds** (15 to 86,400; the service's default 86,400), unlike SMS
    validity, which is in hours. At most 50 recipients per `send` call (the API's limit).
    """

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def send(
        self,
        messages: Iterable[ViberMessage],
        *,
        validity: int | None = None,
        tariff: int | None = None,
    ) -> SendResult:
        """Send Viber messages (at most 50 recipients across all of them) in one request.

        ```python
        result = await bsg.viber.send(
            [ViberMessage(to=["380972920000"], text="Hi", alpha_name="BSG",
                          sms_fallback=SmsFallback(originator="BSG", text="Hi"))],
            validity=3600,
        )
        ```

        Returns a `SendResult` with one entry per recipient, in the order of the messages and
        their `to` lists. Raises `InvalidParameterError` before sending for a bad value, more
        than 50 recipients or a duplicate reference; otherwise raises as `bsg.sms.send` does.
        """
        fixed: list[ViberMessage] = []
        for index, message in enumerate(_as_list(messages)):
            if not isinstance(message, ViberMessage):
                raise InvalidParameterError(
                    f"messages[{index}]", message, "expected a ViberMessage"
                )
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
        options: dict[str, int] = {}
        seconds = rules.optional_integer(
            validity, "validity", rules.VIBER_VALIDITY_SECONDS, "seconds"
        )
        if seconds is not None:
            options["validity"] = seconds
        tariff_value = rules.optional_integer(tariff, "tariff", rules.TARIFF_RANGE)
        if tariff_value is not None:
            options["tariff"] = tariff_value
        payload = self._client.wire.viber(fixed, options=options)
        answer = await self._client.legacy_request("POST", "/viber/create", json=payload, send=True)
        return await batch_result(self._client.wire, answer, recipients, self.get_by_reference)

    async def get(self, id: int) -> ViberReport:
        """The status of one Viber message by id, with its SMS fallback entries.

        Raises `NotFoundError` (code 40).
        """
        message_id = rules.message_id(id)
        answer = await self._client.legacy_request("GET", f"/viber/{message_id}")
        return self._client.wire.structure(answer.data, ViberReport, http_status=answer.http_status)

    async def get_by_reference(self, reference: str) -> ViberReport:
        """The status of one Viber message by its reference. Raises `NotFoundError`."""
        ref = quote(rules.reference(reference), safe="")
        answer = await self._client.legacy_request("GET", f"/viber/reference/{ref}")
        return self._client.wire.structure(answer.data, ViberReport, http_status=answer.http_status)


def _as_list(messages: Iterable[ViberMessage]) -> list[ViberMessage]:
    if isinstance(messages, ViberMessage):
        return [messages]
    return list(messages)
