"""Validation against the spec's schemas, answering 422 with every error.

connexion's own validators are Draft 4 (no uuid format), stop at the first error,
answer 400 problem+json, and turn a non-UTF-8 body into a 500. Ours (their connexion
shells are in connexion_glue.py) compile each schema once with jsonschema-rs and report
FastAPI-shaped `{"loc", "msg", "type"}` items.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import jsonschema_rs
import orjson

from apicontract.dialect import to_json_schema
from apicontract.spec import Spec
from mockserver.engine.problems import ErrorItem, ValidationProblem

Loc = list[str | int]

# Where the request body validator leaves the body it decoded, in the scope's extensions.
PARSED_BODY = "mockserver.parsed_body"
UTF8 = ("utf-8", "utf8")
LONG_DIGITS = re.compile(rb"[0-9]{19}")  # 2**63 has 19 digits


class SchemaCache:
    """Compiled validators of one app, keyed by id() of connexion's schema objects (which
    live as long as the app); each schema is kept beside its validator so its id is never
    reused. One per app: apps never share, and a dropped app frees its validators."""

    def __init__(self, spec: Spec | None = None) -> None:
        # With a spec, schemas may hold its `#/components/schemas` refs (the compiled
        # public API's); without, they come resolved (connexion's).
        self._spec = spec
        self._compiled: dict[int, tuple[Any, Any]] = {}

    def validator(self, schema: dict[str, Any]) -> Any:
        found = self._compiled.get(id(schema))
        if found is None:
            if self._spec is not None:
                validator = self._spec.compile(schema)
            else:
                validator = jsonschema_rs.validator_for(
                    to_json_schema(schema), validate_formats=True
                )
            found = self._compiled[id(schema)] = (schema, validator)
        return found[1]

    def errors(self, prefix: Loc, schema: dict[str, Any], instance: Any) -> list[ErrorItem]:
        items: list[ErrorItem] = []
        for error in self.validator(schema).iter_errors(instance):
            loc: Loc = [*prefix, *error.instance_path]
            kind = type(error.kind).__name__
            # Point at the field itself, as FastAPI does, when the error names one.
            if kind == "Required":
                loc.append(str(error.kind.property))
            elif kind == "AdditionalProperties":
                for extra in error.kind.unexpected:
                    items.append(
                        ErrorItem(
                            [*loc, extra], "Extra inputs are not permitted", "extra_forbidden"
                        )
                    )
                continue
            items.append(ErrorItem(loc, error.message, _snake(kind)))
        return items


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def depth(document: Any) -> int:
    """How deeply arrays and objects nest (iterative: a hostile body cannot blow the stack)."""
    deepest, todo = 0, [(document, 1)]
    while todo:
        node, level = todo.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            todo.extend(
                (child, level + 1) for child in (node.values() if isinstance(node, dict) else node)
            )
    return deepest


def decode_body(raw: bytes, encoding: str, max_depth: int) -> Any:
    """A request body read as JSON in its declared charset; a ValidationProblem (a 422
    naming why) when it is not JSON, not in that charset, or nests deeper than allowed.
    The standard decoder: orjson reads integers beyond 64 bits as floats."""
    try:
        body = json.loads(raw.decode(encoding))
    except RecursionError as exc:
        raise _too_deep(max_depth) from exc
    except (UnicodeDecodeError, LookupError) as exc:
        msg = f"Body is not valid {encoding}: {exc}"
        raise ValidationProblem([ErrorItem(["body"], msg, "json_invalid")]) from exc
    except ValueError as exc:
        raise ValidationProblem(
            [ErrorItem(["body"], f"Invalid JSON: {exc}", "json_invalid")]
        ) from exc
    if depth(body) > max_depth:
        raise _too_deep(max_depth)
    return body


def _too_deep(max_depth: int) -> ValidationProblem:
    msg = f"JSON nests deeper than {max_depth} levels"
    return ValidationProblem([ErrorItem(["body"], msg, "too_deep")])


def decode_answer(raw: bytes, encoding: str) -> Any:
    """A response body read back as JSON (ValueError when it is not JSON).

    orjson is several times faster, but reads integers beyond 64 bits as floats (hence
    the digit check) and refuses NaN and Infinity (which only the standard encoder
    writes): those take the standard path."""
    if encoding.lower() in UTF8 and not LONG_DIGITS.search(raw):
        with contextlib.suppress(orjson.JSONDecodeError):
            return orjson.loads(raw)
    return json.loads(raw.decode(encoding))


def conformance_errors(cache: SchemaCache, schema: dict[str, Any], body: Any) -> str | None:
    """Why an answer breaks its documented schema, as one line; None when it conforms."""
    errors = cache.errors([], schema, body)
    if not errors:
        return None
    lines = "; ".join(f"{'/'.join(map(str, e.loc)) or '<root>'}: {e.msg}" for e in errors)
    return f"Response body does not conform to the spec: {lines}"
