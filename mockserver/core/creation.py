"""A run's creation, decided: which nodes run, how (the scenario from Prefer, the
workflow's rules, a recording, the defaults) and which Prefer tokens were honoured; then
the new Run itself. Pure: the caller brings the id and the time, and stores the run."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from mockserver.core.cassette import Cassette, Entry
from mockserver.core.models import Run
from mockserver.core.planning import plan, select_nodes
from mockserver.core.prefer import Preferences
from mockserver.core.scenario import Scenario
from mockserver.core.workflows import Workflow

# Prefer tokens a replay overrides: the recording decides how the run goes.
SCENARIO_TOKENS = {"outcome", "duration", "queue_delay", "node_duration", "fail_at", "pause_at"}


class UnknownNodes(ValueError):
    """The body names nodes the workflow does not have (schema-valid: a 404, like a run id)."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(repr(node) for node in names))
        self.names = names


@dataclass(frozen=True, slots=True)
class Creation:
    selected: tuple[str, ...]
    scenario: Scenario  # complete: the defaults filled it
    prefs: Preferences  # `applied` says what was honoured
    recorded: Entry | None


def decide(
    workflow_id: str,
    workflow: Workflow,
    body: dict[str, Any],
    prefs: Preferences,
    defaults: Scenario,
    cassette: Cassette,
) -> Creation:
    """How the run `body` asks for goes; UnknownNodes when it names nodes that do not exist."""
    selected, unknown = select_nodes(workflow, body.get("node_ids"), body.get("single_node_id"))
    if unknown:
        raise UnknownNodes(unknown)
    wanted = prefs.scenario
    # A Prefer naming a node this run does not execute is not honoured (RFC 7240).
    for key in ("fail_at", "pause_at"):
        node = getattr(wanted, key)
        if node is not None and node not in selected:
            wanted = replace(wanted, **{key: None})
            if key == "fail_at" and "outcome=failed" not in prefs.applied:
                wanted = replace(wanted, outcome=None)  # the failure was only implied
            prefs = replace(prefs, applied=tuple(a for a in prefs.applied if not a.startswith(key)))
    scenario = wanted.over(workflow.scenario_for(body)).over(defaults)
    recorded = cassette.match(workflow_id, body["input"], prefs.replay)
    if recorded is not None:  # the recorded run, on this mock's clock
        scenario = recorded.scenario(tuple(selected)).over(scenario)
        kept = tuple(a for a in prefs.applied if a.partition("=")[0] not in SCENARIO_TOKENS)
        prefs = replace(prefs, applied=(*kept, f"replay={recorded.name}"))
    return Creation(tuple(selected), scenario, prefs, recorded)


def new_run(
    run_id: str,
    workspace: str,
    workflow_id: str,
    workflow: Workflow,
    body: dict[str, Any],
    creation: Creation,
    now: float,
) -> Run:
    node_ids = body.get("node_ids")
    recorded = creation.recorded
    return Run(
        id=run_id,
        workspace=workspace,
        workflow_id=workflow_id,
        input=body["input"],
        timeline=plan(workflow, creation.selected, created_at=now, scenario=creation.scenario),
        node_ids=tuple(node_ids) if node_ids is not None else None,
        single_node_id=body.get("single_node_id"),
        workflow_version_id=body.get("workflow_version_id"),
        callback_url=body.get("callback_url"),
        faults=creation.prefs.faults,
        recorded_output=recorded.output if recorded is not None else None,
    )
