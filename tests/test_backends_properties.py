"""Exactly-once over real HTTP on both backends, for any mix of faults: whatever the lost
answers, resets, 5xx and 429s, every recipient gets one outcome, the served fake accepts each
reference at most once, every `Sent` has the fake's id, and every accepted recipient is `Sent`
or `Failed` with `may_have_been_accepted`."""

from __future__ import annotations

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bsg_async.client import HttpBackend
from bsg_async.testing import Faults

from .backend_support import assert_exactly_once, backend, numbers, sdk, serving
from .profiles import examples

__all__ = ["backend"]  # the fixture, imported for pytest

FAULT_KINDS = ["lost_answer", "reset_after", "reset_before", "500", "502", "503", "429"]

fault_mixes = st.dictionaries(st.sampled_from(FAULT_KINDS), st.floats(0.0, 0.15), max_size=4)

# Each example starts a server; a few examples per backend keep the run short.
over_http = settings(
    max_examples=examples(6),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@over_http
@given(
    rates=fault_mixes,
    seed=st.integers(0, 2**16),
    count=st.integers(1, 160),
    chunk_size=st.sampled_from([7, 50]),
    concurrency=st.sampled_from([1, 4, 8]),
)
def test_viber_send_many_over_http_is_exactly_once_for_any_fault_mix(
    backend: HttpBackend,
    rates: dict[str, float],
    seed: int,
    count: int,
    chunk_size: int,
    concurrency: int,
) -> None:
    recipients = numbers(count, "h")

    async def run() -> None:
        faults = Faults(rates, retry_after=0)
        async with (
            serving(seed=seed, faults=faults) as (fake, server),
            sdk(server, backend, attempts=4) as bsg,
        ):
            report = await bsg.viber.send_many(
                to=recipients,
                text="Sale",
                sender="BSG",
                chunk_size=chunk_size,
                concurrency=concurrency,
            )
        assert_exactly_once(report, fake, "viber", recipients)

    anyio.run(run)


@over_http
@given(rates=fault_mixes, seed=st.integers(0, 2**16), count=st.integers(1, 160))
def test_sms_send_many_over_http_is_exactly_once_for_any_fault_mix(
    backend: HttpBackend, rates: dict[str, float], seed: int, count: int
) -> None:
    recipients = numbers(count, "h")

    async def run() -> None:
        faults = Faults(rates, retry_after=0)
        async with (
            serving(seed=seed, faults=faults) as (fake, server),
            sdk(server, backend, attempts=4) as bsg,
        ):
            report = await bsg.sms.send_many(
                to=recipients, text="Sale", sender="Shop", chunk_size=40, concurrency=4
            )
        assert_exactly_once(report, fake, "sms", recipients)

    anyio.run(run)
