"""X-API-Key checking: a key is a workspace.

With no keys configured any non-empty key is accepted, except those starting with
`invalid` (case-insensitive): front ends and contract suites use them to see the 401 path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

REFUSED_PREFIX = "invalid"


def key_check(allowed: tuple[str, ...]) -> Callable[..., dict[str, str] | None]:
    """The check of a key: accepted if in `allowed` (any non-empty key if none)."""
    keys = frozenset(allowed)

    def check(apikey: str, required_scopes: Any = None) -> dict[str, str] | None:
        refused = apikey not in keys if keys else apikey.lower().startswith(REFUSED_PREFIX)
        if not apikey or refused:
            return None
        return {"sub": apikey}

    return check
