"""connexion's spec validation, done once per spec instead of at every start.

connexion validates a spec against the OpenAPI schema each time it builds a
`Specification`: once per `add_api`, and again for Swagger UI's copy (`with_base_path`).
That was a fifth of the start. Here a spec that passed is remembered by the SHA-256 of
its content (and connexion's version): in this process, and as an empty file in the
cache folder (`valid-specs/`), so the test run that validated the bundled specs spares
every later start; a changed spec has another digest and is validated again.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from apicontract.spec import Spec
from mockserver.engine.specification import SpecError, cache_root

# The connexion whose validation a pass vouches for: pinned in pyproject.toml, and
# tests/test_connexion_canary.py checks the installed one is this (reading the installed
# version at each start cost more than the rest of this module).
CONNEXION = "3.3.0"

_passed: set[str] = set()


def cache_dir() -> Path:
    return cache_root() / "valid-specs"


def digest(document: Any) -> str | None:
    """The spec's content digest, or None if it cannot be hashed (then it is validated)."""
    try:
        raw = orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return None
    salt = f"connexion {CONNEXION}\n".encode()
    return hashlib.sha256(salt + raw).hexdigest()


def _known(key: str | None) -> bool:
    if key is not None and (key in _passed or (cache_dir() / key).exists()):
        _passed.add(key)
        return True
    return False


def remembering(validate: Callable[[type, Any], None]) -> Callable[[type, Any], None]:
    def validate_once(cls: type, spec: Any) -> None:
        key = digest(spec)
        if _known(key):
            return
        validate(cls, spec)  # raises InvalidSpecification
        if key is not None:
            _passed.add(key)
            with contextlib.suppress(OSError):
                cache_dir().mkdir(parents=True, exist_ok=True)
                (cache_dir() / key).touch()

    return validate_once


def check(spec: Spec) -> None:
    """Validate the served spec as connexion would, unless it passed before: a start
    with a known spec imports nothing of connexion (SpecError otherwise)."""
    if _known(digest(spec.raw)):
        return
    import copy

    from connexion.exceptions import InvalidSpecification
    from connexion.spec import Specification

    remember_valid_specs()
    try:
        Specification.from_dict(copy.deepcopy(spec.raw))  # validates, remembers a pass
    except InvalidSpecification as exc:
        raise SpecError(f"{spec.path}: not a valid OpenAPI 3.0 document: {exc}") from exc


def remember_valid_specs() -> None:
    """Make connexion's Specification validate each distinct spec once (idempotent)."""
    from connexion.spec import Specification

    original = Specification.__dict__["_validate_spec"].__func__
    if getattr(original, "remembers", False):
        return
    validate_once = remembering(original)
    validate_once.remembers = True  # type: ignore[attr-defined]
    Specification._validate_spec = classmethod(validate_once)
