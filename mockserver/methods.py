"""405 for a method a spec path does not declare, with `Allow` listing the ones it does.

Without this, routing answers for the wrong route: `GET .../runs/sync` matched
`.../runs/{run_id}` (a 422 on the uuid), and a 405 listed only the first matching route's
method. Literal segments win over templated ones, as OpenAPI asks.
"""

from __future__ import annotations

import json
import re
from typing import Any

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}/?$")


class MethodGuard:
    """ASGI middleware; `paths` is the spec's `paths` object."""

    def __init__(self, app: Any, paths: dict[str, Any]) -> None:
        self.app = app
        # most literal first: fewer templated segments, then longer literal text
        ordered = sorted(paths, key=lambda p: (p.count("{"), -len(re.sub(r"\{[^}]+\}", "", p))))
        self._routes = [
            (_pattern(p), sorted(m.upper() for m in paths[p] if m in _METHODS)) for p in ordered
        ]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not _is_preflight(scope):
            for pattern, allowed in self._routes:
                if pattern.match(scope["path"]):
                    if scope["method"] not in allowed:
                        await _refuse(send, allowed)
                        return
                    break
        await self.app(scope, receive, send)


def _is_preflight(scope: Any) -> bool:
    """CORS preflights belong to the CORS middleware."""
    names = {name for name, _ in scope.get("headers", [])}
    return scope["method"] == "OPTIONS" and b"access-control-request-method" in names


async def _refuse(send: Any, allowed: list[str]) -> None:
    body = json.dumps({"detail": "Method Not Allowed"}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"allow", ", ".join(allowed).encode()),
    ]
    await send({"type": "http.response.start", "status": 405, "headers": headers})
    await send({"type": "http.response.body", "body": body})
