"""Automation: `nox -s tests`, `nox -s lint`, `nox -s typecheck`, `nox -s docs`; `nox -s bench`
and `nox -s bench_instructions` on demand."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck", "docs"]
nox.options.default_venv_backend = "venv"

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite (the same command as the README and CI)."""
    session.install(".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package."""
    session.install(".[lint]")
    session.run("mypy", "--strict", "bsg_async")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with `mkdocs build --strict` (as CI does).

    `nox -s docs -- serve` previews it at http://127.0.0.1:8000 instead.
    """
    session.install(".[docs]")
    if session.posargs[:1] == ["serve"]:
        session.run("mkdocs", "serve", *session.posargs[1:])
    else:
        session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """The throughput and memory benchmark (bench/throughput.py; minutes, not a test).

    Not a default session and not run by CI. Arguments go to the script:
    `nox -s bench -- --repeat 3`, `nox -s bench -- --profile`.
    """
    session.install(".[test,bench]")
    session.run("python", "bench/throughput.py", *session.posargs)


@nox.session
def bench_instructions(session: nox.Session) -> None:
    """Instructions per recipient, counted by callgrind (bench/instructions.py; needs valgrind).

    About 2.5 minutes; not a default session and not run by CI. Arguments go to the script:
    `nox -s bench_instructions -- --quick`, `nox -s bench_instructions -- --workload sms`.
    """
    session.install(".[test,bench]")
    session.run("python", "bench/instructions.py", *session.posargs)
