"""The request journal: what was asked, by which workspace, and what was answered (bounded).

An ASGI middleware outside connexion's exception handling, so it records final statuses.
API keys are never written: only the workspace id derived from them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mockserver.core.ids import workspace_of
from mockserver.web.asgi import header

SIZE = 1000


@dataclass(frozen=True, slots=True)
class Entry:
    method: str
    path: str
    status: int
    at: str
    group_id: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "at": self.at,
            "group_id": self.group_id,
        }


def _wall() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Journal:
    def __init__(self, size: int = SIZE) -> None:
        self.entries: deque[Entry] = deque(maxlen=size)

    def note(self, method: str, path: str, status: int, workspace: str | None) -> None:
        """Record something the mock did on its own (e.g. evicting a run)."""
        self.entries.append(Entry(method, path, status, _wall(), workspace))

    def of(self, workspace: str | None) -> list[Entry]:
        return [e for e in self.entries if workspace is None or e.group_id == workspace]

    def clear(self, workspace: str | None = None) -> None:
        kept = [] if workspace is None else [e for e in self.entries if e.group_id != workspace]
        self.entries = deque(kept, maxlen=self.entries.maxlen)


class JournalMiddleware:
    def __init__(self, app: Any, journal: Journal) -> None:
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
            self.journal.note(scope["method"], scope["path"], status["code"], workspace)
