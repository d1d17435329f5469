"""The official SDK (noxus-sdk), unmodified but for base_url, against a live mock."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from noxus_sdk.client import Client
from noxus_sdk.errors import NotFoundError
from noxus_sdk.resources.runs import RunDeletion, RunFailureError
from noxus_sdk.resources.workflows import WorkflowVersion
from noxus_sdk.workflows import WorkflowDefinition

from mockserver import Settings
from tests.conftest import QA, LiveServer

QUESTION = {"User Question": "What is machine learning?"}
SDK_KEY = {"X-API-Key": "sdk-key"}  # the key the `sdk` fixture's client sends
ANSWER = {"Answer": "Mock answer to: What is machine learning?"}


@pytest.fixture
def sdk(live_server: LiveServer) -> Iterator[Client]:
    """The SDK's client, closed after the test (it keeps one httpx client per Client)."""
    client = Client(api_key="sdk-key", base_url=live_server.url)
    yield client
    client.close()


def test_client_get_run_poll_list_and_stop(live_server: LiveServer, sdk: Client) -> None:
    client = sdk
    assert live_server.count("GET", "/v1/nodes") == 1
    assert live_server.count("GET", "/v1/admin/me") == 1
    workflow = client.workflows.get(QA.id)
    assert workflow.id == QA.id

    run = workflow.run(QUESTION)
    assert run.status == "queued"
    deadline = time.monotonic() + 10
    statuses = [run.status]
    while run.status != "completed" and time.monotonic() < deadline:
        time.sleep(0.02)
        run.refresh()
        statuses.append(run.status)
    assert run.status == "completed", statuses
    assert "running" in statuses
    assert run.output == ANSWER
    assert run.progress == 100

    listed = client.runs.list(QA.id, page=1, page_size=10)
    assert [r.id for r in listed] == [run.id]

    second = workflow.run({"User Question": "stop me"})
    stopped = second.stop()
    assert stopped.status == "stopped"
    second.refresh()
    assert second.status == "stopped"


def test_wait_uses_the_sse_stream_not_polling(live_server: LiveServer, sdk: Client) -> None:
    workflow = sdk.workflows.get(QA.id)
    run = workflow.run(QUESTION)
    started = time.monotonic()
    done = run.wait()  # interval=5: a polling fallback would take >= 5 s
    assert time.monotonic() - started < 4
    assert done.status == "completed" and done.output == ANSWER
    poll_path = f"/v1/workflows/{QA.id}/runs/{run.id}"
    assert live_server.count("GET", f"/v1/runs/{run.id}/events") == 1
    assert live_server.count("GET", poll_path) == 1  # the SDK's one final refresh


def test_wait_raises_on_a_failed_run(live_server: LiveServer, sdk: Client) -> None:
    client = sdk
    # The SDK has no way to send Prefer: create the failing run with httpx, wait with the SDK.
    failing = httpx.post(
        f"{live_server.url}/v1/workflows/{QA.id}/runs",
        json={"input": QUESTION},
        headers={"X-API-Key": "sdk-key", "Prefer": "outcome=failed"},
    ).json()
    run = client.runs.get(QA.id, failing["id"])
    with pytest.raises(RunFailureError):
        run.wait()
    assert run.status == "failed"


def test_stream_and_run_and_stream_end_with_the_terminal_event(
    live_server: LiveServer, sdk: Client
) -> None:
    workflow = sdk.workflows.get(QA.id)
    events = list(workflow.run_and_stream(QUESTION))
    assert events[-1].is_terminal
    assert events[-1].data["workflow_status"] == "completed"
    assert {e.type for e in events} == {"content", "state"}
    run = workflow.run(QUESTION)
    replayed = list(run.stream())
    assert replayed[-1].is_terminal
    later = list(run.stream(etag=replayed[2].redis_id))
    assert [e.redis_id for e in later] == [e.redis_id for e in replayed[3:]]


def test_stop_during_a_stream(sdk: Client) -> None:
    workflow = sdk.workflows.get(QA.id)
    run = workflow.run(QUESTION)
    seen = []
    stopped = False
    for event in run.stream():
        seen.append(event)
        # Once: on a loaded machine a second "running" event may already be on the wire.
        if not stopped and event.type == "state" and event.data["status"] == "running":
            assert run.stop().status == "stopped"
            stopped = True
    # the SDK treats only completed/failed as terminal: the stream simply ends
    assert seen[-1].data.get("workflow_status") == "stopped"
    run.refresh()
    assert run.status == "stopped"


def test_run_sync_blocks_until_done(sdk: Client) -> None:
    client = sdk
    full = client.runs.run_sync(QA.id, QUESTION)
    assert full["status"] == "completed" and full["output"] == ANSWER
    only = client.runs.run_sync(QA.id, QUESTION, output_only=True)
    assert only == {"id": only["id"], "status": "completed", "output": ANSWER}


def test_async_variants(sdk: Client) -> None:
    async def scenario() -> None:
        client = sdk
        workflow = client.workflows.get(QA.id)
        run = await workflow.arun(QUESTION)
        done = await run.a_wait()
        assert done.status == "completed" and done.output == ANSWER
        events = [e async for e in workflow.arun_and_stream(QUESTION)]
        assert events[-1].data["workflow_status"] == "completed"
        only = await client.runs.arun_sync(QA.id, QUESTION, output_only=True)
        assert only["output"] == ANSWER
        await client.aclose()

    asyncio.run(scenario())


CAPPED = Settings(speed=20.0, sync_cap_s=2.0)


@pytest.mark.parametrize("live_server", [CAPPED], indirect=True)
def test_sync_run_returns_the_run_as_it_stands_at_the_cap(live_server: LiveServer) -> None:
    started = time.monotonic()
    response = httpx.post(
        f"{live_server.url}/v1/workflows/{QA.id}/runs/sync",
        json={"input": QUESTION},
        headers={"X-API-Key": "k", "Prefer": "duration=10s"},
    )
    assert response.status_code == 200
    assert response.json()["status"] == "running"
    assert time.monotonic() - started < 1.5  # 2 simulated seconds at speed 20


# --- the SDK's calls beyond the run lifecycle (issue 21 item 3): served from the document


def test_a_saved_workflow_is_read_listed_updated_and_deleted(
    live_server: LiveServer, sdk: Client
) -> None:
    client = sdk
    saved = client.workflows.save(WorkflowDefinition(client=client, name="Summarize"))
    assert str(uuid.UUID(saved.id)) == saved.id and saved.name == "Summarize"
    assert saved.type == "flow" and saved.nodes == [] and saved.edges == []

    read = client.workflows.get(saved.id)
    assert (read.id, read.name) == (saved.id, "Summarize")  # the stored one, not a made one
    listed = client.workflows.list(page=1, page_size=10)
    assert [w.id for w in listed] == [saved.id]
    other = client.workflows.save(WorkflowDefinition(client=client, name="Translate"))
    assert [w.id for w in client.workflows.list(page=1, page_size=10)] == [saved.id, other.id]
    assert [w.id for w in client.workflows.list(page=2, page_size=1)] == [other.id]
    envelope = httpx.get(
        f"{live_server.url}/v1/workflows", params={"page": 2, "size": 1}, headers=SDK_KEY
    ).json()
    assert {k: envelope[k] for k in ("total", "page", "size", "pages")} == {
        "total": 2,
        "page": 2,
        "size": 1,
        "pages": 2,
    }

    saved.name = "Summarize briefly"
    updated = client.workflows.update(saved.id, saved, force=False)
    assert (updated.id, updated.name) == (saved.id, "Summarize briefly")
    assert client.workflows.get(saved.id).name == "Summarize briefly"

    client.workflows.delete(saved.id)
    assert [w.id for w in client.workflows.list(page=1, page_size=10)] == [other.id]
    with pytest.raises(NotFoundError):
        client.workflows.get(saved.id)
    with pytest.raises(NotFoundError):
        client.workflows.delete(saved.id)


def test_versions_saved_are_listed_and_updated(sdk: Client) -> None:
    client = sdk
    workflow = client.workflows.save(WorkflowDefinition(client=client, name="Versioned"))
    first = workflow.save_version("First", "the first cut")
    assert isinstance(first, WorkflowVersion) and first.name == "First"
    assert first.description == "the first cut" and first.definition["nodes"] == []
    second = client.workflows.save_version(workflow.id, workflow, "Second", None)
    assert [v.id for v in workflow.list_versions()] == [first.id, second.id]
    renamed = workflow.update_version(first.id, "First, renamed", "still the first")
    assert (renamed.id, renamed.name, renamed.description) == (
        first.id,
        "First, renamed",
        "still the first",
    )
    assert [v.name for v in client.workflows.list_versions(workflow.id)] == [
        "First, renamed",
        "Second",
    ]
    # Another workflow's versions are its own.
    assert client.workflows.list_versions(str(uuid.uuid4())) == []


def test_logs_export_and_import_answer_their_documented_shapes(sdk: Client) -> None:
    client = sdk
    logs = client.workflows.get_logs(QA.id)
    assert isinstance(logs["items"], list) and logs["total"] >= 0
    columns = client.workflows.get_logs_columns(QA.id)
    assert columns and all(isinstance(c, str) for c in columns)
    preview = client.workflows.export_preview(QA.id)
    assert isinstance(preview["dependencies"], list)
    bundle = client.workflows.export(QA.id, version="v4", include_dependencies=False)
    assert isinstance(bundle, bytes) and bundle
    imported = client.workflows.import_(bundle, mode="clone", dry_run=True)
    assert imported and all(str(uuid.UUID(r["id"])) == r["id"] for r in imported)


def test_run_data_node_io_search_and_deletion(sdk: Client) -> None:
    client = sdk
    run = client.workflows.get(QA.id).run(QUESTION)
    data = run.data()
    assert isinstance(data["nodes"], list) and "status" in data
    assert client.runs.get_data(run.id, fetch_structured_data=False)["nodes"] is not None
    io = client.runs.get_node_io(run.id, "answer", it=0)
    assert isinstance(io["inputs"], dict) and isinstance(io["outputs"], dict)
    found = client.runs.search("machine learning", search_in=["input"])
    assert isinstance(found, list) and all(isinstance(hit, dict) for hit in found)
    deletion = run.delete()
    assert isinstance(deletion, RunDeletion) and deletion.matched >= deletion.succeeded
    bulk = client.runs.bulk_delete(older_than=datetime.now(UTC), dry_run=True)
    assert isinstance(bulk, RunDeletion)
    nobody = str(uuid.uuid4())  # a run nobody created: 404 on each, as the document says
    for call in (
        lambda: client.runs.get_data(nobody),
        lambda: client.runs.get_node_io(nobody, "answer"),
        lambda: client.runs.delete(nobody),
    ):
        with pytest.raises(NotFoundError):
            call()
