"""SSE: the run's events, computed from its timeline, over a live server."""

from __future__ import annotations

import json
import threading

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from apicontract.spec import Spec
from mockserver import Settings
from mockserver.core import event_log
from mockserver.core.event_log import Event, EventCursor, parse_event_id, run_events
from mockserver.core.lifecycle import Step, Timeline
from mockserver.engine.sse import frame
from tests import sse
from tests.conftest import KEY, OTHER_KEY, QA, LiveServer

SPEC = Spec(Settings().spec_path)
T0 = 1_767_225_600.0


def test_frame_encoding() -> None:
    event = Event("1767225600500-1", T0, "content", {"id": "a", "status": "running"})
    assert frame(event) == (
        b"event: message\nid: 1767225600500-1\n"
        b'data: {"type":"content","data":{"id":"a","status":"running"},'
        b'"redisId":"1767225600500-1"}\n\n'
    )


def test_events_are_ordered_spec_valid_and_end_with_the_terminal_status() -> None:
    timeline = Timeline.plan(
        T0, 0.5, (Step("a", 1), Step("b", 0)), outcome="failed", fail_at="b", error="x"
    )
    log = run_events("3c90c3cc-0d44-4b50-8888-8dd25736052a", timeline, T0 + 100)
    ids = [parse_event_id(e.id) for e in log]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    for event in log:
        assert SPEC.errors("RunEvent", event.body()) == [], event
    assert [e.final for e in log].count(True) == 1 and log[-1].final
    assert log[-1].data["workflow_status"] == "failed"
    # released as the clock reaches them, never ahead
    assert run_events("r", timeline, T0 + 0.4) == log[:1]


def test_stopping_only_appends_to_the_log() -> None:
    timeline = Timeline.plan(T0, 0.5, (Step("a", 1), Step("b", 1)))
    before = run_events("r", timeline, T0 + 1)
    after = run_events("r", timeline.stop(T0 + 1.2), T0 + 100)
    assert after[: len(before)] == before
    assert after[-1].data["workflow_status"] == "stopped"


@given(
    cuts=st.lists(st.floats(0, 12, allow_nan=False), max_size=8),
    stop_at=st.none() | st.floats(0.1, 10, allow_nan=False),
)
def test_a_cursor_yields_each_event_once_whatever_the_wake_ups(
    cuts: list[float], stop_at: float | None
) -> None:
    timeline = Timeline.plan(T0, 0.5, (Step("a", 1), Step("b", 2), Step("c", 3)))
    cursor, seen = EventCursor("r"), []
    for at in sorted(cuts):
        if stop_at is not None and at >= stop_at and not timeline.snapshot_at(T0 + at).terminal:
            timeline = timeline.stop(T0 + at)  # a stop between wake-ups rewrites only the future
        seen += cursor.released(timeline, T0 + at)
    seen += cursor.released(timeline, T0 + 100)
    assert seen == run_events("r", timeline, T0 + 100)
    assert cursor.finished and cursor.released(timeline, T0 + 200) == []


def _create(server: LiveServer, headers: dict[str, str] | None = None) -> dict[str, str]:
    response = httpx.post(
        f"{server.url}/v1/workflows/{QA.id}/runs",
        json={"input": {"User Question": "hi"}},
        headers={**KEY, **(headers or {})},
    )
    assert response.status_code == 200
    return dict(response.json())


@pytest.mark.parametrize("outcome", ["completed", "failed"])
def test_a_live_stream_follows_the_run_and_agrees_with_polling(
    live_server: LiveServer, outcome: str
) -> None:
    run = _create(live_server, {"Prefer": f"outcome={outcome}"})
    stream = sse.read(f"{live_server.url}/v1/runs/{run['id']}/events", KEY)
    assert stream.status == 200 and stream.content_type.startswith("text/event-stream")
    assert all(f["event"] == "message" and f["id"] for f in stream.frames)
    bodies = stream.bodies
    for body, raw in zip(bodies, stream.frames, strict=True):
        assert SPEC.errors("RunEvent", body) == []
        assert body["redisId"] == raw["id"]
    states = [b["data"]["status"] for b in bodies if b["type"] == "state"]
    assert states[0] == "queued" and "running" in states and states[-1] == outcome
    progress = [b["data"]["progress"] for b in bodies if b["type"] == "state"]
    assert progress == sorted(progress)
    assert bodies[-1]["data"]["workflow_status"] == outcome
    polled = httpx.get(
        f"{live_server.url}/v1/workflows/{QA.id}/runs/{run['id']}", headers=KEY
    ).json()
    assert polled["status"] == outcome
    assert polled["progress_details"] == next(
        b["data"]["progress_details"] for b in reversed(bodies) if b["type"] == "state"
    )


def test_a_live_stream_reads_each_moment_once(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # O(n) per stream: a stream woken at every moment must not rebuild its log from moment 0.
    reads: list[object] = []
    original = event_log._moment_events

    def counted(run_id: str, moment: object) -> object:
        reads.append(moment)
        return original(run_id, moment)  # type: ignore[arg-type]

    monkeypatch.setattr(event_log, "_moment_events", counted)
    run = _create(live_server, {"Prefer": "duration=40s"})  # 2 s real at speed 20
    frames = sse.read(f"{live_server.url}/v1/runs/{run['id']}/events", KEY).frames
    states = [f for f in frames if json.loads(f["data"])["type"] == "state"]
    assert len(states) >= 5  # one state event per moment: queued, 3 nodes, completed
    assert len(reads) == len(states), f"{len(reads)} moment reads for {len(states)} moments"


def test_a_finished_run_replays_and_resume_yields_exactly_the_later_events(
    live_server: LiveServer,
) -> None:
    run = _create(live_server)
    url = f"{live_server.url}/v1/runs/{run['id']}/events"
    full = sse.read(url, KEY).frames
    replay = sse.read(url, KEY).frames
    assert replay == full
    cut = full[3]["id"]
    assert sse.read(url, KEY, params={"etag": cut}).frames == full[4:]
    assert sse.read(url, {**KEY, "Last-Event-ID": cut}).frames == full[4:]
    assert sse.read(url, KEY, params={"etag": full[-1]["id"]}).frames == []


def test_stop_during_a_stream_ends_it_stopped(live_server: LiveServer) -> None:
    run = _create(live_server, {"Prefer": "duration=20s"})  # 1 s real at speed 20
    url = f"{live_server.url}/v1/runs/{run['id']}/events"
    stopped = threading.Event()

    def stop_once_running(frame: dict[str, str]) -> None:
        body = json.loads(frame["data"])
        if body["data"].get("status") == "running" and not stopped.is_set():
            stopped.set()
            httpx.post(f"{live_server.url}/v1/runs/{run['id']}/stop", headers=KEY)

    stream = sse.read(url, KEY, on_frame=stop_once_running)
    assert stream.bodies[-1]["data"]["workflow_status"] == "stopped"


def test_another_workspace_gets_404_and_bad_etag_422(live_server: LiveServer) -> None:
    run = _create(live_server)
    url = f"{live_server.url}/v1/runs/{run['id']}/events"
    assert sse.read(url, OTHER_KEY).status == 404
    assert sse.read(url, KEY, params={"etag": "yesterday"}).status == 422


MANUAL = Settings(clock="manual", sse_keepalive_s=0.05)


@pytest.mark.parametrize("live_server", [MANUAL], indirect=True)
def test_manual_clock_releases_events_only_when_advanced_with_keepalives(
    live_server: LiveServer,
) -> None:
    run = _create(live_server)
    url = f"{live_server.url}/v1/runs/{run['id']}/events"
    waiting = sse.read(url, KEY, max_comments=2)
    assert waiting.comments == [": ping", ": ping"]
    assert [json.loads(f["data"])["data"]["status"] for f in waiting.frames] == ["queued"]
    result: dict[str, sse.Stream] = {}
    reader = threading.Thread(target=lambda: result.setdefault("s", sse.read(url, KEY)))
    reader.start()
    for _ in range(8):
        httpx.post(f"{live_server.url}/_mock/clock/advance", json={"seconds": 0.5})
    reader.join(timeout=10)
    assert result["s"].bodies[-1]["data"]["workflow_status"] == "completed"


@pytest.mark.parametrize("live_server", [MANUAL], indirect=True)
def test_hundreds_of_open_streams_cost_no_thread_each(live_server: LiveServer) -> None:
    import asyncio

    runs = [_create(live_server)["id"] for _ in range(5)]
    baseline = threading.active_count()
    counts: dict[str, int] = {}

    async def hold_streams() -> int:
        limits = httpx.Limits(max_connections=300)
        async with httpx.AsyncClient(timeout=10, limits=limits) as client:
            ctxs = [
                client.stream("GET", f"{live_server.url}/v1/runs/{runs[i % 5]}/events", headers=KEY)
                for i in range(200)
            ]
            responses = await asyncio.gather(*(c.__aenter__() for c in ctxs))
            opened = sum(r.status_code == 200 for r in responses)
            counts["threads"] = threading.active_count()
            async with httpx.AsyncClient() as control:
                await control.post(f"{live_server.url}/_mock/clock/advance", json={"seconds": 60})
            finals = 0
            for response in responses:
                async for line in response.aiter_lines():
                    if "workflow_status" in line:
                        finals += 1
            await asyncio.gather(*(c.__aexit__(None, None, None) for c in ctxs))
            assert finals == opened
            return opened

    assert asyncio.run(hold_streams()) == 200
    assert counts["threads"] <= baseline + 2
