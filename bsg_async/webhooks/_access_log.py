"""Keep the webhook URL's secret out of the server's access log.

`RcsWebhookApp` never logs its secret, but the server in front of it does: uvicorn writes every
request line, path and query included, to its access log (logger `uvicorn.access`), so a
secret carried in the URL lands in the log. Either turn the access log off
(`uvicorn --no-access-log`, `uvicorn.run(..., access_log=False)`) or add `RedactPathSecret` to
the logger that writes it.
"""

from __future__ import annotations

import copy
import logging
import re
from urllib.parse import quote, unquote, unquote_plus

from .._secret import Secret
from ..errors import InvalidParameterError

__all__ = ["RedactPathSecret"]

# A path segment, a query name or value, or a word of a request line: what a secret can be.
_PIECE = re.compile(r'[^/?&=;#\s"]+')


class RedactPathSecret(logging.Filter):
    """A logging filter that masks a webhook secret wherever a log record carries it.

    Add it to the logger that writes the request lines, before or after the server configures
    logging (a configuration keeps the filters of a logger it does not replace):

        logging.getLogger("uvicorn.access").addFilter(RedactPathSecret(secret))

    uvicorn's line `"POST /bsg/rcs/s3cr3t?x=1 HTTP/1.1" 200` then reads
    `"POST /bsg/rcs/[secure]?x=1 HTTP/1.1" 200`. The secret is masked as a whole path segment,
    query name or value, or word, as sent or percent-encoded (`+` for a space in a query too);
    a longer piece that merely contains it is left alone. It rewrites the record's message and
    its string arguments (a tuple, as uvicorn logs, or a mapping, as gunicorn's and hypercorn's
    access loggers do) and keeps every record. `mask` is what replaces the secret.

    The other way is to write no access log at all: `uvicorn --no-access-log`.

    Raises `InvalidParameterError` for a secret that is not a non-empty string (the error does
    not show it).
    """

    def __init__(self, secret: str, *, mask: str = "[secure]") -> None:
        if not isinstance(secret, str) or not secret:
            raise InvalidParameterError("secret", "[secure]", "must be a non-empty string")
        if not isinstance(mask, str):
            raise InvalidParameterError("mask", mask, "must be a string")
        super().__init__()
        self._secret = Secret(secret)
        self._mask = mask
        # A secret a separator would split is replaced as a whole first, as sent and encoded.
        forms = {secret, quote(secret, safe=""), quote(secret)}
        self._whole = sorted((f for f in forms if _PIECE.sub("", f)), key=len, reverse=True)

    def __repr__(self) -> str:
        return f"RedactPathSecret(secret='[secure]', mask={self._mask!r})"

    def redact(self, text: str) -> str:
        """`text` with the secret replaced by the mask wherever it stands as a whole piece (a
        path segment, a query name or value, a word), as sent or percent-encoded.

        >>> RedactPathSecret("s3cr3t").redact('"GET /bsg/rcs/s3cr3t?secret=s3cr3t HTTP/1.1"')
        '"GET /bsg/rcs/[secure]?secret=[secure] HTTP/1.1"'
        """
        secret = self._secret.reveal()
        for whole in self._whole:
            text = text.replace(whole, self._mask)

        def mask(found: re.Match[str]) -> str:
            piece = found.group()
            if piece == secret or secret in (unquote(piece), unquote_plus(piece)):
                return self._mask
            return piece

        return _PIECE.sub(mask, text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the secret in `record`'s message and string arguments; always `True` (keep it)."""
        if isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(self.redact(a) if isinstance(a, str) else a for a in args)
        elif isinstance(args, dict):
            masked = copy.copy(args)  # the same mapping type (hypercorn's looks keys up its way)
            for key, value in args.items():
                if isinstance(value, str):
                    masked[key] = self.redact(value)
            record.args = masked
        return True
