"""Parameters read from the request as their schema types, by their serialization
(OpenAPI 3 `style` / `explode`): form, spaceDelimited, pipeDelimited and deepObject in the
query; simple, label and matrix in the path; simple headers; form cookies.

Text becomes a number or a boolean as connexion (the reference engine) reads it: Python's
`int()` / `float()` (so `+1`, ` 1` and `1_0` are integers, as FastAPI also reads them),
`true` / `false` in any case. A value that does not convert stays text, for the schema
check to refuse with its own message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from apicontract.operations import Parameter
from apicontract.spec import pointed

MISSING: Any = object()
_SEPARATORS = {"spaceDelimited": " ", "pipeDelimited": "|"}


class Shapes:
    """What a schema holds (array, object or a primitive's candidate types), with the
    document's `$ref`s followed: one per document, remembered per schema object."""

    def __init__(self, document: Any) -> None:
        self._document = document
        self._seen: dict[int, tuple[Any, str, tuple[str, ...], Any]] = {}

    def resolved(self, schema: Any) -> Any:
        hops = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and hops < 32:
            ref = schema["$ref"]
            if not ref.startswith("#"):
                return {}
            schema, hops = pointed(self._document, ref[1:]), hops + 1
        return schema if isinstance(schema, dict) else {}

    def of(self, schema: Any) -> tuple[str, tuple[str, ...], Any]:
        """(shape, primitive types, item schema): shape is array, object or primitive."""
        found = self._seen.get(id(schema))
        if found is None:
            found = (schema, *self._shape(schema))
            self._seen[id(schema)] = found
        return found[1], found[2], found[3]

    def _shape(self, schema: Any) -> tuple[str, tuple[str, ...], Any]:
        kinds = self._types(self.resolved(schema), 0)
        if "array" in kinds:
            return "array", (), self.resolved(schema).get("items", {})
        if "object" in kinds:
            return "object", (), None
        return "primitive", tuple(k for k in ("integer", "number", "boolean") if k in kinds), None

    def _types(self, schema: dict[str, Any], level: int) -> list[str]:
        kind = schema.get("type")
        if isinstance(kind, str):
            return [kind]
        if isinstance(kind, list):
            return [k for k in kind if isinstance(k, str)]
        if level > 8:
            return []
        found: list[str] = []
        for key in ("anyOf", "oneOf", "allOf"):
            for member in schema.get(key) or []:
                found += self._types(self.resolved(member), level + 1)
        if not found and "properties" in schema:
            found.append("object")
        return found


def coerce(raw: str, kinds: tuple[str, ...]) -> Any:
    """`raw` read as the first of `kinds` it converts to; the text itself otherwise."""
    for kind in kinds:
        try:
            if kind == "integer":
                return int(raw)
            if kind == "number":
                return float(raw)
        except ValueError:
            continue
        if kind == "boolean" and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
    return raw


class Reader:
    """Reads each parameter of an operation from the request's parts."""

    def __init__(self, shapes: Shapes) -> None:
        self.shapes = shapes

    def query(self, param: Parameter, pairs: Sequence[tuple[str, str]]) -> Any:
        if param.media is not None:
            return self._document(param, _last(pairs, param.name))
        shape, kinds, items = self.shapes.of(param.schema)
        name = param.name
        if shape == "array":
            values = [v for k, v in pairs if k == name]
            if not values:
                return MISSING
            separator = _SEPARATORS.get(param.style, ",")
            if not param.explode or param.style in _SEPARATORS:
                values = values[-1].split(separator) if values[-1] else []
            return self._items(values, items)
        if shape == "object":
            if param.style == "deepObject":
                prefix = f"{name}["
                found = {k[len(prefix) : -1]: v for k, v in pairs if k.startswith(prefix)}
            elif param.explode:
                props = self.shapes.resolved(param.schema).get("properties") or {}
                found = {k: v for k, v in pairs if k in props}
            else:
                raw = _last(pairs, name)
                found = MISSING if raw is MISSING else _pairs(raw.split(","))
            return found if found else MISSING
        raw = _last(pairs, name)  # the last of repeated values, as connexion
        return raw if raw is MISSING else coerce(raw, kinds)

    def simple(self, param: Parameter, raw: str | None) -> Any:
        """A path, header or cookie parameter's value from its text."""
        if raw is None:
            return MISSING
        if param.media is not None:
            return self._document(param, raw)
        shape, kinds, items = self.shapes.of(param.schema)
        if param.style == "label":
            raw = raw.removeprefix(".")
            parts = raw.split("." if param.explode else ",")
        elif param.style == "matrix":
            prefix = f";{param.name}="
            raw = raw.removeprefix(prefix) if not (shape == "array" and param.explode) else raw
            parts = (
                [p.removeprefix(f"{param.name}=") for p in raw.split(";") if p]
                if shape == "array" and param.explode
                else raw.split(",")
            )
        else:
            parts = raw.split(",")
        if shape == "array":
            return self._items(parts if raw else [], items)
        if shape == "object":
            if param.explode and param.style != "label":
                return dict(p.partition("=")[::2] for p in parts)
            return _pairs(parts)
        return coerce(raw, kinds)

    def _items(self, values: list[str], items: Any) -> list[Any]:
        _, kinds, _ = self.shapes.of(items)
        return [coerce(v, kinds) for v in values]

    def _document(self, param: Parameter, raw: Any) -> Any:
        if raw is MISSING or raw is None:
            return MISSING
        try:
            return json.loads(raw)
        except ValueError:
            return raw


def cookies(header: str | None) -> dict[str, str]:
    """The `Cookie` header's pairs (the first of repeated names)."""
    found: dict[str, str] = {}
    for part in (header or "").split(";"):
        name, eq, value = part.strip().partition("=")
        if eq and name:
            found.setdefault(name, value)
    return found


def _last(pairs: Sequence[tuple[str, str]], name: str) -> Any:
    found = MISSING
    for key, value in pairs:
        if key == name:
            found = value
    return found


def _pairs(parts: list[str]) -> dict[str, str]:
    return dict(zip(parts[::2], parts[1::2], strict=False))


def header_values(headers: Sequence[tuple[bytes, bytes]]) -> Mapping[str, str]:
    """Request headers by lower-case name, the first of repeated ones (as starlette)."""
    found: dict[str, str] = {}
    for key, value in headers:
        found.setdefault(key.decode("latin-1").lower(), value.decode("latin-1"))
    return found
