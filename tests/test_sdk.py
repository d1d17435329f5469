"""The official SDK (noxus-sdk), unmodified but for base_url, against a live mock."""

from __future__ import annotations

import time

from noxus_sdk.client import Client

from tests.conftest import QA, LiveServer


def test_the_official_sdk_drives_a_run_through_its_lifecycle(live_server: LiveServer) -> None:
    client = Client(api_key="sdk-key", base_url=live_server.url)
    workflow = client.workflows.get(QA.id)
    assert workflow.id == QA.id

    run = workflow.run({"User Question": "What is machine learning?"})
    assert run.status == "queued"
    deadline = time.monotonic() + 10
    statuses = [run.status]
    while run.status != "completed" and time.monotonic() < deadline:
        time.sleep(0.02)
        run.refresh()
        statuses.append(run.status)
    assert run.status == "completed", statuses
    assert "running" in statuses
    assert run.output == {"Answer": "Mock answer to: What is machine learning?"}
    assert run.progress == 100

    listed = client.runs.list(QA.id, page=1, page_size=10)
    assert [r.id for r in listed] == [run.id]

    second = workflow.run({"User Question": "stop me"})
    stopped = second.stop()
    assert stopped.status == "stopped"
    second.refresh()
    assert second.status == "stopped"
