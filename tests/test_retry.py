"""The retry policy: what is retried, how often, and how long the client waits first."""

from __future__ import annotations

import math

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bsg_async import (
    APIError,
    AuthenticationError,
    BSGError,
    DuplicateReferenceError,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)
from bsg_async.errors import error_for_code, error_for_status

POLICY = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=8.0, max_retry_after=60.0)


def transport_error() -> TransportError:
    try:
        raise TransportError("ConnectError on GET /sms/211") from httpx.ConnectError("refused")
    except TransportError as error:
        return error


RETRIED: dict[str, BSGError] = {
    "connect-error": transport_error(),
    "timeout": RequestTimeoutError("ReadTimeout on GET /sms/211"),
    "429-without-retry-after": error_for_status(429, None),
    "429-retry-after-within-cap": error_for_status(429, None, retry_after=60.0),
    "http-500": error_for_status(500, None),
    "http-502": error_for_status(502, None),
    "http-503": error_for_status(503, None),
    "code-5-with-http-500": error_for_code(5, "Unknown error", http_status=500),
    "code-11": error_for_code(11, "Too many messages processed simultaneously", http_status=200),
    "code-11-without-status": error_for_code(11, None),
}
NOT_RETRIED: dict[str, BSGError] = {
    "429-retry-after-above-cap": error_for_status(429, None, retry_after=60.5),
    "429-retry-after-infinite": error_for_status(429, None, retry_after=math.inf),
    "code-5-with-http-200": error_for_code(5, "Unknown error", http_status=200),
    "code-5-without-status": error_for_code(5, "Unknown error"),
    "server-error-without-status": ServerError("x"),
    "http-400": error_for_status(400, None),
    "http-401": error_for_status(401, None),
    "http-403": error_for_status(403, None),
    "http-422": error_for_status(422, None),
    "not-found-404": error_for_status(404, None),
    "not-found-code-20": error_for_code(20, "SMS not found"),
    "duplicate-reference": error_for_code(23, None),
    "invalid-request-code-21": error_for_code(21, None),
    "insufficient-funds": error_for_code(8, None),
    "authentication-code-1": error_for_code(1, None),
    "unknown-code": APIError("new", code=999),
    "unexpected-response": UnexpectedResponseError("not JSON", http_status=200),
    "invalid-parameter": InvalidParameterError("tariff", 10, "out of range"),
}


@pytest.mark.parametrize("error", RETRIED.values(), ids=RETRIED.keys())
def test_a_retryable_failure_is_retried_while_attempts_remain(error: BSGError) -> None:
    assert POLICY.should_retry(error, 1) is True
    assert POLICY.should_retry(error, 2) is True


@pytest.mark.parametrize("error", RETRIED.values(), ids=RETRIED.keys())
def test_a_retryable_failure_is_not_retried_after_the_last_attempt(error: BSGError) -> None:
    assert POLICY.should_retry(error, 3) is False
    assert POLICY.should_retry(error, 4) is False


@pytest.mark.parametrize("error", NOT_RETRIED.values(), ids=NOT_RETRIED.keys())
def test_a_definite_answer_is_never_retried(error: BSGError) -> None:
    assert POLICY.should_retry(error, 1) is False


@pytest.mark.parametrize("error", RETRIED.values(), ids=RETRIED.keys())
def test_max_attempts_1_never_retries(error: BSGError) -> None:
    assert RetryPolicy(max_attempts=1).should_retry(error, 1) is False


def test_more_attempts_allow_more_retries() -> None:
    policy = RetryPolicy(max_attempts=5)
    error = RETRIED["timeout"]
    assert [policy.should_retry(error, n) for n in range(1, 7)] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]


def test_the_error_families_used_here_are_the_expected_ones() -> None:
    assert isinstance(NOT_RETRIED["not-found-404"], NotFoundError)
    assert isinstance(NOT_RETRIED["duplicate-reference"], DuplicateReferenceError)
    assert isinstance(NOT_RETRIED["http-401"], AuthenticationError)
    assert isinstance(NOT_RETRIED["http-422"], InvalidRequestError)
    assert isinstance(RETRIED["code-11"], RateLimitError)


# -- delays --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "ceiling"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0), (50, 8.0)]
)
def test_delay_is_capped_exponential_backoff(attempt: int, ceiling: float) -> None:
    error = RETRIED["timeout"]
    assert POLICY.delay(error, attempt, rand=lambda: 0.0) == ceiling / 2
    assert POLICY.delay(error, attempt, rand=lambda: 0.5) == ceiling * 0.75
    assert POLICY.delay(error, attempt, rand=lambda: 1.0) == ceiling


def test_default_jitter_stays_between_half_and_all_of_the_ceiling() -> None:
    delays = [POLICY.delay(RETRIED["http-503"], 3) for _ in range(200)]
    assert all(1.0 <= d <= 2.0 for d in delays)
    assert len(set(delays)) > 1


def test_retry_after_is_honoured() -> None:
    error = error_for_status(429, None, retry_after=7.5)
    assert POLICY.delay(error, 1, rand=lambda: 0.0) == 7.5


def test_retry_after_is_capped_at_max_retry_after() -> None:
    error = error_for_status(429, None, retry_after=3600.0)
    assert POLICY.delay(error, 1) == 60.0


@pytest.mark.parametrize("advice", [-5.0, math.nan])
def test_a_negative_or_nan_retry_after_waits_nothing(advice: float) -> None:
    error = error_for_status(429, None, retry_after=advice)
    assert POLICY.delay(error, 1) == 0.0


def test_a_rate_limit_without_retry_after_backs_off_exponentially() -> None:
    assert POLICY.delay(RETRIED["code-11"], 2, rand=lambda: 1.0) == 1.0


def test_a_huge_attempt_number_still_gives_the_capped_delay() -> None:
    assert POLICY.delay(RETRIED["timeout"], 100_000, rand=lambda: 1.0) == 8.0


def test_default_policy() -> None:
    policy = RetryPolicy()
    assert (policy.max_attempts, policy.base_delay, policy.max_delay, policy.max_retry_after) == (
        3,
        0.5,
        8.0,
        60.0,
    )


# -- invalid policies ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [0, -1, True, 1.5, "3", None])
def test_invalid_max_attempts_is_refused(bad: object) -> None:
    with pytest.raises(InvalidParameterError) as info:
        RetryPolicy(max_attempts=bad)  # type: ignore[arg-type]
    assert info.value.field == "max_attempts"
    assert info.value.value == bad or bad is None


@pytest.mark.parametrize("field", ["base_delay", "max_delay", "max_retry_after"])
@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf, True, "1", None])
def test_invalid_seconds_are_refused(field: str, bad: object) -> None:
    with pytest.raises(InvalidParameterError) as info:
        RetryPolicy(**{field: bad})  # type: ignore[arg-type]
    assert info.value.field == field
    assert field in str(info.value)


@pytest.mark.parametrize("field", ["base_delay", "max_delay", "max_retry_after"])
def test_zero_seconds_are_allowed(field: str) -> None:
    assert getattr(RetryPolicy(**{field: 0}), field) == 0


# -- for every policy, attempt and error ---------------------------------------------------

SECONDS = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
ERRORS = st.one_of(
    st.sampled_from([*RETRIED.values(), *NOT_RETRIED.values()]),
    st.builds(
        lambda advice: RateLimitError("x", http_status=429, retry_after=advice),
        st.none() | st.floats(allow_nan=True, allow_infinity=True),
    ),
)


@given(
    base=SECONDS,
    cap=SECONDS,
    max_after=SECONDS,
    attempt=st.integers(min_value=-10, max_value=10**6),
    error=ERRORS,
    jitter=st.floats(min_value=0, max_value=1),
)
def test_delay_is_always_between_zero_and_the_larger_cap(
    base: float, cap: float, max_after: float, attempt: int, error: BSGError, jitter: float
) -> None:
    policy = RetryPolicy(base_delay=base, max_delay=cap, max_retry_after=max_after)
    delay = policy.delay(error, attempt, rand=lambda: jitter)
    assert isinstance(delay, float)
    assert 0.0 <= delay <= max(cap, max_after)


@given(
    attempts=st.integers(min_value=1, max_value=20),
    attempt=st.integers(min_value=1, max_value=40),
    error=ERRORS,
)
def test_no_retry_once_the_attempts_are_used_up(
    attempts: int, attempt: int, error: BSGError
) -> None:
    policy = RetryPolicy(max_attempts=attempts)
    if attempt >= attempts:
        assert policy.should_retry(error, attempt) is False


@given(attempt=st.integers(min_value=1, max_value=10**6), jitter=st.floats(0, 1))
def test_backoff_stays_within_half_and_all_of_its_ceiling(attempt: int, jitter: float) -> None:
    ceiling = min(POLICY.max_delay, POLICY.base_delay * 2 ** min(attempt - 1, 64))
    delay = POLICY.delay(RETRIED["http-500"], attempt, rand=lambda: jitter)
    assert ceiling / 2 <= delay <= ceiling
