"""The One-API side of the fake beyond the login: RCS sends, campaigns, messages, tariffs.

Its stores hold every One-API message and campaign: `_campaigns` adds the SMS, Viber and
any-channel campaigns to them (`open_campaign`), each message's submission saying its
channel.

Endpoints (bsg-api.md 8.3 to 8.5), each behind a valid bearer token:

- `POST /api/messages/rcs/send` -> `{"data": MessageInfo}`;
- `POST /api/campaigns/rcs/send` (1 to 5,000 unique phones) and `.../send-groups` (the
  contacts of contact lists of the fake's `AddressBook`) -> `{"data": Campaign}`;
- `GET /api/campaigns` (paged, 30 to 500), `GET /api/campaigns/{id}`, `.../{id}/detail`,
  `PATCH /api/campaigns/{id}/stop` (422 unless scheduled, sending, paused or moderation);
- `GET /api/messages` with `filter[reference_id|campaign_id|id|from|to]` (paged, 15 to 500);
- `GET /api/accounts/tariff` (paged, 15 to 500) -> `{"data": [...], "total": N}`.

Invalid data gets HTTP 422 `{"message": "The given data was invalid.", "errors": {field:
[texts]}}` naming every offending field the way the service does (`phone.number`,
`phones.3.reference_id`, `options.cards.0.suggestions.1.url`, ...); a `reference_id` the
account already holds gets HTTP 429 `{"message": "Too many duplicate request detected"}` and
nothing is accepted. The messages and campaigns live in `Store`s, as every record of the fake
does; statuses are not stored: `Fates` computes each message's timeline from its acceptance
(or campaign start) time, the `Lifecycle` and the seed, so they move forward on the fake's
clock by themselves.

With `check_stop_list` (the default), a number on the RCS stop list of the `AddressBook` is
not sent to: a single send is refused (HTTP 422 naming `phone.number`), and a campaign's
message to it fails at once (status `failed`, never sent).

A campaign held (`paused` or `moderation`, set with `fake.rcs.set_campaign_status`) sends
nothing while held: the part of its timeline after the hold began waits, and goes on when the
hold ends, later by the hold's length (a campaign held before its `start_at` starts at its
release, if that is later); its messages already sent reach their final status anyway, as
after a stop (`Hold`, `held`).
"""

from __future__ import annotations

import calendar
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qs

import attrs

from ._address_book import AddressBook
from ._check import Check, at_path_id, first, paging
from ._config import Account
from ._fates import (
    ONE_API_VIBER,
    RCS,
    Fates,
    Hold,
    MessageState,
    Step,
    due_steps,
    format_time,
    held,
)
from ._json import dumps
from ._records import FakeCampaign, FakeRcsMessage, OneApiChannel, RcsSubmission
from ._reply import Reply, invalid, not_found
from ._reply import page as reply_page
from ._routes import Route
from ._store import Store

__all__ = [
    "CAMPAIGN_ID_BASE",
    "CAMPAIGN_STATUSES",
    "DUPLICATE",
    "HELD_STATUSES",
    "RCS_ID_BASE",
    "CampaignControls",
    "Campaigns",
    "RcsApi",
    "RcsMessages",
    "country_of",
    "report_payload",
]

RcsMessages = Store[[str | None, str, RcsSubmission, bool], FakeRcsMessage]
"""The RCS messages, keyed by `reference_id` (field 0)."""
Campaigns = Store[[str, int, int, float, RcsSubmission, tuple[int, ...]], FakeCampaign]
"""The RCS campaigns."""

RCS_ID_BASE = 3_266_500_452  # the documentation's example id: a fake's first RCS message has it
CAMPAIGN_ID_BASE = 4_213
# The service's limits, written here again on purpose rather than imported from the SDK's
# models: the fake stands for the service, so a limit the SDK gets wrong is refused here, where
# a shared one would agree with it and no test would see the mistake.
CAMPAIGN_MAX_PHONES = 5000
GROUPS_MAX = 1000
SENDER_MAX = 40
TEXT_MAX = 160
CARDS_MAX = 10
CARD_TITLE_MAX = 200
CARD_TEXT_MAX = 1000
MEDIA_URL_MAX = 1000
SUGGESTIONS_MAX = 4
SUGGESTION_TEXT_MAX = 25
POSTBACK_MAX = 25
CALLBACK_URL_MAX = 100
SMS_TEXT_MAX = 765
VALIDITY_HOURS = (1, 72)
VALIDITY_SECONDS = (30, 86_400)
START_AT_MAX_AHEAD = 30 * 86_400
MESSAGES_PAGE = (15, 500)
TARIFFS_PAGE = (15, 500)
CAMPAIGNS_PAGE = (30, 500)
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PRICE_QUANTUM = Decimal("0.0000001")

_PHONE = re.compile(r"[0-9]{9,15}")
_REFERENCE_ID = re.compile(r"[A-Za-z0-9]{1,32}")
_COUNTRIES = (
    ("380", "UA"),
    ("375", "BY"),
    ("373", "MD"),
    ("372", "EE"),
    ("371", "LV"),
    ("370", "LT"),
    ("359", "BG"),
    ("61", "AU"),
    ("49", "DE"),
    ("48", "PL"),
    ("44", "GB"),
    ("40", "RO"),
    ("39", "IT"),
    ("34", "ES"),
    ("33", "FR"),
    ("7", "KZ"),
    ("1", "US"),
)
_STOPPABLE = frozenset({"scheduled", "sending", "paused", "moderation"})
CAMPAIGN_STATUSES = frozenset(
    {"creation", "scheduled", "sending", "done", "paused", "stopped", "spam", "moderation"}
)
# Campaign statuses that hold the campaign's messages back until another status is set.
HELD_STATUSES = frozenset({"paused", "moderation"})
_COUNTERS = (
    "delivered",
    "sent",
    "scheduled",
    "moderation",
    "accepted",
    "sending",
    "expired",
    "failed",
    "undelivered",
    "unknown",
    "read",
    "not_viber_user",
    "not_rcs_user",
)
_CHANNEL_NAMES = {"rcs": "RCS", "whatsapp": "WhatsApp"}
DUPLICATE = Reply(429, b'{"message":"Too many duplicate request detected"}')


# -- state -------------------------------------------------------------------------------------


class CampaignControls:
    """What `stop` and `set_campaign_status` did to each campaign (by id): when it was
    `stopped`, the status it is `forced` to report, and its `holds`, oldest first."""

    def __init__(self) -> None:
        self.stopped: dict[int, float] = {}
        self.forced: dict[int, str] = {}
        self.holds: dict[int, tuple[Hold, ...]] = {}

    def interruptions(self, campaign_id: int | None) -> tuple[float | None, tuple[Hold, ...]]:
        """When the campaign `campaign_id` (`None`: a single send, never) was stopped, and
        its holds, oldest first."""
        if campaign_id is None:
            return None, ()
        return self.stopped.get(campaign_id), self.holds.get(campaign_id, ())

    def force(self, campaign_id: int, status: str | None, now: float) -> None:
        """Make a campaign report `status` (`None`: its own status again) from `now` on.

        `paused` and `moderation` hold the campaign (see `held`) until another status (or
        `None`) releases it; `stopped` stops it.
        """
        if status == "stopped":
            self.stop(campaign_id, now)
        elif status in HELD_STATUSES:
            self._hold(campaign_id, now)
        else:
            self._release(campaign_id, now)
        if status is None:
            self.forced.pop(campaign_id, None)
        else:
            self.forced[campaign_id] = status

    def stop(self, campaign_id: int, now: float) -> None:
        """Stop a campaign at `now` (the first stop counts): its messages not sent yet never
        will be (a hold in progress is not ended: nothing it held back is sent)."""
        self.stopped.setdefault(campaign_id, now)
        self.forced.pop(campaign_id, None)

    def _hold(self, campaign_id: int, now: float) -> None:
        """Start holding the campaign at `now`, unless it is held already."""
        holds = self.holds.get(campaign_id, ())
        if not holds or holds[-1].end is not None:
            self.holds[campaign_id] = (*holds, Hold(now))

    def _release(self, campaign_id: int, now: float) -> None:
        """End the campaign's hold in progress, if any, at `now`."""
        holds = self.holds.get(campaign_id, ())
        if holds and holds[-1].end is None:
            self.holds[campaign_id] = (*holds[:-1], Hold(holds[-1].start, now))

    def clear(self) -> None:
        """Forget every stop, forced status and hold."""
        self.stopped.clear()
        self.forced.clear()
        self.holds.clear()


def report_payload(message: FakeRcsMessage, step: Step) -> dict[str, Any]:
    """The RCS status report BSG POSTs for `message` reaching `step` (bsg-api.md 7.1): ids as
    strings, times `yyyy-mm-dd hh:mm:ss` (empty until known), price with 7 decimals."""
    return {
        "error": 0,
        "errorDescription": "No errors",
        "id": str(message.id),
        "msisdn": message.to,
        "reference": message.reference,
        "time_in": format_time(message.accepted_at),
        "time_sent": format_time(step.time_sent),
        "time_dr": format_time(step.time_dr),
        "status": step.status,
        "price": _price_text(message.price),
        "currency": message.currency,
    }


# -- the endpoints -----------------------------------------------------------------------------


@attrs.frozen
class _CampaignNow:
    """What the campaign answers report of a campaign now: its messages by status, when it
    really started and finished (`None`: not yet), and its SMS fallbacks' statistics."""

    counts: Counter[str]
    real_start: str | None
    finished: str | None
    channels: dict[str, Any] | None


@attrs.frozen
class _Common:
    """The validated fields every RCS send shares."""

    sender: str
    options: Mapping[str, Any]
    fallback: Mapping[str, Any] | None
    tariff_code: int | None
    validity_hours: int
    validity_seconds: int | None
    add_to_contact_book: bool
    check_stop_list: bool
    channel: OneApiChannel = "rcs"


CommonOf = Callable[[Check, Mapping[str, Any]], _Common | None]
"""How a channel checks the fields of a send beyond its phones (`RcsApi._common`, ...)."""


class RcsApi:
    """The RCS, campaign, message-search and tariff endpoints over their stores.

    `messages` holds the RCS messages (keyed by `reference_id`), `campaigns` the campaigns;
    `controls` what was done to campaigns; `live` maps the position of every message whose
    status may still change to how many steps of its timeline were already reported (see
    `due_steps`).
    """

    def __init__(
        self,
        account: Account,
        *,
        messages: RcsMessages,
        campaigns: Campaigns,
        fates: Fates,
        now: Callable[[], float],
        book: AddressBook | None = None,
    ) -> None:
        self.messages = messages
        self.campaigns = campaigns
        self.controls = CampaignControls()
        self.live: dict[int, int] = {}
        self.spent = Decimal(0)  # the price of every message accepted
        self.fates = fates
        self.now = now
        self.account = account
        self.price = account.rcs_price
        self.currency = account.currency
        self.tariffs = account.tariffs
        self.book = book if book is not None else AddressBook(account.contact_lists, now)
        self._codes = frozenset(t.code for t in self.tariffs if t.is_active and t.code is not None)

    @property
    def tariff_codes(self) -> frozenset[int]:
        """The codes of the account's active tariffs (what `tariff_code` may be)."""
        return self._codes

    # -- sends ---------------------------------------------------------------------------------

    def send(self, payload: Any) -> Reply:
        """`POST /api/messages/rcs/send`: one message, no campaign."""
        return self.send_single(payload, self._common, rcs=True)

    def send_campaign(self, payload: Any) -> Reply:
        """`POST /api/campaigns/rcs/send`: 1 to 5,000 unique phones."""
        return self.send_to_phones(payload, self._common)

    def send_single(self, payload: Any, common_of: CommonOf, *, rcs: bool = False) -> Reply:
        """A single send of a One-API channel (no campaign): its `phone` and `callback_url`,
        and the channel's own fields as `common_of` checks them. An `rcs` send to a number on
        the RCS stop list is refused, unless `check_stop_list` is false."""
        data = payload if isinstance(payload, dict) else {}
        check = Check()
        number, reference_id = self.single_phone(check, data.get("phone"))
        callback_url = check.url(
            data.get("callback_url"), "callback_url", CALLBACK_URL_MAX, required=False
        )
        common = common_of(check, data)
        if check.errors or common is None or number is None:
            return invalid(check.errors)
        if rcs and common.check_stop_list and self.book.is_stopped(number, "rcs"):
            return invalid({"phone.number": ["The phone.number is in the RCS stop list."]})
        return self.accept_single(reference_id, number, common, callback_url)

    def send_to_phones(self, payload: Any, common_of: CommonOf) -> Reply:
        """A campaign of a One-API channel to 1 to 5,000 unique `phones` (from `start_at`),
        with the channel's own fields as `common_of` checks them."""
        data = payload if isinstance(payload, dict) else {}
        check = Check()
        recipients = self.campaign_phones(check, data.get("phones"))
        start_at = self._start_at(check, data.get("start_at"))
        common = common_of(check, data)
        if check.errors or common is None:
            return invalid(check.errors)
        return self.accept_campaign(common, recipients, start_at)

    def single_phone(self, check: Check, value: Any) -> tuple[str | None, str | None]:
        """A single send's `phone`: `{number, reference_id}`, as `(number, reference_id)`
        (`None` where missing or invalid)."""
        phone = check.object(value, "phone")
        if phone is None:
            return None, None
        number = self._number(check, phone.get("number"), "phone.number")
        reference_id = self._reference_id(check, phone.get("reference_id"), "phone.reference_id")
        return number, reference_id

    def campaign_phones(self, check: Check, value: Any) -> list[tuple[str, str | None]]:
        """A campaign's `phones`: 1 to 5,000 `{number, reference_id}`, numbers and references
        unique; `(number, reference_id)` of each valid one."""
        return self.phones(check, value, "phones", CAMPAIGN_MAX_PHONES)

    def accept_single(
        self, reference_id: str | None, number: str, common: _Common, callback_url: str | None
    ) -> Reply:
        """Accept one message of any One-API channel (no campaign) validated by its area:
        `{"data": MessageInfo}`, or the 429 for a `reference_id` already held."""
        if reference_id is not None and self.held(reference_id):
            return DUPLICATE
        now = self.now()
        submission = self._submission(common, now, now, callback_url=callback_url)
        message = self._accept(reference_id, number, submission)
        return Reply(200, dumps({"data": self.message_info(message)}))

    def accept_campaign(
        self, common: _Common, recipients: list[tuple[str, str | None]], start_at: float | None
    ) -> Reply:
        """Accept a campaign of any One-API channel validated by its area: `{"data":
        Campaign}`, or the 429 when one of its references is already held."""
        if any(ref is not None and self.held(ref) for _, ref in recipients):
            return DUPLICATE
        return self._campaign(common, recipients, start_at, contact_lists=())

    def phones(
        self,
        check: Check,
        value: Any,
        key: str,
        most: int,
        number: Callable[[Check, Any, str], str | None] | None = None,
    ) -> list[tuple[str, str | None]]:
        """`(number, reference_id)` of each of 1 to `most` phones (`{"number",
        "reference_id"}` objects), numbers and references unique; `number` checks a number
        (default: a string of 9 to 15 digits)."""
        read_number = self._number if number is None else number
        recipients: list[tuple[str, str | None]] = []
        seen_numbers: set[str] = set()
        seen_references: set[str] = set()
        for index, entry in enumerate(check.items(value, key, (1, most)) or ()):
            item = f"{key}.{index}"
            if not isinstance(entry, dict):
                check.add(item, f"The {item} must be an object.")
                continue
            phone = read_number(check, entry.get("number"), item + ".number")
            reference_id = self._reference_id(
                check, entry.get("reference_id"), item + ".reference_id"
            )
            if phone is not None and phone in seen_numbers:
                check.add(item + ".number", f"The {item}.number field has a duplicate value.")
            if reference_id is not None and reference_id in seen_references:
                check.add(
                    item + ".reference_id", f"The {item}.reference_id field has a duplicate value."
                )
            if phone is not None:
                seen_numbers.add(phone)
                if reference_id is not None:
                    seen_references.add(reference_id)
                recipients.append((phone, reference_id))
        return recipients

    def send_groups(self, payload: Any) -> Reply:
        """`POST /api/campaigns/rcs/send-groups`: the contacts of 1 to 1,000 contact lists."""
        data = payload if isinstance(payload, dict) else {}
        check = Check()
        ids: list[int] = []
        groups = check.items(data.get("groups"), "groups", (1, GROUPS_MAX))
        for index, value in enumerate(groups or ()):
            key = f"groups.{index}"
            group = check.integer(value, key)
            if group is None:
                continue
            if self.book.contact_list(group) is None:
                check.add(key, f"The selected {key} is invalid.")
                continue
            ids.append(group)
        start_at = self._start_at(check, data.get("start_at"))
        common = self._common(check, data)
        if check.errors or common is None:
            return invalid(check.errors)
        numbers = list(
            dict.fromkeys(contact.phone for group in ids for contact in self.book.members(group))
        )
        recipients: list[tuple[str, str | None]] = [(number, None) for number in numbers]
        return self._campaign(common, recipients, start_at, contact_lists=tuple(dict.fromkeys(ids)))

    def _campaign(
        self,
        common: _Common,
        recipients: list[tuple[str, str | None]],
        start_at: float | None,
        *,
        contact_lists: tuple[int, ...],
    ) -> Reply:
        now = self.now()
        start = now if start_at is None or start_at < now else start_at
        campaign_id = self.campaigns.next_id()
        submission = self._submission(common, now, start, campaign_id=campaign_id)
        return self.open_campaign(
            submission, [(number, ref, submission) for number, ref in recipients], contact_lists
        )

    def open_campaign(
        self,
        submission: RcsSubmission,
        messages: Sequence[tuple[str, str | None, RcsSubmission]],
        contact_lists: tuple[int, ...] = (),
    ) -> Reply:
        """Accept a campaign of any One-API channel: store `messages` (`(phone, reference_id,
        submission)`: each message's own, or the campaign's `submission`) and the campaign
        (under `campaigns.next_id()`, which `submission.campaign_id` holds); answer its
        `Campaign` JSON with its `calculated_price`."""
        first_id = self.messages.next_id()
        finishes = submission.start_at
        price = Decimal(0)
        for number, reference_id, own in messages:
            message = self._accept(reference_id, number, own)
            finishes = max(finishes, self.fates.final_at(message))
            price += own.price
        accepted = format_time(submission.accepted_at)
        if submission.channel == "rcs":
            name = f"RCS campaign {accepted[:10]}"
        else:
            name = f"{submission.channel.upper()} api campaign / {accepted}"
        self.campaigns.add(name, first_id, len(messages), finishes, submission, contact_lists)
        campaign = self.campaigns.at(-1)
        answer = self.campaign_json(campaign)
        answer["calculated_price"] = price.quantize(PRICE_QUANTUM)
        return Reply(200, dumps({"data": answer}))

    def held(self, reference_id: str) -> bool:
        """Whether a One-API message with this `reference_id` was accepted already."""
        return self.messages.taken(reference_id)

    def _accept(
        self, reference_id: str | None, phone: str, submission: RcsSubmission
    ) -> FakeRcsMessage:
        stopped = (
            submission.check_stop_list
            and submission.channel in ("sms", "viber", "rcs")
            and self.book.is_stopped(phone, submission.channel)
        )
        self.messages.add(reference_id, phone, submission, stopped)
        self.spent += submission.price
        if submission.channel == "rcs":
            self.live[len(self.messages) - 1] = 0
        return self.messages.at(-1)

    def campaign_messages(self, campaign: FakeCampaign) -> Sequence[FakeRcsMessage]:
        """The messages of `campaign`, in id order."""
        return self.messages.slice(campaign.first_id, campaign.count)

    def steps(self, message: FakeRcsMessage) -> tuple[Step, ...]:
        """The whole timeline of `message`, its campaign's stop and holds included."""
        return self.fates.steps(message, *self.controls.interruptions(message.campaign_id))

    def due_reports(self) -> list[tuple[FakeRcsMessage, Step]]:
        """The status changes reached since they were last collected, oldest first."""
        return due_steps(self.messages, self.live, self.steps, self.now())

    def clear(self) -> None:
        """Forget every message and campaign (with what was done to it)."""
        self.messages.clear()
        self.campaigns.clear()
        self.controls.clear()
        self.live.clear()
        self.spent = Decimal(0)

    def _submission(
        self,
        common: _Common,
        now: float,
        start: float,
        *,
        callback_url: str | None = None,
        campaign_id: int | None = None,
    ) -> RcsSubmission:
        return RcsSubmission(
            sender=common.sender,
            accepted_at=now,
            start_at=start,
            price=self.price,
            currency=self.currency,
            validity_hours=common.validity_hours,
            validity_seconds=common.validity_seconds,
            options=common.options,
            fallback=common.fallback,
            callback_url=callback_url,
            tariff=common.tariff_code,
            campaign_id=campaign_id,
            add_to_contact_book=common.add_to_contact_book,
            check_stop_list=common.check_stop_list,
            channel=common.channel,
        )

    # -- validation ----------------------------------------------------------------------------

    @staticmethod
    def _number(check: Check, value: Any, key: str) -> str | None:
        if not check.required(value, key):
            return None
        return check.matches(value, key, _PHONE, "must be 9 to 15 digits")

    @staticmethod
    def _reference_id(check: Check, value: Any, key: str) -> str | None:
        if value is None:
            return None
        return check.matches(value, key, _REFERENCE_ID, "must be 1 to 32 letters and digits")

    def _start_at(self, check: Check, value: Any) -> float | None:
        if value is None:
            return None
        moment = _parse_time(value)
        if moment is None:
            check.add("start_at", f"The start at does not match the format {_PHP_FORMAT}.")
            return None
        latest = self.now() + START_AT_MAX_AHEAD
        if moment > latest:
            check.add(
                "start_at",
                f"The start at must be a date before or equal to {format_time(latest)}.",
            )
            return None
        return moment

    def _common(self, check: Check, data: Mapping[str, Any]) -> _Common | None:
        sender = check.text(data.get("sender"), "sender", SENDER_MAX)
        options = self._options(check, data.get("options"))
        fallback = self._fallback(check, data.get("alternative_channel"))
        tariff_code = check.integer(data.get("tariff_code"), "tariff_code")
        if tariff_code is not None and tariff_code not in self._codes:
            check.add("tariff_code", "The selected tariff code is invalid.")
        hours, seconds = _validity(check, data, "")
        contact_book = check.boolean(data.get("add_to_contact_book"), "add_to_contact_book")
        stop_list = check.boolean(data.get("check_stop_list"), "check_stop_list")
        if sender is None or options is None or check.errors:
            return None
        if hours is None:
            hours = 72 if seconds is None else max(1, math.ceil(seconds / 3600))
        return _Common(
            sender=sender,
            options=MappingProxyType(dict(options)),
            fallback=None if fallback is None else MappingProxyType(dict(fallback)),
            tariff_code=tariff_code,
            validity_hours=hours,
            validity_seconds=seconds,
            add_to_contact_book=True if contact_book is None else contact_book,
            check_stop_list=True if stop_list is None else stop_list,
        )

    @staticmethod
    def _options(check: Check, value: Any, key: str = "options") -> Mapping[str, Any] | None:
        options = check.object(value, key)
        if options is None:
            return None
        text, cards = options.get("text"), options.get("cards")
        if text is not None and cards is not None:
            check.add(key, f"The {key} must hold either text or cards, not both.")
            return None
        if text is None and cards is None:
            check.add(key + ".text", f"The {key}.text field is required when cards is absent.")
            return None
        if text is not None:
            return options if check.text(text, key + ".text", TEXT_MAX) is not None else None
        items = check.items(cards, key + ".cards", (1, CARDS_MAX))
        for index, card in enumerate(items or ()):
            _card(check, card, f"{key}.cards.{index}")
        return options

    @staticmethod
    def _fallback(check: Check, value: Any) -> Mapping[str, Any] | None:
        channel = check.object(value, "alternative_channel", required=False)
        if channel is None:
            return None
        sms = check.object(channel.get("sms"), "alternative_channel.sms")
        if sms is None:
            return None
        prefix = "alternative_channel.sms."
        check.text(sms.get("text"), prefix + "text", SMS_TEXT_MAX)
        check.sms_sender(sms.get("sender"), prefix + "sender")
        _validity(check, sms, prefix)
        check.boolean(sms.get("check_stop_list"), prefix + "check_stop_list")
        return sms

    # -- reads ---------------------------------------------------------------------------------

    def state(self, message: FakeRcsMessage, now: float | None = None) -> MessageState:
        """The state of `message` at `now` (default: the fake's clock now)."""
        stopped, holds = self.controls.interruptions(message.campaign_id)
        return self.fates.state(message, self.now() if now is None else now, stopped, holds)

    def message_info(self, message: FakeRcsMessage) -> dict[str, Any]:
        """The `MessageInfo` JSON of `message` now."""
        state = self.state(message)
        delivered = state.time_dr if state.status in ("delivered", "read") else None
        return {
            "id": message.id,
            "reference_id": message.reference,
            "source": "rest",
            "type": message.channel,
            "phone": int(message.to),
            "status": state.status,
            "validity": message.submission.validity_hours,
            "amount": {"value": _price_text(message.price), "currency": message.currency},
            "sender": message.sender,
            "created_at": format_time(message.accepted_at),
            "sent_at": _time_or_none(state.time_sent),
            "delivered_at": _time_or_none(delivered),
        }

    def search_item(self, message: FakeRcsMessage) -> dict[str, Any]:
        """The message-search JSON of `message` now."""
        item = self.message_info(message)
        state = self.state(message)
        item["campaign_id"] = message.campaign_id
        item["country"] = country_of(message.to)
        item["parts"] = 1
        channels = None
        if state.fallback_id is not None:
            channels = {"sms": {"id": [state.fallback_id], "parts": 1}}
        item["alternative_channels"] = channels
        return item

    def campaign_status(self, campaign: FakeCampaign) -> str:
        """The campaign's status now."""
        if campaign.id in self.controls.stopped:
            return "stopped"
        forced = self.controls.forced.get(campaign.id)
        if forced is not None:
            return forced
        now = self.now()
        if now < self._after_holds(campaign, campaign.submission.start_at):
            return "scheduled"
        return "done" if now >= self._after_holds(campaign, campaign.finishes_at) else "sending"

    def _after_holds(self, campaign: FakeCampaign, moment: float) -> float:
        """`moment` of the campaign's timeline, delayed by its holds (see `held`)."""
        holds = self.controls.holds.get(campaign.id)
        if not holds:
            return moment
        submission = campaign.submission
        return held(moment, submission.start_at, self.fates.sent_at(submission.start_at), holds)

    def campaign_counts(self, campaign: FakeCampaign) -> tuple[Counter[str], Counter[str]]:
        """The campaign's messages by status now, and its SMS fallbacks by status."""
        now = self.now()
        stopped, holds = self.controls.interruptions(campaign.id)
        counts: Counter[str] = Counter()
        fallbacks: Counter[str] = Counter()
        for message in self.campaign_messages(campaign):
            state = self.fates.state(message, now, stopped, holds)
            counts[state.status] += 1
            if state.fallback is not None:
                fallbacks[state.fallback.status] += 1
        return counts, fallbacks

    def _times(self, campaign: FakeCampaign) -> tuple[str | None, str | None]:
        """`real_start_at` and `finished_at` now (`None`: not yet)."""
        now = self.now()
        start = self._after_holds(campaign, campaign.submission.start_at)
        stopped = self.controls.stopped.get(campaign.id)
        started = start if start <= now and (stopped is None or start <= stopped) else None
        if stopped is not None:
            finished: float | None = stopped
        else:
            finishes = self._after_holds(campaign, campaign.finishes_at)
            finished = finishes if finishes <= now else None
        return _time_or_none(started), _time_or_none(finished)

    def _now_of(self, campaign: FakeCampaign) -> _CampaignNow:
        """What both campaign answers report of `campaign` now."""
        counts, fallbacks = self.campaign_counts(campaign)
        real_start, finished = self._times(campaign)
        channels = None
        if campaign.submission.fallback is not None:
            channels = {"sms": {"statistics": _summary(fallbacks)}}
        return _CampaignNow(counts, real_start, finished, channels)

    def campaign_json(self, campaign: FakeCampaign) -> dict[str, Any]:
        """The `Campaign` JSON of `campaign` now (`calculated_price` null: given on a send)."""
        now = self._now_of(campaign)
        submission = campaign.submission
        return {
            "id": campaign.id,
            "name": campaign.name,
            "sender": submission.sender,
            "status": self.campaign_status(campaign),
            "message_type": submission.channel,
            "start_at": format_time(submission.start_at),
            "real_start_at": now.real_start,
            "finished_at": now.finished,
            "created_at": format_time(submission.accepted_at),
            "statistics": _summary(now.counts),
            "calculated_price": None,
            "currency": submission.currency,
            "alternative_channels": now.channels,
        }

    def detail_json(self, campaign: FakeCampaign) -> dict[str, Any]:
        """The campaign-detail JSON (spelled as that endpoint spells it), counters per status."""
        now = self._now_of(campaign)
        submission = campaign.submission
        statistics = {name: now.counts.get(name, 0) for name in _COUNTERS}
        if submission.channel in ("rcs", "viber"):
            route = RCS if submission.channel == "rcs" else ONE_API_VIBER
            statistics[f"not_{submission.channel}_user"] = sum(
                1
                for message in self.campaign_messages(campaign)
                if not self.fates.reaches(route, message.to)
            )
        return {
            "id": campaign.id,
            "name": campaign.name,
            "sender": submission.sender,
            "status": self.campaign_status(campaign),
            "type": submission.channel,
            "started_at": format_time(submission.start_at),
            "actual_start_at": now.real_start,
            "finished_at": now.finished,
            "created_at": format_time(submission.accepted_at),
            "statistics": statistics,
            "alternative_channels": now.channels,
            "total_messages": campaign.count,
            "total_phones": campaign.count,
            "total_price": sum(
                (m.price for m in self.campaign_messages(campaign)), Decimal(0)
            ).quantize(PRICE_QUANTUM),
            "currency": submission.currency,
        }

    def _find_campaign(self, raw_id: str) -> FakeCampaign | None:
        return at_path_id(raw_id, self.campaigns.get)

    def campaign(self, raw_id: str) -> Reply:
        """`GET /api/campaigns/{id}`."""
        campaign = self._find_campaign(raw_id)
        if campaign is None:
            return not_found("Campaign not found.")
        return Reply(200, dumps({"data": self.campaign_json(campaign)}))

    def detail(self, raw_id: str) -> Reply:
        """`GET /api/campaigns/{id}/detail`."""
        campaign = self._find_campaign(raw_id)
        if campaign is None:
            return not_found("Campaign not found.")
        return Reply(200, dumps({"data": self.detail_json(campaign)}))

    def stop(self, raw_id: str) -> Reply:
        """`PATCH /api/campaigns/{id}/stop`: only from scheduled, sending, paused, moderation."""
        campaign = self._find_campaign(raw_id)
        if campaign is None:
            return not_found("Campaign not found.")
        status = self.campaign_status(campaign)
        if status not in _STOPPABLE:
            return invalid(
                {
                    "status": [
                        f"A {status} campaign cannot be stopped: only a scheduled, sending, "
                        "paused or moderation campaign can."
                    ]
                },
                message="The campaign cannot be stopped.",
            )
        self.controls.stop(campaign.id, self.now())
        return Reply(200, dumps({"data": self.campaign_json(campaign)}))

    def campaign_list(self, query: str) -> Reply:
        """`GET /api/campaigns`: paged (30 to 500), optionally by creation time."""
        params = parse_qs(query, keep_blank_values=True)
        check = Check()
        offset, limit = paging(check, params, CAMPAIGNS_PAGE)
        since, until = _time_filters(check, params)
        if check.errors:
            return invalid(check.errors)
        found = self.campaigns.page(
            offset, limit, where=lambda c: since <= c.submission.accepted_at <= until
        )
        page = [self.campaign_json(c) for c in found.items]
        return reply_page(page, found.total, limit, offset)

    def message_search(self, query: str) -> Reply:
        """`GET /api/messages`: the search, paged (15 to 500), every filter given applies."""
        params = parse_qs(query, keep_blank_values=True)
        check = Check()
        offset, limit = paging(check, params, MESSAGES_PAGE)
        since, until = _time_filters(check, params)
        reference_id = first(params, "filter[reference_id]")
        if reference_id is not None:
            check.matches(
                reference_id,
                "filter.reference_id",
                _REFERENCE_ID,
                "must be 1 to 32 letters and digits",
            )
        campaign_id = check.integer(first(params, "filter[campaign_id]"), "filter.campaign_id")
        message_id = check.integer(first(params, "filter[id]"), "filter.id")
        if check.errors:
            return invalid(check.errors)
        found = self.messages.page(
            offset,
            limit,
            among=self._candidates(reference_id, campaign_id, message_id),
            where=lambda message: (
                (reference_id is None or message.reference == reference_id)
                and (campaign_id is None or message.campaign_id == campaign_id)
                and (message_id is None or message.id == message_id)
                and since <= message.accepted_at <= until
            ),
        )
        page = [self.search_item(m) for m in found.items]
        return reply_page(page, found.total, limit, offset)

    def _candidates(
        self, reference_id: str | None, campaign_id: int | None, message_id: int | None
    ) -> Sequence[FakeRcsMessage] | None:
        """The messages the filters may match, found fast (`None`: all of them)."""
        if message_id is not None:
            message = self.messages.get(message_id)
            return [] if message is None else [message]
        if reference_id is not None:
            return self.messages.with_key(reference_id)
        if campaign_id is not None:
            campaign = self.campaigns.get(campaign_id)
            return [] if campaign is None else self.campaign_messages(campaign)
        return None

    def tariff_list(self, query: str) -> Reply:
        """`GET /api/accounts/tariff`: paged (15 to 500), `{"data", "total"}` without `meta`."""
        check = Check()
        offset, limit = paging(check, parse_qs(query, keep_blank_values=True), TARIFFS_PAGE)
        if check.errors:
            return invalid(check.errors)
        page = [
            {
                "id": tariff.id,
                "name": tariff.name,
                "code": tariff.code,
                "is_active": tariff.is_active,
                "is_default": tariff.is_default,
            }
            for tariff in self.tariffs[offset : offset + limit]
        ]
        return Reply(200, dumps({"data": page, "total": len(self.tariffs)}))

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router`."""
        return (
            Route("GET", "accounts/tariff", lambda call: self.tariff_list(call.query)),
            Route("POST", "messages/rcs/send", lambda call: self.send(call.json())),
            Route("POST", "campaigns/rcs/send", lambda call: self.send_campaign(call.json())),
            Route("POST", "campaigns/rcs/send-groups", lambda call: self.send_groups(call.json())),
            Route("GET", "campaigns", lambda call: self.campaign_list(call.query)),
            Route("GET", "messages", lambda call: self.message_search(call.query)),
            Route("GET", "campaigns/{id}", lambda call: self.campaign(call.params["id"])),
            Route("GET", "campaigns/{id}/detail", lambda call: self.detail(call.params["id"])),
            Route("PATCH", "campaigns/{id}/stop", lambda call: self.stop(call.params["id"])),
        )


# -- helpers -----------------------------------------------------------------------------------

_PHP_FORMAT = "Y-m-d H:i:s"


def _card(check: Check, value: Any, key: str) -> None:
    card = check.object(value, key)
    if card is None:
        return
    media = check.object(card.get("media"), key + ".media", required=False)
    if media is not None:
        check.url(media.get("url"), key + ".media.url", MEDIA_URL_MAX, required=True)
    check.text(card.get("title"), key + ".title", CARD_TITLE_MAX, required=False)
    check.text(card.get("text"), key + ".text", CARD_TEXT_MAX, required=media is None)
    suggestions = card.get("suggestions")
    if suggestions is None:
        return
    for index, item in enumerate(
        check.items(suggestions, key + ".suggestions", (0, SUGGESTIONS_MAX)) or ()
    ):
        _suggestion(check, item, f"{key}.suggestions.{index}")


def _suggestion(check: Check, value: Any, key: str) -> None:
    suggestion = check.object(value, key)
    if suggestion is None:
        return
    check.text(suggestion.get("text"), key + ".text", SUGGESTION_TEXT_MAX)
    check.text(
        suggestion.get("postback_data"), key + ".postback_data", POSTBACK_MAX, required=False
    )
    kind = suggestion.get("type")
    if kind == "link":
        check.url(suggestion.get("url"), key + ".url", MEDIA_URL_MAX, required=True)
    elif kind == "call":
        phone = suggestion.get("phone")
        if check.required(phone, key + ".phone"):
            check.matches(phone, key + ".phone", _PHONE, "must be 9 to 15 digits")
    elif check.required(kind, key + ".type"):
        check.add(key + ".type", f"The selected {key}.type is invalid.")


def _validity(check: Check, data: Mapping[str, Any], prefix: str) -> tuple[int | None, int | None]:
    hours_value, seconds_value = data.get("validity"), data.get("validity_seconds")
    if hours_value is not None and seconds_value is not None:
        check.add(
            prefix + "validity",
            f"The {prefix}validity field prohibits {prefix}validity_seconds from being present.",
        )
        return None, None
    hours = check.integer(hours_value, prefix + "validity", VALIDITY_HOURS)
    seconds = check.integer(seconds_value, prefix + "validity_seconds", VALIDITY_SECONDS)
    return hours, seconds


def _time_filters(check: Check, params: Mapping[str, list[str]]) -> tuple[float, float]:
    bounds = []
    for name, default in (("from", -math.inf), ("to", math.inf)):
        raw = first(params, f"filter[{name}]")
        moment = None if raw is None else _parse_time(raw)
        if raw is not None and moment is None:
            check.add(
                f"filter.{name}", f"The filter.{name} does not match the format {_PHP_FORMAT}."
            )
        bounds.append(default if moment is None else moment)
    return bounds[0], bounds[1]


def _parse_time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return float(calendar.timegm(time.strptime(value, TIME_FORMAT)))
    except ValueError:
        return None


def _time_or_none(moment: float | None) -> str | None:
    return None if moment is None else format_time(moment)


def _price_text(price: Decimal) -> str:
    return format(price.quantize(PRICE_QUANTUM), "f")


def country_of(phone: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a phone's country, for the prefixes the fake knows."""
    return next((code for prefix, code in _COUNTRIES if phone.startswith(prefix)), None)


def _summary(counts: Counter[str]) -> dict[str, int]:
    """`{"delivered", "sent"}`: delivered counts the read messages too."""
    return {"delivered": counts["delivered"] + counts["read"], "sent": counts["sent"]}
