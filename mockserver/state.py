"""Everything a running mock holds, built once per app (never a module global)."""

from __future__ import annotations

import random
from collections.abc import MutableMapping
from dataclasses import dataclass, field

from contract_tests.spec import Spec
from mockserver.core.clock import SimClock
from mockserver.core.faults import FaultBook
from mockserver.core.ids import IdSource
from mockserver.core.scenario import Scenario
from mockserver.core.workflows import Catalogue
from mockserver.settings import Settings
from mockserver.storage.changes import Changes
from mockserver.storage.memory import Outbox, RunStore
from mockserver.storage.protocols import OutboxStore, RunRepository
from mockserver.web.journal import Journal


@dataclass
class MockState:
    settings: Settings
    spec: Spec
    clock: SimClock
    catalogue: Catalogue
    # The global default scenario: the bottom of the precedence.
    default_scenario: Scenario
    # In memory, or persistence.SqliteRunStore / SqliteOutbox with a state file.
    store: RunRepository = field(default_factory=RunStore)
    # Wakes streams and waiters when a run or the clock changes outside the timeline.
    changes: Changes = field(default_factory=Changes)
    outbox: OutboxStore = field(default_factory=Outbox)
    faults: FaultBook = field(default_factory=FaultBook)
    journal: Journal = field(default_factory=Journal)
    # Per-workspace clock offsets (control API), so parallel tests never move each other.
    offsets: MutableMapping[str, float] = field(default_factory=dict)
    _ids: dict[str, IdSource] = field(default_factory=dict)
    _fault_rngs: dict[str | None, random.Random] = field(default_factory=dict)

    def now(self, workspace: str) -> float:
        return self.clock.now() + self.offsets.get(workspace, 0.0)

    def ids(self, workspace: str) -> IdSource:
        """Per-workspace id streams: with a seed, a workspace's ids do not depend on others."""
        found = self._ids.get(workspace)
        if found is None:
            seed = None if self.settings.seed is None else f"{self.settings.seed}:{workspace}"
            if self.settings.state_path is not None:
                seed = None  # restarts and other workers would repeat a seeded sequence
            found = self._ids[workspace] = IdSource(seed)
        return found

    def fault_rng(self, workspace: str | None) -> random.Random:
        found = self._fault_rngs.get(workspace)
        if found is None:
            seed = (
                None if self.settings.seed is None else f"faults:{self.settings.seed}:{workspace}"
            )
            found = self._fault_rngs[workspace] = random.Random(seed)
        return found

    def reset(self, workspace: str | None = None) -> None:
        self.store.clear(workspace)
        self.outbox.forget(workspace)
        self.faults.clear(workspace)
        self.journal.clear(workspace)
        if workspace is None:
            self.offsets.clear()
            self._ids.clear()
            self._fault_rngs.clear()
        else:
            self.offsets.pop(workspace, None)
            self._ids.pop(workspace, None)
            self._fault_rngs.pop(workspace, None)
        self.changes.notify()
