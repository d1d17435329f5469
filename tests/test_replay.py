"""Record a run through `mockserver proxy --record`, replay it with `serve --replay`: the
replayed run goes the same way (status sequence, output, error, SSE events, duration) on
the replaying mock's clock, and the cassette holds neither the key nor the callback URL."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_proxy.proxy import ContractProxy
from contract_proxy.recorder import Recorder
from contract_tests.receiver import receiving
from mockserver import Settings
from mockserver.core.cassette import Cassette, CassetteError
from tests.conftest import QA, asgi_server, free_port, serving

pytestmark = [pytest.mark.live, pytest.mark.timeout(120)]
SECRET = "secret-key-never-written"
RUNS = f"/v1/workflows/{QA.id}/runs"
TERMINAL = {"completed", "failed", "stopped"}


def follow(base: str, key: str, created: dict[str, Any]) -> tuple[list[str], dict[str, Any], str]:
    """Poll to the end while reading the stream: distinct statuses (the create's first),
    the last view, the SSE text."""
    run_id = created["id"]
    headers = {"X-API-Key": key}
    streamed: list[str] = []
    reader = threading.Thread(
        target=lambda: streamed.append(
            httpx.get(f"{base}/v1/runs/{run_id}/events", headers=headers, timeout=30).text
        )
    )
    reader.start()
    statuses: list[str] = [created["status"]]
    deadline = time.monotonic() + 20
    view: dict[str, Any] = {}
    while time.monotonic() < deadline:
        view = httpx.get(f"{base}{RUNS}/{run_id}", headers=headers).json()
        if not statuses or statuses[-1] != view["status"]:
            statuses.append(view["status"])
        if view["status"] in TERMINAL:
            break
        time.sleep(0.01)
    reader.join(30)
    return statuses, view, streamed[0] if streamed else ""


def events_of(text: str, run_id: str) -> list[Any]:
    """The stream's events without what differs between two runs (ids, the run id)."""
    found = []
    for line in text.splitlines():
        if line.startswith("data: "):
            data = json.loads(line[6:])["data"]
            found.append(json.loads(json.dumps(data).replace(run_id, "<run>")))
    return found


def error_of(view: dict[str, Any]) -> Any:
    return view["progress_details"]["run_logs"].get("error")


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    cassette = tmp_path_factory.mktemp("cassette") / "runs.json"
    # speed 5: 3 simulated seconds last 0.6 s, so the polls surely see it running
    with serving(Settings(speed=5.0)) as mock, ExitStack() as stack:
        receiver = stack.enter_context(receiving(None, 0))
        port = free_port()
        proxy = ContractProxy(
            mock.url, public=f"http://127.0.0.1:{port}", recorder=Recorder(cassette)
        )
        url = stack.enter_context(asgi_server(proxy, port))
        callback, token = receiver.new_url()
        created = httpx.post(
            url + RUNS,
            headers={"X-API-Key": SECRET, "Prefer": "duration=3s, outcome=failed"},
            json={"input": {"User Question": "recorded?"}, "callback_url": callback},
        ).json()
        statuses, view, stream = follow(url, SECRET, created)
        assert receiver.wait_for(token, 1, 10), "no webhook through the proxy"
        time.sleep(0.2)
        violations = proxy.log.total
    yield {
        "path": cassette,
        "text": cassette.read_text(),
        "run": created,
        "statuses": statuses,
        "view": view,
        "events": events_of(stream, created["id"]),
        "callback": callback,
        "violations": violations,
    }


def test_the_recording_is_clean_and_holds_no_key_and_no_callback(recorded: dict) -> None:  # type: ignore[type-arg]
    text = recorded["text"]
    assert recorded["violations"] == 0
    assert SECRET not in text
    assert recorded["callback"] not in text and "/hook/" not in text and "_proxy" not in text
    (entry,) = json.loads(text)["runs"]
    assert entry["name"] == recorded["run"]["id"]
    assert [v["status"] for v in entry["views"]][-1] == "failed"
    offsets = [v["offset_s"] for v in entry["views"]] + [e["offset_s"] for e in entry["events"]]
    assert all(o >= 0 for o in offsets) and entry["webhook"]["status"] == "failed"
    assert len(entry["events"]) == len(recorded["events"])


def test_a_matching_create_replays_the_recorded_run_at_speed_10(recorded: dict) -> None:  # type: ignore[type-arg]
    with serving(Settings(speed=10.0, replay_path=recorded["path"])) as mock:
        # same workflow and input, no Prefer: the recording decides
        answer = httpx.post(
            mock.url + RUNS,
            headers={"X-API-Key": "k"},
            json={"input": {"User Question": "recorded?"}},
        )
        assert answer.headers["preference-applied"] == f"replay={recorded['run']['id']}"
        run = answer.json()
        started = time.monotonic()
        statuses, view, stream = follow(mock.url, "k", run)
        took = time.monotonic() - started
    assert statuses == recorded["statuses"] == ["queued", "running", "failed"]
    assert view["output"] == recorded["view"]["output"] == {}
    assert error_of(view) == error_of(recorded["view"]) and error_of(view)
    assert events_of(stream, run["id"]) == recorded["events"]
    assert 0.15 < took < 3, took  # 3 simulated seconds at speed 10

    def length(v: dict[str, Any]) -> float:
        return (
            datetime.fromisoformat(v["finished_at"]) - datetime.fromisoformat(v["created_at"])
        ).total_seconds()

    assert abs(length(view) - length(recorded["view"])) < 0.05


def test_prefer_replay_names_a_run_and_the_manual_clock_drives_it(recorded: dict) -> None:  # type: ignore[type-arg]
    name = recorded["run"]["id"]
    with serving(Settings(clock="manual", replay_path=recorded["path"])) as mock:
        key = {"X-API-Key": "k"}
        other = httpx.post(mock.url + RUNS, headers=key, json={"input": {"User Question": "new"}})
        assert "preference-applied" not in other.headers  # no match: as without a cassette
        run = httpx.post(
            mock.url + RUNS,
            headers={**key, "Prefer": f"replay={name}"},
            json={"input": {"User Question": "anything"}},
        ).json()
        poll = f"{mock.url}{RUNS}/{run['id']}"
        assert httpx.get(poll, headers=key).json()["status"] == "queued"  # frozen clock
        httpx.post(f"{mock.url}/_mock/clock/advance", json={"seconds": 4})
        assert httpx.get(poll, headers=key).json()["status"] == "failed"
        assert (
            httpx.get(f"{mock.url}{RUNS}/{other.json()['id']}", headers=key).json()["status"]
            == "completed"
        )


def test_a_broken_cassette_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CassetteError, match="version"):
        Cassette.parse('{"runs": []}')
    with pytest.raises(CassetteError, match="lacks"):
        Cassette.parse('{"version": 1, "runs": [{"name": "x"}]}')


@pytest.mark.parametrize("stored", ["memory", "sqlite"])
def test_a_recorded_output_is_served_as_recorded(tmp_path: Path, stored: str) -> None:
    """A real backend's output is its own, not what the mock's workflow would render
    (kept in the state file too)."""
    views = [
        {
            "status": "queued",
            "progress": 0,
            "output": {},
            "finished_at": None,
            "created_at": "2026-01-01T00:00:00+00:00",
            "offset_s": 0.0,
        },
        {
            "status": "completed",
            "progress": 100,
            "output": {"Answer": "from staging"},
            "finished_at": "2026-01-01T00:00:02+00:00",
            "created_at": "2026-01-01T00:00:00+00:00",
            "offset_s": 2.0,
        },
    ]
    entry = {
        "name": "staging-1",
        "views": views,
        "events": [],
        "webhook": None,
        "request": {"workflow_id": QA.id, "body": {"input": {"User Question": "q"}}},
    }
    cassette = tmp_path / "staging.json"
    cassette.write_text(json.dumps({"version": 1, "runs": [entry]}))
    state = str(tmp_path / "state.db") if stored == "sqlite" else None
    with serving(Settings(clock="manual", replay_path=cassette, state=state)) as mock:
        key = {"X-API-Key": "k"}
        run = httpx.post(mock.url + RUNS, headers=key, json={"input": {"User Question": "q"}})
        assert run.headers["preference-applied"] == "replay=staging-1"
        httpx.post(f"{mock.url}/_mock/clock/advance", json={"seconds": 1})
        poll = f"{mock.url}{RUNS}/{run.json()['id']}"
        assert httpx.get(poll, headers=key).json()["status"] == "running"
        httpx.post(f"{mock.url}/_mock/clock/advance", json={"seconds": 1.01})
        done = httpx.get(poll, headers=key).json()
    assert done["status"] == "completed"
    assert done["output"] == {"Answer": "from staging"}


def test_a_recorded_error_is_served_as_recorded(tmp_path: Path) -> None:
    created = "2026-01-01T00:00:00+00:00"
    views = [
        {"status": "queued", "progress": 0, "output": {}, "created_at": created},
        {
            "status": "failed",
            "progress": 33,
            "output": {},
            "created_at": created,
            "finished_at": "2026-01-01T00:00:01+00:00",
        },
    ]
    webhook = {"status": "failed", "error": "staging said no", "started_at": created}
    entry = {
        "name": "staging-2",
        "views": views,
        "events": [],
        "webhook": webhook,
        "request": {"workflow_id": QA.id, "body": {"input": {}}},
    }
    cassette = tmp_path / "staging.json"
    cassette.write_text(json.dumps({"version": 1, "runs": [entry]}))
    with serving(Settings(clock="manual", replay_path=cassette)) as mock:
        key = {"X-API-Key": "k"}
        run = httpx.post(mock.url + RUNS, headers=key, json={"input": {}}).json()
        httpx.post(f"{mock.url}/_mock/clock/advance", json={"seconds": 1.01})
        done = httpx.get(f"{mock.url}{RUNS}/{run['id']}", headers=key).json()
    assert done["status"] == "failed" and error_of(done) == ["staging said no"]


def test_serve_refuses_a_cassette_it_cannot_read(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    for path in (bad, tmp_path / "missing.json"):
        done = subprocess.run(
            [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--replay", str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert "error: the cassette cannot be used" in done.stderr
