"""The dashboard's endpoints (/_mock/ui, /_mock/dashboard...): served, guarded, paged."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

import httpx

from mockserver import Settings, create_app
from mockserver.cli import SHUTDOWN_GRACE_S
from mockserver.core.clock import ManualClock
from mockserver.core.ids import workspace_of
from mockserver.process import running_mock
from tests.conftest import KEY, OTHER_KEY, QA, serving

RUNS = f"/v1/workflows/{QA.id}/runs"


def test_the_page_needs_no_token_but_its_data_does() -> None:
    app = create_app(Settings(admin_token="secret"), clock=ManualClock())
    with app.test_client() as client:
        page = client.get("/_mock/ui")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        # the documented bookmarkable link (the script takes the token from it)
        assert client.get("/_mock/ui", params={"token": "secret"}).status_code == 200
        assert "/_mock/ui/app.js" in page.text
        assert client.get("/_mock/ui/app.js").status_code == 200
        assert client.get("/_mock/ui/app.css").status_code == 200
        assert client.get("/_mock/dashboard", headers=KEY).status_code == 401
        guarded = client.get("/_mock/dashboard", headers={**KEY, "X-Admin-Token": "secret"})
        assert guarded.status_code == 200
        assert guarded.json()["workspace"] == workspace_of("key-a")
        assert "key-a" not in guarded.text  # the key itself is never shown


def test_the_data_needs_a_workspace_key_and_sane_paging(client: Any) -> None:
    assert client.get("/_mock/dashboard").status_code == 422
    assert client.get("/_mock/dashboard", params={"limit": 0}, headers=KEY).status_code == 422
    assert client.get("/_mock/dashboard", params={"offset": -1}, headers=KEY).status_code == 422
    assert client.get("/_mock/ui/secret.py").status_code == 422


def test_a_run_shows_its_views_events_and_journal_per_workspace(
    client: Any, clock: ManualClock
) -> None:
    run = client.post(RUNS, json={"input": {}}, headers=KEY).json()
    client.post(RUNS, json={"input": {}}, headers=OTHER_KEY)
    clock.advance(60)
    board = client.get("/_mock/dashboard", headers=KEY).json()
    assert [r["id"] for r in board["runs"]["items"]] == [run["id"]]
    assert board["runs"]["items"][0]["status"] == "completed"
    assert board["journal"][0]["path"] == RUNS and board["journal"][0]["status"] == 200
    detail = client.get(f"/_mock/dashboard/runs/{run['id']}", headers=KEY).json()
    assert [v["status"] for v in detail["views"]][-1] == "completed"
    assert all(v["past"] for v in detail["views"])
    assert detail["events"][-1]["data"]["workflow_status"] == "completed"
    other = client.get(f"/_mock/dashboard/runs/{run['id']}", headers=OTHER_KEY)
    assert other.status_code == 404


def test_ten_thousand_stored_runs_are_paged_newest_first_one_page_read(
    client: Any, app: Any
) -> None:
    """The board asks the store for the one page shown (no timing here: speed is the
    bench's; a board reading every run would ask for more than the page)."""
    template = client.post(RUNS, json={"input": {}}, headers=KEY).json()
    store = app.mock.runs

    async def fill() -> Any:
        first = await store.get(workspace_of("key-a"), template["id"])
        for i in range(10_000):
            timeline = replace(first.timeline, created_at=first.timeline.created_at + i + 1)
            await store.add(replace(first, id=str(uuid.uuid4()), timeline=timeline))
        return (await store.page(workspace_of("key-a"), 0, 1))[0][0]

    newest = asyncio.run(fill())
    asked: list[tuple[int, int]] = []
    paged = store.page

    async def page_of(workspace: str, offset: int, limit: int) -> Any:
        asked.append((offset, limit))
        return await paged(workspace, offset, limit)

    store.page = page_of
    try:
        page = client.get("/_mock/dashboard", params={"offset": 50, "limit": 50}, headers=KEY)
    finally:
        del store.page
    body = page.json()["runs"]
    assert body["total"] == 10_001 and len(body["items"]) == 50 and body["offset"] == 50
    created = [r["created_t"] for r in body["items"]]
    assert created == sorted(created, reverse=True)
    assert created[0] == newest.timeline.created_at - 50
    last = client.get("/_mock/dashboard", params={"offset": 10_000}, headers=KEY).json()
    assert [r["id"] for r in last["runs"]["items"]] == [template["id"]]
    assert asked == [(50, 50)]


def _opened(stack: ExitStack, url: str, path: str) -> int:
    """Open a stream for real and keep it open until `stack` closes; its status. (The test
    client would buffer an endless body whole; and a chunk iterator left to the collector
    closes the connection, so the first chunk's iterator is kept on the stack too.)"""
    answer = stack.enter_context(httpx.stream("GET", f"{url}{path}", headers=KEY, timeout=10))
    if answer.status_code == 200:
        chunks = answer.iter_bytes()
        stack.callback(chunks.close)
        next(chunks)  # counted once its body has started
    return answer.status_code


def test_run_events_and_the_dashboard_share_one_stream_cap() -> None:
    with serving(Settings(speed=20.0, max_streams=1)) as server:
        paused = {**KEY, "Prefer": "outcome=awaiting_human_feedback"}
        run = httpx.post(f"{server.url}{RUNS}", json={"input": {}}, headers=paused).json()
        events, board = f"/v1/runs/{run['id']}/events", "/_mock/dashboard/stream"
        with ExitStack() as stack:
            assert _opened(stack, server.url, board) == 200
            assert _opened(stack, server.url, events) == 503
        deadline = time.monotonic() + 5
        while True:  # the slot comes back once the server has seen the client leave
            with ExitStack() as stack:
                if _opened(stack, server.url, events) == 200:
                    assert _opened(stack, server.url, board) == 503
                    break
            assert time.monotonic() < deadline, "the dashboard's stream slot never came back"
            time.sleep(0.05)


def test_serve_stops_soon_on_sigterm_while_a_stream_is_open() -> None:
    with running_mock() as mock, ExitStack() as stack:
        assert _opened(stack, mock.url, "/_mock/dashboard/stream") == 200
        started = time.monotonic()
        os.killpg(mock.proc.pid, signal.SIGTERM)
        mock.proc.wait(timeout=10)
        assert time.monotonic() - started < SHUTDOWN_GRACE_S + 2
