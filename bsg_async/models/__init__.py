"""Frozen values: what the SDK sends and what it returns. Pure: no I/O."""

from ._status import UnknownStatus
from .batch import BatchReport, Failed, LookupFailed, Outcome, Sent
from .common import Receipt, Recipient, Rejection, SendResult, SmsFallback
from .rcs_report import RcsClick, RcsReport, RcsStatus
from .sms import SmsMessage, SmsReport, SmsStatus, SmsTask
from .viber import FallbackSms, ViberMessage, ViberReport, ViberStatus

__all__ = [
    "BatchReport",
    "Failed",
    "FallbackSms",
    "LookupFailed",
    "Outcome",
    "RcsClick",
    "RcsReport",
    "RcsStatus",
    "Receipt",
    "Recipient",
    "Rejection",
    "SendResult",
    "Sent",
    "SmsFallback",
    "SmsMessage",
    "SmsReport",
    "SmsStatus",
    "SmsTask",
    "UnknownStatus",
    "ViberMessage",
    "ViberReport",
    "ViberStatus",
]
