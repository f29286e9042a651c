"""bsg_async: an async Python SDK for the BSG messaging platform (bsg.world).

```python
from bsg_async import AsyncBSG

async with AsyncBSG(api_key="live_...") as bsg:
    receipt = await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
```
"""

from ._logs import setup_logging as _setup_logging
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
    OtpCanceledError,
    OtpError,
    OtpExhaustedError,
    OtpExpiredError,
    OtpWrongCodeError,
    RateLimitError,
    RequestTimeoutError,
    SenderNotAllowedError,
    ServerError,
    TransportError,
    UndeliverableDestinationError,
    UnexpectedResponseError,
    WaitTimeoutError,
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
    UnknownStatus,
    ViberMessage,
    ViberReport,
    ViberStatus,
)
from .models.campaigns import RcsContent, SmsContent, ViberContent
from .models.email import EmailInline, EmailReceipt
from .models.legacy import HlrResult, HlrStatus, LegacyBalance, Price, PriceQuote
from .models.one_api import (
    AlternativeChannelInfo,
    AlternativeChannels,
    Amount,
    Balance,
    CallSuggestion,
    Campaign,
    CampaignDetail,
    CampaignStatistics,
    CampaignStatus,
    LinkSuggestion,
    MessageInfo,
    OneApiMessage,
    OneApiMessageStatus,
    RcsCard,
    RcsOptions,
    Tariff,
)
from .models.otp import (
    OtpChannel,
    OtpMessage,
    OtpMessageStatus,
    OtpSession,
    OtpStatus,
    OtpTemplate,
    OtpTemplateStatus,
)
from .models.senders import Sender, SenderRequest, SenderRequestStatus, SenderStatus
from .models.short_links import (
    ShortDomain,
    ShortLink,
    ShortLinkClick,
    ShortLinkStatistics,
    ShortLinkStatus,
    SlugType,
)
from .models.statistics import StatisticsJob, StatisticsRow

__all__ = [
    "APIError",
    "AccountError",
    "AlternativeChannelInfo",
    "AlternativeChannels",
    "Amount",
    "AsyncBSG",
    "AuthenticationError",
    "BSGError",
    "Balance",
    "BatchReport",
    "BatchSendError",
    "CallSuggestion",
    "Campaign",
    "CampaignDetail",
    "CampaignStatistics",
    "CampaignStatus",
    "ClientStateError",
    "DuplicateRecipientError",
    "DuplicateReferenceError",
    "EmailInline",
    "EmailReceipt",
    "Failed",
    "FallbackSms",
    "FeatureNotEnabledError",
    "HlrResult",
    "HlrStatus",
    "InsufficientFundsError",
    "InvalidParameterError",
    "InvalidRequestError",
    "LegacyBalance",
    "LinkSuggestion",
    "LookupFailed",
    "MessageInfo",
    "NotFoundError",
    "OneApiMessage",
    "OneApiMessageStatus",
    "OtpCanceledError",
    "OtpChannel",
    "OtpError",
    "OtpExhaustedError",
    "OtpExpiredError",
    "OtpMessage",
    "OtpMessageStatus",
    "OtpSession",
    "OtpStatus",
    "OtpTemplate",
    "OtpTemplateStatus",
    "OtpWrongCodeError",
    "OutcomeStream",
    "Price",
    "PriceQuote",
    "RateLimitError",
    "RcsCard",
    "RcsClick",
    "RcsContent",
    "RcsOptions",
    "RcsReport",
    "RcsStatus",
    "Receipt",
    "Recipient",
    "Rejection",
    "RequestTimeoutError",
    "RetryPolicy",
    "SendResult",
    "Sender",
    "SenderNotAllowedError",
    "SenderRequest",
    "SenderRequestStatus",
    "SenderStatus",
    "Sent",
    "ServerError",
    "ShortDomain",
    "ShortLink",
    "ShortLinkClick",
    "ShortLinkStatistics",
    "ShortLinkStatus",
    "SlugType",
    "SmsContent",
    "SmsFallback",
    "SmsMessage",
    "SmsReport",
    "SmsStatus",
    "SmsTask",
    "StatisticsJob",
    "StatisticsRow",
    "Tariff",
    "TransportError",
    "UndeliverableDestinationError",
    "UnexpectedResponseError",
    "UnknownStatus",
    "ViberContent",
    "ViberMessage",
    "ViberReport",
    "ViberStatus",
    "WaitTimeoutError",
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

_setup_logging()  # BSG_LOG=info|debug: SDK logging for people who set up none
