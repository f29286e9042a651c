"""HTTP transports for an `httpx.AsyncClient` of your own: `AiohttpTransport`.

`AiohttpTransport` is what `AsyncBSG(http_backend="aiohttp")` puts under its client: an aiohttp
connection pool behind httpx's transport interface, and nothing more. Give it to a client of
your own for everything else `httpx.AsyncClient` offers (event hooks, mounts, default headers,
a base URL) on that pool, and pass that client to `AsyncBSG(http_client=...)`. Importing this
module needs the aiohttp extra (`pip install "bsg-async[aiohttp]"`) and the transport an
asyncio event loop.

```python
import httpx

from bsg_async import AsyncBSG
from bsg_async.transports import AiohttpTransport


async def log_request(request: httpx.Request) -> None:
    print(request.method, request.url.path)


async with (
    httpx.AsyncClient(
        transport=AiohttpTransport(limits=httpx.Limits(max_connections=100)),
        timeout=httpx.Timeout(30.0, connect=10.0),
        event_hooks={"request": [log_request]},
    ) as http,
    AsyncBSG(api_key="live_...", http_client=http) as bsg,
):
    report = await bsg.viber.send_many(to=numbers, text="Sale", sender="BSG")
```
"""

from ._aiohttp import AiohttpTransport

__all__ = ["AiohttpTransport"]

AiohttpTransport.__module__ = __name__  # its home is this module, as tracebacks and reprs say
