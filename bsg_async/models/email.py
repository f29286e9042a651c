"""Email values: an inline attachment to send, and what a send answers. Pure: no I/O."""

from __future__ import annotations

import attrs

from ..errors import InvalidParameterError
from ._checks import non_blank

__all__ = ["EmailInline", "EmailReceipt"]

INLINE_NAME_MAX = 255


def _content(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview) and len(value) > 0:
        return bytes(value)
    raise InvalidParameterError("content", value, "expected non-empty bytes")


@attrs.frozen
class EmailInline:
    """A file embedded in an email's HTML body, shown where the body refers to `cid:<cid>`.

    `name` is the file's name, `cid` the content id the HTML uses (`<img src="cid:logo">`),
    `content_type` its MIME type (`"image/png"`), `content` its bytes (sent base64-encoded).

    >>> logo = EmailInline(name="logo.png", cid="logo", content_type="image/png", content=b"...")
    """

    name: str = attrs.field(validator=non_blank(INLINE_NAME_MAX))
    cid: str = attrs.field(validator=non_blank(INLINE_NAME_MAX))
    content_type: str = attrs.field(validator=non_blank(INLINE_NAME_MAX))
    content: bytes = attrs.field(converter=_content, repr=False)


@attrs.frozen
class EmailReceipt:
    """An email the service accepted: `id` is its message id (a hexadecimal string, not a
    number, so it stays a `str`)."""

    id: str
