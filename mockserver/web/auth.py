"""X-API-Key checking: a key is a workspace.

With no keys configured any non-empty key is accepted, except those starting with
`invalid` (case-insensitive): front ends and contract suites use them to see the 401 path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from connexion.security import ApiKeySecurityHandler

REFUSED_PREFIX = "invalid"


def key_handler(allowed: tuple[str, ...]) -> type[ApiKeySecurityHandler]:
    """A connexion security handler accepting `allowed` keys (any non-empty key if none)."""
    keys = frozenset(allowed)

    def check(apikey: str, required_scopes: Any = None) -> dict[str, str] | None:
        refused = apikey not in keys if keys else apikey.lower().startswith(REFUSED_PREFIX)
        if not apikey or refused:
            return None
        return {"sub": apikey}

    class KeyHandler(ApiKeySecurityHandler):  # type: ignore[misc]
        # connexion asks inspect.signature of `check` twice per request; the answer is fixed.
        _accepts_kwarg = staticmethod(functools.cache(ApiKeySecurityHandler._accepts_kwarg))

        def _resolve_func(self, security_scheme: dict[str, Any]) -> Callable[..., Any]:
            return check

    return KeyHandler
