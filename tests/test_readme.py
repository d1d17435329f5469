"""The README's and the docs' promises that code can check, the walkthrough page pasted
into bash included."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mockserver.cli import banner
from mockserver.core.workflows import BUILTIN
from mockserver.process import free_port, running_mock, stop
from mockserver.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
WALKTHROUGH = (ROOT / "docs" / "walkthrough.md").read_text()
PAGES = WALKTHROUGH + (ROOT / "docs" / "scenarios.md").read_text()
SHELL_BLOCKS = re.findall(r"```sh\n(.*?)```", PAGES, flags=re.DOTALL)
BASE = "BASE=http://127.0.0.1:4010\n"
RECEIVER = "http://127.0.0.1:9000"


def _block(marker: str) -> str:
    return next(block for block in SHELL_BLOCKS if marker in block)


def _words(command: str) -> list[str]:
    return command.replace("\\\n", " ").split()


def test_readme_opens_with_the_two_setup_commands() -> None:
    block = re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)[0].splitlines()
    assert [line.split()[:2] for line in block] == [["make", "serve"], ["make", "test"]]


def test_readme_is_short_and_links_to_the_docs_site() -> None:
    assert len(README.splitlines()) <= 150
    assert "docs/walkthrough.md" in README


def test_walkthrough_lists_every_builtin_workflow_by_its_real_id() -> None:
    for workflow in BUILTIN:
        assert f"| `{workflow.id}` | {workflow.name} |" in WALKTHROUGH


def test_shell_blocks_carry_no_placeholder_to_fill_in() -> None:
    """Ids go through shell variables: a block pastes as it is."""
    for block in SHELL_BLOCKS:
        assert not re.search(r"<[a-z ]*id>", block), block


def test_the_walkthrough_creates_a_run_with_the_banners_curl() -> None:
    walkthrough = _block("RUN=$(")
    variables = dict(re.findall(r"^(BASE|KEY|WF)=(\S+)", walkthrough, flags=re.MULTILINE))
    create = walkthrough.split("RUN=$(", 1)[1].split("| python3", 1)[0]
    for name, value in variables.items():
        create = create.replace(f"${name}", value)
    shown = banner(Settings(), BUILTIN).split("Try it:\n", 1)[1].split("Stop with", 1)[0]
    assert _words(create) == _words(shown.replace("dev-key", variables["KEY"]))
    assert variables["KEY"] == "dev-key" and variables["WF"] == BUILTIN[0].id


def test_the_walkthrough_runs_as_pasted(tmp_path: Path) -> None:
    """The walkthrough's blocks (create and poll, events, a webhook to `mockserver receive`)
    and the scenario block, pasted in order into one bash, at the mock's real speed."""
    if shutil.which("curl") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("curl is missing (.ci/run installs it)")
        pytest.skip("curl is not installed")
    blocks = [_block("RUN=$("), _block("/events"), _block("callback_url"), _block("PAUSED=$(")]
    assert blocks[0].startswith(BASE)
    receive = _block("mockserver receive").splitlines()[0]
    assert receive == "mockserver receive --port 9000"
    port = free_port()
    prints = (tmp_path / "receiver.out").open("w+")
    receiver = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "receive", "--port", str(port)],
        stdout=prints,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with running_mock() as mock:
            script = "\n".join(blocks).replace(BASE, f"BASE={mock.url}\n", 1)
            (tmp_path / "walkthrough.sh").write_text(
                script.replace(RECEIVER, f"http://127.0.0.1:{port}")
            )
            done = subprocess.run(
                ["bash", "-e", "-o", "pipefail", "walkthrough.sh"],
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=60,
            )
        deadline = time.monotonic() + 10
        while "POST /webhook/noxus" not in (received := (tmp_path / "receiver.out").read_text()):
            assert time.monotonic() < deadline, received
            time.sleep(0.05)
    finally:
        stop(receiver)
        prints.close()
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert json.loads(out.splitlines()[1])["status"] == "queued"  # the first poll, as said
    assert '"Answer":"Mock answer to: What is machine learning?"' in out
    assert "Run is already completed and cannot be stopped" in out
    assert '"workflow_status":"completed"' in out  # the events replay, then the stream ends
    events = [line for line in out.splitlines() if line.startswith("data: ")]
    assert json.loads(events[0].removeprefix("data: "))["type"] == "state"
    assert "% Total" not in done.stderr  # -s: no progress meter
    assert "X-Noxus-Delivery-Id: " in received
    assert '"outputs": {\n' in received and '"status": "completed"' in received
    assert "preference-applied: outcome=failed" in out.lower()
    assert json.loads(out.splitlines()[-1])["status"] == "running"  # the paused run resumed
