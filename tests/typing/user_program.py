"""A user's program that follows the README, checked by `mypy --strict` in the suite
(`tests/test_typing.py`): no cast and no ignore comment. Never run."""

from __future__ import annotations

from decimal import Decimal

import httpx

from bsg_async import (
    AsyncBSG,
    OtpExhaustedError,
    OtpExpiredError,
    OtpSession,
    OtpStatus,
    OtpWrongCodeError,
    RetryPolicy,
    SmsReport,
    SmsStatus,
    UnknownStatus,
    ViberReport,
    ViberStatus,
)


def describe(report: SmsReport) -> str:
    """A `match` over a status is checked: every member, and the status the SDK does not know
    (leave a case out and mypy reports a missing return)."""
    match report.status:
        case SmsStatus.DELIVERED:
            return "delivered"
        case SmsStatus.SCHEDULED | SmsStatus.SENT:
            return "on its way"
        case SmsStatus.EXPIRED | SmsStatus.UNDELIVERABLE | SmsStatus.REJECTED:
            return "failed"
        case SmsStatus.UNKNOWN:
            return "the service does not know"
        case UnknownStatus():
            return f"new to this SDK: {report.status}"
    # no return here: mypy says "Missing return statement" if a case is left out


def viber_is_final(report: ViberReport) -> bool:
    status = report.status
    if isinstance(status, ViberStatus):
        return status.is_final
    return False


def progress(done: int, total: int | None) -> None:
    print(done, total)


async def async_progress(done: int, total: int | None) -> None:
    print(done, total)


async def main() -> None:
    async with AsyncBSG(api_key="live_...", max_retries=2, timeout=httpx.Timeout(10.0)) as bsg:
        result = await bsg.sms.send_bulk(to=["380972000001"], text="Sale", sender="S")
        spent = Decimal(0)
        for entry in result:
            if entry.accepted:
                print(entry.reference, entry.id, entry.price)
                spent += entry.price  # an accepted entry always states its price
            else:
                print(entry.reference, entry.error.code, entry.error.description)
        print(spent, sum(accepted.price for accepted in result.accepted))

        receipt = await bsg.with_options(timeout=5, max_retries=0).sms.send(
            to="380501234567", text="Hi", sender="Shop"
        )
        doubled: Decimal = receipt.price * 2  # a receipt's price is a Decimal, never None
        print(doubled)
        status = await bsg.sms.get(receipt.id)
        final = isinstance(status.status, SmsStatus) and status.status.is_final
        print(describe(status), final)

        patient = bsg.with_options(retry=RetryPolicy(max_attempts=6))
        report = await patient.viber.send_many(
            to=["380972000001"],
            text="Sale",
            sender="BSG",
            on_progress=lambda done, total: print(done, total),
        )
        for failed in report.failed:
            print(failed.index, failed.error, failed.may_have_been_accepted)
        totals: dict[str, Decimal] = dict(report.total_price)
        print(totals)
        await bsg.sms.send_many(to=["380972000001"], text="Sale", sender="S", on_progress=progress)
        await bsg.sms.send_many(
            to=["380972000001"], text="Sale", sender="S", on_progress=async_progress
        )
        campaigns = await bsg.rcs.send_campaign_many(
            ["380972000001"], sender="MyShop", text="Sale", chunk_size=1000
        )
        print(len(campaigns.succeeded), campaigns.total_price)


async def sign_in(bsg: AsyncBSG, phone: str, typed: str) -> str:
    """The README's one-time code: a session's typed errors, and a `match` over its status."""
    session: OtpSession = await bsg.otp.send(to=phone, sender="MyShop", template=12)
    try:
        session = await bsg.otp.verify(session.id, typed)
    except OtpWrongCodeError:
        return "try again"
    except (OtpExpiredError, OtpExhaustedError) as error:
        return f"send a new code ({error.description})"
    match session.status:
        case OtpStatus.VERIFIED:
            return "signed in"
        case OtpStatus.PENDING | OtpStatus.FAILED | OtpStatus.CANCELED | OtpStatus.EXPIRED:
            return "not signed in"
        case UnknownStatus():
            return f"new to this SDK: {session.status}"
