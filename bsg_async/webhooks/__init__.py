"""Receive BSG's RCS callbacks: parse them, serve them over ASGI, and drop duplicate deliveries.

BSG POSTs one JSON status report per RCS message to the account's "Callback URL for RCS" (and,
for per-request `callback_url`s, button-click callbacks). Nothing here needs a client, an API key
or the network:

- `parse_rcs_report`, `parse_rcs_reports`, `parse_rcs_click` and `parse_rcs_callbacks` turn a
  body (`bytes`, `str` or an already decoded mapping) into frozen `RcsReport`/`RcsClick` values,
  or raise `WebhookPayloadError` naming the offending field. Nothing else escapes.
- `RcsWebhookApp` is a plain ASGI 3 application: mount it under Starlette or FastAPI, or run it
  under uvicorn as is. It answers 200 once your handler returned and 500 when it raised (so BSG
  delivers the report again).
- `RcsReport`, `RcsClick` and `RcsStatus` are re-exported here (and from `bsg_async`).
- Deliveries may repeat. `Deduplicator` with an `IdempotencyStore` (`MemoryIdempotencyStore`
  by default) runs a handler once per `(id, status)`.

The callback is not signed by BSG. `RcsWebhookApp` offers, off by default, a shared secret in
the URL (last path segment or a query parameter, compared in constant time, 404 when wrong) and
an allow-list of source networks (403 otherwise), honouring `X-Forwarded-For` only from proxies
you name.

The server in front of the app logs what the app does not: uvicorn's access log writes each
request's path and query, so a secret in the URL ends up in it. Run uvicorn with
`--no-access-log` (`uvicorn.run(..., access_log=False)`), or mask it with `RedactPathSecret`:

    logging.getLogger("uvicorn.access").addFilter(RedactPathSecret(secret))

Where things are (one job per module, all private; import from `bsg_async.webhooks`):

- `_body.py`: a body to plain JSON values within the limits (size, UTF-8, depth, JSON);
- `_parse.py`: report and click parsing, and the payloads BSG would POST;
- `_dedup.py`: the idempotency store (`idempotency_key`, `IdempotencyStore`,
  `MemoryIdempotencyStore`, `Deduplicator`);
- `_app.py`: the ASGI receiver, `RcsWebhookApp`;
- `_access_log.py`: `RedactPathSecret`, the secret out of the server's access log.

JSON itself is decoded by the SDK's one decoder (`bsg_async._json`), with the number limits the
answers of the API have too.
"""

from ..models.rcs_report import RcsClick, RcsReport, RcsStatus
from ._access_log import RedactPathSecret
from ._app import RcsWebhookApp
from ._body import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_DEPTH
from ._dedup import Deduplicator, IdempotencyStore, MemoryIdempotencyStore, idempotency_key
from ._parse import (
    RcsCallback,
    parse_rcs_callbacks,
    parse_rcs_click,
    parse_rcs_report,
    parse_rcs_reports,
    rcs_click_payload,
    rcs_report_payload,
)

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_DEPTH",
    "Deduplicator",
    "IdempotencyStore",
    "MemoryIdempotencyStore",
    "RcsCallback",
    "RcsClick",
    "RcsReport",
    "RcsStatus",
    "RcsWebhookApp",
    "RedactPathSecret",
    "idempotency_key",
    "parse_rcs_callbacks",
    "parse_rcs_click",
    "parse_rcs_report",
    "parse_rcs_reports",
    "rcs_click_payload",
    "rcs_report_payload",
]

# Names defined in the private modules report this package as their home, so reprs and
# tracebacks say `bsg_async.webhooks.RcsWebhookApp`. (The models keep theirs: attrs and cattrs
# resolve their annotations there.)
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith(__name__ + "._"):
        _obj.__module__ = __name__
del _name, _obj
