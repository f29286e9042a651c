"""The arguments One-API sends share, checked into the values the codec writes.

`target(to, contact_lists, ...)`: exactly one of phones (each with its `reference_id` fixed
before the first attempt) and contact-list ids. `options(...)`: the campaign's optional fields
(`start_at` on the service's clock, `tariff`, validity in whole hours, ...). `phone`,
`reference` and `callback` (for `callback_url`): the One-API's rule for one argument,
for campaigns and the one-message sends (`bsg.rcs.send`, `bsg.whatsapp.send`,
`bsg.messages.send`) alike. Each rule is the one in `_validation`; this module only says which
rule each argument takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING

from . import _validation as rules
from .errors import InvalidParameterError
from .models import Recipient, SmsFallback
from .models.campaigns import CampaignOptions, CampaignTarget
from .models.one_api import SMS_FALLBACK_TEXT_MAX

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = [
    "callback",
    "contact_book_options",
    "options",
    "phone",
    "phones",
    "recipient_fields",
    "reference",
    "sms_fallback",
    "start",
    "target",
]

VALIDITY_HOURS = rules.ONE_API_VALIDITY_HOURS
CALLBACK_URL_MAX = 100


def target(
    to: object,
    contact_lists: object,
    *,
    max_phones: int,
    max_lists: int | None = None,
) -> CampaignTarget:
    """Exactly one of `to` (1 to `max_phones` unique phones) and `contact_lists` (1 to
    `max_lists` ids). Raises `InvalidParameterError` naming the argument."""
    if (to is None) == (contact_lists is None):
        raise InvalidParameterError("to", to, "give exactly one of to (phones) and contact_lists")
    if contact_lists is not None:
        return CampaignTarget(contact_lists=tuple(_list_ids(contact_lists, max_lists)))
    return CampaignTarget(phones=tuple(phones(to, max_phones=max_phones)))


def phones(to: object, *, max_phones: int, field: str = "to") -> list[tuple[str, str]]:
    """`(number, reference_id)` for each phone of `to`: 1 to `max_phones`, numbers and
    references unique, each reference the caller's or generated now."""
    if isinstance(to, str | Recipient):
        to = [to]
    if not isinstance(to, Iterable):
        raise InvalidParameterError(field, to, "expected a list of phone numbers")
    fixed: list[tuple[str, str]] = []
    for index, item in enumerate(to):
        if len(fixed) == max_phones:
            raise InvalidParameterError(
                field,
                f"more than {max_phones} phones",
                f"at most {max_phones} phones per campaign; split the list (or send_campaign_many)",
            )
        fixed.append(recipient_fields(item, f"{field}[{index}]"))
    if not fixed:
        raise InvalidParameterError(field, [], "needs at least one phone")
    rules.unique_phones((number for number, _ in fixed), field)
    rules.unique_references((ref for _, ref in fixed), f"{field}.reference")
    return fixed


def recipient_fields(item: object, field: str) -> tuple[str, str]:
    """A phone number string or `Recipient` as the One-API's `(number, reference_id)`: 9 to 15
    digits, a reference of 1 to 32 letters and digits (generated when the item has none)."""
    if isinstance(item, Recipient):
        number, ref = item.to, item.reference
    elif isinstance(item, str):
        number, ref = item, None
    else:
        raise InvalidParameterError(field, item, "expected a phone number string or a Recipient")
    return phone(number, field), reference(ref, f"{field}.reference")


def sms_fallback(value: object) -> tuple[SmsFallback | None, dict[str, int]]:
    """An `SmsFallback` checked by the One-API's rules (text up to 765 characters, an SMS
    sender), with its validity as the field to send (see `rules.one_api_validity`)."""
    if value is None:
        return None, {}
    if not isinstance(value, SmsFallback):
        raise InvalidParameterError("sms_fallback", value, "expected an SmsFallback")
    rules.text(value.text, "sms_fallback.text", max_length=SMS_FALLBACK_TEXT_MAX)
    rules.sender(value.sender, "sms_fallback.sender", sms=True)
    return value, rules.one_api_validity(value.validity, "sms_fallback.validity")


def phone(value: object, field: str) -> str:
    """A One-API phone number: 9 to 15 digits (a leading `+` is stripped)."""
    return rules.msisdn(value, field, min_digits=rules.ONE_API_PHONE_MIN_DIGITS)


def reference(value: object, field: str) -> str:
    """A One-API reference (`reference_id`): 1 to 32 letters and digits, generated when
    `None` (before the first attempt)."""
    return rules.new_reference() if value is None else rules.reference(value, field, one_api=True)


def callback(value: object) -> str | None:
    """`None`, or a status callback's http(s) URL of at most 100 characters."""
    url = rules.optional_http_url(value, "callback_url")
    if url is not None and len(url) > CALLBACK_URL_MAX:
        raise InvalidParameterError(
            "callback_url", url, f"must be at most {CALLBACK_URL_MAX} characters"
        )
    return url


def _list_ids(value: object, max_lists: int | None) -> list[int]:
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise InvalidParameterError("contact_lists", value, "expected a list of contact-list ids")
    ids: list[int] = []
    for index, item in enumerate(value):
        if max_lists is not None and len(ids) == max_lists:
            raise InvalidParameterError(
                "contact_lists", f"more than {max_lists} lists", f"at most {max_lists} lists"
            )
        ids.append(rules.message_id(item, f"contact_lists[{index}]"))
    if not ids:
        raise InvalidParameterError("contact_lists", [], "needs at least one contact-list id")
    rules.unique_references((str(i) for i in ids), "contact_lists")
    return ids


def options(
    client: AsyncBSG,
    *,
    start_at: object = None,
    tariff: object = None,
    validity: object = None,
    add_to_contact_book: object = None,
    check_stop_list: object = None,
    transliterate: object = None,
    callback_url: object = None,
) -> CampaignOptions:
    """The campaign's optional fields checked: `start_at` at most 30 days ahead (naive on the
    service's clock, or aware with the client's `timezone`), `validity` a `timedelta` of whole
    hours from 1 to 72, `tariff` a tariff code, `callback_url` http(s) up to 100 characters."""
    return CampaignOptions(
        start_at=start(client, start_at),
        tariff=rules.optional_integer(tariff, "tariff", rules.ONE_API_TARIFFS),
        validity=rules.optional_duration(validity, "validity", VALIDITY_HOURS, "hours"),
        add_to_contact_book=rules.optional_boolean(add_to_contact_book, "add_to_contact_book"),
        check_stop_list=rules.optional_boolean(check_stop_list, "check_stop_list"),
        transliterate=rules.optional_boolean(transliterate, "transliterate"),
        callback_url=callback(callback_url),
    )


def contact_book_options(
    client: AsyncBSG,
    start_at: object,
    tariff: object,
    validity: object,
    add_to_contact_book: object,
    check_stop_list: object,
) -> CampaignOptions:
    """`options` of a campaign that takes `add_to_contact_book` and `check_stop_list` (a Viber
    or an any-channel campaign): the keywords its send methods share, checked."""
    return options(
        client,
        start_at=start_at,
        tariff=tariff,
        validity=validity,
        add_to_contact_book=add_to_contact_book,
        check_stop_list=check_stop_list,
    )


def start(client: AsyncBSG, value: object) -> str | None:
    """A campaign's `start_at` (`None`: at once), at most 30 days ahead: a naive `datetime`
    on the service's clock, or an aware one converted to the client's `timezone`."""
    if value is None:
        return None
    zone = client._wire.zone
    now = datetime.now(zone).replace(tzinfo=None) if zone is not None else datetime.now()
    return rules.start_at_time(value, zone, now)
