"""The embedded mock (`from mockserver import Mock`) and the `noxus_mock` pytest fixture,
driven by the official SDK, unmodified, on the manual clock."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from noxus_sdk.client import Client

from mockserver import Mock
from mockserver.pytest_plugin import Workspace
from tests.conftest import QA
from tests.receiver import receiver

QUESTION = {"User Question": "What is machine learning?"}
ANSWER = {"Answer": "Mock answer to: What is machine learning?"}


def test_the_sdks_whole_lifecycle_waits_for_no_real_time(noxus_mock: Workspace) -> None:
    """About 0.6 s on an idle machine (the SDK's first Client is most of it). The bound is
    looser, for a loaded one, and still proves the point: in real time the run alone lasts
    3.5 s, and the SDK's polling fallback waits 5 s."""
    with receiver() as hooks:  # its shutdown (a 0.5 s poll) is not the lifecycle's time
        started = time.monotonic()
        client = Client(api_key=noxus_mock.api_key, base_url=noxus_mock.url)
        workflow = client.workflows.get(QA.id)
        run = workflow.run(QUESTION, callback_url=hooks.url)
        assert run.status == "queued"
        noxus_mock.advance(1)
        run.refresh()
        assert run.status == "running"  # moved by the test's clock, not by waiting
        noxus_mock.advance(30)
        done = run.wait()  # follows the SSE stream to its terminal event
        assert (done.status, done.output) == ("completed", ANSWER)
        assert hooks.got_one.wait(5)
        assert hooks.hits[0].json["run_id"] == run.id
        assert hooks.hits[0].json["status"] == "completed"
        other = workflow.run({"User Question": "stop me"})
        assert other.stop().status == "stopped"
        client.close()
        elapsed = time.monotonic() - started
    assert elapsed < 2.5, f"{elapsed:.2f} s"
    sent = noxus_mock.webhooks()
    assert [d["run_id"] for d in sent] == [run.id] and sent[0]["state"] == "delivered"
    journal = [(entry["method"], entry["path"], entry["status"]) for entry in noxus_mock.journal()]
    assert ("POST", f"/v1/runs/{other.id}/stop", 200) in journal, journal


def test_each_test_has_a_workspace_of_its_own(noxus_mock: Workspace) -> None:
    neighbour = Workspace(noxus_mock.mock, "a-neighbour-key")
    before = noxus_mock.mock.clock(neighbour.api_key)["now"]
    with noxus_mock.client() as mine, neighbour.client() as theirs:
        created = mine.post(f"/v1/workflows/{QA.id}/runs", json={"input": QUESTION}).json()
        noxus_mock.advance(100)
        assert mine.get(f"/v1/runs/{created['id']}").json()["status"] == "completed"
        assert theirs.get(f"/v1/runs/{created['id']}").status_code == 404
        listed = theirs.get(f"/v1/workflows/{QA.id}/runs").json()
        assert listed["total"] == 0
    assert noxus_mock.mock.clock(neighbour.api_key)["now"] == before  # its clock stayed


def test_force_and_resume_act_on_a_run(noxus_mock: Workspace) -> None:
    with noxus_mock.client() as http:
        paused = http.post(
            f"/v1/workflows/{QA.id}/runs",
            json={"input": QUESTION},
            headers={"Prefer": "outcome=awaiting_human_feedback"},
        ).json()
        noxus_mock.advance(10)
        assert http.get(f"/v1/runs/{paused['id']}").json()["status"] == "awaiting_human_feedback"
        assert noxus_mock.resume(paused["id"])["status"] == "running"
        forced = noxus_mock.force(paused["id"], "failed", "boom")
        assert forced["status"] == "failed"
        assert http.get(f"/v1/runs/{paused['id']}").json()["status"] == "failed"


def test_the_same_seed_gives_the_same_ids_and_times() -> None:
    def first_run() -> dict[str, object]:
        with Mock(seed=7) as mock, mock.client("k") as http:
            created: dict[str, object] = http.post(
                f"/v1/workflows/{QA.id}/runs", json={"input": QUESTION}
            ).json()
            return created

    one, two = first_run(), first_run()
    assert (one["id"], one["created_at"]) == (two["id"], two["created_at"])


def test_async_with_and_the_socketless_transport() -> None:
    async def scenario() -> None:
        key = {"X-API-Key": "k"}
        async with (
            Mock(queue_delay_s=0.0) as mock,
            httpx.AsyncClient(transport=mock.transport, base_url="http://m", headers=key) as http,
        ):
            created = (
                await http.post(f"/v1/workflows/{QA.id}/runs", json={"input": QUESTION})
            ).json()
            mock.advance(60, "k")
            polled = await http.get(f"/v1/workflows/{QA.id}/runs/{created['id']}")
            assert polled.json()["output"] == ANSWER
            events = await http.get(f"/v1/runs/{created['id']}/events")
            assert '"workflow_status":"completed"' in events.text
        with pytest.raises(RuntimeError, match="not running"):
            mock.advance(1)

    asyncio.run(scenario())


def test_the_sync_transport_and_settings_as_arguments() -> None:
    with Mock(strict_workflows=True) as mock:
        with httpx.Client(transport=mock.transport, base_url="http://mock") as http:
            unknown = http.get(
                "/v1/workflows/00000000-0000-4000-8000-000000000000",
                headers={"X-API-Key": "k"},
            )
            assert unknown.status_code == 404  # strict: no generated workflow
        assert mock.settings.strict_workflows and mock.settings.clock == "manual"


def test_freeze_stops_a_running_clock() -> None:
    with Mock(clock="system", speed=100) as mock:
        assert mock.clock()["frozen"] is False
        frozen = mock.freeze()
        time.sleep(0.05)  # five simulated seconds, were the clock running
        assert frozen["frozen"] is True and mock.clock()["now"] == frozen["now"]
        mock.freeze(False)
        time.sleep(0.05)
        assert mock.clock()["now"] > frozen["now"]
