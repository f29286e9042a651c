"""The CLI and the demo use the fastest HTTP backend installed, unless `BSG_HTTP_BACKEND` (as
the README documents) says otherwise. The demo reports the backend it served the fake with."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from .cli_support import invoke, parse_json


def demo_backend() -> str:
    """The HTTP backend a small `bsg demo` run used, from its report."""
    result = invoke(["demo", "--recipients", "20", "--statuses", "0", "--json"])
    assert result.exit_code == 0, result.output
    served_at = parse_json(result)["served_at"]
    assert isinstance(served_at, str) and served_at.endswith(")"), served_at
    return served_at.rpartition("(HTTP backend: ")[2].removesuffix(")")


def test_aiohttp_is_preferred_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BSG_HTTP_BACKEND", raising=False)
    installed = importlib.util.find_spec("aiohttp") is not None
    assert demo_backend() == ("aiohttp" if installed else "httpx")


def test_httpx_is_used_without_aiohttp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BSG_HTTP_BACKEND", raising=False)
    monkeypatch.setitem(sys.modules, "aiohttp", None)  # as if it were not installed
    assert demo_backend() == "httpx"


@pytest.mark.parametrize(("value", "expected"), [("httpx", "httpx"), (" AIOHTTP ", "aiohttp")])
def test_the_environment_chooses_explicitly(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.setenv("BSG_HTTP_BACKEND", value)
    assert demo_backend() == expected
