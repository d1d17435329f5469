"""The spec's path templates, matched segment by segment (no regex to compile at start).

A `{name}` segment matches one non-empty segment, as starlette's default converter; the
templates are tried most specific first (more literal characters), so `/runs/sync` is
never taken for `/runs/{run_id}`. The public API's table is the one the gate's method
guard (405) reads too, and a request is matched once (`route_of`), so the two cannot
disagree on which template a path calls.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

T = TypeVar("T")

# The operations a path item may hold (OpenAPI 3.0), in the spec's order.
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_ROUTED = "mockserver.route"  # where route_of keeps a request's match, in the scope


class PathTemplate:
    __slots__ = ("parts", "template")

    def __init__(self, template: str) -> None:
        self.template = template
        # (literal, None) or (None, parameter name), one per segment
        self.parts = tuple(
            (None, p[1:-1]) if p.startswith("{") and p.endswith("}") else (p, None)
            for p in template.split("/")
        )

    def match(self, path: str) -> dict[str, str] | None:
        segments = path.split("/")
        if len(segments) != len(self.parts):
            return None
        found: dict[str, str] = {}
        for segment, (literal, name) in zip(segments, self.parts, strict=True):
            if name is None:
                if segment != literal:
                    return None
            elif not segment:
                return None
            else:
                found[name] = segment
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


def _rank(item: tuple[PathTemplate, Any]) -> int:
    return -item[0].specificity
