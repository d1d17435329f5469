"""The suite's pre-flight: a base URL that is malformed, or where nothing answers HTTP, is
one line and exit code 6 within seconds, before any test runs."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from contract_tests import preflight


@pytest.mark.parametrize(
    ("base_url", "says"),
    [
        ("http://127.0.0.1:1", "cannot be reached"),
        ("not-a-url", "is not an http(s) URL"),
        ("ftp://127.0.0.1:21", "is not an http(s) URL"),
        ("http://[::1", "is not a URL"),
    ],
)
def test_a_bad_base_url_is_one_line_and_its_own_exit_code(base_url: str, says: str) -> None:
    started = time.monotonic()
    command = [sys.executable, "-m", "contract_tests", "--base-url", base_url, "--api-key", "k"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == preflight.UNREACHABLE, done.stdout[-2000:] + done.stderr[-2000:]
    assert done.stdout == "", done.stdout[-2000:]
    [line] = done.stderr.splitlines()
    assert says in line and "nothing was checked" in line, line
    assert time.monotonic() - started < 15


def test_a_silent_listener_is_reported_within_the_probe_timeout() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(preflight.TargetError, match="did not answer within 0.5 s"):
            preflight.check(url, timeout=0.5)
        assert time.monotonic() - started < 3


def test_plain_pytest_gets_the_same_exit_code() -> None:
    command = [sys.executable, "-m", "pytest", "contract_tests", "-p", "no:cacheprovider"]
    command += ["--base-url", "http://127.0.0.1:1", "--api-key", "k", "-q"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == preflight.UNREACHABLE, done.stdout[-2000:] + done.stderr[-2000:]
    assert "cannot be reached" in done.stdout + done.stderr


def test_the_help_says_what_the_exit_codes_mean() -> None:
    command = [sys.executable, "-m", "contract_tests", "--help"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert f"  {preflight.UNREACHABLE}  --base-url is malformed" in done.stdout, done.stdout
