"""The served spec, parsed once per content, and the error a spec the mock cannot serve is.

The parsed document is cached as JSON under the cache folder (`cache_root()`:
`$XDG_CACHE_HOME/mockserver`, else `~/.cache/mockserver`); `check` refuses a document
that is not OpenAPI 3.0 / 3.1 (the contract core's metaschema: milliseconds, so it runs
at every start).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Any

import orjson

from apicontract import metaschema
from apicontract.document import BundleError, bundled, has_external_ref
from apicontract.spec import Spec, broken_ref, load_yaml

_specs: dict[str, Spec] = {}


class SpecError(ValueError):
    """The served spec cannot be served: unreadable, not OpenAPI, or promising what the
    mock does not do. The message names the file."""


# The folder of what a start keeps for the next one (parsed specs, specs that validated):
# this variable, else $XDG_CACHE_HOME/mockserver, else ~/.cache/mockserver. Deleting it
# only costs the next start the parse and the validation.
CACHE_VARIABLE = "MOCKSERVER_CACHE_DIR"


def cache_root() -> Path:
    chosen = os.environ.get(CACHE_VARIABLE)
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mockserver"


def served(path: Path) -> Spec:
    """The spec at `path`, parsed once per content: in this process, and as JSON in the
    user's cache (`parsed-specs/<SHA-256 of the file>.2.json`), since parsing its YAML was
    a tenth of a start. A changed file has another digest and is parsed again; a document
    JSON cannot hold as it is (a date, a number as a key) is never cached."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    key = hashlib.sha256(raw).hexdigest()
    found = _specs.get(key)
    if found is not None:
        return found
    # `.2`: parses cached since external refs are bundled (an older cache may hold them).
    cached = cache_root() / "parsed-specs" / f"{key}.2.json"
    try:
        document = orjson.loads(cached.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        try:
            document = load_yaml(path)
        except Exception as exc:  # yaml's and json's errors, without importing yaml here
            kind = "JSON" if raw.lstrip().startswith(b"{") else "YAML"
            raise SpecError(f"{path}: not valid {kind}: {exc}") from exc
        if has_external_ref(document):
            # Other files' content is brought in, and never cached under this file's digest.
            try:
                document = bundled(document, path.parent)
            except BundleError as exc:
                raise SpecError(f"{path}: {exc}") from exc
            return _checked(path, key, document)
        with contextlib.suppress(OSError, TypeError, orjson.JSONEncodeError):
            encoded = orjson.dumps(document)
            if orjson.loads(encoded) == document:
                cached.parent.mkdir(parents=True, exist_ok=True)
                partial = cached.with_suffix(f".{os.getpid()}.part")  # replicas start at once
                partial.write_bytes(encoded)
                os.replace(partial, cached)
    return _checked(path, key, document)


def _checked(path: Path, key: str, document: Any) -> Spec:
    problem = _unservable(document)
    if problem is not None:
        raise SpecError(f"{path}: {problem}")
    found = _specs[key] = Spec(path, document)
    return found


def _unservable(document: Any) -> str | None:
    """Why the document cannot be served (checked once per content: a cached parse passed)."""
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3."):
        return "not an OpenAPI 3.0 or 3.1 document (no `openapi: 3.x`)"
    if not isinstance(document.get("paths") or {}, dict):
        return "`paths` is not a mapping"
    return broken_ref(document)


def check(spec: Spec) -> None:
    """SpecError, naming the file and the JSON pointer, unless the spec is OpenAPI 3.0/3.1."""
    found = metaschema.problems(spec.raw)
    if found:
        raise SpecError(f"{spec.path}: not a valid OpenAPI document: {found[0]}")
