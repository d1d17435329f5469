"""What a run does (outcome, timings, where it fails or pauses), and how levels combine. Pure.

Precedence, high to low: the `Prefer` header of the create call, the first matching rule
of the workflows file, the workflow's default, the global default. Each level fills only
the fields the levels above left unset.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockserver.core.precedence import fill

OUTCOMES = ("completed", "failed", "stopped", "awaiting_human_feedback")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m)$")


class ScenarioError(ValueError):
    """A scenario names something that does not exist (e.g. an unknown node)."""


def parse_duration(text: str) -> float | None:
    """`250ms`, `1.5s`, `10m` -> seconds; None when not a duration."""
    match = _DURATION.match(text.strip())
    if not match:
        return None
    amount, unit = float(match.group(1)), match.group(2)
    return amount / 1000 if unit == "ms" else amount * 60 if unit == "m" else amount


@dataclass(frozen=True, slots=True)
class Scenario:
    outcome: str | None = None
    duration_s: float | None = None  # the whole run, queue included
    queue_delay_s: float | None = None
    node_duration_s: float | None = None
    fail_at: str | None = None
    pause_at: str | None = None
    error: str | None = None

    def over(self, lower: Scenario) -> Scenario:
        """This scenario, with the fields it leaves unset taken from `lower`."""
        return fill(self, lower)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Scenario:
        """From a workflows-file mapping (keys as in the Prefer grammar)."""

        def seconds(key: str) -> float | None:
            value = raw.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return float(value)  # a bare number is seconds
            return None if value is None else parse_duration(str(value))

        return cls(
            # naming a failing node means failing, unless the outcome says otherwise
            outcome=raw.get("outcome") or ("failed" if raw.get("fail_at") else None),
            duration_s=seconds("duration"),
            queue_delay_s=seconds("queue_delay"),
            node_duration_s=seconds("node_duration"),
            fail_at=raw.get("fail_at"),
            pause_at=raw.get("pause_at"),
            error=raw.get("error"),
        )
