"""Injected clocks. Time is simulated seconds since the Unix epoch, as a float."""

from __future__ import annotations

import time
from typing import Protocol

# A manual clock starts here so that seeded runs give identical timestamps.
MANUAL_EPOCH = 1_767_225_600.0  # 2026-01-01T00:00:00Z


class Clock(Protocol):
    def now(self) -> float: ...

    @property
    def speed(self) -> float: ...


class SystemClock:
    """Wall time, scaled: simulated time runs `speed` times faster than real time."""

    def __init__(self, speed: float = 1.0) -> None:
        self._speed = speed
        self._wall0 = time.time()
        self._mono0 = time.monotonic()

    @property
    def speed(self) -> float:
        return self._speed

    def now(self) -> float:
        return self._wall0 + (time.monotonic() - self._mono0) * self._speed

    def set_speed(self, speed: float) -> None:
        # Re-anchor so simulated time never jumps when the speed changes.
        self._wall0 = self.now()
        self._mono0 = time.monotonic()
        self._speed = speed


class ManualClock:
    """Moves only when told to; for deterministic tests."""

    def __init__(self, start: float = MANUAL_EPOCH) -> None:
        self._now = start

    @property
    def speed(self) -> float:
        return 1.0

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        self._now += seconds
        return self._now
