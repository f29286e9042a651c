"""`bsg.email`: send email through the One-API (`/api/email/send-emails` and
`/api/email/send-template-emails`).

An email request carries no reference the service could refuse a second time, so it is
retried only when it surely did not reach the service; after a `TransportError` or
`ServerError` with `may_have_been_accepted`, the email may have gone out: do not resend it
blindly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from . import _validation as rules
from ._one_api_sending import post_unreferenced
from .errors import InvalidParameterError
from .models.email import EmailInline, EmailReceipt

if TYPE_CHECKING:
    from .client import AsyncBSG

__all__ = ["EmailResource"]

SEND_PATH = "/api/email/send-emails"
TEMPLATE_PATH = "/api/email/send-template-emails"
RECIPIENTS_MAX = 50
ADDRESS_MAX = 50
SUBJECT_MAX = 998
HTML_MAX = 100_000
TEXT_MAX = 10_000
INLINES_MAX = 100
VARIABLE_MAX = 10_000


class EmailResource:
    """Email on the One-API, as `bsg.email`.

    `to` is one address or up to 50 unique addresses (each at most 50 characters); `sender`
    an address or `"Name <address>"` (sent as `from`); `inlines` up to 100 `EmailInline`
    files the HTML refers to as `cid:<cid>`.
    """

    def __init__(self, client: AsyncBSG) -> None:
        self._client = client

    async def send(
        self,
        *,
        to: str | Iterable[str],
        sender: str,
        subject: str,
        html: str,
        text: str | None = None,
        inlines: Iterable[EmailInline] = (),
    ) -> EmailReceipt:
        """Send one email and return its `EmailReceipt`.

        `html` is the body (1 to 100,000 characters, sent as `htmlbody`), `text` an optional
        plain-text body for clients without HTML (up to 10,000, sent as `body`), `subject` 1 to
        998 characters.

        ```python
        receipt = await bsg.email.send(to="ann@example.com", sender="Shop <news@shop.example>",
                                       subject="Your order", html="<p>Shipped!</p>")
        ```

        Raises `InvalidParameterError` before sending for a bad value; an `APIError` when the
        service refuses; `TransportError` without an answer (see the module docstring).
        """
        payload = self._client._wire.email(
            to=_addresses(to),
            sender=rules.email_sender(sender),
            subject=rules.text(subject, "subject", max_length=SUBJECT_MAX),
            html=rules.text(html, "html", max_length=HTML_MAX),
            text=rules.optional_text(text, "text", max_length=TEXT_MAX),
            inlines=_inlines(inlines),
        )
        return await post_unreferenced(self._client, SEND_PATH, payload, EmailReceipt)

    async def send_template(
        self,
        *,
        to: str | Iterable[str],
        sender: str,
        template_id: int,
        subject: str | None = None,
        variables: Mapping[str, str] | None = None,
        inlines: Iterable[EmailInline] = (),
    ) -> EmailReceipt:
        """Send one email made from the account's template `template_id`, filling its
        `variables` (names to text, sent as `template_content`); return its `EmailReceipt`.

        ```python
        await bsg.email.send_template(to=["ann@example.com"], sender="news@shop.example",
                                      template_id=19, variables={"name": "Ann"})
        ```

        Raises like `send`.
        """
        payload = self._client._wire.email(
            to=_addresses(to),
            sender=rules.email_sender(sender),
            subject=rules.optional_text(subject, "subject", max_length=SUBJECT_MAX),
            template_id=rules.message_id(template_id, "template_id"),
            variables=_variables(variables),
            inlines=_inlines(inlines),
        )
        return await post_unreferenced(self._client, TEMPLATE_PATH, payload, EmailReceipt)


def _addresses(to: object) -> list[str]:
    items = [to] if isinstance(to, str) else rules.items(to, "to", (1, RECIPIENTS_MAX), "addresses")
    addresses = [
        rules.email(item, f"to[{index}]", max_length=ADDRESS_MAX)
        for index, item in enumerate(items)
    ]
    seen: set[str] = set()
    for index, address in enumerate(addresses):
        if address.lower() in seen:
            raise InvalidParameterError(f"to[{index}]", address, "appears twice")
        seen.add(address.lower())
    return addresses


def _inlines(inlines: object) -> list[EmailInline]:
    return rules.items(inlines, "inlines", (0, INLINES_MAX), "inline files", kind=EmailInline)


def _variables(variables: object) -> dict[str, str] | None:
    if variables is None:
        return None
    if not isinstance(variables, Mapping):
        raise InvalidParameterError("variables", variables, "expected a mapping of names to text")
    for name, value in variables.items():
        rules.text(name, "variables")
        if not isinstance(value, str) or len(value) > VARIABLE_MAX:
            raise InvalidParameterError(
                f"variables[{name!r}]", value, f"expected text of at most {VARIABLE_MAX} characters"
            )
    return dict(variables)
