"""WhatsApp template messages: what to send (`WhatsAppTemplate` and its parts). Pure: no I/O.

WhatsApp business messages are pre-approved templates: the message names a template, its
language, and the values filled into its components (header, body, buttons). The values check
the OpenAPI description's rules when they are built, so bad input raises
`InvalidParameterError` naming the field before any network traffic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from .. import _validation as rules
from ..errors import InvalidParameterError
from ._checks import non_blank, one_of, optional
from .common import SmsFallback
from .one_api import _as_tuple

__all__ = [
    "WHATSAPP_LANGUAGES",
    "WhatsAppComponent",
    "WhatsAppParameter",
    "WhatsAppTemplate",
]

WHATSAPP_LANGUAGES = (
    *("af", "sq", "ar", "az", "bn", "bg", "ca", "zh_CN", "zh_HK", "zh_TW", "hr", "cs"),
    *("da", "nl", "en", "en_GB", "en_US", "et", "fil", "fi", "fr", "ka", "de", "el"),
    *("gu", "ha", "he", "hi", "hu", "id", "ga", "it", "ja", "kn", "kk", "rw_RW", "ko"),
    *("ky_KG", "lo", "lv", "lt", "mk", "ms", "ml", "mr", "nb", "fa", "pl", "pt_BR"),
    *("pt_PT", "pa", "ro", "ru", "sr", "sk", "sl", "es", "es_AR", "es_ES", "es_MX", "sw"),
    *("sv", "ta", "te", "th", "tr", "uk", "ur", "uz", "vi", "zu"),
)
"""The template language codes the service accepts (`template.language.code`)."""

COMPONENT_TYPES = ("header", "body", "button")
COMPONENT_SUB_TYPES = ("quick_reply", "url", "catalog")
INDEX_MAX = 999_999_999  # the wire's `index` is a string of at most 9 characters


def _items(kind: type[Any], field: str) -> Any:
    def validate(_instance: Any, _attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, tuple):
            raise InvalidParameterError(field, value, f"expected a list of {kind.__name__}")
        rules.items(value, field, kind=kind)

    return validate


@attrs.frozen
class WhatsAppParameter:
    """One value filled into a template component: a `text` (a placeholder's value), **or** a
    `payload` (what a quick-reply button sends back). Exactly one must be given.

    >>> WhatsAppParameter(text="Olena")
    WhatsAppParameter(text='Olena', payload=None)

    Raises `InvalidParameterError` naming the field.
    """

    text: str | None = attrs.field(default=None, validator=optional(non_blank()))
    payload: str | None = attrs.field(default=None, validator=optional(non_blank()))

    def __attrs_post_init__(self) -> None:
        if (self.text is None) == (self.payload is None):
            raise InvalidParameterError("text", self.text, "give either text or payload")

    @property
    def type(self) -> Literal["text", "payload"]:
        """`"text"` or `"payload"`: which of the two it holds (the wire's `type`)."""
        return "text" if self.text is not None else "payload"


@attrs.frozen
class WhatsAppComponent:
    """The values of one component of a template.

    - `type`: `"header"`, `"body"` or `"button"`.
    - `parameters`: the `WhatsAppParameter`s, in the template's placeholder order.
    - `sub_type` (buttons): `"quick_reply"`, `"url"` or `"catalog"`.
    - `index` (buttons): the button's position, 0 to 999,999,999 (sent as a string).

    >>> body = WhatsAppComponent("body", [WhatsAppParameter(text="Olena")])

    Raises `InvalidParameterError` naming the field.
    """

    type: str = attrs.field(validator=one_of(COMPONENT_TYPES))
    parameters: tuple[WhatsAppParameter, ...] = attrs.field(
        default=(), converter=_as_tuple, validator=_items(WhatsAppParameter, "parameters")
    )
    sub_type: str | None = attrs.field(
        default=None, validator=optional(one_of(COMPONENT_SUB_TYPES))
    )
    index: int | None = attrs.field(default=None)

    @index.validator
    def _check_index(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is not None:
            rules.integer(value, attribute.name, (0, INDEX_MAX))


@attrs.frozen
class WhatsAppTemplate:
    """A WhatsApp message: an approved template's `name`, its `language` (a code of
    `WHATSAPP_LANGUAGES`, such as `"en"` or `"pt_BR"`) and the values of its `components`.

    ```python
    template = WhatsAppTemplate(
        "order_shipped",
        "en",
        [WhatsAppComponent("body", [WhatsAppParameter(text="Olena")])],
    )
    ```

    Raises `InvalidParameterError` naming the field.
    """

    name: str = attrs.field(validator=non_blank())
    language: str = attrs.field(validator=one_of(WHATSAPP_LANGUAGES))
    components: tuple[WhatsAppComponent, ...] = attrs.field(
        default=(), converter=_as_tuple, validator=_items(WhatsAppComponent, "components")
    )


@attrs.frozen
class WhatsAppContent:
    """What every WhatsApp send shares, validated: made by `bsg.whatsapp`, written by the
    codec. `fallback_validity` is the validity field of the `sms_fallback` to send (or
    nothing). Internal: not exported."""

    sender: str
    template: WhatsAppTemplate
    sms_fallback: SmsFallback | None = None
    fallback_validity: Mapping[str, int] = attrs.field(factory=dict)
    add_to_contact_book: bool | None = None
    check_stop_list: bool | None = None
