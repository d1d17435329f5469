"""Injected clocks. Time is simulated seconds since the Unix epoch, as a float.

One clock class: wall time scaled by a speed factor, which can be frozen (a manual clock
is one that starts frozen) and moved forward by hand.
"""

from __future__ import annotations

import time

# A manual clock starts here so that seeded runs give identical timestamps.
MANUAL_EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class SimClock:
    def __init__(
        self, speed: float = 1.0, *, frozen: bool = False, start: float | None = None
    ) -> None:
        self._speed = speed
        self._frozen = frozen
        self._base = time.time() if start is None else start
        self._mono0 = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def frozen(self) -> bool:
        return self._frozen

    def now(self) -> float:
        if self._frozen:
            return self._base
        return self._base + (time.monotonic() - self._mono0) * self._speed

    def real_delay(self, simulated: float) -> float | None:
        """Real seconds until `simulated` seconds have passed; None if only a hand moves it."""
        return None if self._frozen else max(simulated, 0.0) / self._speed

    def _reanchor(self) -> None:
        # So simulated time never jumps when speed or freezing changes.
        self._base = self.now()
        self._mono0 = time.monotonic()

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self._reanchor()
        self._speed = speed

    def freeze(self, frozen: bool = True) -> None:
        self._reanchor()
        self._frozen = frozen

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        self._base += seconds
        return self.now()


class SystemClock(SimClock):
    """Wall time, scaled: simulated time runs `speed` times faster than real time."""


class ManualClock(SimClock):
    """Starts frozen at a fixed instant; moves only through advance()."""

    def __init__(self, start: float = MANUAL_EPOCH) -> None:
        super().__init__(frozen=True, start=start)


# Kept as the name code and tests type against.
Clock = SimClock
