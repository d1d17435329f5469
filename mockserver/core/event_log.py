"""The run's event log, derived from its timeline. Pure.

Every moment of the timeline becomes: one `content` event per node change, then one
`state` event; the terminal moment adds a last `content` event carrying
`workflow_status`. Ids are Redis-stream style `<ms>-<seq>`, increasing, and stable:
stopping a run only appends to its log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mockserver.core.lifecycle import Moment, Timeline
from mockserver.core.render import progress_details

_EVENT_ID = re.compile(r"^(\d+)-(\d+)$")


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    at: float
    type: str  # "content" | "state"
    data: dict[str, Any]

    @property
    def final(self) -> bool:
        return "workflow_status" in self.data

    def body(self) -> dict[str, Any]:
        return {"type": self.type, "data": self.data, "redisId": self.id}


def _moment_events(run_id: str, moment: Moment) -> list[tuple[str, dict[str, Any]]]:
    snap = moment.snapshot
    out: list[tuple[str, dict[str, Any]]] = [
        ("content", {"id": change.node_id, "status": change.status}) for change in moment.changes
    ]
    out.append(
        (
            "state",
            {
                "status": snap.status,
                "progress": snap.progress,
                "progress_details": progress_details(snap),
            },
        )
    )
    if snap.terminal:
        final: dict[str, Any] = {
            "id": run_id,
            "status": snap.status,
            "workflow_status": snap.status,
        }
        if snap.error:
            final["content"] = snap.error
        out.append(("content", final))
    return out


class EventCursor:
    """A stream's position in a run's event log: each call yields only the newly released
    events, so a long stream costs O(events), not O(events^2).

    Safe because a timeline's past never changes (stop, resume, advance and force rewrite
    only the future), so the moments already read keep their index.
    """

    __slots__ = ("_last_ms", "_next", "_seq", "finished", "run_id")

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self._next = 0  # index of the first moment not yet read
        self._last_ms, self._seq = -1, 0
        self.finished = False  # the final event has been released

    def released(self, timeline: Timeline, until: float) -> list[Event]:
        """The events released since the last call, up to time `until`, oldest first."""
        events: list[Event] = []
        moments = timeline.moments
        while self._next < len(moments) and moments[self._next].at <= until:
            moment = moments[self._next]
            self._next += 1
            ms = int(moment.at * 1000)
            for kind, data in _moment_events(self.run_id, moment):
                # ids must increase even if float rounding puts a later moment in an earlier ms
                if ms > self._last_ms:
                    self._last_ms, self._seq = ms, 0
                else:
                    self._seq += 1
                event = Event(f"{self._last_ms}-{self._seq}", moment.at, kind, data)
                self.finished = self.finished or event.final
                events.append(event)
        return events


def run_events(run_id: str, timeline: Timeline, until: float) -> list[Event]:
    """The events released by time `until`, oldest first."""
    return EventCursor(run_id).released(timeline, until)


def parse_event_id(value: str | None) -> tuple[int, int] | None:
    match = _EVENT_ID.match(value.strip()) if value else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def after(events: list[Event], last_id: tuple[int, int] | None) -> list[Event]:
    """The events strictly after `last_id` (all of them when None)."""
    if last_id is None:
        return events
    return [e for e in events if parse_event_id(e.id) > last_id]  # type: ignore[operator]
