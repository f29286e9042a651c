"""What a test reads of the fake, per channel: `fake.sms`, `fake.viber` and `fake.rcs`.

Each view reads one message `Store` (and the `Fates` behind it): what was accepted, how many
times, and the status now. The lookups every channel shares live in `MessageView`; a channel's
view adds what only it has (SMS and Viber: live mappings; RCS: campaigns).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Generic, TypeVar

from ..errors import InvalidParameterError
from ._fates import RCS, Fates, MessageState
from ._legacy import Messages
from ._rcs import CAMPAIGN_STATUSES, RcsApi
from ._records import Channel, FakeCampaign, FakeMessage, FakeRcsMessage
from ._store import Store

__all__ = ["ChannelView", "MessageView", "RcsView"]

M = TypeVar("M", FakeMessage, FakeRcsMessage)


class MessageView(Generic[M]):
    """The messages of one channel: what every channel's view answers the same way."""

    _key_name = "reference"

    def __init__(self, name: str, store: Store[..., M], state: Callable[[M], MessageState]) -> None:
        self._name = name
        self._store: Store[..., M] = store
        self._state: Callable[[M], MessageState] = state

    def acceptances(self, reference: str) -> int:
        """How many times a message with this reference (RCS: `reference_id`) was accepted:
        0 or 1, unless the fake's `Rules` say `unique_references=False`."""
        return self._store.acceptances(reference)

    def get(self, message_id: int) -> M | None:
        """The message with this id, or `None`."""
        return self._store.get(message_id)

    def find(self, reference: str) -> M | None:
        """The (first) message accepted with this reference (RCS: `reference_id`), or `None`."""
        return self._store.find(reference)

    def state(self, message: M | str) -> MessageState:
        """The state of a message (or of the message with that reference) now; its
        `fallback` is the SMS fallback, once sent. Raises `KeyError` for an unknown reference."""
        return self._state(self._message(message))

    def status(self, message: M | str) -> str:
        """The status of a message (or reference) now: `"scheduled"`, `"delivered"`, ..."""
        return self.state(message).status

    def _message(self, message: M | str) -> M:
        if not isinstance(message, str):
            return message
        found = self._store.find(message)
        if found is None:
            raise KeyError(f"no {self._name} message with {self._key_name} {message!r}")
        return found

    def __len__(self) -> int:
        return len(self._store)


class ChannelView(MessageView[FakeMessage]):
    """The fake's messages of one legacy channel (`fake.sms`, `fake.viber`).

    ```python
    assert fake.viber.acceptances("ref1") == 1
    message = fake.viber.find("ref1")
    assert fake.viber.status(message) == "scheduled"
    ```
    """

    def __init__(
        self, channel: Channel, store: Messages, fates: Fates, now: Callable[[], float]
    ) -> None:
        super().__init__(channel, store, lambda message: fates.state(message, now()))
        self._channel: Channel = channel

    @property
    def channel(self) -> Channel:
        """`"sms"` or `"viber"`."""
        return self._channel

    @property
    def messages(self) -> Sequence[FakeMessage]:
        """Every accepted message of the channel, in acceptance order (a live read-only view)."""
        return self._store.records

    @property
    def accepted(self) -> Mapping[str, int]:
        """Reference -> how many times it was accepted (a live read-only view)."""
        return self._store.counts

    @property
    def by_reference(self) -> Mapping[str, FakeMessage]:
        """Reference -> the (first) message accepted with it (a live read-only view)."""
        return self._store.by_key

    def __repr__(self) -> str:
        return f"<ChannelView {self.channel}: {len(self)} messages>"


class RcsView(MessageView[FakeRcsMessage]):
    """The fake's RCS messages and campaigns (`fake.rcs`), and with them every One-API
    message and campaign: those of the SMS, Viber and any-channel campaigns, WhatsApp and the
    universal sends (`bsg.whatsapp`, `bsg.messages.send`) live in the same stores
    (`message.channel` tells them apart; `fake.acceptances(reference, "sms")` counts them with
    the legacy SMS).

    ```python
    assert fake.rcs.acceptances("order42") == 1
    message = fake.rcs.find("order42")
    fake.advance(10)
    assert fake.rcs.status(message) == "delivered"
    ```
    """

    _key_name = "reference_id"

    def __init__(self, api: RcsApi) -> None:
        super().__init__("RCS", api.messages, api.state)
        self._api = api

    @property
    def messages(self) -> tuple[FakeRcsMessage, ...]:
        """Every accepted RCS message, in acceptance (id) order (a copy)."""
        return tuple(self._store)

    @property
    def campaigns(self) -> tuple[FakeCampaign, ...]:
        """Every accepted RCS campaign, in id order (a copy)."""
        return tuple(self._api.campaigns)

    def campaign(self, campaign_id: int) -> FakeCampaign | None:
        """The campaign with this id, or `None`."""
        return self._api.campaigns.get(campaign_id)

    def campaign_messages(self, campaign: FakeCampaign | int) -> tuple[FakeRcsMessage, ...]:
        """The messages of a campaign (or of the campaign with that id), in id order.

        Raises `KeyError` for an unknown campaign id.
        """
        return tuple(self._api.campaign_messages(self._campaign(campaign)))

    def campaign_status(self, campaign: FakeCampaign | int) -> str:
        """A campaign's status now: `"scheduled"`, `"sending"`, `"done"`, `"stopped"`, ...

        Raises `KeyError` for an unknown campaign id.
        """
        return self._api.campaign_status(self._campaign(campaign))

    def set_campaign_status(self, campaign: FakeCampaign | int, status: str | None) -> None:
        """Make a campaign report `status` (one of `creation, scheduled, sending, done, paused,
        stopped, spam, moderation`) until it is stopped; `None` returns to the computed status.

        Use it to reach `paused`, `moderation` or `spam`, which the fake never reaches by
        itself. `paused` and `moderation` hold the campaign: from now on none of its messages
        moves on (is sent, or starts sending) until another status, or `None`, resumes it;
        then they go on from where they were, as late as the hold lasted (its messages
        already sent when the hold began still reach their final status, as after a stop).
        `stopped` stops it (as `PATCH .../stop`). Any other status changes only what the
        campaign endpoints report (and whether `stop` is allowed).

        ```python
        fake.rcs.set_campaign_status(campaign.id, "paused")
        fake.advance(60)                        # nothing is sent
        fake.rcs.set_campaign_status(campaign.id, None)
        fake.advance(60)                        # now it is
        ```

        Raises `KeyError` for an unknown campaign id, `InvalidParameterError` for another status.
        """
        found = self._campaign(campaign)
        if status is not None and status not in CAMPAIGN_STATUSES:
            raise InvalidParameterError(
                "status", status, "expected one of " + ", ".join(sorted(CAMPAIGN_STATUSES))
            )
        self._api.controls.force(found.id, status, self._api.now())

    def is_rcs_user(self, phone: str) -> bool:
        """Whether the fake treats this number as reachable by RCS (else: `undelivered`, and
        the SMS fallback when one was given)."""
        return self._api.fates.reaches(RCS, phone)

    def _campaign(self, campaign: FakeCampaign | int) -> FakeCampaign:
        if isinstance(campaign, FakeCampaign):
            return campaign
        found = self._api.campaigns.get(campaign)
        if found is None:
            raise KeyError(f"no RCS campaign with id {campaign!r}")
        return found

    def __repr__(self) -> str:
        return f"<RcsView: {len(self)} messages, {len(self._api.campaigns)} campaigns>"
