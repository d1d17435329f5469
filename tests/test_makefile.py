"""What the make targets promise: `make serve` installs only what serving needs, system
packages come without their recommends and after a line saying what and why, and
`make test` builds the docs."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(*targets: str) -> str:
    """`make -n -B`: every command the targets would run, none run."""
    if shutil.which("make") is None:
        pytest.fail("make is missing")
    return subprocess.run(
        ["make", "-n", "-B", *targets], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def test_make_serve_installs_the_package_without_extras() -> None:
    commands = _dry_run("serve")
    installs = re.findall(r"pip install .*", commands)
    assert installs == ["pip install --quiet -e ."], installs


def test_make_test_installs_dev_and_builds_the_docs_strictly() -> None:
    commands = _dry_run("test")
    assert "pip install --quiet -e '.[dev]'" in commands
    assert "mkdocs build --strict" in commands


def test_every_apt_install_skips_recommends_and_says_first_what_and_why() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "apt-get install -y -qq --no-install-recommends" in makefile
    assert "apt-get install -y " not in makefile.replace("-y -qq --no-install-recommends", "")
    for package in ("redis-server", "chromium chromium-driver", "wrk"):
        said = re.search(
            rf'echo "Installing the Debian package[^"]*\b{package.split()[0]}', makefile
        )
        assert said, package
