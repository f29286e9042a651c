"""The API key and every token stay secret: no log record, repr, error or traceback shows them.

Every test turns DEBUG logging on for the root logger and for `bsg_async`, `httpx` and
`httpcore`, drives the client through sends, reads, error paths and the One-API login and
refresh, then searches everything a user could print for the secrets.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import time
import traceback
from typing import Any

import httpx
import pytest

from bsg_async import AsyncBSG, BSGError, Recipient, RetryPolicy, ViberMessage
from bsg_async._auth import ApiKeyAuth, BearerAuth, JwtAuth
from bsg_async._secret import Secret, redact

from .conftest import API_KEY, BASE, ONE_API
from .test_client import serve_http


def jwt(subject: str, lifetime: float) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    claims = {"sub": subject, "exp": int(time.time() + lifetime)}
    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJlLXNlY3JldA"


class Tokens:
    """The tokens of one test, minted when it starts (their `exp` is relative to now)."""

    def __init__(self) -> None:
        # The first token expires inside the 60 s leeway, so the second call refreshes it.
        self.first = jwt("login", 30)
        self.refreshed = jwt("refreshed", 3600)
        self.replaced = jwt("after-401", 3600)


TOKENS = Tokens()  # replaced per test by the `tokens` fixture, read by the helpers below


@pytest.fixture(autouse=True)
def tokens() -> Tokens:
    global TOKENS
    TOKENS = Tokens()
    return TOKENS


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("bsg_async", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def leaks(text: str) -> list[str]:
    """The secrets (or their distinctive halves) found in `text`."""
    found = []
    for secret in (API_KEY, TOKENS.first, TOKENS.refreshed, TOKENS.replaced):
        for piece in (secret, secret[len(secret) // 2 :]):
            if piece in text:
                found.append(piece)
    return found


def assert_logs_clean(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "the test must produce log records to search"
    for record in caplog.records:
        assert leaks(record.getMessage()) == [], record.name
        assert leaks(repr(record.msg)) == [], record.name
        assert leaks(repr(record.args)) == [], record.name


def reachable(error: BaseException) -> list[str]:
    """The text of everything reachable from `error`: itself, its fields and arguments, its
    cause and context chain and theirs, and any request or response one of them holds."""
    texts: list[str] = []
    seen: set[int] = set()
    todo: list[object] = [error]
    while todo:
        item = todo.pop()
        if id(item) in seen or len(seen) > 500:
            continue
        seen.add(id(item))
        texts.append(repr(item))
        if isinstance(item, BaseException):
            texts.append(str(item))
            todo.extend([*item.args, *vars(item).values(), item.__cause__, item.__context__])
            for name in ("request", "response"):
                # httpx raises `RuntimeError` for a request or response never set
                with contextlib.suppress(AttributeError, RuntimeError):
                    todo.append(getattr(item, name))
        elif isinstance(item, httpx.Request | httpx.Response):
            texts.append(repr(item.headers.raw))
            with contextlib.suppress(httpx.RequestNotRead, httpx.ResponseNotRead):
                texts.append(repr(item.content))
        elif isinstance(item, list | tuple | set | frozenset):
            todo.extend(item)
        elif isinstance(item, dict):
            todo.extend([*item.keys(), *item.values()])
    return texts


def assert_error_clean(error: BaseException) -> None:
    assert leaks(str(error)) == []
    assert leaks(repr(error)) == []
    assert leaks("".join(traceback.format_exception(error))) == []
    for text in reachable(error):
        assert leaks(text) == [], text[:200]
    # What Sentry and `pytest -l` show: every frame's locals, through the whole chain.
    shown = traceback.TracebackException.from_exception(error, capture_locals=True)
    assert leaks("".join(shown.format())) == []


class Service:
    """Answers legacy and One-API calls; some answers echo the key, as a careless proxy might."""

    def __init__(self) -> None:
        self.refused_token = (
            TOKENS.refreshed
        )  # the protected call refuses it once, forcing a 401 path

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/api/auth/login":
            return httpx.Response(200, json={"bearer": TOKENS.first})
        if path == "/api/auth/refresh":
            token = request.headers["Authorization"].removeprefix("Bearer ")
            new = TOKENS.refreshed if token == TOKENS.first else TOKENS.replaced
            return httpx.Response(200, json={"bearer": new})
        if path == "/api/accounts/balance":
            token = request.headers["Authorization"].removeprefix("Bearer ")
            if token == self.refused_token:
                self.refused_token = ""
                return httpx.Response(401, json={"message": f"Token {token} revoked"})
            return httpx.Response(200, json={"data": {"balance": 1, "currency": "EUR"}})
        if path == "/rest/sms/create":
            body = json.loads(request.content)
            if body["destination"] == "phone":
                return httpx.Response(
                    200,
                    json={"error": 0, "id": "1", "reference": body["reference"], "price": "0.02"},
                )
            entries = [
                {"error": 0, "reference": p["reference"], "id": "2", "price": "0.02"}
                for p in body["phones"]
            ]
            return httpx.Response(200, json={"result": entries, "error": 0, "task_id": 3})
        if path == "/rest/viber/create":
            return httpx.Response(200, json={"result": [], "error": 0})
        if path.startswith("/rest/viber/reference/"):
            return httpx.Response(
                200, json={"error": 0, "id": "4", "status": "read", "price": "0.023"}
            )
        if path == "/rest/sms/211":
            return httpx.Response(200, json={"error": 0, "id": "211", "status": "sent"})
        if path == "/rest/sms/401":
            return httpx.Response(
                401, json={"error": 1, "errorDescription": f"Invalid API key {API_KEY}"}
            )
        if path == "/rest/sms/403":
            return httpx.Response(403, json={"message": f"Forbidden for key {API_KEY}"})
        if path == "/rest/sms/500":
            return httpx.Response(500, text=f"Internal error, X-API-KEY: {API_KEY}")
        if path == "/rest/sms/html":
            return httpx.Response(200, text=f"<html>debug: headers X-API-KEY={API_KEY}</html>")
        if path == "/rest/sms/reset":
            raise httpx.ReadError("connection reset by peer", request=request)
        if path == "/rest/sms/slow":
            raise httpx.ReadTimeout("timed out", request=request)
        raise AssertionError(path)  # pragma: no cover


async def test_nothing_anyone_can_print_shows_the_key_or_a_token(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    errors: list[BSGError] = []
    bsg = AsyncBSG(
        API_KEY,
        base_url=BASE,
        one_api_url=ONE_API,
        transport=httpx.MockTransport(Service()),
        retry=RetryPolicy(max_attempts=2, base_delay=0.1),
    )
    async with bsg:
        await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
        await bsg.sms.send_bulk(to=["380972000001", "380972000002"], text="x", sender="Shop")
        await bsg.viber.send_messages(
            ViberMessage(to=[Recipient("380972920000", "v1")], text="Hi", sender="BSG")
        )
        await bsg.sms.get(211)
        await bsg.one_api_request("GET", "/api/accounts/balance")  # login: first
        await bsg.one_api_request("GET", "/api/accounts/balance")  # refresh, then a 401
        await bsg.one_api_request("GET", "/api/accounts/balance")
        for message_id in ("401", "403", "500", "html", "reset", "slow"):
            try:
                await bsg.legacy_request("GET", f"/sms/{message_id}")
            except BSGError as error:
                errors.append(error)
        for name in (repr(bsg), str(bsg), repr(bsg._key_auth), repr(bsg._jwt_auth)):
            assert leaks(name) == []
        assert bsg._jwt_auth.token is not None
        assert bsg._jwt_auth.token.reveal() == TOKENS.replaced  # the 401 path really ran

    assert len(errors) == 6
    for error in errors:
        assert_error_clean(error)
    assert_logs_clean(debug_logs)
    assert any(r.name == "bsg_async" for r in debug_logs.records)
    assert any(r.name == "httpx" for r in debug_logs.records)


async def test_error_descriptions_that_echo_the_key_are_masked(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    bsg = AsyncBSG(API_KEY, base_url=BASE, transport=httpx.MockTransport(Service()))
    async with bsg:
        with pytest.raises(BSGError) as info:
            await bsg.legacy_request("GET", "/sms/401")

    assert "[secure]" in str(info.value)
    assert_error_clean(info.value)


async def test_a_non_json_body_that_echoes_the_key_is_masked_in_the_error(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    bsg = AsyncBSG(API_KEY, base_url=BASE, transport=httpx.MockTransport(Service()))
    async with bsg:
        with pytest.raises(BSGError) as info:
            await bsg.legacy_request("GET", "/sms/html")

    body = getattr(info.value, "body", None)
    assert body is not None
    assert "X-API-KEY=[secure]" in body
    assert_error_clean(info.value)


async def test_real_sockets_with_httpcore_debug_logs_show_no_secret(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    def answer(path: str) -> bytes:
        if path == "/api/auth/login":
            return json.dumps({"bearer": TOKENS.first}).encode()
        if path == "/api/auth/refresh":
            return json.dumps({"bearer": TOKENS.refreshed}).encode()
        if path.startswith("/api/"):
            return b'{"data": {"balance": 1}}'
        if path == "/rest/sms/create":
            return b'{"error": 0, "id": "1", "price": "0.02"}'
        return b'{"error": 0, "id": "211", "status": "sent"}'

    async with (
        serve_http(answer) as url,
        AsyncBSG(API_KEY, base_url=url + "/rest", one_api_url=url) as bsg,
    ):
        await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
        await bsg.sms.get(211)
        await bsg.one_api_request("GET", "/api/accounts/balance")  # login
        await bsg.one_api_request("GET", "/api/accounts/balance")  # refresh

    assert any(r.name.startswith("httpcore") for r in debug_logs.records)
    assert_logs_clean(debug_logs)


async def test_transport_errors_from_a_dead_port_show_no_secret(
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    async with serve_http() as url:
        pass  # the port is closed again: connections are refused

    async with AsyncBSG(
        API_KEY, base_url=url + "/rest", one_api_url=url, retry=RetryPolicy(max_attempts=2)
    ) as bsg:
        with pytest.raises(BSGError) as legacy:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")
        with pytest.raises(BSGError) as one_api:
            await bsg.one_api_request("GET", "/api/accounts/balance")

    assert legacy.value.may_have_been_accepted is False
    assert_error_clean(legacy.value)
    assert_error_clean(one_api.value)
    assert_logs_clean(debug_logs)


def test_secret_and_auth_reprs_are_masked() -> None:
    secret = Secret(API_KEY)
    shown = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        repr([secret]),
        repr(ApiKeyAuth(secret)),
        repr(BearerAuth(Secret(TOKENS.first))),
        repr(JwtAuth(login=None, refresh=None)),  # type: ignore[arg-type]
    ]

    assert all(leaks(text) == [] for text in shown)
    assert secret.reveal() == API_KEY
    assert secret == Secret(API_KEY)
    assert secret != Secret(TOKENS.first)
    assert (secret == API_KEY) is False  # never equal to the bare string
    assert hash(secret) == hash(Secret(API_KEY))


def test_a_secret_cannot_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError, match="pickled"):
        pickle.dumps(Secret(API_KEY))


def test_redact_masks_every_given_secret() -> None:
    text = f"key={API_KEY} token={TOKENS.first}"

    masked = redact(text, Secret(API_KEY), None, Secret(""), Secret(TOKENS.first))

    assert masked == "key=[secure] token=[secure]"


def test_a_malformed_key_is_not_echoed_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # From the environment, so that no frame of the test holds the key either.
    monkeypatch.setenv("BSG_API_KEY", API_KEY + " ")

    with pytest.raises(BSGError) as info:
        AsyncBSG()

    assert_error_clean(info.value)


def made_with_the_key(**option: Any) -> BSGError:
    """The error of `AsyncBSG(API_KEY, **option)`, made where no frame's local holds the key
    (the key is a temporary of the call), so only the SDK's frames could show it."""
    try:
        AsyncBSG(API_KEY[:8] + API_KEY[8:], **option)
    except BSGError as error:
        return error
    raise AssertionError("expected an error")  # pragma: no cover


@pytest.mark.parametrize("option", [{"timeout": -1}, {"base_url": "ftp://x"}])
def test_a_bad_option_does_not_show_the_key_in_the_traceback(option: dict[str, Any]) -> None:
    assert_error_clean(made_with_the_key(**option))


BAD_TOKEN = "a token with spaces " + "x" * 40


def failing_service(failure: type[httpx.RequestError], path: str) -> Any:
    """Answers like `Service`, but every request to `path` fails with `failure`, the way
    httpx's transports raise it: holding the request and so its credentials."""
    service = Service()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == path:
            raise failure("the connection failed", request=request)
        return service(request)

    return handler


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ReadError, httpx.ReadTimeout])
async def test_a_legacy_send_without_answer_shows_no_key_anywhere(
    failure: type[httpx.RequestError],
) -> None:
    async with AsyncBSG(
        API_KEY,
        base_url=BASE,
        transport=httpx.MockTransport(failing_service(failure, "/rest/sms/create")),
        retry=RetryPolicy(max_attempts=2),
    ) as bsg:
        with pytest.raises(BSGError) as info:
            await bsg.sms.send(to="380501234567", text="Hi", sender="Shop")

    assert_error_clean(info.value)


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ReadTimeout])
async def test_a_one_api_call_without_answer_shows_no_token_anywhere(
    failure: type[httpx.RequestError],
) -> None:
    async with AsyncBSG(
        API_KEY,
        one_api_url=ONE_API,
        transport=httpx.MockTransport(failing_service(failure, "/api/accounts/balance")),
        retry=RetryPolicy(max_attempts=1),
    ) as bsg:
        with pytest.raises(BSGError) as info:
            await bsg.account.balance()

    assert_error_clean(info.value)


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ReadError])
async def test_a_login_without_answer_shows_neither_the_key_nor_the_login_body(
    failure: type[httpx.RequestError],
) -> None:
    async with AsyncBSG(
        API_KEY,
        one_api_url=ONE_API,
        transport=httpx.MockTransport(failing_service(failure, "/api/auth/login")),
        retry=RetryPolicy(max_attempts=1),
    ) as bsg:
        with pytest.raises(BSGError) as info:
            await bsg.account.balance()

    assert_error_clean(info.value)


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(401, json={"message": "Unauthenticated."}),
        httpx.Response(500, text="upstream failed"),
        httpx.Response(200, json={"bearer": BAD_TOKEN}),
    ],
    ids=["refused", "server-error", "bad-token"],
)
async def test_a_failed_login_shows_neither_the_key_nor_a_token(answer: httpx.Response) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return answer

    async with AsyncBSG(
        API_KEY,
        one_api_url=ONE_API,
        transport=httpx.MockTransport(handler),
        retry=RetryPolicy(max_attempts=1),
    ) as bsg:
        with pytest.raises(BSGError) as info:
            await bsg.account.balance()

    assert_error_clean(info.value)
    shown = "".join(
        traceback.TracebackException.from_exception(info.value, capture_locals=True).format()
    )
    assert BAD_TOKEN[-40:] not in shown
