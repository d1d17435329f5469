"""The optional admin token guarding the control API (`--admin-token`)."""

from __future__ import annotations

import hmac
import json
from typing import Any

HEADER = b"x-admin-token"
OPEN_PATHS = ("/_mock/health",)  # readiness probes need no secret


class AdminGuard:
    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/_mock") or path in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", []) if k == HEADER), b"")
        bearer = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
        if bearer.lower().startswith(b"bearer "):
            given = given or bearer[7:].strip()
        if hmac.compare_digest(given, self.token):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"detail": "Control API: missing or wrong X-Admin-Token"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
