"""Small ASGI plumbing shared by the raw middlewares (gate, faults, landing)."""

from __future__ import annotations

from typing import Any

from starlette.types import Scope, Send

from mockserver.engine.encoding import dumps


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of a request header (`name` in lower case)."""
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_json(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None
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


# With shared state (several processes), which one served; the gate adds it.
WORKER_HEADER = "X-Mock-Worker"
