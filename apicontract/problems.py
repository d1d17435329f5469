"""The error items: one reason a request breaks its operation, shaped as FastAPI's
`ValidationError` items (`{loc, msg, type}`), the way a 422 lists them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Loc = list[str | int]


@dataclass(frozen=True, slots=True)
class ErrorItem:
    loc: Loc
    msg: str
    type: str

    def as_json(self) -> dict[str, Any]:
        return {"loc": self.loc, "msg": self.msg, "type": self.type}


class ValidationProblem(Exception):
    """A request breaking its operation: every problem found, for one 422."""

    status = 422

    def __init__(self, errors: list[ErrorItem]) -> None:
        super().__init__("validation failed")
        self.errors = errors


def listed(items: list[ErrorItem], limit: int | None = None) -> str:
    """`loc: msg; loc: msg` (the first `limit`), for one-line messages."""
    shown = items if limit is None else items[:limit]
    return "; ".join(f"{'/'.join(map(str, e.loc)) or '<root>'}: {e.msg}" for e in shown)
