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
    # positive cases of the sync create sent in conformance: each one waits for a whole run
    # (the backend's pace), while its negative cases are answered at once
    sync_runs: int
    # hypothesis examples of each lifecycle property; every example creates a real run
    lifecycle_examples: int
    # runs the whole session may create unless --max-runs says otherwise
    max_runs: int
    # a property whose examples wait for whole runs starts new examples for this long (s),
    # after `min_examples`; the stateful phase sizes its scenarios to about this much waiting
    time_box_s: float
    min_examples: int
    # hypothesis picks the same inputs every time (reproducible CI) unless False
    derandomize: bool


PROFILES = {
    "quick": Profile("quick", 12, 8, 5, 3, 8, 600, 12.0, 3, derandomize=True),
    "thorough": Profile("thorough", 100, 40, 10, 60, 25, 5000, 600.0, 10, derandomize=False),
}
