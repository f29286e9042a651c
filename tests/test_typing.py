"""The types help: a user's program that follows the README passes `mypy --strict` without a
cast or a `# type: ignore`, and a mistake in it is caught."""

from __future__ import annotations

from pathlib import Path

import pytest
from mypy import api

PROGRAM = Path(__file__).parent / "typing" / "user_program.py"
ROOT = Path(__file__).parent.parent


def mypy_strict(path: Path, cache: Path) -> tuple[str, int]:
    out, err, status = api.run(
        [
            "--strict",
            "--warn-unreachable",
            "--python-version",
            "3.10",
            "--no-incremental",
            "--cache-dir",
            str(cache),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            str(path),
        ]
    )
    return out + err, status


def test_the_documented_program_type_checks_without_casts_or_ignores(tmp_path: Path) -> None:
    text = PROGRAM.read_text()
    assert "cast(" not in text and "type: ignore" not in text
    # A receipt's price is used without first asking whether it is `None`.
    assert "doubled: Decimal = receipt.price * 2" in text
    assert "spent += entry.price" in text
    assert "price is not None" not in text

    output, status = mypy_strict(PROGRAM, tmp_path / "cache")

    assert status == 0, output


MISTAKES = {  # what each mistake is replaced with (by default: nothing)
    "isinstance(status.status, SmsStatus) and status.status.is_final": "status.status.is_final",
    "doubled: Decimal = receipt.price * 2": "doubled: str = receipt.price * 2",
}


@pytest.mark.parametrize(
    ("mistake", "error"),
    [
        # a status left out of the match: the function may fall off its end
        (
            '        case SmsStatus.UNKNOWN:\n            return "the service does not know"\n',
            "Missing return statement",
        ),
        # a property of the known members used on a status the SDK may not know
        ("isinstance(status.status, SmsStatus) and status.status.is_final", '"UnknownStatus" of'),
        # a receipt's price is a `Decimal`: not taken for something else
        (
            "doubled: Decimal = receipt.price * 2",
            '(expression has type "Decimal", variable has type "str")',
        ),
    ],
    ids=["match-not-exhaustive", "unknown-status-unchecked", "price-is-a-decimal"],
)
def test_a_mistake_in_the_program_is_caught(tmp_path: Path, mistake: str, error: str) -> None:
    text = PROGRAM.read_text()
    assert mistake in text
    broken = tmp_path / "user_program.py"
    broken.write_text(text.replace(mistake, MISTAKES.get(mistake, "")))

    output, status = mypy_strict(broken, tmp_path / "cache")

    assert status == 1 and error in output, output


@pytest.mark.parametrize(
    ("written", "mistake", "error"),
    [
        # the send form takes exactly the stream form's keywords (`_many.send_form`)
        (
            'text="Sale", sender="S", on_progress=progress)',
            'text="Sale", sender="S", on_progres=progress)',
            'Unexpected keyword argument "on_progres"; did you mean "on_progress"?',
        ),
        (
            'sender="MyShop", text="Sale", chunk_size=1000',
            'text="Sale", chunk_size=1000',
            'Missing named argument "sender"',
        ),
        (
            'sender="MyShop", text="Sale", chunk_size=1000',
            'sender="MyShop", text="Sale", chunk_size="1000"',
            'Argument "chunk_size" has incompatible type "str"; expected "int"',
        ),
    ],
    ids=["misspelt-keyword", "missing-keyword", "wrong-type"],
)
def test_a_wrong_keyword_of_a_many_send_is_caught(
    tmp_path: Path, written: str, mistake: str, error: str
) -> None:
    text = PROGRAM.read_text()
    assert text.count(written) == 1
    broken = tmp_path / "user_program.py"
    broken.write_text(text.replace(written, mistake))

    output, status = mypy_strict(broken, tmp_path / "cache")

    assert status == 1 and error in output, output
