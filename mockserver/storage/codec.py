"""Records as JSON text, one codec for every backend that keeps them outside the process."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import Any

import orjson

from mockserver.core.faults import FaultRule, Faults, RequestFaults
from mockserver.core.lifecycle import Moment, NodeChange, Snapshot, Timeline
from mockserver.core.models import Attempt, Delivery, Entry, Run


def encode_value(value: Any) -> bytes:
    """An inferred resource's JSON; the standard library where orjson refuses it (an
    integer beyond 64 bits, a lone surrogate a client escaped: both valid JSON text)."""
    try:
        return orjson.dumps(value)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(value).encode()


def decode_value(raw: str | bytes) -> Any:
    """A resource's value as stored (the standard reader: orjson would round big integers
    and refuses escaped lone surrogates)."""
    return json.loads(raw)


def _snapshot(raw: dict[str, Any]) -> Snapshot:
    lists = ("executed", "running", "remaining", "skipped", "failed")
    values: dict[str, Any] = {k: tuple(v) if k in lists else v for k, v in raw.items()}
    return Snapshot(**values)


def _moment(raw: dict[str, Any]) -> Moment:
    changes = tuple(NodeChange(c["node_id"], c["status"]) for c in raw["changes"])
    return Moment(raw["at"], _snapshot(raw["snapshot"]), changes)


_SNAPSHOT_FIELDS = tuple(f.name for f in fields(Snapshot))
_REQUEST_FAULTS_FIELDS = tuple(f.name for f in fields(RequestFaults))


def _moment_json(moment: Moment) -> dict[str, Any]:
    # What dataclasses.asdict gives, written out: asdict deep-copies every field, and a
    # create over Redis spent a third of its time there.
    snapshot = moment.snapshot
    return {
        "at": moment.at,
        "snapshot": {name: getattr(snapshot, name) for name in _SNAPSHOT_FIELDS},
        "changes": [{"node_id": c.node_id, "status": c.status} for c in moment.changes],
    }


def encode_timeline(timeline: Timeline) -> dict[str, Any]:
    return {
        "created_at": timeline.created_at,
        "moments": [_moment_json(m) for m in timeline.moments],
        "continuation": [_moment_json(m) for m in timeline.continuation],
    }


def decode_timeline(raw: dict[str, Any]) -> Timeline:
    return Timeline(
        raw["created_at"],
        tuple(_moment(m) for m in raw["moments"]),
        tuple(_moment(m) for m in raw["continuation"]),
    )


def encode_run(run: Run) -> str:
    """The run's record, without the columns a store indexes (id, workspace, workflow)."""
    return json.dumps(
        {
            "input": run.input,
            "node_ids": run.node_ids,
            "single_node_id": run.single_node_id,
            "workflow_version_id": run.workflow_version_id,
            "callback_url": run.callback_url,
            "faults": {name: getattr(run.faults, name) for name in _REQUEST_FAULTS_FIELDS},
            "timeline": encode_timeline(run.timeline),
            "recorded_output": run.recorded_output,
        }
    )


def decode_run(run_id: str, workspace: str, workflow_id: str, seq: int, record: str) -> Run:
    raw = json.loads(record)
    faults = raw["faults"]
    if faults.get("latency_ms") is not None:
        faults["latency_ms"] = tuple(faults["latency_ms"])
    return Run(
        id=run_id,
        workspace=workspace,
        workflow_id=workflow_id,
        input=raw["input"],
        timeline=decode_timeline(raw["timeline"]),
        node_ids=tuple(raw["node_ids"]) if raw["node_ids"] is not None else None,
        single_node_id=raw["single_node_id"],
        workflow_version_id=raw["workflow_version_id"],
        callback_url=raw["callback_url"],
        faults=RequestFaults(**faults),
        sequence=seq,
        recorded_output=raw.get("recorded_output"),  # absent in records before replays
    )


def encode_attempts(attempts: list[Attempt]) -> str:
    return json.dumps([a.as_json() for a in attempts])


def decode_attempts(raw: str) -> list[Attempt]:
    return [Attempt(**a) for a in json.loads(raw)]


def encode_delivery(delivery: Delivery) -> str:
    return json.dumps(
        {
            "id": delivery.id,
            "run_id": delivery.run_id,
            "workspace": delivery.workspace,
            "url": delivery.url,
            "body": delivery.body.decode(),
            "state": delivery.state,
            "attempts": [a.as_json() for a in delivery.attempts],
        }
    )


def decode_delivery(raw: str | bytes) -> Delivery:
    d = json.loads(raw)
    attempts = [Attempt(**a) for a in d["attempts"]]
    return Delivery(
        d["id"], d["run_id"], d["workspace"], d["url"], d["body"].encode(), d["state"], attempts
    )


def encode_rule(rule: FaultRule) -> str:
    faults = {f.name: getattr(rule.faults, f.name) for f in fields(rule.faults)}
    return json.dumps(
        {"workspace": rule.workspace, "operations": list(rule.operations), "faults": faults}
    )


def decode_rule(raw: str | bytes) -> FaultRule:
    r = json.loads(raw)
    faults = r["faults"]
    if faults.get("latency_ms") is not None:
        faults["latency_ms"] = tuple(faults["latency_ms"])
    return FaultRule(r["workspace"], tuple(r["operations"]), Faults(**faults))


def encode_entry(entry: Entry) -> str:
    return json.dumps(entry.as_json())


def decode_entry(raw: str | bytes) -> Entry:
    return Entry(**json.loads(raw))
