"""The two forms of a high-volume send, written once.

Each high-volume operation of a channel is one method that returns an `OutcomeStream`
(`stream_many`, `stream_campaign_many`): its keywords, their checks and the requests it sends
are written there, once. The form that waits for every outcome and returns a `BatchReport`
(`send_many`, `send_campaign_many`) is built from it by `send_form`:

```python
def stream_many(self, *, to: Recipients, text: str, ...) -> OutcomeStream: ...

send_many = send_form(stream_many)  # its docstring on the lines below
```

so it takes exactly the keywords of the stream form and can never drift from it: the
`ParamSpec` carries the stream form's signature to type checkers (a misspelt keyword is an
error on either form), `inspect.signature` reads it at run time, and the docs' griffe extension
(`docs/griffe_send_forms.py`) renders it with the docstring written under the assignment.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from .batch import OutcomeStream
from .batch import _collect as collect
from .models.batch import BatchReport

__all__ = ["send_form"]

P = ParamSpec("P")
Resource = TypeVar("Resource")

STREAM_PREFIX = "stream_"
SEND_PREFIX = "send_"


def send_form(
    stream_form: Callable[Concatenate[Resource, P], OutcomeStream],
) -> Callable[Concatenate[Resource, P], Coroutine[Any, Any, BatchReport]]:
    """The method that runs `stream_form` to its end and returns its outcomes in input order
    as a `BatchReport`; named `send_<x>` after `stream_<x>`, with its keywords and checks."""
    stream_name = stream_form.__name__
    if not stream_name.startswith(STREAM_PREFIX):
        raise ValueError(f"{stream_name}: a stream form is named {STREAM_PREFIX}<operation>")

    async def send(resource: Resource, /, *args: P.args, **kwargs: P.kwargs) -> BatchReport:
        # Looked up on the resource, as `self.stream_many(...)` would be: a subclass's or a
        # test's replacement of the stream form is what the send form runs.
        stream: Callable[P, OutcomeStream] = getattr(resource, stream_name)
        return await collect(stream(*args, **kwargs))

    name = SEND_PREFIX + stream_name.removeprefix(STREAM_PREFIX)
    send.__name__ = name
    send.__qualname__ = stream_form.__qualname__.removesuffix(stream_name) + name
    send.__module__ = stream_form.__module__
    send.__doc__ = (
        f"Like `{stream_name}` (the same keywords and checks), but wait for every outcome and "
        "return them as a `BatchReport`, in input order; partial failure never raises."
    )
    signature = inspect.signature(stream_form).replace(return_annotation="BatchReport")
    send.__dict__["__signature__"] = signature
    return send
