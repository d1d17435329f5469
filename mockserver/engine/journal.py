"""The request journal: what was asked, by which workspace, and what was answered (bounded).

The gate (engine/gate.py) notes each /v1 call with its final status. API keys are never
written: only the workspace id derived from them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mockserver.core.models import Entry


def _wall() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def journal_entry(method: str, path: str, status: int, workspace: str | None) -> Entry:
    """An entry stamped with the wall time (journal times are real, not simulated)."""
    return Entry(method, path, status, _wall(), workspace)
