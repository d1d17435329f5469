"""The served spec validated as OpenAPI before serving, once per spec content.

openapi-spec-validator checks it (a second of import and work a start would otherwise
pay every time). A spec that passed is remembered by the SHA-256 of its content (and
the validator's version): in this process, and as an empty file in the cache folder
(`valid-specs/`), so the test run that validated the bundled spec spares every later
start; a changed spec has another digest and is validated again.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

import orjson

from apicontract.spec import Spec
from mockserver.engine.specification import SpecError, cache_root

# What a pass vouches for: the validator's minor series, as pyproject.toml bounds it
# (reading the installed version at each start would cost more than this module's work).
VALIDATOR = "openapi-spec-validator 0.8"

_passed: set[str] = set()


def cache_dir() -> Path:
    return cache_root() / "valid-specs"


def digest(document: Any) -> str | None:
    """The spec's content digest, or None if it cannot be hashed (then it is validated)."""
    try:
        raw = orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    except (TypeError, orjson.JSONEncodeError):
        return None
    salt = f"{VALIDATOR}\n".encode()
    return hashlib.sha256(salt + raw).hexdigest()


def _known(key: str | None) -> bool:
    if key is not None and (key in _passed or (cache_dir() / key).exists()):
        _passed.add(key)
        return True
    return False


def check(spec: Spec) -> None:
    """SpecError unless the spec is a valid OpenAPI document (or passed before)."""
    key = digest(spec.raw)
    if _known(key):
        return
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import (
        OpenAPIValidationError,
        ValidatorDetectError,
    )

    try:
        validate(spec.raw)
    except (OpenAPIValidationError, ValidatorDetectError) as exc:
        raise SpecError(f"{spec.path}: not a valid OpenAPI document: {exc}") from exc
    if key is not None:
        _passed.add(key)
        with contextlib.suppress(OSError):
            cache_dir().mkdir(parents=True, exist_ok=True)
            (cache_dir() / key).touch()
