"""The in-memory run store (partitioned by workspace) and webhook outbox."""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from mockserver.core.lifecycle import Timeline
from mockserver.core.models import Delivery, Run

LOG_SIZE = 1000


@dataclass
class RunStore:
    _runs: dict[str, dict[str, Run]] = field(default_factory=dict)
    _sequence: int = 0

    def add(self, run: Run) -> Run:
        self._sequence += 1
        run = replace(run, sequence=self._sequence)
        self._runs.setdefault(run.workspace, {})[run.id] = run
        return run

    def get(self, workspace: str, run_id: str) -> Run | None:
        return self._runs.get(workspace, {}).get(run_id)

    def find(self, run_id: str) -> Run | None:
        """A run in any workspace (for the control API)."""
        return next((runs[run_id] for runs in self._runs.values() if run_id in runs), None)

    def replace_timeline(self, run: Run, timeline: Timeline) -> Run:
        updated = replace(run, timeline=timeline)
        self._runs[run.workspace][run.id] = updated
        return updated

    def of_workflow(self, workspace: str, workflow_id: str) -> list[Run]:
        """The workflow's runs in this workspace, newest first."""
        runs = [r for r in self._runs.get(workspace, {}).values() if r.workflow_id == workflow_id]
        runs.sort(key=lambda r: (r.timeline.created_at, r.sequence), reverse=True)
        return runs

    def page(self, workspace: str, offset: int, limit: int) -> tuple[list[Run], int]:
        """One page of the workspace's runs, newest first, and how many it holds."""
        runs = self._runs.get(workspace, {}).values()
        # nlargest keeps only offset+limit runs in its heap: no full sort per page.
        newest = heapq.nlargest(
            offset + limit, runs, key=lambda r: (r.timeline.created_at, r.sequence)
        )
        return newest[offset:], len(runs)

    def __len__(self) -> int:
        return sum(len(runs) for runs in self._runs.values())

    def evict_finished(
        self, count: int, now_of: Callable[[str], float], keep: frozenset[str] = frozenset()
    ) -> list[Run]:
        """Remove up to `count` finished runs, those that finished first; never a live one,
        nor one in `keep` (e.g. whose webhook is still to be sent)."""
        finished = []
        for runs in self._runs.values():
            for run in runs.values():
                ended = run.timeline.ends_at
                if ended is not None and ended <= now_of(run.workspace) and run.id not in keep:
                    finished.append((ended, run.sequence, run))
        finished.sort(key=lambda item: item[:2])
        gone = [run for _, _, run in finished[:count]]
        for run in gone:
            del self._runs[run.workspace][run.id]
        return gone

    def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            self._runs.clear()
        else:
            self._runs.pop(workspace, None)


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
