"""The public namespace: complete, sorted, documented, and versioned."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import pkgutil
import re
from pathlib import Path
from types import ModuleType

import pytest

import bsg_async
from bsg_async import errors

PUBLIC = [name for name in bsg_async.__all__ if name != "__version__"]


def public_members(cls: type) -> list[tuple[str, object]]:
    """Methods and properties a class defines itself, without a leading underscore."""
    members: list[tuple[str, object]] = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if inspect.isfunction(member) or isinstance(member, property):
            members.append((name, member))
    return members


def package_modules() -> list[ModuleType]:
    modules = [bsg_async]
    for info in pkgutil.walk_packages(bsg_async.__path__, prefix="bsg_async."):
        try:
            modules.append(importlib.import_module(info.name))
        except ModuleNotFoundError as exc:  # an optional extra (CLI, server) is not installed
            if (exc.name or "").startswith("bsg_async"):
                raise
    return modules


@pytest.mark.parametrize("name", bsg_async.__all__)
def test_every_name_in_all_exists(name: str) -> None:
    assert hasattr(bsg_async, name)


def test_all_is_sorted() -> None:
    assert bsg_async.__all__ == sorted(bsg_async.__all__)


def test_all_has_no_duplicates() -> None:
    assert len(set(bsg_async.__all__)) == len(bsg_async.__all__)


def test_every_error_of_the_errors_module_is_exported() -> None:
    assert set(errors.__all__) <= set(bsg_async.__all__)


def test_the_issue_contract_names_are_exported() -> None:
    contract = {
        "AsyncBSG",
        "Recipient",
        "SmsMessage",
        "ViberMessage",
        "SmsFallback",
        "RetryPolicy",
        "SmsStatus",
        "ViberStatus",
        "BSGError",
        "APIError",
        "AuthenticationError",
        "NotFoundError",
        "DuplicateReferenceError",
        "InsufficientFundsError",
        "RateLimitError",
        "ServerError",
        "InvalidRequestError",
        "InvalidParameterError",
        "TransportError",
        "RequestTimeoutError",
        "UnexpectedResponseError",
    }
    assert contract <= set(bsg_async.__all__)


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_has_a_docstring(name: str) -> None:
    obj = getattr(bsg_async, name)
    assert inspect.getdoc(obj), f"{name} has no docstring"
    if isinstance(obj, type):
        assert obj.__doc__, f"{name} inherits its docstring instead of having one"


@pytest.mark.parametrize("name", [n for n in PUBLIC if isinstance(getattr(bsg_async, n), type)])
def test_every_public_method_and_property_has_a_docstring(name: str) -> None:
    cls = getattr(bsg_async, name)
    undocumented = [member for member, obj in public_members(cls) if not inspect.getdoc(obj)]
    assert undocumented == []


def test_every_module_has_a_docstring() -> None:
    undocumented = [m.__name__ for m in package_modules() if not (m.__doc__ or "").strip()]
    assert undocumented == []


def test_every_name_a_module_exports_has_a_docstring() -> None:
    undocumented = []
    for module in package_modules():
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and not obj.__doc__:
                undocumented.append(f"{module.__name__}.{name}")
    assert undocumented == []


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in PUBLIC
        if isinstance(getattr(bsg_async, n), type)
        and issubclass(getattr(bsg_async, n), BaseException)
    ],
)
def test_exceptions_report_the_package_as_their_module(name: str) -> None:
    cls = getattr(bsg_async, name)
    assert cls.__module__ == "bsg_async"
    assert repr(cls) == f"<class 'bsg_async.{name}'>"


def test_version_is_a_release_string() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?(a|b|rc|dev|post)\d*)*", bsg_async.__version__)


def test_version_matches_the_installed_metadata() -> None:
    try:
        installed = importlib.metadata.version("bsg-async")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("bsg-async is not installed, only importable from the source tree")
    assert bsg_async.__version__ == installed


def test_version_matches_pyproject() -> None:
    pyproject = Path(bsg_async.__file__).resolve().parent.parent / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("no pyproject.toml beside the package (installed from a wheel)")
    found = re.search(r'(?m)^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"))
    if found is None:
        pytest.skip("pyproject.toml takes its version dynamically")
    assert bsg_async.__version__ == found.group(1)
