"""openapi.yaml as a new user takes it home: both popular generators, default options.

The Python client (openapi-python-client, pinned in the dev extras) and the TypeScript
types (openapi-typescript with openapi-fetch, pinned in clients/package-lock.json) are
generated into a temp folder; each program of tests/clients/ is type-checked (mypy
--strict, tsc --strict) and run against a live mock: create -> poll to completed and
read output["Answer"], list a page, stop a finished run (409), send `{}` (422).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.process import MockProcess, running_mock
from tests.conftest import QA

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
PROGRAMS = Path(__file__).resolve().parent / "clients"
NODE_BIN = ROOT / "clients" / "node_modules" / ".bin"
VENV_BIN = Path(sys.executable).parent
TSCONFIG = """{
  "compilerOptions": {
    "strict": true, "target": "es2022", "module": "nodenext", "moduleResolution": "nodenext",
    "lib": ["es2022", "dom"], "types": [], "skipLibCheck": true, "outDir": "out"
  },
  "files": ["drive.ts"]
}
"""

pytestmark = pytest.mark.live


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(command)} failed:\n{output}"
    return output


def _tool(name: str) -> str:
    """A pinned node tool; missing is a failure (CI included), never a skip."""
    found = NODE_BIN / name
    if not found.exists():
        pytest.fail(f"{found} is missing: `make check` installs it (npm ci --prefix clients)")
    return str(found)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockProcess]:
    with running_mock() as started:
        yield started


def _env(mock: MockProcess) -> dict[str, str]:
    return {"MOCK_URL": mock.url, "MOCK_KEY": "generated-client-key", "WORKFLOW_ID": QA.id}


def test_the_python_client_generates_type_checks_and_drives_the_mock(
    tmp_path: Path, mock: MockProcess
) -> None:
    generator = str(VENV_BIN / "openapi-python-client")
    package = tmp_path / "noxus_runs_client"
    command = [generator, "generate", "--path", str(SPEC), "--meta", "none"]
    output = _run([*command, "--output-path", str(package)], tmp_path)
    assert "Warning" not in output, output  # e.g. a `$ref`-ed callback it cannot read
    shutil.copy(PROGRAMS / "drive.py", tmp_path)
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "drive.py"]
    _run(mypy, tmp_path, {"MYPYPATH": str(tmp_path)})
    ran = _run([sys.executable, "drive.py"], tmp_path, {**_env(mock), "PYTHONPATH": str(tmp_path)})
    assert "python client: ok" in ran


def test_the_typescript_client_generates_type_checks_and_drives_the_mock(
    tmp_path: Path, mock: MockProcess
) -> None:
    generator, tsc = _tool("openapi-typescript"), _tool("tsc")
    output = _run([generator, str(SPEC), "--output", "api.d.ts"], tmp_path)
    assert "⚠" not in output and "Warning" not in output, output
    shutil.copy(PROGRAMS / "drive.ts", tmp_path)
    (tmp_path / "tsconfig.json").write_text(TSCONFIG)
    (tmp_path / "node_modules").symlink_to(NODE_BIN.parent)  # openapi-fetch, for tsc and node
    _run([tsc, "-p", "tsconfig.json"], tmp_path)
    ran = _run(["node", "out/drive.js"], tmp_path, _env(mock))
    assert "typescript client: ok" in ran
