"""One backend: the stores a running mock keeps, chosen by the `--state` URL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mockserver.core.clock import AnchorStore, ManualClock, Reading, SimClock, SystemClock
from mockserver.core.models import Run
from mockserver.settings import Settings
from mockserver.storage import memory
from mockserver.storage.changes import Changes
from mockserver.storage.protocols import (
    FaultStore,
    Glances,
    IdStore,
    JournalStore,
    OutboxStore,
    ResourceStore,
    RunRepository,
    StreamSlots,
    TimeStore,
)


async def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class StoreGlances:
    """Glances as the stores' own calls, one after the other (a local backend pays no
    round trip for them)."""

    runs: RunRepository
    time: TimeStore

    async def run_at(self, workspace: str, run_id: str) -> tuple[Run | None, Reading]:
        run = await self.runs.get(workspace, run_id)
        return run, await self.time.read(workspace)

    async def room_at(self, workspace: str, cap: int) -> tuple[bool, Reading]:
        room = await self.runs.count() < cap
        return room, await self.time.read(workspace)


@dataclass
class Backend:
    runs: RunRepository
    outbox: OutboxStore
    time: TimeStore
    faults: FaultStore
    journal: JournalStore
    ids: IdStore
    slots: StreamSlots
    changes: Changes
    # Reads a call makes together (one round trip where the backend is remote).
    glances: Glances
    # A served document's inferred resources (collection/item paths).
    resources: ResourceStore = field(default_factory=memory.MemoryResources)
    # Other processes share this backend: look for their changes and orphaned deliveries.
    shared: bool = False
    # What this backend raises when it cannot be reached (answered 503, retried).
    unavailable: tuple[type[Exception], ...] = ()
    # The app's lifespan opens and closes connections and subscriptions.
    start: Callable[[], Awaitable[None]] = field(default=_nothing)
    close: Callable[[], Awaitable[None]] = field(default=_nothing)


def in_memory(clock: SimClock, seed: int | None = None) -> Backend:
    outbox = memory.MemoryOutbox()
    runs, times = memory.MemoryRuns(outbox), memory.MemoryTime(clock)
    return Backend(
        runs=runs,
        outbox=outbox,
        time=times,
        faults=memory.MemoryFaults(),
        journal=memory.MemoryJournal(),
        ids=memory.MemoryIds(seed),
        slots=memory.MemorySlots(),
        changes=Changes(),
        glances=StoreGlances(runs, times),
    )


def process_clock(settings: Settings, store: AnchorStore | None = None) -> SimClock:
    if settings.clock == "manual":
        return ManualClock(store=store)
    return SystemClock(settings.speed, store=store)
