"""X-API-Key checking: a key is a workspace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connexion.security import ApiKeySecurityHandler


def key_handler(allowed: tuple[str, ...]) -> type[ApiKeySecurityHandler]:
    """A connexion security handler accepting `allowed` keys (any non-empty key if none)."""
    keys = frozenset(allowed)

    def check(apikey: str, required_scopes: Any = None) -> dict[str, str] | None:
        if not apikey or (keys and apikey not in keys):
            return None
        return {"sub": apikey}

    class KeyHandler(ApiKeySecurityHandler):  # type: ignore[misc]
        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
            return check

    return KeyHandler
