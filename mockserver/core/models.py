"""The records the mock keeps: a run as created, and a webhook delivery with its attempts."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.core.faults import RequestFaults
from mockserver.core.lifecycle import Timeline


@dataclass(frozen=True, slots=True)
class Run:
    """A run as created; its state at any time comes from `timeline`."""

    id: str
    workspace: str
    workflow_id: str
    input: Mapping[str, Any]
    timeline: Timeline
    node_ids: tuple[str, ...] | None = None
    single_node_id: str | None = None
    workflow_version_id: str | None = None
    callback_url: str | None = None
    # Webhook faults asked for by the create call's Prefer header.
    faults: RequestFaults = field(default_factory=RequestFaults)
    # Creation order breaks ties between runs created at the same instant.
    sequence: int = 0


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


@dataclass(frozen=True, slots=True)
class Entry:
    """One journaled call: what was asked, by which workspace, and what was answered."""

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
