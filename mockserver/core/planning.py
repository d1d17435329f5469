"""A new run's timeline: which nodes run, and when each moment happens. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from mockserver.core.lifecycle import Step, Timeline
from mockserver.core.scenario import Scenario, ScenarioError
from mockserver.core.workflows import Workflow


def select_nodes(
    workflow: Workflow, node_ids: Sequence[str] | None, single_node_id: str | None
) -> tuple[tuple[str, ...], list[str]]:
    """The nodes that run, in workflow order, and the asked ids the workflow lacks."""
    known = set(workflow.node_ids)
    if single_node_id is not None:
        return (single_node_id,), [single_node_id] if single_node_id not in known else []
    if node_ids is None:
        return workflow.node_ids, []
    wanted = set(node_ids)
    unknown = [node for node in node_ids if node not in known]
    return tuple(n for n in workflow.node_ids if n in wanted), unknown


def plan(
    workflow: Workflow, selected: Sequence[str], *, created_at: float, scenario: Scenario
) -> Timeline:
    """The timeline of a new run. `scenario` is complete (the global default filled it)."""
    chosen = set(selected)
    for key in ("fail_at", "pause_at"):
        node = getattr(scenario, key)
        if node is not None and node not in chosen:
            raise ScenarioError(
                f"{key}={node!r} is not a node this run executes ({', '.join(selected)})"
            )
    queue = scenario.queue_delay_s or 0.0
    per_node = scenario.node_duration_s or 0.0
    durations = [_own_or(workflow.node(node).duration_s, per_node) for node in selected]
    total = queue + sum(durations)
    if scenario.duration_s is not None:
        if total > 0:
            scale = scenario.duration_s / total
            queue, durations = queue * scale, [d * scale for d in durations]
        else:
            queue = scenario.duration_s
    steps = tuple(Step(node, d) for node, d in zip(selected, durations, strict=True))
    skipped = tuple(n for n in workflow.node_ids if n not in chosen)
    outcome = scenario.outcome or "completed"
    pause_at = scenario.pause_at
    if outcome == "awaiting_human_feedback" and pause_at is None and steps:
        pause_at = steps[-1].node_id  # wait for feedback before the last node
    failing = outcome == "failed"
    fail_node = scenario.fail_at or (steps[-1].node_id if steps else None)
    timeline = Timeline.plan(
        created_at,
        queue,
        steps,
        skipped=skipped,
        outcome="failed" if failing else "completed",
        fail_at=fail_node if failing else None,
        error=(scenario.error or _failure_message(fail_node)) if failing else None,
        pause_at=pause_at,
    )
    if outcome == "stopped":
        # Stop half way through, so the run is seen running first when it has any work.
        at = created_at + (timeline.last.at - created_at) / 2
        if timeline.snapshot_at(at).terminal:
            timeline, at = Timeline(created_at, timeline.moments[:1]), created_at
        return timeline.stop(at)
    return timeline


def _own_or(own: float | None, default: float) -> float:
    return default if own is None else own


def _failure_message(node: str | None) -> str:
    return f"Node {node or 'workflow'!r} failed: simulated failure"
