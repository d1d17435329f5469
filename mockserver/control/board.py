"""The dashboard's data (/_mock/ui): the one module where the dashboard reads state.

Everything it shows is derived here from MockState at one clock reading, so the page,
the data endpoints and the live stream can never disagree. API keys never appear: only
the workspace id derived from them.
"""

from __future__ import annotations

from typing import Any

from mockserver.control.handlers import clock_view
from mockserver.core import event_log
from mockserver.core.lifecycle import Moment, Timeline
from mockserver.core.models import Run
from mockserver.core.render import progress_details, timestamp
from mockserver.state import MockState

JOURNAL_SHOWN = 100

JSON = dict[str, Any]


def _moment(moment: Moment, created_at: float, now: float) -> JSON:
    return {
        "s": round(moment.at - created_at, 6),  # seconds since creation: the bar's scale
        "at": timestamp(moment.at),
        "past": moment.at <= now,
        "status": moment.snapshot.status,
        "progress": moment.snapshot.progress,
    }


def _summary(run: Run, now: float) -> JSON:
    timeline = run.timeline
    snap = timeline.snapshot_at(now)
    return {
        "id": run.id,
        "workflow_id": run.workflow_id,
        "status": snap.status,
        "progress": snap.progress,
        "created_at": timestamp(timeline.created_at),
        # Epoch seconds on the simulated clock: the page subtracts it from the clock's now.
        "created_t": timeline.created_at,
        "moments": [_moment(m, timeline.created_at, now) for m in timeline.moments],
        # Paused: the rest is planned but has no time until someone resumes the run.
        "waiting_moments": len(timeline.continuation),
        "webhook": run.callback_url is not None,
    }


def _view(moment: Moment, timeline: Timeline, now: float) -> JSON:
    snap = moment.snapshot
    return {
        **_moment(moment, timeline.created_at, now),
        "changes": [{"node_id": c.node_id, "status": c.status} for c in moment.changes],
        "progress_details": progress_details(snap),
        "error": snap.error,
    }


class Board:
    def __init__(self, state: MockState) -> None:
        self._state = state

    async def overview(self, workspace: str, offset: int, limit: int) -> JSON:
        """One page of the workspace's runs (newest first), its clock, journal, faults and
        webhook counts."""
        state = self._state
        clock = await state.reading(workspace)
        now = clock.now
        runs, total = await state.runs.page(workspace, offset, limit)
        deliveries = await state.outbox.deliveries(workspace)
        journal = (await state.backend.journal.of(workspace))[-JOURNAL_SHOWN:]
        rules = await state.backend.faults.rules()
        return {
            "workspace": workspace,
            "clock": clock_view(clock),
            "runs": {
                "items": [_summary(run, now) for run in runs],
                "total": total,
                "offset": offset,
                "limit": limit,
            },
            "journal": [entry.as_json() for entry in reversed(journal)],
            "faults": [rule.as_json() for rule in rules if rule.workspace in (None, workspace)],
            "webhooks": {
                "deliveries": len(deliveries),
                "failed": sum(1 for d in deliveries if d.state == "failed"),
                "pending": sum(1 for d in deliveries if d.state == "pending"),
            },
        }

    async def run(self, workspace: str, run_id: str) -> JSON | None:
        """A run's views over time (past and planned), its released SSE events and its
        webhook deliveries with every attempt; None if the workspace has no such run."""
        state = self._state
        run = await state.runs.get(workspace, run_id)
        if run is None:
            return None
        now = await state.now(workspace)
        timeline = run.timeline
        events = event_log.run_events(run.id, timeline, now)
        deliveries = [d for d in await state.outbox.deliveries(workspace) if d.run_id == run.id]
        return {
            **_summary(run, now),
            "callback_url": run.callback_url,
            # Awaited: it will have a delivery, and none has started yet.
            "webhook_awaited": run.callback_url is not None and not deliveries,
            "views": [_view(m, timeline, now) for m in timeline.moments],
            "events": [
                {"id": e.id, "at": timestamp(e.at), "type": e.type, "data": e.data} for e in events
            ],
            "deliveries": [d.as_json() for d in deliveries],
        }
