"""One backend: the stores a running mock keeps, chosen by the `--state` URL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from mockserver.core.clock import AnchorStore, ManualClock, SimClock, SystemClock
from mockserver.settings import Settings
from mockserver.storage import memory
from mockserver.storage.changes import Changes
from mockserver.storage.protocols import (
    FaultStore,
    IdStore,
    JournalStore,
    OutboxStore,
    RunRepository,
    StreamSlots,
    TimeStore,
)


async def _nothing() -> None:
    return None


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
    # Other processes share this backend: look for their changes and orphaned deliveries.
    shared: bool = False
    # What this backend raises when it cannot be reached (answered 503, retried).
    unavailable: tuple[type[Exception], ...] = ()
    # The app's lifespan opens and closes connections and subscriptions.
    start: Callable[[], Awaitable[None]] = field(default=_nothing)
    close: Callable[[], Awaitable[None]] = field(default=_nothing)


def in_memory(clock: SimClock, seed: int | None = None) -> Backend:
    outbox = memory.MemoryOutbox()
    return Backend(
        runs=memory.MemoryRuns(outbox),
        outbox=outbox,
        time=memory.MemoryTime(clock),
        faults=memory.MemoryFaults(),
        journal=memory.MemoryJournal(),
        ids=memory.MemoryIds(seed),
        slots=memory.MemorySlots(),
        changes=Changes(),
    )


def process_clock(settings: Settings, store: AnchorStore | None = None) -> SimClock:
    if settings.clock == "manual":
        return ManualClock(store=store)
    return SystemClock(settings.speed, store=store)
