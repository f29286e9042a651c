"""What every command shares: options, the API key, the client, exit codes, error reporting."""

from __future__ import annotations

import functools
import importlib.util
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import anyio
import attrs
import click

from .. import AsyncBSG, RetryPolicy
from ..client import API_KEY_ENV, DEFAULT_BASE_URL, DEFAULT_ONE_API_URL, HttpBackend
from ..errors import AuthenticationError, BSGError, InvalidParameterError
from ._output import Output

HTTP_BACKEND_ENV = "BSG_HTTP_BACKEND"

__all__ = [
    "EXIT_FAILED",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "FAKE_API_KEY",
    "Settings",
    "UsageProblem",
    "common_options",
    "open_client",
    "read_api_key",
    "run_command",
]

EXIT_OK = 0
"""Everything was sent (or read)."""
EXIT_FAILED = 1
"""Some recipients failed, a read failed, or the service refused the request."""
EXIT_USAGE = 2
"""A usage or configuration error: bad option, bad CSV, missing or refused API key."""
EXIT_INTERRUPTED = 130
"""Interrupted (Ctrl-C, SIGTERM); a campaign's store is consistent: running again continues."""

FAKE_API_KEY = "test_fake_bsg_key"

F = TypeVar("F", bound=Callable[..., Any])


class UsageProblem(Exception):
    """A usage or configuration problem the user must fix: exit status 2.

    Its message names files and options, never the API key.
    """


@attrs.frozen
class Settings:
    """The options every command takes (see `common_options`)."""

    api_key_file: Path | None = None
    fake: bool = False
    as_json: bool = False
    base_url: str = DEFAULT_BASE_URL
    one_api_url: str = DEFAULT_ONE_API_URL
    timeout: float = 30.0

    @property
    def output(self) -> Output:
        """A fresh `Output` for this invocation."""
        return Output(as_json=self.as_json)


def common_options(function: F) -> F:
    """Add `--api-key-file`, `--fake`, `--json`, `--base-url`, `--one-api-url`, `--timeout`
    to a command; the command receives them as one `settings: Settings` argument."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = Settings(
            api_key_file=kwargs.pop("api_key_file"),
            fake=kwargs.pop("fake"),
            as_json=kwargs.pop("as_json"),
            base_url=kwargs.pop("base_url"),
            one_api_url=kwargs.pop("one_api_url"),
            timeout=kwargs.pop("timeout"),
        )
        return function(*args, settings=settings, **kwargs)

    options = [
        click.option(
            "--api-key-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help=f"Read the API key from this file (default: the {API_KEY_ENV} variable). "
            "The key is never printed.",
        ),
        click.option(
            "--fake",
            is_flag=True,
            help="Run against the built-in FakeBSG instead of the network (no key needed).",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON."),
        click.option(
            "--base-url",
            envvar="BSG_BASE_URL",
            default=DEFAULT_BASE_URL,
            show_default=True,
            help="The legacy REST API (SMS, Viber); env BSG_BASE_URL.",
        ),
        click.option(
            "--one-api-url",
            envvar="BSG_ONE_API_URL",
            default=DEFAULT_ONE_API_URL,
            show_default=True,
            help="The One-API (balance); env BSG_ONE_API_URL.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1, max=600),
            default=30.0,
            show_default=True,
            help="Seconds per request attempt.",
        ),
    ]
    decorated: Any = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


def read_api_key(settings: Settings) -> str:
    """The API key: from `--api-key-file`, else from `BSG_API_KEY`.

    Raises `UsageProblem` (whose message never contains the key) when there is none.
    """
    path = settings.api_key_file
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UsageProblem(f"the API key file {path} is not UTF-8 text") from None
        except OSError as error:
            raise UsageProblem(
                f"cannot read the API key file {path}: {error.strerror or 'error'}"
            ) from None
        key = text.strip()
        if not key:
            raise UsageProblem(f"the API key file {path} is empty")
        return key
    key = os.environ.get(API_KEY_ENV, "").strip()
    if not key:
        raise UsageProblem(
            f"no API key: set {API_KEY_ENV} or pass --api-key-file PATH "
            "(or --fake to run against the built-in fake)"
        )
    return key


def preferred_backend() -> HttpBackend:
    """The fastest HTTP backend installed: aiohttp's pool (the `cli` extra pulls it in),
    else httpx's. `BSG_HTTP_BACKEND=httpx` (or `aiohttp`) chooses explicitly."""
    chosen = os.environ.get(HTTP_BACKEND_ENV, "").strip().lower()
    if chosen in ("httpx", "aiohttp"):
        return "aiohttp" if chosen == "aiohttp" else "httpx"
    return "aiohttp" if importlib.util.find_spec("aiohttp") is not None else "httpx"


@asynccontextmanager
async def open_client(
    settings: Settings,
    *,
    max_concurrency: int | None = None,
    rate_limit: float | None = None,
    retry: RetryPolicy | None = None,
) -> AsyncIterator[AsyncBSG]:
    """An open `AsyncBSG`: on the network, or on a fresh in-process `FakeBSG` with `--fake`.

    Raises `UsageProblem` for a missing key, `InvalidParameterError` for a bad option.
    """
    options: dict[str, Any] = {"timeout": settings.timeout, "rate_limit": rate_limit}
    if max_concurrency is not None:
        options["max_concurrency"] = max_concurrency
    if retry is not None:
        options["retry"] = retry
    if settings.fake:
        from ..testing import FakeBSG

        fake = FakeBSG(seed=0)
        client = AsyncBSG(FAKE_API_KEY, transport=fake.transport, **options)
    else:
        client = AsyncBSG(
            read_api_key(settings),
            base_url=settings.base_url,
            one_api_url=settings.one_api_url,
            http_backend=preferred_backend(),
            **options,
        )
    async with client:
        yield client


def run_command(output: Output, work: Callable[[], Awaitable[int]]) -> NoReturn:
    """Run `work` in a fresh event loop and exit with its status, mapping failures to codes.

    2 for a usage or configuration problem (bad option, missing or refused key), 1 for any
    other SDK error, 130 for Ctrl-C.
    """
    try:
        try:
            code = anyio.run(work)
        except BaseException as error:
            raise _single(error) from None
    except KeyboardInterrupt:
        output.error("interrupted")
        code = EXIT_INTERRUPTED
    except (UsageProblem, InvalidParameterError) as problem:
        output.error(problem)
        code = EXIT_USAGE
    except AuthenticationError as refused:
        output.error(refused)
        code = EXIT_USAGE
    except BSGError as error:
        output.error(error)
        code = EXIT_FAILED
    raise click.exceptions.Exit(code)


def _single(error: BaseException) -> BaseException:
    """The one exception inside (nested) exception groups of one, else `error` itself."""
    inner = getattr(error, "exceptions", None)
    if isinstance(inner, tuple) and len(inner) == 1 and isinstance(inner[0], BaseException):
        return _single(inner[0])
    return error
