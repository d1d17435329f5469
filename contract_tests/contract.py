"""What the suite knows of the contract: openapi.yaml's schemas and the run's legal moves.

Schemas come from the spec file (compiled by the suite's own loader, spec.py). The legal
moves are read from the spec's `RunStatus` `x-transitions`, never copied from the mock.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from contract_tests.spec import Spec

SPEC_PATH = Path(__file__).resolve().parent.parent / "openapi.yaml"


@cache
def spec() -> Spec:
    return Spec(SPEC_PATH)


@cache
def legal_moves() -> dict[str, frozenset[str]]:
    """Each status and the statuses it may change to: RunStatus's `x-transitions`."""
    return spec().transitions


def terminal() -> frozenset[str]:
    """Statuses with no way out (`completed`, `failed`, `stopped` today)."""
    return frozenset(s for s, moves in legal_moves().items() if not moves)


def schema_errors(component: str, instance: Any) -> list[str]:
    return spec().errors(component, instance)


TERMINAL = terminal()


@cache
def reachable(source: str) -> frozenset[str]:
    """Statuses reachable from `source` in one or more legal moves (polls may skip some)."""
    seen: set[str] = set()
    moves = legal_moves()
    todo = list(moves.get(source, ()))
    while todo:
        status = todo.pop()
        if status not in seen:
            seen.add(status)
            todo += moves[status]
    return frozenset(seen)


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) of every public operation in the spec."""
    found = []
    for path, item in spec().document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path, operation))
    return found
