"""The fake One-API's universal send: one message over a chain of one or two channels.

`POST /api/messages/send` -> `{"data": MessageInfo}`, its `type` the first channel. The body
is checked as the OpenAPI description's `MessageUniversal` says: `channels` holds 1 or 2 of
`sms`, `rcs`, `viber`, `voice`, `telegram`, each with its content object, checked by the
fake's one set of content rules (`_contents`); a 422 names every offending field
(`rcs.cards.0.text`, `voice.category`, `sms.short_links.0.link`, ...). The message joins the
One-API's message store (the RCS area's): the message search finds it, a `reference_id`
already held gets the 429, its status moves on the fake's clock (the second channel's content
is its fallback) and it costs what an RCS message does (`Account.rcs_price`).

With `dry_run: true` the request is checked the same way, and answered as a send would be
(its `id` 0), but nothing is stored and nothing is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, cast

from ._check import Check
from ._contents import CHANNELS, content
from ._fates import format_time
from ._json import dumps
from ._rcs import CALLBACK_URL_MAX, DUPLICATE, RcsApi, _Common, _price_text, _validity
from ._records import OneApiChannel
from ._reply import Reply, invalid
from ._routes import Route

__all__ = ["UniversalApi"]

CHAIN_MAX = 2


class UniversalApi:
    """The universal send, over the One-API message store of `rcs`."""

    def __init__(self, rcs: RcsApi) -> None:
        self.rcs = rcs

    def send(self, payload: Any) -> Reply:
        """`POST /api/messages/send`: one message, its channels tried in order."""
        data = payload if isinstance(payload, dict) else {}
        check = Check()
        chain = self._channels(check, data.get("channels"))
        number, reference_id = self.rcs.single_phone(check, data.get("phone"))
        contents = [_content(check, data.get(channel), channel) for channel in chain]
        callback_url = check.url(
            data.get("callback_url"), "callback_url", CALLBACK_URL_MAX, required=False
        )
        tariff_code = check.integer(data.get("tariff_code"), "tariff_code")
        if tariff_code is not None and tariff_code not in self.rcs._codes:
            check.add("tariff_code", "The selected tariff code is invalid.")
        hours, seconds = _validity(check, data, "")
        flags = {
            name: check.boolean(data.get(name), name)
            for name in ("respect_curfew", "add_to_contact_book", "check_stop_list", "dry_run")
        }
        if check.errors or number is None or not chain:
            return invalid(check.errors)
        first = contents[0] or {}
        sender = first.get("sender")
        common = _Common(
            sender=sender if isinstance(sender, str) else "",
            options=MappingProxyType(dict(first)),
            fallback=MappingProxyType(dict(contents[1] or {})) if len(contents) > 1 else None,
            tariff_code=tariff_code,
            validity_hours=_hours(hours, seconds),
            validity_seconds=seconds,
            add_to_contact_book=flags["add_to_contact_book"] is not False,
            check_stop_list=flags["check_stop_list"] is not False,
            channel=cast("OneApiChannel", chain[0]),  # one of the checked names
        )
        if flags["dry_run"]:
            return self._dry_run(reference_id, number, common)
        return self.rcs.accept_single(reference_id, number, common, callback_url)

    def _dry_run(self, reference_id: str | None, number: str, common: _Common) -> Reply:
        """The answer a send would get, with nothing stored: the 429 for a `reference_id`
        already held, else the message as it would be accepted now (`id` 0)."""
        if reference_id is not None and self.rcs.held(reference_id):
            return DUPLICATE
        info = {
            "id": 0,
            "reference_id": reference_id,
            "source": "rest",
            "type": common.channel,
            "phone": int(number),
            "status": "accepted",
            "validity": common.validity_hours,
            "amount": {"value": _price_text(self.rcs.price), "currency": self.rcs.currency},
            "sender": common.sender,
            "created_at": format_time(self.rcs.now()),
            "sent_at": None,
            "delivered_at": None,
        }
        return Reply(200, dumps({"data": info}))

    @staticmethod
    def _channels(check: Check, value: Any) -> list[str]:
        items = check.items(value, "channels", (1, CHAIN_MAX))
        chain: list[str] = []
        for index, channel in enumerate(items or ()):
            if channel not in CHANNELS:
                check.add(f"channels.{index}", f"The selected channels.{index} is invalid.")
            else:
                chain.append(channel)
        return chain

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router`."""
        return (Route("POST", "messages/send", lambda call: self.send(call.json())),)


def _hours(hours: int | None, seconds: int | None) -> int:
    """The validity a message reports, in hours (72 by default; seconds rounded up)."""
    if hours is not None:
        return hours
    return 72 if seconds is None else max(1, -(-seconds // 3600))


def _content(check: Check, value: Any, channel: str) -> Mapping[str, Any] | None:
    """The content object of `channel` (under its name), checked."""
    data = check.object(value, channel)
    return None if data is None else content(check, channel, data, channel + ".")
