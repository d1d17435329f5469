"""One HTTP exchange judged against its operation, without schemathesis.

The suite's conformance tests let schemathesis judge the exchanges it generates; traffic
it did not generate (the proxy's) is judged here, through the contract core the mock
answers with (apicontract: one router, one request validator, one response checker):
the request is valid for its operation (the problems a 422 would list), the status is
documented, the content type and required headers are the documented ones, the body
matches its schema. Plain functions: failures are ContractViolations of `rules`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache

from apicontract import responses
from apicontract.operations import Operation, operations_of
from apicontract.problems import ErrorItem, listed
from apicontract.requests import RequestValidator
from apicontract.responses import ResponseChecker
from apicontract.router import Routes, operation_routes
from apicontract.router import find as route
from contract_tests import rules
from contract_tests.contract import spec
from contract_tests.exchange import Exchange
from contract_tests.rules import require

__all__ = ["ErrorItem", "Operation", "check_response", "find", "request_problems"]


@cache
def _validator() -> RequestValidator:
    return RequestValidator(spec())


@cache
def _checker() -> ResponseChecker:
    return ResponseChecker(schemas=_validator().schemas)


@cache
def operations() -> tuple[Operation, ...]:
    """Every operation of the spec (the mock-only parts too: a client may use them)."""
    return operations_of(spec())


@cache
def _routes() -> Routes[dict[str, Operation]]:
    return operation_routes(operations())


def find(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The operation `method path` calls and its path parameters; None for unknown ones
    (and for a method the path does not have). A literal segment beats a parameter:
    `/runs/sync` is not `/runs/{run_id}`."""
    return route(_routes(), method, path)


def request_problems(
    operation: Operation,
    path_params: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> list[ErrorItem]:
    """Every way the request breaks its operation (`headers` with lower-case names);
    unknown query parameters count, as the mock's strict validation counts them."""
    return _validator().problems(operation, path_params, query, headers, body)


def require_rejected(problems: list[ErrorItem], exchange: Exchange) -> None:
    """A request the spec makes invalid must not be accepted (2xx)."""
    __tracebackhide__ = True
    require(
        rules.REJECTS_INVALID,
        not problems or exchange.status >= 400,
        f"an invalid request was answered {exchange.status}: {listed(problems, 5)}",
        exchange,
    )


_RULES = {
    responses.STATUS: rules.DOCUMENTED_STATUS,
    responses.HEADER: rules.RESPONSE_HEADERS,
    responses.CONTENT_TYPE: rules.CONTENT_TYPE,
    responses.SCHEMA: rules.RESPONSE_SCHEMA,
}


def check_response(operation: Operation, exchange: Exchange) -> None:
    """Status documented, content type, required headers and body schema (an SSE body is
    event_log's business). Each rule the answer was checked under is counted, broken or
    not (the JUnit report tells a rule nothing exercised from one that passed)."""
    __tracebackhide__ = True
    kind = exchange.header("content-type")
    json_body = "json" in (kind or "")
    headers = {k.lower(): v for k, v in exchange.response_headers.items()}
    found = {
        f.kind: f.message
        for f in reversed(
            _checker().findings(
                operation,
                exchange.status,
                kind,
                headers,
                exchange.json_or_none() if json_body else None,
                body_read=json_body,
            )
        )
    }
    answer = operation.answer_for(exchange.status)
    checked = [responses.STATUS]
    if answer is not None:
        checked.append(responses.HEADER)
        if answer.schemas:
            checked.append(responses.CONTENT_TYPE)
            if json_body and responses.CONTENT_TYPE not in found:
                checked.append(responses.SCHEMA)
    for checked_kind in checked:
        rule = _RULES[checked_kind]
        if checked_kind == responses.SCHEMA and exchange.status == 422:
            rule = rules.ERROR_SHAPE
        message = found.get(checked_kind, "")
        require(rule, not message, f"{operation.id} {exchange.status}: {message}", exchange)
