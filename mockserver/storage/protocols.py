"""The storage seam: what the web layer needs from a backend, as async protocols.

Three backends honour them (`memory.py`, `sqlite.py`, `redis.py`; `location.open_backend`
picks one by URL). The rules every backend keeps, checked by tests/test_storage_parity.py:
- every change of a run, the clock and the offsets is atomic in the backend (a lock, a
  transaction or a server-side script), never read-modify-write in a handler;
- paging, eviction and due-webhook lookup use the backend's indexes, not a scan of all runs;
- "now" (clock and leases) is the backend's where the backend is shared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from mockserver.core.clock import Reading
from mockserver.core.faults import FaultRule
from mockserver.core.lifecycle import Timeline
from mockserver.core.models import Delivery, Entry, Run

# A change of a run's timeline, computed from the run as stored now; it may raise (e.g.
# IllegalMove) to refuse, and the store then leaves the run as it was.
Edit = Callable[[Run], Timeline]


class RunRepository(Protocol):
    async def add(self, run: Run) -> Run:
        """Store a new run; the answer carries its insertion sequence. A run with a
        callback URL is expected by the outbox too (OutboxStore.expect), in the same step."""

    async def get(self, workspace: str, run_id: str) -> Run | None: ...

    async def find(self, run_id: str) -> Run | None:
        """A run in any workspace (for the control API)."""

    async def change(self, run_id: str, edit: Edit) -> Run | None:
        """Apply `edit` atomically (retried on a concurrent change); None if no such run."""

    async def page(
        self, workspace: str, offset: int, limit: int, workflow_id: str | None = None
    ) -> tuple[list[Run], int]:
        """One page of the workspace's runs (of one workflow), newest first, and the total."""

    async def count(self) -> int: ...

    async def evict_finished(self, count: int, before: float) -> list[Run]:
        """Remove up to `count` runs that ended before `before` (first-ended first), never
        one whose webhook is still to be sent."""

    async def clear(self, workspace: str | None = None) -> None: ...


class OutboxStore(Protocol):
    """Runs whose webhook is due, indexed by when they end; deliveries with leases."""

    async def expect(self, workspace: str, run_id: str, ends_at: float | None) -> None:
        """Note that a run expects its webhook, and when it ends (None: not known yet)."""

    async def reschedule(self, run_id: str, ends_at: float | None) -> None:
        """A run still expecting its webhook now ends at another time (stop, resume...)."""

    async def due(self, until: float, limit: int) -> list[tuple[str, str]]:
        """(workspace, run id) of expected runs ending at or before `until`."""

    async def next_end(self, after: float) -> float | None:
        """When the first expected run ending after `after` ends (None: none known)."""

    async def start(self, delivery: Delivery, lease_s: float) -> bool:
        """Turn an expected run into its one delivery; False if another took it first."""

    async def drop(self, run_id: str) -> None: ...

    async def save(self, delivery: Delivery, lease_s: float) -> None:
        """Record a delivery's progress and renew its lease."""

    async def orphans(self, lease_s: float) -> list[Delivery]:
        """Pending deliveries whose lease ran out (their sender died), now leased to us."""

    async def deliveries(self, workspace: str | None = None) -> list[Delivery]: ...

    async def forget(self, workspace: str | None = None) -> None: ...


class TimeStore(Protocol):
    """The simulated clock and per-workspace offsets."""

    async def read(self, workspace: str | None = None) -> Reading: ...

    async def advance(self, seconds: float, workspace: str | None = None) -> None: ...

    async def freeze(self, frozen: bool) -> None: ...

    async def set_speed(self, speed: float) -> None: ...

    async def max_offset(self) -> float:
        """The largest workspace offset (so due lookups see every workspace's now)."""

    async def clear(self, workspace: str | None = None) -> None:
        """Forget offsets (of one workspace)."""


class FaultStore(Protocol):
    async def rules(self) -> list[FaultRule]: ...

    async def add(self, rule: FaultRule) -> None:
        """A rule for the same scope and operations replaces the earlier one."""

    async def clear(self, workspace: str | None = None) -> None: ...


class JournalStore(Protocol):
    async def note(self, entry: Entry) -> None: ...

    async def of(self, workspace: str | None) -> list[Entry]: ...

    async def clear(self, workspace: str | None = None) -> None: ...


class IdStore(Protocol):
    async def new(self, workspace: str) -> str:
        """A run id, unique across every process sharing the backend."""

    async def clear(self, workspace: str | None = None) -> None: ...


class Glances(Protocol):
    """Reads one call makes together: one round trip where the backend is remote."""

    async def run_at(self, workspace: str, run_id: str) -> tuple[Run | None, Reading]:
        """RunRepository.get, then TimeStore.read(workspace)."""

    async def room_at(self, workspace: str, cap: int) -> tuple[bool, Reading]:
        """Whether RunRepository.count() < cap, then TimeStore.read(workspace)."""


class StreamSlots(Protocol):
    """The cap on open SSE streams, shared by every process sharing the backend."""

    async def acquire(self, cap: int) -> str | None:
        """A slot token, or None when `cap` streams are open."""

    async def renew(self, token: str) -> None: ...

    async def release(self, token: str) -> None: ...


class ResourceStore(Protocol):
    """Resources a served document's collection/item paths hold (inferred state): JSON
    values by workspace, collection (its concrete path) and id, in creation order."""

    async def put(self, workspace: str, collection: str, key: str, value: Any) -> None: ...

    async def get(self, workspace: str, collection: str, key: str) -> Any | None: ...

    async def delete(self, workspace: str, collection: str, key: str) -> bool:
        """False when there was none."""
        ...

    async def all(self, workspace: str, collection: str, limit: int) -> list[Any]: ...

    async def number(self, workspace: str, collection: str) -> int:
        """The next number of a collection's integer ids (1, 2, ...)."""
        ...

    async def clear(self, workspace: str | None = None) -> None: ...
