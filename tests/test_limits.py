"""Limits and security: every excess is a documented 4xx (or 503), nothing is lost."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from apicontract.spec import Spec
from mockserver import Settings, create_app
from mockserver.core.clock import ManualClock
from tests import sse
from tests.conftest import KEY, QA, LiveServer
from tests.receiver import receiver

SPEC = Spec(Settings().spec_path)
RUNS = f"/v1/workflows/{QA.id}/runs"


def test_a_body_over_the_limit_is_413_declared_or_streamed(client: Any) -> None:
    big = b'{"input": {"x": "' + b"a" * 1_100_000 + b'"}}'
    response = client.post(RUNS, content=big, headers={**KEY, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert SPEC.errors("ErrorMessage", response.json()) == []

    def chunks() -> Any:
        yield b'{"input": {"x": "'
        for _ in range(20):
            yield b"a" * 60_000
        yield b'"}}'

    streamed = client.post(
        RUNS, content=chunks(), headers={**KEY, "Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert client.get("/_mock/health").status_code == 200


def test_huge_headers_are_431(client: Any) -> None:
    response = client.get(RUNS, headers={**KEY, "X-Padding": "p" * 20_000})
    assert response.status_code == 431
    assert "exceed" in response.json()["detail"]


@pytest.mark.parametrize("nesting", [40, 100_000])
def test_deep_json_is_422_never_500(client: Any, nesting: int) -> None:
    body = b'{"input": {"a": ' + b"[" * nesting + b"]" * nesting + b"}}"
    response = client.post(RUNS, content=body, headers={**KEY, "Content-Type": "application/json"})
    assert response.status_code == 422, response.text[:200]
    assert response.json()["detail"][0]["type"] == "too_deep"


def test_the_run_cap_evicts_finished_runs_only_and_journals_it(clock: ManualClock) -> None:
    app = create_app(Settings(max_runs=3), clock=clock)
    with app.test_client() as client:
        first = [client.post(RUNS, json={"input": {}}, headers=KEY).json() for _ in range(3)]
        full = client.post(RUNS, json={"input": {}}, headers=KEY)
        assert full.status_code == 503 and full.headers["Retry-After"] == "5"
        clock.advance(60)  # all three finish
        fourth = client.post(RUNS, json={"input": {}}, headers=KEY)
        assert fourth.status_code == 200
        assert client.get(f"{RUNS}/{first[0]['id']}", headers=KEY).status_code == 404
        assert client.get(f"{RUNS}/{first[1]['id']}", headers=KEY).status_code == 200
        evictions = [
            e for e in client.get("/_mock/journal").json()["entries"] if e["method"] == "EVICT"
        ]
        assert [e["path"] for e in evictions] == [f"/v1/runs/{first[0]['id']}"]


@pytest.mark.parametrize("live_server", [Settings(clock="manual", max_streams=2)], indirect=True)
def test_the_stream_cap_answers_503(live_server: LiveServer) -> None:
    import threading

    run = httpx.post(f"{live_server.url}{RUNS}", json={"input": {}}, headers=KEY).json()
    url = f"{live_server.url}/v1/runs/{run['id']}/events"
    opened = [threading.Event(), threading.Event()]
    holders = [
        threading.Thread(
            target=sse.read, args=(url, KEY), kwargs={"on_frame": lambda f, e=e: e.set()}
        )
        for e in opened
    ]
    for holder in holders:
        holder.start()
    assert all(e.wait(5) for e in opened)
    refused = httpx.get(url, headers=KEY)
    assert refused.status_code == 503 and "Retry-After" in refused.headers
    httpx.post(f"{live_server.url}/_mock/clock/advance", json={"seconds": 60})
    for holder in holders:
        holder.join(timeout=10)
    assert sse.read(url, KEY).status == 200  # closed streams free their slots


def test_the_webhook_allow_list_refuses_other_hosts(clock: ManualClock) -> None:
    app = create_app(Settings(webhook_allow=("127.0.0.1", "*.example.test")), clock=clock)
    with app.test_client() as client:
        refused = client.post(
            RUNS, json={"input": {}, "callback_url": "http://10.0.0.1/x"}, headers=KEY
        )
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body", "callback_url"]
        for url in ("http://127.0.0.1:9/x", "https://hooks.example.test/x"):
            body = {"input": {}, "callback_url": url}
            assert client.post(RUNS, json=body, headers=KEY).status_code == 200


SECRETS = Settings(
    speed=50.0,
    webhook_secret="whsec-NEVER-LOG",
    admin_token="adm-NEVER-LOG",
    webhook_backoff_s=0.01,
)


@pytest.mark.parametrize("live_server", [SECRETS], indirect=True)
def test_no_secret_reaches_logs_or_the_journal(
    live_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    key = {"X-API-Key": "key-NEVER-LOG"}
    admin = {"X-Admin-Token": "adm-NEVER-LOG"}
    with receiver(fail_first=1) as hook:
        body = {"input": {}, "callback_url": hook.url}
        run = httpx.post(f"{live_server.url}{RUNS}", json=body, headers=key).json()
        sse.read(f"{live_server.url}/v1/runs/{run['id']}/events", key)
        assert hook.got_one.wait(5)
    httpx.post(
        f"{live_server.url}{RUNS}",
        content=b"{bad",
        headers={**key, "Content-Type": "application/json"},
    )
    httpx.get(f"{live_server.url}/v1/nothing", headers={"X-API-Key": "invalid-NEVER-LOG"})
    exposed = [
        httpx.get(f"{live_server.url}/_mock/{path}", headers=admin).text
        for path in ("journal", "webhooks", "faults", "clock")
    ]
    for text in (caplog.text, *exposed):
        assert "NEVER-LOG" not in text
