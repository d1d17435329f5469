"""405 with an exact Allow header for a known path asked with a method it lacks.

connexion's router would otherwise let `GET .../runs/sync` fall into the `{run_id}`
template (a 422 about a uuid), or answer 405 listing one method only. As OpenAPI says,
concrete paths win over templated ones, so the most specific template decides.
"""

from __future__ import annotations

from typing import Any

from mockserver.web.limits import Refusal
from mockserver.web.routes import Routes

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


class MethodGuard:
    def __init__(self, paths: dict[str, dict[str, Any]]) -> None:
        self.routes = Routes(
            {path: sorted(m.upper() for m in item if m in _METHODS) for path, item in paths.items()}
        )

    def refusal(self, method: str, path: str) -> Refusal | None:
        found = self.routes.find(path)
        if found is None:
            return None
        _, allowed, _ = found
        if method in allowed:
            return None
        detail = f"Method {method} not allowed; use {', '.join(allowed)}"
        return 405, {"detail": detail}, {"Allow": ", ".join(allowed)}
