"""bsg_async: an async Python SDK for the BSG messaging platform (bsg.world).

```python
from bsg_async import AsyncBSG

async with AsyncBSG(api_key="live_...") as bsg:
    receipt = await bsg.sms.send(msisdn="380501234567", body="Hi", originator="Shop")
```
"""

from ._retry import RetryPolicy
from ._version import __version__
from .batch import OutcomeStream
from .client import AsyncBSG
from .errors import (
    AccountError,
    APIError,
    AuthenticationError,
    BatchSendError,
    BSGError,
    ClientStateError,
    DuplicateRecipientError,
    DuplicateReferenceError,
    FeatureNotEnabledError,
    InsufficientFundsError,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    SenderNotAllowedError,
    ServerError,
    TransportError,
    UndeliverableDestinationError,
    UnexpectedResponseError,
    WebhookPayloadError,
)
from .models import (
    BatchReport,
    Failed,
    FallbackSms,
    LookupFailed,
    RcsClick,
    RcsReport,
    RcsStatus,
    Receipt,
    Recipient,
    Rejection,
    SendResult,
    Sent,
    SmsFallback,
    SmsMessage,
    SmsReport,
    SmsStatus,
    SmsTask,
    ViberMessage,
    ViberReport,
    ViberStatus,
)

__all__ = [
    "APIError",
    "AccountError",
    "AsyncBSG",
    "AuthenticationError",
    "BSGError",
    "BatchReport",
    "BatchSendError",
    "ClientStateError",
    "DuplicateRecipientError",
    "DuplicateReferenceError",
    "Failed",
    "FallbackSms",
    "FeatureNotEnabledError",
    "InsufficientFundsError",
    "InvalidParameterError",
    "InvalidRequestError",
    "LookupFailed",
    "NotFoundError",
    "OutcomeStream",
    "RateLimitError",
    "RcsClick",
    "RcsReport",
    "RcsStatus",
    "Receipt",
    "Recipient",
    "Rejection",
    "RequestTimeoutError",
    "RetryPolicy",
    "SendResult",
    "SenderNotAllowedError",
    "Sent",
    "ServerError",
    "SmsFallback",
    "SmsMessage",
    "SmsReport",
    "SmsStatus",
    "SmsTask",
    "TransportError",
    "UndeliverableDestinationError",
    "UnexpectedResponseError",
    "ViberMessage",
    "ViberReport",
    "ViberStatus",
    "WebhookPayloadError",
    "__version__",
]

# The exceptions report the package as their home, so tracebacks say `bsg_async.NotFoundError`.
# (Models keep their modules: attrs and cattrs resolve their annotations there.)
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and issubclass(_obj, BaseException):
        _obj.__module__ = __name__
del _name, _obj
