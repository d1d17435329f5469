"""Pure arithmetic over rounds: medians with their spread, and ratios between servers."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Spread:
    """The median of some rounds and the range they covered."""

    median: float
    low: float
    high: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            raise ValueError("no values to summarise")
        return cls(statistics.median(values), min(values), max(values), len(values))

    def as_json(self) -> dict[str, float]:
        return {"median": self.median, "min": self.low, "max": self.high, "n": self.n}


def ratio(ours: float, theirs: float) -> float | None:
    """ours / theirs, or None when the other side has nothing to compare with."""
    return ours / theirs if theirs else None


def percent_change(before: float, after: float) -> float | None:
    """How much `after` differs from `before`, in percent of `before`."""
    return (after - before) / before * 100 if before else None
