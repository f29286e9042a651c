"""The fake One-API's SMS, Viber and any-channel campaigns, and the SMS campaign price.

Endpoints (the OpenAPI description's), each behind a valid bearer token:

- `POST /api/campaigns/sms/send` (1 to 10,000 unique phones, numbers as integers),
  `.../sms/send-groups` (contact-list ids from the fake's `contact_lists`), both with optional
  `short_links`, and `.../sms/send-individual` (messages with their own text, sender and
  `tariff_code`);
- `POST /api/campaigns/viber/send` (1 to 5,000 unique phones, an optional SMS fallback);
- `POST /api/campaigns/send`: one campaign over `channels` (1 or 2 of `sms`, `viber`, `rcs`,
  `voice`, `telegram`; the second is the fallback), to `recipients.phones` (1 to 10,000) or
  `recipients.groups`; with `dry_run: true` it is checked and answered (`id` 0) but nothing
  is stored or sent;
- `POST /api/campaigns/price` -> `{"price", "currency"}`, without sending.

Every send answers `{"data": Campaign}`; each channel's content is checked by the fake's one
set of content rules (`_contents`). They share the RCS side's design (`RcsApi`): one
store of One-API messages (each with its submission's `channel`), one store of campaigns, the
same 422 checks, the same 429 for a `reference_id` already held (nothing is accepted), the
same timelines on the fake's clock (`Fates`, One-API statuses) and campaign controls (stop,
holds). SMS messages cost `Account.sms_price`, Viber ones `viber_price`.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, cast

import attrs

from ._check import Check
from ._contents import CHANNELS, SMS_TEXT_MAX, content
from ._fates import format_time
from ._json import dumps
from ._rcs import DUPLICATE, PRICE_QUANTUM, RcsApi
from ._records import OneApiChannel, RcsSubmission
from ._reply import Reply, invalid
from ._routes import Route

__all__ = ["CampaignApi"]

SMS_MAX_PHONES = 10_000
VIBER_MAX_PHONES = 5000
GROUPS_MAX = 1000
CALLBACK_URL_MAX = 100
VALIDITY_HOURS = (1, 72)
PHONE_NUMBERS = (100_000_000, 999_999_999_999_999)
UNBOUNDED = 10**9  # no documented limit
_TARIFF_NOT_FOUND = Reply(422, b'{"message":"Tariff was not found","errors":[]}')


@attrs.frozen
class _Options:
    """A campaign's optional fields, checked."""

    start_at: float | None
    tariff_code: int | None
    validity_hours: int
    add_to_contact_book: bool
    check_stop_list: bool
    callback_url: str | None


class CampaignApi:
    """The SMS, Viber and any-channel campaign endpoints, over the RCS side's stores."""

    def __init__(self, rcs: RcsApi) -> None:
        self.rcs = rcs

    # -- sends ---------------------------------------------------------------------------------

    def sms_send(self, payload: Any) -> Reply:
        """`POST /api/campaigns/sms/send`."""
        data = _object(payload)
        check = Check()
        phones = self._phones(check, data.get("phones"), "phones", SMS_MAX_PHONES, numbers=int)
        sms = content(check, "sms", data, "")
        options = self._options(check, data)
        if check.errors or sms is None or options is None:
            return invalid(check.errors)
        return self._open("sms", sms, None, phones, options)

    def sms_send_groups(self, payload: Any) -> Reply:
        """`POST /api/campaigns/sms/send-groups`: the contacts of the lists, each once."""
        data = _object(payload)
        check = Check()
        phones = self._groups(check, data.get("groups"), "groups", None)
        sms = content(check, "sms", data, "")
        options = self._options(check, data)
        if check.errors or sms is None or options is None:
            return invalid(check.errors)
        return self._open("sms", sms, None, phones, options)

    def sms_send_individual(self, payload: Any) -> Reply:
        """`POST /api/campaigns/sms/send-individual`: each message its own text and sender."""
        data = _object(payload)
        check = Check()
        messages: list[tuple[str, str | None, Mapping[str, Any], int | None]] = []
        seen: set[str] = set()
        for index, item in enumerate(
            check.items(data.get("messages"), "messages", (1, 10**9)) or ()
        ):
            key = f"messages.{index}"
            entry = check.object(item, key)
            if entry is None:
                continue
            number = self._integer_phone(check, entry.get("phone"), key + ".phone")
            ref = self.rcs._reference_id(check, entry.get("reference_id"), key + ".reference_id")
            sms = content(check, "sms", entry, key + ".")
            tariff_code = self._tariff_code(check, entry.get("tariff_code"), key + ".tariff_code")
            if ref is not None and ref in seen:
                check.add(key + ".reference_id", f"The {key}.reference_id has a duplicate value.")
            if ref is not None:
                seen.add(ref)
            if number is not None and sms is not None:
                messages.append((number, ref, sms, tariff_code))
        options = self._options(check, data)
        if check.errors or options is None or not messages:
            return invalid(check.errors)
        if any(ref is not None and self.rcs.held(ref) for _, ref, _, _ in messages):
            return DUPLICATE
        first = self._submission("sms", messages[0][2], None, options)
        own = [
            (
                number,
                ref,
                attrs.evolve(
                    first,
                    sender=sms["sender"],
                    options=MappingProxyType(dict(sms)),
                    tariff=first.tariff if tariff_code is None else tariff_code,
                ),
            )
            for number, ref, sms, tariff_code in messages
        ]
        return self.rcs.open_campaign(first, own)

    def viber_send(self, payload: Any) -> Reply:
        """`POST /api/campaigns/viber/send`."""
        data = _object(payload)
        check = Check()
        phones = self._phones(check, data.get("phones"), "phones", VIBER_MAX_PHONES, numbers=str)
        viber = content(check, "viber", data, "")
        fallback = self.rcs._fallback(check, data.get("alternative_channel"))
        options = self._options(check, data)
        if check.errors or viber is None or options is None:
            return invalid(check.errors)
        return self._open("viber", viber, fallback, phones, options)

    def campaign_send(self, payload: Any) -> Reply:
        """`POST /api/campaigns/send`: `channels[0]` is sent, `channels[1]` is the fallback;
        a `dry_run` is checked and answered, nothing stored."""
        data = _object(payload)
        check = Check()
        channels: list[str] = []
        for index, name in enumerate(check.items(data.get("channels"), "channels", (1, 2)) or ()):
            if name not in CHANNELS or name in channels:
                check.add(f"channels.{index}", f"The selected channels.{index} is invalid.")
            else:
                channels.append(name)
        contents: dict[str, Mapping[str, Any] | None] = {}
        for name in channels:
            value = check.object(data.get(name), name)
            if value is not None:
                contents[name] = content(check, name, value, name + ".")
        recipients = check.object(data.get("recipients"), "recipients")
        phones: list[tuple[str, str | None]] = []
        if recipients is not None:
            if (recipients.get("phones") is None) == (recipients.get("groups") is None):
                check.add("recipients", "The recipients must hold either phones or groups.")
            elif recipients.get("phones") is not None:
                phones = self._phones(
                    check, recipients["phones"], "recipients.phones", SMS_MAX_PHONES, numbers=str
                )
            else:
                phones = self._groups(check, recipients["groups"], "recipients.groups", GROUPS_MAX)
        dry_run = check.boolean(data.get("dry_run"), "dry_run")
        options = self._options(check, data)
        primary = contents.get(channels[0]) if channels else None
        if check.errors or options is None or primary is None:
            return invalid(check.errors)
        fallback = contents.get(channels[1]) if len(channels) == 2 else None
        if dry_run:
            return self._dry_run(channels[0], primary, fallback, phones, options)
        return self._open(channels[0], primary, fallback, phones, options)

    def price(self, payload: Any) -> Reply:
        """`POST /api/campaigns/price`: what an SMS campaign would cost."""
        data = _object(payload)
        check = Check()
        check.sms_sender(data.get("sender"), "sender")
        check.text(data.get("text"), "text", SMS_TEXT_MAX)
        count = 0
        messages, groups = data.get("messages"), data.get("groups")
        if messages is None and groups is None:
            check.add("messages", "The messages field is required when groups is not present.")
        if messages is not None:
            for index, item in enumerate(check.items(messages, "messages", (1, 10**9)) or ()):
                entry = check.object(item, f"messages.{index}")
                if entry is not None:
                    phone = entry.get("phone")
                    count += (
                        self._integer_phone(check, phone, f"messages.{index}.phone") is not None
                    )
        if groups is not None:
            count += len(self._groups(check, groups, "groups", None))
        tariff_code = check.integer(data.get("tariff_code"), "tariff_code")
        if check.errors:
            return invalid(check.errors)
        if tariff_code is not None and tariff_code not in self.rcs.tariff_codes:
            return _TARIFF_NOT_FOUND
        price = (self._price("sms") * count).quantize(PRICE_QUANTUM)
        return Reply(200, dumps({"price": price, "currency": self.rcs.currency}))

    # -- helpers -------------------------------------------------------------------------------

    def _dry_run(
        self,
        channel: str,
        primary: Mapping[str, Any],
        fallback: Mapping[str, Any] | None,
        phones: list[tuple[str, str | None]],
        options: _Options,
    ) -> Reply:
        """What the send would answer, with nothing stored: the 429 for a reference already
        held, else the campaign as it would be created now (`id` 0, its estimated price)."""
        if any(ref is not None and self.rcs.held(ref) for _, ref in phones):
            return DUPLICATE
        submission = self._submission(channel, primary, fallback, options, campaign_id=0)
        created = format_time(submission.accepted_at)
        answer = {
            "id": 0,
            "name": f"{channel.upper()} api campaign / {created}",
            "sender": submission.sender,
            "status": "creation",
            "message_type": submission.channel,
            "start_at": format_time(submission.start_at),
            "real_start_at": None,
            "finished_at": None,
            "created_at": created,
            "statistics": {"delivered": 0, "sent": 0},
            "calculated_price": (submission.price * len(phones)).quantize(PRICE_QUANTUM),
            "currency": submission.currency,
            "alternative_channels": None,
        }
        return Reply(200, dumps({"data": answer}))

    def _open(
        self,
        channel: OneApiChannel | str,
        content: Mapping[str, Any],
        fallback: Mapping[str, Any] | None,
        phones: list[tuple[str, str | None]],
        options: _Options,
        *,
        phones_are_lists: bool = False,
    ) -> Reply:
        if not phones_are_lists and any(
            ref is not None and self.rcs.held(ref) for _, ref in phones
        ):
            return DUPLICATE
        submission = self._submission(channel, content, fallback, options)
        return self.rcs.open_campaign(
            submission, [(number, ref, submission) for number, ref in phones]
        )

    def _submission(
        self,
        channel: OneApiChannel | str,
        content: Mapping[str, Any],
        fallback: Mapping[str, Any] | None,
        options: _Options,
        *,
        campaign_id: int | None = None,
    ) -> RcsSubmission:
        now = self.rcs.now()
        start = options.start_at
        name = cast("OneApiChannel", channel)  # one of the checked names
        return RcsSubmission(
            sender=content.get("sender") or "",
            accepted_at=now,
            start_at=now if start is None or start < now else start,
            price=self._price(name),
            currency=self.rcs.currency,
            validity_hours=options.validity_hours,
            options=MappingProxyType(dict(content)),
            fallback=None if fallback is None else MappingProxyType(dict(fallback)),
            callback_url=options.callback_url,
            tariff=options.tariff_code,
            campaign_id=self.rcs.campaigns.next_id() if campaign_id is None else campaign_id,
            add_to_contact_book=options.add_to_contact_book,
            check_stop_list=options.check_stop_list,
            channel=name,
        )

    def _price(self, channel: str) -> Decimal:
        account = self.rcs.account
        prices = {"rcs": account.rcs_price, "viber": account.viber_price}
        return prices.get(channel, account.sms_price)

    def _phones(
        self, check: Check, value: Any, key: str, most: int, *, numbers: type[int] | type[str]
    ) -> list[tuple[str, str | None]]:
        """`(number, reference_id)` of each phone: numbers sent as integers or as strings."""
        number = self._integer_phone if numbers is int else None
        return self.rcs.phones(check, value, key, most, number)

    def _groups(
        self, check: Check, value: Any, key: str, most: int | None
    ) -> list[tuple[str, str | None]]:
        """The phones of the contact lists (each number once), without references."""
        ids: list[int] = []
        for index, item in enumerate(check.items(value, key, (1, most or UNBOUNDED)) or ()):
            group = check.integer(item, f"{key}.{index}")
            if group is None:
                continue
            if self.rcs.book.contact_list(group) is None:
                check.add(f"{key}.{index}", f"The selected {key}.{index} is invalid.")
                continue
            ids.append(group)
        numbers = dict.fromkeys(
            contact.phone for group in ids for contact in self.rcs.book.members(group)
        )
        return [(number, None) for number in numbers]

    @staticmethod
    def _integer_phone(check: Check, value: Any, key: str) -> str | None:
        """A phone number sent as an integer (9 to 15 digits), as text."""
        if not check.required(value, key):
            return None
        number = check.integer(value, key, PHONE_NUMBERS)
        return None if number is None else str(number)

    def _tariff_code(self, check: Check, value: Any, key: str) -> int | None:
        """A `tariff_code`: one of the account's active tariffs."""
        tariff_code = check.integer(value, key)
        if tariff_code is not None and tariff_code not in self.rcs.tariff_codes:
            check.add(key, f"The selected {key.replace('_', ' ')} is invalid.")
        return tariff_code

    def _options(self, check: Check, data: Mapping[str, Any]) -> _Options | None:
        start_at = self.rcs._start_at(check, data.get("start_at"))
        tariff_code = self._tariff_code(check, data.get("tariff_code"), "tariff_code")
        validity = check.integer(data.get("validity"), "validity", VALIDITY_HOURS)
        contact_book = check.boolean(data.get("add_to_contact_book"), "add_to_contact_book")
        stop_list = check.boolean(data.get("check_stop_list"), "check_stop_list")
        callback_url = check.url(
            data.get("callback_url"), "callback_url", CALLBACK_URL_MAX, required=False
        )
        if check.errors:
            return None
        return _Options(
            start_at=start_at,
            tariff_code=tariff_code,
            validity_hours=72 if validity is None else validity,
            add_to_contact_book=True if contact_book is None else contact_book,
            check_stop_list=True if stop_list is None else stop_list,
            callback_url=callback_url,
        )

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router`."""
        return (
            Route("POST", "campaigns/sms/send", lambda call: self.sms_send(call.json())),
            Route(
                "POST", "campaigns/sms/send-groups", lambda call: self.sms_send_groups(call.json())
            ),
            Route(
                "POST",
                "campaigns/sms/send-individual",
                lambda call: self.sms_send_individual(call.json()),
            ),
            Route("POST", "campaigns/viber/send", lambda call: self.viber_send(call.json())),
            Route("POST", "campaigns/send", lambda call: self.campaign_send(call.json())),
            Route("POST", "campaigns/price", lambda call: self.price(call.json())),
        )


def _object(payload: Any) -> Mapping[str, Any]:
    return payload if isinstance(payload, dict) else {}
