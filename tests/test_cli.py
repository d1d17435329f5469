"""`mockserver serve` as a user starts it: a real process, stopped by its PID."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from mockserver.process import running_mock
from tests.conftest import QA
from tests.test_scenarios import SAMPLE


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


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (None, "cannot read"),
        ("paths: [unclosed\n", "not valid YAML"),
        ('{"openapi": "3.0.3", "paths": {', "not valid JSON"),
        ('{"swagger": "2.0", "paths": {}}', "not an OpenAPI 3.0 or 3.1 document"),
        # a document may have no RunStatus (the documented lifecycle then), not another one
        (
            '{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},'
            ' "components": {"schemas": {"RunStatus": {"type": "string", "enum": ["queued"],'
            ' "x-transitions": {"queued": ["done"]}}}}}',
            "RunStatus x-transitions",
        ),
    ],
)
def test_a_spec_the_mock_cannot_serve_is_a_clear_error_not_a_traceback(
    tmp_path: Path, content: str | None, said: str
) -> None:
    spec = tmp_path / "openapi.yaml"
    if content is not None:
        spec.write_text(content)
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "MOCKSERVER_SPEC_PATH": str(spec)},
    )
    assert result.returncode == 2, result.stderr
    assert "error: the spec cannot be served:" in result.stderr
    assert f"{spec}: {said}" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_banner_and_the_control_api_list_the_loaded_workflows_with_their_ids() -> None:
    """A workflows file's ids are uuid5 of a private namespace: nobody can compute them."""
    sample = str(SAMPLE)
    env = {"MOCKSERVER_STRICT_WORKFLOWS": "true"}  # unknown ids are 404: the ids must be right
    with running_mock("--workflows", sample, env=env, output=subprocess.PIPE) as mock:
        listed = httpx.get(f"{mock.url}/_mock/workflows").json()
        invoice = next(wf for wf in listed if wf["name"] == "Invoice extraction")
        assert (invoice["inputs"], invoice["outputs"]) == (["Invoice"], ["Fields", "Total"])
        created = httpx.post(
            f"{mock.url}/v1/workflows/{invoice['id']}/runs",
            json={"input": {"Invoice": "inv-1.pdf"}},
            headers={"X-API-Key": "dev-key"},
        )
        assert created.status_code == 200, created.text
        unknown = httpx.post(
            f"{mock.url}/v1/workflows/{uuid.uuid4()}/runs",
            json={"input": {}},
            headers={"X-API-Key": "dev-key"},
        )
        assert unknown.status_code == 404
    output, _ = mock.proc.communicate(timeout=10)
    for workflow in listed:
        assert f"{workflow['id']}  {workflow['name']}" in output
    assert f"{mock.url}/_mock/workflows" in output


@pytest.mark.parametrize(
    ("args", "env", "newline_path"),
    [
        ((), {}, 422),
        (("--engine", "connexion"), {}, 404),
        ((), {"MOCKSERVER_ENGINE": "connexion"}, 404),
    ],
    ids=["default compiled", "--engine connexion", "MOCKSERVER_ENGINE"],
)
def test_the_engine_is_chosen_by_option_or_variable(
    args: tuple[str, ...], env: dict[str, str], newline_path: int
) -> None:
    with running_mock(*args, env=env) as mock:
        headers = {"X-API-Key": "dev-key"}
        created = httpx.post(
            f"{mock.url}/v1/workflows/{QA.id}/runs", json={"input": {}}, headers=headers
        )
        assert created.status_code == 200
        assert httpx.get(f"{mock.url}/v1/nodes", headers={"X-API-Key": "invalid"}).json() == {
            "detail": "Invalid X-API-Key"
        }
        # The one answer the engines are known to differ on (tests/test_engines.py): which
        # one served. connexion's mount pattern matches no newline in a path.
        odd = httpx.get(f"{mock.url}/v1/workflows/%0A", headers=headers)
        assert odd.status_code == newline_path


def test_serve_help_names_the_engine_option_and_its_variable() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "--engine {compiled,connexion}" in result.stdout
    assert "MOCKSERVER_ENGINE" in result.stdout
