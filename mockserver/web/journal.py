"""The request journal: what was asked, by which workspace, and what was answered (bounded).

An ASGI middleware outside connexion's exception handling, so it records final statuses.
API keys are never written: only the workspace id derived from them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mockserver.core.ids import workspace_of
from mockserver.core.models import Entry
from mockserver.storage.protocols import JournalStore
from mockserver.web.asgi import header


def _wall() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def journal_entry(method: str, path: str, status: int, workspace: str | None) -> Entry:
    """An entry stamped with the wall time (journal times are real, not simulated)."""
    return Entry(method, path, status, _wall(), workspace)


class JournalMiddleware:
    def __init__(self, app: Any, journal: JournalStore) -> None:
        self.app = app
        self.journal = journal

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        # Only the public API is journaled: control calls would drown it.
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        status = {"code": 500}

        async def recording_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            key = header(scope, b"x-api-key")
            workspace = workspace_of(key) if key else None
            await self.journal.note(
                journal_entry(scope["method"], scope["path"], status["code"], workspace)
            )
