"""The control API: clocks per workspace, a run's next move, journal, admin token."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from mockserver import Settings, create_app
from mockserver.core.clock import ManualClock
from tests import sse
from tests.conftest import KEY, OTHER_KEY, QA, LiveServer
from tests.receiver import receiver

RUNS = f"/v1/workflows/{QA.id}/runs"


def _create(
    client: Any, headers: dict[str, str] = KEY, prefer: str = "", **body: Any
) -> dict[str, Any]:
    extra = {"Prefer": prefer} if prefer else {}
    response = client.post(RUNS, json={"input": {}, **body}, headers={**headers, **extra})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _status(client: Any, run: dict[str, Any], headers: dict[str, str] = KEY) -> str:
    return str(client.get(f"{RUNS}/{run['id']}", headers=headers).json()["status"])


def test_a_workspace_clock_moves_alone_and_finishes_a_ten_minute_run(client: Any) -> None:
    mine = _create(client, prefer="duration=10m")
    theirs = _create(client, OTHER_KEY, prefer="duration=10m")
    moved = client.post("/_mock/clock/advance", json={"seconds": 600, "api_key": "key-a"}).json()
    assert moved["offset_s"] == 600
    assert _status(client, mine) == "completed"
    assert _status(client, theirs, OTHER_KEY) == "queued"
    assert client.get("/_mock/clock", params={"api_key": "key-b"}).json()["offset_s"] == 0


def test_freeze_stops_time_for_everyone_until_thawed() -> None:
    app = create_app(Settings(speed=1000.0))
    with app.test_client() as client:
        frozen = client.post("/_mock/clock/freeze", json={"frozen": True}).json()
        run = _create(client)
        again = client.get("/_mock/clock").json()
        assert frozen["frozen"] and again["now"] == frozen["now"]
        assert _status(client, run) == "queued"
        client.post("/_mock/clock/freeze", json={"frozen": False})
        deadline = time.monotonic() + 5
        while _status(client, run) != "completed" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _status(client, run) == "completed"


def test_a_paused_run_is_resumed_or_stopped_through_the_control_api(
    client: Any, clock: ManualClock
) -> None:
    resumed = _create(client, prefer="outcome=awaiting_human_feedback")
    stopped = _create(client, prefer="outcome=awaiting_human_feedback")
    clock.advance(60)
    assert _status(client, resumed) == _status(client, stopped) == "awaiting_human_feedback"
    assert client.post(f"/_mock/runs/{resumed['id']}/resume").json()["status"] == "running"
    clock.advance(60)
    assert _status(client, resumed) == "completed"
    assert client.post(f"/v1/runs/{stopped['id']}/stop", headers=KEY).json()["status"] == "stopped"
    again = client.post(f"/_mock/runs/{stopped['id']}/resume")
    assert again.status_code == 409 and "stopped" in again.json()["detail"]


def test_advance_steps_a_run_and_force_ends_it(client: Any) -> None:
    run = _create(client)
    seen = [_status(client, run)]
    for _ in range(4):
        client.post(f"/_mock/runs/{run['id']}/advance")
        seen.append(_status(client, run))
    assert seen == ["queued", "running", "running", "running", "completed"]
    assert client.post(f"/_mock/runs/{run['id']}/advance").status_code == 409
    forced = _create(client)
    body = client.post(
        f"/_mock/runs/{forced['id']}/force", json={"status": "failed", "error": "nope"}
    ).json()
    assert body["status"] == "failed"
    assert body["progress_details"]["run_logs"]["error"] == ["nope"]
    assert (
        client.post("/_mock/runs/3c90c3cc-0d44-4b50-8888-8dd25736052a/advance").status_code == 404
    )
    assert (
        client.post(f"/_mock/runs/{forced['id']}/force", json={"status": "queued"}).status_code
        == 422
    )


def test_the_journal_records_public_calls_per_workspace_without_keys(client: Any) -> None:
    run = _create(client)
    client.get(f"{RUNS}/{run['id']}", headers=OTHER_KEY)
    client.get(f"/v1/workflows/{QA.id}")
    mine = client.get("/_mock/journal", params={"api_key": "key-a"}).json()["entries"]
    assert [(e["method"], e["path"], e["status"]) for e in mine] == [("POST", RUNS, 200)]
    everything = client.get("/_mock/journal").json()["entries"]
    assert [e["status"] for e in everything] == [200, 404, 401]
    assert "key-a" not in str(everything) and "key-b" not in str(everything)


def test_reset_of_one_workspace_leaves_the_others(client: Any) -> None:
    mine, theirs = _create(client), _create(client, OTHER_KEY)
    client.post("/_mock/reset", json={"api_key": "key-a"})
    assert client.get(f"{RUNS}/{mine['id']}", headers=KEY).status_code == 404
    assert client.get(f"{RUNS}/{theirs['id']}", headers=OTHER_KEY).status_code == 200


def test_reset_with_no_body_resets_everything(client: Any) -> None:
    """`curl -X POST /_mock/reset`: no body, no Content-Type; the body stays optional."""
    mine, theirs = _create(client), _create(client, OTHER_KEY)
    reset = client.post("/_mock/reset")
    assert (reset.status_code, reset.json()) == (200, {"status": "reset", "scope": "all"})
    assert client.get(f"{RUNS}/{mine['id']}", headers=KEY).status_code == 404
    assert client.get(f"{RUNS}/{theirs['id']}", headers=OTHER_KEY).status_code == 404


def test_the_admin_token_guards_the_control_api(clock: ManualClock) -> None:
    with create_app(Settings(admin_token="s3cret"), clock=clock).test_client() as client:
        assert client.get("/_mock/health").status_code == 200
        refused = client.post("/_mock/reset", json={})
        assert refused.status_code == 401 and "X-Admin-Token" in refused.json()["detail"]
        assert (
            client.post("/_mock/reset", json={}, headers={"X-Admin-Token": "wrong"}).status_code
            == 401
        )
        assert (
            client.post("/_mock/reset", json={}, headers={"X-Admin-Token": "s3cret"}).status_code
            == 200
        )
        bearer = {"Authorization": "Bearer s3cret"}
        assert client.get("/_mock/journal", headers=bearer).status_code == 200


MANUAL = Settings(clock="manual", webhook_backoff_s=0.01, sse_keepalive_s=5)


@pytest.mark.parametrize("live_server", [MANUAL], indirect=True)
def test_stepping_a_run_node_by_node_with_sse_and_webhook_following(
    live_server: LiveServer,
) -> None:
    with receiver() as hook:
        run = httpx.post(
            f"{live_server.url}{RUNS}", json={"input": {}, "callback_url": hook.url}, headers=KEY
        ).json()
        frames: list[dict[str, str]] = []
        stepped = threading.Event()

        def on_frame(frame: dict[str, str]) -> None:
            frames.append(frame)
            stepped.set()

        reader = threading.Thread(
            target=sse.read,
            args=(f"{live_server.url}/v1/runs/{run['id']}/events", KEY),
            kwargs={"on_frame": on_frame},
        )
        reader.start()
        assert stepped.wait(5)
        counts = []
        for step in range(4):
            assert not hook.hits, f"webhook before the run ended (step {step})"
            stepped.clear()
            counts.append(len(frames))
            httpx.post(f"{live_server.url}/_mock/runs/{run['id']}/advance")
            assert stepped.wait(5)
        reader.join(timeout=10)
        assert hook.got_one.wait(5)
        assert counts == sorted(counts) and len(set(counts)) == 4  # each step released events
        assert '"workflow_status":"completed"' in frames[-1]["data"]
        assert hook.hits[0].json["status"] == "completed"
