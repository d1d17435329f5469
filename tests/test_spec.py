"""The spec itself: valid OpenAPI 3.0.3, examples valid, and the code reads it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

from apicontract.spec import Spec
from contract_tests import contract
from mockserver.app import CONTROL_SPEC, create_app
from mockserver.core import lifecycle
from mockserver.settings import Settings

SPEC_PATH = Settings().spec_path
SPEC = Spec(SPEC_PATH)


@pytest.mark.parametrize("path", [SPEC_PATH, CONTROL_SPEC], ids=["openapi", "control"])
def test_spec_is_valid_openapi_303(path: Path) -> None:
    document = yaml.safe_load(path.read_text())
    assert document["openapi"] == "3.0.3"
    validate(document)


def test_lifecycle_states_equal_the_spec_status_enum() -> None:
    assert set(lifecycle.STATES) == set(SPEC.status_enum)
    assert set(SPEC.status_enum) >= lifecycle.TERMINAL


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "delete", "patch")
    ]


def test_every_operation_has_an_id_an_example_and_the_auth_errors() -> None:
    document = SPEC.document
    for path, method, op in _operations(document):
        assert "operationId" in op, (path, method)
        ok = op["responses"]["200"]["content"]
        media = next(iter(ok.values()))
        if "text/event-stream" not in ok:
            assert "example" in media or "examples" in media, (path, method)
        assert "401" in op["responses"], (path, method)


@pytest.mark.parametrize("name", ["QueuedRun", "CompletedRun", "StoppedRun"])
def test_run_examples_are_valid_against_their_schema(name: str) -> None:
    example = SPEC.document["components"]["examples"][name]["value"]
    assert SPEC.errors("SimplifiedRun", example) == []
    details = example["progress_details"]
    listed = [*details["executed_nodes"], *details["running_nodes"], *details["remaining_nodes"]]
    assert sorted(listed) == sorted(details["per_node_progress"])  # every node accounted once


def test_schema_checks_catch_a_bad_run() -> None:
    bad = dict(SPEC.document["components"]["examples"]["QueuedRun"]["value"])
    bad.update(status="paused", id="not-a-uuid", finished_at="yesterday")
    problems = SPEC.errors("SimplifiedRun", bad)
    assert len(problems) == 3, problems


def test_create_links_reach_poll_get_stop_and_events() -> None:
    links = SPEC.document["paths"]["/v1/workflows/{workflow_id}/runs"]["post"]["responses"]["200"][
        "links"
    ]
    assert {link["operationId"] for link in links.values()} == {
        "getRun",
        "getRunById",
        "stopRun",
        "getRunEvents",
    }


def test_webhook_is_declared_as_a_callback_with_its_payload_schema() -> None:
    payload = {
        "run_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "workflow_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "status": "completed",
        "outputs": {},
        "error": None,
        "started_at": "2025-01-15T10:30:00.000000Z",
        "completed_at": "2025-01-15T10:30:05.000000Z",
        "duration_ms": 5000,
    }
    assert SPEC.errors("WebhookPayload", payload) == []
    assert SPEC.errors("WebhookPayload", {**payload, "status": "running"}) != []


def test_lifecycle_moves_equal_the_spec_x_transitions() -> None:
    assert SPEC.transitions == lifecycle.LEGAL_MOVES
    assert contract.legal_moves() == lifecycle.LEGAL_MOVES


def test_the_mock_refuses_a_spec_whose_transitions_differ(tmp_path: Path) -> None:
    document = yaml.safe_load(SPEC_PATH.read_text())
    document["components"]["schemas"]["RunStatus"]["x-transitions"]["completed"] = ["running"]
    changed = tmp_path / "openapi.yaml"
    changed.write_text(yaml.safe_dump(document))
    with pytest.raises(ValueError, match="x-transitions"):
        create_app(Settings(spec_path=changed))


def test_a_renamed_operation_keeps_its_behaviour_and_a_new_one_answers_its_example(
    tmp_path: Path,
) -> None:
    """Behaviours are bound by method and path template: a regenerated document with other
    operationIds keeps them; an operation nobody wrote a handler for answers its example."""
    document = yaml.safe_load(SPEC_PATH.read_text())
    document["paths"]["/v1/nodes"]["get"]["operationId"] = "listGadgets"
    listed = {"items": [{"id": "w1"}], "total": 1}
    document["paths"]["/v1/workflows"] = {
        "get": {
            "operationId": "list_workflows",
            "responses": {
                "200": {
                    "description": "the workflows",
                    "content": {"application/json": {"example": listed}},
                }
            },
        }
    }
    changed = tmp_path / "openapi.yaml"
    changed.write_text(yaml.safe_dump(document))
    key = {"X-API-Key": "k"}
    renamed = create_app(Settings(spec_path=changed)).test_client()
    bundled = create_app(Settings()).test_client()
    assert (
        renamed.get("/v1/nodes", headers=key).json() == bundled.get("/v1/nodes", headers=key).json()
    )
    answer = renamed.get("/v1/workflows", headers=key)
    assert (answer.status_code, answer.json()) == (200, listed)
    assert renamed.get("/v1/workflows").status_code == 401


def test_both_create_calls_declare_the_webhook_inline() -> None:
    """openapi-python-client refuses a `$ref`-ed callback; both calls carry it inline."""
    paths = SPEC.document["paths"]
    for path in ("/v1/workflows/{workflow_id}/runs", "/v1/workflows/{workflow_id}/runs/sync"):
        callback = paths[path]["post"]["callbacks"]["runFinished"]
        assert "$ref" not in callback
        post = callback["{$request.body#/callback_url}"]["post"]
        assert post["requestBody"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/WebhookPayload"
        }


def _parameter_names(document: dict[str, Any], op: dict[str, Any]) -> set[str]:
    parameters = document["components"]["parameters"]
    return {
        parameters[p["$ref"].rsplit("/", 1)[-1]]["name"] if "$ref" in p else p["name"]
        for p in op.get("parameters", [])
    }


def test_every_header_the_mock_honours_is_declared_where_it_is_honoured() -> None:
    document = SPEC.document
    for path, method, op in _operations(document):
        # injection.py applies `latency` and `fault` on every /v1 call
        assert "Prefer" in _parameter_names(document, op), (path, method)
        assert {"422", "429", "503"} <= set(op["responses"]), (path, method)  # 422: bad Prefer
    events = document["paths"]["/v1/runs/{run_id}/events"]["get"]
    assert "Last-Event-ID" in _parameter_names(document, events)


def test_every_response_header_the_mock_sends_on_purpose_is_declared() -> None:
    document = SPEC.document
    paths = document["paths"]
    for operation in (
        paths["/v1/workflows/{workflow_id}/runs"]["post"],
        paths["/v1/workflows/{workflow_id}/runs/sync"]["post"],
        paths["/v1/runs/{run_id}/events"]["get"],
    ):
        assert "Preference-Applied" in operation["responses"]["200"]["headers"]
    responses = document["components"]["responses"]
    for name in ("TooManyRequests", "ServiceUnavailable"):
        assert "Retry-After" in responses[name]["headers"]
    assert responses["MethodNotAllowed"]["headers"]["Allow"]["$ref"] == "#/components/headers/Allow"


def _objects(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield where, node
        for key, value in node.items():
            yield from _objects(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _objects(value, f"{where}/{index}")


def test_free_form_objects_say_additional_properties_true() -> None:
    """openapi-typescript reads a bare `type: object` as Record<string, never>."""
    bare = [
        where
        for where, schema in _objects(SPEC.document)
        if "properties" not in schema and "additionalProperties" not in schema
    ]
    assert bare == []


def test_request_fields_carry_no_default() -> None:
    """openapi-typescript makes a field with a `default` required in the request type."""
    request = SPEC.document["components"]["schemas"]["RunRequest"]
    assert [name for name, field in request["properties"].items() if "default" in field] == []


def test_a_new_required_field_is_served_made_from_its_schema_not_a_500(tmp_path: Path) -> None:
    document = yaml.safe_load(SPEC_PATH.read_text())
    run = document["components"]["schemas"]["SimplifiedRun"]
    run["required"].append("priority")
    run["properties"]["priority"] = {"type": "integer", "minimum": 1, "maximum": 5}
    changed = tmp_path / "openapi.yaml"
    changed.write_text(yaml.safe_dump(document))
    client = create_app(Settings(spec_path=changed)).test_client()
    created = client.post(
        "/v1/workflows/6f1c2a4e-8a61-5c5e-9c1e-1d2f3a4b5c6d/runs",
        json={"input": {}},
        headers={"X-API-Key": "k"},
    )
    assert created.status_code == 200, created.text
    assert 1 <= created.json()["priority"] <= 5


def test_a_parameter_no_behaviour_takes_is_listed_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    document = yaml.safe_load(SPEC_PATH.read_text())
    listing = document["paths"]["/v1/workflows/{workflow_id}/runs"]["get"]
    listing["parameters"].append({"name": "order", "in": "query", "schema": {"type": "string"}})
    changed = tmp_path / "openapi.yaml"
    changed.write_text(yaml.safe_dump(document))
    with caplog.at_level("WARNING", logger="mockserver"):
        create_app(Settings(spec_path=changed))
    said = [r.getMessage() for r in caplog.records if "not used" in r.getMessage()]
    assert said == [
        "GET /v1/workflows/{workflow_id}/runs: query parameter order is validated but not used"
    ]
    caplog.clear()
    with caplog.at_level("WARNING", logger="mockserver"):
        create_app(Settings())  # the bundled document: every parameter is taken
    assert not [r for r in caplog.records if "not used" in r.getMessage()]
