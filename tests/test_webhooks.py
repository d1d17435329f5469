"""Webhooks against a real local receiver: once per run, retried, signed, recorded."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from apicontract.spec import Spec
from mockserver import Settings
from mockserver.core.webhook_policy import DELIVERY_HEADER, SIGNATURE_HEADER, signature
from tests import sse
from tests.conftest import KEY, QA, LiveServer, free_port, serving
from tests.receiver import receiver

SPEC = Spec(Settings().spec_path)
FAST = Settings(speed=20.0, webhook_backoff_s=0.01, webhook_secret="s3cret")


def _create(server: LiveServer, callback_url: str, prefer: str = "") -> dict[str, Any]:
    headers = {**KEY, "Prefer": prefer} if prefer else KEY
    response = httpx.post(
        f"{server.url}/v1/workflows/{QA.id}/runs",
        json={"input": {"User Question": "hook me"}, "callback_url": callback_url},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _deliveries(server: LiveServer, run_id: str, settle: float = 5) -> list[dict[str, Any]]:
    """The run's deliveries once none is pending any more (bounded wait)."""
    deadline = time.monotonic() + settle
    while True:
        log = httpx.get(f"{server.url}/_mock/webhooks").json()["deliveries"]
        mine = [d for d in log if d["run_id"] == run_id]
        if (mine and all(d["state"] != "pending" for d in mine)) or time.monotonic() > deadline:
            return mine
        time.sleep(0.02)


@pytest.mark.parametrize("live_server", [FAST], indirect=True)
@pytest.mark.parametrize("outcome", ["completed", "failed", "stopped"])
def test_poll_sse_and_webhook_agree_for_every_outcome(
    live_server: LiveServer, outcome: str
) -> None:
    with receiver() as hook:
        run = _create(live_server, hook.url, f"outcome={outcome}")
        stream = sse.read(f"{live_server.url}/v1/runs/{run['id']}/events", KEY)
        assert hook.got_one.wait(5)
        polled = httpx.get(
            f"{live_server.url}/v1/workflows/{QA.id}/runs/{run['id']}", headers=KEY
        ).json()
        [hit] = hook.hits
        payload = hit.json
        assert SPEC.errors("WebhookPayload", payload) == []
        assert payload["status"] == polled["status"] == outcome
        assert stream.bodies[-1]["data"]["workflow_status"] == outcome
        assert payload["outputs"] == polled["output"]
        assert payload["completed_at"] == polled["finished_at"]
        assert payload["run_id"] == run["id"]
        if outcome == "failed":
            assert payload["error"] and payload["outputs"] == {}
        else:
            assert payload["error"] is None
        # signed with the configured secret over the exact raw body
        assert hit.headers[SIGNATURE_HEADER.lower()] == signature("s3cret", hit.raw)
        time.sleep(0.2)
        assert len(hook.hits) == 1  # exactly one delivery


@pytest.mark.parametrize("live_server", [FAST], indirect=True)
def test_a_receiver_failing_twice_gets_three_attempts_with_one_delivery_id(
    live_server: LiveServer,
) -> None:
    with receiver(fail_first=2) as hook:
        run = _create(live_server, hook.url)
        assert hook.got_one.wait(5)
        ids = {hit.headers[DELIVERY_HEADER.lower()] for hit in hook.hits}
        assert len(hook.hits) == 3 and len(ids) == 1
        assert [json.loads(h.raw) for h in hook.hits] == [hook.hits[0].json] * 3
    [delivery] = _deliveries(live_server, run["id"])
    assert delivery["state"] == "delivered"
    assert delivery["delivery_id"] in ids
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 200]


DOWN = Settings(speed=20.0, webhook_backoff_s=0.01, webhook_max_attempts=3)


@pytest.mark.parametrize("live_server", [DOWN], indirect=True)
def test_a_dead_receiver_gets_bounded_attempts_and_the_server_stays_healthy(
    live_server: LiveServer,
) -> None:
    dead = f"http://127.0.0.1:{free_port()}/nobody-listens"
    run = _create(live_server, dead)
    [delivery] = _deliveries(live_server, run["id"])
    assert delivery["state"] == "failed"
    assert len(delivery["attempts"]) == 3
    assert all(a["error"] and a["status_code"] is None for a in delivery["attempts"])
    assert httpx.get(f"{live_server.url}/_mock/health").status_code == 200


def test_webhook_waits_for_the_manual_clock() -> None:
    from mockserver import create_app
    from mockserver.core.clock import ManualClock

    clock = ManualClock()
    app = create_app(Settings(webhook_backoff_s=0.01), clock=clock)
    with receiver() as hook, app.test_client() as client:
        body = {"input": {"User Question": "x"}, "callback_url": hook.url}
        client.post(f"/v1/workflows/{QA.id}/runs", json=body, headers=KEY)
        assert not hook.got_one.wait(0.3)  # nothing before the clock moves
        client.post("/_mock/clock/advance", json={"seconds": 60})
        assert hook.got_one.wait(5)
        assert hook.hits[0].json["status"] == "completed"


def test_shutdown_does_not_hang_on_a_dead_receiver() -> None:
    slow = Settings(speed=50.0, webhook_backoff_s=30, webhook_max_attempts=10)
    with serving(slow) as server:
        run = _create(server, f"http://127.0.0.1:{free_port()}/gone")
        deadline = time.monotonic() + 5
        while not _deliveries(server, run["id"], settle=0) and time.monotonic() < deadline:
            time.sleep(0.02)
        [delivery] = _deliveries(server, run["id"], settle=0)
        assert delivery["state"] == "pending"  # sleeping 30 s before its 2nd attempt
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 5


@pytest.mark.parametrize("live_server", [FAST], indirect=True)
def test_a_sync_run_fires_the_webhook_too(live_server: LiveServer) -> None:
    with receiver() as hook:
        response = httpx.post(
            f"{live_server.url}/v1/workflows/{QA.id}/runs/sync",
            json={"input": {"User Question": "sync"}, "callback_url": hook.url},
            headers=KEY,
        )
        assert response.json()["status"] == "completed"
        assert hook.got_one.wait(5)
        assert hook.hits[0].json["run_id"] == response.json()["id"]
