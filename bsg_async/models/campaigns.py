"""What a One-API campaign send writes besides its content: who it goes to
(`CampaignTarget`) and its optional fields (`CampaignOptions`), checked by `_campaign_args`.
Internal values, pure: no I/O. The content of each channel is a value of `models.channels`
(`SmsChannel`, `ViberChannel`, ...).
"""

from __future__ import annotations

import attrs

__all__: list[str] = []


@attrs.frozen
class CampaignTarget:
    """Who a campaign goes to: `phones` as `(number, reference_id)` pairs, or the ids of
    `contact_lists` (the other is empty). Internal: made by `_campaign_args`, written by the
    codec."""

    phones: tuple[tuple[str, str], ...] = ()
    contact_lists: tuple[int, ...] = ()


@attrs.frozen
class CampaignOptions:
    """The optional fields of a campaign, checked; `None` ones are not sent. `validity` is in
    hours, `start_at` already `yyyy-mm-dd hh:mm:ss` on the service's clock. Internal."""

    start_at: str | None = None
    tariff: int | None = None
    validity: int | None = None
    add_to_contact_book: bool | None = None
    check_stop_list: bool | None = None
    transliterate: bool | None = None
    callback_url: str | None = None
