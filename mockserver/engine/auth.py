"""X-API-Key checking: a key is a workspace.

With no keys configured any non-empty key is accepted, except those starting with
`invalid` (case-insensitive): front ends and contract suites use them to see the 401 path.
An HTTP credential is checked as a key: a bearer's token, a basic credential's
`user:password` (so `--api-key AC1:token` accepts only that account's basic auth).
"""

from __future__ import annotations

import base64
import binascii
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


def http_secret(kind: str, credential: str) -> str | None:
    """What a key check reads from an HTTP credential: a bearer's token, a basic
    credential's decoded `user:password`; None when the basic one does not decode."""
    if kind != "basic":
        return credential
    try:
        decoded = base64.b64decode(credential, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded if ":" in decoded else None
