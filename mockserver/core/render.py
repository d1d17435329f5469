"""JSON bodies built from a run and its state at a given time. Pure."""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime
from typing import Any

from mockserver.core.lifecycle import Snapshot
from mockserver.core.models import Run
from mockserver.core.workflows import Workflow

JSON = dict[str, Any]


# A run's times are fixed once planned and rendered on every poll: format each once.
@functools.lru_cache(maxsize=65536)
def timestamp(t: float) -> str:
    """RFC 3339, UTC, microseconds, `Z` suffix."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def output_of(run: Run, workflow: Workflow, snap: Snapshot, *, by_id: bool = False) -> JSON:
    """Outputs exist only once the run completed; `{}` before and for other outcomes."""
    if snap.status != "completed":
        return {}
    if run.recorded_output is not None:
        return dict(run.recorded_output)
    return workflow.render_outputs(run.input, snap.executed, by_id=by_id)


def progress_details(snap: Snapshot) -> JSON:
    per_node = {node: 100 for node in snap.executed}
    per_node.update({node: 0 for node in (*snap.failed, *snap.running, *snap.remaining)})
    logs: JSON = {}
    if snap.error:
        logs["error"] = [snap.error]
    return {
        "executed_nodes": list(snap.executed),
        "remaining_nodes": list(snap.remaining),
        "running_nodes": list(snap.running),
        "skipped_nodes": list(snap.skipped),
        "error_handler_nodes": [],
        "per_node_progress": per_node,
        "subflow_executions": {},
        "per_edge_progress": {},
        "run_logs": logs,
    }


def simplified_run(run: Run, workflow: Workflow, snap: Snapshot, *, by_id: bool = False) -> JSON:
    return {
        "id": run.id,
        "group_id": run.workspace,
        "workflow_id": run.workflow_id,
        "status": snap.status,
        "created_at": timestamp(run.timeline.created_at),
        "input": dict(run.input),
        "output": output_of(run, workflow, snap, by_id=by_id),
        "node_ids": list(run.node_ids) if run.node_ids is not None else None,
        "single_node_id": run.single_node_id,
        "workflow_version_id": run.workflow_version_id,
        "progress_details": progress_details(snap),
        "progress": snap.progress,
        "finished_at": timestamp(snap.finished_at) if snap.finished_at is not None else None,
    }


def run_output(run: Run, workflow: Workflow, snap: Snapshot, *, by_id: bool = False) -> JSON:
    """The `output_only=true` shape."""
    return {
        "id": run.id,
        "status": snap.status,
        "output": output_of(run, workflow, snap, by_id=by_id),
    }


def run_no_io(run: Run, snap: Snapshot) -> JSON:
    return {
        "id": run.id,
        "group_id": run.workspace,
        "workflow_id": run.workflow_id,
        "workflow_version_id": run.workflow_version_id,
        "input": dict(run.input),
        "node_ids": list(run.node_ids) if run.node_ids is not None else None,
        "status": snap.status,
        "created_at": timestamp(run.timeline.created_at),
        "progress": snap.progress,
        "finished_at": timestamp(snap.finished_at) if snap.finished_at is not None else None,
    }


def page(items: list[JSON], *, total: int, page: int, size: int) -> JSON:
    return {
        "items": items,
        "total": total,
        "page": page,
        "size": size,
        "pages": math.ceil(total / size),
    }


def workflow_body(workflow: Workflow, workspace: str) -> JSON:
    # The SDK parses `definition.nodes` against the /v1/nodes catalogue, so the
    # simulated nodes are described in `description` and `meta`, not there.
    return {
        "id": workflow.id,
        "group_id": workspace,
        "name": workflow.name,
        "type": "flow",
        "description": workflow.description,
        "definition": {"nodes": [], "edges": []},
        "workflow_hash": None,
        "meta": {
            "tags": ["mock"],
            "icon": None,
            "nodes": [{"id": n.id, "kind": n.kind, "label": n.label} for n in workflow.nodes],
        },
        "created_at": None,
        "last_updated_at": None,
        "saved": True,
        "error_handler": None,
    }


def api_key_body(workspace: str) -> JSON:
    return {
        "id": workspace,
        "name": f"mock workspace {workspace[:8]}",
        "tenant_admin": False,
        "value": "********",
        "permissions": [],
    }


def webhook_payload(run: Run, workflow: Workflow, snap: Snapshot) -> JSON:
    """The body POSTed to `callback_url` once the run is terminal (as the doc page shows)."""
    assert snap.finished_at is not None, "webhooks are only built for terminal runs"
    began = snap.started_at if snap.started_at is not None else run.timeline.created_at
    return {
        "run_id": run.id,
        "workflow_id": run.workflow_id,
        "status": snap.status,
        "outputs": output_of(run, workflow, snap),
        "error": snap.error,
        "started_at": timestamp(snap.started_at) if snap.started_at is not None else None,
        "completed_at": timestamp(snap.finished_at),
        "duration_ms": max(0, round((snap.finished_at - began) * 1000)),
    }
