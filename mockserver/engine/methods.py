"""405 with an exact Allow header for a known /v1 path asked with a method it lacks.

Read from the public API's route table (apicontract/router.py), before any parsing: as OpenAPI says,
concrete paths win over templated ones, so the most specific template decides (`GET
.../runs/sync` is a 405 listing POST, not a 422 about a `{run_id}` uuid).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.types import Scope

from apicontract.router import Routes, route_of
from mockserver.engine.limits import Refusal
from mockserver.engine.reply import Reply


class MethodGuard:
    def __init__(self, routes: Routes[Mapping[str, Any]]) -> None:
        self.routes = routes  # each template with its operations by upper-case method

    def refusal(self, scope: Scope) -> Refusal | None:
        found = route_of(scope, self.routes)
        if found is None:
            return None
        _, by_method, _ = found
        method = scope["method"]
        if method in by_method:
            return None
        allowed = sorted(by_method)
        detail = f"Method {method} not allowed; use {', '.join(allowed)}"
        return Reply({"detail": detail}, 405, {"Allow": ", ".join(allowed)})
