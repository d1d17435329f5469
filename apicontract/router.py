"""The one router: the document's path templates, matched segment by segment (no regex
to compile at start).

A `{name}` segment matches one non-empty segment, as starlette's default converter; the
templates are tried most specific first (more literal characters), so `/runs/sync` is
never taken for `/runs/{run_id}`. The mock's engine, its 405 guard, the suite and the
proxy all route with this; `route_of` matches an ASGI request once and keeps the match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Generic, TypeVar

from apicontract.operations import Operation

T = TypeVar("T")

_ROUTED = "mockserver.route"  # where route_of keeps a request's match, in the scope


class PathTemplate:
    __slots__ = ("mixed", "parts", "template")

    def __init__(self, template: str) -> None:
        self.template = template
        # (literal, None) or (None, parameter name), one per segment; (None, None) for a
        # segment mixing both (`{Sid}.json`), matched by its pattern in `mixed`.
        parts: list[tuple[str | None, str | None]] = []
        self.mixed: dict[int, tuple[re.Pattern[str], tuple[str, ...]]] = {}
        for i, p in enumerate(template.split("/")):
            if p.startswith("{") and p.endswith("}") and p.count("{") == 1:
                parts.append((None, p[1:-1]))
            elif "{" in p:
                parts.append((None, None))
                self.mixed[i] = _segment_pattern(p)
            else:
                parts.append((p, None))
        self.parts = tuple(parts)

    def match(self, path: str) -> dict[str, str] | None:
        segments = path.split("/")
        if len(segments) != len(self.parts):
            return None
        found: dict[str, str] = {}
        for i, (segment, (literal, name)) in enumerate(zip(segments, self.parts, strict=True)):
            if name is not None:
                if not segment:
                    return None
                found[name] = segment
            elif literal is not None:
                if segment != literal:
                    return None
            else:
                pattern, names = self.mixed[i]
                matched = pattern.fullmatch(segment)
                if matched is None:
                    return None
                found.update(zip(names, matched.groups(), strict=True))
        return found

    @property
    def specificity(self) -> int:
        return sum(len(literal) for literal, _ in self.parts if literal is not None)


class Routes(Generic[T]):
    """Path templates, most specific first, each with what it carries (`T`)."""

    def __init__(self, items: dict[str, T]) -> None:
        ranked = sorted(((PathTemplate(t), v) for t, v in items.items()), key=_rank)
        self.table: list[tuple[PathTemplate, T]] = ranked

    def find(self, path: str) -> tuple[PathTemplate, T, dict[str, str]] | None:
        """The template `path` calls, what it carries, and its path parameters."""
        for template, value in self.table:
            found = template.match(path)
            if found is not None:
                return template, value, found
        return None


def route_of(scope: Any, routes: Routes[T]) -> tuple[PathTemplate, T, dict[str, str]] | None:
    """The request's match in `routes`, made on first use and kept in the ASGI scope's
    extensions (shared by every layer), so the gate and the public API match once."""
    extensions = scope.setdefault("extensions", {})
    if _ROUTED not in extensions:
        extensions[_ROUTED] = routes.find(scope["path"])
    found: tuple[PathTemplate, T, dict[str, str]] | None = extensions[_ROUTED]
    return found


def _segment_pattern(segment: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """A segment mixing literals and parameters (each one or more characters), and the
    parameters' names in the order of its groups."""
    pieces = [piece for piece in re.split(r"(\{[^}]*\})", segment) if piece]
    names = tuple(piece[1:-1] for piece in pieces if piece.startswith("{"))
    pattern = "".join("(.+?)" if piece.startswith("{") else re.escape(piece) for piece in pieces)
    # DOTALL: a value may hold any character but `/` (a decoded %0A too), as `{name}` alone.
    return re.compile(pattern, re.DOTALL), names


def _rank(item: tuple[PathTemplate, Any]) -> int:
    return -item[0].specificity


def by_template(operations: Iterable[Operation]) -> dict[str, dict[str, Operation]]:
    """The operations by path template, then by upper-case method."""
    table: dict[str, dict[str, Operation]] = {}
    for operation in operations:
        table.setdefault(operation.template, {})[operation.method] = operation
    return table


def operation_routes(operations: Iterable[Operation]) -> Routes[dict[str, Operation]]:
    return Routes(by_template(operations))


def find(
    routes: Routes[dict[str, Operation]], method: str, path: str
) -> tuple[Operation, dict[str, str]] | None:
    """The operation `method path` calls and its path parameters; None for an unknown
    path, and for a method the path does not have."""
    found = routes.find(path)
    if found is None:
        return None
    operation = found[1].get(method.upper())
    return None if operation is None else (operation, found[2])
