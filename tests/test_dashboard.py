"""The dashboard's endpoints (/_mock/ui, /_mock/dashboard...): served, guarded, paged."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from typing import Any

from mockserver import Settings, create_app
from mockserver.core.clock import ManualClock
from mockserver.core.ids import workspace_of
from tests.conftest import KEY, OTHER_KEY, QA

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


def test_ten_thousand_stored_runs_are_paged_newest_first_and_fast(client: Any, app: Any) -> None:
    template = client.post(RUNS, json={"input": {}}, headers=KEY).json()
    store = app.mock.runs

    async def fill() -> Any:
        first = await store.get(workspace_of("key-a"), template["id"])
        for i in range(10_000):
            timeline = replace(first.timeline, created_at=first.timeline.created_at + i + 1)
            await store.add(replace(first, id=str(uuid.uuid4()), timeline=timeline))
        return (await store.page(workspace_of("key-a"), 0, 1))[0][0]

    newest = asyncio.run(fill())
    started = time.perf_counter()
    page = client.get("/_mock/dashboard", params={"offset": 50, "limit": 50}, headers=KEY)
    took = time.perf_counter() - started
    body = page.json()["runs"]
    assert body["total"] == 10_001 and len(body["items"]) == 50 and body["offset"] == 50
    created = [r["created_t"] for r in body["items"]]
    assert created == sorted(created, reverse=True)
    assert created[0] == newest.timeline.created_at - 50
    last = client.get("/_mock/dashboard", params={"offset": 10_000}, headers=KEY).json()
    assert [r["id"] for r in last["runs"]["items"]] == [template["id"]]
    assert took < 0.5, f"a page of 10,000 stored runs took {took:.3f} s"
