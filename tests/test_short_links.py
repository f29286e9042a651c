"""`bsg.short_links`: short links, domains and clicks, through the public API.

respx checks the requests against BSG's OpenAPI description and decodes its example answers
(written out here); FakeBSG runs a domain and its links from creation to clicks.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import respx

from bsg_async import (
    AsyncBSG,
    InvalidParameterError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    ShortDomain,
    ShortLink,
    ShortLinkStatistics,
    ShortLinkStatus,
    SlugType,
)
from bsg_async.testing import FakeBSG

from .conftest import ONE_API

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY2NvdW50In0.c2ln"
LINKS = f"{ONE_API}/api/short-url/links"
DOMAINS = f"{ONE_API}/api/short-url/domains"
CLICKS = f"{ONE_API}/api/short-url/clicks"
LINK_ID = "3338470c-4647-4f8d-a503-afce21e6312a"
DOMAIN_ID = "db05af9e-107e-4ed6-b1ac-a373d90109c8"

# The description's examples.
LINK = {
    "id": LINK_ID,
    "status": "active",
    "name": None,
    "slug": "IkUuUc",
    "campaign_id": None,
    "message_id": None,
    "init_deleted_at": None,
    "created_at": "2025-02-13 12:21:53",
    "short_link": "http://ssx.one/IkUuUc",
    "original_link": "https://app.bsg.world",
    "can_restore": False,
    "count_clicks": 0,
    "count_human_clicks": 0,
    "count_unique_clicks": 0,
}
DOMAIN = {
    "id": DOMAIN_ID,
    "system_domain_id": "53992a80-2b8c-4509-b1e2-844893c4f6c5",
    "status": "active",
    "name": "dev.shorty.tel",
    "is_default": True,
    "slug_type": "random",
    "init_deleted_at": None,
    "created_at": "2024-03-28 12:43:44",
    "not_found_page": "https://example.com/404",
    "can_refresh_status": False,
    "can_restore": False,
    "record_type": None,
    "hostname": None,
    "cname": None,
    "count_short_links": 40535,
}
CLICK = {
    "id": "d7005c88-b34f-4388-8ba7-639cac829bbe",
    "browser_language": "uk",
    "country_code": None,
    "is_human": True,
    "is_unique": True,
    "http_status": 200,
    "http_method": "get",
    "created_at": "2025-02-11 12:26:07",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
    "client_ip": "188.130.178.173",
    "browser": "Chrome",
    "referrer_url": None,
    "city": None,
    "social_network": None,
    "device_os": "Linux",
    "short_link": "http://dev.shorty.tel/TMl1wy",
    "original_link": "https://index.minfin.com.ua/reference/currency/code/",
    "message_id": 3270742795,
    "phone_number": 380501971415,
}
STATISTICS = {
    "data": {
        "count_clicks": 5,
        "short_link": "http://dev.shorty.tel/8IF68O",
        "click_date": "2025-03-05 00:00:00",
        "click_id": "d7587224-5fe2-4bfe-8b49-10ae4a3ae17d",
        "client_ip": "92.249.100.91",
        "original_link": "https://google.com/?q=ZZXXCC",
        "phone": 380971430241,
        "message_id": 12345,
        "campaign_id": 67890,
        "is_human": True,
    }
}
DAYS = {"created_from": date(2025, 2, 1), "created_to": date(2025, 2, 28)}


@pytest.fixture
def login(respx_mock: respx.MockRouter) -> respx.Route:
    return respx_mock.post(f"{ONE_API}/api/auth/login").respond(json={"bearer": JWT})


def body(route: respx.Route) -> Any:
    return json.loads(route.calls.last.request.content)


async def test_create_sends_link_and_domain_and_decodes_the_example(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.post(LINKS).respond(201, json=LINK)

    link = await bsg.short_links.create("https://app.bsg.world", domain_id=DOMAIN_ID)

    assert body(route) == {"domain_id": DOMAIN_ID, "link": "https://app.bsg.world"}
    assert link == ShortLink(
        id=LINK_ID,
        status=ShortLinkStatus.ACTIVE,
        url="http://ssx.one/IkUuUc",
        target="https://app.bsg.world",
        slug="IkUuUc",
        created_at=datetime(2025, 2, 13, 12, 21, 53),
        can_restore=False,
        clicks=0,
        human_clicks=0,
        unique_clicks=0,
    )


async def test_update_sends_only_what_changes(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    route = respx_mock.put(f"{LINKS}/{LINK_ID}").respond(json={**LINK, "name": "New name"})

    link = await bsg.short_links.update(LINK_ID, name="New name", target="https://a.example")

    assert body(route) == {"name": "New name", "original_link": "https://a.example"}
    assert link.name == "New name"


async def test_list_pages_by_page_and_per_page(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        items = [{**LINK, "id": f"{LINK_ID[:-2]}{page:02d}"}] * 10 if page <= 2 else []
        return httpx.Response(200, json={"data": items, "total": 20})

    route = respx_mock.get(LINKS).mock(side_effect=respond)

    links = [link async for link in bsg.short_links.list(**DAYS, page_size=10)]

    assert len(links) == 20
    assert [call.request.url.params["page"] for call in route.calls] == ["1", "2"]
    params = route.calls.last.request.url.params
    assert (params["from"], params["to"], params["per_page"]) == ("2025-02-01", "2025-02-28", "10")


async def test_domains_and_clicks_decode_the_examples(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(f"{DOMAINS}/{DOMAIN_ID}").respond(json={"data": DOMAIN})
    clicks_route = respx_mock.get(CLICKS).respond(json={"data": [CLICK], "total": 1})
    respx_mock.get(f"{LINKS}/{LINK_ID}/statistics").respond(json=STATISTICS)

    domain = await bsg.short_links.domains.get(DOMAIN_ID)
    clicks = [c async for c in bsg.short_links.clicks(**DAYS, campaign_id=53702595)]
    statistics = await bsg.short_links.statistics(LINK_ID)

    assert (domain.name, domain.links, domain.slug_type) == (
        "dev.shorty.tel",
        40535,
        SlugType.RANDOM,
    )
    assert clicks_route.calls.last.request.url.params["campaign"] == "53702595"
    (click,) = clicks
    assert (click.to, click.ip, click.language, click.message_id) == (
        "380501971415",
        "188.130.178.173",
        "uk",
        3270742795,
    )
    assert statistics == ShortLinkStatistics(
        clicks=5,
        url="http://dev.shorty.tel/8IF68O",
        target="https://google.com/?q=ZZXXCC",
        click_id="d7587224-5fe2-4bfe-8b49-10ae4a3ae17d",
        clicked_at=datetime(2025, 3, 5),
        ip="92.249.100.91",
        to="380971430241",
        message_id=12345,
        campaign_id=67890,
        is_human=True,
    )


async def test_domain_create_and_update_send_the_description_bodies(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    created = respx_mock.post(DOMAINS).respond(201, json={"data": {**DOMAIN, "name": "short.ai"}})
    updated = respx_mock.put(f"{DOMAINS}/{DOMAIN_ID}").respond(json={"data": DOMAIN})
    deleted = respx_mock.delete(f"{DOMAINS}/{DOMAIN_ID}").respond(204)

    await bsg.short_links.domains.create("short.ai", not_found_page="http://short.ai/404")
    await bsg.short_links.domains.update(DOMAIN_ID, is_default=True)
    await bsg.short_links.domains.delete(DOMAIN_ID)

    assert body(created) == {
        "name": "short.ai",
        "slug_type": "random",
        "not_found_page": "http://short.ai/404",
    }
    assert body(updated) == {"is_default": True}
    assert deleted.called


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda b: b.short_links.create("app.bsg.world", domain_id=DOMAIN_ID), "target"),
        (lambda b: b.short_links.create("https://a.example", domain_id="14"), "domain_id"),
        (lambda b: b.short_links.update(LINK_ID), "name"),
        (lambda b: b.short_links.update(LINK_ID, slug="s" * 26), "slug"),
        (lambda b: b.short_links.update("nope", name="x"), "id"),
        (lambda b: b.short_links.domains.create("a" * 21), "name"),
        (lambda b: b.short_links.domains.create("a.ai", slug_type="words"), "slug_type"),
        (lambda b: b.short_links.domains.update(DOMAIN_ID), "slug_type"),
        (lambda b: b.short_links.statistics("x"), "id"),
    ],
)
async def test_bad_arguments_are_refused_before_sending(
    bsg: AsyncBSG, call: Any, field: str
) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        await call(bsg)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"created_from": datetime(2025, 2, 1), "created_to": date(2025, 2, 2)}, "created_from"),
        ({"created_from": date(2025, 2, 2), "created_to": date(2025, 2, 1)}, "created_to"),
        ({**DAYS, "page_size": 30}, "page_size"),
        ({**DAYS, "page_size": True}, "page_size"),
    ],
)
def test_bad_list_arguments_are_refused_at_once(arguments: dict[str, Any], field: str) -> None:
    bsg = AsyncBSG(api_key="k")
    with pytest.raises(InvalidParameterError) as caught:
        bsg.short_links.list(**arguments)
    assert caught.value.field == field


# -- against FakeBSG ---------------------------------------------------------------------------


@pytest.fixture
async def faked() -> AsyncIterator[tuple[FakeBSG, AsyncBSG]]:
    fake = FakeBSG(seed=9)
    async with AsyncBSG(api_key="test_k", transport=fake.transport) as bsg:
        yield fake, bsg


def today(fake: FakeBSG) -> dict[str, date]:
    day = datetime.fromtimestamp(fake.now(), timezone.utc).date()
    return {"created_from": day - timedelta(days=1), "created_to": day}


async def test_a_domain_and_its_links_from_creation_to_clicks(
    faked: tuple[FakeBSG, AsyncBSG],
) -> None:
    fake, bsg = faked
    (system,) = [d async for d in bsg.short_links.domains.list(**today(fake))]
    assert (system.name, system.status, system.is_default) == ("ssx.one", "active", True)

    domain = await bsg.short_links.domains.create("short.ai", slug_type=SlugType.NUMERIC)
    assert (domain.status, domain.cname, domain.hostname) == ("inactive", "ssx.one", "short.ai")
    with pytest.raises(InvalidRequestError):  # inactive until its DNS points at BSG
        await bsg.short_links.create("https://shop.example/sale", domain_id=domain.id)
    fake.short_links.activate(domain.id)
    link = await bsg.short_links.create("https://shop.example/sale", domain_id=domain.id)
    with pytest.raises(RateLimitError):  # the same target on the same domain again
        await bsg.short_links.create("https://shop.example/sale", domain_id=domain.id)

    fake.short_links.click(link.id, to="380501234567", message_id=77)
    fake.short_links.click(link.id, human=False)

    statistics = await bsg.short_links.statistics(link.id)
    clicks = [c async for c in bsg.short_links.clicks(**today(fake))]
    (listed,) = [item async for item in bsg.short_links.list(**today(fake))]
    assert statistics.clicks == 2
    assert [(c.to, c.message_id, c.is_human) for c in clicks] == [
        ("380501234567", 77, True),
        (None, None, False),
    ]
    assert (listed.clicks, listed.human_clicks, listed.url) == (2, 1, link.url)
    assert link.url is not None and link.url.startswith("http://short.ai/")

    renamed = await bsg.short_links.update(link.id, name="black friday", slug="bf")
    assert (renamed.name, renamed.url) == ("black friday", "http://short.ai/bf")
    default = await bsg.short_links.domains.update(domain.id, is_default=True)
    assert default.is_default
    assert not (await bsg.short_links.domains.get(system.id)).is_default

    await bsg.short_links.delete(link.id)  # active: deleted, restorable
    (deleted,) = [item async for item in bsg.short_links.list(**today(fake))]
    assert (deleted.status, deleted.can_restore) == (ShortLinkStatus.DELETED, True)
    await bsg.short_links.delete(link.id)  # deleted: removed for good
    assert [item async for item in bsg.short_links.list(**today(fake))] == []
    with pytest.raises(NotFoundError):
        await bsg.short_links.statistics(link.id)
    with pytest.raises(InvalidRequestError, match="Short link not found"):
        await bsg.short_links.delete(link.id)

    await bsg.short_links.domains.delete(domain.id)
    with pytest.raises(InvalidRequestError, match="Domain not found"):
        await bsg.short_links.domains.get(domain.id)


async def test_the_fake_refuses_a_slug_another_link_has(faked: tuple[FakeBSG, AsyncBSG]) -> None:
    fake, bsg = faked
    (system,) = [d async for d in bsg.short_links.domains.list(**today(fake))]
    first = await bsg.short_links.create("https://a.example", domain_id=system.id)
    second = await bsg.short_links.create("https://b.example", domain_id=system.id)
    assert first.slug is not None

    with pytest.raises(InvalidRequestError, match="already exists"):
        await bsg.short_links.update(second.id, slug=first.slug)


@pytest.mark.parametrize(
    ("method", "path", "payload", "fields"),
    [
        ("POST", "links", {}, {"domain_id", "link"}),
        ("POST", "domains", {"name": "x" * 21, "slug_type": "words"}, {"name", "slug_type"}),
        ("GET", "links?per_page=30&page=0", None, {"from", "to", "per_page", "page"}),
        ("GET", "clicks?from=yesterday&to=2025-01-01", None, {"from"}),
    ],
)
async def test_the_fake_validates_as_the_description_types(
    method: str, path: str, payload: Any, fields: set[str]
) -> None:
    fake = FakeBSG(seed=1)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=fake.app), base_url="http://fake"
    ) as http:
        login = await http.post("/api/auth/login", json={"api_key": "test_k"})
        headers = {"Authorization": f"Bearer {login.json()['bearer']}"}
        answer = await http.request(method, f"/api/short-url/{path}", json=payload, headers=headers)
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == fields


def test_the_fake_refuses_unknown_ids_from_tests() -> None:
    fake = FakeBSG(seed=1)
    with pytest.raises(KeyError):
        fake.short_links.activate("00000000-0000-0000-0000-000000000000")
    with pytest.raises(KeyError):
        fake.short_links.click("00000000-0000-0000-0000-000000000000")


async def test_a_domain_answer_decodes_into_the_model(
    bsg: AsyncBSG, respx_mock: respx.MockRouter, login: respx.Route
) -> None:
    respx_mock.get(DOMAINS).respond(json={"data": [DOMAIN], "total": 1})

    (domain,) = [d async for d in bsg.short_links.domains.list(**DAYS)]

    assert domain == ShortDomain(
        id=DOMAIN_ID,
        name="dev.shorty.tel",
        status="active",
        is_default=True,
        slug_type=SlugType.RANDOM,
        not_found_page="https://example.com/404",
        system_domain_id="53992a80-2b8c-4509-b1e2-844893c4f6c5",
        links=40535,
        created_at=datetime(2024, 3, 28, 12, 43, 44),
        can_restore=False,
        can_refresh_status=False,
    )
