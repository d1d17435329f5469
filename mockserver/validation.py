"""Request and response validators for connexion, answering 422 with every error.

connexion's own validators are Draft 4 (no uuid format), stop at the first error,
answer 400 problem+json, and turn a non-UTF-8 body into a 500. These compile each
schema once with jsonschema-rs and report FastAPI-shaped `{"loc", "msg", "type"}` items.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import Any

import jsonschema_rs
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import NonConformingResponseBody
from connexion.lifecycle import ConnexionRequest
from connexion.validators import (
    AbstractRequestBodyValidator,
    AbstractResponseBodyValidator,
    FormDataValidator,
    MultiPartFormDataValidator,
    ParameterValidator,
    TextResponseBodyValidator,
)

from mockserver.dialect import to_json_schema
from mockserver.errors import ErrorItem, ValidationProblem

Loc = list[str | int]

# Keyed by id(); the schema is kept in the value so its id is never reused.
_compiled: dict[int, tuple[Any, Any]] = {}


def compiled(schema: dict[str, Any]) -> Any:
    found = _compiled.get(id(schema))
    if found is None:
        validator = jsonschema_rs.validator_for(to_json_schema(schema), validate_formats=True)
        found = _compiled[id(schema)] = (schema, validator)
    return found[1]


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def schema_errors(prefix: Loc, schema: dict[str, Any], instance: Any) -> list[ErrorItem]:
    items: list[ErrorItem] = []
    for error in compiled(schema).iter_errors(instance):
        loc: Loc = [*prefix, *error.instance_path]
        kind = type(error.kind).__name__
        # Point at the field itself, as FastAPI does, when the error names one.
        if kind == "Required":
            loc.append(str(error.kind.property))
        elif kind == "AdditionalProperties":
            for extra in error.kind.unexpected:
                items.append(
                    ErrorItem([*loc, extra], "Extra inputs are not permitted", "extra_forbidden")
                )
            continue
        items.append(ErrorItem(loc, error.message, _snake(kind)))
    return items


class JSONBodyValidator(AbstractRequestBodyValidator):  # type: ignore[misc]
    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Any) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        if not raw:
            return None
        try:
            return json.loads(raw.decode(self._encoding))
        except (UnicodeDecodeError, LookupError) as exc:
            raise ValidationProblem(
                [ErrorItem(["body"], f"Body is not valid {self._encoding}: {exc}", "json_invalid")]
            ) from exc
        except ValueError as exc:
            raise ValidationProblem(
                [ErrorItem(["body"], f"Invalid JSON: {exc}", "json_invalid")]
            ) from exc

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is None:
            raise ValidationProblem([ErrorItem(["body"], "Field required", "missing")])
        errors = schema_errors(["body"], self._schema, body)
        if errors:
            raise ValidationProblem(errors)
        return None


class AllErrorsParameterValidator(ParameterValidator):  # type: ignore[misc]
    def validate_request(self, request: ConnexionRequest) -> None:
        errors: list[ErrorItem] = []
        if self.strict_validation:
            extra = self.validate_query_parameter_list(
                request, security_params=self.security_query_params
            )
            errors.extend(
                ErrorItem(["query", name], f"Unknown query parameter {name!r}", "extra_forbidden")
                for name in sorted(extra)
            )
        sources: dict[str, Callable[[dict[str, Any]], Any]] = {
            "query": lambda p: request.query_params.get(p["name"]),
            "path": lambda p: request.path_params.get(p["name"].replace("-", "_")),
            "header": lambda p: request.headers.get(p["name"]),
            "cookie": lambda p: request.cookies.get(p["name"]),
        }
        seen: set[tuple[str, str]] = set()
        for where, read in sources.items():
            for param in self.parameters.get(where, []):
                # connexion lists path-level parameters once per merge; check each once.
                if (where, param["name"]) not in seen:
                    seen.add((where, param["name"]))
                    errors.extend(_parameter_errors(where, param, read(param)))
        if errors:
            raise ValidationProblem(errors)


def _parameter_errors(where: str, param: dict[str, Any], value: Any) -> Iterable[ErrorItem]:
    if value is None:
        if param.get("required"):
            return [ErrorItem([where, param["name"]], "Field required", "missing")]
        return []
    return schema_errors([where, param["name"]], param.get("schema", {}), value)


class JSONResponseValidator(AbstractResponseBodyValidator):  # type: ignore[misc]
    def _parse(self, stream: Iterable[bytes]) -> Any:
        raw = b"".join(stream)
        if not raw:
            return None
        try:
            return json.loads(raw.decode(self._encoding))
        except ValueError as exc:
            raise NonConformingResponseBody(f"Response body is not JSON: {exc}") from exc

    def _validate(self, body: Any) -> dict[str, Any] | None:
        errors = schema_errors([], self._schema, body)
        if errors:
            lines = "; ".join(f"{'/'.join(map(str, e.loc)) or '<root>'}: {e.msg}" for e in errors)
            raise NonConformingResponseBody(f"Response body does not conform to the spec: {lines}")
        return None


VALIDATOR_MAP = {
    "parameter": AllErrorsParameterValidator,
    # These entries replace connexion's whole media-type dicts, so list the rest again.
    "body": MediaTypeDict(
        {
            "*/*json": JSONBodyValidator,
            "application/x-www-form-urlencoded": FormDataValidator,
            "multipart/form-data": MultiPartFormDataValidator,
        }
    ),
    "response": MediaTypeDict(
        {
            "*/*json": JSONResponseValidator,
            "text/plain": TextResponseBodyValidator,
        }
    ),
}
