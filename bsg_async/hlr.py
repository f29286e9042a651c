"""`bsg.hlr`: HLR lookups (is this number live, and on which network) and their results."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from . import _validation as rules
from ._paging import legacy_object
from ._sending import post_single
from .models import Receipt, Recipient
from .models.legacy import HlrResult

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["HlrResource"]


class HlrResource:
    """The HLR lookups of the legacy REST API, as `bsg.hlr`.

    A lookup is charged like a message, so `create` is exactly-once as an SMS send is: its
    reference is fixed before the first attempt (32 hex characters when none is given), and a
    retry the service answers with "reference already exists" is resolved by reading the
    lookup back by that reference.
    """

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def create(
        self, to: str, *, reference: str | None = None, tariff: int | None = None
    ) -> Receipt:
        """Start an HLR lookup of the phone number `to` (sent as `msisdn`) and return its
        `Receipt` (`id`, `reference`, `price`, `currency`); read the result with `get`.

        ```python
        receipt = await bsg.hlr.create(to="380501234567", reference="check-42")
        result = await bsg.hlr.get(receipt.id)
        ```

        `tariff` is 0 to 9. Raises `InvalidParameterError` before any request for a bad value,
        an `APIError` subclass when the service refuses the lookup, `TransportError` when no
        answer came after all retries (then `may_have_been_accepted` says whether it may
        have been made).
        """
        recipient = Recipient._checked(
            rules.msisdn(to, "to"), rules.optional_reference(reference) or rules.new_reference()
        )
        payload = self._client._wire.hlr_create(
            recipient, tariff=rules.optional_integer(tariff, "tariff", rules.TARIFF_RANGE)
        )
        return await post_single(
            self._client, "/hlr/create", payload, recipient, self.get_by_reference
        )

    async def get(self, id: int) -> HlrResult:
        """The result of one HLR lookup by its id (`GET hlr/{id}`).

        Raises `InvalidParameterError` for an id that is not a positive `int`, `NotFoundError`
        for a lookup the service does not know.
        """
        lookup_id = rules.message_id(id)
        return await legacy_object(self._client, "GET", f"/hlr/{lookup_id}", HlrResult)

    async def get_by_reference(self, reference: str) -> HlrResult:
        """The result of one HLR lookup by the reference it was created with
        (`GET hlr/reference/{reference}`). Raises as `get` does."""
        ref = quote(rules.reference(reference), safe="")
        return await legacy_object(self._client, "GET", f"/hlr/reference/{ref}", HlrResult)
