"""`python -m bsg_async.testing` (or `bsg fake serve`, with the `cli` extra): serve a `FakeBSG`
with uvicorn in its own process.

```
python -m bsg_async.testing --port 8080 --latency-ms 20 --seed 1 --fault lost_answer=0.01
bsg fake serve --port 8080 --latency-ms 20 --seed 1 --fault lost_answer=0.01
```
It prints one line, `FakeBSG listening on http://127.0.0.1:8080`, once the socket is bound
(`--port 0` picks a free port: read it from that line), then serves until interrupted. Point
`AsyncBSG(base_url=".../rest", one_api_url="...")` at it; the `/_fake/` control endpoints
(see `bsg_async.testing._asgi`) inspect and steer it from another process.

RCS status reports go to `--callback-url` (your webhook receiver, on 127.0.0.1 unless
`--allow-remote-callbacks`) as statuses move, after each request the fake answers and on
`POST /_fake/advance` or `/_fake/deliver-callbacks`:
```
python -m bsg_async.testing --callback-url http://127.0.0.1:8000/bsg/rcs --group 4012=380501234567
```
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from ..errors import InvalidParameterError
from ._config import Account, Lifecycle, Rules, Webhook
from ._fake import FakeBSG
from ._faults import FaultKind, Faults

__all__ = ["build_parser", "fake_from_args", "main"]


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a decimal number: {text!r}") from None
    if not value.is_finite():
        raise argparse.ArgumentTypeError(f"not a finite number: {text!r}")
    return value


def _fault(text: str) -> tuple[FaultKind, float]:
    kind, sep, rate = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return FaultKind.coerce(kind), float(rate)
    except (ValueError, InvalidParameterError):
        known = ", ".join(k.value for k in FaultKind)
        raise argparse.ArgumentTypeError(
            f"expected KIND=RATE with KIND one of {known}, got {text!r}"
        ) from None


def _group(text: str) -> tuple[int, list[str]]:
    group, sep, phones = text.partition("=")
    numbers = [p.strip() for p in phones.split(",") if p.strip()]
    if not sep or not group.strip().isdigit() or not all(p.isdigit() for p in numbers):
        raise argparse.ArgumentTypeError(
            f"expected ID=PHONE[,PHONE...] such as 4012=380501234567, got {text!r}"
        )
    return int(group), numbers


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share from 0 to 1, got {text!r}")
    return value


def _milliseconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 3_600_000:
        raise argparse.ArgumentTypeError(f"expected milliseconds >= 0, got {text!r}")
    return value


def build_parser(prog: str = "python -m bsg_async.testing") -> argparse.ArgumentParser:
    """The command line of `python -m bsg_async.testing` (and `bsg fake serve`)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a fake BSG service (legacy REST API and One-API) over HTTP.",
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    add("--port", type=int, default=8080, help="port; 0 picks a free one (default 8080)")
    add("--seed", type=int, default=0, help="fixes faults, fates and answer shapes (default 0)")
    add("--latency-ms", type=_milliseconds, default=0.0, help="added to every request")
    add("--latency-jitter-ms", type=_milliseconds, default=0.0, help="up to this much more")
    add(
        "--fault",
        type=_fault,
        action="append",
        default=[],
        metavar="KIND=RATE",
        help="inject a fault kind at a rate, e.g. lost_answer=0.01 or 503=0.02 (repeatable)",
    )
    add("--fault-path", action="append", metavar="GLOB", help="restrict faults to paths")
    add("--fault-method", action="append", metavar="METHOD", help="restrict faults to methods")
    add("--retry-after", type=int, default=1, help="Retry-After seconds of a 429 (default 1)")
    add("--api-key", action="append", metavar="KEY", help="accepted key (default: any)")
    add("--single-shape", choices=("flat", "wrapped", "mixed"), default="flat")
    add("--sms-price", type=_decimal, default=Decimal("0.02"))
    add("--viber-price", type=_decimal, default=Decimal("0.23"))
    add("--rcs-price", type=_decimal, default=Decimal("1.1000000"))
    add("--balance", type=_decimal, default=Decimal("100.0000000"), help="starting balance")
    add(
        "--credit",
        type=_decimal,
        help="how far below zero the balance may go; SMS and Viber sends beyond it get code 8 "
        "(default: no limit)",
    )
    add(
        "--unroutable-prefix",
        action="append",
        default=[],
        metavar="DIGITS",
        help="numbers starting with these have no route: code 33 (repeatable)",
    )
    add("--currency", default="EUR")
    add("--callback-url", metavar="URL", help="the account's callback URL for RCS reports")
    add(
        "--allow-remote-callbacks",
        action="store_true",
        help="POST callbacks to non-loopback addresses too",
    )
    add(
        "--group",
        type=_group,
        action="append",
        default=[],
        metavar="ID=PHONE[,PHONE...]",
        help="a contact list for RCS send-groups (repeatable)",
    )
    add("--http-error-status", action="store_true", help="answer errors with 4xx, not 200")
    add("--frozen-clock", action="store_true", help="statuses move only via /_fake/advance")
    add("--undeliverable-rate", type=_share, default=0.05)
    add("--expired-rate", type=_share, default=0.02)
    add("--non-viber-rate", type=_share, default=0.1)
    add("--failed-rate", type=_share, default=0.01, help="RCS messages that fail")
    add("--non-rcs-rate", type=_share, default=0.1, help="numbers without RCS")
    add("--record-limit", type=int, default=1000, help="requests kept for /_fake/ (default 1000)")
    add("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"))
    return parser


def fake_from_args(args: argparse.Namespace) -> FakeBSG:
    """The `FakeBSG` the parsed command line describes.

    Raises `InvalidParameterError` for an inconsistent setting (rates summing above 1, ...).
    """
    faults = Faults(
        dict(args.fault),
        latency=args.latency_ms / 1000,
        latency_jitter=args.latency_jitter_ms / 1000,
        retry_after=args.retry_after,
        methods=args.fault_method,
        paths=args.fault_path,
    )
    lifecycle = Lifecycle(
        undeliverable_rate=args.undeliverable_rate,
        expired_rate=args.expired_rate,
        non_viber_rate=args.non_viber_rate,
        failed_rate=args.failed_rate,
        non_rcs_rate=args.non_rcs_rate,
    )
    groups: dict[int, list[str]] = {}
    for group, numbers in args.group:
        groups.setdefault(group, []).extend(numbers)
    account = Account(
        api_keys=args.api_key,
        currency=args.currency,
        sms_price=args.sms_price,
        viber_price=args.viber_price,
        rcs_price=args.rcs_price,
        balance=args.balance,
        credit=args.credit,
        contact_lists=groups,
    )
    rules = Rules(
        unroutable_prefixes=args.unroutable_prefix,
        single_shape=args.single_shape,
        http_error_status=args.http_error_status,
    )
    webhook = Webhook(url=args.callback_url, allow_remote=args.allow_remote_callbacks)
    return FakeBSG(
        seed=args.seed,
        clock=None if args.frozen_clock else time.time,
        account=account,
        rules=rules,
        lifecycle=lifecycle,
        webhook=webhook,
        faults=faults,
        record_limit=args.record_limit,
    )


def main(argv: Sequence[str] | None = None, *, prog: str | None = None) -> int:
    """Parse `argv`, serve until interrupted; returns the exit status (2 for bad options).
    `prog` names the command in usage and errors (`bsg fake serve` passes its own)."""
    parser = build_parser() if prog is None else build_parser(prog)
    args = parser.parse_args(argv)
    try:
        fake = fake_from_args(args)
    except InvalidParameterError as error:
        parser.error(str(error))
    try:
        import uvicorn
    except ImportError:
        print("serving FakeBSG needs uvicorn: pip install 'bsg-async[test]'", file=sys.stderr)
        return 2

    import logging

    from ._server import CutAnswerFilter, listening_socket

    try:
        sock = listening_socket(args.host, args.port)
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 2
    config = uvicorn.Config(
        fake.app, lifespan="off", ws="none", log_level=args.log_level, access_log=False
    )
    logging.getLogger("uvicorn.error").addFilter(CutAnswerFilter())
    host, port = sock.getsockname()[:2]
    print(f"FakeBSG listening on http://{host}:{port}", flush=True)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # pragma: no cover - interactive stop
        pass
    finally:
        sock.close()
    return 0
