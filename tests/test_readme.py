"""The README's "no account" quickstart runs as written, against the in-package fake."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def python_block_after(marker: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(marker)
    match = re.compile(r"```python\n(.*?)```", re.S).search(text, start)
    assert match is not None, f"no python block after {marker!r}"
    return match.group(1)


async def test_the_no_account_quickstart_sends_and_reads_a_status(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = python_block_after("No account at hand?")
    namespace: dict[str, object] = {}
    exec("from bsg_async import AsyncBSG", namespace)
    exec("async def quickstart():\n" + textwrap.indent(code, "    "), namespace)

    await namespace["quickstart"]()  # type: ignore[operator]

    printed = capsys.readouterr().out
    assert printed.startswith("SmsReport(id=")
    assert "to='380501234567'" in printed and "price=Decimal('0.02')" in printed


def test_the_fake_configuration_example_runs() -> None:
    code = textwrap.dedent(python_block_after("- Configuration: `FakeBSG()` just works"))
    namespace: dict[str, object] = {}

    exec(code, namespace)

    fake = namespace["fake"]
    assert fake.lifecycle.non_viber_numbers == {"380501234567"}  # type: ignore[attr-defined]
    assert fake.viber.channel == "viber"  # type: ignore[attr-defined]
