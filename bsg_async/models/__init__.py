"""Frozen values: what the SDK sends and what it returns. Pure: no I/O."""

from .common import Receipt, Recipient, Rejection, SendResult
from .sms import SmsMessage, SmsReport, SmsStatus, SmsTask
from .viber import FallbackSms, SmsFallback, ViberMessage, ViberReport, ViberStatus

__all__ = [
    "FallbackSms",
    "Receipt",
    "Recipient",
    "Rejection",
    "SendResult",
    "SmsFallback",
    "SmsMessage",
    "SmsReport",
    "SmsStatus",
    "SmsTask",
    "ViberMessage",
    "ViberReport",
    "ViberStatus",
]
