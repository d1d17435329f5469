"""The run lifecycle: a pure timeline per run, and everything derived from it.

No I/O and no clock here: callers pass the time. Status, progress, progress details
and finished_at are computed from the timeline, never stored beside it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import pairwise
from typing import Literal

Status = Literal["queued", "running", "awaiting_human_feedback", "completed", "failed", "stopped"]
NodeStatus = Literal["running", "completed", "failed", "stopped"]
Outcome = Literal["completed", "failed"]

STATES: tuple[Status, ...] = (
    "queued",
    "running",
    "awaiting_human_feedback",
    "completed",
    "failed",
    "stopped",
)
TERMINAL: frozenset[str] = frozenset({"completed", "failed", "stopped"})
LEGAL_MOVES: dict[str, frozenset[str]] = {
    "queued": frozenset({"running", "stopped"}),
    "running": frozenset({"completed", "failed", "stopped", "awaiting_human_feedback"}),
    "awaiting_human_feedback": frozenset({"running", "stopped"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "stopped": frozenset(),
}


class IllegalMove(Exception):
    """The asked change does not fit the run's state (e.g. stopping a finished run)."""

    def __init__(self, status: str, action: str) -> None:
        super().__init__(f"Run is already {status} and cannot be {action}")
        self.status = status


@dataclass(frozen=True, slots=True)
class Step:
    node_id: str
    duration: float


@dataclass(frozen=True, slots=True)
class NodeChange:
    node_id: str
    status: NodeStatus


@dataclass(frozen=True, slots=True)
class Snapshot:
    status: Status
    executed: tuple[str, ...]
    running: tuple[str, ...]
    remaining: tuple[str, ...]
    skipped: tuple[str, ...]
    progress: int
    started_at: float | None
    finished_at: float | None
    error: str | None
    failed: tuple[str, ...] = ()

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True, slots=True)
class Moment:
    """The run's state from `at` on, and the node changes that happened at `at`."""

    at: float
    snapshot: Snapshot
    changes: tuple[NodeChange, ...]


@dataclass(frozen=True)
class Timeline:
    """What a run will do: a queue delay, its nodes in order, then its outcome."""

    created_at: float
    queue_delay: float
    steps: tuple[Step, ...]
    skipped: tuple[str, ...] = ()
    outcome: Outcome = "completed"
    # The node that fails when outcome is "failed" (default: the last one).
    fail_at: str | None = None
    error: str | None = None
    stop_at: float | None = None

    @cached_property
    def moments(self) -> tuple[Moment, ...]:
        planned = _planned_moments(self)
        if self.stop_at is None:
            return planned
        kept = tuple(m for m in planned if m.at <= self.stop_at and not m.snapshot.terminal)
        last = kept[-1].snapshot
        # Interrupted nodes did not finish: they count as remaining again.
        stopped = replace(
            last,
            status="stopped",
            running=(),
            remaining=(*last.running, *last.remaining),
            finished_at=self.stop_at,
        )
        changes = tuple(NodeChange(node, "stopped") for node in last.running)
        return (*kept, Moment(self.stop_at, stopped, changes))

    @cached_property
    def _times(self) -> list[float]:
        return [m.at for m in self.moments]

    @property
    def ends_at(self) -> float:
        """When the run becomes terminal (as planned now)."""
        return self.moments[-1].at

    def snapshot_at(self, t: float) -> Snapshot:
        index = bisect.bisect_right(self._times, t) - 1
        return self.moments[max(index, 0)].snapshot

    def next_moment_after(self, t: float) -> float | None:
        """When the next moment after t happens, if any."""
        index = bisect.bisect_right(self._times, t)
        return self._times[index] if index < len(self._times) else None

    def moments_until(self, t: float) -> tuple[Moment, ...]:
        """The moments that have happened by time t, in order."""
        return self.moments[: bisect.bisect_right(self._times, t)]

    def stop(self, at: float) -> Timeline:
        current = self.snapshot_at(at)
        if current.terminal:
            raise IllegalMove(current.status, "stopped")
        return replace(self, stop_at=at)


def _planned_moments(tl: Timeline) -> tuple[Moment, ...]:
    order = tuple(step.node_id for step in tl.steps)
    total = len(order)
    fail_at = (tl.fail_at or (order[-1] if order else None)) if tl.outcome == "failed" else None

    def snap(
        status: Status,
        done: int,
        running: tuple[str, ...],
        started: float | None,
        finished: float | None = None,
        error: str | None = None,
        failed: tuple[str, ...] = (),
    ) -> Snapshot:
        started_count = done + len(running) + len(failed)
        progress = 100 if status == "completed" else (done * 100 // total if total else 0)
        return Snapshot(
            status=status,
            executed=order[:done],
            running=running,
            remaining=order[started_count:],
            skipped=tl.skipped,
            progress=progress,
            started_at=started,
            finished_at=finished,
            error=error,
            failed=failed,
        )

    t = tl.created_at
    moments = [Moment(t, snap("queued", 0, (), None), ())]
    t += tl.queue_delay
    started = t
    if not order:
        # Nothing to execute: still pass through running, the only legal way out of queued.
        moments.append(Moment(t, snap("running", 0, (), started), ()))
        if tl.outcome == "failed":
            final = snap("failed", 0, (), started, t, tl.error)
        else:
            final = snap("completed", 0, (), started, t)
        moments.append(Moment(t, final, ()))
        return tuple(moments)
    pending: tuple[NodeChange, ...] = ()
    for index, step in enumerate(tl.steps):
        changes = (*pending, NodeChange(step.node_id, "running"))
        moments.append(Moment(t, snap("running", index, (step.node_id,), started), changes))
        t += step.duration
        if step.node_id == fail_at:
            failed = snap("failed", index, (), started, t, tl.error, (step.node_id,))
            moments.append(Moment(t, failed, (NodeChange(step.node_id, "failed"),)))
            return tuple(moments)
        pending = (NodeChange(step.node_id, "completed"),)
    moments.append(Moment(t, snap("completed", total, (), started, t), pending))
    return tuple(moments)


def is_legal_sequence(statuses: list[str]) -> bool:
    """True when each change in the observed sequence is a legal move (repeats allowed)."""
    return all(b == a or b in LEGAL_MOVES[a] for a, b in pairwise(statuses))
