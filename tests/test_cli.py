"""`mockserver serve` as a user starts it: a real process, stopped by its PID."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from mockserver.process import running_mock
from tests.conftest import QA


def test_serve_prints_where_it_listens_and_answers_the_curl_it_shows() -> None:
    with running_mock(env={"MOCKSERVER_SPEED": "50"}, output=subprocess.PIPE) as mock:
        base = mock.url
        headers = {"X-API-Key": "dev-key"}
        created = httpx.post(
            f"{base}/v1/workflows/{QA.id}/runs",
            json={"input": {"User Question": "What is machine learning?"}},
            headers=headers,
        )
        assert created.status_code == 200
        time.sleep(0.2)  # 3.5 simulated seconds at speed 50
        polled = httpx.get(
            f"{base}/v1/workflows/{QA.id}/runs/{created.json()['id']}", headers=headers
        )
        assert polled.json()["status"] == "completed"
    output, _ = mock.proc.communicate(timeout=10)
    assert base in output
    assert f"{base}/ui/" in output
    assert f"curl -s -X POST {base}/v1/workflows/{QA.id}/runs" in output
    assert "x50" in output


def test_a_bad_setting_is_a_clear_error_not_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--speed", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "error: speed must be > 0" in result.stderr
    assert "Traceback" not in result.stderr
