"""`bsg.messages`: the One-API message search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING

from . import _validation as rules
from ._paging import DEFAULT_PAGE_SIZE, Pages, page_size, time_filters
from .models.one_api import OneApiMessage

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["MessagesResource"]

PAGE_SIZE_BOUNDS = (15, 500)


class MessagesResource:
    """The message search of the One-API, as `bsg.messages`."""

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


def page_size_checked(value: object) -> int:
    """A message-search page size: 15 to 500."""
    return page_size(value, PAGE_SIZE_BOUNDS)
