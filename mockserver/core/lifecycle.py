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
    """What a run does, as the moments it goes through, each at its (simulated) time.

    Built by `plan()` at creation. Changes made later (stop, resume, advance, force) keep
    every moment that already happened and only rewrite the future, so what a client
    has seen (polls, events with their ids) never changes.
    """

    created_at: float
    moments: tuple[Moment, ...]
    # While paused: the planned rest of the run, times relative to the pause; appended
    # (shifted to the resume time) by resume().
    continuation: tuple[Moment, ...] = ()

    @classmethod
    def plan(
        cls,
        created_at: float,
        queue_delay: float,
        steps: tuple[Step, ...],
        *,
        skipped: tuple[str, ...] = (),
        outcome: Outcome = "completed",
        fail_at: str | None = None,
        error: str | None = None,
        pause_at: str | None = None,
    ) -> Timeline:
        moments = _planned_moments(
            created_at, queue_delay, steps, skipped, outcome, fail_at, error, pause_at
        )
        paused = next(
            (i for i, m in enumerate(moments) if m.snapshot.status == "awaiting_human_feedback"),
            None,
        )
        if paused is None:
            return cls(created_at, moments)
        # Keep the rest relative to the pause: resume() places it at the resume time.
        pause_time = moments[paused].at
        rest = tuple(_shifted(m, -pause_time, cutoff=pause_time) for m in moments[paused + 1 :])
        return cls(created_at, moments[: paused + 1], rest)

    @cached_property
    def _times(self) -> list[float]:
        return [m.at for m in self.moments]

    @property
    def last(self) -> Moment:
        return self.moments[-1]

    @property
    def ends_at(self) -> float | None:
        """When the run becomes terminal, or None while it waits to be resumed."""
        return self.last.at if self.last.snapshot.terminal else None

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

    def _past(self, at: float, action: str) -> tuple[tuple[Moment, ...], Snapshot]:
        current = self.snapshot_at(at)
        if current.terminal:
            raise IllegalMove(current.status, action)
        return self.moments_until(at), current

    def stop(self, at: float) -> Timeline:
        past, current = self._past(at, "stopped")
        # Interrupted nodes did not finish: they count as remaining again.
        stopped = replace(
            current,
            status="stopped",
            running=(),
            remaining=(*current.running, *current.remaining),
            finished_at=at,
        )
        changes = tuple(NodeChange(node, "stopped") for node in current.running)
        return Timeline(self.created_at, (*past, Moment(at, stopped, changes)))

    def resume(self, at: float) -> Timeline:
        past, current = self._past(at, "resumed")
        if current.status != "awaiting_human_feedback" or not self.continuation:
            raise IllegalMove(current.status, "resumed")
        started = current.started_at
        rest = tuple(
            Moment(
                at + m.at,
                replace(
                    m.snapshot,
                    started_at=started,
                    finished_at=None
                    if m.snapshot.finished_at is None
                    else at + m.snapshot.finished_at,
                ),
                m.changes,
            )
            for m in self.continuation
        )
        return Timeline(self.created_at, (*past, *rest))

    def advance(self, at: float) -> Timeline:
        """Bring the run's next moment forward to `at` (later ones move with it)."""
        past, current = self._past(at, "advanced")
        due = self.next_moment_after(at)
        if due is None:
            raise IllegalMove(current.status, "advanced (it waits to be resumed)")
        rest = tuple(_shifted(m, at - due, cutoff=at) for m in self.moments[len(past) :])
        return Timeline(self.created_at, (*past, *rest), self.continuation)

    def force(self, at: float, status: str, error: str | None = None) -> Timeline:
        """End the run now with `status` (completed, failed or stopped)."""
        if status == "stopped":
            return self.stop(at)
        past, current = self._past(at, f"forced to {status}")
        unfinished = (*current.running, *current.remaining)
        if status == "completed":
            final = replace(
                current,
                status="completed",
                executed=(*current.executed, *unfinished),
                running=(),
                remaining=(),
                progress=100,
                started_at=current.started_at if current.started_at is not None else at,
                finished_at=at,
            )
            changes = tuple(NodeChange(node, "completed") for node in unfinished)
        elif status == "failed":
            final = replace(
                current,
                status="failed",
                running=(),
                remaining=current.remaining,
                failed=current.running,
                started_at=current.started_at if current.started_at is not None else at,
                finished_at=at,
                error=error or "Run failed (forced through the mock's control API)",
            )
            changes = tuple(NodeChange(node, "failed") for node in current.running)
        else:
            raise IllegalMove(current.status, f"forced to {status}")
        if current.status != "running":  # out of queued or a pause only through running
            started = current.started_at if current.started_at is not None else at
            running = replace(current, status="running", started_at=started)
            past = (*past, Moment(at, running, ()))
        return Timeline(self.created_at, (*past, Moment(at, final, changes)))


def _shifted(moment: Moment, by: float, *, cutoff: float) -> Moment:
    """The moment `by` seconds later; of its timestamps, only those after `cutoff` move
    (a run's start that already happened stays where it was)."""

    def move(t: float | None) -> float | None:
        return t + by if t is not None and t > cutoff else t

    snap = moment.snapshot
    moved = replace(snap, started_at=move(snap.started_at), finished_at=move(snap.finished_at))
    return Moment(moment.at + by, moved, moment.changes)


def _planned_moments(
    created_at: float,
    queue_delay: float,
    steps: tuple[Step, ...],
    skipped: tuple[str, ...],
    outcome: Outcome,
    fail_at: str | None,
    error: str | None,
    pause_at: str | None,
) -> tuple[Moment, ...]:
    order = tuple(step.node_id for step in steps)
    total = len(order)
    failing = (fail_at or (order[-1] if order else None)) if outcome == "failed" else None

    def snap(
        status: Status,
        done: int,
        running: tuple[str, ...],
        started: float | None,
        finished: float | None = None,
        failed: tuple[str, ...] = (),
    ) -> Snapshot:
        started_count = done + len(running) + len(failed)
        progress = 100 if status == "completed" else (done * 100 // total if total else 0)
        return Snapshot(
            status=status,
            executed=order[:done],
            running=running,
            remaining=order[started_count:],
            skipped=skipped,
            progress=progress,
            started_at=started,
            finished_at=finished,
            error=error if status == "failed" else None,
            failed=failed,
        )

    t = created_at
    moments = [Moment(t, snap("queued", 0, (), None), ())]
    t += queue_delay
    started = t
    pending: tuple[NodeChange, ...] = ()
    if not order or order[0] == pause_at:
        # Still pass through running: the only legal way out of queued.
        moments.append(Moment(t, snap("running", 0, (), started), ()))
    if not order:
        final = snap(outcome, 0, (), started, t)
        moments.append(Moment(t, final, ()))
        return tuple(moments)
    for index, step in enumerate(steps):
        if step.node_id == pause_at:
            moments.append(Moment(t, snap("awaiting_human_feedback", index, (), started), pending))
            pending = ()
        changes = (*pending, NodeChange(step.node_id, "running"))
        moments.append(Moment(t, snap("running", index, (step.node_id,), started), changes))
        t += step.duration
        if step.node_id == failing:
            failed = snap("failed", index, (), started, t, (step.node_id,))
            moments.append(Moment(t, failed, (NodeChange(step.node_id, "failed"),)))
            return tuple(moments)
        pending = (NodeChange(step.node_id, "completed"),)
    moments.append(Moment(t, snap("completed", total, (), started, t), pending))
    return tuple(moments)


def is_legal_sequence(statuses: list[str]) -> bool:
    """True when each change in the observed sequence is a legal move (repeats allowed)."""
    return all(b == a or b in LEGAL_MOVES[a] for a, b in pairwise(statuses))
