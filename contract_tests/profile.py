"""How hard the suite tries: `quick` for every CI run, `thorough` for QA."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    # schemathesis: fuzzing examples per operation and mode (examples and coverage run in full)
    fuzz_examples: int
    # schemathesis state machine: scenarios and steps per scenario
    stateful_examples: int
    stateful_steps: int
    # hypothesis examples of each lifecycle property; every example creates a real run
    lifecycle_examples: int
    # runs the whole session may create unless --max-runs says otherwise
    max_runs: int
    # hypothesis picks the same inputs every time (reproducible CI) unless False
    derandomize: bool


PROFILES = {
    "quick": Profile("quick", 12, 8, 5, 8, 600, derandomize=True),
    "thorough": Profile("thorough", 100, 40, 10, 25, 5000, derandomize=False),
}
