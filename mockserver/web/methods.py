"""405 with an exact Allow header for a known path asked with a method it lacks.

connexion's router would otherwise let `GET .../runs/sync` fall into the `{run_id}`
template (a 422 about a uuid), or answer 405 listing one method only. As OpenAPI says,
concrete paths win over templated ones, so the most specific template decides.
"""

from __future__ import annotations

import re
from typing import Any

from mockserver.web.limits import Refusal

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


class MethodGuard:
    def __init__(self, paths: dict[str, dict[str, Any]]) -> None:
        ranked = sorted(paths.items(), key=lambda item: -len(re.sub(r"\{[^}]+\}", "", item[0])))
        self.routes = [
            (_pattern(path), sorted(m.upper() for m in item if m in _METHODS))
            for path, item in ranked
        ]

    def refusal(self, method: str, path: str) -> Refusal | None:
        for pattern, allowed in self.routes:
            if pattern.match(path):
                if method in allowed:
                    return None
                detail = f"Method {method} not allowed; use {', '.join(allowed)}"
                return 405, {"detail": detail}, {"Allow": ", ".join(allowed)}
        return None
