"""What the suite knows of the contract: openapi.yaml's schemas and the run's legal moves.

Schemas come from the spec file (compiled by the suite's own loader, spec.py). The legal
moves are read from the spec's `RunStatus` `x-transitions`, the webhook's delivery-id header
from its callback, never copied from the mock. What the spec marks `x-mock` is not the
public contract: the suite neither sends it (schemathesis sees `public_document()`) nor
judges it.
"""

from __future__ import annotations

import copy
import uuid
from functools import cache
from pathlib import Path
from typing import Any

from apicontract.document import bundled_path
from apicontract.spec import Spec, pointed

# The document judged: the bundled openapi.yaml unless `use()` names another (the suite's
# --spec option, the proxy's --spec). A list, so `use()` needs no `global`.
_document: list[Path] = []


def document_path() -> Path:
    return _document[0] if _document else bundled_path()


def use(path: Path | None) -> None:
    """Judge against the document at `path` (None: the bundled one) from now on."""
    _document[:] = [path] if path is not None else []
    for cached in (_spec_at, _public, delivery_id_header, legal_moves, reachable):
        cached.cache_clear()


def spec() -> Spec:
    return _spec_at(document_path())


@cache
def _spec_at(path: Path) -> Spec:
    return Spec(path)


def resolve(pointer: str, document: Any = None) -> Any:
    """The node at JSON pointer `pointer` (RFC 6901); KeyError when there is none."""
    return pointed(spec().document if document is None else document, pointer)


@cache
def _public() -> dict[str, Any]:
    document = spec().document
    mocked = {
        f"#/components/{kind}/{name}"
        for kind, members in document.get("components", {}).items()
        for name, member in members.items()
        if isinstance(member, dict) and member.get("x-mock") is True
    }

    def public(node: Any) -> bool:
        if not isinstance(node, dict):
            return True
        return node.get("x-mock") is not True and node.get("$ref") not in mocked

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k != "x-mock" and public(v)}
        if isinstance(node, list):
            return [strip(item) for item in node if public(item)]
        return node

    return strip(document)  # type: ignore[no-any-return]


def public_document() -> dict[str, Any]:
    """openapi.yaml without what it marks `x-mock` (the `Prefer` parameter, ...); a copy."""
    return copy.deepcopy(_public())


@cache
def delivery_id_header() -> str:
    """The webhook header the callback marks `x-delivery-id`, lower-cased."""
    from contract_tests.rules import WEBHOOK  # rules name the same spec location

    callback = resolve(WEBHOOK)
    names = [p["name"] for p in callback.get("parameters", []) if p.get("x-delivery-id")]
    if len(names) != 1:
        raise RuntimeError(f"the webhook callback marks {names} as x-delivery-id, not one")
    return str(names[0]).lower()


@cache
def legal_moves() -> dict[str, frozenset[str]]:
    """Each status and the statuses it may change to: RunStatus's `x-transitions`."""
    return spec().transitions


def terminal() -> frozenset[str]:
    """Statuses with no way out (`completed`, `failed`, `stopped` today)."""
    return frozenset(s for s, moves in legal_moves().items() if not moves)


def schema_errors(component: str, instance: Any) -> list[str]:
    return spec().errors(component, instance)


@cache
def reachable(source: str) -> frozenset[str]:
    """Statuses reachable from `source` in one or more legal moves (polls may skip some)."""
    seen: set[str] = set()
    moves = legal_moves()
    todo = list(moves.get(source, ()))
    while todo:
        status = todo.pop()
        if status not in seen:
            seen.add(status)
            todo += moves[status]
    return frozenset(seen)


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path template, operation) of every public operation in the spec."""
    found = []
    for path, item in spec().document["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                found.append((method.upper(), path, operation))
    return found


class _Filling(dict[str, str]):
    def __missing__(self, name: str) -> str:
        return str(uuid.uuid4())


def concrete(template: str, **known: str) -> str:
    """A path of `template`: the `known` parameters filled in, any other (a version id, a
    node id) with a fresh UUID, a string every id parameter of the document accepts."""
    return template.format_map(_Filling(known))
