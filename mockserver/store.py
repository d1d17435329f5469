"""The in-memory run store, partitioned by workspace."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from mockserver.lifecycle import Timeline
from mockserver.scenarios import RequestFaults


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


class RunRepository(Protocol):
    """What the handlers need from a run store (in memory here, SQLite in persistence)."""

    def add(self, run: Run) -> Run: ...
    def get(self, workspace: str, run_id: str) -> Run | None: ...
    def find(self, run_id: str) -> Run | None: ...
    def replace_timeline(self, run: Run, timeline: Timeline) -> Run: ...
    def of_workflow(self, workspace: str, workflow_id: str) -> list[Run]: ...
    def __len__(self) -> int: ...
    def evict_finished(
        self, count: int, now_of: Callable[[str], float], keep: frozenset[str] = frozenset()
    ) -> list[Run]: ...
    def clear(self, workspace: str | None = None) -> None: ...


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
