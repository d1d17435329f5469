"""The official SDK (noxus-sdk), unmodified but for base_url, against a live mock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from noxus_sdk.client import Client
from noxus_sdk.resources.runs import RunFailureError

from mockserver import Settings
from tests.conftest import QA, LiveServer

QUESTION = {"User Question": "What is machine learning?"}
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
