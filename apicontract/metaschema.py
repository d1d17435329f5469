"""Is it an OpenAPI 3.0 / 3.1 document? Checked against the OpenAPI Initiative's JSON
Schema of each version (the files openapi-spec-validator ships), with jsonschema-rs: a
few milliseconds where openapi-spec-validator's own walk took a second on a 2 MB
document. What the schema cannot say ($refs that lead nowhere) the loader refuses itself.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

# The schemas' folder inside the installed openapi-spec-validator (found without
# importing it: its import alone costs a third of a second).
_SCHEMAS = ("resources", "schemas")


def problems(document: Any) -> list[str]:
    """Why `document` is not OpenAPI 3.0 / 3.1, deepest first, each naming its JSON
    pointer; [] when it is."""
    if not isinstance(document, dict):
        return ["<root>: an OpenAPI document is a mapping"]
    version = str(document.get("openapi", ""))
    series = "v3.0" if version.startswith("3.0") else "v3.1" if version.startswith("3.1") else None
    if series is None:
        return [f"/openapi: {version or 'none'!r} is not OpenAPI 3.0 or 3.1"]
    errors = sorted(_validator(series).iter_errors(document), key=lambda e: -len(e.instance_path))
    return [f"{_pointer(e.instance_path)}: {e.message}" for e in errors]


@cache
def _validator(series: str) -> Any:
    import jsonschema_rs

    found = importlib.util.find_spec("openapi_spec_validator")
    if found is None or not found.submodule_search_locations:
        raise RuntimeError("openapi-spec-validator (a dependency) is not installed")
    folder = Path(next(iter(found.submodule_search_locations))).joinpath(*_SCHEMAS, series)
    schema = json.loads((folder / "schema.json").read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema)


def _pointer(path: Any) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in path]
    return "/" + "/".join(parts) if parts else "<root>"
