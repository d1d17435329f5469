"""The workflow catalogue: a few built-in workflows, and a generated one for any other id."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from mockserver.core.scenario import Scenario

NodeKind = Literal["input", "process", "output"]

# Built-in ids are uuid5 of the workflow's slug, so they never change between releases.
_NAMESPACE = uuid.UUID("6a1b0c3e-0f3c-4b8e-9a57-6f0d2d5f8c11")
_TEMPLATE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    kind: NodeKind
    label: str
    # Output nodes only: what they produce, with {{Input label}} placeholders.
    template: str = ""
    # Overrides the default per-node duration (simulated seconds).
    duration_s: float | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """`when` maps JSON pointers into the request body to the values they must equal."""

    when: tuple[tuple[str, Any], ...]
    then: Scenario

    def matches(self, body: Any) -> bool:
        return all(_resolve(body, pointer) == (True, value) for pointer, value in self.when)


def _resolve(document: Any, pointer: str) -> tuple[bool, Any]:
    """RFC 6901: (found, value)."""
    current = document
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return False, None
    return True, current


@dataclass(frozen=True, slots=True)
class Workflow:
    id: str
    name: str
    nodes: tuple[Node, ...]
    description: str = ""

    # The workflow's own default scenario and rules (from a workflows file).
    default: Scenario = field(default_factory=Scenario)
    rules: tuple[Rule, ...] = ()

    def node(self, node_id: str) -> Node:
        return next(node for node in self.nodes if node.id == node_id)

    def scenario_for(self, body: Any) -> Scenario:
        """The first matching rule's scenario over the workflow default."""
        for rule in self.rules:
            if rule.matches(body):
                return rule.then.over(self.default)
        return self.default

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(node.id for node in self.nodes)

    @property
    def inputs(self) -> tuple[Node, ...]:
        return tuple(node for node in self.nodes if node.kind == "input")

    @property
    def outputs(self) -> tuple[Node, ...]:
        return tuple(node for node in self.nodes if node.kind == "output")

    def render_outputs(
        self, run_input: Mapping[str, Any], executed: Iterable[str], *, by_id: bool
    ) -> dict[str, Any]:
        """The outputs of the executed output nodes, keyed by label (or node id)."""
        done = set(executed)
        values = _input_values(self, run_input)
        return {
            (node.id if by_id else node.label): _TEMPLATE.sub(
                lambda m: values.get(m.group(1), ""), node.template
            )
            for node in self.outputs
            if node.id in done
        }


def _input_values(workflow: Workflow, run_input: Mapping[str, Any]) -> dict[str, str]:
    """Each input node's value as text, found by label, node id or `{node_id}::input`."""
    values: dict[str, str] = {}
    for node in workflow.inputs:
        for key in (node.label, node.id, f"{node.id}::input"):
            if key in run_input:
                raw = run_input[key]
                values[node.label] = raw if isinstance(raw, str) else _compact(raw)
                break
    return values


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def workflow_id(slug: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, slug))


BUILTIN: tuple[Workflow, ...] = (
    Workflow(
        id=workflow_id("question-answering"),
        name="Question answering",
        description="Answers a question. Inputs: User Question. Outputs: Answer.",
        nodes=(
            Node("input", "input", "User Question"),
            Node("answer", "process", "Generate answer"),
            Node("output", "output", "Answer", "Mock answer to: {{User Question}}"),
        ),
    ),
    Workflow(
        id=workflow_id("summarize-document"),
        name="Summarize document",
        description="Summarizes a text. Inputs: Document, Style. Outputs: Summary, Word count.",
        nodes=(
            Node("document", "input", "Document"),
            Node("style", "input", "Style"),
            Node("split", "process", "Split into chunks"),
            Node("summarize", "process", "Summarize chunks"),
            Node("summary", "output", "Summary", "Summary ({{Style}}) of: {{Document}}"),
            Node("count", "output", "Word count", "42"),
        ),
    ),
    Workflow(
        id=workflow_id("echo"),
        name="Echo",
        description="Returns its input at once. Inputs: Text. Outputs: Text.",
        nodes=(
            Node("text", "input", "Text"),
            Node("echo", "output", "Text", "{{Text}}"),
        ),
    ),
)


def generated(wf_id: str) -> Workflow:
    """The workflow served for an id the catalogue does not know (non-strict mode)."""
    return Workflow(
        id=wf_id,
        name=f"Workflow {wf_id[:8]}",
        description="Generated by the mock. Inputs: Input. Outputs: Output.",
        nodes=(
            Node("input", "input", "Input"),
            Node("process", "process", "Process"),
            Node("output", "output", "Output", "Processed: {{Input}}"),
        ),
    )


class Catalogue:
    def __init__(self, workflows: Iterable[Workflow] = BUILTIN, *, strict: bool = False) -> None:
        self._by_id = {wf.id: wf for wf in workflows}
        self._strict = strict

    def __iter__(self) -> Any:
        return iter(self._by_id.values())

    def get(self, wf_id: str) -> Workflow | None:
        """The workflow, a generated one for an unknown id, or None in strict mode."""
        found = self._by_id.get(wf_id)
        if found is None and not self._strict:
            return generated(wf_id)
        return found
