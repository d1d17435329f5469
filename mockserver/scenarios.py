"""Choosing what a run does: the `Prefer` header, then the defaults. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from mockserver.lifecycle import Step, Timeline
from mockserver.workflows import Workflow

OUTCOMES = ("completed", "failed", "stopped")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)$")


@dataclass(frozen=True, slots=True)
class Preferences:
    outcome: str | None = None
    duration_s: float | None = None
    # The tokens honoured, echoed in the Preference-Applied header.
    applied: tuple[str, ...] = ()


def parse_prefer(header: str | None) -> Preferences:
    """Parse `Prefer: outcome=failed, duration=30s`; unknown tokens are ignored (RFC 7240)."""
    outcome: str | None = None
    duration: float | None = None
    applied: list[str] = []
    for token in (header or "").replace(";", ",").split(","):
        name, _, value = token.strip().partition("=")
        name, value = name.strip().lower(), value.strip().strip('"')
        if name == "outcome" and value in OUTCOMES:
            outcome = value
            applied.append(f"outcome={value}")
        elif name == "duration" and (match := _DURATION.match(value)):
            amount = float(match.group(1))
            duration = amount / 1000 if match.group(2) == "ms" else amount
            applied.append(f"duration={value}")
    return Preferences(outcome, duration, tuple(applied))


def select_nodes(
    workflow: Workflow, node_ids: Sequence[str] | None, single_node_id: str | None
) -> tuple[tuple[str, ...], list[tuple[list[str | int], str]]]:
    """The nodes that run, in workflow order, and any unknown ids as (loc, message)."""
    known = set(workflow.node_ids)
    errors: list[tuple[list[str | int], str]] = []
    if single_node_id is not None:
        if single_node_id not in known:
            errors.append((["body", "single_node_id"], f"Unknown node id {single_node_id!r}"))
        return (single_node_id,), errors
    if node_ids is None:
        return workflow.node_ids, errors
    for index, node in enumerate(node_ids):
        if node not in known:
            errors.append((["body", "node_ids", index], f"Unknown node id {node!r}"))
    wanted = set(node_ids)
    return tuple(n for n in workflow.node_ids if n in wanted), errors


def plan(
    workflow: Workflow,
    selected: Sequence[str],
    *,
    created_at: float,
    queue_delay: float,
    node_duration: float,
    prefs: Preferences,
) -> Timeline:
    """The timeline of a new run."""
    steps_total = node_duration * len(selected)
    if prefs.duration_s is not None and queue_delay + steps_total > 0:
        scale = prefs.duration_s / (queue_delay + steps_total)
        queue_delay, node_duration = queue_delay * scale, node_duration * scale
    elif prefs.duration_s is not None:
        queue_delay = prefs.duration_s
    steps = tuple(Step(node, node_duration) for node in selected)
    skipped = tuple(n for n in workflow.node_ids if n not in set(selected))
    outcome = prefs.outcome or "completed"
    timeline = Timeline(
        created_at=created_at,
        queue_delay=queue_delay,
        steps=steps,
        skipped=skipped,
        outcome="failed" if outcome == "failed" else "completed",
        error=_failure_message(steps) if outcome == "failed" else None,
    )
    if outcome == "stopped":
        # Stop half way through, so the run is seen running first when it has any work.
        return replace(timeline, stop_at=created_at + (timeline.ends_at - created_at) / 2)
    return timeline


def _failure_message(steps: Sequence[Step]) -> str:
    node = steps[-1].node_id if steps else "workflow"
    return f"Node {node!r} failed: simulated failure (Prefer: outcome=failed)"
