"""Everything a running mock holds, built once per app (never a module global)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from apicontract.spec import Spec
from mockserver.core.clock import Reading
from mockserver.core.faults import FaultBook, Faults
from mockserver.core.scenario import Scenario
from mockserver.core.workflows import Catalogue
from mockserver.settings import Settings
from mockserver.storage.backend import Backend
from mockserver.storage.changes import Changes
from mockserver.storage.protocols import OutboxStore, RunRepository


@dataclass
class MockState:
    settings: Settings
    spec: Spec
    catalogue: Catalogue
    # The global default scenario: the bottom of the precedence.
    default_scenario: Scenario
    # Runs, outbox, clock, faults, journal, ids, stream slots: in memory, a SQLite file or
    # Redis (shared by replicas).
    backend: Backend
    # Fault draws stay per process: each replica has its own seeded stream.
    _fault_rngs: dict[str | None, random.Random] = field(default_factory=dict)

    @property
    def runs(self) -> RunRepository:
        return self.backend.runs

    @property
    def outbox(self) -> OutboxStore:
        return self.backend.outbox

    @property
    def changes(self) -> Changes:
        return self.backend.changes

    async def reading(self, workspace: str | None = None) -> Reading:
        """The clock as `workspace` sees it now (one read of the backend)."""
        return await self.backend.time.read(workspace)

    async def now(self, workspace: str | None = None) -> float:
        return (await self.backend.time.read(workspace)).now

    async def faults_for(self, workspace: str | None, operation: str) -> Faults:
        """The fault rules' effect on one operation for one workspace, as stored now."""
        return FaultBook(await self.backend.faults.rules()).effective(workspace, operation)

    def fault_rng(self, workspace: str | None) -> random.Random:
        found = self._fault_rngs.get(workspace)
        if found is None:
            seed = (
                None if self.settings.seed is None else f"faults:{self.settings.seed}:{workspace}"
            )
            found = self._fault_rngs[workspace] = random.Random(seed)
        return found

    async def reset(self, workspace: str | None = None) -> None:
        b = self.backend
        await b.runs.clear(workspace)
        await b.outbox.forget(workspace)
        await b.faults.clear(workspace)
        await b.journal.clear(workspace)
        await b.time.clear(workspace)
        await b.ids.clear(workspace)
        await b.resources.clear(workspace)
        if workspace is None:
            self._fault_rngs.clear()
        else:
            self._fault_rngs.pop(workspace, None)
        b.changes.notify()
