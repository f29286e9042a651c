"""Every exception bsg_async raises, in one tree.

```
BSGError
├── InvalidParameterError (also ValueError)      bad input, raised before any network traffic
├── ClientStateError (also RuntimeError)         the client is not open, already open, or closed
├── WaitTimeoutError (also TimeoutError)         a bounded wait for the service ran out of time
├── TransportError                               the request did not get an HTTP answer
│   └── RequestTimeoutError                      ... because a timeout expired
├── UnexpectedResponseError                      an answer the SDK cannot decode
├── WebhookPayloadError (also ValueError)        a webhook body the SDK cannot decode
├── BatchSendError                               `BatchReport.raise_for_failures()`: some failed
└── APIError                                     the service answered with an error code
    ├── AuthenticationError                      1, HTTP 401/403: bad key or expired token
    ├── AccountError                             2, 3: account blocked or misconfigured
    ├── InsufficientFundsError                   8: not enough funds
    ├── NotFoundError                            20, 30, 40, HTTP 404
    ├── DuplicateReferenceError                  23, 43: the reference was already accepted
    ├── RateLimitError                           11, HTTP 429: retry later
    ├── ServerError                              5, HTTP 5xx
    ├── SenderNotAllowedError                    32, 45
    ├── UndeliverableDestinationError            33: no route to that network
    ├── FeatureNotEnabledError                   4, 34, 35: function, OTP or 2WAY not available
    ├── InvalidRequestError                      6, 7, 9, 10, 12, 21, 22, 24-29, 36, 41, 44,
    │   │                                        46-49, other HTTP 4xx
    │   └── DuplicateRecipientError              31, 51: the same phone twice in one request
    └── OtpError                                 a one-time-password session refused the call
        ├── OtpWrongCodeError                    HTTP 404: the code does not match
        ├── OtpExpiredError                      HTTP 422: the session expired
        ├── OtpExhaustedError                    HTTP 422: no tries left (the session failed)
        └── OtpCanceledError                     HTTP 422: the session was canceled
```

Every error has `may_have_been_accepted`: `True` when a send failed in a way that leaves open
whether the service accepted the message (a timeout after the request was written, a reset
connection, a 5xx). Resending such a message with the *same reference* is safe: the service
refuses a reference it already accepted (codes 23 and 43), and the SDK resolves that refusal.

No error message ever contains the API key or a token.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from http import HTTPStatus
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "APIError",
    "AccountError",
    "AuthenticationError",
    "BSGError",
    "BatchSendError",
    "ClientStateError",
    "DuplicateRecipientError",
    "DuplicateReferenceError",
    "FeatureNotEnabledError",
    "InsufficientFundsError",
    "InvalidParameterError",
    "InvalidRequestError",
    "NotFoundError",
    "OtpCanceledError",
    "OtpError",
    "OtpExhaustedError",
    "OtpExpiredError",
    "OtpWrongCodeError",
    "RateLimitError",
    "RequestTimeoutError",
    "SenderNotAllowedError",
    "ServerError",
    "TransportError",
    "UndeliverableDestinationError",
    "UnexpectedResponseError",
    "WaitTimeoutError",
    "WebhookPayloadError",
]


class BSGError(Exception):
    """The root of every error bsg_async raises.

    `may_have_been_accepted` is `True` only for a failed send whose fate is unknown: the service
    may hold the message. See the module docstring.

    An error is complete when it is made: every field is set by its constructor, once, and
    `str(error)` shows what it holds. Assigning to a field afterwards raises `AttributeError`;
    `fate_unknown(error)` derives a copy for a send whose fate turned out to be unknown.
    """

    may_have_been_accepted: bool

    def __init__(self, message: str, *, may_have_been_accepted: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.may_have_been_accepted = may_have_been_accepted

    def __setattr__(self, name: str, value: Any) -> None:
        # Python's own attributes (`__cause__`, `__traceback__`, `__notes__`, ...) are not in
        # `__dict__` or are set once by the interpreter; the error's fields are set once.
        if name in self.__dict__:
            raise AttributeError(
                f"{type(self).__name__}.{name} is set when the error is made and never changed"
            )
        super().__setattr__(name, value)

    def __str__(self) -> str:
        return self.message


E = TypeVar("E", bound=BSGError)


def fate_unknown(error: E) -> E:
    """A copy of `error` saying the service may hold the message (`may_have_been_accepted`).

    For a send whose error was made before its fate turned unknown (a reconciliation that
    could not finish); `error` itself is left as it is. The copy has the same type, fields and
    message, and no traceback or cause of its own yet.
    """
    if error.may_have_been_accepted:
        return error
    copy = type(error).__new__(type(error), *error.args)
    fields = dict(error.__dict__)
    fields["may_have_been_accepted"] = True
    copy.__dict__.update(fields)
    return copy


class InvalidParameterError(BSGError, ValueError):
    """An argument broke a documented rule; raised before any byte goes to the network.

    `field` names the offending parameter (the SDK's keyword, such as `to` for the wire's
    `msisdn`) and `value` holds what was given.
    """

    def __init__(self, field: str, value: object, reason: str) -> None:
        shown = _short_repr(value)
        super().__init__(f"invalid {field}={shown}: {reason}")
        self.field = field
        self.value = value
        self.reason = reason


class ClientStateError(BSGError, RuntimeError):
    """The client was used outside `async with AsyncBSG(...)`, entered twice, or after close."""


class WaitTimeoutError(BSGError, TimeoutError):
    """A bounded wait ran out of time before the service was ready (a statistics job still
    being prepared). `waited` is the `timedelta` waited; nothing was lost: wait again, or read
    the result later with the same key."""

    def __init__(self, message: str, *, waited: timedelta) -> None:
        super().__init__(message)
        self.waited = waited


class TransportError(BSGError):
    """No HTTP answer arrived: connection refused or reset, protocol error.

    The original httpx exception is kept as `__cause__`.
    """


class RequestTimeoutError(TransportError):
    """A connect, write, read or pool timeout expired."""


class UnexpectedResponseError(BSGError):
    """The service answered, but not with something the SDK can decode.

    `http_status` is the HTTP status, `body` the start of the answer (at most 500 characters,
    with credentials masked) and `field` the JSON path that could not be decoded, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        body: str | None = None,
        field: str | None = None,
        may_have_been_accepted: bool = False,
    ) -> None:
        super().__init__(message, may_have_been_accepted=may_have_been_accepted)
        self.http_status = http_status
        self.body = body
        self.field = field


class WebhookPayloadError(BSGError, ValueError):
    """A webhook body that is not a valid BSG report; `field` names the offending part."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class BatchSendError(BSGError):
    """Raised by `BatchReport.raise_for_failures()`; `failures` holds the `Failed` outcomes."""

    def __init__(self, failures: Sequence[Any], *, total: int) -> None:
        first = f"; first: {failures[0].error}" if failures else ""
        super().__init__(
            f"{len(failures)} of {total} recipients failed{first}",
            may_have_been_accepted=any(f.may_have_been_accepted for f in failures),
        )
        self.failures = tuple(failures)
        self.total = total


class _APIErrorFields(TypedDict, total=False):
    """The keywords every `APIError` takes, whatever its subclass adds (`retry_after`,
    `errors`): the subclasses pass them on unchanged."""

    code: int | None
    http_status: int | None
    field: str | None
    may_have_been_accepted: bool


class APIError(BSGError):
    """The service answered with an error.

    `code` is the BSG error code (`None` when only the HTTP status told), `description` the
    service's text, `http_status` the HTTP status of the answer (`None` for a per-recipient
    error inside a successful answer) and `field` the request field the code is about, if any.
    """

    def __init__(
        self,
        description: str,
        *,
        code: int | None = None,
        http_status: int | None = None,
        field: str | None = None,
        may_have_been_accepted: bool = False,
    ) -> None:
        where = f"code {code}" if code is not None else f"HTTP {http_status}"
        super().__init__(
            f"{description} ({where}){self._details()}",
            may_have_been_accepted=may_have_been_accepted,
        )
        self.description = description
        self.code = code
        self.http_status = http_status
        self.field = field

    def _details(self) -> str:
        """What a subclass adds to the message, from the fields it set before this one's."""
        return ""


class AuthenticationError(APIError):
    """The API key is invalid, or a One-API token was refused after one refresh."""


class AccountError(APIError):
    """The account is blocked or cannot use the request (codes 2 and 3)."""


class InsufficientFundsError(APIError):
    """The account balance does not cover the message (code 8)."""


class NotFoundError(APIError):
    """No message, task or resource with that id or reference (20, 30, 40, HTTP 404)."""


class DuplicateReferenceError(APIError):
    """The reference was already accepted for another message (codes 23 and 43)."""


class RateLimitError(APIError):
    """Too many requests (code 11, HTTP 429); `retry_after` holds the advised wait in seconds.

    Takes `APIError`'s keywords (`code`, `http_status`, `field`, `may_have_been_accepted`) too.
    """

    def __init__(
        self,
        description: str,
        *,
        retry_after: float | None = None,
        **fields: Unpack[_APIErrorFields],
    ) -> None:
        self.retry_after = retry_after
        super().__init__(description, **fields)

    def _details(self) -> str:
        if self.retry_after is None:
            return ""
        return f"; retry after {self.retry_after:g} s"


class ServerError(APIError):
    """The service, or a proxy in front of it, failed (code 5, HTTP 5xx)."""


class SenderNotAllowedError(APIError):
    """The originator or Viber sender is not allowed for this account (32, 45)."""


class UndeliverableDestinationError(APIError):
    """The service has no route to that phone's network (33)."""


class FeatureNotEnabledError(APIError):
    """The function, OTP or 2WAY service is not available to this account (4, 34, 35)."""


class InvalidRequestError(APIError):
    """The service refused a value of the request; `field` names it when the code does.

    `errors` holds the per-field messages of a One-API 422 answer, field -> messages
    (`{"phone.number": ("The phone.number format is invalid.",)}`; messages the service gives
    without a field are under `""`); it is empty for other answers. The error's message lists
    them too. Takes `APIError`'s keywords (`code`, `http_status`, `field`,
    `may_have_been_accepted`) too.
    """

    errors: Mapping[str, tuple[str, ...]]

    def __init__(
        self,
        description: str,
        *,
        errors: Mapping[str, Sequence[str]] | None = None,
        **fields: Unpack[_APIErrorFields],
    ) -> None:
        self.errors = MappingProxyType(
            {key: tuple(messages) for key, messages in (errors or {}).items()}
        )
        super().__init__(description, **fields)

    def _details(self) -> str:
        if not self.errors:
            return ""
        details = "; ".join(
            f"{key}: {' '.join(messages)}" if key else " ".join(messages)
            for key, messages in self.errors.items()
        )
        return f": {details[:300]}"


class DuplicateRecipientError(InvalidRequestError):
    """The same phone appears twice in one request (31, 51)."""


class OtpError(APIError):
    """A one-time-password session refused the call because of its state (`bsg.otp.verify`,
    `resend`, `cancel`); `description` is the service's own words. The One-API tells these
    apart only by the text of its answer (`errors`), which the SDK matches exactly."""


class OtpWrongCodeError(OtpError):
    """The code does not match the one sent (HTTP 404, "The code does not match the expected
    value"). The try is spent; the session stays pending while tries remain, so the user may
    type the code again (`OtpExhaustedError` once none remain)."""


class OtpExpiredError(OtpError):
    """The session's code lifetime is over (HTTP 422, "Authentication expired"): send a new
    code (`bsg.otp.send`)."""


class OtpExhaustedError(OtpError):
    """Every try of the session was spent on wrong codes, so it failed (HTTP 422,
    "Authentication failed status"): send a new code."""


class OtpCanceledError(OtpError):
    """The session was canceled (HTTP 422, "Authentication canceled status")."""


# The One-API's 2FA refusals, known by their text (its 404s and 422s say nothing else).
_OTP_TEXTS: dict[str, type[OtpError]] = {
    "the code does not match the expected value": OtpWrongCodeError,
    "authentication expired": OtpExpiredError,
    "authentication failed status": OtpExhaustedError,
    "authentication canceled status": OtpCanceledError,
}


def _otp_refusal(errors: Mapping[str, Sequence[str]] | None) -> tuple[type[OtpError], str] | None:
    """The `OtpError` class an answer's field-less messages name, and the message."""
    for text in (errors or {}).get("", ()):
        cls = _OTP_TEXTS.get(text.strip().rstrip(".").lower())
        if cls is not None:
            return cls, text.strip()
    return None


# code -> (class, request field the code is about)
_CODES: dict[int, tuple[type[APIError], str | None]] = {
    1: (AuthenticationError, None),
    2: (AccountError, None),
    3: (AccountError, None),
    4: (FeatureNotEnabledError, None),
    5: (ServerError, None),
    6: (InvalidRequestError, "tariff"),
    7: (InvalidRequestError, None),
    8: (InsufficientFundsError, None),
    9: (InvalidRequestError, "tariff"),
    10: (InvalidRequestError, None),
    11: (RateLimitError, None),
    12: (InvalidRequestError, None),
    20: (NotFoundError, None),
    21: (InvalidRequestError, "to"),
    22: (InvalidRequestError, "reference"),
    23: (DuplicateReferenceError, "reference"),
    24: (InvalidRequestError, None),
    25: (InvalidRequestError, "sender"),
    26: (InvalidRequestError, "text"),
    27: (InvalidRequestError, "reference"),
    28: (InvalidRequestError, "validity"),
    29: (InvalidRequestError, "task_id"),
    30: (NotFoundError, None),
    31: (DuplicateRecipientError, "to"),
    32: (SenderNotAllowedError, "sender"),
    33: (UndeliverableDestinationError, "to"),
    34: (FeatureNotEnabledError, None),
    35: (FeatureNotEnabledError, None),
    36: (InvalidRequestError, "sender"),
    40: (NotFoundError, None),
    41: (InvalidRequestError, "to"),
    43: (DuplicateReferenceError, "reference"),
    44: (InvalidRequestError, None),
    45: (SenderNotAllowedError, "sender"),
    46: (InvalidRequestError, "text"),
    47: (InvalidRequestError, "reference"),
    48: (InvalidRequestError, "validity"),
    49: (InvalidRequestError, "options"),
    51: (DuplicateRecipientError, "to"),
}

DUPLICATE_REFERENCE_CODES = frozenset({23, 43})


def error_for_code(
    code: int,
    description: str | None,
    *,
    http_status: int | None = None,
    retry_after: float | None = None,
    may_have_been_accepted: bool = False,
) -> APIError:
    """Build the typed error for a BSG error code; an unknown code gives a plain `APIError`.

    `retry_after` goes to a `RateLimitError`; `may_have_been_accepted` is decided by the caller,
    who read the answer (see `error_class_for_code`).
    """
    cls, field = _CODES.get(code, (APIError, None))
    return _build(
        cls,
        description or f"BSG error {code}",
        {
            "code": code,
            "http_status": http_status,
            "field": field,
            "may_have_been_accepted": may_have_been_accepted,
        },
        retry_after=retry_after,
    )


def error_class_for_code(code: int) -> type[APIError]:
    """The class `error_for_code` builds for `code`."""
    return _CODES.get(code, (APIError, None))[0]


def error_class_for_status(http_status: int) -> type[APIError]:
    """The class `error_for_status` builds for an HTTP status."""
    if http_status == 429:
        return RateLimitError
    if http_status in (401, 403):
        return AuthenticationError
    if http_status == 404:
        return NotFoundError
    if http_status >= 500:
        return ServerError
    if 400 <= http_status < 500:
        return InvalidRequestError
    return APIError


def error_for_status(
    http_status: int,
    description: str | None,
    *,
    retry_after: float | None = None,
    field: str | None = None,
    errors: Mapping[str, Sequence[str]] | None = None,
    may_have_been_accepted: bool = False,
) -> APIError:
    """Build the typed error for an HTTP status whose body carried no BSG error code.

    `errors` (a One-API 422's per-field messages) goes to an `InvalidRequestError`,
    `retry_after` to a `RateLimitError`; any other error adds its field-less messages to its
    description (`"TwoFA Service error. Authentication not found"`). A 404 or 422 whose
    message is a one-time-password session's refusal ("Authentication expired", ...) is its
    `OtpError`, described in the message's own words.
    """
    fields: _APIErrorFields = {
        "http_status": http_status,
        "field": field,
        "may_have_been_accepted": may_have_been_accepted,
    }
    refusal = _otp_refusal(errors) if http_status in (404, 422) else None
    if refusal is not None:
        otp_cls, otp_text = refusal
        return otp_cls(otp_text, **fields)
    cls = error_class_for_status(http_status)
    text = description or _reason(http_status)
    if not issubclass(cls, InvalidRequestError):  # it lists them itself: the others keep none
        said = " ".join((errors or {}).get("", ()))
        if said:
            text = f"{text} {said}"[:300]
    return _build(cls, text, fields, retry_after=retry_after, errors=errors)


def _build(
    cls: type[APIError],
    description: str,
    fields: _APIErrorFields,
    *,
    retry_after: float | None = None,
    errors: Mapping[str, Sequence[str]] | None = None,
) -> APIError:
    """`cls` made complete: the common `fields`, and what its subclass takes of the rest
    (`retry_after` for a `RateLimitError`, `errors` for an `InvalidRequestError`)."""
    if issubclass(cls, RateLimitError):
        return cls(description, retry_after=retry_after, **fields)
    if issubclass(cls, InvalidRequestError):
        return cls(description, errors=errors, **fields)
    return cls(description, **fields)


def _reason(http_status: int) -> str:
    """The standard reason phrase ("Not Found"), so a bare status still reads well."""
    try:
        return HTTPStatus(http_status).phrase
    except ValueError:
        return "HTTP error"


def _short_repr(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
