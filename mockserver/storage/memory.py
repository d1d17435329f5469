"""The in-memory backend: one process, nothing survives it.

Atomic by construction: no method awaits between reading and writing, and the event loop
runs one coroutine at a time. Indexes: runs per workspace (and workflow) in creation order,
a heap of end times for eviction, a heap of end times for due webhooks.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import uuid
from collections import deque
from dataclasses import replace
from typing import Any

from mockserver.core.clock import Reading, SimClock
from mockserver.core.faults import FaultBook, FaultRule
from mockserver.core.ids import IdSource
from mockserver.core.models import Delivery, Entry, Run
from mockserver.storage import codec
from mockserver.storage.protocols import Edit

LOG_SIZE = 1000
JOURNAL_SIZE = 1000


class MemoryOutbox:
    def __init__(self) -> None:
        self._expected: dict[str, tuple[str, float]] = {}  # run id -> workspace, ends at
        self._by_end: list[tuple[float, str]] = []  # sorted: the due-webhook index
        self._log: deque[Delivery] = deque(maxlen=LOG_SIZE)

    def awaits(self, run_id: str) -> bool:
        return run_id in self._expected

    def _unindex(self, run_id: str) -> tuple[str, float] | None:
        found = self._expected.pop(run_id, None)
        if found is not None:
            i = bisect.bisect_left(self._by_end, (found[1], run_id))
            del self._by_end[i]
        return found

    async def expect(self, workspace: str, run_id: str, ends_at: float | None) -> None:
        self._unindex(run_id)
        end = float("inf") if ends_at is None else ends_at
        self._expected[run_id] = (workspace, end)
        bisect.insort(self._by_end, (end, run_id))

    async def reschedule(self, run_id: str, ends_at: float | None) -> None:
        found = self._expected.get(run_id)
        if found is not None:
            await self.expect(found[0], run_id, ends_at)

    async def due(self, until: float, limit: int) -> list[tuple[str, str]]:
        ending = itertools.islice(self._by_end, limit)
        return [(self._expected[rid][0], rid) for end, rid in ending if end <= until]

    async def next_end(self, after: float) -> float | None:
        i = bisect.bisect_right(self._by_end, (after, "\uffff"))
        if i == len(self._by_end) or self._by_end[i][0] == float("inf"):
            return None
        return self._by_end[i][0]

    async def start(self, delivery: Delivery, lease_s: float) -> bool:
        if self._unindex(delivery.run_id) is None:
            return False
        self._log.append(delivery)
        return True

    async def drop(self, run_id: str) -> None:
        self._unindex(run_id)

    async def save(self, delivery: Delivery, lease_s: float) -> None:
        """In memory the log holds the same object: nothing to write."""

    async def orphans(self, lease_s: float) -> list[Delivery]:
        return []  # nobody else sends from this memory

    async def deliveries(self, workspace: str | None = None) -> list[Delivery]:
        return [d for d in self._log if workspace is None or d.workspace == workspace]

    async def forget(self, workspace: str | None = None) -> None:
        if workspace is None:
            self._expected.clear()
            self._by_end.clear()
        else:
            for run_id in [k for k, v in self._expected.items() if v[0] == workspace]:
                self._unindex(run_id)


class MemoryRuns:
    def __init__(self, outbox: MemoryOutbox) -> None:
        self._outbox = outbox
        self._runs: dict[str, Run] = {}
        # Creation order is newest-last in each workspace: the clock never goes back.
        self._by_workspace: dict[str, dict[str, None]] = {}
        self._by_workflow: dict[tuple[str, str], dict[str, None]] = {}
        self._ends: list[tuple[float, int, str]] = []  # heap for eviction; stale skipped
        self._sequence = itertools.count(1)

    def _index_end(self, run: Run) -> None:
        if run.timeline.ends_at is not None:
            heapq.heappush(self._ends, (run.timeline.ends_at, run.sequence, run.id))

    async def add(self, run: Run) -> Run:
        run = replace(run, sequence=next(self._sequence))
        self._runs[run.id] = run
        self._by_workspace.setdefault(run.workspace, {})[run.id] = None
        self._by_workflow.setdefault((run.workspace, run.workflow_id), {})[run.id] = None
        self._index_end(run)
        if run.callback_url:
            await self._outbox.expect(run.workspace, run.id, run.timeline.ends_at)
        return run

    async def get(self, workspace: str, run_id: str) -> Run | None:
        run = self._runs.get(run_id)
        return run if run is not None and run.workspace == workspace else None

    async def find(self, run_id: str) -> Run | None:
        return self._runs.get(run_id)

    async def change(self, run_id: str, edit: Edit) -> Run | None:
        run = self._runs.get(run_id)
        if run is None:
            return None
        updated = replace(run, timeline=edit(run))
        self._runs[run_id] = updated
        self._index_end(updated)
        return updated

    async def page(
        self, workspace: str, offset: int, limit: int, workflow_id: str | None = None
    ) -> tuple[list[Run], int]:
        ids = (
            self._by_workspace.get(workspace, {})
            if workflow_id is None
            else self._by_workflow.get((workspace, workflow_id), {})
        )
        chosen = itertools.islice(reversed(ids), offset, offset + limit)
        return [self._runs[run_id] for run_id in chosen], len(ids)

    async def count(self) -> int:
        return len(self._runs)

    def _remove(self, run: Run) -> None:
        del self._runs[run.id]
        self._by_workspace[run.workspace].pop(run.id, None)
        self._by_workflow[(run.workspace, run.workflow_id)].pop(run.id, None)

    async def evict_finished(self, count: int, before: float) -> list[Run]:
        gone: list[Run] = []
        kept: list[tuple[float, int, str]] = []
        while self._ends and len(gone) < count and self._ends[0][0] <= before:
            item = heapq.heappop(self._ends)
            run = self._runs.get(item[2])
            if run is None or run.timeline.ends_at != item[0]:
                continue  # stale: evicted, or its end moved
            if self._outbox.awaits(run.id):
                kept.append(item)
                continue
            self._remove(run)
            gone.append(run)
        for item in kept:
            heapq.heappush(self._ends, item)
        return gone

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            self._runs.clear()
            self._by_workspace.clear()
            self._by_workflow.clear()
            self._ends.clear()
            return
        for run_id in list(self._by_workspace.get(workspace, {})):
            self._remove(self._runs[run_id])


class MemoryTime:
    """A SimClock (tests may hold and move it by hand) and per-workspace offsets."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self._offsets: dict[str, float] = {}

    async def read(self, workspace: str | None = None) -> Reading:
        return self.clock.reading(self._offsets.get(workspace, 0.0) if workspace else 0.0)

    async def advance(self, seconds: float, workspace: str | None = None) -> None:
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        if workspace is None:
            self.clock.advance(seconds)
        else:
            self._offsets[workspace] = self._offsets.get(workspace, 0.0) + seconds

    async def freeze(self, frozen: bool) -> None:
        self.clock.freeze(frozen)

    async def set_speed(self, speed: float) -> None:
        self.clock.set_speed(speed)

    async def max_offset(self) -> float:
        return max(self._offsets.values(), default=0.0)

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            self._offsets.clear()
        else:
            self._offsets.pop(workspace, None)


class MemoryFaults:
    def __init__(self) -> None:
        self._book = FaultBook()

    async def rules(self) -> list[FaultRule]:
        return self._book.rules

    async def add(self, rule: FaultRule) -> None:
        self._book.add(rule)

    async def clear(self, workspace: str | None = None) -> None:
        self._book.clear(workspace)


class MemoryJournal:
    def __init__(self, size: int = JOURNAL_SIZE) -> None:
        self._entries: deque[Entry] = deque(maxlen=size)

    async def note(self, entry: Entry) -> None:
        self._entries.append(entry)

    async def of(self, workspace: str | None) -> list[Entry]:
        return [e for e in self._entries if workspace is None or e.group_id == workspace]

    async def clear(self, workspace: str | None = None) -> None:
        kept = [] if workspace is None else [e for e in self._entries if e.group_id != workspace]
        self._entries = deque(kept, maxlen=self._entries.maxlen)


class MemoryIds:
    """Per-workspace id streams: with a seed, a workspace's ids do not depend on others."""

    def __init__(self, seed: int | None) -> None:
        self._seed = seed
        self._streams: dict[str, IdSource] = {}

    async def new(self, workspace: str) -> str:
        found = self._streams.get(workspace)
        if found is None:
            seed = None if self._seed is None else f"{self._seed}:{workspace}"
            found = self._streams[workspace] = IdSource(seed)
        return found.new()

    async def clear(self, workspace: str | None = None) -> None:
        if workspace is None:
            self._streams.clear()
        else:
            self._streams.pop(workspace, None)


class MemorySlots:
    def __init__(self) -> None:
        self._open: set[str] = set()

    async def acquire(self, cap: int) -> str | None:
        if len(self._open) >= cap:
            return None
        token = uuid.uuid4().hex
        self._open.add(token)
        return token

    async def renew(self, token: str) -> None:
        """A slot in memory lives until released."""

    async def release(self, token: str) -> None:
        self._open.discard(token)


class MemoryResources:
    """Inferred resources: dicts keep creation order; a copy in, a copy out (a caller
    changing what it got never changes what is stored)."""

    def __init__(self) -> None:
        self._held: dict[tuple[str, str], dict[str, bytes]] = {}
        self._numbers: dict[tuple[str, str], int] = {}

    async def put(self, workspace: str, collection: str, key: str, value: Any) -> None:
        self._held.setdefault((workspace, collection), {})[key] = codec.encode_value(value)

    async def get(self, workspace: str, collection: str, key: str) -> Any | None:
        raw = self._held.get((workspace, collection), {}).get(key)
        return None if raw is None else codec.decode_value(raw)

    async def delete(self, workspace: str, collection: str, key: str) -> bool:
        return self._held.get((workspace, collection), {}).pop(key, None) is not None

    async def all(self, workspace: str, collection: str, limit: int) -> list[Any]:
        held = self._held.get((workspace, collection), {})
        return [codec.decode_value(raw) for raw in itertools.islice(held.values(), limit)]

    async def number(self, workspace: str, collection: str) -> int:
        key = (workspace, collection)
        self._numbers[key] = self._numbers.get(key, 0) + 1
        return self._numbers[key]

    async def clear(self, workspace: str | None = None) -> None:
        for held in (self._held, self._numbers):
            for key in [k for k in held if workspace is None or k[0] == workspace]:
                del held[key]
