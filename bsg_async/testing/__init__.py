"""`bsg_async.testing`: a stateful fake of the BSG service for your tests, demos and benchmarks.

```python
from bsg_async import AsyncBSG, Recipient
from bsg_async.testing import FakeBSG, Faults

fake = FakeBSG(seed=1, faults=Faults({"lost_answer": 0.1}, paths=["*/create"]))
async with AsyncBSG(api_key="test_x", transport=fake.transport) as bsg:
    result = await bsg.viber.send(...)
for entry in result.accepted:
    assert fake.viber.acceptances(entry.reference) == 1     # accepted exactly once
fake.advance(60)                                           # statuses move on
```

The One-API side too: RCS sends, campaigns, the message search, balance and tariffs, with RCS
status reports delivered to your handler or webhook URL as statuses move:

```python
fake = FakeBSG(webhook=Webhook(handler=on_report))         # async, takes an RcsReport
async with AsyncBSG(api_key="test_x", transport=fake.transport) as bsg:
    info = await bsg.rcs.send("380501234567", sender="Shop", text="Shipped")
fake.advance(60)
await fake.deliver_callbacks()                              # on_report: sent, delivered...
```

One-time passwords: the fake generates each session's code, and your tests read it to log in:

```python
session = await bsg.otp.send(to="380501234567", sender="Shop", template=fake.otp.default_template)
await bsg.otp.verify(session.id, fake.otp.code(session.id))    # or fake.otp.last_code(to=...)
fake.advance(301)                                               # later codes expire
```

- In process: `fake.transport` is an `httpx.AsyncBaseTransport` (faults raise the real httpx
  exceptions); over HTTP: `fake.app` is an ASGI app, `async with fake.serve() as server:` runs it
  with uvicorn on 127.0.0.1, and `python -m bsg_async.testing --port 8080` serves one in its own
  process.
- Configure it with a few frozen values: `FakeBSG(account=Account(...), rules=Rules(...),
  lifecycle=Lifecycle(...), webhook=Webhook(...), faults=Faults(...))`, each with defaults.
- pytest: the plugin `bsg_async.testing.pytest_plugin` offers the fixtures `fake_bsg` and
  `bsg_client`.

The library itself never imports this package.
"""

from ._asgi import FakeApp
from ._callbacks import CallbackDelivery
from ._config import Account, Lifecycle, Rules, Webhook
from ._fake import Exchange, FakeBSG, RecordedRequest
from ._fates import MessageState
from ._faults import FaultKind, Faults
from ._otp import FakeOtpSession, FakeOtpTemplate, OtpView
from ._records import FakeCampaign, FakeMessage, FakeRcsMessage, RcsSubmission, Submission, Task
from ._server import FakeServer
from ._transport import FakeTransport
from ._views import ChannelView, RcsView

__all__ = [
    "Account",
    "CallbackDelivery",
    "ChannelView",
    "Exchange",
    "FakeApp",
    "FakeBSG",
    "FakeCampaign",
    "FakeMessage",
    "FakeOtpSession",
    "FakeOtpTemplate",
    "FakeRcsMessage",
    "FakeServer",
    "FakeTransport",
    "FaultKind",
    "Faults",
    "Lifecycle",
    "MessageState",
    "OtpView",
    "RcsSubmission",
    "RcsView",
    "RecordedRequest",
    "Rules",
    "Submission",
    "Task",
    "Webhook",
]
