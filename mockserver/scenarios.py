"""Choosing what a run does. Pure.

Precedence, high to low: the `Prefer` header of the create call, the first matching rule
of the workflows file, the workflow's default, the global default. Each level fills only
the fields the levels above left unset.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockserver.lifecycle import Step, Timeline
from mockserver.precedence import fill

if TYPE_CHECKING:  # workflows.py imports Scenario from here
    from mockserver.workflows import Workflow

OUTCOMES = ("completed", "failed", "stopped", "awaiting_human_feedback")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")
_RANGE_MS = re.compile(r"^(\d+)(?:-(\d+))?ms$")


class ScenarioError(ValueError):
    """A scenario names something that does not exist (e.g. an unknown node)."""


def parse_duration(text: str) -> float | None:
    """`250ms`, `1.5s`, `10m` -> seconds; None when not a duration."""
    match = _DURATION.match(text.strip())
    if not match:
        return None
    amount, unit = float(match.group(1)), match.group(2)
    return amount / 1000 if unit == "ms" else amount * 60 if unit == "m" else amount


@dataclass(frozen=True, slots=True)
class Scenario:
    outcome: str | None = None
    duration_s: float | None = None  # the whole run, queue included
    queue_delay_s: float | None = None
    node_duration_s: float | None = None
    fail_at: str | None = None
    pause_at: str | None = None
    error: str | None = None

    def over(self, lower: Scenario) -> Scenario:
        """This scenario, with the fields it leaves unset taken from `lower`."""
        return fill(self, lower)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Scenario:
        """From a workflows-file mapping (keys as in the Prefer grammar)."""

        def seconds(key: str) -> float | None:
            value = raw.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)  # a bare number is seconds
            return None if value is None else parse_duration(str(value))

        return cls(
            # naming a failing node means failing, unless the outcome says otherwise
            outcome=raw.get("outcome") or ("failed" if raw.get("fail_at") else None),
            duration_s=seconds("duration"),
            queue_delay_s=seconds("queue_delay"),
            node_duration_s=seconds("node_duration"),
            fail_at=raw.get("fail_at"),
            pause_at=raw.get("pause_at"),
            error=raw.get("error"),
        )


@dataclass(frozen=True, slots=True)
class RequestFaults:
    """Faults asked for by one request's Prefer header."""

    latency_ms: tuple[int, int] | None = None
    status: int | None = None  # answer this request with 429 or 503
    sse_cut_after: int | None = None
    webhook_fail_times: int | None = None
    webhook_duplicates: int | None = None
    webhook_delay_s: float | None = None


@dataclass(frozen=True, slots=True)
class Preferences:
    scenario: Scenario = field(default_factory=Scenario)
    faults: RequestFaults = field(default_factory=RequestFaults)
    # The tokens honoured, echoed in the Preference-Applied header.
    applied: tuple[str, ...] = ()

    def applied_of(self, *names: str) -> tuple[str, ...]:
        """The honoured tokens among `names` (what a call other than a create honours)."""
        return tuple(t for t in self.applied if t.partition("=")[0] in names)


def _non_negative_int(value: str) -> int | None:
    return int(value) if value.isdigit() and len(value) <= 6 else None


def _latency(value: str) -> tuple[int, int] | None:
    """`200ms` or `100-300ms` (at most a minute)."""
    match = _RANGE_MS.match(value)
    if not match:
        return None
    low = int(match.group(1))
    high = int(match.group(2)) if match.group(2) else low
    return (low, high) if low <= high <= 60_000 else None


# Asked on every /v1 call (fault injection), mostly with no header or a repeated one.
@functools.lru_cache(maxsize=1024)
def parse_prefer(header: str | None) -> Preferences:
    """Parse `Prefer: outcome=failed, duration=30s, ...`; unknown or bad tokens are ignored
    (RFC 7240), and only the honoured ones are echoed."""
    scenario: dict[str, Any] = {}
    faults: dict[str, Any] = {}
    applied: list[str] = []
    for token in (header or "").replace(";", ",").split(","):
        name, _, value = token.strip().partition("=")
        name, value = name.strip().lower(), value.strip().strip('"')
        ok = True
        if name == "outcome" and value in OUTCOMES:
            scenario["outcome"] = value
        elif (
            name in ("duration", "queue_delay", "node_duration")
            and (d := parse_duration(value)) is not None
        ):
            scenario[f"{name}_s"] = d
        elif name in ("fail_at", "pause_at") and 0 < len(value) <= 200:
            scenario[name] = value
        elif name == "latency" and (bounds := _latency(value)) is not None:
            faults["latency_ms"] = bounds
        elif name == "fault" and value in ("429", "503"):
            faults["status"] = int(value)
        elif name == "sse_cut" and (n := _non_negative_int(value)) is not None:
            faults["sse_cut_after"] = n
        elif name == "webhook_fail" and (n := _non_negative_int(value)) is not None:
            faults["webhook_fail_times"] = n
        elif name == "webhook_duplicate" and (n := _non_negative_int(value)) is not None:
            faults["webhook_duplicates"] = min(n, 10)
        elif name == "webhook_delay" and (d := parse_duration(value)) is not None:
            faults["webhook_delay_s"] = d
        else:
            ok = False
        if ok:
            applied.append(f"{name}={value}")
    if "fail_at" in scenario and "outcome" not in scenario:
        scenario["outcome"] = "failed"
    return Preferences(Scenario(**scenario), RequestFaults(**faults), tuple(applied))


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
