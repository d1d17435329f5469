"""The control API under /_mock (its own spec: control.yaml)."""

from __future__ import annotations

from typing import Any

from mockserver.clock import ManualClock, SystemClock
from mockserver.errors import ApiError
from mockserver.identity import workspace_of
from mockserver.payloads import timestamp
from mockserver.state import MockState


class Control:
    def __init__(self, state: MockState) -> None:
        self._state = state

    def _clock_body(self) -> dict[str, Any]:
        clock = self._state.clock
        return {
            "kind": "manual" if isinstance(clock, ManualClock) else "system",
            "now": timestamp(clock.now()),
            "speed": clock.speed,
        }

    async def health(self) -> dict[str, Any]:
        return {"status": "ok", "clock": self._clock_body()}

    async def reset(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        key = (body or {}).get("api_key")
        self._state.store.clear(workspace_of(key) if key else None)
        self._state.outbox.forget(workspace_of(key) if key else None)
        self._state.changes.notify()
        return {"status": "reset", "scope": "workspace" if key else "all"}

    async def advance_clock(self, body: dict[str, Any]) -> dict[str, Any]:
        clock = self._state.clock
        if not isinstance(clock, ManualClock):
            raise ApiError(409, "The clock is not manual: start the mock with --clock manual")
        clock.advance(float(body["seconds"]))
        self._state.changes.notify()
        return self._clock_body()

    async def set_speed(self, body: dict[str, Any]) -> dict[str, Any]:
        clock = self._state.clock
        if not isinstance(clock, SystemClock):
            raise ApiError(409, "A manual clock has no speed; advance it instead")
        clock.set_speed(float(body["speed"]))
        self._state.changes.notify()
        return self._clock_body()

    async def webhooks(self) -> dict[str, Any]:
        return {"deliveries": [d.as_json() for d in self._state.outbox.log]}
