"""The fake One-API's universal send: one message over a chain of one or two channels.

`POST /api/messages/send` -> `{"data": MessageInfo}`, its `type` the first channel. The body
is checked as the OpenAPI description's `MessageUniversal` says: `channels` holds 1 or 2 of
`sms`, `rcs`, `viber`, `voice`, `telegram`, each with its content object (`sms: {sender,
text}`, `rcs: {sender, text | cards}`, `viber: {sender, text, ...}`, `voice: {category, text,
...}`, `telegram: {text}`); a 422 names every offending field (`rcs.cards.0.text`,
`voice.category`, ...). The message joins the One-API's message store (the RCS area's): the
message search finds it, a `reference_id` already held gets the 429, its status moves on the
fake's clock (the second channel's content is its fallback) and it costs what an RCS message
does (`Account.rcs_price`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, cast

from ._check import Check
from ._rcs import CALLBACK_URL_MAX, SENDER_MAX, SMS_TEXT_MAX, RcsApi, _Common, _validity
from ._records import OneApiChannel
from ._reply import Reply, invalid
from ._routes import Route

__all__ = ["UniversalApi"]

CHANNELS = ("sms", "rcs", "viber", "voice", "telegram")
CHAIN_MAX = 2
UNSUBSCRIBE_CAPTION_MAX = 50
VIBER_TEXT_MAX = 1000
VIBER_URL_MAX = 255
VIBER_CAPTION_MAX = 20
VOICE_TEXT_MAX = 1000
VOICE_CATEGORIES = ("otp", "transactional", "marketing")
VOICES = ("ostap", "dariya", "sonya", "amala")
_NO_LIMIT = 1_000_000  # a field the description sets no length for


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
        contents = [_CONTENT[channel](check, data.get(channel), channel) for channel in chain]
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
        return self.rcs.accept_single(reference_id, number, common, callback_url)

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


def _sms(check: Check, value: Any, key: str) -> Mapping[str, Any] | None:
    content = check.object(value, key)
    if content is None:
        return None
    check.sms_sender(content.get("sender"), key + ".sender")
    check.text(content.get("text"), key + ".text", SMS_TEXT_MAX)
    check.text(
        content.get("unsubscribe_caption"),
        key + ".unsubscribe_caption",
        UNSUBSCRIBE_CAPTION_MAX,
        required=False,
    )
    check.boolean(content.get("transliterate"), key + ".transliterate")
    return content


def _rcs(check: Check, value: Any, key: str) -> Mapping[str, Any] | None:
    content = check.object(value, key)
    if content is None:
        return None
    check.text(content.get("sender"), key + ".sender", SENDER_MAX)
    RcsApi._options(check, content, key)
    return content


def _viber(check: Check, value: Any, key: str) -> Mapping[str, Any] | None:
    content = check.object(value, key)
    if content is None:
        return None
    check.text(content.get("sender"), key + ".sender", SENDER_MAX)
    check.text(content.get("text"), key + ".text", VIBER_TEXT_MAX)
    check.url(content.get("image_url"), key + ".image_url", VIBER_URL_MAX, required=False)
    caption = check.text(
        content.get("button_caption"), key + ".button_caption", VIBER_CAPTION_MAX, required=False
    )
    check.url(
        content.get("link_url"), key + ".link_url", VIBER_URL_MAX, required=caption is not None
    )
    return content


def _voice(check: Check, value: Any, key: str) -> Mapping[str, Any] | None:
    content = check.object(value, key)
    if content is None:
        return None
    category = content.get("category")
    if check.required(category, key + ".category") and category not in VOICE_CATEGORIES:
        check.add(key + ".category", f"The selected {key}.category is invalid.")
    check.text(content.get("text"), key + ".text", VOICE_TEXT_MAX)
    check.text(content.get("sender"), key + ".sender", SENDER_MAX, required=False)
    voice = content.get("voice")
    if voice is not None and voice not in VOICES:
        check.add(key + ".voice", f"The selected {key}.voice is invalid.")
    check.text(content.get("lang"), key + ".lang", _NO_LIMIT, required=False)
    return content


def _telegram(check: Check, value: Any, key: str) -> Mapping[str, Any] | None:
    content = check.object(value, key)
    if content is None:
        return None
    check.text(content.get("text"), key + ".text", _NO_LIMIT)
    check.text(content.get("sender"), key + ".sender", _NO_LIMIT, required=False)
    return content


_CONTENT: dict[str, Callable[[Check, Any, str], Mapping[str, Any] | None]] = {
    "sms": _sms,
    "rcs": _rcs,
    "viber": _viber,
    "voice": _voice,
    "telegram": _telegram,
}
