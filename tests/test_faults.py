"""Fault injection, seen from a client: latency, 429/503, dropped streams, flaky webhooks."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from apicontract.spec import Spec
from mockserver import Settings, create_app
from mockserver.core.clock import ManualClock
from tests import sse
from tests.conftest import KEY, OTHER_KEY, QA, LiveServer
from tests.receiver import receiver

SPEC = Spec(Settings().spec_path)
RUNS = f"/v1/workflows/{QA.id}/runs"
BODY = {"input": {"User Question": "faults"}}


def test_prefer_fault_answers_429_with_retry_after_and_the_server_keeps_serving(
    client: Any,
) -> None:
    response = client.post(RUNS, json=BODY, headers={**KEY, "Prefer": "fault=429"})
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert SPEC.errors("ErrorMessage", response.json()) == []
    assert client.get(RUNS, headers=KEY).json()["total"] == 0  # nothing was created
    assert client.post(RUNS, json=BODY, headers=KEY).status_code == 200


def test_a_rule_fails_one_operation_for_one_workspace(client: Any) -> None:
    rule = {
        "api_key": "key-a",
        "operations": ["getRun"],
        "error_rate": 1,
        "error_status": 503,
        "retry_after_s": 7,
    }
    assert client.put("/_mock/faults", json=rule).status_code == 200
    mine = client.post(RUNS, json=BODY, headers=KEY).json()
    theirs = client.post(RUNS, json=BODY, headers=OTHER_KEY).json()
    failed = client.get(f"{RUNS}/{mine['id']}", headers=KEY)
    assert (failed.status_code, failed.headers["Retry-After"]) == (503, "7")
    assert client.get(f"{RUNS}/{theirs['id']}", headers=OTHER_KEY).status_code == 200
    assert client.get(f"/v1/runs/{mine['id']}", headers=KEY).status_code == 200
    client.delete("/_mock/faults", params={"api_key": "key-a"})
    assert client.get(f"{RUNS}/{mine['id']}", headers=KEY).status_code == 200


def test_latency_fixed_and_ranged(client: Any) -> None:
    started = time.monotonic()
    assert client.get(RUNS, headers={**KEY, "Prefer": "latency=200ms"}).status_code == 200
    assert time.monotonic() - started >= 0.2
    client.put("/_mock/faults", json={"latency_ms": [100, 150]})
    started = time.monotonic()
    client.get(RUNS, headers=KEY)
    assert 0.1 <= time.monotonic() - started < 2
    assert client.put("/_mock/faults", json={"latency_ms": [9, 1]}).status_code == 422


def _statuses(seed: int) -> list[int]:
    app = create_app(Settings(seed=seed), clock=ManualClock())
    with app.test_client() as client:
        client.put("/_mock/faults", json={"error_rate": 0.5, "error_status": 503})
        return [client.get(RUNS, headers=KEY).status_code for _ in range(30)]


def test_the_same_seed_gives_the_same_faults() -> None:
    first, second = _statuses(7), _statuses(7)
    assert first == second
    assert {200, 503} == set(first)  # both happen: the rate is really drawn


FAST = Settings(speed=20.0, webhook_backoff_s=0.01)


@pytest.mark.parametrize("live_server", [FAST], indirect=True)
def test_an_sse_stream_cut_after_n_events(live_server: LiveServer) -> None:
    run = httpx.post(f"{live_server.url}{RUNS}", json=BODY, headers=KEY).json()
    url = f"{live_server.url}/v1/runs/{run['id']}/events"
    cut = sse.read(url, {**KEY, "Prefer": "sse_cut=2"})
    assert len(cut.frames) == 2
    assert cut.headers["preference-applied"] == "sse_cut=2"  # echoed like on the creates
    assert all("workflow_status" not in f["data"] for f in cut.frames)
    # the client resumes where the stream dropped and gets the rest, terminal event included
    rest = sse.read(url, {**KEY, "Last-Event-ID": cut.frames[-1]["id"]})
    assert '"workflow_status":"completed"' in rest.frames[-1]["data"]
    httpx.put(
        f"{live_server.url}/_mock/faults", json={"operations": ["getRunEvents"], "sse_cut_after": 1}
    )
    assert len(sse.read(url, KEY).frames) == 1


@pytest.mark.parametrize("live_server", [FAST], indirect=True)
def test_webhooks_fail_n_times_then_arrive_once(live_server: LiveServer) -> None:
    with receiver() as hook:
        body = {**BODY, "callback_url": hook.url}
        httpx.post(
            f"{live_server.url}{RUNS}", json=body, headers={**KEY, "Prefer": "webhook_fail=2"}
        )
        assert hook.got_one.wait(5)
        time.sleep(0.1)
        assert len(hook.hits) == 1
    delivery = httpx.get(f"{live_server.url}/_mock/webhooks").json()["deliveries"][0]
    assert [a["error"] is not None for a in delivery["attempts"]] == [True, True, False]


@pytest.mark.parametrize("live_server", [FAST], indirect=True)
def test_webhooks_duplicated_keep_one_delivery_id(live_server: LiveServer) -> None:
    with receiver() as hook:
        body = {**BODY, "callback_url": hook.url}
        httpx.post(
            f"{live_server.url}{RUNS}", json=body, headers={**KEY, "Prefer": "webhook_duplicate=2"}
        )
        deadline = time.monotonic() + 5
        while len(hook.hits) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(hook.hits) == 3
        assert len({h.headers["x-noxus-delivery-id"] for h in hook.hits}) == 1


@pytest.mark.parametrize("live_server", [FAST], indirect=True)
def test_webhooks_delayed_through_a_workspace_rule(live_server: LiveServer) -> None:
    httpx.put(
        f"{live_server.url}/_mock/faults",
        json={"api_key": "key-a", "operations": ["webhook"], "webhook_delay_s": 0.6},
    )
    with receiver() as hook:
        body = {**BODY, "callback_url": hook.url}
        httpx.post(f"{live_server.url}{RUNS}", json=body, headers={**KEY, "Prefer": "duration=0s"})
        started = time.monotonic()
        assert not hook.got_one.wait(0.4)
        assert hook.got_one.wait(5)
        assert time.monotonic() - started >= 0.2
