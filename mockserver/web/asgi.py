"""Small ASGI plumbing shared by the raw middlewares (journal, faults, admin guard)."""

from __future__ import annotations

import os
from typing import Any

from mockserver.web.encoding import dumps


def header(scope: Any, name: bytes) -> str | None:
    """The first value of a request header (`name` in lower case)."""
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_json(
    send: Any, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    raw = dumps(body)
    extra = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


WORKER_HEADER = "X-Mock-Worker"


class ServedBy:
    """Adds `X-Mock-Worker: <pid>` to every answer (with worker processes, which one served)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.pid = str(os.getpid()).encode()
        self.name = WORKER_HEADER.lower().encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def tagged(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (self.name, self.pid),
                    ],
                }
            await send(message)

        await self.app(scope, receive, tagged if scope["type"] == "http" else send)
