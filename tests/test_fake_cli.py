"""`python -m bsg_async.testing` options, and the pytest plugin's fixtures."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from bsg_async import AsyncBSG
from bsg_async.testing import FakeApp, FakeBSG, FaultKind
from bsg_async.testing._cli import build_parser, fake_from_args, main
from bsg_async.testing._server import listening_socket
from bsg_async.testing.pytest_plugin import FAKE_API_KEY, bsg_client, fake_bsg

pytest_plugins = ["pytester"]

__all__ = ["bsg_client", "fake_bsg"]  # fixtures, imported for pytest

ROOT = Path(__file__).resolve().parent.parent


def _fake(*argv: str) -> FakeBSG:
    return fake_from_args(build_parser().parse_args(list(argv)))


def test_command_line_configures_the_fake() -> None:
    fake = _fake(
        "--seed=7",
        "--latency-ms=20",
        "--latency-jitter-ms=5",
        "--fault=lost_answer=0.01",
        "--fault=503=0.02",
        "--fault-path=*/create",
        "--fault-method=POST",
        "--retry-after=3",
        "--api-key=test_a",
        "--api-key=test_b",
        "--single-shape=wrapped",
        "--sms-price=0.05",
        "--viber-price=0.3",
        "--currency=USD",
        "--http-error-status",
        "--non-viber-rate=0.5",
        "--balance=1",
        "--credit=0.5",
        "--unroutable-prefix=99988",
        "--unroutable-prefix=371",
    )

    assert fake.seed == 7
    assert fake.faults.rates == {FaultKind.LOST_ANSWER: 0.01, FaultKind.SERVICE_UNAVAILABLE: 0.02}
    assert (fake.faults.latency, fake.faults.latency_jitter, fake.faults.retry_after) == (
        0.02,
        0.005,
        3,
    )
    assert fake.faults.scope.matches("POST", "/rest/viber/create")
    assert not fake.faults.scope.matches("GET", "/rest/viber/create")
    account, rules = fake.account, fake.rules
    assert account.api_keys == {"test_a", "test_b"}
    assert rules.single_shape == "wrapped"
    assert (account.sms_price, account.viber_price, account.currency) == (
        Decimal("0.05"),
        Decimal("0.3"),
        "USD",
    )
    assert rules.http_error_status
    assert fake.lifecycle.non_viber_rate == 0.5
    assert (account.balance, account.credit) == (Decimal(1), Decimal("0.5"))
    assert rules.unroutable_prefixes == ("99988", "371")


def test_command_line_defaults_never_refuse_for_funds_or_routes() -> None:
    fake = _fake()

    assert (fake.account.credit, fake.rules.unroutable_prefixes) == (None, ())


def test_served_fake_runs_on_the_real_clock_unless_frozen() -> None:
    live = _fake()
    frozen = _fake("--frozen-clock")
    before = time.time()

    assert live.now() >= before
    assert frozen.now() == frozen.now() <= before


@pytest.mark.parametrize(
    "argv",
    [
        ["--fault=teapot=0.1"],
        ["--fault=lost_answer"],
        ["--fault=500=x"],
        ["--latency-ms=-1"],
        ["--latency-ms=slow"],
        ["--non-viber-rate=2"],
        ["--sms-price=cheap"],
        ["--sms-price=Infinity"],
        ["--credit=-1"],
        ["--unroutable-prefix=+380"],
        ["--fault=500=0.7", "--fault=503=0.7"],
    ],
)
def test_bad_option_exits_with_status_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)

    assert caught.value.code == 2
    assert capsys.readouterr().err


@pytest.fixture
def no_serving(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """`uvicorn.Server.run` records its socket instead of serving (so no test can hang)."""
    import uvicorn

    runs: list[object] = []

    def run(self: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        assert sockets is not None
        runs.append((self.config.app, sockets[0].getsockname()))

    monkeypatch.setattr(uvicorn.Server, "run", run)
    return runs


def test_main_serves_the_fake_on_the_port_it_prints(
    no_serving: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["--port", "0", "--seed", "3"])

    [(app, (host, port))] = no_serving  # type: ignore[misc]
    assert status == 0
    assert host == "127.0.0.1"
    assert capsys.readouterr().out == f"FakeBSG listening on http://127.0.0.1:{port}\n"
    assert isinstance(app, FakeApp)
    assert app.fake.seed == 3


def test_bsg_fake_serve_serves_the_fake_with_the_same_options(
    no_serving: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    from bsg_async.cli import main as bsg

    status = bsg(["fake", "serve", "--port", "0", "--seed", "4", "--fault", "lost_answer=0.5"])

    [(app, (_host, port))] = no_serving  # type: ignore[misc]
    assert status == 0
    assert capsys.readouterr().out == f"FakeBSG listening on http://127.0.0.1:{port}\n"
    assert isinstance(app, FakeApp)
    assert app.fake.seed == 4
    assert app.fake.faults.rates == {FaultKind.LOST_ANSWER: 0.5}


def test_bsg_fake_serve_refuses_a_bad_option_with_status_2_under_its_own_name(
    no_serving: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    from bsg_async.cli import main as bsg

    status = bsg(["fake", "serve", "--port", "x"])

    assert status == 2
    assert "bsg fake serve: error: argument --port" in capsys.readouterr().err
    assert no_serving == []


def test_a_port_already_in_use_exits_with_status_2(
    no_serving: list[object], capsys: pytest.CaptureFixture[str]
) -> None:
    taken = listening_socket("127.0.0.1", 0)
    taken.listen()
    try:
        status = main(["--port", str(taken.getsockname()[1])])
    finally:
        taken.close()

    assert status == 2
    assert "cannot listen" in capsys.readouterr().err
    assert no_serving == []


def test_python_m_serves_over_http() -> None:
    command = [sys.executable, "-m", "bsg_async.testing", "--port", "0", "--seed", "2"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 30)
            assert ready, "the server did not report its address within 30 s"
            url = process.stdout.readline().strip().rpartition(" ")[2]
            state = httpx.get(f"{url}/_fake/state", timeout=10).json()
            created = httpx.post(
                f"{url}/rest/sms/create",
                content=b'{"destination":"phone","msisdn":"380501234567","reference":"p1",'
                b'"originator":"a","body":"b"}',
                headers={"X-API-KEY": "test_x"},
                timeout=10,
            ).json()
        finally:
            process.terminate()
            process.wait(timeout=30)

    assert state["seed"] == 2
    assert created["error"] == "0"


# -- pytest plugin ----------------------------------------------------------------------------


async def test_bsg_client_fixture_talks_to_fake_bsg(
    bsg_client: AsyncBSG, fake_bsg: FakeBSG
) -> None:
    receipt = await bsg_client.sms.send(to="380501234567", text="Hi", sender="Shop")

    assert fake_bsg.sms.acceptances(receipt.reference) == 1
    assert fake_bsg.requests[0].path == "/rest/sms/create"


async def test_bsg_client_fixture_retries_without_waiting(
    bsg_client: AsyncBSG, fake_bsg: FakeBSG
) -> None:
    fake_bsg.faults.script(["503", "lost_answer"])

    receipt = await bsg_client.sms.send(to="380501234567", text="Hi", sender="Shop")

    assert fake_bsg.sms.acceptances(receipt.reference) == 1
    assert FAKE_API_KEY.startswith("test_")


def test_marker_configures_the_fixture(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest('pytest_plugins = ["bsg_async.testing.pytest_plugin"]')
    pytester.makepyfile(
        """
        import pytest
        from bsg_async.testing import Account

        @pytest.mark.fake_bsg(seed=5, account=Account(currency="USD"))
        def test_configured(fake_bsg):
            assert fake_bsg.seed == 5 and fake_bsg.account.currency == "USD"

        def test_default(fake_bsg):
            assert fake_bsg.seed == 0

        async def test_client(bsg_client, fake_bsg):
            receipt = await bsg_client.sms.send(to="380501234567", text="x", sender="y")
            assert fake_bsg.sms.acceptances(receipt.reference) == 1
        """
    )
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)
    # Only the plugins named here: the conftest's way works whether or not bsg-async is
    # installed with its entry point.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")

    result = pytester.runpytest_subprocess(
        "-p",
        "pytest_asyncio.plugin",
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_mode=auto",
        "--strict-markers",
        timeout=120,
    )

    result.assert_outcomes(passed=3)


RUNNERS = """
import asyncio
import pytest

async def sent_once(bsg_client, fake_bsg):
    loop = asyncio.get_running_loop()
    receipt = await bsg_client.sms.send(to="380501234567", text="x", sender="y")
    assert fake_bsg.sms.acceptances(receipt.reference) == 1
    return loop

@pytest.mark.anyio
async def test_under_anyio(bsg_client, fake_bsg):
    await sent_once(bsg_client, fake_bsg)

@pytest.mark.asyncio
async def test_under_pytest_asyncio(bsg_client, fake_bsg):
    await sent_once(bsg_client, fake_bsg)
"""


@pytest.mark.parametrize(
    ("plugins", "options", "selected"),
    [
        (["pytest_asyncio.plugin"], ["-o", "asyncio_mode=strict"], "pytest_asyncio"),
        (["pytest_asyncio.plugin"], ["-o", "asyncio_mode=auto"], "pytest_asyncio"),
        (["anyio.pytest_plugin"], [], "anyio"),
        (["pytest_asyncio.plugin", "anyio.pytest_plugin"], ["-o", "asyncio_mode=strict"], ""),
        (["pytest_asyncio.plugin", "anyio.pytest_plugin"], ["-o", "asyncio_mode=auto"], ""),
    ],
    ids=["asyncio-strict", "asyncio-auto", "anyio-alone", "both-strict", "both-auto"],
)
def test_the_fixtures_work_under_every_async_test_runner(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    plugins: list[str],
    options: list[str],
    selected: str,
) -> None:
    pytester.makeconftest('pytest_plugins = ["bsg_async.testing.pytest_plugin"]')
    pytester.makepyfile(RUNNERS)
    pytester.makeini("[pytest]\nmarkers =\n    asyncio: pytest-asyncio\n    anyio: anyio\n")
    if "pytest_asyncio.plugin" in plugins:
        options = [*options, "-o", "asyncio_default_fixture_loop_scope=function"]
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    loaded = [arg for plugin in plugins for arg in ("-p", plugin)]

    result = pytester.runpytest_subprocess(
        *loaded, "-p", "no:cacheprovider", "-W", "error", *options, "-k", selected, timeout=120
    )

    result.assert_outcomes(passed=2 if not selected else 1, deselected=1 if selected else 0)


def test_the_library_never_imports_the_fake_and_the_fake_imports_uvicorn_lazily() -> None:
    code = """
import importlib, pkgutil, sys
import bsg_async
for info in pkgutil.iter_modules(bsg_async.__path__, "bsg_async."):
    if info.name in ("bsg_async.testing", "bsg_async.cli", "bsg_async.__main__"):
        continue
    try:
        importlib.import_module(info.name)
    except ModuleNotFoundError as exc:  # an optional extra is not installed
        if (exc.name or "").startswith("bsg_async"):
            raise
assert not [m for m in sys.modules if m.startswith("bsg_async.testing")], "testing imported"
import bsg_async.testing
assert "uvicorn" not in sys.modules, "uvicorn imported eagerly"
"""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }

    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr


def test_the_printed_address_accepts_connections_before_uvicorn_runs() -> None:
    from bsg_async.testing._server import listening_socket

    sock = listening_socket("127.0.0.1", 0)
    try:
        # Nothing accepts yet: the connection must wait in the backlog, not be refused.
        with socket.create_connection(sock.getsockname()[:2], timeout=5):
            pass
    finally:
        sock.close()
