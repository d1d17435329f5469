"""The mock over HTTP (in process), with a manual clock."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest
import yaml

from apicontract.spec import Spec
from mockserver import Settings, create_app
from mockserver.core.clock import ManualClock
from tests.conftest import KEY, OTHER_KEY, QA

SPEC = Spec(Settings().spec_path)
RUNS = f"/v1/workflows/{QA.id}/runs"
BODY = {"input": {"User Question": "What is machine learning?"}}


def create(client: Any, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
    response = client.post(RUNS, json={**BODY, **body}, headers={**KEY, **(headers or {})})
    assert response.status_code == 200, response.text
    return dict(response.json())


def poll(client: Any, run: dict[str, Any], **params: Any) -> dict[str, Any]:
    response = client.get(f"{RUNS}/{run['id']}", headers=KEY, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_run_walks_queued_running_completed_with_output(client: Any, clock: ManualClock) -> None:
    run = create(client)
    assert run["status"] == "queued"
    assert SPEC.errors("SimplifiedRun", run) == []
    seen = []
    for _ in range(8):
        clock.advance(0.5)
        current = poll(client, run)
        assert SPEC.errors("SimplifiedRun", current) == []
        seen.append((current["status"], current["progress"]))
    statuses = [s for s, _ in seen]
    assert statuses[0] == "running" and statuses[-1] == "completed"
    progress = [p for _, p in seen]
    assert progress == sorted(progress) and progress[-1] == 100 and len(set(progress)) >= 3
    final = poll(client, run)
    assert final["output"] == {"Answer": "Mock answer to: What is machine learning?"}
    assert final["finished_at"] is not None and final["finished_at"] >= final["created_at"]


def test_output_only_and_use_output_ids(client: Any, clock: ManualClock) -> None:
    run = create(client)
    clock.advance(60)
    assert poll(client, run, output_only="true") == {
        "id": run["id"],
        "status": "completed",
        "output": {"Answer": "Mock answer to: What is machine learning?"},
    }
    assert poll(client, run, use_output_ids="true")["output"] == {
        "output": "Mock answer to: What is machine learning?"
    }


@pytest.mark.parametrize(
    ("prefer", "status"),
    [
        ("outcome=completed", "completed"),
        ("outcome=failed", "failed"),
        ("outcome=stopped", "stopped"),
    ],
)
def test_the_manual_clock_walks_a_run_to_each_outcome(
    client: Any, clock: ManualClock, prefer: str, status: str
) -> None:
    response = client.post(RUNS, json=BODY, headers={**KEY, "Prefer": f"{prefer}, bogus=1"})
    assert response.headers["Preference-Applied"] == prefer
    run = response.json()
    clock.advance(1.0)
    assert poll(client, run)["status"] == "running"
    clock.advance(60)
    final = poll(client, run)
    assert final["status"] == status
    assert final["finished_at"] is not None
    if status == "failed":
        assert final["progress_details"]["run_logs"]["error"]
        assert final["output"] == {}


def test_stop_a_running_run_then_again_is_409(client: Any, clock: ManualClock) -> None:
    run = create(client)
    clock.advance(1)
    stopped = client.post(f"/v1/runs/{run['id']}/stop", headers=KEY)
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "stopped"
    clock.advance(60)
    assert poll(client, run)["status"] == "stopped"
    again = client.post(f"/v1/runs/{run['id']}/stop", headers=KEY)
    assert again.status_code == 409
    assert "stopped" in again.json()["detail"]


def test_422_lists_every_error_with_its_location(client: Any) -> None:
    response = client.post(
        RUNS,
        json={"input": 5, "callback_url": "not a url", "workflow_version_id": "x", "extra": 1},
        headers=KEY,
    )
    assert response.status_code == 422
    assert SPEC.errors("HTTPValidationError", response.json()) == []
    locs = {tuple(item["loc"]) for item in response.json()["detail"]}
    assert {
        ("body", "input"),
        ("body", "callback_url"),
        ("body", "workflow_version_id"),
        ("body", "extra"),
    } <= locs


@pytest.mark.parametrize(
    ("content", "content_type", "loc"),
    [
        (b"{}", "application/json", ["body", "input"]),
        (b"\xff\xfe\x00", "application/json", ["body"]),
        (b"{not json", "application/json", ["body"]),
        (b"null", "application/json", ["body"]),
        (b"input=1", "text/plain", ["header", "content-type"]),
        (b"", "application/json", ["body"]),
    ],
)
def test_bad_bodies_are_422_never_500(
    client: Any, content: bytes, content_type: str, loc: list[str]
) -> None:
    response = client.post(RUNS, content=content, headers={**KEY, "Content-Type": content_type})
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert client.get("/_mock/health").status_code == 200


def test_a_form_content_type_on_a_bodyless_call_is_never_a_500(client: Any) -> None:
    form = {"Content-Type": "multipart/form-data"}
    # The public API reads no body where the operation declares none.
    response = client.get("/v1/nodes", headers={**KEY, **form})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    # connexion (the control API) parses the form, and answers its 400 as our 422.
    response = client.get("/_mock/health", headers=form)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_bad_parameters_are_422(client: Any) -> None:
    response = client.get(
        "/v1/workflows/not-a-uuid/runs/also-not?output_only=maybe&x=1", headers=KEY
    )
    assert response.status_code == 422
    locs = [item["loc"] for item in response.json()["detail"]]
    assert ["query", "x"] in locs and ["path", "workflow_id"] in locs and ["path", "run_id"] in locs
    assert ["query", "output_only"] in locs


def test_unknown_node_ids_are_404_and_node_ids_skip_the_rest(
    client: Any, clock: ManualClock
) -> None:
    response = client.post(RUNS, json={**BODY, "node_ids": ["input", "nope"]}, headers=KEY)
    assert response.status_code == 404
    assert "Unknown node id 'nope'" in response.json()["detail"]
    run = create(client, node_ids=["input", "output"])
    clock.advance(60)
    done = poll(client, run)
    assert done["progress_details"]["skipped_nodes"] == ["answer"]
    assert done["progress_details"]["executed_nodes"] == ["input", "output"]
    single = create(client, single_node_id="answer")
    clock.advance(60)
    assert poll(client, single)["progress_details"]["executed_nodes"] == ["answer"]
    assert poll(client, single)["output"] == {}


def test_missing_or_refused_key_is_401_json(clock: ManualClock) -> None:
    app = create_app(Settings(api_keys=("good",)), clock=clock)
    with app.test_client() as client:
        missing = client.get(f"/v1/workflows/{QA.id}")
        assert missing.status_code == 401
        assert missing.json() == {"detail": "Missing X-API-Key header"}
        wrong = client.get(f"/v1/workflows/{QA.id}", headers={"X-API-Key": "bad"})
        assert wrong.status_code == 401
        assert wrong.json() == {"detail": "Invalid X-API-Key"}
        # the key is checked before the body: no information leaks to a stranger
        assert client.post(RUNS, json={}, headers={"X-API-Key": "bad"}).status_code == 401
        assert (
            client.get(f"/v1/workflows/{QA.id}", headers={"X-API-Key": "good"}).status_code == 200
        )


@pytest.mark.parametrize("key", ["invalid", "INVALID-key-for-tests", ""])
def test_without_configured_keys_invalid_prefixed_and_empty_keys_are_refused(
    client: Any, key: str
) -> None:
    response = client.get(f"/v1/workflows/{QA.id}", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert client.get(f"/v1/workflows/{QA.id}", headers={"X-API-Key": "valid"}).status_code == 200


def test_another_key_cannot_see_the_run(client: Any) -> None:
    run = create(client)
    for path in (f"{RUNS}/{run['id']}", f"/v1/runs/{run['id']}"):
        response = client.get(path, headers=OTHER_KEY)
        assert response.status_code == 404
        assert response.json() == {"detail": "Run not found"}
    assert client.post(f"/v1/runs/{run['id']}/stop", headers=OTHER_KEY).status_code == 404
    assert client.get(RUNS, headers=OTHER_KEY).json()["total"] == 0
    me_a = client.get("/v1/admin/me", headers=KEY).json()
    me_b = client.get("/v1/admin/me", headers=OTHER_KEY).json()
    assert me_a["id"] == run["group_id"] != me_b["id"]
    assert "key-a" not in str(me_a)


def test_unknown_routes_and_runs_are_json_404(client: Any) -> None:
    response = client.get("/v1/nothing-here", headers=KEY)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    unknown = client.get(f"{RUNS}/3c90c3cc-0d44-4b50-8888-8dd25736052a", headers=KEY)
    assert unknown.status_code == 404
    assert unknown.json() == {"detail": "Run not found"}


def test_list_is_newest_first_and_paginates(client: Any, clock: ManualClock) -> None:
    ids = []
    for _ in range(5):
        ids.append(create(client)["id"])
        clock.advance(0.1)
    first = client.get(RUNS, params={"page": 1, "size": 2, "page_size": 2}, headers=KEY).json()
    assert SPEC.errors("PageSimplifiedRun", first) == []
    assert (first["total"], first["pages"], first["size"], first["page"]) == (5, 3, 2, 1)
    pages = [
        client.get(RUNS, params={"page": p, "page_size": 2}, headers=KEY).json() for p in (1, 2, 3)
    ]
    assert [len(page["items"]) for page in pages] == [2, 2, 1]  # page_size alone counts
    listed = [item["id"] for page in pages for item in page["items"]]
    assert listed == list(reversed(ids))
    assert client.get(RUNS, params={"size": 101}, headers=KEY).status_code == 422


def test_get_by_id_has_no_output(client: Any, clock: ManualClock) -> None:
    run = create(client)
    clock.advance(60)
    body = client.get(f"/v1/runs/{run['id']}", headers=KEY).json()
    assert SPEC.errors("RunNoIO", body) == []
    assert body["status"] == "completed" and "output" not in body


def test_workflow_nodes_me_and_health(client: Any) -> None:
    workflow = client.get(f"/v1/workflows/{QA.id}", headers=KEY).json()
    assert workflow["name"] == QA.name
    assert workflow["definition"] == {"nodes": [], "edges": []}
    generated = client.get("/v1/workflows/3c90c3cc-0d44-4b50-8888-8dd25736052a", headers=KEY)
    assert generated.status_code == 200
    assert client.get("/v1/nodes", headers=KEY).json() == []
    assert client.get("/_mock/health").json()["status"] == "ok"


def test_strict_workflows_answer_404_for_unknown_ids(clock: ManualClock) -> None:
    app = create_app(Settings(strict_workflows=True), clock=clock)
    with app.test_client() as client:
        unknown = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
        response = client.post(f"/v1/workflows/{unknown}/runs", json=BODY, headers=KEY)
        assert response.status_code == 404
        assert "not found" in response.json()["detail"]


def test_response_validation_turns_a_mock_bug_into_a_loud_500(client: Any, app: Any) -> None:
    run = create(client)
    store = app.mock.runs
    stored = asyncio.run(store.find(run["id"]))
    # A run whose workflow id is not a uuid cannot be valid against the spec.
    asyncio.run(store.add(replace(stored, workflow_id="not-a-uuid")))
    response = client.get(f"/v1/runs/{run['id']}", headers=KEY)
    assert response.status_code == 500
    assert "workflow_id" in response.json()["detail"]


def test_cors_allows_browser_front_ends(client: Any) -> None:
    response = client.options(
        RUNS,
        headers={
            "Origin": "http://localhost:5173",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-api-key, content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] in ("*", "http://localhost:5173")


def test_control_clock_advance_moves_runs(clock: ManualClock) -> None:
    app = create_app(Settings(clock="manual"))
    with app.test_client() as client:
        run = create(client)
        assert client.post("/_mock/clock/advance", json={"seconds": 60}).status_code == 200
        assert poll(client, run)["status"] == "completed"
        assert client.post("/_mock/clock/advance", json={"seconds": -1}).status_code == 422
        speed = client.post("/_mock/clock/speed", json={"speed": 2}).json()
        assert (speed["speed"], speed["frozen"]) == (2, True)  # a manual clock stays frozen
        assert client.post("/_mock/reset", json={}).json()["scope"] == "all"
        assert client.get(f"{RUNS}/{run['id']}", headers=KEY).status_code == 404


def test_the_root_points_to_swagger_ui(client: Any) -> None:
    response = client.get("/", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (307, "/ui/")
    assert client.get("/", follow_redirects=True).status_code == 200


def test_the_served_spec_names_this_mock_as_its_server(client: Any) -> None:
    """Swagger UI's Servers dropdown lists the served `servers`: not one empty entry."""
    served = client.get("/openapi.json", headers={"Host": "127.0.0.1:4010"}).json()
    assert served["servers"] == [{"url": "http://127.0.0.1:4010", "description": "this mock"}]
    assert served["paths"].keys() == SPEC.document["paths"].keys()
    as_yaml = yaml.safe_load(client.get("/openapi.yaml").text)
    assert as_yaml["servers"][0]["url"] == "http://testserver"
    forged = client.get("/openapi.json", headers={"Host": 'x"><script>'}).json()
    assert forged["servers"][0]["url"] == "http://127.0.0.1:4010"  # the mock's own address


class _SlowMachineClock(ManualClock):
    """Every reading is 2 simulated seconds after the last: a loaded machine, fast clock."""

    late = 0.0

    def now(self) -> float:
        self.late += 2.0
        return super().now() + self.late


def test_a_new_run_is_answered_queued_however_late_the_answer_is_rendered() -> None:
    app = create_app(Settings(), clock=_SlowMachineClock())
    with app.test_client() as slow:
        body = slow.post(f"/v1/workflows/{QA.id}/runs", json={"input": {}}, headers=KEY).json()
    assert body["status"] == "queued" and body["progress"] == 0
