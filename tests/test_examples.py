"""Every script in `examples/` runs against FakeBSG served on 127.0.0.1: the campaign script
and the queue worker as real processes, the FastAPI app under uvicorn with the fake POSTing its
RCS status reports back to the app's webhook."""

from __future__ import annotations

import csv
import importlib.util
import logging
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

import anyio
import httpx
import pytest

from bsg_async import AsyncBSG
from bsg_async.testing import Account, FakeBSG, FakeServer, Rules
from bsg_async.testing._server import listening_socket

from .cli_support import ROOT, python_env
from .conftest import API_KEY

EXAMPLES = ROOT / "examples"
RUN_TIMEOUT = 60
SECRET = "s3cret-for-the-test"


def test_every_example_is_executed_by_this_module() -> None:
    tested = {"campaign.py", "queue_worker.py", "fastapi_app.py", "fastapi_otp.py"}

    assert {path.name for path in EXAMPLES.glob("*.py")} == tested


async def run_example(script: str, *args: str, fake: FakeServer) -> tuple[int, str]:
    env = python_env({"BSG_API_KEY": API_KEY, "BSG_BASE_URL": fake.base_url})
    with anyio.fail_after(RUN_TIMEOUT):
        done = await anyio.run_process(
            [sys.executable, str(EXAMPLES / script), *args], env=env, cwd=ROOT, check=False
        )
    return done.returncode, done.stdout.decode() + done.stderr.decode()


async def test_the_campaign_script_sends_everyone_once_and_resumes(tmp_path: Path) -> None:
    fake = FakeBSG(
        seed=2, account=Account(api_keys=[API_KEY]), rules=Rules(invalid_prefixes=["3800000"])
    )
    recipients = tmp_path / "recipients.csv"
    rows = [("380000000001", "c0")] + [(f"38097{i:07d}", f"c{i}") for i in range(1, 130)]
    recipients.write_text(
        "msisdn,reference\n" + "".join(f"{m},{r}\n" for m, r in rows), encoding="utf-8"
    )

    async with fake.serve() as server:
        first, first_output = await run_example("campaign.py", str(recipients), fake=server)
        again, again_output = await run_example(
            "campaign.py", str(recipients), "--resume", fake=server
        )

    assert first == 1, first_output  # one number is refused
    assert "sent 129 (skipped 0 sent before), failed 1" in first_output
    assert "statuses: {" in first_output and "cost: 29.67 EUR" in first_output
    assert again == 1 and "sent 0 (skipped 129 sent before), failed 1" in again_output
    accepted = fake.viber.accepted
    assert len(accepted) == 129 and set(accepted.values()) == {1}
    with (tmp_path / "recipients.outcomes.csv").open(encoding="utf-8", newline="") as handle:
        outcomes = list(csv.DictReader(handle))
    sent = {row["reference"]: int(row["id"]) for row in outcomes if row["outcome"] == "sent"}
    assert sent == {ref: fake.viber.find(ref).id for ref in accepted}  # type: ignore[union-attr]


async def test_the_campaign_script_refuses_to_start_twice(tmp_path: Path) -> None:
    recipients = tmp_path / "recipients.csv"
    recipients.write_text("msisdn,reference\n380970000001,a\n", encoding="utf-8")
    (tmp_path / "recipients.outcomes.csv").write_text("reference,outcome\n", encoding="utf-8")

    async with FakeBSG(account=Account(api_keys=[API_KEY])).serve() as server:
        code, output = await run_example("campaign.py", str(recipients), fake=server)

    assert code == 1 and "pass --resume" in output


async def test_the_queue_worker_sends_each_job_once_even_when_delivered_twice() -> None:
    fake = FakeBSG(seed=3, account=Account(api_keys=[API_KEY]))

    async with fake.serve() as server:
        code, output = await run_example("queue_worker.py", fake=server)

    assert code == 0, output
    assert "jobs: 42, duplicate: 1, failed: 1, sent: 40" in output
    assert "order7: duplicate" in output and "order99: failed" in output
    assert len(fake.sms) == 40
    assert fake.sms.acceptances("order7") == 1
    assert {m.reference for m in fake.sms.messages} == {f"order{n}" for n in range(1, 41)}


# -- the FastAPI app -----------------------------------------------------------------------


def load_app(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], script: str = "fastapi_app.py"
) -> ModuleType:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        f"example_{script.removesuffix('.py')}", EXAMPLES / script
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    return module


@asynccontextmanager
async def serve_app(module: ModuleType, sock: socket.socket) -> AsyncIterator[None]:
    """Run the example app under uvicorn (its lifespan included) on `sock`."""
    import uvicorn

    config = uvicorn.Config(module.app, lifespan="on", ws="none", log_level="warning")
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as group:
        group.start_soon(lambda: server.serve(sockets=[sock]))
        with anyio.fail_after(RUN_TIMEOUT):
            while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
                await anyio.sleep(0.01)
        try:
            yield
        finally:
            server.should_exit = True


async def test_the_fastapi_app_sends_rcs_and_receives_its_status_reports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("fastapi")
    fake = FakeBSG(seed=4, account=Account(api_keys=[API_KEY]))
    sock = listening_socket("127.0.0.1", 0)
    app_url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    try:
        async with fake.serve() as bsg_server:
            example = load_app(
                monkeypatch,
                {
                    "BSG_API_KEY": API_KEY,
                    "BSG_BASE_URL": bsg_server.base_url,
                    "BSG_ONE_API_URL": bsg_server.url,
                    "BSG_WEBHOOK_SECRET": SECRET,
                    "PUBLIC_URL": app_url,
                },
            )
            async with serve_app(example, sock), httpx.AsyncClient(base_url=app_url) as http:
                order = {"phone": "+380501234567", "text": "Your order A1001 has shipped"}
                first = await http.post("/orders/A1001/notify", json=order)
                retried = await http.post("/orders/A1001/notify", json=order)
                before = await http.get("/orders/A1001/status")
                fake.advance(3600)  # the message moves on: BSG reports each status
                deliveries = await fake.deliver_callbacks()
                after = await http.get("/orders/A1001/status")
                bad = await http.post("/orders/A1002/notify", json={**order, "phone": "12"})
                intruder = await http.post("/bsg/rcs/guess", json={"id": "1", "status": "read"})
    finally:
        sock.close()

    assert first.status_code == 200, first.text
    assert retried.json()["message_id"] == first.json()["message_id"]
    assert fake.rcs.acceptances("A1001") == 1
    message = fake.rcs.find("A1001")
    assert message is not None and message.to == "380501234567"
    assert before.status_code == 404
    assert deliveries and all(d.delivered for d in deliveries)
    assert after.status_code == 200, after.text
    assert after.json()["status"] == fake.rcs.status("A1001")
    assert after.json()["message_id"] == first.json()["message_id"]
    assert bad.status_code == 422 and bad.json()["detail"]["field"] == "to"
    assert intruder.status_code == 404
    assert not fake.rcs.find("A1002")


async def test_the_fastapi_app_masks_its_webhook_secret_in_uvicorns_access_log(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("fastapi")
    example = load_app(
        monkeypatch,
        {"BSG_API_KEY": API_KEY, "BSG_WEBHOOK_SECRET": SECRET, "PUBLIC_URL": "http://127.0.0.1"},
    )
    access_log = logging.getLogger("uvicorn.access")

    def access_line() -> str:  # the record uvicorn's access logger makes, through its filters
        record = access_log.makeRecord(
            "uvicorn.access",
            logging.INFO,
            __file__,
            1,
            '%s - "%s %s HTTP/%s" %d',
            ("203.0.113.7:5000", "POST", f"/bsg/rcs/{SECRET}", "1.1", 200),
            None,
        )
        access_log.filter(record)
        return record.getMessage()

    async with example.app.router.lifespan_context(example.app):
        running = access_line()
    stopped = access_line()

    assert running == '203.0.113.7:5000 - "POST /bsg/rcs/[secure] HTTP/1.1" 200'
    assert SECRET in stopped  # the app removed its filter on shutdown


# -- the FastAPI one-time-code sign-in -----------------------------------------------------------

PHONE = "380501234567"


@asynccontextmanager
async def otp_app(
    monkeypatch: pytest.MonkeyPatch, fake: FakeBSG
) -> AsyncIterator[httpx.AsyncClient]:
    """The sign-in example in process: its BSG client on the fake's transport, its lifespan
    run, an httpx client on its ASGI face."""
    example = load_app(monkeypatch, {"BSG_API_KEY": API_KEY}, "fastapi_otp.py")
    app = example.create_app(lambda: AsyncBSG(api_key=API_KEY, transport=fake.transport))
    transport = httpx.ASGITransport(app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://app.test") as http,
    ):
        yield http


async def test_the_otp_app_signs_a_user_in_with_the_code_the_phone_got(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("fastapi")
    fake = FakeBSG(seed=5, account=Account(api_keys=[API_KEY]))

    async with otp_app(monkeypatch, fake) as http:
        sent = await http.post("/login/code", json={"phone": "+" + PHONE})
        login_id = sent.json()["login_id"]
        wrong = await http.post("/login/verify", json={"login_id": login_id, "code": "0000000"})
        code = fake.otp.last_code(to=PHONE)  # what the phone received
        verified = await http.post("/login/verify", json={"login_id": login_id, "code": code})
        token = verified.json()["token"]
        me = await http.get("/me", headers={"Authorization": f"Bearer {token}"})
        stranger = await http.get("/me", headers={"Authorization": "Bearer guess"})

    assert sent.status_code == 201, sent.text
    assert sent.json()["max_tries"] == 3
    assert wrong.status_code == 401 and wrong.json()["detail"] == {"error": "wrong_code"}
    assert verified.status_code == 200, verified.text
    assert verified.json()["phone"] == PHONE
    assert fake.otp.status(login_id) == "verified"
    assert me.json() == {"phone": PHONE}
    assert stranger.status_code == 401


async def test_the_otp_app_answers_expired_exhausted_and_bad_codes_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("fastapi")
    fake = FakeBSG(seed=6, account=Account(api_keys=[API_KEY]))

    async with otp_app(monkeypatch, fake) as http:
        late = (await http.post("/login/code", json={"phone": PHONE})).json()["login_id"]
        late_code = fake.otp.code(late)
        fake.advance(301)  # past the five minutes the code lives
        expired = await http.post("/login/verify", json={"login_id": late, "code": late_code})
        resend_late = await http.post("/login/resend", json={"login_id": late})

        guessed = (await http.post("/login/code", json={"phone": PHONE})).json()["login_id"]
        wrong = "1" * 6 if fake.otp.code(guessed) != "1" * 6 else "2" * 6
        tries = [
            (await http.post("/login/verify", json={"login_id": guessed, "code": wrong}))
            for _ in range(3)
        ]
        right = fake.otp.code(guessed)
        exhausted = await http.post("/login/verify", json={"login_id": guessed, "code": right})

        fresh = (await http.post("/login/code", json={"phone": PHONE})).json()["login_id"]
        resent = await http.post("/login/resend", json={"login_id": fresh})
        malformed = await http.post("/login/verify", json={"login_id": fresh, "code": "12 34"})
        unknown = await http.post(
            "/login/verify",
            json={"login_id": "00000000-0000-4000-8000-000000000000", "code": "123456"},
        )
        bad_phone = await http.post("/login/code", json={"phone": "12"})

    assert expired.status_code == 410 and expired.json()["detail"] == {"error": "code_expired"}
    assert resend_late.status_code == 410
    assert [t.status_code for t in tries] == [401, 401, 401]
    assert exhausted.status_code == 403
    assert exhausted.json()["detail"] == {"error": "too_many_tries"}
    assert resent.status_code == 200 and resent.json()["login_id"] == fresh
    assert malformed.status_code == 422 and malformed.json()["detail"]["field"] == "code"
    assert "12 34" not in malformed.text
    assert unknown.status_code == 404
    assert bad_phone.status_code == 422 and bad_phone.json()["detail"]["field"] == "to"


async def test_the_otp_app_runs_under_uvicorn_against_a_served_fake(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("fastapi")
    fake = FakeBSG(seed=7, account=Account(api_keys=[API_KEY]))
    sock = listening_socket("127.0.0.1", 0)
    app_url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    try:
        async with fake.serve() as bsg_server:
            example = load_app(
                monkeypatch,
                {"BSG_API_KEY": API_KEY, "BSG_ONE_API_URL": bsg_server.url},
                "fastapi_otp.py",
            )
            async with (
                serve_app(example, sock),
                httpx.AsyncClient(base_url=app_url) as http,
                httpx.AsyncClient(base_url=bsg_server.url) as control,
            ):
                sent = await http.post("/login/code", json={"phone": PHONE})
                login_id = sent.json()["login_id"]
                code = (await control.get("/_fake/otp-code", params={"to": PHONE})).json()["code"]
                verified = await http.post(
                    "/login/verify", json={"login_id": login_id, "code": code}
                )
    finally:
        sock.close()

    assert sent.status_code == 201, sent.text
    assert verified.status_code == 200, verified.text
    assert fake.otp.status(login_id) == "verified"
