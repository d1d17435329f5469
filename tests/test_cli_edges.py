"""The commands at their edges: a port in use, Ctrl+C, --help naming the variables, --spec,
and `mockserver receive` printing what arrives."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import pytest

from mockserver.process import free_port, running_mock, stop
from tests.conftest import QA

MOCKSERVER = [sys.executable, "-m", "mockserver"]


@pytest.mark.parametrize("command", [["serve"], ["proxy", "--upstream", "http://x"], ["receive"]])
def test_a_port_in_use_is_one_line_naming_it_and_exit_2(command: list[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*MOCKSERVER, *command, "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stdout == ""  # no banner saying it runs
    assert result.stderr.splitlines() == [
        f"error: port {port} on 127.0.0.1 is already in use (another mock?); "
        "choose one with --port"
    ]


def test_ctrl_c_ends_the_mock_quietly() -> None:
    with running_mock(output=subprocess.PIPE) as mock:
        mock.proc.send_signal(signal.SIGINT)
        output, _ = mock.proc.communicate(timeout=20)
    assert mock.proc.returncode == 0
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    assert output.rstrip().endswith("Stop with Ctrl+C.")


@contextmanager
def printing(*args: str) -> Iterator[IO[str]]:
    """`mockserver ARGS` in its own process group; its output, line by line."""
    proc = subprocess.Popen(
        [*MOCKSERVER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    try:
        yield proc.stdout
    finally:
        stop(proc)
        proc.stdout.close()


def test_port_0_prints_the_port_it_got() -> None:
    with printing("serve", "--port", "0") as output:
        first = output.readline()
        url = first.split()[4]
        assert not url.endswith(":0"), first
        assert httpx.get(f"{url}/_mock/health", timeout=5).status_code == 200  # bound already


@pytest.mark.parametrize(
    ("command", "variables"),
    [
        (
            [*MOCKSERVER, "serve"],
            ["MOCKSERVER_SPEC_PATH", "MOCKSERVER_PORT", "MOCKSERVER_QUEUE_DELAY_S"],
        ),
        ([*MOCKSERVER, "proxy"], ["MOCKSERVER_SPEC_PATH"]),
        ([sys.executable, "-m", "contract_tests"], ["CONTRACT_SPEC", "CONTRACT_BASE_URL"]),
    ],
)
def test_help_names_the_environment_variables(command: list[str], variables: list[str]) -> None:
    shown = subprocess.run(
        [*command, "--help"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    flat = " ".join(shown.split())
    assert "--spec" in flat
    for name in variables:
        assert name in flat, name


def test_the_contract_suite_refuses_a_spec_that_is_not_there(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "contract_tests", "--spec", str(tmp_path / "missing.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "missing.yaml: no such file" in result.stdout + result.stderr


def test_receive_prints_each_webhook_the_mock_delivers() -> None:
    port = free_port()
    with printing("receive", "--port", str(port), "--secret", "s3") as output:
        assert "Receiving webhooks on" in output.readline()
        with running_mock("--speed", "50", "--webhook-secret", "s3") as mock:
            created = httpx.post(
                f"{mock.url}/v1/workflows/{QA.id}/runs",
                json={
                    "input": {"User Question": "hi"},
                    "callback_url": f"http://127.0.0.1:{port}/h",
                },
                headers={"X-API-Key": "k"},
            ).json()
            deadline = time.monotonic() + 10
            while not httpx.get(f"{mock.url}/_mock/webhooks?api_key=k").json()["deliveries"]:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            first = [output.readline() for _ in range(3)]
    assert first[0].startswith("POST /h  X-Noxus-Delivery-Id: ")
    assert first[1].strip().endswith("(valid)")  # the signature checked with --secret
    assert first[2].strip() == "{"
    assert created["id"]


def test_the_settings_page_names_every_setting() -> None:
    from dataclasses import fields

    from mockserver.settings import ENV_PREFIX, Settings

    page = (Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text()
    for field in fields(Settings):
        assert f"`{ENV_PREFIX}{field.name.upper()}" in page, field.name
