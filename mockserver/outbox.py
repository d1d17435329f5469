"""Webhook bookkeeping: which runs expect a webhook, and every delivery attempt (bounded)."""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

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


class Outbox:
    """Runs waiting for their webhook, and the log of deliveries (bounded)."""

    def __init__(self) -> None:
        self.expected: dict[str, tuple[str, str]] = {}  # run id -> (workspace, run id)
        self.log: deque[Delivery] = deque(maxlen=LOG_SIZE)

    def expect(self, workspace: str, run_id: str) -> None:
        self.expected[run_id] = (workspace, run_id)

    def forget(self, workspace: str | None = None) -> None:
        if workspace is None:
            self.expected.clear()
        else:
            self.expected = {k: v for k, v in self.expected.items() if v[0] != workspace}
