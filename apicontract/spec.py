"""The spec, loaded once: the source of truth that code reads instead of copying."""

from __future__ import annotations

import copy
import functools
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema_rs

from apicontract import document
from apicontract.dialect import to_json_schema
from apicontract.document import escaped


class Spec:
    def __init__(self, path: Path, document: dict[str, Any] | None = None) -> None:
        """The spec at `path`; `document` is its content when the caller has read it."""
        self.path = path
        self._document: dict[str, Any] = load_yaml(path) if document is None else document
        self._validators: dict[str, Any] = {}

    @property
    def document(self) -> dict[str, Any]:
        """A copy: connexion writes into the dict it is given."""
        return copy.deepcopy(self._document)

    @property
    def raw(self) -> dict[str, Any]:
        """The document itself, for readers that never change it (no copy)."""
        return self._document

    @property
    def status_enum(self) -> tuple[str, ...]:
        return tuple(self._document["components"]["schemas"]["RunStatus"]["enum"])

    @property
    def transitions(self) -> dict[str, frozenset[str]]:
        """`RunStatus`'s `x-transitions`: each status and the statuses it may change to."""
        status = self._document["components"]["schemas"]["RunStatus"]
        moves = {name: frozenset(targets) for name, targets in status["x-transitions"].items()}
        named = set(moves).union(*moves.values())
        if named != set(status["enum"]):
            raise ValueError(
                f"{self.path}: RunStatus x-transitions name {sorted(named)}, "
                f"its enum {sorted(status['enum'])}"
            )
        return moves

    def validator(self, component: str) -> Any:
        """A compiled validator for `components/schemas/<component>` (refs resolved)."""
        found = self._validators.get(component)
        if found is None:
            found = self.compile({"$ref": f"#/components/schemas/{component}"})
            self._validators[component] = found
        return found

    def compile(self, schema: dict[str, Any]) -> Any:
        """A validator for any schema of the spec (an operation's parameter, body, ...)."""
        root = {**_relink(to_json_schema(schema)), "$defs": self._definitions}
        return jsonschema_rs.validator_for(root, validate_formats=True)

    @functools.cached_property
    def _definitions(self) -> dict[str, Any]:
        """`components/schemas` as JSON Schema, converted once for every compile."""
        schemas = (self._document.get("components") or {}).get("schemas") or {}
        return {name: _relink(to_json_schema(s)) for name, s in schemas.items()}

    def errors(self, component: str, instance: Any) -> list[str]:
        """Every way `instance` breaks the component schema, as readable lines."""
        return [
            f"{'/'.join(map(str, e.instance_path)) or '<root>'}: {e.message}"
            for e in self.validator(component).iter_errors(instance)
        ]


def load_yaml(path: Path) -> Any:
    """The document at `path` (JSON or YAML; the name is kept for its callers)."""
    return document.read(path)


@cache
def load(path: Path) -> Spec:
    return Spec(path)


SCHEMA_REFS = "#/components/schemas/"


class RefError(ValueError):
    """A `$ref` the document cannot be read with: its message names the pointer."""


def inlined(document: Any, node: Any, following: tuple[str, ...] = ()) -> Any:
    """`node` with every $ref but schema refs replaced by what it points at in `document`
    (schema refs stay: `Spec.compile` resolves them). RefError for a ref that points at
    nothing, or back into itself (which would never end)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith(SCHEMA_REFS):
            if ref in following:
                raise RefError(f"circular $ref: {' -> '.join((*following, ref))}")
            try:
                target = pointed(document, ref.removeprefix("#"))
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                raise RefError(f"$ref {ref} points at nothing") from exc
            return inlined(document, target, (*following, ref))
        return {k: inlined(document, v, following) for k, v in node.items()}
    if isinstance(node, list):
        return [inlined(document, v, following) for v in node]
    return node


def broken_ref(document: Any) -> str | None:
    """The first `$ref` of the document that cannot be followed, as a sentence naming
    where it is (a JSON pointer): one pointing outside the document (external files are
    not read: bundle them first), at nothing, or only at `$ref`s leading back to it."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                problem = _ref_problem(document, ref)
                if problem is not None:
                    return f"{where or '/'}: $ref {ref} {problem}"
            stack.extend((f"{where}/{escaped(k)}", v) for k, v in node.items() if k != "$ref")
        elif isinstance(node, list):
            stack.extend((f"{where}/{i}", v) for i, v in enumerate(node))
    return None


def _ref_problem(document: Any, ref: str) -> str | None:
    seen = [ref]
    while True:
        if not ref.startswith("#"):
            return "points outside the document (external files are not read: bundle them)"
        try:
            target = pointed(document, ref[1:])
        except (KeyError, IndexError, ValueError, TypeError):
            return (
                "points at nothing"
                if len(seen) == 1
                else f"leads to {ref}, which points at nothing"
            )
        following = target.get("$ref") if isinstance(target, dict) else None
        if not isinstance(following, str):
            return None
        if following in seen:
            return f"is circular ({' -> '.join((*seen, following))})"
        seen.append(following)
        ref = following


def pointed(document: Any, pointer: str) -> Any:
    """The node at JSON pointer `pointer` (RFC 6901); KeyError when there is none."""
    node = document
    for raw in pointer.split("/")[1:]:
        part = unquote(raw).replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _relink(node: Any) -> Any:
    """Point `#/components/schemas/X` references at `#/$defs/X`."""
    if isinstance(node, dict):
        return {
            k: (v.replace("#/components/schemas/", "#/$defs/") if k == "$ref" else _relink(v))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_relink(v) for v in node]
    return node
