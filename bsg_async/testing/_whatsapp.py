"""The fake One-API's WhatsApp endpoints: template messages, single and as a campaign.

- `POST /api/messages/whatsapp/send` -> `{"data": MessageInfo}` (`type` `whatsapp`);
- `POST /api/campaigns/whatsapp/send` (1 to 5,000 unique phones) -> `{"data": Campaign}`.

The bodies are checked as the OpenAPI description's `WhatsAppMessage` and
`SendWhatsAppCampaign` schemas say (422 naming every offending field: `template.language.code`,
`template.components.0.parameters.1.type`, ...). The messages join the One-API's message store
(the RCS area's): the message search finds them, a `reference_id` already held gets the 429,
their statuses move on the fake's clock, and they cost what an RCS message does
(`Account.rcs_price`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..models.whatsapp import COMPONENT_SUB_TYPES, COMPONENT_TYPES, WHATSAPP_LANGUAGES
from ._check import Check
from ._rcs import SENDER_MAX, RcsApi, _Common
from ._reply import Reply
from ._routes import Route

__all__ = ["WhatsAppApi", "check_template"]

INDEX_MAX_LENGTH = 9
NAME_MAX = 1_000_000  # the description sets no limit
PARAMETER_TYPES = ("text", "payload")


class WhatsAppApi:
    """The WhatsApp endpoints, over the One-API message store of `rcs`."""

    def __init__(self, rcs: RcsApi) -> None:
        self.rcs = rcs

    def send(self, payload: Any) -> Reply:
        """`POST /api/messages/whatsapp/send`: one template message, no campaign."""
        return self.rcs.send_single(payload, self._common)

    def send_campaign(self, payload: Any) -> Reply:
        """`POST /api/campaigns/whatsapp/send`: 1 to 5,000 unique phones."""
        return self.rcs.send_to_phones(payload, self._common)

    def _common(self, check: Check, data: Mapping[str, Any]) -> _Common | None:
        sender = check.text(data.get("sender"), "sender", SENDER_MAX)
        kind = data.get("type")
        if check.required(kind, "type") and kind != "template":
            check.add("type", "The selected type is invalid.")
        template = check_template(check, data.get("template"), "template")
        fallback = RcsApi._fallback(check, data.get("alternative_channel"))
        contact_book = check.boolean(data.get("add_to_contact_book"), "add_to_contact_book")
        stop_list = check.boolean(data.get("check_stop_list"), "check_stop_list")
        if sender is None or template is None or check.errors:
            return None
        return _Common(
            sender=sender,
            options=MappingProxyType({"template": template}),
            fallback=None if fallback is None else MappingProxyType(dict(fallback)),
            tariff_code=None,
            validity_hours=72,
            validity_seconds=None,
            add_to_contact_book=True if contact_book is None else contact_book,
            check_stop_list=True if stop_list is None else stop_list,
            channel="whatsapp",
        )

    def routes(self) -> tuple[Route, ...]:
        """This area's operations, for the fake's `Router`."""
        return (
            Route("POST", "messages/whatsapp/send", lambda call: self.send(call.json())),
            Route("POST", "campaigns/whatsapp/send", lambda call: self.send_campaign(call.json())),
        )


def check_template(check: Check, value: Any, key: str) -> Mapping[str, Any] | None:
    """A WhatsApp `template` (required for the only type, `template`): a `name`, a
    `language.code` of the documented list, and `components`, each with a `type`, an optional
    `sub_type` and `index`, and `parameters` of type `text` or `payload`."""
    template = check.object(value, key)
    if template is None:
        return None
    check.text(template.get("name"), key + ".name", NAME_MAX)
    language = check.object(template.get("language"), key + ".language")
    if language is not None:
        code = language.get("code")
        if check.required(code, key + ".language.code") and code not in WHATSAPP_LANGUAGES:
            check.add(key + ".language.code", f"The selected {key}.language.code is invalid.")
    components = template.get("components")
    if not check.required(components, key + ".components"):
        return None
    if not isinstance(components, list):
        check.add(key + ".components", f"The {key}.components must be an array.")
        return None
    for index, component in enumerate(components):
        _component(check, component, f"{key}.components.{index}")
    return template


def _component(check: Check, value: Any, key: str) -> None:
    component = check.object(value, key)
    if component is None:
        return
    _one_of(check, component.get("type"), key + ".type", COMPONENT_TYPES, required=True)
    _one_of(check, component.get("sub_type"), key + ".sub_type", COMPONENT_SUB_TYPES)
    check.text(component.get("index"), key + ".index", INDEX_MAX_LENGTH, required=False)
    parameters = component.get("parameters")
    if parameters is None:
        return
    if not isinstance(parameters, list):
        check.add(key + ".parameters", f"The {key}.parameters must be an array.")
        return
    for index, item in enumerate(parameters):
        name = f"{key}.parameters.{index}"
        parameter = check.object(item, name)
        if parameter is None:
            continue
        _one_of(check, parameter.get("type"), name + ".type", PARAMETER_TYPES, required=True)
        for field in ("text", "payload"):
            field_value = parameter.get(field)
            if field_value is not None and not isinstance(field_value, str):
                check.add(f"{name}.{field}", f"The {name}.{field} must be a string.")


def _one_of(
    check: Check, value: Any, key: str, allowed: tuple[str, ...], *, required: bool = False
) -> None:
    if value is None and not required:
        return
    if check.required(value, key) and value not in allowed:
        check.add(key, f"The selected {key} is invalid.")
