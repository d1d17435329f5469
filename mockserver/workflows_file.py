"""The workflows YAML file (`--workflows FILE`): load, check, and say where it is wrong.

Every problem is reported as `FILE:LINE:COLUMN: where: what`, found by a JSON Schema
check (shape) and then by cross-checks (node ids exist, ids unique, placeholders known).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from mockserver.core.scenario import OUTCOMES, Scenario
from mockserver.core.workflows import BUILTIN, Node, Rule, Workflow, workflow_id

_DURATION: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": 86400},
        {"type": "string", "pattern": r"^\d+(\.\d+)?(ms|s|m)$"},
    ]
}
_SCENARIO: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "outcome": {"enum": list(OUTCOMES)},
        "duration": _DURATION,
        "queue_delay": _DURATION,
        "node_duration": _DURATION,
        "fail_at": {"type": "string", "minLength": 1},
        "pause_at": {"type": "string", "minLength": 1},
        "error": {"type": "string", "minLength": 1},
    },
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["workflows"],
    "properties": {
        "include_builtin": {"type": "boolean"},
        "defaults": _SCENARIO,
        "workflows": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "nodes"],
                "anyOf": [{"required": ["id"]}, {"required": ["slug"]}],
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$"},
                    "name": {"type": "string", "minLength": 1},
                    "description": {"type": "string"},
                    "nodes": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["id", "kind", "label"],
                            "properties": {
                                "id": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
                                "kind": {"enum": ["input", "process", "output"]},
                                "label": {"type": "string", "minLength": 1},
                                "template": {"type": "string"},
                                "duration": _DURATION,
                            },
                        },
                    },
                    "default": _SCENARIO,
                    "rules": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["when", "then"],
                            "properties": {
                                "when": {
                                    "type": "object",
                                    "minProperties": 1,
                                    "propertyNames": {"pattern": "^(/[^/]*)+$"},
                                },
                                "then": _SCENARIO,
                            },
                        },
                    },
                },
            },
        },
    },
}
_VALIDATOR = jsonschema_rs.validator_for(SCHEMA, validate_formats=True)
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")


class WorkflowsFileError(ValueError):
    """The file cannot be used; the message lists every problem with its line."""


@dataclass(frozen=True, slots=True)
class WorkflowsFile:
    workflows: tuple[Workflow, ...]
    include_builtin: bool
    defaults: Scenario

    def catalogue_workflows(self) -> tuple[Workflow, ...]:
        own = {wf.id for wf in self.workflows}
        builtin = tuple(wf for wf in BUILTIN if wf.id not in own) if self.include_builtin else ()
        return (*builtin, *self.workflows)


def _where(path: list[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top>"


def _line(root: yaml.Node | None, path: list[str | int]) -> tuple[int, int]:
    node = root
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), node)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
    if node is None:
        return 1, 1
    return node.start_mark.line + 1, node.start_mark.column + 1


def load(path: Path) -> WorkflowsFile:
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise WorkflowsFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise WorkflowsFileError(f"{path}: not UTF-8 text: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        raise WorkflowsFileError(
            f"{path}:{at}: not valid YAML: {getattr(exc, 'problem', exc)}"
        ) from exc
    problems: list[tuple[list[str | int], str]] = [
        (list(e.instance_path), e.message) for e in _VALIDATOR.iter_errors(data)
    ]
    problems += _cross_check(data)  # every problem of the file at once, in line order
    if problems:
        found = sorted((*_line(root, where), _where(where), message) for where, message in problems)
        lines = [
            f"{path}:{line}:{column}: {where}: {message}" for line, column, where, message in found
        ]
        raise WorkflowsFileError("\n".join(lines))
    return _build(data)


def _cross_check(data: Any) -> list[tuple[list[str | int], str]]:
    """Problems between fields (ids, labels, node references). It also runs on a file the
    schema refused, so it reads only the parts whose shape is sound and skips the rest
    (the schema's errors already name those)."""
    problems: list[tuple[list[str | int], str]] = []
    seen_ids: dict[str, int] = {}
    for w, raw in enumerate(_dicts(data.get("workflows") if isinstance(data, dict) else None)):
        if raw is None:
            continue
        slug = raw.get("slug")
        wf_id = raw.get("id") or (workflow_id(slug) if isinstance(slug, str) else None)
        if isinstance(wf_id, str):
            if wf_id in seen_ids:
                problems.append(
                    (["workflows", w], f"workflow id {wf_id} repeats workflows[{seen_ids[wf_id]}]")
                )
            seen_ids[wf_id] = w
        nodes = _dicts(raw.get("nodes"))
        node_ids = [node.get("id") if node else None for node in nodes]
        labels = {
            node["label"]
            for node in nodes
            if node and node.get("kind") == "input" and isinstance(node.get("label"), str)
        }
        for n, node in enumerate(nodes):
            if node is None:
                continue
            if node.get("id") is not None and node_ids.index(node["id"]) != n:
                problems.append(
                    (["workflows", w, "nodes", n, "id"], f"node id {node['id']!r} repeats")
                )
            template = node.get("template", "")
            for name in _PLACEHOLDER.findall(template if isinstance(template, str) else ""):
                if name not in labels:
                    problems.append(
                        (
                            ["workflows", w, "nodes", n, "template"],
                            f"{{{{{name}}}}} is not an input label ({sorted(labels)})",
                        )
                    )
        scenarios: list[tuple[list[str | int], Any]] = [
            (["workflows", w, "default"], raw.get("default") or {})
        ]
        scenarios += [
            (["workflows", w, "rules", r, "then"], rule.get("then"))
            for r, rule in enumerate(_dicts(raw.get("rules")))
            if rule
        ]
        known = [i for i in node_ids if i is not None]
        for where, scenario in scenarios:
            for key in ("fail_at", "pause_at"):
                if isinstance(scenario, dict) and key in scenario and scenario[key] not in known:
                    problems.append(
                        (
                            [*where, key],
                            f"{scenario[key]!r} is not a node of this workflow ({known})",
                        )
                    )
    return problems


def _dicts(value: Any) -> list[dict[str, Any] | None]:
    """The items of a list, None where an item is not a mapping (or [] for a non-list)."""
    return (
        [item if isinstance(item, dict) else None for item in value]
        if isinstance(value, list)
        else []
    )


def _seconds(value: Any) -> float | None:
    return Scenario.from_mapping({"duration": value}).duration_s


def _build(data: dict[str, Any]) -> WorkflowsFile:
    workflows = []
    for raw in data["workflows"]:
        workflows.append(
            Workflow(
                id=raw.get("id") or workflow_id(raw["slug"]),
                name=raw["name"],
                description=raw.get("description", ""),
                nodes=tuple(
                    Node(
                        n["id"],
                        n["kind"],
                        n["label"],
                        n.get("template", ""),
                        _seconds(n.get("duration")),
                    )
                    for n in raw["nodes"]
                ),
                default=Scenario.from_mapping(raw.get("default") or {}),
                rules=tuple(
                    Rule(tuple(rule["when"].items()), Scenario.from_mapping(rule["then"]))
                    for rule in raw.get("rules", [])
                ),
            )
        )
    return WorkflowsFile(
        workflows=tuple(workflows),
        include_builtin=data.get("include_builtin", True),
        defaults=Scenario.from_mapping(data.get("defaults") or {}),
    )
