"""The optional admin token guarding the control API (`--admin-token`)."""

from __future__ import annotations

import hmac
from typing import Any

from mockserver.web.asgi import header, send_json

# Readiness probes need no secret; nor does the dashboard's page and its two files, which
# hold no data (a browser navigating cannot send a header; the page's calls carry it).
OPEN_PATHS = ("/_mock/health", "/_mock/ui", "/_mock/ui/app.js", "/_mock/ui/app.css")


class AdminGuard:
    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/_mock") or path in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = header(scope, b"x-admin-token") or ""
        bearer = header(scope, b"authorization") or ""
        if bearer.lower().startswith("bearer "):
            given = given or bearer[7:].strip()
        if hmac.compare_digest(given.encode(), self.token):
            await self.app(scope, receive, send)
            return
        await send_json(send, 401, {"detail": "Control API: missing or wrong X-Admin-Token"})
