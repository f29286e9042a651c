"""Authentication: the legacy `X-API-KEY` header and One-API JWTs (login, refresh, replay)."""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    AuthenticationError,
    RetryPolicy,
    TransportError,
    UnexpectedResponseError,
)

from .conftest import API_KEY, BASE, ONE_API

BALANCE = {"data": {"balance": -50.25, "currency": "USD", "credit": 125}}
PROTECTED = "/api/accounts/balance"


def b64url(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def make_jwt(*, exp: float | None, subject: str) -> str:
    """A real-looking, unsigned-for-our-purposes JWT whose payload carries `exp` (Unix time)."""
    claims: dict[str, Any] = {"sub": subject, "iat": int(time.time())}
    if exp is not None:
        claims["exp"] = int(exp)
    return f"{b64url({'alg': 'HS256', 'typ': 'JWT'})}.{b64url(claims)}.c2lnbmF0dXJl"


def tokens(prefix: str, *, lifetime: float | None = 3600) -> Iterator[str]:
    """An endless supply of distinct tokens, each valid for `lifetime` seconds from issue."""
    number = 0
    while True:
        number += 1
        exp = None if lifetime is None else time.time() + lifetime
        yield make_jwt(exp=exp, subject=f"{prefix}{number}")


class OneApi:
    """A stateful One-API auth server: login, refresh and a protected balance endpoint.

    `accepted` holds the tokens the protected endpoint takes; refreshed and logged-in tokens
    are added to it unless `accept_new` is false. Handlers yield to the event loop so that
    concurrent requests really overlap.
    """

    def __init__(
        self,
        *,
        logins: Iterator[str] | None = None,
        refreshes: Iterator[str] | None = None,
        refresh_status: int = 200,
        accept_new: bool = True,
    ) -> None:
        self.login_tokens = logins or tokens("login")
        self.refresh_tokens = refreshes or tokens("refresh")
        self.refresh_status = refresh_status
        self.accept_new = accept_new
        self.refuse_logins = False
        self.accepted: set[str] = set()
        self.login_bodies: list[Any] = []
        self.refreshed_with: list[str] = []
        self.protected_with: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        for _ in range(3):
            await anyio.lowlevel.checkpoint()
        path = request.url.path
        bearer = request.headers.get("Authorization", "")
        if path == "/api/auth/login":
            assert "Authorization" not in request.headers
            self.login_bodies.append(json.loads(request.content))
            if self.refuse_logins:
                return httpx.Response(401, json={"error": 1, "errorDescription": "Invalid key"})
            return self._issue(next(self.login_tokens))
        if path == "/api/auth/refresh":
            self.refreshed_with.append(bearer)
            assert request.content == b""
            if self.refresh_status != 200:
                return httpx.Response(self.refresh_status, json={"message": "Unauthenticated."})
            return self._issue(next(self.refresh_tokens))
        assert path == PROTECTED
        self.protected_with.append(bearer)
        if bearer.removeprefix("Bearer ") in self.accepted:
            return httpx.Response(200, json=BALANCE)
        return httpx.Response(401, json={"message": "Unauthenticated."})

    def _issue(self, token: str) -> httpx.Response:
        if self.accept_new:
            self.accepted.add(token)
        return httpx.Response(200, json={"bearer": token})

    @property
    def logins(self) -> int:
        return len(self.login_bodies)


def one_api_client(server: OneApi, **options: Any) -> AsyncBSG:
    return AsyncBSG(
        API_KEY,
        base_url=BASE,
        one_api_url=ONE_API,
        transport=httpx.MockTransport(server),
        retry=RetryPolicy(max_attempts=3, base_delay=0.1, max_delay=1.0),
        **options,
    )


async def call(bsg: AsyncBSG) -> Any:
    return (await bsg.one_api_request("GET", PROTECTED)).data


# -- login --------------------------------------------------------------------------------------


async def test_first_call_logs_in_with_the_key_and_sends_the_bearer() -> None:
    server = OneApi()

    async with one_api_client(server) as bsg:
        assert await call(bsg) == BALANCE

    (token,) = server.accepted
    assert server.login_bodies == [{"api_key": API_KEY}]
    assert server.protected_with == [f"Bearer {token}"]
    assert server.refreshed_with == []


async def test_later_calls_reuse_the_token_without_logging_in_again() -> None:
    server = OneApi()

    async with one_api_client(server) as bsg:
        for _ in range(5):
            await call(bsg)

    assert server.logins == 1
    assert len(set(server.protected_with)) == 1


async def test_fifty_concurrent_calls_share_exactly_one_login() -> None:
    server = OneApi()

    async with one_api_client(server) as bsg, anyio.create_task_group() as group:
        for _ in range(50):
            group.start_soon(call, bsg)

    (token,) = server.accepted
    assert server.logins == 1
    assert server.protected_with == [f"Bearer {token}"] * 50


async def test_login_runs_inside_the_callers_slot_without_deadlock() -> None:
    server = OneApi()

    with anyio.fail_after(5):  # a deadlock fails the test instead of hanging it
        async with (
            one_api_client(server, max_concurrency=1) as bsg,
            anyio.create_task_group() as group,
        ):
            for _ in range(5):
                group.start_soon(call, bsg)

    assert server.logins == 1
    assert len(server.protected_with) == 5


@pytest.mark.parametrize("token", ["abc\r\nX-Injected: 1", "abc def", "t\u00f6ken", "abc\x00"])
async def test_a_bearer_token_unfit_for_a_header_is_an_unexpected_response(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, token: str
) -> None:
    # Written into a header, it would be refused by the HTTP library (a bare ValueError from
    # aiohttp, a protocol error from httpx) or inject a header: refused at the login instead.
    respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": token})
    protected = respx_mock.get(f"{ONE_API}{PROTECTED}")

    with pytest.raises(UnexpectedResponseError) as info:
        await call(bsg)

    assert info.value.field == "$.bearer"
    assert token not in str(info.value)
    assert not protected.called


async def test_login_answer_without_bearer_is_an_unexpected_response(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"token": "abc"})
    protected = respx_mock.get(f"{ONE_API}{PROTECTED}")

    with pytest.raises(UnexpectedResponseError) as info:
        await call(bsg)

    assert info.value.field == "$.bearer"
    assert info.value.http_status == 200
    assert not protected.called


@pytest.mark.parametrize("answer", [[], {"bearer": ""}, {"bearer": 42}, {"bearer": None}])
async def test_login_answer_with_an_unusable_bearer_is_an_unexpected_response(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, answer: Any
) -> None:
    respx_mock.post(f"{ONE_API}/api/auth/login").respond(json=answer)

    with pytest.raises(UnexpectedResponseError):
        await call(bsg)


async def test_refused_login_is_an_authentication_error(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    login = respx_mock.post(f"{ONE_API}/api/auth/login").respond(
        401, json={"message": "Invalid API key"}
    )
    protected = respx_mock.get(f"{ONE_API}{PROTECTED}")

    with pytest.raises(AuthenticationError) as info:
        await call(bsg)

    assert info.value.http_status == 401
    assert login.call_count == 1
    assert not protected.called


# -- refresh before `exp` -----------------------------------------------------------------------


async def test_a_token_inside_the_leeway_is_refreshed_once_for_many_concurrent_calls() -> None:
    server = OneApi(logins=tokens("login", lifetime=30))  # inside the 60 s leeway

    async with one_api_client(server) as bsg:
        await call(bsg)  # logs in; the new token is used as it is
        (first,) = server.accepted
        async with anyio.create_task_group() as group:
            for _ in range(50):
                group.start_soon(call, bsg)

    (refreshed,) = server.accepted - {first}
    assert server.logins == 1
    assert server.refreshed_with == [f"Bearer {first}"]
    assert server.protected_with == [f"Bearer {first}"] + [f"Bearer {refreshed}"] * 50


async def test_an_expired_token_leads_to_a_new_login_not_a_refresh() -> None:
    server = OneApi(logins=tokens("login", lifetime=-10))

    async with one_api_client(server) as bsg:
        await call(bsg)
        await call(bsg)

    assert server.logins == 2
    assert server.refreshed_with == []
    assert len(set(server.protected_with)) == 2


async def test_a_token_without_exp_is_used_until_a_401() -> None:
    server = OneApi(logins=tokens("login", lifetime=None))

    async with one_api_client(server) as bsg:
        for _ in range(3):
            await call(bsg)
        (first,) = server.accepted
        server.accepted.clear()  # the service revokes it
        await call(bsg)

    assert server.logins == 1
    assert server.refreshed_with == [f"Bearer {first}"]
    assert server.protected_with[:4] == [f"Bearer {first}"] * 4
    assert server.protected_with[4] != f"Bearer {first}"


# -- 401: one refresh (or login), one replay ----------------------------------------------------


async def test_a_401_triggers_one_refresh_and_one_replay() -> None:
    server = OneApi()

    async with one_api_client(server) as bsg:
        await call(bsg)
        (first,) = server.accepted
        server.accepted.clear()  # revoked before its `exp`
        assert await call(bsg) == BALANCE

    (second,) = server.accepted
    assert server.logins == 1
    assert server.refreshed_with == [f"Bearer {first}"]
    assert server.protected_with == [f"Bearer {first}", f"Bearer {first}", f"Bearer {second}"]


async def test_a_second_401_raises_authentication_error() -> None:
    server = OneApi(accept_new=False)  # the protected endpoint refuses every token

    async with one_api_client(server) as bsg:
        with pytest.raises(AuthenticationError) as info:
            await call(bsg)

    assert info.value.http_status == 401
    assert server.logins == 1
    assert len(server.refreshed_with) == 1
    assert len(server.protected_with) == 2  # the request and its one replay, no retries


async def test_a_refused_refresh_falls_back_to_a_new_login() -> None:
    server = OneApi(refresh_status=401)

    async with one_api_client(server) as bsg:
        await call(bsg)
        server.accepted.clear()
        assert await call(bsg) == BALANCE

    assert server.logins == 2
    assert len(server.refreshed_with) == 1
    assert len(server.protected_with) == 3


async def test_many_concurrent_401s_share_one_refresh() -> None:
    server = OneApi()

    async with one_api_client(server) as bsg:
        await call(bsg)
        server.accepted.clear()
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(call, bsg)

    assert server.logins == 1
    assert len(server.refreshed_with) == 1
    assert len(server.protected_with) == 1 + 20 + 20


# -- reading `exp` ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        make_jwt(exp=1_900_000_000, subject="a"),  # far ahead: no refresh needed
        make_jwt(exp=None, subject="a"),
        "opaque-token",
        "a.b",
        "a.!!!.c",
        f"x.{b64url({'exp': 'tomorrow'})}.y",
        f"x.{b64url({'exp': True})}.y",
        "x." + base64.urlsafe_b64encode(b"[1, 2]").decode().rstrip("=") + ".y",
        "x." + base64.urlsafe_b64encode(b"not json").decode().rstrip("=") + ".y",
        # An exp past float's range raised OverflowError; NaN or -inf meant a login per request.
        f"x.{b64url({'exp': 10**400})}.y",
        "x." + base64.urlsafe_b64encode(b'{"exp": NaN}').decode().rstrip("=") + ".y",
        "x." + base64.urlsafe_b64encode(b'{"exp": -Infinity}').decode().rstrip("=") + ".y",
        "x." + base64.urlsafe_b64encode(b'{"exp": 1e999}').decode().rstrip("=") + ".y",
    ],
)
async def test_a_token_whose_exp_is_far_or_unreadable_is_kept_without_refresh(token: str) -> None:
    # `exp` is read without verifying the token; one that cannot be read (or is absurd) means
    # "no known expiry": the token is used until the service refuses it, never refreshed early.
    server = OneApi(logins=itertools.repeat(token))

    async with one_api_client(server) as bsg:
        for _ in range(3):
            assert await call(bsg) == BALANCE

    assert server.logins == 1
    assert server.refreshed_with == []
    assert server.protected_with == [f"Bearer {token}"] * 3


# -- legacy API ---------------------------------------------------------------------------------


async def test_legacy_calls_send_the_api_key_and_no_authorization(
    bsg: AsyncBSG, respx_mock: respx.MockRouter
) -> None:
    route = respx_mock.get(f"{BASE}/sms/211").respond(
        json={"error": 0, "id": "211", "status": "sent"}
    )
    login = respx_mock.post(f"{ONE_API}/api/auth/login")

    await bsg.sms.get(211)

    sent = route.calls.last.request
    assert sent.headers["X-API-KEY"] == API_KEY
    assert "Authorization" not in sent.headers
    assert not login.called


async def test_one_api_calls_send_no_api_key_header() -> None:
    server = OneApi()
    seen: list[httpx.Headers] = []

    async def spy(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return await server(request)

    async with AsyncBSG(API_KEY, one_api_url=ONE_API, transport=httpx.MockTransport(spy)) as bsg:
        await call(bsg)

    assert all("X-API-KEY" not in headers for headers in seen)


# -- failures of the token calls themselves -----------------------------------------------------


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("timed out")], ids=type
)
async def test_a_failing_login_is_retried_by_its_own_policy_only(
    failure: Exception, backoff_delays: list[float]
) -> None:
    logins = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal logins
        assert request.url.path == "/api/auth/login", "nothing is sent before a token exists"
        logins += 1
        raise failure

    async with AsyncBSG(
        API_KEY,
        one_api_url=ONE_API,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=3),
    ) as bsg:
        with pytest.raises(TransportError) as info:
            await bsg.one_api_request("POST", "/api/messages/rcs/send", json={}, send=True)

    assert logins == 3
    assert len(backoff_delays) == 2
    assert type(info.value.__cause__) is type(failure)  # a masked copy: no request, no key
    assert str(info.value.__cause__) == str(failure)
    assert info.value.may_have_been_accepted is False  # the send itself never left


async def test_a_refused_refresh_and_a_refused_login_raise_authentication_error() -> None:
    server = OneApi(refresh_status=401)

    async with one_api_client(server) as bsg:
        await call(bsg)
        server.accepted.clear()
        server.refuse_logins = True  # the key was revoked meanwhile
        with pytest.raises(AuthenticationError) as info:
            await call(bsg)

    assert info.value.code == 1
    assert info.value.may_have_been_accepted is False
    assert server.logins == 2
    assert len(server.refreshed_with) == 1
    assert len(server.protected_with) == 2  # the refused call is not replayed without a token


async def test_tasks_waiting_on_a_failed_login_share_its_error_instead_of_a_herd() -> None:
    logins = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal logins
        assert request.url.path == "/api/auth/login", "nothing is sent before a token exists"
        logins += 1
        await anyio.sleep(0.01)  # the other callers queue up behind this login meanwhile
        return httpx.Response(401, json={"message": "Unauthenticated."})

    errors: list[BaseException] = []

    async def call_and_keep_error(bsg: AsyncBSG) -> None:
        try:
            await bsg.one_api_request("GET", PROTECTED)
        except AuthenticationError as error:
            errors.append(error)

    async with (
        AsyncBSG(
            API_KEY,
            one_api_url=ONE_API,
            transport=httpx.MockTransport(handler),
            retry=RetryPolicy(max_attempts=3),
        ) as bsg,
        anyio.create_task_group() as group,
    ):
        for _ in range(50):
            group.start_soon(call_and_keep_error, bsg)

    assert logins == 1  # a refused login is not retried, and nobody queued tries again
    assert len(errors) == 50


async def test_a_caller_after_a_failed_login_tries_again() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json={"bearer": "t2"})])

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/auth/login":
            return next(answers)
        return httpx.Response(200, json=BALANCE)

    async with AsyncBSG(
        API_KEY,
        one_api_url=ONE_API,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=1),
    ) as bsg:
        with pytest.raises(Exception, match="503"):
            await bsg.one_api_request("GET", PROTECTED)
        answer = await bsg.one_api_request("GET", PROTECTED)  # not stuck on the old failure
    assert answer.data == BALANCE
