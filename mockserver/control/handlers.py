"""The control API under /_mock (its own spec: control.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apicontract.problems import ErrorItem, ValidationProblem
from mockserver.api.change import change_run
from mockserver.core import render
from mockserver.core.clock import Reading
from mockserver.core.faults import FaultRule, Faults
from mockserver.core.ids import workspace_of
from mockserver.core.lifecycle import Timeline
from mockserver.core.render import timestamp
from mockserver.engine.problems import ApiError
from mockserver.state import MockState


def _workspace(body_or_key: dict[str, Any] | str | None) -> str | None:
    key = body_or_key.get("api_key") if isinstance(body_or_key, dict) else body_or_key
    return workspace_of(key) if key else None


def clock_view(clock: Reading) -> dict[str, Any]:
    """The clock as a workspace sees it (the Clock schema of control.yaml)."""
    return {
        "kind": "manual" if clock.frozen else "system",
        "frozen": clock.frozen,
        "now": timestamp(clock.now),
        "speed": clock.speed,
        "offset_s": clock.offset,
    }


class Control:
    def __init__(self, state: MockState) -> None:
        self._state = state

    async def _clock_body(self, workspace: str | None = None) -> dict[str, Any]:
        return clock_view(await self._state.reading(workspace))

    async def health(self) -> dict[str, Any]:
        return {"status": "ok", "clock": await self._clock_body()}

    async def reset(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        workspace = _workspace(body or {})
        await self._state.reset(workspace)
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
        return await self._clock_body(_workspace(api_key))

    async def advance_clock(self, body: dict[str, Any]) -> dict[str, Any]:
        state = self._state
        workspace = _workspace(body)
        await state.backend.time.advance(float(body["seconds"]), workspace)
        state.changes.notify()
        return await self._clock_body(workspace)

    async def freeze_clock(self, body: dict[str, Any]) -> dict[str, Any]:
        await self._state.backend.time.freeze(bool(body["frozen"]))
        self._state.changes.notify()
        return await self._clock_body()

    async def set_speed(self, body: dict[str, Any]) -> dict[str, Any]:
        await self._state.backend.time.set_speed(float(body["speed"]))
        self._state.changes.notify()
        return await self._clock_body()

    async def _move(
        self, run_id: str, change: Callable[[Timeline, float], Timeline]
    ) -> dict[str, Any]:
        state = self._state
        run = await state.runs.find(run_id)
        if run is None:
            raise ApiError(404, "Run not found")
        now = await state.now(run.workspace)
        updated = await change_run(state, run_id, lambda found: change(found.timeline, now))
        workflow = state.catalogue.get(updated.workflow_id)
        assert workflow is not None
        return render.simplified_run(updated, workflow, updated.timeline.snapshot_at(now))

    async def advance_run(self, run_id: str) -> dict[str, Any]:
        return await self._move(run_id, lambda tl, now: tl.advance(now))

    async def resume_run(self, run_id: str) -> dict[str, Any]:
        return await self._move(run_id, lambda tl, now: tl.resume(now))

    async def force_run(self, run_id: str, body: dict[str, Any]) -> dict[str, Any]:
        status, error = body["status"], body.get("error")
        return await self._move(run_id, lambda tl, now: tl.force(now, status, error))

    async def journal(self, api_key: str | None = None, limit: int = 100) -> dict[str, Any]:
        entries = await self._state.backend.journal.of(_workspace(api_key))
        return {"entries": [e.as_json() for e in entries[-limit:]]}

    async def webhooks(self, api_key: str | None = None) -> dict[str, Any]:
        workspace = _workspace(api_key)
        log = await self._state.outbox.deliveries(workspace)
        return {"deliveries": [d.as_json() for d in log]}

    async def list_faults(self) -> dict[str, Any]:
        return {"rules": [r.as_json() for r in await self._state.backend.faults.rules()]}

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
        await self._state.backend.faults.add(rule)
        return await self.list_faults()

    async def clear_faults(self, api_key: str | None = None) -> dict[str, Any]:
        await self._state.backend.faults.clear(_workspace(api_key))
        return await self.list_faults()
