"""The fake's email endpoints: `POST /api/email/send-emails` and `.../send-template-emails`.

Each accepted email is kept in a `Store` (read them with `fake.email.sent`) and answered
HTTP 201 `{"message_id": "<24 hex digits>"}`, as the description shows. Requests are checked
as the description types them (422 with per-field messages): 1 to 50 unique addresses of at
most 50 characters, a sender, a subject of at most 998 characters, an HTML body of at most
100,000 (or a template id), a plain-text body of at most 10,000, at most 100 inline files.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from ._check import Check
from ._json import dumps
from ._reply import Reply, invalid
from ._routes import Route
from ._store import Store

__all__ = ["EmailApi", "FakeEmail"]

EMAIL_ID_BASE = 0x67FE4606277A9B4FBF8E6FBB  # the description's example id: the first email's
_ADDRESS = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\".]+")
_SENDER = re.compile(r"(?:[^<>\r\n]*<([^<>]+)>|([^<>\s]+))")


@attrs.frozen
class FakeEmail:
    """One email the fake accepted: `message_id` is what it answered; `html` is `None` for a
    template email (`template_id` and its `variables` instead); `inlines` counts the files."""

    id: int
    to: tuple[str, ...]
    sender: str
    subject: str | None
    html: str | None
    text: str | None
    template_id: int | None
    variables: Mapping[str, str]
    inlines: int
    sent_at: float

    @property
    def message_id(self) -> str:
        """The id the service answered: 24 hexadecimal digits."""
        return f"{self.id:024x}"


class EmailApi:
    """The email endpoints over one store of sent emails."""

    def __init__(self, *, now: Callable[[], float]) -> None:
        self.store: Store[
            [
                tuple[str, ...],
                str,
                str | None,
                str | None,
                str | None,
                int | None,
                Mapping[str, str],
                int,
                float,
            ],
            FakeEmail,
        ] = Store(EMAIL_ID_BASE, FakeEmail)
        self._now = now

    @property
    def sent(self) -> Sequence[FakeEmail]:
        """Every email accepted, oldest first (a live, read-only view)."""
        return self.store.records

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router`."""
        return (
            Route("POST", "email/send-emails", lambda call: self.send(call.json(), False)),
            Route("POST", "email/send-template-emails", lambda call: self.send(call.json(), True)),
        )

    def send(self, payload: Any, template: bool) -> Reply:
        """Either endpoint: validate, store, answer 201 with the message id."""
        check = Check()
        data = check.object(payload, "body")
        if data is None:
            return invalid(check.errors)
        to = _recipients(check, data.get("to"))
        sender = check.text(data.get("from"), "from", 300)
        if sender is not None and not _sender_ok(sender):
            check.add("from", "The from must be a valid email address.")
        subject = check.text(data.get("subject"), "subject", 998, required=not template)
        html = text = None
        template_id = None
        variables: dict[str, str] = {}
        if template:
            template_id = check.integer(data.get("template_id"), "template_id")
            if template_id is None and "template_id" not in check.errors:
                check.add("template_id", "The template id field is required.")
            content = data.get("template_content")
            if content is not None:
                if not isinstance(content, dict) or not all(
                    isinstance(value, str) for value in content.values()
                ):
                    check.add("template_content", "The template content must be an object.")
                else:
                    variables = dict(content)
        else:
            html = check.text(data.get("htmlbody"), "htmlbody", 100_000)
            text = check.text(data.get("body"), "body", 10_000, required=False)
        inlines = _inlines(check, data.get("inlines"))
        if check.errors:
            return invalid(check.errors)
        assert sender is not None
        email_id = self.store.add(
            tuple(to), sender, subject, html, text, template_id, variables, inlines, self._now()
        )
        return Reply(201, dumps({"message_id": f"{email_id:024x}"}))


def _sender_ok(sender: str) -> bool:
    found = _SENDER.fullmatch(sender.strip())
    address = None if found is None else (found.group(1) or found.group(2))
    return address is not None and _ADDRESS.fullmatch(address) is not None


def _recipients(check: Check, value: Any) -> list[str]:
    items = check.items(value, "to", (1, 50))
    if items is None:
        return []
    found: list[str] = []
    for index, item in enumerate(items):
        key = f"to.{index}"
        address = check.text(item, key, 50)
        if address is None:
            continue
        if not _ADDRESS.fullmatch(address):
            check.add(key, f"The {key} must be a valid email address.")
        elif address in found:
            check.add(key, f"The {key} field has a duplicate value.")
        else:
            found.append(address)
    return found


def _inlines(check: Check, value: Any) -> int:
    if value is None:
        return 0
    if not isinstance(value, list):
        check.add("inlines", "The inlines must be an array.")
        return 0
    if len(value) > 100:
        check.add("inlines", "The inlines must not have more than 100 items.")
        return 0
    for index, item in enumerate(value):
        inline = check.object(item, f"inlines.{index}")
        if inline is None:
            continue
        for name in ("name", "cid", "content_type", "content"):
            check.text(inline.get(name), f"inlines.{index}.{name}", 10_000_000)
        content = inline.get("content")
        if isinstance(content, str):
            try:
                base64.b64decode(content, validate=True)
            except (binascii.Error, ValueError):
                check.add(f"inlines.{index}.content", "The content must be base64.")
    return len(value)
