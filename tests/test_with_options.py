"""`AsyncBSG.with_options`: a view with another timeout or retry policy over the same client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bsg_async import AsyncBSG, ClientStateError, InvalidParameterError, RetryPolicy, ServerError

from .test_auth import OneApi, call, one_api_client
from .test_client import STATUS, ClosingTransport, client


def recording(seen: list[httpx.Request], status: int = 200) -> ClosingTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=STATUS) if status == 200 else httpx.Response(status)

    return ClosingTransport(handler)


async def test_a_views_timeout_reaches_its_requests_and_not_its_clients() -> None:
    seen: list[httpx.Request] = []

    async with client(recording(seen), timeout=30.0) as bsg:
        await bsg.with_options(timeout=2.5).sms.get(211)
        await bsg.sms.get(211)

    view_timeout, client_timeout = (request.extensions["timeout"] for request in seen)
    assert view_timeout == httpx.Timeout(2.5).as_dict()
    assert client_timeout == httpx.Timeout(30.0).as_dict()


async def test_a_views_max_retries_applies_to_its_calls_only() -> None:
    seen: list[httpx.Request] = []

    async with client(recording(seen, status=503), max_retries=2) as bsg:
        hasty = bsg.with_options(max_retries=0)
        for _ in range(2):
            with pytest.raises(ServerError):
                await hasty.sms.get(211)
        assert len(seen) == 2
        with pytest.raises(ServerError):
            await bsg.sms.get(211)

    assert len(seen) == 5


def test_a_views_retry_policy_replaces_the_clients() -> None:
    bsg = client(max_retries=5)
    policy = RetryPolicy(max_attempts=2, base_delay=1.0)

    view = bsg.with_options(retry=policy)

    assert view.retry == policy and bsg.retry.max_attempts == 6


def test_options_left_out_are_the_clients() -> None:
    bsg = client(timeout=7.0, max_retries=4)

    view = bsg.with_options()

    assert (view.timeout, view.retry) == (bsg.timeout, bsg.retry)


async def test_a_view_shares_the_pool_and_leaving_it_closes_nothing() -> None:
    seen: list[httpx.Request] = []
    transport = recording(seen)

    async with client(transport) as bsg:
        async with bsg.with_options(timeout=5) as view:
            await view.sms.get(211)
        assert not transport.closed and not view.is_closed
        await bsg.sms.get(211)

    assert len(seen) == 2 and transport.closed
    assert view.is_closed


async def test_a_view_of_a_closed_client_raises_client_state_error() -> None:
    async with client() as bsg:
        view = bsg.with_options(max_retries=1)
        await view.sms.get(211)

    with pytest.raises(ClientStateError, match="closed"):
        await view.sms.get(211)
    with pytest.raises(ClientStateError, match="closed"):
        async with view:
            pass  # pragma: no cover - never entered


async def test_a_view_of_an_unopened_client_raises_client_state_error() -> None:
    view = client().with_options(timeout=1)

    with pytest.raises(ClientStateError, match="not open"):
        await view.sms.get(211)


async def test_a_view_made_before_the_client_opened_works_once_it_is_open() -> None:
    bsg = client()
    view = bsg.with_options(timeout=1)

    async with bsg:
        status = await view.sms.get(211)

    assert status.id == 211


async def test_a_view_and_its_client_share_one_token() -> None:
    server = OneApi()

    async with one_api_client(server) as bsg:
        await call(bsg)
        view = bsg.with_options(timeout=3)
        await call(view)
        await call(view.with_options(max_retries=0))

    assert server.logins == 1
    assert len(set(server.protected_with)) == 1


@pytest.mark.parametrize(
    ("option", "field"),
    [({"timeout": -1}, "timeout"), ({"max_retries": -1}, "max_retries"), ({"retry": 3}, "retry")],
)
def test_bad_view_options_raise_invalid_parameter_error(option: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        client().with_options(**option)

    assert info.value.field == field


def test_a_views_repr_shows_its_clients_state_and_no_key() -> None:
    view = AsyncBSG("live_secret_key_123", base_url="https://api.test/rest").with_options(timeout=1)

    assert repr(view) == "AsyncBSG(base_url='https://api.test/rest', state='unopened')"
