"""Three mock processes on three ports over one real redis-server: one team mock.

Every replica serves every run; a change made through one is seen by the others; races
across replicas have exactly one winner; a replica killed mid-delivery costs nothing.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
import redis

from mockserver.process import MockProcess, running_mock
from tests.conftest import KEY, QA
from tests.receiver import receiver

RUNS = f"/v1/workflows/{QA.id}/runs"
PAUSE = {**KEY, "Prefer": "outcome=awaiting_human_feedback"}
# Short leases: a dead replica's delivery is taken over within about a second.
ENV = {"MOCKSERVER_WEBHOOK_LEASE_S": "0.6", "MOCKSERVER_WEBHOOK_BACKOFF_S": "1.5"}


@pytest.fixture(scope="module")
def replicas(redis_server: Any) -> Iterator[list[MockProcess]]:
    """One team for the module (the tests use their own runs); the last test kills one."""
    redis.Redis.from_url(redis_server.url).flushdb()
    with ExitStack() as stack:
        yield [
            stack.enter_context(
                running_mock("--state", redis_server.url, "--clock", "manual", env=ENV)
            )
            for _ in range(3)
        ]


def _status(mock: MockProcess, run_id: str) -> str:
    body = httpx.get(f"{mock.url}{RUNS}/{run_id}", headers=KEY).json()
    return str(body["status"])


def test_a_run_created_on_one_replica_is_served_changed_and_streamed_by_the_others(
    replicas: list[MockProcess],
) -> None:
    a, b, c = replicas
    run = httpx.post(f"{a.url}{RUNS}", json={"input": {"User Question": "q"}}, headers=KEY).json()
    other = httpx.post(f"{a.url}{RUNS}", json={"input": {}}, headers=KEY).json()
    assert _status(b, run["id"]) == _status(c, run["id"]) == "queued"
    # A stop through B is what A sees.
    stopped = httpx.post(f"{b.url}/v1/runs/{other['id']}/stop", headers=KEY)
    assert stopped.status_code == 200 and _status(a, other["id"]) == "stopped"
    # A clock advance through B moves the run on A.
    assert httpx.post(f"{b.url}/_mock/clock/advance", json={"seconds": 60}).status_code == 200
    polled = httpx.get(f"{a.url}{RUNS}/{run['id']}", headers=KEY).json()
    assert polled["status"] == "completed" and polled["output"]
    # C's SSE stream tells the same story as A's poll.
    with httpx.stream("GET", f"{c.url}/v1/runs/{run['id']}/events", headers=KEY) as stream:
        data = [line for line in stream.iter_lines() if line.startswith("data:")]
    assert data and '"workflow_status":"completed"' in data[-1].replace(" ", "")
    # Listing on C holds both runs; the journal on C holds the calls made on A and B.
    listed = httpx.get(f"{c.url}{RUNS}", headers=KEY).json()
    assert {item["id"] for item in listed["items"]} == {run["id"], other["id"]}
    journal = httpx.get(f"{c.url}/_mock/journal", params={"api_key": KEY["X-API-Key"]}).json()
    assert ("POST", f"/v1/runs/{other['id']}/stop", 200) in {
        (e["method"], e["path"], e["status"]) for e in journal["entries"]
    }


def test_a_fault_rule_set_through_one_replica_applies_on_another(
    replicas: list[MockProcess],
) -> None:
    a, b, c = replicas
    run = httpx.post(f"{b.url}{RUNS}", json={"input": {}}, headers=KEY).json()
    # C has read the (no) rules and keeps them: the change must reach what it keeps.
    assert httpx.get(f"{c.url}{RUNS}/{run['id']}", headers=KEY).status_code == 200
    rule = {"api_key": KEY["X-API-Key"], "operations": ["getRun"], "error_rate": 1.0}
    assert httpx.put(f"{a.url}/_mock/faults", json={**rule, "error_status": 503}).status_code == 200
    _answers_within(c, run["id"], 503)
    cleared = httpx.delete(f"{b.url}/_mock/faults", params={"api_key": KEY["X-API-Key"]})
    assert cleared.status_code == 200
    _answers_within(c, run["id"], 200)


def _answers_within(mock: MockProcess, run_id: str, status: int, bound_s: float = 0.5) -> None:
    """A poll answers `status` within `bound_s` (announced over pub/sub; what a replica keeps
    expires by itself only after 1 s)."""
    began = time.monotonic()
    while (got := httpx.get(f"{mock.url}{RUNS}/{run_id}", headers=KEY).status_code) != status:
        assert time.monotonic() - began < bound_s, f"still {got} after {bound_s} s"
        time.sleep(0.01)


def test_concurrent_stops_and_resumes_across_replicas_have_one_winner_each(
    replicas: list[MockProcess],
) -> None:
    a, b, c = replicas
    runs = [
        httpx.post(f"{replicas[i % 3].url}{RUNS}", json={"input": {}}, headers=PAUSE).json()["id"]
        for i in range(100)
    ]
    httpx.post(f"{a.url}/_mock/clock/advance", json={"seconds": 60})
    assert {_status(c, run_id) for run_id in runs[:3]} == {"awaiting_human_feedback"}

    async def race() -> list[list[int]]:
        limits = httpx.Limits(max_connections=60)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:

            async def contend(i: int, run_id: str) -> list[int]:
                # Half the runs: three stops at once; the other half: three resumes.
                path = f"/v1/runs/{run_id}/stop" if i % 2 else f"/_mock/runs/{run_id}/resume"
                answers = await asyncio.gather(
                    *(client.post(f"{m.url}{path}", headers=KEY) for m in (a, b, c))
                )
                return sorted(r.status_code for r in answers)

            return await asyncio.gather(*(contend(i, run_id) for i, run_id in enumerate(runs)))

    outcomes = asyncio.run(race())
    assert outcomes == [[200, 409, 409]] * 100, [o for o in outcomes if o != [200, 409, 409]]


def _attempts_saved(mock: MockProcess) -> bool:
    deliveries = httpx.get(f"{mock.url}/_mock/webhooks").json()["deliveries"]
    return bool(deliveries and deliveries[0]["attempts"])


def test_a_replica_killed_mid_delivery_costs_nothing(replicas: list[MockProcess]) -> None:
    by_pid = {str(m.proc.pid): m for m in replicas}
    # The receiver refuses the first attempt, so the delivery waits 1.5 s in its backoff:
    # that is when its sender dies.
    with receiver(fail_first=1) as hook:
        body = {"input": {}, "callback_url": hook.url}
        run = httpx.post(f"{replicas[0].url}{RUNS}", json=body, headers=KEY).json()
        httpx.post(f"{replicas[1].url}/_mock/clock/advance", json={"seconds": 60})
        deadline = time.monotonic() + 10
        while not hook.hits:
            assert time.monotonic() < deadline, "no replica sent the webhook"
            time.sleep(0.02)
        owner = by_pid[hook.hits[0].headers["x-mock-worker"]]
        while not _attempts_saved(owner):  # the refusal is recorded: it waits in its backoff
            assert time.monotonic() < deadline, "the first attempt was never recorded"
            time.sleep(0.02)
        os.killpg(owner.proc.pid, signal.SIGKILL)
        owner.proc.wait(timeout=10)
        assert hook.got_one.wait(timeout=15), "no other replica took the delivery over"
        time.sleep(2.5)  # long enough for any second (wrong) delivery to show
    first, second = hook.hits[0], hook.hits[1]
    assert len(hook.hits) == 2, "exactly one 2xx-acknowledged delivery, after one refusal"
    assert second.headers["x-mock-worker"] != first.headers["x-mock-worker"]
    assert second.headers["x-noxus-delivery-id"] == first.headers["x-noxus-delivery-id"]
    assert second.json["run_id"] == run["id"] and second.raw == first.raw
    survivor = next(m for m in replicas if m is not owner)
    (delivery,) = httpx.get(f"{survivor.url}/_mock/webhooks").json()["deliveries"]
    assert delivery["state"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 200]


def test_redis_going_away_is_a_503_and_the_mock_recovers_when_it_is_back() -> None:
    from mockserver.process import free_port, running_redis

    port = free_port()
    with running_redis(port=port) as server, running_mock("--state", server.url) as mock:
        run = httpx.post(f"{mock.url}{RUNS}", json={"input": {}}, headers=KEY).json()
        server.proc.kill()
        server.proc.wait(timeout=10)
        down = httpx.get(f"{mock.url}{RUNS}/{run['id']}", headers=KEY)
        assert down.status_code == 503 and down.headers["retry-after"] == "1"
        assert "state store is unavailable" in down.json()["detail"]
        with running_redis(port=port):  # back (empty: it kept nothing)
            deadline = time.monotonic() + 10
            while (
                httpx.post(f"{mock.url}{RUNS}", json={"input": {}}, headers=KEY).status_code != 200
            ):
                assert time.monotonic() < deadline, "the mock did not recover"
                time.sleep(0.1)
            assert mock.proc.poll() is None
