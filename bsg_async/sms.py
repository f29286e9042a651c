"""`bsg.sms`: send SMS (single, bulk, individual) and read their status."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import quote

from . import _validation as rules
from ._sending import batch_result, recover_duplicate, single_receipt
from .errors import DuplicateReferenceError, InvalidParameterError
from .models import Receipt, Recipient, SendResult, SmsMessage, SmsReport, SmsTask

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["SmsResource"]


class SmsResource:
    """The SMS endpoints of the legacy REST API, as `bsg.sms`.

    SMS `validity` is in **hours** (1 to 72, the service's default 72); `tariff` is 0 to 9.
    Every send fixes each message's reference before the first attempt (generating 32 hex
    characters where none is given), so retries can never send a message twice.
    """

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def send(
        self,
        *,
        msisdn: str,
        body: str,
        originator: str,
        reference: str | None = None,
        validity: int | None = None,
        tariff: int | None = None,
        two_way: bool = False,
    ) -> Receipt:
        """Send one SMS and return its `Receipt` (`id`, `reference`, `price`, `currency`).

        ```python
        receipt = await bsg.sms.send(msisdn="380501234567", body="Hi", originator="Shop")
        ```

        Raises `InvalidParameterError` before sending for a bad value, an `APIError` subclass
        when the service refuses the message, `TransportError` when no answer came after all
        retries (then `may_have_been_accepted` tells whether the service may hold it).
        """
        recipient = Recipient(msisdn, reference).with_reference()
        payload = self._client.wire.sms_single(
            recipient,
            body=rules.text(body, "body"),
            originator=rules.originator(originator),
            options=_options(validity, tariff, two_way),
        )
        try:
            answer = await self._client.legacy_request(
                "POST", "/sms/create", json=payload, send=True
            )
        except DuplicateReferenceError as error:
            return await recover_duplicate(error, recipient, self.get_by_reference)
        return await single_receipt(self._client.wire, answer, recipient, self.get_by_reference)

    async def send_bulk(
        self,
        recipients: Iterable[str | Recipient],
        *,
        body: str,
        originator: str,
        validity: int | None = None,
        tariff: int | None = None,
        two_way: bool = False,
    ) -> SendResult:
        """Send one text to many phones in one request (`destination: phones`).

        Returns a `SendResult` with one `Receipt` or `Rejection` per recipient, in the order
        given, and the campaign's `task_id` (for `get_task`). A refused recipient never fails
        the call. For very large lists use `send_many`, which chunks them.
        Raises like `send`; a duplicate reference within the call is an `InvalidParameterError`.
        """
        fixed = _fixed(recipients, "recipients")
        payload = self._client.wire.sms_bulk(
            fixed,
            body=rules.text(body, "body"),
            originator=rules.originator(originator),
            options=_options(validity, tariff, two_way),
        )
        answer = await self._client.legacy_request("POST", "/sms/create", json=payload, send=True)
        return await batch_result(self._client.wire, answer, fixed, self.get_by_reference)

    async def send_individual(
        self,
        messages: Iterable[SmsMessage],
        *,
        validity: int | None = None,
        tariff: int | None = None,
        two_way: bool = False,
    ) -> SendResult:
        """Send messages with their own text and sender in one request (`individual`).

        Returns a `SendResult` as `send_bulk` does, with `total_price` where given.
        """
        fixed_messages = []
        for index, message in enumerate(messages):
            if not isinstance(message, SmsMessage):
                raise InvalidParameterError(f"messages[{index}]", message, "expected an SmsMessage")
            if message.reference is None:
                message = SmsMessage(
                    message.msisdn, message.body, message.originator, rules.new_reference()
                )
            fixed_messages.append(message)
        if not fixed_messages:
            raise InvalidParameterError("messages", [], "needs at least one message")
        rules.unique_references(m.reference or "" for m in fixed_messages)
        payload = self._client.wire.sms_individual(
            fixed_messages, options=_options(validity, tariff, two_way)
        )
        answer = await self._client.legacy_request("POST", "/sms/create", json=payload, send=True)
        recipients = [Recipient(m.msisdn, m.reference) for m in fixed_messages]
        return await batch_result(self._client.wire, answer, recipients, self.get_by_reference)

    async def get(self, id: int) -> SmsReport:
        """The status of one SMS by its message id. Raises `NotFoundError` (code 20)."""
        message_id = rules.message_id(id)
        answer = await self._client.legacy_request("GET", f"/sms/{message_id}")
        return self._client.wire.structure(answer.data, SmsReport, http_status=answer.http_status)

    async def get_by_reference(self, reference: str) -> SmsReport:
        """The status of one SMS by the reference it was sent with. Raises `NotFoundError`."""
        ref = quote(rules.reference(reference), safe="")
        answer = await self._client.legacy_request("GET", f"/sms/reference/{ref}")
        return self._client.wire.structure(answer.data, SmsReport, http_status=answer.http_status)

    async def get_task(self, task_id: int) -> SmsTask:
        """The counters of a bulk campaign by the `task_id` of `send_bulk`. Raises `NotFoundError`
        (code 30)."""
        task = rules.message_id(task_id, "task_id")
        answer = await self._client.legacy_request("GET", f"/sms/task/{task}")
        return self._client.wire.structure(answer.data, SmsTask, http_status=answer.http_status)


def _options(validity: int | None, tariff: int | None, two_way: bool) -> dict[str, int]:
    """The optional request fields, sent only when given (`tariff=0` included)."""
    options: dict[str, int] = {}
    hours = rules.optional_integer(validity, "validity", rules.SMS_VALIDITY_HOURS, "hours")
    if hours is not None:
        options["validity"] = hours
    tariff_value = rules.optional_integer(tariff, "tariff", rules.TARIFF_RANGE)
    if tariff_value is not None:
        options["tariff"] = tariff_value
    if rules.boolean(two_way, "two_way"):
        options["2way"] = 1
    return options


def _fixed(recipients: Iterable[str | Recipient], field: str) -> list[Recipient]:
    """Recipients with references fixed, checked for duplicates; at least one."""
    if isinstance(recipients, str | Recipient):
        recipients = [recipients]
    fixed = [Recipient.coerce(r).with_reference() for r in recipients]
    if not fixed:
        raise InvalidParameterError(field, [], "needs at least one recipient")
    rules.unique_references(r.reference or "" for r in fixed)
    return fixed
