"""`DirectClient`: the aiohttp backend's lean stand-in for `httpx.AsyncClient`.

It must put the same request on the wire, drive auth flows the way `AsyncClient.send` does,
and hand back responses read whole with their connections released, on every path.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator

import httpx
import pytest

from bsg_async._auth import ApiKeyAuth
from bsg_async._direct import DirectClient
from bsg_async._secret import Secret
from bsg_async._transport import _JSON_HEADERS
from bsg_async.client import _httpx_headers

from .conftest import API_KEY

URL = httpx.URL("https://api.test/rest/sms/create")
TIMEOUT = httpx.Timeout(7.0, connect=3.0)


class Recording(httpx.AsyncBaseTransport):
    """Answers from `answers` in turn (the last one repeats) and keeps every request."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers) or [httpx.Response(200, json={"ok": True})]
        self.requests: list[httpx.Request] = []
        self.authorizations: list[str | None] = []  # as sent (a flow may reuse its request)
        self.closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.authorizations.append(request.headers.get("Authorization"))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return httpx.Response(
            answer.status_code, headers=answer.headers, content=answer.content, request=request
        )

    async def aclose(self) -> None:
        self.closed = True


def direct(transport: httpx.AsyncBaseTransport) -> DirectClient:
    return DirectClient(transport, headers=_httpx_headers(), timeout=TIMEOUT)


async def test_a_request_carries_what_an_httpx_client_of_ours_would_put_on_it() -> None:
    ours, theirs = Recording(), Recording()
    auth = ApiKeyAuth(Secret(API_KEY))
    lean = direct(ours)
    async with httpx.AsyncClient(
        transport=theirs, headers=_httpx_headers(), timeout=TIMEOUT
    ) as client:
        for http in (lean, client):
            request = http.build_request(
                "POST", URL, content=b'{"a":1}', headers=_JSON_HEADERS, params={"page": 2}
            )
            await http.send(request, auth=auth)

    mine, reference = ours.requests[0], theirs.requests[0]
    assert mine.method == reference.method == "POST"
    assert mine.url == reference.url == URL.copy_merge_params({"page": 2})
    assert mine.headers.multi_items() == reference.headers.multi_items()
    assert mine.headers["X-API-KEY"] == API_KEY
    assert mine.headers["Content-Type"] == "application/json"
    assert mine.content == reference.content == b'{"a":1}'
    assert mine.extensions["timeout"] == reference.extensions["timeout"] == TIMEOUT.as_dict()


@pytest.mark.parametrize(
    ("method", "url", "content", "headers", "params"),
    [
        pytest.param("POST", URL, b'{"a":1}', _JSON_HEADERS, None, id="json-body"),
        pytest.param("POST", URL, b"", _JSON_HEADERS, None, id="empty-body"),
        pytest.param("POST", URL, b"{}", _JSON_HEADERS, {"page": 2}, id="body-and-params"),
        pytest.param("GET", URL, None, None, {"page": 2}, id="get-with-params"),
        pytest.param("POST", URL, None, None, None, id="post-without-body"),
        pytest.param(
            "PUT", httpx.URL("http://127.0.0.1:8000/x?y=1"), b"z", None, None, id="port-and-query"
        ),
        pytest.param(
            "POST", URL, b"{}", httpx.Headers({"Host": "other.test"}), None, id="own-host"
        ),
        pytest.param(
            "POST", URL, b"{}", httpx.Headers({"Content-Length": "2"}), None, id="own-length"
        ),
    ],
)
def test_every_request_is_the_one_httpx_request_would_build(
    method: str,
    url: httpx.URL,
    content: bytes | None,
    headers: httpx.Headers | None,
    params: dict[str, int] | None,
) -> None:
    lean = direct(Recording())
    for _ in range(2):  # the second time from what the first prepared
        mine = lean.build_request(method, url, content=content, headers=headers, params=params)
        reference = httpx.Request(
            method,
            url,
            params=params,
            headers=lean._merged(headers),
            content=content,
            extensions={"timeout": TIMEOUT.as_dict()},
        )
        assert (mine.method, mine.url) == (reference.method, reference.url)
        assert mine.headers.raw == reference.headers.raw  # the same headers, in the same order
        assert mine.content == reference.content
        assert mine.extensions == reference.extensions
        mine.headers["X-Changed"] = "by an auth flow"  # its own copy: the next is unchanged


async def test_an_auth_flow_changes_its_own_request_never_the_defaults() -> None:
    transport = Recording()
    http = direct(transport)

    first = http.build_request("POST", URL, content=b"{}", headers=_JSON_HEADERS)
    await http.send(first, auth=ApiKeyAuth(Secret(API_KEY)))
    second = http.build_request("GET", URL, headers=None)
    await http.send(second, auth=None)

    assert "X-API-KEY" not in http.headers
    assert "X-API-KEY" not in transport.requests[1].headers
    assert "Content-Type" not in transport.requests[1].headers
    assert transport.requests[1].headers["Accept"] == "application/json"


async def test_an_auth_flow_may_answer_a_401_with_a_second_request() -> None:
    transport = Recording(httpx.Response(401, json={}), httpx.Response(200, json={"ok": 1}))
    seen: list[int] = []
    closed: list[bool] = []

    class Renewing(httpx.Auth):
        async def async_auth_flow(
            self, request: httpx.Request
        ) -> AsyncGenerator[httpx.Request, httpx.Response]:
            try:
                request.headers["Authorization"] = "Bearer old"
                response = yield request
                seen.append(response.status_code)
                assert response.content == b"{}"  # read before the flow sees it
                request.headers["Authorization"] = "Bearer new"
                response = yield request
                seen.append(response.status_code)
            finally:
                closed.append(True)

    http = direct(transport)
    response = await http.send(http.build_request("GET", URL), auth=Renewing())

    assert response.status_code == 200
    assert response.json() == {"ok": 1}
    assert transport.authorizations == ["Bearer old", "Bearer new"]
    assert seen == [401, 200]
    assert closed == [True]


async def test_a_failure_inside_the_flow_closes_the_flow_and_reaches_the_caller() -> None:
    closed: list[bool] = []

    class Failing(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

    class Watching(httpx.Auth):
        async def async_auth_flow(
            self, request: httpx.Request
        ) -> AsyncGenerator[httpx.Request, httpx.Response]:
            try:
                yield request
            finally:
                closed.append(True)

    http = direct(Failing())
    with pytest.raises(httpx.ConnectError):
        await http.send(http.build_request("GET", URL), auth=Watching())

    assert closed == [True]


async def test_a_response_comes_back_read_whole_and_closed() -> None:
    http = direct(Recording(httpx.Response(200, json={"result": [1, 2]})))

    response = await http.send(http.build_request("GET", URL), auth=None)

    assert response.is_closed
    assert response.json() == {"result": [1, 2]}


async def test_a_body_that_breaks_off_while_read_closes_the_response() -> None:
    closed: list[bool] = []

    class BreaksOff(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b'{"res'
            raise httpx.ReadError("connection reset")

        async def aclose(self) -> None:
            closed.append(True)

    class Streaming(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, stream=BreaksOff(), request=request)

    http = direct(Streaming())
    with pytest.raises(httpx.ReadError, match="reset"):
        await http.send(http.build_request("GET", URL), auth=None)

    assert closed == [True]


async def test_closing_closes_the_transport_once_owned() -> None:
    transport = Recording()
    http = direct(transport)
    assert not http.is_closed

    await http.aclose()

    assert http.is_closed
    assert transport.closed
    assert repr(http) == "DirectClient(Recording)"
