"""The layout of `bsg_async.webhooks`: one private module per job, found from the docstring,
and every public name at home in the package."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import bsg_async
import bsg_async.webhooks as webhooks

MODULES = sorted(info.name for info in pkgutil.iter_modules(webhooks.__path__))
OWN = [
    name
    for name in webhooks.__all__
    if (inspect.isclass(getattr(webhooks, name)) or inspect.isfunction(getattr(webhooks, name)))
    and name not in ("RcsClick", "RcsReport", "RcsStatus")  # the models, re-exported
]


def test_every_module_is_private_and_named_in_the_package_docstring() -> None:
    assert MODULES, "the webhooks package has no modules"
    for module in MODULES:
        assert module.startswith("_")
        assert f"`{module}.py`" in (webhooks.__doc__ or ""), module


def source_of(module: str) -> str:
    path = importlib.import_module(f"bsg_async.webhooks.{module}").__file__
    assert path is not None
    return Path(path).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("module", "names"),
    [
        ("_body", ["decode", "check_limits"]),
        ("_parse", ["parse_rcs_report", "parse_rcs_callbacks", "rcs_report_payload"]),
        ("_dedup", ["idempotency_key", "IdempotencyStore", "MemoryIdempotencyStore"]),
        ("_dedup", ["Deduplicator"]),
        ("_app", ["RcsWebhookApp"]),
        ("_access_log", ["RedactPathSecret"]),
    ],
)
def test_each_job_is_defined_in_one_module(module: str, names: list[str]) -> None:
    sources = {other: source_of(other) for other in MODULES}
    for name in names:
        defining = [
            other
            for other, text in sources.items()
            if re.search(rf"^(class {name}\b|def {name}\()", text, re.M)
        ]
        assert defining == [module], name


def test_all_is_sorted() -> None:
    assert webhooks.__all__ == sorted(webhooks.__all__)


@pytest.mark.parametrize("name", OWN)
def test_public_names_report_the_package_as_their_module(name: str) -> None:
    assert getattr(webhooks, name).__module__ == "bsg_async.webhooks"


def test_the_top_level_package_exports_the_same_models_and_error() -> None:
    assert bsg_async.RcsReport is webhooks.RcsReport
    assert bsg_async.RcsClick is webhooks.RcsClick
    assert bsg_async.RcsStatus is webhooks.RcsStatus
