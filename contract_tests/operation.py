"""One HTTP exchange judged against its operation in openapi.yaml, without schemathesis.

The suite's conformance tests let schemathesis judge the exchanges it generates; traffic
it did not generate (the proxy's) is judged here by the same rules: the request is valid
for its operation (FastAPI-shaped problems, as a 422 would list them), the status is
documented, the content type and required headers are the documented ones, the body
matches its schema. Plain functions: failures are ContractViolations of `rules`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from apicontract.spec import inlined
from contract_tests import rules
from contract_tests.contract import spec
from contract_tests.exchange import Exchange
from contract_tests.rules import require

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    id: str
    parameters: tuple[dict[str, Any], ...]
    body: dict[str, Any] | None  # the resolved requestBody
    responses: dict[str, Any]
    pattern: re.Pattern[str] = field(compare=False)

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None


def path_pattern(template: str) -> re.Pattern[str]:
    """A path template's regex: each `{name}` one segment, as a named group."""
    return re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)))


@cache
def operations() -> tuple[Operation, ...]:
    """Every operation of openapi.yaml (the mock-only parts too: a client may use them)."""
    found = []
    document = spec().document
    for template, item in document["paths"].items():
        shared = inlined(document, item.get("parameters", []))
        for method in METHODS:
            raw = item.get(method)
            if raw is None:
                continue
            raw = inlined(document, raw)
            own = raw.get("parameters", [])
            names = {(p["in"], p["name"]) for p in own}
            params = [p for p in shared if (p["in"], p["name"]) not in names] + own
            found.append(
                Operation(
                    method.upper(),
                    template,
                    raw.get("operationId", f"{method} {template}"),
                    tuple(params),
                    raw.get("requestBody"),
                    raw.get("responses", {}),
                    path_pattern(template),
                )
            )
    return tuple(found)


def find(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation `method path` calls and its path parameters; None for unknown ones
    (and for a method the path does not have). A literal segment beats a parameter:
    `/runs/sync` is not `/runs/{run_id}`."""
    matched = [(o, p) for o in operations() if (p := o.match(path)) is not None]
    if not matched:
        return None
    fewest = min(len(p) for _, p in matched)
    return next(
        ((o, p) for o, p in matched if len(p) == fewest and o.method == method.upper()), None
    )


@cache
def _validator(schema_json: str) -> Any:
    return spec().compile(json.loads(schema_json))


def schema_problems(loc: Sequence[str | int], schema: dict[str, Any], value: Any) -> list[Problem]:
    """FastAPI-shaped, as the mock's 422s: a missing or unknown field is named in `loc`."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    found: list[Problem] = []
    for error in validator.iter_errors(value):
        at: list[str | int] = [*loc, *error.instance_path]
        kind = type(error.kind).__name__
        if kind == "AdditionalProperties":
            found += [
                Problem([*at, extra], "Extra inputs are not permitted", "extra_forbidden")
                for extra in error.kind.unexpected
            ]
            continue
        if kind == "Required":
            at.append(str(error.kind.property))
        found.append(Problem(at, error.message, _snake(kind)))
    return found


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Problem:
    """One reason a request is invalid, shaped as a ValidationErrorItem."""

    loc: list[str | int]
    msg: str
    type: str

    def item(self) -> dict[str, Any]:
        return {"loc": self.loc, "msg": self.msg, "type": self.type}


def _coerce(schema: dict[str, Any], raw: str) -> Any:
    """A query, path or header value read as its schema's type (they all arrive as text)."""
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            return raw
    if kind == "boolean" and raw in {"true", "false"}:
        return raw == "true"
    return raw


def request_problems(
    operation: Operation,
    path_params: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> list[Problem]:
    """Every way the request breaks its operation (`headers` with lower-case names);
    unknown query parameters count, as the mock's strict validation counts them."""
    problems: list[Problem] = []
    known = {p["name"] for p in operation.parameters if p["in"] == "query"}
    problems += [
        Problem(["query", name], f"Unknown query parameter {name!r}", "extra_forbidden")
        for name in sorted({n for n, _ in query} - known)
    ]
    sources: dict[str, Mapping[str, str]] = {
        "path": path_params,
        "query": dict(query),
        "header": headers,
    }
    for param in operation.parameters:
        where, name = param["in"], param["name"]
        values = sources.get(where)
        if values is None:
            continue
        raw = values.get(name.lower() if where == "header" else name)
        if raw is None:
            if param.get("required"):
                problems.append(Problem([where, name], "Field required", "missing"))
            continue
        schema = param.get("schema", {})
        problems += schema_problems([where, name], schema, _coerce(schema, raw))
    return problems + _body_problems(operation, headers, body)


def _body_problems(operation: Operation, headers: Mapping[str, str], body: bytes) -> list[Problem]:
    declared = operation.body
    if declared is None:
        return []
    if not body:
        return [Problem(["body"], "Field required", "missing")] if declared.get("required") else []
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    media = declared.get("content", {})
    if kind not in media:
        return [Problem(["body"], f"Unsupported content type {kind!r}", "content_type")]
    try:
        value = json.loads(body)
    except ValueError as exc:
        return [Problem(["body"], f"Invalid JSON: {exc}", "json_invalid")]
    return schema_problems(["body"], media[kind].get("schema", {}), value)


def require_rejected(problems: list[Problem], exchange: Exchange) -> None:
    """A request the spec makes invalid must not be accepted (2xx)."""
    __tracebackhide__ = True
    listed = "; ".join(f"{'/'.join(map(str, p.loc))}: {p.msg}" for p in problems[:5])
    require(
        rules.REJECTS_INVALID,
        not problems or exchange.status >= 400,
        f"an invalid request was answered {exchange.status}: {listed}",
        exchange,
    )


def _declared(operation: Operation, status: int) -> dict[str, Any] | None:
    responses = operation.responses
    return (
        responses.get(str(status))
        or responses.get(f"{str(status)[0]}XX")
        or responses.get("default")
    )


def check_response(operation: Operation, exchange: Exchange) -> None:
    """Status documented, content type, required headers and body schema (an SSE body is
    event_log's business)."""
    __tracebackhide__ = True
    declared = _declared(operation, exchange.status)
    require(
        rules.DOCUMENTED_STATUS,
        declared is not None,
        f"{exchange.status} is not documented for {operation.id} "
        f"(documented: {', '.join(operation.responses)})",
        exchange,
    )
    assert declared is not None
    for name, header in declared.get("headers", {}).items():
        require(
            rules.RESPONSE_HEADERS,
            not header.get("required") or exchange.header(name) is not None,
            f"{exchange.status} without its required {name} header",
            exchange,
        )
    content = declared.get("content", {})
    if not content:
        return
    kind = (exchange.header("content-type") or "").split(";")[0].strip().lower()
    require(
        rules.CONTENT_TYPE,
        kind in content,
        f"content type {kind or 'none'!r}, documented: {', '.join(content)}",
        exchange,
    )
    if "json" not in kind:
        return
    body = exchange.json_or_none()
    problems = schema_problems([], content[kind].get("schema", {}), body)
    listed = "; ".join(f"{'/'.join(map(str, p.loc)) or '<root>'}: {p.msg}" for p in problems[:5])
    require(
        rules.ERROR_SHAPE if exchange.status == 422 else rules.RESPONSE_SCHEMA,
        not problems,
        f"{operation.id} {exchange.status} body does not match its schema: {listed}",
        exchange,
    )
