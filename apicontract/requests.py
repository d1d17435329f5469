"""The one request validator: a request's parameters and body against its operation.

The mock answers its 422s from it, the contract suite judges whether a request was
invalid with it, the proxy judges live traffic with it: one reading of the contract.
Problems are listed as a 422 lists them: unknown query parameters (strict), then query,
path, header and cookie parameters in the operation's order, then the body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from apicontract.bodies import FORM, decode_form, decode_json, is_json
from apicontract.operations import Operation, Parameter
from apicontract.parameters import MISSING, Reader, Shapes, coerce, cookies
from apicontract.problems import ErrorItem, ValidationProblem
from apicontract.schemas import SchemaCache
from apicontract.spec import Spec

_PLACES = ("query", "path", "header", "cookie")


class RequestValidator:
    def __init__(self, spec: Spec, *, max_depth: int = 32, strict_query: bool = True) -> None:
        self.schemas = SchemaCache(spec)
        self.shapes = Shapes(spec.raw)
        self.reader = Reader(self.shapes)
        self.max_depth = max_depth
        # Unknown query parameters are problems (as the mock's strict validation says).
        self.strict_query = strict_query

    # --- parameters ----------------------------------------------------------------

    def parameters(
        self,
        operation: Operation,
        path_params: Mapping[str, str],
        query: Sequence[tuple[str, str]],
        headers: Mapping[str, str],
    ) -> tuple[dict[Parameter, Any], list[ErrorItem]]:
        """Each given parameter's value (read as its type) and every problem found;
        `headers` by lower-case name."""
        errors: list[ErrorItem] = []
        if self.strict_query:
            errors += [
                ErrorItem(["query", name], f"Unknown query parameter {name!r}", "extra_forbidden")
                for name in sorted({n for n, _ in query} - self._known_query(operation, query))
            ]
        values: dict[Parameter, Any] = {}
        jar: dict[str, str] | None = None
        for where in _PLACES:
            for param in operation.parameters:
                if param.where != where:
                    continue
                if where == "query":
                    value = self.reader.query(param, query)
                elif where == "path":
                    value = self.reader.simple(param, path_params.get(param.name))
                elif where == "header":
                    value = self.reader.simple(param, headers.get(param.key))
                else:
                    jar = cookies(headers.get("cookie")) if jar is None else jar
                    value = self.reader.simple(param, jar.get(param.name))
                if value is MISSING:
                    if param.required:
                        errors.append(ErrorItem([where, param.name], "Field required", "missing"))
                    continue
                errors += self.schemas.errors([where, param.name], param.schema, value)
                values[param] = value
        return values, errors

    def _known_query(self, operation: Operation, query: Sequence[tuple[str, str]]) -> set[str]:
        known = set(operation.query_names)
        for param in operation.parameters:
            if param.where != "query":
                continue
            if param.style == "deepObject":
                known |= {n for n, _ in query if n.startswith(f"{param.name}[")}
            elif param.explode and self.shapes.of(param.schema)[0] == "object":
                known |= set(self.shapes.resolved(param.schema).get("properties") or {})
        return known

    # --- body ----------------------------------------------------------------------

    def body(self, operation: Operation, content_type: str | None, raw: bytes) -> Any:
        """The body decoded and checked (None when there is none and none is required);
        a ValidationProblem naming why otherwise."""
        declared = operation.body
        if declared is None or not declared.schemas:
            return None
        mime, encoding = media_type(content_type, declared.media[0])
        if mime not in declared.schemas:
            detail = f"Invalid Content-type ({mime}), expected {list(declared.media)}"
            raise ValidationProblem([ErrorItem(["header", "content-type"], detail, "content_type")])
        # A named form content type with no bytes is a form with no fields, not no body.
        if not raw and not (mime == FORM and content_type is not None):
            if declared.required:
                raise ValidationProblem(
                    [ErrorItem(["body"], "RequestBody is required", "value_error")]
                )
            return None
        schema = declared.schemas[mime]
        if mime == FORM:
            body: Any = self._form(decode_form(raw, encoding), schema)
        elif is_json(mime):
            # JSON is UTF-8 whatever a charset parameter says (RFC 8259, 8.1 and 11).
            body = decode_json(raw, "utf-8", self.max_depth)
        else:
            return raw  # another media type: passed on as it came
        if body is None:
            if declared.required:
                raise ValidationProblem([ErrorItem(["body"], "Field required", "missing")])
            return None
        if schema is not None:
            errors = self.schemas.errors(["body"], schema, body)
            if errors:
                raise ValidationProblem(errors)
        return body

    def _form(self, fields: list[tuple[str, str]], schema: Any) -> dict[str, Any]:
        """A form's fields as an object: each property read as its schema's type, arrays
        from repeated fields."""
        props = self.shapes.resolved(schema).get("properties") or {}
        found: dict[str, Any] = {}
        for name, value in fields:
            shape, kinds, items = self.shapes.of(props.get(name, {}))
            if shape == "array":
                found.setdefault(name, []).append(coerce(value, self.shapes.of(items)[1]))
            else:
                found[name] = coerce(value, kinds)
        return found

    # --- the whole request -----------------------------------------------------------

    def problems(
        self,
        operation: Operation,
        path_params: Mapping[str, str],
        query: Sequence[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> list[ErrorItem]:
        """Every way the request breaks its operation: its parameters' problems, then its
        body's (a 422 would list the first group, or else the second)."""
        _, errors = self.parameters(operation, path_params, query, headers)
        try:
            self.body(operation, headers.get("content-type"), body)
        except ValidationProblem as exc:
            errors += exc.errors
        return errors


def media_type(header: str | None, default: str) -> tuple[str, str]:
    """(media type in lower case, charset) of a Content-Type header (RFC 9110: optional
    whitespace around `;`, case-insensitive names); no header means `default`, UTF-8."""
    if header is None:
        return default, "utf-8"
    mime, *parameters = header.split(";")
    charset = "utf-8"
    for parameter in parameters:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip('"')
    return mime.strip().lower(), charset
