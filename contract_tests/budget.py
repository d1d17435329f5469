"""--max-runs: runs may cost money on a real backend, so the session creates at most so many."""

from __future__ import annotations

import threading

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
