"""--max-runs: runs may cost money on a real backend, so the session creates at most so many."""

from __future__ import annotations

import threading
import time

import pytest


class RunBudget:
    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self) -> None:
        """Hold one run about to be created; skip the test (saying why) when none are left.

        Give it back with `refund()` when the create was not answered 2xx: only runs
        created count."""
        with self._lock:
            if self.used >= self.limit:
                pytest.skip(f"--max-runs {self.limit} reached: no more runs may be created")
            self.used += 1

    def refund(self) -> None:
        with self._lock:
            self.used -= 1

    @property
    def left(self) -> int:
        with self._lock:
            return self.limit - self.used

    def spend(self) -> None:
        """Count a run some other code created (schemathesis cases answered 2xx)."""
        with self._lock:
            self.used += 1


class Pace:
    """How long the implementation's runs take, as observed (`finished_at - created_at` of
    runs polled to their end): waits and example counts follow it."""

    def __init__(self) -> None:
        self._seconds: list[float] = []
        self._lock = threading.Lock()

    def observe(self, seconds: float) -> None:
        with self._lock:
            self._seconds.append(max(0.0, seconds))

    def typical(self) -> float | None:
        """The median run length seen so far, None before any run ended."""
        with self._lock:
            seen = sorted(self._seconds)
        return seen[len(seen) // 2] if seen else None


class TimeBox:
    """Examples of a property that waits for whole runs: at least `minimum`, then more only
    while `seconds` have not passed since the first (a real-time backend gets fewer)."""

    def __init__(self, seconds: float, minimum: int) -> None:
        self.seconds = seconds
        self.minimum = minimum
        self.ran = 0
        self.held = 0
        self._started: float | None = None

    def admit(self) -> bool:
        now = time.monotonic()
        if self._started is None:
            self._started = now
        if self.ran < self.minimum or now - self._started < self.seconds:
            self.ran += 1
            return True
        self.held += 1
        return False


TIME_BOXES: dict[str, TimeBox] = {}


def time_box(name: str, seconds: float, minimum: int) -> TimeBox:
    """The named property's TimeBox (listed in the session summary)."""
    return TIME_BOXES.setdefault(name, TimeBox(seconds, minimum))
