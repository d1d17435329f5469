"""Webhook bookkeeping: which runs expect a webhook, and every delivery attempt (bounded)."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

LOG_SIZE = 1000


@dataclass
class Attempt:
    number: int
    at: str
    status_code: int | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "at": self.at,
            "status_code": self.status_code,
            "error": self.error,
        }


@dataclass
class Delivery:
    id: str
    run_id: str
    workspace: str
    url: str
    body: bytes
    state: str = "pending"  # pending | delivered | failed
    attempts: list[Attempt] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "delivery_id": self.id,
            "run_id": self.run_id,
            "url": self.url,
            "state": self.state,
            "payload": json.loads(self.body),
            "attempts": [a.as_json() for a in self.attempts],
        }


class OutboxStore(Protocol):
    """The outbox interface (in memory here, SQLite in persistence)."""

    def expect(self, workspace: str, run_id: str) -> None: ...
    def expected(self) -> list[tuple[str, str]]: ...
    def start(self, delivery: Delivery, lease_s: float) -> bool: ...
    def drop(self, run_id: str) -> None: ...
    def save(self, delivery: Delivery, lease_s: float) -> None: ...
    def orphans(self, lease_s: float) -> list[Delivery]: ...
    def deliveries(self, workspace: str | None = None) -> list[Delivery]: ...
    def forget(self, workspace: str | None = None) -> None: ...


class Outbox:
    """Runs waiting for their webhook, and the deliveries made (the last LOG_SIZE kept).

    The in-memory outbox; persistence.SqliteOutbox keeps the same in a state file, shared
    by worker processes and surviving restarts.
    """

    def __init__(self) -> None:
        self._expected: dict[str, str] = {}  # run id -> workspace
        self._log: deque[Delivery] = deque(maxlen=LOG_SIZE)

    def expect(self, workspace: str, run_id: str) -> None:
        self._expected[run_id] = workspace

    def expected(self) -> list[tuple[str, str]]:
        """(workspace, run id) of the runs whose webhook is still to be sent."""
        return [(workspace, run_id) for run_id, workspace in self._expected.items()]

    def start(self, delivery: Delivery, lease_s: float) -> bool:
        """Turn an expected run into its one delivery; False if another took it first."""
        if self._expected.pop(delivery.run_id, None) is None:
            return False
        self._log.append(delivery)
        return True

    def drop(self, run_id: str) -> None:
        self._expected.pop(run_id, None)

    def save(self, delivery: Delivery, lease_s: float) -> None:
        """Record the delivery's progress (in memory it is the same object)."""

    def orphans(self, lease_s: float) -> list[Delivery]:
        """Pending deliveries nobody is sending (after a restart); none in memory."""
        return []

    def deliveries(self, workspace: str | None = None) -> list[Delivery]:
        return [d for d in self._log if workspace is None or d.workspace == workspace]

    def forget(self, workspace: str | None = None) -> None:
        if workspace is None:
            self._expected.clear()
        else:
            self._expected = {k: v for k, v in self._expected.items() if v != workspace}
