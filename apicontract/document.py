"""Reading an OpenAPI document: JSON read as JSON, YAML as YAML; the bundled Noxus document
shipped as package data (found through importlib.resources, so an installed wheel has it)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

BUNDLED_NAME = "openapi.yaml"


def bundled_path() -> Path:
    """The bundled `openapi.yaml` (the Noxus workflow-runs API) as a file on disk."""
    # Installed packages are plain directories (setuptools, no zip-safe), so the traversable
    # is a real path; `as_file` would copy it out of a zip otherwise.
    return Path(str(resources.files(__package__).joinpath(BUNDLED_NAME)))


def read(path: Path) -> Any:
    """The document at `path`: JSON when it looks like JSON, YAML otherwise."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        return json.loads(text)
    return parse_yaml(text)


def parse_yaml(text: str) -> Any:
    """Safe YAML through libyaml when PyYAML has it: a third of the cold start otherwise."""
    import yaml  # here: a start reading a cached or JSON spec never needs it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


class BundleError(ValueError):
    """An external `$ref` that cannot be brought in: its message names where it is."""


def bundled(document: Any, base: Path) -> Any:
    """`document` with its `$ref`s to other local files (`pets.yaml#/Pet`, relative to
    `base`) replaced by what they point at, those files' own refs followed the same way;
    the document's own refs (`#/...`) stay. URLs are not fetched; a file's refs leading
    back into themselves are refused (BundleError naming the JSON pointer)."""
    files: dict[Path, Any] = {}

    def load(path: Path, where: str) -> Any:
        if path not in files:
            try:
                files[path] = read(path)
            except (OSError, ValueError) as exc:
                raise BundleError(f"{where}: cannot read {path}: {exc}") from exc
        return files[path]

    def walk(
        node: Any, directory: Path, root: Any | None, where: str, chain: tuple[str, ...]
    ) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and (root is not None or not ref.startswith("#")):
                return follow(ref, directory, root, where, chain)
            return {
                k: walk(v, directory, root, f"{where}/{escaped(k)}", chain) for k, v in node.items()
            }
        if isinstance(node, list):
            return [walk(v, directory, root, f"{where}/{i}", chain) for i, v in enumerate(node)]
        return node

    def follow(ref: str, directory: Path, root: Any, where: str, chain: tuple[str, ...]) -> Any:
        name, _, pointer = ref.partition("#")
        if "://" in name:
            raise BundleError(f"{where}: $ref {ref} is a URL (not fetched: bundle it first)")
        path = (directory / name).resolve() if name else None
        key = f"{path or 'here'}#{pointer}"
        if key in chain:
            raise BundleError(f"{where}: $ref {ref} is circular across files")
        target_root = load(path, where) if path is not None else root
        node = target_root
        for raw in pointer.split("/")[1:]:
            part = raw.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                raise BundleError(f"{where}: $ref {ref} points at nothing") from exc
        folder = path.parent if path is not None else directory
        return walk(node, folder, target_root, where, (*chain, key))

    return walk(document, base, None, "", ())


def has_external_ref(node: Any) -> bool:
    """Whether any `$ref` of the document points outside it."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def escaped(key: Any) -> str:
    """A key as a JSON pointer segment (RFC 6901)."""
    return str(key).replace("~", "~0").replace("/", "~1")
