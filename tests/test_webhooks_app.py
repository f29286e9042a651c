"""`RcsWebhookApp` end to end: through `httpx.ASGITransport`, raw ASGI, a real uvicorn server on
127.0.0.1, and mounted under FastAPI and Starlette exactly as the webhooks guide shows."""

from __future__ import annotations

import hmac
import json
import logging
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from bsg_async.errors import InvalidParameterError
from bsg_async.webhooks import (
    MemoryIdempotencyStore,
    RcsClick,
    RcsReport,
    RcsStatus,
    RcsWebhookApp,
    parse_rcs_report,
)

from .test_webhooks_parse import DOCUMENTED_CLICK, DOCUMENTED_REPORT, report_dict

SECRET = "wh_9c1f0e7d2b4a4c6e8f1a3b5d7e9f0a2c"
JSON = {"content-type": "application/json"}


class Recorder:
    """An async handler that records what it was given, and can be told to fail."""

    def __init__(self, fail_on: Callable[[Any], bool] = lambda _: False) -> None:
        self.calls: list[Any] = []
        self.fail_on = fail_on

    async def __call__(self, event: Any) -> None:
        self.calls.append(event)
        if self.fail_on(event):
            raise RuntimeError(f"handler broke on {event.id}")


def client_for(
    app: Any, *, peer: tuple[str, int] = ("127.0.0.1", 40000), base: str = "http://hook.test"
) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=peer), base_url=base)


async def post(
    app: Any,
    content: bytes | str = DOCUMENTED_REPORT,
    *,
    path: str = "/rcs",
    headers: dict[str, str] | None = None,
    peer: tuple[str, int] = ("127.0.0.1", 40000),
) -> httpx.Response:
    async with client_for(app, peer=peer) as client:
        return await client.post(
            path, content=content, headers=JSON if headers is None else headers
        )


# -- raw ASGI -----------------------------------------------------------------------------------


def http_scope(
    *,
    method: str = "POST",
    path: str = "/rcs",
    headers: Sequence[tuple[bytes, bytes]] = ((b"content-type", b"application/json"),),
    client: tuple[str, int] | None = ("127.0.0.1", 40000),
    query: bytes = b"",
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": list(headers),
        "client": client,
        "server": ("hook.test", 80),
    }


class Conversation:
    """Feeds `incoming` to an ASGI app one by one and records what it sends and receives."""

    def __init__(self, incoming: Sequence[dict[str, Any]]) -> None:
        self.incoming = list(incoming)
        self.received = 0
        self.sent: list[dict[str, Any]] = []

    async def receive(self) -> dict[str, Any]:
        if self.received >= len(self.incoming):
            raise AssertionError("the app read past the last message")
        self.received += 1
        return self.incoming[self.received - 1]

    async def send(self, message: Any) -> None:
        self.sent.append(dict(message))

    async def run(self, app: RcsWebhookApp, scope: dict[str, Any]) -> None:
        with anyio.fail_after(5):
            await app(scope, self.receive, self.send)

    @property
    def status(self) -> int:
        return int(self.sent[0]["status"])


def chunks(data: bytes, size: int) -> list[dict[str, Any]]:
    pieces = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    return [
        {"type": "http.request", "body": piece, "more_body": index < len(pieces) - 1}
        for index, piece in enumerate(pieces)
    ]


# -- 200 ----------------------------------------------------------------------------------------


async def test_documented_report_is_handed_over_and_answered_200() -> None:
    handler = Recorder()

    response = await post(RcsWebhookApp(handler))

    assert response.status_code == 200
    assert response.json() == {"received": 1, "duplicates": 0}
    assert handler.calls == [parse_rcs_report(DOCUMENTED_REPORT)]


@pytest.mark.parametrize("wire_id", ["3266500452", 3266500452])
@pytest.mark.parametrize("status", ["DELIVERED", "delivered"])
async def test_string_and_integer_ids_in_any_case_arrive_typed(
    wire_id: object, status: str
) -> None:
    handler = Recorder()

    response = await post(
        RcsWebhookApp(handler), json.dumps(report_dict(id=wire_id, status=status))
    )

    assert response.status_code == 200
    (report,) = handler.calls
    assert report.id == 3266500452
    assert report.status is RcsStatus.DELIVERED


async def test_list_body_gives_each_report_in_order() -> None:
    handler = Recorder()
    body = json.dumps([report_dict(id=str(n), status=s) for n, s in [(1, "sent"), (2, "READ")]])

    response = await post(RcsWebhookApp(handler), body)

    assert response.status_code == 200
    assert response.json() == {"received": 2, "duplicates": 0}
    assert [(r.id, r.status) for r in handler.calls] == [(1, RcsStatus.SENT), (2, RcsStatus.READ)]


async def test_unknown_status_is_handed_over_raw() -> None:
    handler = Recorder()

    response = await post(RcsWebhookApp(handler), json.dumps(report_dict(status="recalled")))

    assert response.status_code == 200
    assert handler.calls[0].status == "recalled"
    assert not handler.calls[0].status_known


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        'Application/JSON;charset="UTF-8"',
        "application/vnd.bsg+json",
        "text/json",
    ],
)
async def test_json_content_types_and_a_missing_one_are_accepted(content_type: str | None) -> None:
    handler = Recorder()
    headers = {} if content_type is None else {"content-type": content_type}

    response = await post(RcsWebhookApp(handler), headers=headers)

    assert response.status_code == 200
    assert len(handler.calls) == 1


async def test_timezone_option_reaches_the_report() -> None:
    handler = Recorder()
    zone = timezone(timedelta(hours=2))

    await post(RcsWebhookApp(handler, timezone=zone))

    assert handler.calls[0].time_dr == datetime(2024, 8, 22, 11, 47, 53, tzinfo=zone)


async def test_body_split_into_many_chunks_is_reassembled() -> None:
    handler = Recorder()
    talk = Conversation(chunks(DOCUMENTED_REPORT.encode(), 7))

    await talk.run(RcsWebhookApp(handler), http_scope())

    assert talk.status == 200
    assert handler.calls == [parse_rcs_report(DOCUMENTED_REPORT)]


# -- 400 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (b"not json", "body"),
        (b"\xff\xfe\x00", "body"),
        (b'{"status": "delivered"}', "id"),
        (b'{"id": "1"}', "status"),
        (b'{"id": "x1", "status": "sent"}', "id"),
        (b'{"id": 1, "status": "sent", "price": "1,1"}', "price"),
        (b'[{"id": 1, "status": "sent"}, {"id": 2}]', "[1].status"),
        (b'"a string"', "body"),
    ],
)
async def test_bad_payload_is_400_with_a_json_error_and_no_handler_call(
    content: bytes, field: str
) -> None:
    handler = Recorder()

    response = await post(RcsWebhookApp(handler), content)

    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json()["field"] == field
    assert isinstance(response.json()["error"], str)
    assert response.json()["error"]
    assert handler.calls == []


async def test_one_bad_item_stops_the_whole_list_before_any_handler_call() -> None:
    handler = Recorder()

    response = await post(RcsWebhookApp(handler), json.dumps([report_dict(), {"id": 2}]))

    assert response.status_code == 400
    assert handler.calls == []


async def test_nesting_beyond_the_limit_is_400() -> None:
    body = '{"id": 1, "status": "sent", "x": ' + "[" * 5 + "]" * 5 + "}"

    response = await post(RcsWebhookApp(Recorder(), max_depth=4), body)

    assert response.status_code == 400
    assert response.json()["field"] == "body"


async def test_invalid_content_length_is_400() -> None:
    talk = Conversation(chunks(b"{}", 10))
    scope = http_scope(headers=[(b"content-length", b"12abc")])

    await talk.run(RcsWebhookApp(Recorder()), scope)

    assert talk.status == 400
    assert json.loads(talk.sent[1]["body"])["field"] == "content-length"


# -- clicks -------------------------------------------------------------------------------------


async def test_click_goes_to_the_click_handler() -> None:
    reports, clicks = Recorder(), Recorder()

    response = await post(RcsWebhookApp(reports, on_click=clicks), DOCUMENTED_CLICK)

    assert response.status_code == 200
    assert reports.calls == []
    assert [(c.id, c.postback) for c in clicks.calls] == [(3266500452, "confirm_yes")]
    assert isinstance(clicks.calls[0], RcsClick)


async def test_click_without_a_click_handler_is_400() -> None:
    reports = Recorder()

    response = await post(RcsWebhookApp(reports), DOCUMENTED_CLICK)

    assert response.status_code == 400
    assert response.json()["field"] == "postback"
    assert reports.calls == []


async def test_a_click_in_a_list_without_a_click_handler_stops_the_list() -> None:
    reports = Recorder()
    body = json.dumps([report_dict(), json.loads(DOCUMENTED_CLICK)])

    response = await post(RcsWebhookApp(reports), body)

    assert response.status_code == 400
    assert response.json()["field"] == "[1].postback"
    assert reports.calls == []


# -- 405, 413, 415 ------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_other_methods_are_405_with_allow_post(method: str) -> None:
    handler = Recorder()

    async with client_for(RcsWebhookApp(handler)) as client:
        response = await client.request(method, "/rcs", content=DOCUMENTED_REPORT, headers=JSON)

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert handler.calls == []


async def test_declared_length_over_the_limit_is_413_without_reading_the_body() -> None:
    talk = Conversation(chunks(b"x" * 200, 50))
    scope = http_scope(headers=[(b"content-length", b"200")])

    await talk.run(RcsWebhookApp(Recorder(), max_body_size=100), scope)

    assert talk.status == 413
    assert talk.received == 0


async def test_absurd_content_length_is_413() -> None:
    talk = Conversation(chunks(b"{}", 10))
    scope = http_scope(headers=[(b"content-length", b"9" * 5000)])

    await talk.run(RcsWebhookApp(Recorder()), scope)

    assert talk.status == 413
    assert talk.received == 0


async def test_streamed_body_over_the_limit_is_413_and_reading_stops_early() -> None:
    handler = Recorder()
    talk = Conversation(chunks(b"x" * 1000, 40))  # 25 chunks, no Content-Length

    await talk.run(RcsWebhookApp(handler, max_body_size=100), http_scope())

    assert talk.status == 413
    assert talk.received == 3  # 120 bytes read: over the limit, the rest is left alone
    assert handler.calls == []


async def test_default_limit_is_64_kib_through_httpx() -> None:
    handler = Recorder()
    big = json.dumps(report_dict(reference="x" * 65_536))

    async def stream() -> AsyncIterator[bytes]:  # chunked: no Content-Length
        for start in range(0, len(big), 4096):
            yield big[start : start + 4096].encode()

    async with client_for(RcsWebhookApp(handler)) as client:
        declared = await client.post("/rcs", content=big, headers=JSON)
        streamed = await client.post("/rcs", content=stream(), headers=JSON)

    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert declared.json() == {"error": "the body is too large", "field": "body"}
    assert handler.calls == []


async def test_body_exactly_at_the_limit_is_accepted() -> None:
    handler = Recorder()
    body = DOCUMENTED_REPORT.encode()

    response = await post(RcsWebhookApp(handler, max_body_size=len(body)), body)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
async def test_non_json_content_type_is_415(content_type: str) -> None:
    handler = Recorder()

    response = await post(RcsWebhookApp(handler), headers={"content-type": content_type})

    assert response.status_code == 415
    assert response.json()["field"] == "content-type"
    assert handler.calls == []


# -- 500 ----------------------------------------------------------------------------------------


async def test_handler_error_is_500_and_logged_without_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = Recorder(fail_on=lambda _: True)
    caplog.set_level(logging.DEBUG, logger="bsg_async")

    response = await post(RcsWebhookApp(handler, secret=SECRET), path=f"/rcs/{SECRET}")

    assert response.status_code == 500
    assert response.json() == {"error": "the callback handler failed", "field": None}
    assert "handler broke on 3266500452" not in response.text
    failure = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(failure) == 1
    assert failure[0].exc_info is not None
    assert "3266500452" in failure[0].getMessage()
    ours = [r for r in caplog.records if r.name.startswith("bsg_async")]
    assert all(SECRET not in logging.Formatter().format(r) for r in ours)


async def test_handler_error_on_a_later_item_is_500_after_the_earlier_ones() -> None:
    handler = Recorder(fail_on=lambda report: report.id == 2)
    body = json.dumps([report_dict(id=n) for n in (1, 2, 3)])

    response = await post(RcsWebhookApp(handler), body)

    assert response.status_code == 500
    assert [r.id for r in handler.calls] == [1, 2]


async def test_cancellation_of_the_handler_is_not_answered_500() -> None:
    async def hang(_: RcsReport) -> None:
        await anyio.sleep_forever()

    talk = Conversation(chunks(DOCUMENTED_REPORT.encode(), 1000))
    with anyio.move_on_after(0.05) as scope:
        await RcsWebhookApp(hang)(http_scope(), talk.receive, talk.send)

    assert scope.cancelled_caught
    assert talk.sent == []


# -- secret -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [f"/rcs/{SECRET}", f"/rcs/{SECRET}/", f"/hooks/bsg/{SECRET}", f"/rcs?secret={SECRET}"]
)
async def test_secret_in_the_last_path_segment_or_the_query_is_accepted(path: str) -> None:
    handler = Recorder()

    response = await post(RcsWebhookApp(handler, secret=SECRET), path=path)

    assert response.status_code == 200
    assert len(handler.calls) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/rcs",
        "/rcs/",
        f"/rcs/{SECRET[:-1]}",
        f"/rcs/{SECRET}x",
        f"/{SECRET}/rcs",
        "/rcs?secret=",
        f"/rcs?token={SECRET}",
        f"/rcs?secret={SECRET.upper()}",
    ],
)
async def test_wrong_or_missing_secret_is_404_and_echoes_nothing(path: str) -> None:
    handler = Recorder()

    response = await post(RcsWebhookApp(handler, secret=SECRET), path=path)

    assert response.status_code == 404
    assert response.json() == {"error": "not found", "field": None}
    assert handler.calls == []


async def test_wrong_secret_is_404_even_for_other_methods() -> None:
    async with client_for(RcsWebhookApp(Recorder(), secret=SECRET)) as client:
        response = await client.get("/rcs/guess")

    assert response.status_code == 404


async def test_custom_query_parameter_carries_the_secret() -> None:
    app = RcsWebhookApp(Recorder(), secret=SECRET, secret_param="token")

    assert (await post(app, path=f"/rcs?token={SECRET}")).status_code == 200
    assert (await post(app, path=f"/rcs?secret={SECRET}")).status_code == 404


async def test_query_secret_can_be_switched_off() -> None:
    app = RcsWebhookApp(Recorder(), secret=SECRET, secret_param=None)

    assert (await post(app, path=f"/rcs?secret={SECRET}")).status_code == 404
    assert (await post(app, path=f"/rcs/{SECRET}")).status_code == 200


async def test_percent_encoded_secret_matches() -> None:
    app = RcsWebhookApp(Recorder(), secret="s3/cr+t é")

    assert (await post(app, path="/rcs?secret=s3%2Fcr%2Bt%20%C3%A9")).status_code == 200


async def test_secret_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)

    response = await post(RcsWebhookApp(Recorder(), secret=SECRET), path="/rcs/guess")

    assert response.status_code == 404
    assert (b"guess", SECRET.encode()) in compared


async def test_secret_never_reaches_logs_or_answers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bsg_async")
    app = RcsWebhookApp(Recorder(), secret=SECRET)
    answers = [
        await post(app, b"not json", path=f"/rcs/{SECRET}"),
        await post(app, path=f"/rcs?secret={SECRET}", headers={"content-type": "text/plain"}),
        await post(app, path=f"/rcs/{SECRET}"),
    ]
    async with client_for(app) as client:
        answers.append(await client.get(f"/rcs/{SECRET}"))

    assert [a.status_code for a in answers] == [400, 415, 200, 405]
    assert all(SECRET not in a.text and SECRET not in str(a.headers) for a in answers)
    ours = [r for r in caplog.records if r.name.startswith("bsg_async")]
    assert len(ours) >= 4  # one line per answer at DEBUG
    assert all(SECRET not in r.getMessage() for r in ours)
    assert SECRET not in repr(app)
    assert "[secure]" in repr(app)


# -- source allow-list and trusted proxies ------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "status"),
    [
        ("203.0.113.7", 200),
        ("203.0.113.255", 200),
        ("198.51.100.1", 200),
        ("::ffff:203.0.113.7", 200),
        ("2001:db8::42", 200),
        ("203.0.114.1", 403),
        ("198.51.100.2", 403),
        ("2001:db9::1", 403),
        ("not-an-ip", 403),
    ],
)
async def test_allow_list_admits_only_its_networks(peer: str, status: int) -> None:
    handler = Recorder()
    app = RcsWebhookApp(
        handler, allowed_networks=["203.0.113.0/24", "198.51.100.1", "2001:db8::/32"]
    )

    response = await post(app, peer=(peer, 5555))

    assert response.status_code == status
    assert len(handler.calls) == (1 if status == 200 else 0)
    if status == 403:
        assert response.json() == {"error": "forbidden", "field": None}


async def test_allow_list_refuses_a_request_without_a_peer_address() -> None:
    talk = Conversation(chunks(DOCUMENTED_REPORT.encode(), 1000))

    await talk.run(
        RcsWebhookApp(Recorder(), allowed_networks=["0.0.0.0/0"]), http_scope(client=None)
    )

    assert talk.status == 403


async def test_forwarded_header_from_an_untrusted_peer_is_ignored() -> None:
    app = RcsWebhookApp(Recorder(), allowed_networks=["203.0.113.0/24"])

    response = await post(
        app, headers={**JSON, "x-forwarded-for": "203.0.113.7"}, peer=("192.0.2.50", 1)
    )

    assert response.status_code == 403


async def test_forwarded_header_from_a_trusted_proxy_gives_the_source() -> None:
    handler = Recorder()
    app = RcsWebhookApp(
        handler, allowed_networks=["203.0.113.0/24"], trusted_proxies=["10.0.0.0/8"]
    )

    allowed = await post(
        app, headers={**JSON, "x-forwarded-for": "203.0.113.7"}, peer=("10.0.0.2", 1)
    )
    refused = await post(
        app, headers={**JSON, "x-forwarded-for": "192.0.2.9"}, peer=("10.0.0.2", 1)
    )

    assert (allowed.status_code, refused.status_code) == (200, 403)
    assert len(handler.calls) == 1


@pytest.mark.parametrize(
    ("forwarded", "status"),
    [
        ("192.0.2.66, 203.0.113.7, 10.1.1.1", 200),  # the spoofable left part is not trusted
        ("203.0.113.7, 192.0.2.66", 403),  # the nearest untrusted hop is the source
        ("203.0.113.7, 10.9.9.9, 10.1.1.1", 200),  # a chain of trusted proxies is skipped
        ("garbage, 203.0.113.7", 200),
        ("[2001:db8::7]:443", 200),  # a bracketed IPv6 address with a port
        ("::ffff:203.0.113.7", 200),
        ("203.0.113.7, garbage", 403),  # an unreadable hop: the source is unknown
        ("10.1.1.1", 403),  # every hop is a proxy: the first one is the source
        ("", 403),  # empty header: the proxy itself is the source
    ],
)
async def test_forwarded_chain_is_read_from_the_right(forwarded: str, status: int) -> None:
    app = RcsWebhookApp(
        Recorder(),
        allowed_networks=["203.0.113.0/24", "2001:db8::/32"],
        trusted_proxies=["10.0.0.0/8"],
    )

    response = await post(app, headers={**JSON, "x-forwarded-for": forwarded}, peer=("10.0.0.2", 1))

    assert response.status_code == status


async def test_missing_forwarded_header_uses_the_proxy_address() -> None:
    app = RcsWebhookApp(Recorder(), allowed_networks=["10.0.0.2"], trusted_proxies=["10.0.0.0/8"])

    assert (await post(app, peer=("10.0.0.2", 1))).status_code == 200


async def test_forwarded_header_name_is_configurable() -> None:
    app = RcsWebhookApp(
        Recorder(),
        allowed_networks=["203.0.113.0/24"],
        trusted_proxies=["127.0.0.1"],
        forwarded_header="X-Real-IP",
    )

    real_ip = await post(app, headers={**JSON, "x-real-ip": "203.0.113.7"})
    forwarded_for = await post(app, headers={**JSON, "x-forwarded-for": "203.0.113.7"})

    assert (real_ip.status_code, forwarded_for.status_code) == (200, 403)


async def test_repeated_forwarded_headers_are_one_chain() -> None:
    app = RcsWebhookApp(
        Recorder(), allowed_networks=["203.0.113.0/24"], trusted_proxies=["10.0.0.0/8"]
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"x-forwarded-for", b"203.0.113.7"),
        (b"x-forwarded-for", b"10.3.3.3"),
    ]
    talk = Conversation(chunks(DOCUMENTED_REPORT.encode(), 1000))

    await talk.run(app, http_scope(headers=headers, client=("10.0.0.2", 1)))

    assert talk.status == 200


async def test_allow_list_is_checked_before_the_secret() -> None:
    app = RcsWebhookApp(Recorder(), secret=SECRET, allowed_networks=["203.0.113.0/24"])

    response = await post(app, path=f"/rcs/{SECRET}", peer=("192.0.2.1", 1))

    assert response.status_code == 403


# -- idempotency in the app ---------------------------------------------------------------------


async def test_duplicate_delivery_is_200_without_a_second_handler_call() -> None:
    handler = Recorder()
    app = RcsWebhookApp(handler, idempotency=MemoryIdempotencyStore())

    first = await post(app)
    again = await post(app, json.dumps(report_dict(id=3266500452, status="DELIVERED")))

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == {"received": 1, "duplicates": 1}
    assert len(handler.calls) == 1


async def test_a_new_status_of_the_same_message_is_not_a_duplicate() -> None:
    handler = Recorder()
    app = RcsWebhookApp(handler, idempotency=MemoryIdempotencyStore())

    await post(app, json.dumps(report_dict(status="delivered")))
    await post(app, json.dumps(report_dict(status="read")))

    assert [r.status for r in handler.calls] == [RcsStatus.DELIVERED, RcsStatus.READ]


async def test_redelivery_after_a_handler_error_is_handled_again() -> None:
    failures = iter([True, False])
    handler = Recorder(fail_on=lambda _: next(failures))
    app = RcsWebhookApp(handler, idempotency=MemoryIdempotencyStore())

    first = await post(app)
    again = await post(app)

    assert (first.status_code, again.status_code) == (500, 200)
    assert again.json() == {"received": 1, "duplicates": 0}
    assert len(handler.calls) == 2


async def test_redelivered_list_skips_the_items_already_handled() -> None:
    failures = iter([False, True, False, False])
    handler = Recorder(fail_on=lambda _: next(failures))
    app = RcsWebhookApp(handler, idempotency=MemoryIdempotencyStore())
    body = json.dumps([report_dict(id=n) for n in (1, 2, 3)])

    first = await post(app, body)
    again = await post(app, body)

    assert (first.status_code, again.status_code) == (500, 200)
    assert again.json() == {"received": 3, "duplicates": 1}
    assert [r.id for r in handler.calls] == [1, 2, 2, 3]


async def test_duplicate_click_is_handled_once() -> None:
    clicks = Recorder()
    app = RcsWebhookApp(Recorder(), on_click=clicks, idempotency=MemoryIdempotencyStore())

    await post(app, DOCUMENTED_CLICK)
    again = await post(app, DOCUMENTED_CLICK)

    assert again.json() == {"received": 1, "duplicates": 1}
    assert len(clicks.calls) == 1


# -- lifespan, websocket, disconnect ------------------------------------------------------------


async def test_lifespan_startup_and_shutdown_are_acknowledged() -> None:
    talk = Conversation([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    await talk.run(RcsWebhookApp(Recorder()), {"type": "lifespan", "asgi": {"version": "3.0"}})

    assert talk.sent == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.complete"},
    ]


async def test_websocket_is_closed() -> None:
    talk = Conversation([{"type": "websocket.connect"}])

    await talk.run(RcsWebhookApp(Recorder()), {"type": "websocket", "path": "/rcs"})

    assert talk.sent == [{"type": "websocket.close", "code": 1008}]


async def test_unknown_lifespan_messages_are_skipped() -> None:
    talk = Conversation([{"type": "lifespan.custom"}, {"type": "lifespan.shutdown"}])

    await talk.run(RcsWebhookApp(Recorder()), {"type": "lifespan"})

    assert talk.sent == [{"type": "lifespan.shutdown.complete"}]


async def test_unknown_scope_type_raises_as_asgi_asks() -> None:
    talk = Conversation([])

    with pytest.raises(RuntimeError, match="scope type 'telepathy'"):
        await talk.run(RcsWebhookApp(Recorder()), {"type": "telepathy"})


async def test_disconnect_while_reading_calls_nothing_and_answers_nothing() -> None:
    handler = Recorder()
    talk = Conversation(
        [
            {"type": "http.request", "body": DOCUMENTED_REPORT.encode()[:10], "more_body": True},
            {"type": "http.disconnect"},
        ]
    )

    await talk.run(RcsWebhookApp(handler), http_scope())

    assert talk.sent == []
    assert handler.calls == []


# -- options ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"allowed_networks": ["203.0.113.0/33"]}, "allowed_networks"),
        ({"allowed_networks": ["example.com"]}, "allowed_networks"),
        ({"allowed_networks": 5}, "allowed_networks"),
        ({"trusted_proxies": ["10.0.0.0/8", None]}, "trusted_proxies"),
        ({"secret": ""}, "secret"),
        ({"secret_param": ""}, "secret_param"),
        ({"forwarded_header": ""}, "forwarded_header"),
        ({"max_body_size": 0}, "max_body_size"),
        ({"max_body_size": True}, "max_body_size"),
        ({"max_depth": 0}, "max_depth"),
        ({"on_click": "not callable"}, "on_click"),
    ],
)
def test_bad_option_is_an_invalid_parameter(options: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        RcsWebhookApp(Recorder(), **options)

    assert caught.value.field == field


def test_handler_must_be_callable() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        RcsWebhookApp("handler")  # type: ignore[arg-type]

    assert caught.value.field == "handler"


async def test_a_single_network_string_is_one_network() -> None:
    app = RcsWebhookApp(Recorder(), allowed_networks="203.0.113.0/24")

    assert (await post(app, peer=("203.0.113.9", 1))).status_code == 200
    assert (await post(app, peer=("192.0.2.1", 1))).status_code == 403


def test_empty_secret_is_not_echoed_in_the_error() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        RcsWebhookApp(Recorder(), secret="")

    assert "[secure]" in str(caught.value)


# -- a real server ------------------------------------------------------------------------------


async def test_real_uvicorn_server_on_localhost() -> None:
    import uvicorn

    handler = Recorder()
    app = RcsWebhookApp(handler, secret=SECRET, allowed_networks=["127.0.0.1"])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="on", http="h11", ws="none")
    server = uvicorn.Server(config)
    base = f"http://127.0.0.1:{port}"

    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(server.serve, [sock])
            with anyio.fail_after(10):
                while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, no event
                    await anyio.sleep(0.01)
                async with httpx.AsyncClient(base_url=base, trust_env=False) as client:
                    ok = await client.post(
                        f"/bsg/rcs/{SECRET}", content=DOCUMENTED_REPORT, headers=JSON
                    )
                    hidden = await client.post(
                        "/bsg/rcs/guess", content=DOCUMENTED_REPORT, headers=JSON
                    )
                    bad = await client.post(f"/bsg/rcs/{SECRET}", content=b"{", headers=JSON)
                    wrong_method = await client.get(f"/bsg/rcs/{SECRET}")
                server.should_exit = True
    finally:
        sock.close()

    assert [r.status_code for r in (ok, hidden, bad, wrong_method)] == [200, 404, 400, 405]
    assert handler.calls == [parse_rcs_report(DOCUMENTED_REPORT)]


# -- the webhooks guide's examples -------------------------------------------------------------

FASTAPI_EXAMPLE = """\
import os

from fastapi import FastAPI

from bsg_async.webhooks import MemoryIdempotencyStore, RcsReport, RcsWebhookApp

received: list[RcsReport] = []


async def on_report(report: RcsReport) -> None:
    received.append(report)  # store it, update the order, enqueue a job...


app = FastAPI()
# Callback URL for RCS in your BSG account: https://shop.example/bsg/rcs/<the secret>
app.mount(
    "/bsg/rcs",
    RcsWebhookApp(
        on_report,
        secret=os.environ["BSG_WEBHOOK_SECRET"],
        idempotency=MemoryIdempotencyStore(max_keys=100_000),
    ),
)
"""

STARLETTE_EXAMPLE = """\
import os

from starlette.applications import Starlette
from starlette.routing import Mount

from bsg_async.webhooks import RcsClick, RcsReport, RcsWebhookApp

reports: list[RcsReport] = []
clicks: list[RcsClick] = []


async def on_report(report: RcsReport) -> None:
    reports.append(report)


async def on_click(click: RcsClick) -> None:
    clicks.append(click)  # click.postback is the button's postback_data


webhook = RcsWebhookApp(
    on_report,
    on_click=on_click,
    # Callback URL: https://shop.example/bsg/rcs/?token=<the secret>
    secret=os.environ["BSG_WEBHOOK_SECRET"],
    secret_param="token",
    allowed_networks=["203.0.113.0/24"],  # the addresses BSG calls from (ask BSG support)
    trusted_proxies=["10.0.0.0/8"],  # your load balancer, which sets X-Forwarded-For
)
app = Starlette(routes=[Mount("/bsg/rcs", app=webhook)])
"""


def run_example(source: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("BSG_WEBHOOK_SECRET", SECRET)
    namespace: dict[str, Any] = {"__name__": "guide_example"}
    exec(compile(source, "<guide example>", "exec"), namespace)
    return namespace


async def test_the_guides_fastapi_example_receives_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    example = run_example(FASTAPI_EXAMPLE, monkeypatch)

    async with client_for(example["app"]) as client:
        ok = await client.post(f"/bsg/rcs/{SECRET}", content=DOCUMENTED_REPORT, headers=JSON)
        duplicate = await client.post(f"/bsg/rcs/{SECRET}", content=DOCUMENTED_REPORT, headers=JSON)
        hidden = await client.post("/bsg/rcs/guess", content=DOCUMENTED_REPORT, headers=JSON)

    assert [ok.status_code, duplicate.status_code, hidden.status_code] == [200, 200, 404]
    assert example["received"] == [parse_rcs_report(DOCUMENTED_REPORT)]


async def test_the_guides_starlette_example_receives_reports_and_clicks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("starlette")
    example = run_example(STARLETTE_EXAMPLE, monkeypatch)
    via_proxy = {**JSON, "x-forwarded-for": "203.0.113.7"}

    async with client_for(example["app"], peer=("10.0.0.2", 1)) as client:
        report = await client.post(
            f"/bsg/rcs/?token={SECRET}", content=DOCUMENTED_REPORT, headers=via_proxy
        )
        click = await client.post(
            f"/bsg/rcs/?token={SECRET}", content=DOCUMENTED_CLICK, headers=via_proxy
        )
        outsider = await client.post(
            f"/bsg/rcs/?token={SECRET}",
            content=DOCUMENTED_REPORT,
            headers={**JSON, "x-forwarded-for": "192.0.2.1"},
        )

    assert [report.status_code, click.status_code, outsider.status_code] == [200, 200, 403]
    assert example["reports"] == [parse_rcs_report(DOCUMENTED_REPORT)]
    assert [c.postback for c in example["clicks"]] == ["confirm_yes"]


def test_the_webhooks_guide_shows_the_examples_verbatim() -> None:
    guide = Path(__file__).resolve().parent.parent / "docs" / "guides" / "webhooks.md"
    text = guide.read_text(encoding="utf-8")

    assert FASTAPI_EXAMPLE in text
    assert STARLETTE_EXAMPLE in text
