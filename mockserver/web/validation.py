"""Request and response validators for connexion, answering 422 with every error.

connexion's own validators are Draft 4 (no uuid format), stop at the first error,
answer 400 problem+json, and turn a non-UTF-8 body into a 500. These compile each
schema once with jsonschema-rs and report FastAPI-shaped `{"loc", "msg", "type"}` items.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncGenerator, Callable, Iterable
from functools import partial
from typing import Any

import jsonschema_rs
import orjson
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

from contract_tests.dialect import to_json_schema
from mockserver.web.errors import ErrorItem, ValidationProblem

Loc = list[str | int]

# Where the request body validator leaves the body it decoded, in the scope's extensions.
PARSED_BODY = "mockserver.parsed_body"
_UTF8 = ("utf-8", "utf8")
_LONG_DIGITS = re.compile(rb"[0-9]{19}")  # 2**63 has 19 digits


class SchemaCache:
    """Compiled validators of one app, keyed by id() of connexion's schema objects (which
    live as long as the app); each schema is kept beside its validator so its id is never
    reused. One per app: apps never share, and a dropped app frees its validators."""

    def __init__(self) -> None:
        self._compiled: dict[int, tuple[Any, Any]] = {}

    def validator(self, schema: dict[str, Any]) -> Any:
        found = self._compiled.get(id(schema))
        if found is None:
            validator = jsonschema_rs.validator_for(to_json_schema(schema), validate_formats=True)
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


class JSONBodyValidator(AbstractRequestBodyValidator):  # type: ignore[misc]
    def __init__(self, *, cache: SchemaCache, max_depth: int = 32, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cache = cache
        self._max_depth = max_depth

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Any) -> Any:
        raw = b"".join([chunk async for chunk in stream])
        if not raw:
            return None
        try:
            body = json.loads(raw.decode(self._encoding))
        except RecursionError as exc:
            raise self._too_deep() from exc
        except (UnicodeDecodeError, LookupError) as exc:
            raise ValidationProblem(
                [ErrorItem(["body"], f"Body is not valid {self._encoding}: {exc}", "json_invalid")]
            ) from exc
        except ValueError as exc:
            raise ValidationProblem(
                [ErrorItem(["body"], f"Invalid JSON: {exc}", "json_invalid")]
            ) from exc
        if depth(body) > self._max_depth:
            raise self._too_deep()
        # The handler reads this one (operations.py) instead of decoding the body again.
        scope.setdefault("extensions", {})[PARSED_BODY] = body
        return body

    def _too_deep(self) -> ValidationProblem:
        msg = f"JSON nests deeper than {self._max_depth} levels"
        return ValidationProblem([ErrorItem(["body"], msg, "too_deep")])

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if body is None:
            if not self._required:
                return None  # an optional body may be left out: `curl -X POST /_mock/reset`
            raise ValidationProblem([ErrorItem(["body"], "Field required", "missing")])
        errors = self._cache.errors(["body"], self._schema, body)
        if errors:
            raise ValidationProblem(errors)
        return None


class AllErrorsParameterValidator(ParameterValidator):  # type: ignore[misc]
    def __init__(self, *args: Any, cache: SchemaCache, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache = cache

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
                    errors.extend(self._errors(where, param, read(param)))
        if errors:
            raise ValidationProblem(errors)

    def _errors(self, where: str, param: dict[str, Any], value: Any) -> Iterable[ErrorItem]:
        if value is None:
            if param.get("required"):
                return [ErrorItem([where, param["name"]], "Field required", "missing")]
            return []
        if "schema" not in param:
            return []
        return self._cache.errors([where, param["name"]], param["schema"], value)


class JSONResponseValidator(AbstractResponseBodyValidator):  # type: ignore[misc]
    def __init__(self, *args: Any, cache: SchemaCache, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache = cache

    def _parse(self, stream: Iterable[bytes]) -> Any:
        raw = b"".join(stream)
        if not raw:
            return None
        try:
            if self._encoding.lower() in _UTF8 and not _LONG_DIGITS.search(raw):
                # orjson is several times faster, but reads integers beyond 64 bits as
                # floats (hence the digit check) and refuses NaN and Infinity (which only
                # the standard encoder writes): those take the standard path below.
                with contextlib.suppress(orjson.JSONDecodeError):
                    return orjson.loads(raw)
            return json.loads(raw.decode(self._encoding))
        except ValueError as exc:
            raise NonConformingResponseBody(f"Response body is not JSON: {exc}") from exc

    def _validate(self, body: Any) -> dict[str, Any] | None:
        errors = self._cache.errors([], self._schema, body)
        if errors:
            lines = "; ".join(f"{'/'.join(map(str, e.loc)) or '<root>'}: {e.msg}" for e in errors)
            raise NonConformingResponseBody(f"Response body does not conform to the spec: {lines}")
        return None


def validator_map(max_depth: int) -> dict[str, Any]:
    """The validators of one app, sharing one SchemaCache."""
    cache = SchemaCache()
    return {
        "parameter": partial(AllErrorsParameterValidator, cache=cache),
        # These entries replace connexion's whole media-type dicts, so list the rest again.
        "body": MediaTypeDict(
            {
                "*/*json": partial(JSONBodyValidator, cache=cache, max_depth=max_depth),
                "application/x-www-form-urlencoded": FormDataValidator,
                "multipart/form-data": MultiPartFormDataValidator,
            }
        ),
        "response": MediaTypeDict(
            {
                "*/*json": partial(JSONResponseValidator, cache=cache),
                "text/plain": TextResponseBodyValidator,
            }
        ),
    }
