"""The fake One-API's checks of a message's content on each channel, as the OpenAPI
description's `Sms`, `Viber`, `Rcs`, `Voice` and `Telegram` schemas say: one set for every
endpoint that carries them (the universal send, the any-channel campaign, the SMS and Viber
campaigns, whose content sits at the top of the body).

`content(check, channel, data, prefix)` checks the fields of `channel` in `data` (named
`prefix + field` in the 422, e.g. `sms.short_links.0.domain_ids.1`) and returns the content's
fields as given, or `None` when a required one is missing or bad.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._check import UUID, Check
from ._rcs import RcsApi

__all__ = ["CHANNELS", "SMS_TEXT_MAX", "content", "short_links"]

CHANNELS = ("sms", "rcs", "viber", "voice", "telegram")
LINK_MAX = 2048
_NO_LIMIT = 1_000_000  # a field the description sets no length for

# The description's limits, written here again on purpose: the fake stands for the service,
# and a fake that took its rules from the SDK's models would agree with their mistakes.
SMS_TEXT_MAX = 765
UNSUBSCRIBE_CAPTION_MAX = 50
SENDER_MAX = 40
VIBER_TEXT_MAX = 1000
VIBER_URL_MAX = 255
BUTTON_CAPTION_MAX = 20
VOICE_TEXT_MAX = 1000
VOICE_CATEGORIES = ("otp", "transactional", "marketing")
VOICES = ("ostap", "dariya", "sonya", "amala")
PLACEHOLDER_MAX = 255

Content = Mapping[str, Any]


def content(check: Check, channel: str, data: Mapping[str, Any], prefix: str) -> Content | None:
    """The content of `channel` (one of `CHANNELS`) in `data`, checked."""
    return _CHECKS[channel](check, data, prefix)


def short_links(check: Check, value: Any, key: str) -> list[Any] | None:
    """An SMS's `short_links` (optional): `ShortLink` objects of `link` (a URL),
    `placeholder` (up to 255 characters), `domain_ids` (UUIDs), `change_domain_after` (an
    integer or null) and `protocol` (a boolean)."""
    if value is None:
        return None
    items = check.items(value, key, (0, _NO_LIMIT))
    for index, item in enumerate(items or ()):
        where = f"{key}.{index}"
        link = check.object(item, where)
        if link is None:
            continue
        check.url(link.get("link"), where + ".link", LINK_MAX, required=True)
        check.text(link.get("placeholder"), where + ".placeholder", PLACEHOLDER_MAX)
        domains = check.items(link.get("domain_ids"), where + ".domain_ids", (1, _NO_LIMIT))
        for number, domain in enumerate(domains or ()):
            check.matches(domain, f"{where}.domain_ids.{number}", UUID, "must be a valid UUID")
        check.integer(link.get("change_domain_after"), where + ".change_domain_after")
        check.boolean(link.get("protocol"), where + ".protocol")
    return items


def _sms(check: Check, data: Mapping[str, Any], prefix: str) -> Content | None:
    sender = check.sms_sender(data.get("sender"), prefix + "sender")
    text = check.text(data.get("text"), prefix + "text", SMS_TEXT_MAX)
    check.text(
        data.get("unsubscribe_caption"),
        prefix + "unsubscribe_caption",
        UNSUBSCRIBE_CAPTION_MAX,
        required=False,
    )
    check.boolean(data.get("transliterate"), prefix + "transliterate")
    links = short_links(check, data.get("short_links"), prefix + "short_links")
    for index, link in enumerate(links or ()):
        placeholder = link.get("placeholder") if isinstance(link, dict) else None
        if isinstance(placeholder, str) and text is not None and placeholder not in text:
            key = f"{prefix}short_links.{index}.placeholder"
            check.add(key, f"The {key} must appear in the {prefix}text.")
    if sender is None or text is None:
        return None
    return _given(data, ("sender", "text", "unsubscribe_caption", "transliterate", "short_links"))


def _viber(check: Check, data: Mapping[str, Any], prefix: str) -> Content | None:
    sender = check.text(data.get("sender"), prefix + "sender", SENDER_MAX)
    text = check.text(data.get("text"), prefix + "text", VIBER_TEXT_MAX)
    check.url(data.get("image_url"), prefix + "image_url", VIBER_URL_MAX, required=False)
    caption = check.text(
        data.get("button_caption"), prefix + "button_caption", BUTTON_CAPTION_MAX, required=False
    )
    if caption is not None and data.get("link_url") is None:
        check.add(
            prefix + "link_url",
            f"The {prefix}link_url field is required when button caption is present.",
        )
    else:
        check.url(data.get("link_url"), prefix + "link_url", VIBER_URL_MAX, required=False)
    if sender is None or text is None:
        return None
    return _given(data, ("sender", "text", "image_url", "button_caption", "link_url"))


def _rcs(check: Check, data: Mapping[str, Any], prefix: str) -> Content | None:
    sender = check.text(data.get("sender"), prefix + "sender", SENDER_MAX)
    options = RcsApi._options(check, dict(data), prefix.rstrip(".") or "options")  # text, cards
    if sender is None or options is None:
        return None
    return _given(data, ("sender", "text", "cards"))


def _voice(check: Check, data: Mapping[str, Any], prefix: str) -> Content | None:
    category = data.get("category")
    if check.required(category, prefix + "category") and category not in VOICE_CATEGORIES:
        check.add(prefix + "category", f"The selected {prefix}category is invalid.")
    text = check.text(data.get("text"), prefix + "text", VOICE_TEXT_MAX)
    check.text(data.get("sender"), prefix + "sender", SENDER_MAX, required=False)
    voice = data.get("voice")
    if voice is not None and voice not in VOICES:
        check.add(prefix + "voice", f"The selected {prefix}voice is invalid.")
    check.text(data.get("lang"), prefix + "lang", _NO_LIMIT, required=False)
    if text is None or category not in VOICE_CATEGORIES:
        return None
    return _given(data, ("sender", "text", "category", "voice", "lang"))


def _telegram(check: Check, data: Mapping[str, Any], prefix: str) -> Content | None:
    text = check.text(data.get("text"), prefix + "text", _NO_LIMIT)
    check.text(data.get("sender"), prefix + "sender", _NO_LIMIT, required=False)
    if text is None:
        return None
    return _given(data, ("sender", "text"))


def _given(data: Mapping[str, Any], names: tuple[str, ...]) -> Content:
    return {name: data[name] for name in names if data.get(name) is not None}


_CHECKS: dict[str, Callable[[Check, Mapping[str, Any], str], Content | None]] = {
    "sms": _sms,
    "rcs": _rcs,
    "viber": _viber,
    "voice": _voice,
    "telegram": _telegram,
}
