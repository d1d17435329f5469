"""Schemas of the document compiled once each (jsonschema-rs, after the dialect), and
their errors as error items: a missing or unknown field named in `loc`, as FastAPI does."""

from __future__ import annotations

import re
from typing import Any

from apicontract.problems import ErrorItem, Loc
from apicontract.spec import Spec


class SchemaCache:
    """Compiled validators keyed by id() of the schema objects (which live as long as the
    operations holding them); each schema is kept beside its validator so its id is never
    reused. Schemas may hold the document's `#/components/schemas` refs."""

    def __init__(self, spec: Spec | None = None) -> None:
        # Without a spec, schemas come resolved (connexion's).
        self._spec = spec
        self._compiled: dict[int, tuple[Any, Any]] = {}

    def validator(self, schema: Any) -> Any:
        found = self._compiled.get(id(schema))
        if found is None:
            if self._spec is not None:
                validator = self._spec.compile(schema)
            else:
                import jsonschema_rs

                from apicontract.dialect import to_json_schema

                validator = jsonschema_rs.validator_for(
                    to_json_schema(schema), validate_formats=True
                )
            found = self._compiled[id(schema)] = (schema, validator)
        return found[1]

    def valid(self, schema: Any, instance: Any) -> bool:
        return bool(self.validator(schema).is_valid(instance))

    def errors(self, prefix: Loc, schema: Any, instance: Any) -> list[ErrorItem]:
        try:
            return self._errors(prefix, schema, instance)
        except UnicodeEncodeError:
            # JSON may escape a lone surrogate that jsonschema-rs cannot read where a schema
            # looks at it (a key under `properties`); FastAPI refuses it too: a 422.
            unreadable = (
                "Input should be a valid string, unable to parse raw data as a unicode string"
            )
            return [ErrorItem(prefix, unreadable, "string_unicode")]

    def _errors(self, prefix: Loc, schema: Any, instance: Any) -> list[ErrorItem]:
        items: list[ErrorItem] = []
        for error in self.validator(schema).iter_errors(instance):
            loc: Loc = [*prefix, *error.instance_path]
            kind = type(error.kind).__name__
            # Point at the field itself, as FastAPI does, when the error names one.
            if kind == "Required":
                loc.append(str(error.kind.property))
            elif kind == "AdditionalProperties":
                items.extend(
                    ErrorItem([*loc, extra], "Extra inputs are not permitted", "extra_forbidden")
                    for extra in error.kind.unexpected
                )
                continue
            items.append(ErrorItem(loc, error.message, _snake(kind)))
        return items


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
