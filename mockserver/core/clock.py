"""Injected clocks. Time is simulated seconds since the Unix epoch, as a float.

One clock class: wall time scaled by a speed factor, which can be frozen (a manual clock
is one that starts frozen) and moved forward by hand. Its state is an Anchor (simulated
time at a wall instant, speed, frozen); with a state file the anchor lives there, so
worker processes share one clock and a restart carries on where the clock was.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Protocol

# A manual clock starts here so that seeded runs give identical timestamps.
MANUAL_EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@dataclass(frozen=True, slots=True)
class Anchor:
    sim: float
    wall: float
    speed: float
    frozen: bool

    def at(self, wall: float) -> float:
        return self.sim if self.frozen else self.sim + (wall - self.wall) * self.speed


@dataclass(frozen=True, slots=True)
class Reading:
    """The clock as one request sees it: a workspace's now, and how fast time runs."""

    now: float
    speed: float
    frozen: bool
    offset: float = 0.0

    def real_delay(self, simulated: float) -> float | None:
        """Real seconds until `simulated` seconds have passed; None if only a hand moves it."""
        return None if self.frozen else max(simulated, 0.0) / self.speed


class AnchorStore(Protocol):
    def load(self) -> Anchor | None: ...

    def save(self, anchor: Anchor) -> None: ...


class SimClock:
    def __init__(
        self,
        speed: float = 1.0,
        *,
        frozen: bool = False,
        start: float | None = None,
        store: AnchorStore | None = None,
    ) -> None:
        self._store = store
        wall = time.time()
        stored = store.load() if store is not None else None
        if stored is None:
            self._anchor = Anchor(wall if start is None else start, wall, speed, frozen)
        else:
            # Carry on from the stored time; the speed and freezing asked now apply.
            self._anchor = Anchor(stored.at(wall), wall, speed, frozen)
        if store is not None:
            store.save(self._anchor)

    def _current(self) -> Anchor:
        if self._store is not None:
            self._anchor = self._store.load() or self._anchor  # another worker may have moved it
        return self._anchor

    def _set(self, anchor: Anchor) -> None:
        self._anchor = anchor
        if self._store is not None:
            self._store.save(anchor)

    @property
    def speed(self) -> float:
        return self._current().speed

    @property
    def frozen(self) -> bool:
        return self._current().frozen

    def now(self) -> float:
        return self._current().at(time.time())

    def reading(self, offset: float = 0.0) -> Reading:
        anchor = self._current()
        return Reading(anchor.at(time.time()) + offset, anchor.speed, anchor.frozen, offset)

    def real_delay(self, simulated: float) -> float | None:
        """Real seconds until `simulated` seconds have passed; None if only a hand moves it."""
        anchor = self._current()
        return None if anchor.frozen else max(simulated, 0.0) / anchor.speed

    def _reanchored(self) -> Anchor:
        # So simulated time never jumps when speed or freezing changes.
        wall = time.time()
        return replace(self._current(), sim=self.now(), wall=wall)

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self._set(replace(self._reanchored(), speed=speed))

    def freeze(self, frozen: bool = True) -> None:
        self._set(replace(self._reanchored(), frozen=frozen))

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        anchor = self._reanchored()
        self._set(replace(anchor, sim=anchor.sim + seconds))
        return self.now()


class SystemClock(SimClock):
    """Wall time, scaled: simulated time runs `speed` times faster than real time."""


class ManualClock(SimClock):
    """Starts frozen at a fixed instant; moves only through advance()."""

    def __init__(self, start: float = MANUAL_EPOCH, store: AnchorStore | None = None) -> None:
        super().__init__(frozen=True, start=start, store=store)
