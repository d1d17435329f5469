"""The contract core read once, by everyone: the mock's engine and the suite's request
check agree on every generated request, and the core's readings of the cases the review
found disagreeing (`page=+1`, `page=1_0`, `size=%201`), of styles, cookies, forms and
answer ranges, are pinned here.

The differential test feeds schemathesis' positive and negative cases for every operation
of the bundled spec to the mock (in-process, manual clock) and to
`contract_tests.operation.request_problems` with the very bytes that were sent: the mock
answers 422 exactly when the suite calls the request invalid, listing the same problems.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from apicontract.document import bundled_path, read
from apicontract.operations import Operation, operations_of
from apicontract.requests import RequestValidator
from apicontract.responses import ResponseChecker
from apicontract.spec import Spec
from contract_tests import operation as suite
from mockserver import Settings, create_app
from mockserver.core.clock import ManualClock

KEY = "differential-key"
WORKFLOW = "239baa8b-4361-5782-9277-a817111bd274"
SCHEMA = schemathesis.openapi.from_dict(read(bundled_path()))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
def mock() -> Any:
    # A sync run waits on the (frozen) manual clock until its cap: no cap, no wait.
    app = create_app(Settings(seed=7, sync_cap_s=0.0), clock=ManualClock())
    with app.test_client(raise_server_exceptions=True) as client:
        yield client


def _sent(case: Any) -> httpx.Request:
    """The request exactly as it goes on the wire (the same bytes for both readers)."""
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    headers = {k: v for k, v in kwargs["headers"].items() if k != "X-API-Key"}
    headers["X-API-Key"] = KEY  # a valid key: the key check comes before validation
    content = kwargs.get("data")
    if "json" in kwargs:
        content = httpx.Request("POST", "http://x", json=kwargs["json"]).content
    return httpx.Request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers=headers,
        cookies=kwargs.get("cookies"),
        content=content if isinstance(content, bytes | str) else None,
    )


def _cases(mode: GenerationMode) -> st.SearchStrategy[Any]:
    return st.sampled_from(OPERATIONS).flatmap(lambda op: op.as_strategy(generation_mode=mode))


def _agree(mock: Any, case: Any) -> None:
    request = _sent(case)
    answer = mock.send(request)
    path = request.url.path
    found = suite.find(request.method, path)
    if found is None:
        # A path parameter holding "/" (or an empty one) names no operation: both say so.
        assert answer.status_code in (404, 405), (request.method, path, answer.text)
        return
    operation, path_params = found
    query = parse_qsl(request.url.query.decode("latin-1"), keep_blank_values=True)
    headers = {k.lower(): v for k, v in request.headers.items()}
    problems = suite.request_problems(operation, path_params, query, headers, request.content)
    if answer.status_code in (413, 431):
        return  # the gate's size limits come first: not a contract reading
    if problems:
        assert answer.status_code == 422, (problems, answer.status_code, answer.text)
        given_items = answer.json()["detail"]
        expected = [p.as_json() for p in problems]
        # The mock lists the parameters' problems, or else the body's; the suite both.
        assert given_items == expected[: len(given_items)], (given_items, expected)
        rest = expected[len(given_items) :]
        assert all(item["loc"][0] in ("body", "header") for item in rest), rest
    else:
        assert answer.status_code != 422, (request.method, path, answer.text)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_mock_and_the_suite_read_every_generated_request_alike(
    mock: Any, mode: GenerationMode
) -> None:
    @given(case=_cases(mode))
    @settings(
        max_examples=150,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def agree(case: Any) -> None:
        _agree(mock, case)

    agree()


# --- the core's readings, pinned -----------------------------------------------------

SPEC = Spec(bundled_path())
VALIDATOR = RequestValidator(SPEC)


def _operation(operation_id: str) -> Operation:
    return next(o for o in operations_of(SPEC) if o.id == operation_id)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ([("page", "+1")], 1),
        ([("page", "1_0")], 10),
        ([("page", " 1")], 1),
        ([("page", "1.5")], None),
        ([("page", "x")], None),
    ],
)
def test_integers_are_read_once_for_mock_and_suite(
    query: list[tuple[str, str]], expected: int | None
) -> None:
    # As connexion (the reference engine) and FastAPI read them: Python's int().
    listing = _operation("listRuns")
    values, errors = VALIDATOR.parameters(listing, {"workflow_id": WORKFLOW}, query, {})
    page = next((v for p, v in values.items() if p.name == "page"), None)
    assert (errors == []) is (expected is not None), errors
    if expected is not None:
        assert page == expected


def _document(parameters: list[dict[str, Any]], **extra: Any) -> Spec:
    document = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/things/{ids}": {
                "post": {
                    "operationId": "probe",
                    "parameters": parameters,
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {}}},
                        "4XX": {
                            "description": "a client error",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["detail"],
                                        "properties": {"detail": {"type": "string"}},
                                    }
                                }
                            },
                        },
                    },
                    **extra,
                }
            }
        },
    }
    return Spec(bundled_path(), document)


INTS = {"type": "array", "items": {"type": "integer"}}


@pytest.mark.parametrize(
    ("param", "path", "query", "headers", "expected"),
    [
        ({"in": "path", "name": "ids", "schema": INTS}, "1,2", [], {}, [1, 2]),
        (
            {"in": "path", "name": "ids", "schema": INTS, "style": "label"},
            ".1,2",
            [],
            {},
            [1, 2],
        ),
        (
            {"in": "path", "name": "ids", "schema": INTS, "style": "matrix", "explode": True},
            ";ids=1;ids=2",
            [],
            {},
            [1, 2],
        ),
        ({"in": "query", "name": "n", "schema": INTS}, "x", [("n", "1"), ("n", "2")], {}, [1, 2]),
        (
            {"in": "query", "name": "n", "schema": INTS, "explode": False},
            "x",
            [("n", "1,2")],
            {},
            [1, 2],
        ),
        (
            {"in": "query", "name": "n", "schema": INTS, "style": "pipeDelimited"},
            "x",
            [("n", "1|2")],
            {},
            [1, 2],
        ),
        (
            {
                "in": "query",
                "name": "f",
                "style": "deepObject",
                "schema": {"type": "object", "properties": {"a": {"type": "integer"}}},
            },
            "x",
            [("f[a]", "3")],
            {},
            {"a": "3"},
        ),
        (
            {"in": "cookie", "name": "session", "schema": {"type": "integer"}},
            "x",
            [],
            {"cookie": "other=1; session=42"},
            42,
        ),
        ({"in": "header", "name": "X-Count", "schema": INTS}, "x", [], {"x-count": "4,5"}, [4, 5]),
    ],
)
def test_parameters_are_read_by_their_style(
    param: dict[str, Any], path: str, query: Any, headers: Any, expected: Any
) -> None:
    spec = _document([param])
    (probe,) = operations_of(spec)
    values, errors = RequestValidator(spec).parameters(probe, {"ids": path}, query, headers)
    assert [v for p, v in values.items() if p.name == param["name"]] == [expected]
    if param.get("style") == "deepObject":
        # deepObject keeps the text: the object schema then refuses "3" for an integer.
        assert errors and errors[0].loc[:2] == ["query", "f"]
    else:
        assert errors == []


def test_a_required_cookie_missing_is_a_problem() -> None:
    spec = _document([{"in": "cookie", "name": "session", "required": True, "schema": {}}])
    (probe,) = operations_of(spec)
    _, errors = RequestValidator(spec).parameters(probe, {"ids": "1"}, [], {})
    assert [e.as_json() for e in errors] == [
        {"loc": ["cookie", "session"], "msg": "Field required", "type": "missing"}
    ]


def test_a_form_body_is_read_by_its_schema() -> None:
    form = {
        "type": "object",
        "required": ["n"],
        "properties": {"n": {"type": "integer"}, "tags": {"type": "array", "items": {}}},
    }
    spec = _document(
        [],
        requestBody={
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": form}},
        },
    )
    (probe,) = operations_of(spec)
    validator = RequestValidator(spec)
    body = validator.body(probe, "application/x-www-form-urlencoded", b"n=3&tags=a&tags=b")
    assert body == {"n": 3, "tags": ["a", "b"]}
    with pytest.raises(Exception, match="validation failed") as refused:
        validator.body(probe, "application/x-www-form-urlencoded", b"n=x")
    assert refused.value.errors[0].loc == ["body", "n"]  # type: ignore[attr-defined]


def test_answers_are_checked_against_ranges_and_their_schema() -> None:
    spec = _document([])
    (probe,) = operations_of(spec)
    checker = ResponseChecker(spec)
    json = "application/json"
    assert checker.findings(probe, 404, json, {}, {"detail": "gone"}) == []
    (bad,) = checker.findings(probe, 404, json, {}, {"detail": 1})
    assert bad.kind == "schema"
    (undocumented,) = checker.findings(probe, 500, json, {}, {})
    assert undocumented.kind == "status"
    (media,) = checker.findings(probe, 200, "text/plain", {}, "x")
    assert media.kind == "content_type"
