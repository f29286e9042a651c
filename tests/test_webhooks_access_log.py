"""`RedactPathSecret`: the webhook URL's secret never reaches the server's access log."""

from __future__ import annotations

import copy
import logging
import logging.handlers
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import pytest
import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter
from uvicorn.protocols.utils import get_path_with_query_string

from bsg_async import InvalidParameterError
from bsg_async.webhooks import RcsReport, RcsWebhookApp, RedactPathSecret

from .test_webhooks_parse import DOCUMENTED_REPORT

SECRET = "Zk3_q-9sXw"
JSON = {"content-type": "application/json"}
ACCESS_FORMAT = LOGGING_CONFIG["formatters"]["access"]["fmt"]


def access_record(raw_path: str, query: str = "", status: int = 200) -> logging.LogRecord:
    """The record uvicorn's access logger makes for a request (h11 and httptools alike)."""
    scope: dict[str, Any] = {"raw_path": raw_path.encode("latin-1"), "query_string": query.encode()}
    return logging.getLogger("uvicorn.access").makeRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:52000", "POST", get_path_with_query_string(scope), "1.1", status),
        None,
    )


def access_line(record: logging.LogRecord, secret_filter: logging.Filter | None) -> str:
    """The line uvicorn's default access format writes for `record`, after the filter."""
    if secret_filter is not None:
        assert secret_filter.filter(record) is True  # the record is kept
    return AccessFormatter(ACCESS_FORMAT, use_colors=False).format(record)


@pytest.mark.parametrize(
    ("raw_path", "query", "expected"),
    [
        (f"/bsg/rcs/{SECRET}", "", '"POST /bsg/rcs/[secure] HTTP/1.1" 200'),
        (f"/bsg/rcs/{SECRET}/", "", '"POST /bsg/rcs/[secure]/ HTTP/1.1" 200'),
        ("/bsg/rcs/", f"secret={SECRET}", '"POST /bsg/rcs/?secret=[secure] HTTP/1.1" 200'),
        ("/bsg/rcs", f"a=1&token={SECRET}&b=2", '"POST /bsg/rcs?a=1&token=[secure]&b=2 HTTP/1.1"'),
        (f"/bsg/rcs/{SECRET}", f"secret={SECRET}", '"POST /bsg/rcs/[secure]?secret=[secure] HTTP'),
        ("/bsg/rcs/Zk3%5Fq%2D9sXw", "", '"POST /bsg/rcs/[secure] HTTP/1.1" 200'),
        ("/bsg/rcs/", "secret=Zk3_q-9s%58w", '"POST /bsg/rcs/?secret=[secure] HTTP/1.1" 200'),
    ],
    ids=["path", "trailing-slash", "query", "other-parameter", "both", "encoded", "encoded-query"],
)
def test_the_secret_in_a_uvicorn_access_line_is_masked(
    raw_path: str, query: str, expected: str
) -> None:
    record = access_record(raw_path, query)

    line = access_line(record, RedactPathSecret(SECRET))

    assert expected in line
    assert SECRET not in line
    assert SECRET not in record.getMessage()


def test_without_the_filter_uvicorn_writes_the_secret() -> None:
    line = access_line(access_record(f"/bsg/rcs/{SECRET}"), None)

    assert f"/bsg/rcs/{SECRET} HTTP/1.1" in line


@pytest.mark.parametrize(
    "raw_path",
    ["/bsg/rcs/guess", f"/bsg/rcs/{SECRET}x", f"/bsg/rcs/x{SECRET}", "/health", "/"],
)
def test_a_path_without_the_secret_is_logged_as_it_is(raw_path: str) -> None:
    record = access_record(raw_path, "page=2")

    assert f'"POST {raw_path}?page=2 HTTP/1.1" 200' in access_line(record, RedactPathSecret(SECRET))


def test_a_secret_with_separators_is_masked_as_sent_and_encoded() -> None:
    secret = "a b/c=d"
    redact = RedactPathSecret(secret, mask="***")

    assert redact.redact(f"/hook/{quote(secret, safe='')}") == "/hook/***"
    assert redact.redact(f"/hook?s={quote(secret)}") == "/hook?s=***"
    assert redact.redact("/hook?s=a+b%2Fc%3Dd") == "/hook?s=***"
    assert redact.redact(f"secret is {secret}!") == "secret is ***!"


def test_mapping_arguments_keep_their_type_and_are_masked() -> None:
    class Atoms(dict[str, Any]):
        """Like hypercorn's and gunicorn's access-log atoms: a mapping the format reads."""

    atoms = Atoms(r=f"POST /bsg/rcs/{SECRET} HTTP/1.1", s=200, U=f"/bsg/rcs/{SECRET}")
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, "%(r)s %(s)s", (), None
    )
    record.args = atoms

    RedactPathSecret(SECRET).filter(record)

    assert type(record.args) is Atoms
    assert record.getMessage() == "POST /bsg/rcs/[secure] HTTP/1.1 200"
    assert record.args["U"] == "/bsg/rcs/[secure]"
    assert atoms["U"] == f"/bsg/rcs/{SECRET}"  # the caller's mapping is left alone


def test_a_preformatted_message_is_masked() -> None:
    record = logging.LogRecord(
        "access", logging.INFO, __file__, 1, f"GET /bsg/rcs/{SECRET} 404", None, None
    )

    RedactPathSecret(SECRET).filter(record)

    assert record.getMessage() == "GET /bsg/rcs/[secure] 404"


def test_a_record_without_a_text_message_keeps_it() -> None:
    message = {"event": "request", "path": f"/bsg/rcs/{SECRET}"}  # structured logging
    record = logging.LogRecord("access", logging.INFO, __file__, 1, message, None, None)

    assert RedactPathSecret(SECRET).filter(record) is True
    assert record.msg is message


def test_a_mask_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        RedactPathSecret(SECRET, mask=None)  # type: ignore[arg-type]

    assert caught.value.field == "mask"


@pytest.mark.parametrize("secret", ["", None, 7])
def test_a_secret_that_is_not_a_non_empty_string_is_refused(secret: Any) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        RedactPathSecret(secret)

    assert caught.value.field == "secret"


def test_the_filter_does_not_show_its_secret() -> None:
    shown = repr(RedactPathSecret(SECRET))

    assert SECRET not in shown
    assert "[secure]" in shown


# -- a real uvicorn server ----------------------------------------------------------------------


@pytest.fixture
def uvicorn_logging() -> Iterator[None]:
    """uvicorn configures its loggers globally; put them back as they were afterwards."""
    loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.access", "uvicorn.error")]
    saved = [(lg.handlers[:], lg.filters[:], lg.level, lg.propagate) for lg in loggers]
    yield
    for lg, (handlers, filters, level, propagate) in zip(loggers, saved, strict=True):
        lg.handlers[:] = handlers
        lg.filters[:] = filters
        lg.setLevel(level)
        lg.propagate = propagate


async def ignore(report: RcsReport) -> None:
    """A handler that takes every report."""


async def serve_and_log(*, redact: bool) -> list[str]:
    """Serve an `RcsWebhookApp` with uvicorn's own logging configuration (access log on, its
    format) on 127.0.0.1, POST one report with the secret in the path and one with it in the
    query, and return the access lines uvicorn wrote."""
    log_config = copy.deepcopy(LOGGING_CONFIG)
    log_config["handlers"]["access"] = {
        "class": "logging.handlers.BufferingHandler",
        "capacity": 1000,
        "formatter": "access",
    }
    log_config["formatters"]["access"]["use_colors"] = False
    if redact:  # added before uvicorn configures logging, as an app module imported early would
        logging.getLogger("uvicorn.access").addFilter(RedactPathSecret(SECRET))
    app = RcsWebhookApp(ignore, secret=SECRET)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        app, log_config=log_config, lifespan="on", http="h11", ws="none", access_log=True
    )
    server = uvicorn.Server(config)
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(server.serve, [sock])
            with anyio.fail_after(10):
                while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, no event
                    await anyio.sleep(0.01)
                base = f"http://127.0.0.1:{sock.getsockname()[1]}"
                async with httpx.AsyncClient(base_url=base, trust_env=False) as client:
                    in_path = await client.post(
                        f"/bsg/rcs/{SECRET}", content=DOCUMENTED_REPORT, headers=JSON
                    )
                    in_query = await client.post(
                        f"/bsg/rcs/?secret={SECRET}", content=DOCUMENTED_REPORT, headers=JSON
                    )
                server.should_exit = True
    finally:
        sock.close()
    assert [in_path.status_code, in_query.status_code] == [200, 200]
    [handler] = logging.getLogger("uvicorn.access").handlers
    assert isinstance(handler, logging.handlers.BufferingHandler)
    return [handler.format(record) for record in handler.buffer]


@pytest.mark.usefixtures("uvicorn_logging")
async def test_a_real_uvicorn_access_log_with_the_filter_never_shows_the_secret() -> None:
    lines = await serve_and_log(redact=True)

    assert len(lines) == 2
    assert '"POST /bsg/rcs/[secure] HTTP/1.1" 200' in lines[0]
    assert '"POST /bsg/rcs/?secret=[secure] HTTP/1.1" 200' in lines[1]
    assert not [line for line in lines if SECRET in line]


@pytest.mark.usefixtures("uvicorn_logging")
async def test_a_real_uvicorn_access_log_without_the_filter_shows_the_secret() -> None:
    # Why the filter exists (and proof that the test above looks at the real lines).
    lines = await serve_and_log(redact=False)

    assert [SECRET in line for line in lines] == [True, True]


# -- the webhooks guide's example --------------------------------------------------------------

GUIDE_EXAMPLE = """\
import logging
import os

from bsg_async.webhooks import RedactPathSecret

logging.getLogger("uvicorn.access").addFilter(RedactPathSecret(os.environ["BSG_WEBHOOK_SECRET"]))
"""


@pytest.mark.usefixtures("uvicorn_logging")
def test_the_guide_example_masks_uvicorns_access_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    guide = Path(__file__).resolve().parent.parent / "docs" / "guides" / "webhooks.md"
    assert GUIDE_EXAMPLE in guide.read_text(encoding="utf-8")
    monkeypatch.setenv("BSG_WEBHOOK_SECRET", SECRET)
    exec(compile(GUIDE_EXAMPLE, "<guide example>", "exec"), {"__name__": "guide_example"})
    record = access_record(f"/bsg/rcs/{SECRET}")

    assert logging.getLogger("uvicorn.access").filter(record)
    assert '"POST /bsg/rcs/[secure] HTTP/1.1" 200' in access_line(record, None)
