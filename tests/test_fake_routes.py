"""The fake One-API's routing table: one `Route` per operation, found by method and path."""

from __future__ import annotations

import pytest

from bsg_async.testing import Account, FakeBSG
from bsg_async.testing._reply import Reply
from bsg_async.testing._routes import Call, Route, Router, legacy_send


def _echo(call: Call) -> Reply:
    return Reply(200, repr(sorted(call.params.items())).encode())


ROUTER = Router(
    (
        Route("GET", "campaigns/{id}", _echo),
        Route("PATCH", "campaigns/{id}/stop", _echo),
        Route("POST", "campaigns/send", _echo),
        Route("POST", "auth/login", _echo, public=True),
    )
)


def test_a_template_parameter_takes_one_segment() -> None:
    found = ROUTER.match("GET", "/api/campaigns/42")
    assert found is not None and found.route is not None
    assert found.params == {"id": "42"}
    assert ROUTER.match("GET", "/api/campaigns/42/x/y") is None


def test_a_literal_route_wins_for_its_method_beside_a_parameter() -> None:
    found = ROUTER.match("POST", "/api/campaigns/send")
    assert found is not None and found.route is not None
    assert found.route.template == "campaigns/send"


def test_a_known_path_with_another_method_is_told_apart_from_an_unknown_path() -> None:
    wrong_method = ROUTER.match("DELETE", "/api/campaigns/42")
    assert wrong_method is not None and wrong_method.route is None
    assert ROUTER.match("GET", "/api/nothing") is None


def test_areas_decide_which_paths_belong_to_the_one_api() -> None:
    assert ROUTER.areas == {"campaigns", "auth"}
    assert ROUTER.owns("/prefix/api/campaigns/1")
    assert not ROUTER.owns("/api/sms/create")
    assert not ROUTER.owns("/sms/create")


def test_two_routes_for_one_method_and_path_are_refused() -> None:
    with pytest.raises(ValueError, match="two routes"):
        Router((Route("GET", "a/{id}", _echo), Route("GET", "a/{id}", _echo)))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("DELETE", "/api/campaigns/1", 405),  # the path exists for GET only
        ("GET", "/api/campaigns/1/nothing", 404),
        ("GET", "/api/accounts/balance", 401),  # no bearer token
        ("GET", "/api/auth/login", 405),
    ],
)
def test_the_fake_answers_unknown_methods_paths_and_missing_tokens(
    method: str, path: str, status: int
) -> None:
    fake = FakeBSG(seed=1)
    assert fake.handle(method, path).status == status


LEGACY = Router(
    (
        Route("GET", "sms/prices", _echo),
        *legacy_send("sms/create", _echo),
        Route("GET", "sms/reference/{reference}", _echo),
        Route("GET", "sms/{id}", _echo),
    ),
    legacy=True,
)


def test_a_legacy_template_matches_the_end_of_any_path() -> None:
    for path in ("/sms/7", "/rest/sms/7", "/a/b/rest/sms/7"):
        found = LEGACY.match("GET", path)
        assert found is not None and found.route is not None
        assert (found.route.template, found.params) == ("sms/{id}", {"id": "7"})
    assert LEGACY.match("GET", "/rest/viber/7") is None


def test_a_legacy_send_takes_post_and_put_alike() -> None:
    for method in ("POST", "PUT"):
        found = LEGACY.match(method, "/rest/sms/create")
        assert found is not None and found.route is not None
        assert found.route.method == method


def test_the_first_legacy_template_that_matches_decides_even_for_another_method() -> None:
    # `GET .../sms/create` is a send read the wrong way (405), not the SMS with id "create".
    wrong_method = LEGACY.match("GET", "/rest/sms/create")
    assert wrong_method is not None and wrong_method.route is None
    prices = LEGACY.match("GET", "/rest/sms/prices")
    assert prices is not None and prices.route is not None
    assert prices.route.template == "sms/prices"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/rest/sms/create", 405),
        ("GET", "/rest/sms/price", 405),  # a quote, not the SMS with id "price"
        ("GET", "/rest/hlr/create", 405),
        ("DELETE", "/rest/common/balance", 405),
        ("GET", "/rest/viber/task/1", 404),  # tasks are SMS only
        ("GET", "/rest/sms/task/1/x", 404),
    ],
)
def test_the_fake_answers_legacy_methods_and_paths_it_does_not_serve(
    method: str, path: str, status: int
) -> None:
    assert FakeBSG(seed=1).handle(method, path, headers={"x-api-key": "k"}).status == status


def test_a_legacy_key_is_checked_before_the_method() -> None:
    answer = FakeBSG(account=Account(api_keys=["good"])).handle(
        "GET", "/rest/sms/create", headers={"x-api-key": "bad"}
    )
    assert answer.status == 401
