"""What a request asks that several layers read: its workspace and its Prefer header.

Derived once per request and kept in the ASGI scope's extensions (a dict every layer's
shallow copy of the scope shares), so the journal, fault injection and the handlers
read the same values instead of hashing the key and parsing Prefer each on their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.types import Scope

from mockserver.core.ids import workspace_of
from mockserver.core.prefer import Preferences, parse_prefer

KEY = "mockserver.asked"


@dataclass(frozen=True, slots=True)
class Asked:
    workspace: str | None
    prefer: Preferences


def asked_of(scope: Scope) -> Asked:
    """The request's Asked, derived on first use (the gate does it for every /v1 call)."""
    extensions = scope.setdefault("extensions", {})
    found = extensions.get(KEY)
    if found is None:
        key = prefer = None
        for name, value in scope.get("headers", ()):
            if name == b"x-api-key" and key is None:
                key = value.decode("latin-1")
            elif name == b"prefer" and prefer is None:
                prefer = value.decode("latin-1")
        found = extensions[KEY] = Asked(workspace_of(key) if key else None, parse_prefer(prefer))
    return found  # type: ignore[no-any-return]
