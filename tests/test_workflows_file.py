"""The workflows file: the sample loads, and a bad file says where it is wrong."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.workflows_file import WorkflowsFileError, load
from tests.test_scenarios import SAMPLE


def test_the_sample_file_loads() -> None:
    loaded = load(SAMPLE)
    assert [wf.name for wf in loaded.workflows] == ["Invoice extraction", "Translate"]
    assert loaded.include_builtin
    assert len(loaded.workflows[0].rules) == 4
    assert loaded.workflows[0].node("ocr").duration_s == 2.0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "workflows:\n  - slug: x\n    name: X\n    nodes:\n"
            "      - {id: a, kind: inptu, label: A}\n",
            ":5:23: workflows[0].nodes[0].kind:",
        ),
        (
            "workflows:\n  - slug: x\n    name: X\n    nodes:\n"
            "      - {id: a, kind: input, label: A}\n"
            "    rules:\n      - when: {/input/A: 1}\n        then: {fail_at: nope}\n",
            ":8:25: workflows[0].rules[0].then.fail_at: 'nope' is not a node",
        ),
        (
            "workflows:\n  - slug: x\n    name: X\n    nodes:\n"
            "      - {id: o, kind: output, label: O, template: '{{Missing}}'}\n",
            "workflows[0].nodes[0].template: {{Missing}} is not an input label",
        ),
        ("workflows: [\n", ":2:1: not valid YAML"),
        ("workflows:\n  - {slug: x, name: X, nodes: [], colour: red}\n", "colour"),
    ],
)
def test_a_bad_file_is_refused_with_its_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "workflows.yaml"
    path.write_text(text)
    with pytest.raises(WorkflowsFileError) as caught:
        load(path)
    assert expected in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_every_problem_of_the_file_is_reported_at_once(tmp_path: Path) -> None:
    """A node error (the schema's) and a rule error (the cross-check's) in one message."""
    path = tmp_path / "workflows.yaml"
    path.write_text(
        "workflows:\n  - slug: x\n    name: X\n    nodes:\n"
        "      - {id: a, kind: inptu, label: A}\n"
        "      - {id: o, kind: output, label: O, template: '{{Missing}}'}\n"
        "    rules:\n      - when: {/input/A: 1}\n        then: {fail_at: nope}\n"
        "  - {slug: y, name: Y, nodes: [{id: b, kind: input}], default: {pause_at: zz}}\n"
    )
    with pytest.raises(WorkflowsFileError) as caught:
        load(path)
    lines = str(caught.value).splitlines()
    assert len(lines) == 5, lines
    assert ":5:23: workflows[0].nodes[0].kind:" in lines[0]
    assert "workflows[0].nodes[1].template: {{Missing}} is not an input label" in lines[1]
    assert ":9:25: workflows[0].rules[0].then.fail_at: 'nope' is not a node" in lines[2]
    assert all(line.startswith(f"{path}:") for line in lines)
    assert any("label" in line for line in lines[3:])  # the second workflow's node
    assert any("pause_at: 'zz' is not a node" in line for line in lines[3:])


def test_serve_refuses_a_bad_file_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("workflows:\n  - {slug: x, name: X, nodes: [{id: a, kind: nope, label: A}]}\n")
    result = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", "--workflows", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "the workflows file cannot be used" in result.stderr
    assert f"{path}:2:" in result.stderr
    assert "Traceback" not in result.stderr
