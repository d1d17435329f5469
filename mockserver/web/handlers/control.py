"""The control API under /_mock (its own spec: control.yaml)."""

from __future__ import annotations

from typing import Any

from mockserver.core import render
from mockserver.core.faults import FaultRule, Faults
from mockserver.core.ids import workspace_of
from mockserver.core.lifecycle import IllegalMove, Timeline
from mockserver.core.models import Run
from mockserver.core.render import timestamp
from mockserver.state import MockState
from mockserver.web.errors import ApiError, ErrorItem, ValidationProblem


def _workspace(body_or_key: dict[str, Any] | str | None) -> str | None:
    key = body_or_key.get("api_key") if isinstance(body_or_key, dict) else body_or_key
    return workspace_of(key) if key else None


def clock_view(state: MockState, workspace: str | None = None) -> dict[str, Any]:
    """The clock as a workspace sees it (the Clock schema of control.yaml)."""
    return {
        "kind": "manual" if state.clock.frozen else "system",
        "frozen": state.clock.frozen,
        "now": timestamp(state.now(workspace) if workspace else state.clock.now()),
        "speed": state.clock.speed,
        "offset_s": state.offsets.get(workspace, 0.0) if workspace else 0.0,
    }


class Control:
    def __init__(self, state: MockState) -> None:
        self._state = state

    def _clock_body(self, workspace: str | None = None) -> dict[str, Any]:
        return clock_view(self._state, workspace)

    async def health(self) -> dict[str, Any]:
        return {"status": "ok", "clock": self._clock_body()}

    async def reset(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        workspace = _workspace(body or {})
        self._state.reset(workspace)
        return {"status": "reset", "scope": "workspace" if workspace else "all"}

    async def workflows(self) -> list[dict[str, Any]]:
        return [
            {
                "id": wf.id,
                "name": wf.name,
                "inputs": [node.label for node in wf.inputs],
                "outputs": [node.label for node in wf.outputs],
            }
            for wf in self._state.catalogue
        ]

    async def get_clock(self, api_key: str | None = None) -> dict[str, Any]:
        return self._clock_body(_workspace(api_key))

    async def advance_clock(self, body: dict[str, Any]) -> dict[str, Any]:
        state = self._state
        workspace = _workspace(body)
        seconds = float(body["seconds"])
        if workspace:
            state.offsets[workspace] = state.offsets.get(workspace, 0.0) + seconds
        else:
            state.clock.advance(seconds)
        state.changes.notify()
        return self._clock_body(workspace)

    async def freeze_clock(self, body: dict[str, Any]) -> dict[str, Any]:
        self._state.clock.freeze(bool(body["frozen"]))
        self._state.changes.notify()
        return self._clock_body()

    async def set_speed(self, body: dict[str, Any]) -> dict[str, Any]:
        self._state.clock.set_speed(float(body["speed"]))
        self._state.changes.notify()
        return self._clock_body()

    def _move(self, run_id: str, change: Any) -> dict[str, Any]:
        state = self._state
        run = state.store.find(run_id)
        if run is None:
            raise ApiError(404, "Run not found")
        try:
            timeline: Timeline = change(run.timeline, state.now(run.workspace))
        except IllegalMove as exc:
            raise ApiError(409, str(exc)) from exc
        updated = state.store.replace_timeline(run, timeline)
        state.changes.notify()
        return self._run_body(updated)

    def _run_body(self, run: Run) -> dict[str, Any]:
        workflow = self._state.catalogue.get(run.workflow_id)
        assert workflow is not None
        snap = run.timeline.snapshot_at(self._state.now(run.workspace))
        return render.simplified_run(run, workflow, snap)

    async def advance_run(self, run_id: str) -> dict[str, Any]:
        return self._move(run_id, lambda tl, now: tl.advance(now))

    async def resume_run(self, run_id: str) -> dict[str, Any]:
        return self._move(run_id, lambda tl, now: tl.resume(now))

    async def force_run(self, run_id: str, body: dict[str, Any]) -> dict[str, Any]:
        status, error = body["status"], body.get("error")
        return self._move(run_id, lambda tl, now: tl.force(now, status, error))

    async def journal(self, api_key: str | None = None, limit: int = 100) -> dict[str, Any]:
        entries = self._state.journal.of(_workspace(api_key))
        return {"entries": [e.as_json() for e in entries[-limit:]]}

    async def webhooks(self, api_key: str | None = None) -> dict[str, Any]:
        workspace = _workspace(api_key)
        log = self._state.outbox.deliveries(workspace)
        return {"deliveries": [d.as_json() for d in log]}

    async def list_faults(self) -> dict[str, Any]:
        return {"rules": [r.as_json() for r in self._state.faults.rules]}

    async def set_faults(self, body: dict[str, Any]) -> dict[str, Any]:
        latency = body.get("latency_ms")
        if isinstance(latency, int):
            latency = (latency, latency)
        elif isinstance(latency, list):
            if latency[0] > latency[1]:
                item = ErrorItem(
                    ["body", "latency_ms"], "range must be [low, high], low <= high", "value_error"
                )
                raise ValidationProblem([item])
            latency = (latency[0], latency[1])
        faults = Faults(
            latency_ms=latency,
            error_rate=body.get("error_rate"),
            error_status=body.get("error_status"),
            retry_after_s=body.get("retry_after_s"),
            sse_cut_after=body.get("sse_cut_after"),
            webhook_fail_times=body.get("webhook_fail_times"),
            webhook_duplicates=body.get("webhook_duplicates"),
            webhook_delay_s=body.get("webhook_delay_s"),
        )
        rule = FaultRule(_workspace(body), tuple(body.get("operations", ())), faults)
        self._state.faults.add(rule)
        return await self.list_faults()

    async def clear_faults(self, api_key: str | None = None) -> dict[str, Any]:
        self._state.faults.clear(_workspace(api_key))
        return await self.list_faults()
