"""The README's promises that code can check."""

from __future__ import annotations

from pathlib import Path

from mockserver.core.workflows import BUILTIN

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_readme_opens_with_the_two_setup_commands() -> None:
    block = README.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split()[:2] for line in block] == [["make", "serve"], ["make", "test"]]


def test_readme_lists_every_builtin_workflow_by_its_real_id() -> None:
    for workflow in BUILTIN:
        assert f"| `{workflow.id}` | {workflow.name} |" in README
