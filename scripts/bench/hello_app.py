"""The generator-ceiling check's server: the smallest ASGI app that answers every request.

It reads the request body (as the real servers do) and answers 200 with a short TwiML-like
body, doing no other work. `wrk` driving it with the very script and concurrency of a
benchmark shows how fast that generator can go on this machine: when it is many times the
rate measured against Groundswell and its baseline, the generator did not set their ceiling.
"""

from __future__ import annotations

from typing import Any

BODY = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
HEADERS = [(b"content-type", b"application/xml"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
