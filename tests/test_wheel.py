"""The package as a user gets it: the wheel built from this checkout, installed with its
`[contract]` extra in a venv of its own, used from a directory outside the checkout.

The venv is kept under .venv-wheel/, one per wheel content (a hash of its files), so a
second run with unchanged sources only checks it; a changed source builds a new one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mockserver.process import free_port, stop

ROOT = Path(__file__).resolve().parent.parent
VENVS = ROOT / ".venv-wheel"
SDK = "noxus-sdk==0.6.0"

USER_TEST = """\
from noxus_sdk.client import Client

QA = "239baa8b-4361-5782-9277-a817111bd274"

def test_a_run_completes(noxus_mock):
    client = Client(api_key=noxus_mock.api_key, base_url=noxus_mock.url)
    run = client.workflows.get(QA).run({"User Question": "Is it installed?"})
    noxus_mock.advance(30)
    assert run.wait().status == "completed"
"""


def _content_hash(wheel: Path) -> str:
    """The wheel's files, not its zip (whose timestamps change with every build)."""
    digest = hashlib.sha256()
    with zipfile.ZipFile(wheel) as archive:
        for name in sorted(archive.namelist()):
            if not name.endswith("RECORD"):
                digest.update(name.encode() + b"\0" + archive.read(name))
    return digest.hexdigest()[:16]


def _clean_copy(into: Path) -> Path:
    """The checkout's files (tracked, or new and not ignored) as a fresh clone has them: no
    build/ or *.egg-info/ left by an earlier build, whose file lists setuptools would reuse
    (a package-data file missing from pyproject.toml would still be packed)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        original = ROOT / name
        if original.exists() or original.is_symlink():  # not a deleted, still-tracked file
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(original, into / name, follow_symlinks=False)
    return into


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a venv holding the wheel and its [contract] extra."""
    built = tmp_path_factory.mktemp("wheel")
    source = _clean_copy(tmp_path_factory.mktemp("source"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(built), str(source)],
        check=True,
        timeout=300,
    )
    (wheel,) = built.glob("noxus_runs_mock-*.whl")
    venv = VENVS / _content_hash(wheel)
    bin_dir = venv / "bin"
    if not (venv / ".installed").exists():
        shutil.rmtree(VENVS, ignore_errors=True)  # older wheels' venvs: only one is kept
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
        subprocess.run(
            [str(bin_dir / "python"), "-m", "pip", "install", "-q", f"{wheel}[contract]", SDK],
            check=True,
            timeout=600,
        )
        (venv / ".installed").touch()
    return bin_dir


def _outside(bin_dir: Path) -> dict[str, str]:
    """An environment that sees the venv, not the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_installed_mock_serves_and_passes_the_installed_contract_suite(
    installed: Path, tmp_path: Path
) -> None:
    env = _outside(installed)
    where = subprocess.run(
        [str(installed / "python"), "-c", "import mockserver; print(mockserver.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Path(where.strip()).is_relative_to(installed.parent / "lib"), where  # not the checkout
    port = free_port()
    mock = subprocess.Popen(
        [str(installed / "mockserver"), "serve", "--port", str(port), "--speed", "20"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        banner = mock.stdout.readline() if mock.stdout else b""
        assert f"127.0.0.1:{port}".encode() in banner, banner
        url = f"http://127.0.0.1:{port}"
        suite = subprocess.run(
            [str(installed / "contract-tests"), "-q", "--base-url", url, "--api-key", "wheel-key"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        stop(mock)
        if mock.stdout:
            mock.stdout.close()
    assert suite.returncode == 0, suite.stdout[-3000:] + suite.stderr[-3000:]
    assert " passed" in suite.stdout


def test_a_ten_line_pytest_file_uses_noxus_mock_and_the_sdk(
    installed: Path, tmp_path: Path
) -> None:
    (tmp_path / "test_user.py").write_text(USER_TEST)
    result = subprocess.run(
        [str(installed / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=_outside(installed),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "1 passed" in result.stdout


def test_the_installed_serve_reads_another_spec_given_by_spec(
    installed: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    # Any OpenAPI 3 document is served now: this one's only $ref points at nothing.
    broken.write_text(
        "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {/a: {$ref: '#/nowhere'}}\n"
    )
    result = subprocess.run(
        [str(installed / "mockserver"), "serve", "--port", "0", "--spec", str(broken)],
        cwd=tmp_path,
        env=_outside(installed),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert str(broken) in result.stderr, result.stderr
