"""The request journal: what was asked, by which workspace, and what was answered (bounded).

The gate (web/gate.py) notes each /v1 call with its final status. API keys are never
written: only the workspace id derived from them.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SIZE = 1000


@dataclass(frozen=True, slots=True)
class Entry:
    method: str
    path: str
    status: int
    at_s: float  # wall time; formatted only when read (every /v1 call writes one)
    group_id: str | None

    @property
    def at(self) -> str:
        return datetime.fromtimestamp(self.at_s, UTC).isoformat().replace("+00:00", "Z")

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "at": self.at,
            "group_id": self.group_id,
        }


class Journal:
    def __init__(self, size: int = SIZE) -> None:
        self.entries: deque[Entry] = deque(maxlen=size)

    def note(self, method: str, path: str, status: int, workspace: str | None) -> None:
        """Record something the mock did on its own (e.g. evicting a run)."""
        self.entries.append(Entry(method, path, status, time.time(), workspace))

    def of(self, workspace: str | None) -> list[Entry]:
        return [e for e in self.entries if workspace is None or e.group_id == workspace]

    def clear(self, workspace: str | None = None) -> None:
        kept = [] if workspace is None else [e for e in self.entries if e.group_id != workspace]
        self.entries = deque(kept, maxlen=self.entries.maxlen)
