"""Hypothesis profiles (`HYPOTHESIS_PROFILE`: `dev` by default, `ci`, `soak`), and the
example counts of the properties that set their own."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
SOAK_FACTOR = 10

settings.register_profile(
    "ci", deadline=None, max_examples=200, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=50)
# A deep run by hand (`HYPOTHESIS_PROFILE=soak python -m pytest --no-cov -k properties`).
settings.register_profile(
    "soak", deadline=None, max_examples=2000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(PROFILE)


def examples(count: int) -> int:
    """How many examples a property whose examples are slow (each serves a fake, or sends a
    batch through one) draws: `count`, or `SOAK_FACTOR` times as many in a soak run."""
    return count * SOAK_FACTOR if PROFILE == "soak" else count
