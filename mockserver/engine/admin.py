"""The optional admin token guarding the control API (`--admin-token`)."""

from __future__ import annotations

import hmac

from mockserver.engine.limits import Refusal
from mockserver.engine.reply import Reply

# Readiness probes need no secret; nor does the dashboard's page and its two files, which
# hold no data (a browser navigating cannot send a header; the page's calls carry it).
OPEN_PATHS = ("/_mock/health", "/_mock/ui", "/_mock/ui/app.js", "/_mock/ui/app.css")


class AdminGuard:
    def __init__(self, token: str) -> None:
        self.token = token.encode()

    def refusal(self, path: str, headers: list[tuple[bytes, bytes]]) -> Refusal | None:
        if not path.startswith("/_mock") or path in OPEN_PATHS:
            return None
        given = bearer = ""
        for key, value in headers:
            if key == b"x-admin-token" and not given:
                given = value.decode("latin-1")
            elif key == b"authorization" and not bearer:
                bearer = value.decode("latin-1")
        if bearer.lower().startswith("bearer "):
            given = given or bearer[7:].strip()
        if hmac.compare_digest(given.encode(), self.token):
            return None
        return Reply({"detail": "Control API: missing or wrong X-Admin-Token"}, 401)
