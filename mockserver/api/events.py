"""GET /v1/runs/{run_id}/events: the run's events as server-sent events.

One asyncio task per open stream, no thread: it sleeps until the next event is due (or a
change such as a stop or a clock move wakes it), sends what the clock has released, and
ends after the terminal event. A client that disconnects cancels it.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from mockserver.core import event_log
from mockserver.core.faults import Faults
from mockserver.core.ids import workspace_of
from mockserver.engine.asked import Asked
from mockserver.engine.problems import ApiError
from mockserver.engine.statuses import may_answer
from mockserver.state import MockState


class RunEvents:
    def __init__(self, state: MockState) -> None:
        self._state = state

    @may_answer(404)
    async def stream(
        self,
        run_id: str,
        user: str,
        asked: Asked,
        etag: str | None = None,
        last_event_id: str | None = None,
    ) -> Any:
        workspace = workspace_of(user)
        state = self._state
        if await state.runs.get(workspace, run_id) is None:
            raise ApiError(404, "Run not found")
        # The standard header wins over the query parameter when both are given.
        resume = event_log.parse_event_id(last_event_id or etag)
        prefs = asked.prefer
        faults = Faults.from_request(prefs.faults)
        cut = faults.over(await state.faults_for(workspace, "getRunEvents")).sse_cut_after
        # Imported on the first stream: starlette's responses are no start's business.
        from mockserver.engine import sse

        token = await sse.hold_slot(state)
        response = sse.HeldStream(
            self._released(workspace, run_id, resume, cut), state.backend.slots, token
        )
        if applied := prefs.applied_of("latency", "sse_cut"):
            response.headers["Preference-Applied"] = ", ".join(applied)
        return response

    async def _released(
        self, workspace: str, run_id: str, last_id: tuple[int, int] | None, cut_after: int | None
    ) -> AsyncIterator[bytes]:
        from mockserver.engine import sse

        state = self._state
        keepalive = state.settings.sse_keepalive_s
        quiet_since = time.monotonic()
        sent = 0
        cursor = event_log.EventCursor(run_id)
        while True:
            run = await state.runs.get(workspace, run_id)
            if run is None:  # reset under our feet
                return
            clock = await state.reading(workspace)
            now = clock.now
            for event in event_log.after(cursor.released(run.timeline, now), last_id):
                if cut_after is not None and sent >= cut_after:
                    return  # injected fault: the connection drops mid-run
                yield sse.frame(event)
                sent += 1
                last_id = event_log.parse_event_id(event.id)
                quiet_since = time.monotonic()
            if cursor.finished:
                return
            if time.monotonic() - quiet_since >= keepalive:
                yield sse.KEEPALIVE
                quiet_since = time.monotonic()
            until_ping = keepalive - (time.monotonic() - quiet_since)
            due = run.timeline.next_moment_after(now)
            real = None if due is None else clock.real_delay(due - now)
            await state.changes.wait(until_ping if real is None else min(real, until_ping))
