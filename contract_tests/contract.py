"""What the suite knows of the contract: openapi.yaml's schemas and the run's legal moves.

Schemas come from the spec file (compiled by the mock's spec loader, which only reads
YAML; the suite uses nothing else of the mock). The legal moves are the ones the spec's
`RunStatus` description states; `check_states` proves they name exactly its enum.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from mockserver.spec import Spec

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"

LEGAL_MOVES: dict[str, frozenset[str]] = {
    "queued": frozenset({"running", "stopped"}),
    "running": frozenset({"completed", "failed", "stopped", "awaiting_human_feedback"}),
    "awaiting_human_feedback": frozenset({"running", "stopped"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "stopped": frozenset(),
}
TERMINAL = frozenset(s for s, moves in LEGAL_MOVES.items() if not moves)


@cache
def spec() -> Spec:
    found = Spec(SPEC_PATH)
    if set(found.status_enum) != set(LEGAL_MOVES):
        raise RuntimeError(f"RunStatus enum {found.status_enum} != the suite's {set(LEGAL_MOVES)}")
    return found


def schema_errors(component: str, instance: Any) -> list[str]:
    return spec().errors(component, instance)


@cache
def reachable(source: str) -> frozenset[str]:
    """Statuses reachable from `source` in one or more legal moves (polls may skip some)."""
    seen: set[str] = set()
    todo = list(LEGAL_MOVES.get(source, ()))
    while todo:
        status = todo.pop()
        if status not in seen:
            seen.add(status)
            todo += LEGAL_MOVES[status]
    return frozenset(seen)


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) of every public operation in the spec."""
    found = []
    for path, item in spec().document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path, operation))
    return found
