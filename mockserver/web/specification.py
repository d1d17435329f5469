"""connexion's spec validation, done once per spec instead of at every start.

connexion validates a spec against the OpenAPI schema each time it builds a
`Specification`: once per `add_api`, and again for Swagger UI's copy (`with_base_path`).
That was a fifth of the start. Here a spec that passed is remembered by the SHA-256 of
its content (and connexion's version): in this process, and as an empty file in the
user's cache directory, so the test run that validated the bundled specs spares every
later start; a changed spec has another digest and is validated again. The directory is
`$XDG_CACHE_HOME/mockserver/valid-specs` (else `~/.cache/...`); if it cannot be written,
specs are simply validated at each start, as connexion does.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson

_passed: set[str] = set()


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mockserver" / "valid-specs"


def digest(document: Any) -> str | None:
    """The spec's content digest, or None if it cannot be hashed (then it is validated)."""
    try:
        raw = orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return None
    salt = f"connexion {version('connexion')}\n".encode()
    return hashlib.sha256(salt + raw).hexdigest()


def remembering(validate: Callable[[type, Any], None]) -> Callable[[type, Any], None]:
    def validate_once(cls: type, spec: Any) -> None:
        key = digest(spec)
        if key is not None and (key in _passed or (cache_dir() / key).exists()):
            _passed.add(key)
            return
        validate(cls, spec)  # raises InvalidSpecification
        if key is not None:
            _passed.add(key)
            with contextlib.suppress(OSError):
                cache_dir().mkdir(parents=True, exist_ok=True)
                (cache_dir() / key).touch()

    return validate_once
