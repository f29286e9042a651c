"""The request pipeline: retries, backoff, error mapping, the concurrency limit and logging."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx

from bsg_async import (
    APIError,
    AsyncBSG,
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RequestTimeoutError,
    RetryPolicy,
    ServerError,
    TransportError,
    UnexpectedResponseError,
)

from .conftest import API_KEY, BASE, ONE_API

READ = f"{BASE}/sms/211"
SMS_ACCEPTED = httpx.Response(
    200, json={"error": 0, "id": "22125", "reference": "r1", "price": "0.02", "currency": "EUR"}
)
STATUS = {"error": 0, "id": "211", "status": "delivered", "price": "0.23", "currency": "EUR"}
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln"  # a token without `exp`


def status_ok() -> httpx.Response:
    return httpx.Response(200, json=STATUS)


def policy_client(transport: httpx.AsyncBaseTransport, **retry: Any) -> AsyncBSG:
    return AsyncBSG(
        API_KEY,
        base_url=BASE,
        one_api_url=ONE_API,
        transport=transport,
        retry=RetryPolicy(**retry),
    )


# -- what is retried ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ReadTimeout("read timed out"),
        httpx.RemoteProtocolError("peer closed connection"),
        httpx.Response(500),
        httpx.Response(502, text="<html>Bad Gateway</html>"),
        httpx.Response(503, json={"message": "Service Unavailable"}),
        httpx.Response(429),
        httpx.Response(200, json={"error": 11, "errorDescription": "Too many messages"}),
    ],
    ids=lambda failure: (
        type(failure).__name__ if isinstance(failure, Exception) else f"http{failure.status_code}"
    ),
)
async def test_reads_are_retried_on_transient_failures(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, failure: Any, backoff_delays: list[float]
) -> None:
    route = respx_mock.get(READ).mock(side_effect=[failure, status_ok()])

    report = await bsg.sms.get(211)

    assert report.id == 211
    assert route.call_count == 2
    assert len(backoff_delays) == 1


async def test_code_11_in_a_200_body_is_retried_until_it_passes(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    throttled = httpx.Response(200, json={"error": "11", "errorDescription": "Too many"})
    route = respx_mock.get(READ).mock(side_effect=[throttled, throttled, status_ok()])

    assert (await bsg.sms.get(211)).id == 211
    assert route.call_count == 3


@pytest.mark.parametrize(
    ("answer", "error_type"),
    [
        (httpx.Response(400), InvalidRequestError),
        (httpx.Response(401), AuthenticationError),
        (httpx.Response(403), AuthenticationError),
        (httpx.Response(404), NotFoundError),
        (httpx.Response(409, json={"message": "Conflict"}), InvalidRequestError),
        (
            httpx.Response(200, json={"error": 20, "errorDescription": "SMS not found"}),
            NotFoundError,
        ),
        (httpx.Response(200, json={"error": "25"}), InvalidRequestError),
        (httpx.Response(200, json={"error": 5, "errorDescription": "Unknown error"}), ServerError),
        (httpx.Response(200, json={"error": 999, "errorDescription": "Mystery"}), APIError),
        (
            httpx.Response(500, json={"error": 20, "errorDescription": "SMS not found"}),
            NotFoundError,
        ),
    ],
    ids=[
        "400",
        "401",
        "403",
        "404",
        "409",
        "code20",
        "code25",
        "code5",
        "unknown-code",
        "500-with-code20",
    ],
)
async def test_refusals_are_never_retried(
    bsg: AsyncBSG,
    respx_mock: respx.MockRouter,
    answer: httpx.Response,
    error_type: type[APIError],
    backoff_delays: list[float],
) -> None:
    route = respx_mock.get(READ).mock(return_value=answer)

    with pytest.raises(error_type):
        await bsg.sms.get(211)

    assert route.call_count == 1
    assert backoff_delays == []


async def test_code_20_in_a_200_body_is_not_found(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(READ).respond(json={"error": 20, "errorDescription": "SMS not found"})

    with pytest.raises(NotFoundError) as info:
        await bsg.sms.get(211)

    error = info.value
    assert (error.code, error.description, error.http_status) == (20, "SMS not found", 200)
    assert error.may_have_been_accepted is False


async def test_code_25_as_a_string_is_an_invalid_originator(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(READ).respond(json={"error": "25", "errorDescription": "Incorrect originator"})

    with pytest.raises(InvalidRequestError) as info:
        await bsg.sms.get(211)

    assert info.value.code == 25
    assert info.value.field == "sender"


async def test_an_unknown_code_is_still_an_api_error_with_code_and_description(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(READ).respond(json={"error": 77, "errorDescription": "New thing"})

    with pytest.raises(APIError) as info:
        await bsg.sms.get(211)

    assert type(info.value) is APIError
    assert (info.value.code, info.value.description) == (77, "New thing")
    assert "New thing" in str(info.value)
    assert "77" in str(info.value)


# -- the body decides first, the HTTP status second ---------------------------------------------


async def test_the_body_code_wins_over_the_http_status(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(READ).respond(404, json={"error": 25, "errorDescription": "Bad originator"})

    with pytest.raises(InvalidRequestError) as info:
        await bsg.sms.get(211)

    assert (info.value.code, info.value.http_status) == (25, 404)


@pytest.mark.parametrize(
    ("status", "error_type"),
    [(401, AuthenticationError), (403, AuthenticationError), (404, NotFoundError)],
)
async def test_the_http_status_decides_when_the_body_has_no_code(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, status: int, error_type: type[APIError]
) -> None:
    respx_mock.get(READ).respond(status, json={"message": "Nope"})

    with pytest.raises(error_type) as info:
        await bsg.sms.get(211)

    assert (info.value.code, info.value.http_status, info.value.description) == (
        None,
        status,
        "Nope",
    )


async def test_an_error_status_with_code_0_in_the_body_is_decided_by_the_status(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(READ).respond(401, json={"error": "0"})

    with pytest.raises(AuthenticationError) as info:
        await bsg.sms.get(211)

    assert info.value.http_status == 401
    assert "HTTP 401" in str(info.value)


async def test_one_api_422_names_the_first_invalid_field(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})
    respx_mock.post(f"{ONE_API}/api/campaigns/rcs/send").respond(
        422,
        json={
            "message": "The given data was invalid.",
            "errors": {"phones.0.number": ["The number is invalid."]},
        },
    )

    with pytest.raises(InvalidRequestError) as info:
        await bsg.one_api_request("POST", "/api/campaigns/rcs/send", json={"phones": []})

    error = info.value
    assert error.http_status == 422
    assert error.field == "phones.0.number"
    assert error.description == "The given data was invalid."


async def test_one_api_422_with_errors_as_a_list_has_no_field(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})
    respx_mock.get(f"{ONE_API}/api/campaigns").respond(
        422, json={"message": "Invalid.", "errors": ["page[limit] is too big"]}
    )

    with pytest.raises(InvalidRequestError) as info:
        await bsg.one_api_request("GET", "/api/campaigns", params={"page[limit]": 9999})

    assert info.value.field is None
    assert info.value.http_status == 422


async def test_a_non_json_answer_is_an_unexpected_response_with_a_truncated_body(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    page = "<html>" + "x" * 5000 + "</html>"
    route = respx_mock.get(READ).respond(200, text=page, headers={"Content-Type": "text/html"})

    with pytest.raises(UnexpectedResponseError) as info:
        await bsg.sms.get(211)

    error = info.value
    assert error.http_status == 200
    assert error.body is not None
    assert 0 < len(error.body) <= 500
    assert page.startswith(error.body)
    assert "text/html" in str(error)
    assert route.call_count == 1  # an undecodable 200 is not retried


@pytest.mark.parametrize(
    "code",
    [
        "oops",
        "1" * 5000,  # past 4,300 digits `int()` raises ValueError: never parsed at all
        "1" * 31,
        "-1",
        "",
    ],
    ids=["word", "5000-digits", "31-digits", "negative", "empty"],
)
async def test_a_non_integer_error_code_is_an_unexpected_response(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, code: str
) -> None:
    respx_mock.get(READ).respond(json={"error": code})

    with pytest.raises(UnexpectedResponseError) as info:
        await bsg.sms.get(211)

    assert info.value.field == "$.error"
    assert info.value.http_status == 200


async def test_a_json_redirect_without_an_error_is_an_unexpected_response(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(READ).respond(302, json={}, headers={"Location": "https://elsewhere.test/"})

    with pytest.raises(UnexpectedResponseError) as info:
        await bsg.sms.get(211)

    assert info.value.http_status == 302


async def test_a_non_json_5xx_keeps_the_start_of_its_body_in_the_description(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(READ).respond(502, text="upstream connect error " + "y" * 1000)

    with pytest.raises(ServerError) as info:
        await bsg.sms.get(211)

    assert "upstream connect error" in info.value.description
    assert len(info.value.description) < 200


async def test_transport_error_is_caused_by_a_masked_copy_of_the_httpx_exception(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    cause = httpx.ConnectError("connection refused")
    respx_mock.get(READ).mock(side_effect=cause)

    with pytest.raises(TransportError) as info:
        await bsg.sms.get(211)

    assert type(info.value) is TransportError
    copy = info.value.__cause__
    assert type(copy) is httpx.ConnectError
    assert str(copy) == "connection refused"
    # httpx's own exception holds the request and its X-API-KEY: it is not reachable
    assert copy is not cause
    assert info.value.__context__ is None
    assert copy.__cause__ is None and copy.__context__ is None and copy.__traceback__ is None
    with pytest.raises(RuntimeError):
        copy.request  # noqa: B018 - the copy has no request
    assert "ConnectError" in str(info.value)
    assert "/sms/211" in str(info.value)
    assert info.value.may_have_been_accepted is False  # a read is never "accepted"


async def test_timeout_error_is_caused_by_a_masked_copy_of_the_httpx_exception(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    cause = httpx.ReadTimeout("timed out")
    respx_mock.get(READ).mock(side_effect=cause)

    with pytest.raises(RequestTimeoutError) as info:
        await bsg.sms.get(211)

    assert isinstance(info.value, TransportError)
    assert type(info.value.__cause__) is httpx.ReadTimeout
    assert info.value.__cause__ is not cause
    assert "ReadTimeout" in str(info.value)


# -- how many attempts, how long between them ---------------------------------------------------


async def test_retry_count_equals_max_attempts(backoff_delays: list[float]) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503)

    async with policy_client(httpx.MockTransport(handler), max_attempts=5) as bsg:
        with pytest.raises(ServerError) as info:
            await bsg.sms.get(211)

    assert calls == 5
    assert len(backoff_delays) == 4
    assert info.value.http_status == 503


async def test_max_attempts_1_means_exactly_one_attempt(backoff_delays: list[float]) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused")

    async with policy_client(httpx.MockTransport(handler), max_attempts=1) as bsg:
        with pytest.raises(TransportError):
            await bsg.sms.get(211)

    assert calls == 1
    assert backoff_delays == []


async def test_backoff_delays_grow_with_jitter_and_stay_under_max_delay(
    backoff_delays: list[float],
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    async with policy_client(
        httpx.MockTransport(handler), max_attempts=8, base_delay=0.1, max_delay=1.0
    ) as bsg:
        with pytest.raises(RequestTimeoutError):
            await bsg.sms.get(211)

    assert len(backoff_delays) == 7
    ceilings = [min(1.0, 0.1 * 2**n) for n in range(7)]  # 0.1 0.2 0.4 0.8 1.0 1.0 1.0
    for delay, ceiling in zip(backoff_delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling <= 1.0
    # while below the cap each wait is at least the previous one (the ceiling doubles)
    assert backoff_delays[:4] == sorted(backoff_delays[:4])


async def test_retry_after_seconds_is_honoured(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, backoff_delays: list[float]
) -> None:
    throttled = httpx.Response(429, headers={"Retry-After": "7"})
    respx_mock.get(READ).mock(side_effect=[throttled, status_ok()])

    await bsg.sms.get(211)

    assert backoff_delays == [7.0]


async def test_retry_after_http_date_is_honoured(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, backoff_delays: list[float]
) -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    throttled = httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)})
    respx_mock.get(READ).mock(side_effect=[throttled, status_ok()])

    await bsg.sms.get(211)

    (delay,) = backoff_delays
    assert 20 <= delay <= 30


async def test_retry_after_is_honoured_on_code_11(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, backoff_delays: list[float]
) -> None:
    throttled = httpx.Response(200, json={"error": 11}, headers={"Retry-After": "3"})
    respx_mock.get(READ).mock(side_effect=[throttled, status_ok()])

    await bsg.sms.get(211)

    assert backoff_delays == [3.0]


async def test_retry_after_over_the_cap_stops_retrying(backoff_delays: list[float]) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(429, headers={"Retry-After": "120"})

    async with policy_client(
        httpx.MockTransport(handler), max_attempts=5, max_retry_after=60
    ) as bsg:
        with pytest.raises(RateLimitError) as info:
            await bsg.sms.get(211)

    assert calls == 1
    assert backoff_delays == []
    assert info.value.retry_after == 120.0
    assert info.value.http_status == 429


async def test_retry_after_at_the_cap_is_still_honoured(backoff_delays: list[float]) -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "60"}), status_ok()])

    async with policy_client(
        httpx.MockTransport(lambda request: next(answers)), max_retry_after=60
    ) as bsg:
        await bsg.sms.get(211)

    assert backoff_delays == [60.0]


async def test_an_unreadable_retry_after_falls_back_to_backoff(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, backoff_delays: list[float]
) -> None:
    throttled = httpx.Response(429, headers={"Retry-After": "soon"})
    respx_mock.get(READ).mock(side_effect=[throttled, status_ok()])

    await bsg.sms.get(211)

    (delay,) = backoff_delays
    assert 0.05 <= delay <= 0.1  # the bsg fixture's base_delay, with jitter


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("nan", None),
        ("inf", None),
        ("-5", 0.0),
        ("2.5", 2.5),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: retry now
    ],
)
async def test_retry_after_is_read_into_the_rate_limit_error(
    header: str | None, seconds: float | None
) -> None:
    headers = {} if header is None else {"Retry-After": header}
    transport = httpx.MockTransport(lambda request: httpx.Response(429, headers=headers))

    async with policy_client(transport, max_attempts=1) as bsg:
        with pytest.raises(RateLimitError) as info:
            await bsg.sms.get(211)

    assert info.value.retry_after == seconds


async def test_a_retry_after_date_without_a_zone_is_read_as_utc() -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=30)
    header = when.strftime("%a, %d %b %Y %H:%M:%S")  # no "GMT"
    transport = httpx.MockTransport(
        lambda request: httpx.Response(429, headers={"Retry-After": header})
    )

    async with policy_client(transport, max_attempts=1) as bsg:
        with pytest.raises(RateLimitError) as info:
            await bsg.sms.get(211)

    assert info.value.retry_after is not None
    assert 20 <= info.value.retry_after <= 30


# -- concurrency limit and logging --------------------------------------------------------------


async def test_max_concurrency_bounds_requests_in_flight() -> None:
    in_flight = 0
    most = 0
    calls = 0
    full = anyio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most, calls
        calls += 1
        in_flight += 1
        most = max(most, in_flight)
        if in_flight == 3:
            full.set()
        with anyio.fail_after(5):  # bounded: a broken limit fails the test, never hangs it
            await full.wait()
        for _ in range(5):
            await anyio.lowlevel.checkpoint()  # give the other 19 tasks every chance to pile in
        in_flight -= 1
        return status_ok()

    bsg = AsyncBSG(
        API_KEY, base_url=BASE, transport=httpx.MockTransport(handler), max_concurrency=3
    )
    async with bsg, anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(bsg.sms.get, 211)

    assert calls == 20
    assert most == 3


async def test_one_debug_log_line_per_attempt(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    respx_mock.get(READ).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(502), status_ok()]
    )

    with caplog.at_level(logging.DEBUG, logger="bsg_async"):
        await bsg.sms.get(211)

    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "bsg_async" and r.levelno == logging.DEBUG
    ]
    assert len(lines) == 3
    for attempt, (line, outcome) in enumerate(
        zip(lines, ["ConnectError", "502", "200"], strict=True), 1
    ):
        assert line.startswith(f"GET /rest/sms/211 -> {outcome} (attempt {attempt}, ")
        assert line.endswith(" ms)")


async def test_one_info_log_line_per_retry_says_what_why_when_and_which_attempt(
    bsg: AsyncBSG,
    respx_mock: respx.MockRouter,
    caplog: pytest.LogCaptureFixture,
    backoff_delays: list[float],
) -> None:
    respx_mock.get(READ).mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(502), status_ok()]
    )

    with caplog.at_level(logging.INFO, logger="bsg_async"):
        await bsg.sms.get(211)

    lines = [r.getMessage() for r in caplog.records if r.name == "bsg_async"]
    assert [r.levelno for r in caplog.records if r.name == "bsg_async"] == [logging.INFO] * 2
    first, second = backoff_delays
    assert lines == [
        f"Retrying GET /rest/sms/211 in {first:.2f} s (attempt 2 of 3) after "
        "TransportError: ConnectError on GET /rest/sms/211: refused",
        f"Retrying GET /rest/sms/211 in {second:.2f} s (attempt 3 of 3) after "
        "ServerError (HTTP 502)",
    ]


async def test_the_client_counts_retries_and_lost_answers_it_recovered(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.get(READ).mock(side_effect=[httpx.Response(502), status_ok(), status_ok()])
    respx_mock.post(f"{BASE}/sms/create").mock(
        side_effect=[httpx.ReadTimeout("lost"), httpx.Response(503), SMS_ACCEPTED]
    )

    await bsg.sms.get(211)
    await bsg.sms.send(to="380501234567", text="Hi", sender="Shop", reference="r1")
    await bsg.sms.get(211)  # no retry, nothing lost

    counts = bsg._retry_counts
    assert (counts.retried_requests, counts.retries) == (2, 3)
    assert (counts.lost_answers, counts.recovered) == (1, 1)


async def test_the_last_failed_attempt_is_raised_not_announced_as_a_retry(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    respx_mock.get(READ).mock(return_value=httpx.Response(503))

    with caplog.at_level(logging.INFO, logger="bsg_async"), pytest.raises(ServerError):
        await bsg.sms.get(211)

    # three attempts, two retries: the last failure is raised, not announced as a retry
    assert len([r for r in caplog.records if r.name == "bsg_async"]) == 2


async def test_nothing_is_logged_unless_debug_is_enabled(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    respx_mock.get(READ).mock(return_value=status_ok())

    with caplog.at_level(logging.INFO, logger="bsg_async"):
        await bsg.sms.get(211)

    # a request that needs no retry says nothing at INFO
    assert [r for r in caplog.records if r.name == "bsg_async"] == []


@pytest.mark.real_backoff
async def test_backoff_really_waits_between_attempts(backoff_delays: list[float]) -> None:
    answers = iter([httpx.Response(503), status_ok()])
    transport = httpx.MockTransport(lambda request: next(answers))

    async with policy_client(transport, max_attempts=2, base_delay=0.2, max_delay=0.2) as bsg:
        started = anyio.current_time()
        await bsg.sms.get(211)
        waited = anyio.current_time() - started

    assert waited >= 0.1  # at least half of the 0.2 s ceiling (the jitter's lower bound)
    assert backoff_delays == []  # the real wait, not the recording stand-in
