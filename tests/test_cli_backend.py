"""The CLI and the demo use the fastest HTTP backend installed, unless told otherwise."""

from __future__ import annotations

import importlib.util

import pytest

from bsg_async.cli._common import HTTP_BACKEND_ENV, preferred_backend


def test_aiohttp_is_preferred_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HTTP_BACKEND_ENV, raising=False)
    installed = importlib.util.find_spec("aiohttp") is not None
    assert preferred_backend() == ("aiohttp" if installed else "httpx")


def test_httpx_is_used_without_aiohttp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(HTTP_BACKEND_ENV, raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert preferred_backend() == "httpx"


@pytest.mark.parametrize(("value", "expected"), [("httpx", "httpx"), (" AIOHTTP ", "aiohttp")])
def test_the_environment_chooses_explicitly(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    monkeypatch.setenv(HTTP_BACKEND_ENV, value)
    assert preferred_backend() == expected
