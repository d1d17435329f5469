"""OpenAPI 3.0 schema objects to JSON Schema 2020-12, so one fast validator checks them.

3.0 spells "may be null" as `nullable: true`; 2020-12 needs `null` in `type` (or an
`anyOf`). 3.0's boolean exclusive bounds become numbers. The rest means the same in both.
"""

from __future__ import annotations

from typing import Any

_SCHEMA_MAPS = ("properties", "patternProperties", "$defs")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_DROPPED = ("nullable", "example", "discriminator", "xml", "externalDocs")


def to_json_schema(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema  # `true` / `false` schemas
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _DROPPED:
            continue
        if key in _SCHEMA_MAPS:
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_ONE:
            out[key] = to_json_schema(value)
        elif key in _SCHEMA_LISTS:
            out[key] = [to_json_schema(sub) for sub in value]
        elif key == "components":
            # connexion has already inlined every $ref, then embeds the components beside
            # each schema (a cycle, since they contain that schema): not needed, dropped.
            continue
        else:
            out[key] = value
    # 3.0 (Draft 4) spells exclusive bounds as booleans beside minimum / maximum.
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(out.get(flag), bool) and out.pop(flag) and bound in out:
            out[flag] = out.pop(bound)
    # OpenAPI's integer formats are ranges a plain JSON Schema validator does not know.
    bounds = _FORMAT_BOUNDS.get(str(schema.get("format"))) if "integer" in _types(schema) else None
    if bounds is not None:
        if "exclusiveMinimum" not in out:
            out.setdefault("minimum", bounds[0])
        if "exclusiveMaximum" not in out:
            out.setdefault("maximum", bounds[1])
    if schema.get("nullable") is True:
        out = _allow_null(out)
    return out


_FORMAT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _types(schema: dict[str, Any]) -> tuple[Any, ...]:
    kind = schema.get("type")
    return tuple(kind) if isinstance(kind, list) else (kind,)


def _allow_null(schema: dict[str, Any]) -> dict[str, Any]:
    if "enum" in schema and None not in schema["enum"]:
        schema = {**schema, "enum": [*schema["enum"], None]}
    kind = schema.get("type")
    if isinstance(kind, str):
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list):
        return schema if "null" in kind else {**schema, "type": [*kind, "null"]}
    return {"anyOf": [schema, {"type": "null"}]}
