"""The public namespace: complete, sorted, documented, and versioned."""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.metadata
import inspect
import itertools
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


def is_private(module_name: str) -> bool:
    return any(part.startswith("_") for part in module_name.split("."))


def public_modules() -> list[ModuleType]:
    """The modules a user may import: no part of the dotted name starts with `_`."""
    return [module for module in package_modules() if not is_private(module.__name__)]


def module_body(module: ModuleType) -> list[ast.stmt]:
    return ast.parse(inspect.getsource(module)).body


def defined_names(module: ModuleType) -> set[str]:
    """The names a module's own top-level statements define (not the ones it imports)."""
    names: set[str] = set()
    for statement in module_body(module):
        if isinstance(statement, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names.add(statement.target.id)
    return names


@functools.cache
def attribute_docstrings() -> frozenset[str]:
    """`module.NAME` for every module-level assignment of the package that a string literal
    follows (an attribute docstring: how a constant or a type alias is documented)."""
    documented = set()
    for module in package_modules():
        body = module_body(module)
        for statement, following in itertools.pairwise(body):
            if not (
                isinstance(following, ast.Expr)
                and isinstance(following.value, ast.Constant)
                and isinstance(following.value.value, str)
                and following.value.value.strip()
            ):
                continue
            if isinstance(statement, ast.Assign):
                targets = statement.targets
            elif isinstance(statement, ast.AnnAssign):
                targets = [statement.target]
            else:
                continue
            documented.update(
                f"{module.__name__}.{t.id}" for t in targets if isinstance(t, ast.Name)
            )
    return frozenset(documented)


def is_documented(module: ModuleType, name: str) -> bool:
    """A class or function with a docstring of its own, a command or fixture whose function
    has one, or a constant or alias with an attribute docstring where it is defined."""
    obj = getattr(module, name)
    if inspect.isclass(obj):
        return bool(obj.__dict__.get("__doc__"))  # its own, not inherited
    if inspect.isfunction(obj):
        return bool(obj.__doc__)
    function = getattr(obj, "callback", None) or getattr(obj, "__wrapped__", None)
    if function is None and hasattr(obj, "_get_wrapped_function"):
        function = obj._get_wrapped_function()  # a pytest fixture
    if inspect.isfunction(function):
        return bool(function.__doc__)
    defined_in = [m.__name__ for m in package_modules() if name in defined_names(m)]
    return any(f"{where}.{name}" in attribute_docstrings() for where in defined_in)


# Public names that still lack a docstring, in modules their owners are reworking. Document
# one and this test tells you to drop it from here.
NOT_YET_DOCUMENTED = {
    "bsg_async.client.DEFAULT_BASE_URL",
    "bsg_async.client.DEFAULT_LIMITS",
    "bsg_async.client.DEFAULT_ONE_API_URL",
    "bsg_async.client.DEFAULT_TIMEOUT",
}


def test_every_public_module_says_what_it_exports() -> None:
    assert [m.__name__ for m in public_modules() if not hasattr(m, "__all__")] == []


@pytest.mark.parametrize("module", public_modules(), ids=lambda module: module.__name__)
def test_a_public_module_exports_only_public_documented_names(module: ModuleType) -> None:
    exported = [name for name in module.__all__ if name != "__version__"]
    assert [name for name in exported if name.startswith("_")] == []
    assert [name for name in exported if not hasattr(module, name)] == []
    undocumented = {
        f"{module.__name__}.{name}" for name in exported if not is_documented(module, name)
    }
    assert undocumented == {
        name for name in NOT_YET_DOCUMENTED if name.rpartition(".")[0] == module.__name__
    }


def test_the_batch_module_exports_what_the_batch_methods_take_and_return() -> None:
    # Its helpers (collecting a report, reading statuses, checking options) are the SDK's own.
    from bsg_async import batch
    from bsg_async.sms import SmsResource
    from bsg_async.viber import ViberResource

    mentioned: set[str] = set()
    for resource in (SmsResource, ViberResource):
        for method in ("send_many", "stream_many", "get_many"):
            for annotation in inspect.get_annotations(getattr(resource, method)).values():
                mentioned.update(re.findall(r"\w+", str(annotation)))
    assert set(batch.__all__) == mentioned & defined_names(batch)


def test_what_the_client_hands_out_is_public() -> None:
    # Properties are what `bsg.<name>` gives a caller; none may be a private module's type.
    handed_out: dict[str, str] = {}
    for name, member in vars(bsg_async.AsyncBSG).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            handed_out[name] = str(inspect.get_annotations(member.fget)["return"])
        elif isinstance(member, functools.cached_property):
            handed_out[name] = str(inspect.get_annotations(member.func)["return"])
    defined_by = {
        name: module.__name__ for module in package_modules() for name in defined_names(module)
    }
    private = {
        name: returned
        for name, returned in handed_out.items()
        if any(is_private(defined_by.get(word, "")) for word in re.findall(r"\w+", returned))
    }
    assert "sms" in handed_out and private == {}


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
