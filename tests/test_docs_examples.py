"""Every Python example in README.md and docs/ runs as written, against FakeBSG.

One runner for every page. Each ```python block is one test, named `page:line`, and runs in a
fresh namespace, in a temporary directory, with a `FakeBSG` served on 127.0.0.1 and the
environment pointing at it (`BSG_API_KEY`, `BSG_BASE_URL`, `BSG_ONE_API_URL`, as the
configuration guide tells a reader to point an unchanged app at the fake), so an example that
opens `AsyncBSG(api_key="live_...")` talks to the fake. How a block runs depends on what it is:

- a block that defines `test_*` functions is a pytest module: it runs in its own pytest
  process, with the installed `bsg_async` plugin's fixtures, and every test must pass;
- a block with a top-level `await` (or `async with`, `async for`) is a fragment: it runs in a
  fresh event loop with `bsg`, an open `AsyncBSG` on the served fake, already bound (the
  guides say so once, at their top);
- any other block is a script: it runs as `__main__` (`asyncio.run(main())` included).

A ```text block right after a Python block (a blank line at most between them; titled
`title="Output"` by convention, which the site shows) is what the Python block prints; `...`
in it stands for any text. An HTML comment `<!-- pending: why -->` on the line before a block
marks an example that cannot run yet: the test then expects it to fail, and fails as soon as
it runs (so the marker cannot be left behind).
"""

from __future__ import annotations

import ast
import asyncio
import doctest
import importlib
import inspect
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import pytest

import bsg_async
from bsg_async import AsyncBSG
from bsg_async.testing import FakeBSG

from .cli_support import ROOT, ServedFake, python_env

PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")))
WEBHOOK_SECRET = "s3cret-for-the-docs"
PYTEST_TIMEOUT = 120
README_MAX_LINES = 300  # an overview; the details live in docs/
# A reader's own pytest settings: warnings are errors, pytest-asyncio's loop scope set.
PYTEST_OPTIONS = ("-W", "error", "-o", "asyncio_default_fixture_loop_scope=function")
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<info>[\w+-]*)(?:[ \t]+[^`]*)?$")
PENDING = re.compile(r"^\s*<!--\s*pending:\s*(?P<why>.+?)\s*-->\s*$")


@attrs.frozen
class Example:
    """One fenced Python block of a page, with what it prints if the page says so."""

    page: str
    line: int
    code: str
    output: str | None = None
    pending: str | None = None

    @property
    def name(self) -> str:
        """`page:line`, the test's id."""
        return f"{self.page}:{self.line}"


@attrs.frozen
class _Block:
    line: int
    info: str
    code: str
    end: int  # the index of the line after the closing fence


def _blocks(lines: list[str]) -> Iterator[_Block]:
    """Every fenced block of a page, indented ones (in lists, admonitions) included."""
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, body = opening["indent"], []
        end = index + 1
        while end < len(lines) and lines[end].rstrip() != indent + "```":
            body.append(lines[end])
            end += 1
        if end == len(lines):
            raise AssertionError(f"line {index + 1}: a code block that is never closed")
        code = textwrap.dedent("\n".join(body)) + "\n"
        yield _Block(line=index + 1, info=opening["info"], code=code, end=end + 1)
        index = end + 1


def examples_of(path: Path, page: str | None = None) -> list[Example]:
    """The Python examples of one page (named `page`, else its path in the repository), in
    page order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    page = page or path.relative_to(ROOT).as_posix()
    blocks = list(_blocks(lines))
    found = []
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if block.info != "python":
            continue
        output = None
        if following is not None and following.info == "text":
            between = lines[block.end : following.line - 1]
            if all(not line.strip() for line in between) and len(between) <= 1:
                output = following.code
        before = lines[block.line - 2] if block.line >= 2 else ""
        pending = PENDING.match(before)
        found.append(
            Example(page, block.line, block.code, output, pending["why"] if pending else None)
        )
    return found


EXAMPLES = [example for page in PAGES for example in examples_of(page)]


def _cases() -> Iterator[Any]:
    for example in EXAMPLES:
        marks = []
        if example.pending is not None:
            marks.append(pytest.mark.xfail(reason=example.pending, strict=True))
        yield pytest.param(example, id=example.name, marks=marks)


def _is_pytest_module(tree: ast.Module) -> bool:
    return any(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")
        for node in tree.body
    )


def _run_pytest_module(example: Example, directory: Path) -> None:
    """Run the block as a test module of its own, the way a reader's project would."""
    module = directory / "test_docs_example.py"
    module.write_text(example.code, encoding="utf-8")
    tests = sum(
        isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test_")
        for node in ast.parse(example.code).body
    )
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *PYTEST_OPTIONS, module],
        cwd=directory,
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=PYTEST_TIMEOUT,
        check=False,
    )
    report = done.stdout + done.stderr
    assert done.returncode == 0, report
    assert re.search(rf"^{tests} passed", report, re.M), report


async def _run_fragment(code: Any, namespace: dict[str, Any]) -> None:
    async with AsyncBSG() as bsg:  # the key and the URLs come from the environment
        namespace["bsg"] = bsg
        await eval(code, namespace)


def run_example(example: Example) -> None:
    """Run one example as its kind says (see the module docstring)."""
    tree = ast.parse(example.code, filename=example.name)
    if _is_pytest_module(tree):
        _run_pytest_module(example, Path.cwd())
        return
    code = compile(example.code, example.name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    namespace: dict[str, Any] = {"__name__": "__main__"}
    if code.co_flags & inspect.CO_COROUTINE:  # a top-level await
        asyncio.run(_run_fragment(code, namespace))
    else:
        exec(code, namespace)


@pytest.mark.parametrize("example", list(_cases()))
def test_the_example_runs_as_written(
    example: Example,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BSG_WEBHOOK_SECRET", WEBHOOK_SECRET)
    with ServedFake(FakeBSG()) as served:
        for name, value in served.env.items():
            monkeypatch.setenv(name, value)
        run_example(example)

    printed = capsys.readouterr().out
    if example.output is not None:
        checker = doctest.OutputChecker()
        assert checker.check_output(example.output, printed, doctest.ELLIPSIS), (
            f"{example.name} printed:\n{printed}\nthe page says:\n{example.output}"
        )


def test_every_page_is_searched_and_examples_are_found() -> None:
    pages = {example.page for example in EXAMPLES}

    assert "README.md" in pages
    assert len([page for page in pages if page.startswith("docs/")]) >= 8


def _reference_targets() -> set[str]:
    """What the API reference pages render: every `::: name` of docs/reference/."""
    pages = (ROOT / "docs" / "reference").glob("*.md")
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    return set(re.findall(r"^::: ([\w.]+)", text, re.M))


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:  # a class, not a module
        return None


def test_every_public_name_is_in_the_api_reference() -> None:
    targets = _reference_targets()
    modules = [module for module in map(_module, targets) if module is not None]
    whole = {name for module in modules for name in getattr(module, "__all__", ())}

    missing = [
        name
        for name in bsg_async.__all__
        if name != "__version__" and f"bsg_async.{name}" not in targets and name not in whole
    ]

    assert missing == [], "add them to a page of docs/reference/"


def test_every_namespace_of_the_client_is_in_the_api_reference() -> None:
    targets = {target.rsplit(".", 1)[-1] for target in _reference_targets()}
    namespaces = {
        name: member.func.__annotations__["return"]
        for name, member in vars(AsyncBSG).items()
        if isinstance(member, cached_property)
    }

    assert {name: kind for name, kind in namespaces.items() if kind not in targets} == {}
    assert {"sms", "viber", "rcs"} <= set(namespaces)


def test_the_readme_stays_an_overview() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()

    assert len(lines) <= README_MAX_LINES, "move the details into docs/"
    assert "pip install bsg-async\n" not in "\n".join(lines) + "\n", "not on PyPI yet"


def test_a_page_with_an_unclosed_block_is_refused() -> None:
    with pytest.raises(AssertionError, match="never closed"):
        list(_blocks(["text", "```python", "print(1)"]))


def test_an_output_block_belongs_to_the_python_block_just_above(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```python\nprint(1)\n```\n\n```text\n1\n```\n\n"
        "<!-- pending: not yet -->\n```python\nprint(2)\n```\n\nprose\n\n```text\n2\n```\n",
        encoding="utf-8",
    )

    first, second = examples_of(page, "page.md")

    assert (first.output, first.pending) == ("1\n", None)
    assert (second.output, second.pending) == (None, "not yet")
