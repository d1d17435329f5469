"""Everything a running mock holds, built once per app (never a module global)."""

from __future__ import annotations

from dataclasses import dataclass, field

from mockserver.changes import Changes
from mockserver.clock import Clock, ManualClock, SystemClock
from mockserver.identity import IdSource
from mockserver.outbox import Outbox
from mockserver.settings import Settings
from mockserver.spec import Spec
from mockserver.store import RunStore
from mockserver.workflows import Catalogue


@dataclass
class MockState:
    settings: Settings
    spec: Spec
    clock: Clock
    catalogue: Catalogue
    ids: IdSource
    store: RunStore = field(default_factory=RunStore)
    # Wakes streams and waiters when a run or the clock changes outside the timeline.
    changes: Changes = field(default_factory=Changes)
    outbox: Outbox = field(default_factory=Outbox)

    @classmethod
    def build(cls, settings: Settings, spec: Spec, clock: Clock | None = None) -> MockState:
        if clock is None:
            clock = ManualClock() if settings.clock == "manual" else SystemClock(settings.speed)
        return cls(
            settings=settings,
            spec=spec,
            clock=clock,
            catalogue=Catalogue(strict=settings.strict_workflows),
            ids=IdSource(settings.seed),
        )
