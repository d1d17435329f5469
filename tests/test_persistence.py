"""The state file: runs, timelines and the webhook outbox survive a SIGKILL, and two
worker processes serve one consistent view."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from mockserver import Settings, create_app
from mockserver.core.faults import RequestFaults
from mockserver.core.lifecycle import Step, Timeline
from mockserver.core.models import Run
from mockserver.process import free_port, running_mock
from mockserver.storage.codec import decode_run, encode_run
from tests.conftest import KEY, QA
from tests.receiver import receiver

RUNS = f"/v1/workflows/{QA.id}/runs"
T0 = 1_767_225_600.0


def _timelines() -> list[Timeline]:
    base = Timeline.plan(T0, 0.5, (Step("a", 1), Step("b", 1)), skipped=("c",), pause_at="b")
    return [
        base,
        base.resume(T0 + 10),
        base.stop(T0 + 5),
        Timeline.plan(T0, 0, (Step("a", 1),), outcome="failed", error="x").advance(T0),
        Timeline.plan(T0, 1, ()).force(T0 + 0.5, "completed"),
    ]


@pytest.mark.parametrize("timeline", _timelines())
def test_a_run_round_trips_through_its_record(timeline: Timeline) -> None:
    run = Run(
        id="r",
        workspace="w",
        workflow_id="wf",
        input={"User Question": ["a", {"b": None}]},
        timeline=timeline,
        node_ids=("a", "b"),
        callback_url="http://127.0.0.1/x",
        faults=RequestFaults(latency_ms=(1, 2), webhook_fail_times=1),
        sequence=3,
    )
    assert decode_run("r", "w", "wf", 3, encode_run(run)) == run


def test_a_second_app_on_the_same_file_sees_and_carries_on_the_runs(tmp_path: Path) -> None:
    settings = Settings(speed=20.0, state=str(tmp_path / "state.db"))
    with create_app(settings).test_client() as first:
        run = first.post(RUNS, json={"input": {"User Question": "kept"}}, headers=KEY).json()
    with create_app(settings).test_client() as second:
        deadline = time.monotonic() + 5
        while (body := second.get(f"{RUNS}/{run['id']}", headers=KEY).json())[
            "status"
        ] != "completed":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert body["output"] == {"Answer": "Mock answer to: kept"}


LEASE = {"MOCKSERVER_WEBHOOK_LEASE_S": "0.5", "MOCKSERVER_WEBHOOK_BACKOFF_S": "0.2"}


def test_sigkill_mid_run_loses_nothing(tmp_path: Path) -> None:
    state, port, hook_port = tmp_path / "state.db", free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    with running_mock("--state", str(state), "--speed", "2", port=port, env=LEASE) as mock:
        hooked = httpx.post(
            f"{base}{RUNS}",
            json={"input": {}, "callback_url": f"http://127.0.0.1:{hook_port}/hook"},
            headers={**KEY, "Prefer": "duration=0s"},  # ends at once; nobody listens yet
        ).json()
        running = httpx.post(
            f"{base}{RUNS}", json={"input": {"User Question": "q"}}, headers=KEY
        ).json()
        paused = httpx.post(
            f"{base}{RUNS}",
            json={"input": {}},
            headers={**KEY, "Prefer": "outcome=awaiting_human_feedback"},
        ).json()
        deadline = time.monotonic() + 5
        while not _attempts(base):
            assert time.monotonic() < deadline, "the first attempt never happened"
            time.sleep(0.05)
        os.killpg(mock.proc.pid, signal.SIGKILL)
        mock.proc.wait(timeout=10)
    # restart on the same file, with the receiver now up on the run's callback port
    restart = running_mock("--state", str(state), "--speed", "2", port=port, env=LEASE)
    with receiver(port=hook_port) as hook, restart:
        for run in (hooked, running, paused):
            assert httpx.get(f"{base}/v1/runs/{run['id']}", headers=KEY).status_code == 200
        deadline = time.monotonic() + 10
        while (
            httpx.get(f"{base}/v1/runs/{running['id']}", headers=KEY).json()["status"]
            != "completed"
        ):
            assert time.monotonic() < deadline, "the lifecycle did not carry on"
            time.sleep(0.05)
        assert httpx.get(f"{base}/v1/runs/{paused['id']}", headers=KEY).json()["status"] == (
            "awaiting_human_feedback"
        )
        deadline = time.monotonic() + 10
        while not hook.hits:
            assert (
                time.monotonic() < deadline
            ), "the pending webhook was not delivered after restart"
            time.sleep(0.05)
        delivery = httpx.get(f"{base}/_mock/webhooks").json()["deliveries"][0]
        assert hook.hits[0].headers["x-noxus-delivery-id"] == delivery["delivery_id"]
        assert delivery["state"] == "delivered" and len(delivery["attempts"]) >= 2


def _attempts(base: str) -> int:
    deliveries = httpx.get(f"{base}/_mock/webhooks").json()["deliveries"]
    return len(deliveries[0]["attempts"]) if deliveries else 0


def test_two_workers_serve_one_consistent_view(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    state = str(tmp_path / "state.db")
    with running_mock("--state", state, "--workers", "2", "--speed", "0.5", port=port):
        created_ids: set[str] = set()
        workers: set[str] = set()
        crossed = 0
        for _ in range(60):  # bounded: each request on a fresh connection
            created = httpx.post(f"{base}{RUNS}", json={"input": {}}, headers=KEY)
            run_id, creator = created.json()["id"], created.headers["x-mock-worker"]
            created_ids.add(run_id)
            workers.add(creator)
            for _ in range(10):
                polled = httpx.get(f"{base}{RUNS}/{run_id}", headers=KEY)
                assert polled.status_code == 200
                workers.add(polled.headers["x-mock-worker"])
                if polled.headers["x-mock-worker"] != creator:
                    stopped = httpx.post(f"{base}/v1/runs/{run_id}/stop", headers=KEY)
                    assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
                    again = httpx.get(f"{base}{RUNS}/{run_id}", headers=KEY)
                    assert again.json()["status"] == "stopped"
                    crossed += 1
                    break
            if crossed >= 3:
                break
        assert len(workers) == 2, "both workers should have served"
        assert crossed >= 3, "runs created by one worker were polled and stopped by the other"
        listed = httpx.get(f"{base}{RUNS}", params={"size": 100}, headers=KEY).json()
        assert {item["id"] for item in listed["items"]} == created_ids
