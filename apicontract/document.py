"""Reading an OpenAPI document: JSON read as JSON, YAML as YAML; the bundled Noxus document
shipped as package data (found through importlib.resources, so an installed wheel has it)."""

from __future__ import annotations

import functools
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

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
    """Safe YAML through libyaml when PyYAML has it: a third of the cold start otherwise.
    Timestamps are left strings, as YAML 1.2 (which OpenAPI recommends) reads them:
    `2024-01-01` in an example is the text the wire carries, not a date no JSON check
    can judge."""
    import yaml  # here: a start reading a cached or JSON spec never needs it

    return yaml.load(text, Loader=_loader())


@functools.cache
def _loader() -> Any:
    """Safe YAML without the YAML 1.1 timestamp type (the loader class, made once)."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    resolvers = {
        first: [(tag, regex) for tag, regex in found if tag != "tag:yaml.org,2002:timestamp"]
        for first, found in base.yaml_implicit_resolvers.items()
    }
    return type("JsonCompatibleLoader", (base,), {"yaml_implicit_resolvers": resolvers})


class BundleError(ValueError):
    """An external `$ref` that cannot be brought in: its message names where it is."""


def bundled(document: Any, base: Path) -> Any:
    """`document` with its `$ref`s to other local files (`pets.yaml#/Pet`, relative to
    `base`) replaced by what they point at, those files' own refs followed the same way;
    the document's own refs (`#/...`) stay; examples' `externalValue` files read in as
    their `value` (example_read). A schema of another file that recurses (a
    tree node whose children are nodes) is put under `components/schemas` and referred
    to there, so that it is served like a recursive schema of the document. URLs are not
    fetched; refs that only lead to refs and back are refused (BundleError naming the
    JSON pointer)."""
    files: dict[Path, Any] = {}
    hoisted: dict[str, str] = {}  # a recursing target's key -> its name in components
    definitions: dict[str, Any] = {}
    components = document.get("components") if isinstance(document, dict) else None
    taken = set((components or {}).get("schemas") or {})

    def load(path: Path, where: str) -> Any:
        if path not in files:
            try:
                files[path] = read(path)
            except Exception as exc:  # OSError, json's and yaml's errors (yaml not imported)
                raise BundleError(f"{where}: cannot read {path}: {exc}") from exc
        return files[path]

    def walk(node: Any, source: Path | None, where: str, chain: Chain) -> Any:
        """`node`, sitting in the file `source` (None: the document itself)."""
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and (source is not None or not ref.startswith("#")):
                return follow(ref, source, where, chain)
            if _local(node.get("externalValue")):
                node = example_read(node, source.parent if source else base, where)
            # Below a node that is not a bare $ref: a schema lies between refs from here.
            within = Chain(chain.keys, ())
            return {k: walk(v, source, f"{where}/{escaped(k)}", within) for k, v in node.items()}
        if isinstance(node, list):
            within = Chain(chain.keys, ())
            return [walk(v, source, f"{where}/{i}", within) for i, v in enumerate(node)]
        return node

    def follow(ref: str, source: Path | None, where: str, chain: Chain) -> Any:
        name, _, pointer = ref.partition("#")
        if "://" in name:
            raise BundleError(f"{where}: $ref {ref} is a URL (not fetched: bundle it first)")
        directory = source.parent if source is not None else base
        # The document's own `#` refs are never followed: `source` is a file where not named.
        path = source if source is not None and not name else (directory / name).resolve()
        key = f"{path}#{pointer}"
        if key in chain.bare:
            raise BundleError(f"{where}: $ref {ref} is circular across files")
        if key in chain.keys:
            # Recursion through a schema: referred to where the schema is put.
            if key not in hoisted:
                hoisted[key] = _free_name(pointer, path, taken)
            return {"$ref": f"#/components/schemas/{hoisted[key]}"}
        node = load(path, where)
        for raw in pointer.split("/")[1:]:
            part = raw.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                raise BundleError(f"{where}: $ref {ref} points at nothing") from exc
        made = walk(node, path, where, Chain((*chain.keys, key), (*chain.bare, key)))
        if key not in hoisted:
            return made
        definitions[hoisted[key]] = made
        return {"$ref": f"#/components/schemas/{hoisted[key]}"}

    result = walk(document, None, "", Chain((), ()))
    if definitions:
        kept = result.setdefault("components", {})
        kept["schemas"] = {**(kept.get("schemas") or {}), **definitions}
    return result


def example_read(example: dict[str, Any], directory: Path, where: str) -> dict[str, Any]:
    """An Example Object whose `externalValue` names a local file, with the file's content
    as its `value` instead: JSON or YAML read as such by its suffix, else the text. A file
    that is not UTF-8 text is left named (not served: made data instead)."""
    path = (directory / example["externalValue"]).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return example
    except OSError as exc:
        raise BundleError(f"{where}/externalValue: cannot read {path}: {exc}") from exc
    try:
        if path.suffix.lower() == ".json":
            value = json.loads(text)
        elif path.suffix.lower() in (".yaml", ".yml"):
            value = parse_yaml(text)
        else:
            value = text
    except Exception as exc:  # json's and yaml's errors (yaml not imported here)
        raise BundleError(f"{where}/externalValue: {path} is not valid: {exc}") from exc
    return {**{k: v for k, v in example.items() if k != "externalValue"}, "value": value}


def _local(external: Any) -> bool:
    """Whether an `externalValue` names a local file (a URL is never fetched)."""
    return isinstance(external, str) and "://" not in external


class Chain(NamedTuple):
    """The refs being followed (keys: file#pointer), and those followed since the last
    node that is not a bare $ref (a ref among these again is a circle with no schema)."""

    keys: tuple[str, ...]
    bare: tuple[str, ...]


def _free_name(pointer: str, path: Path, taken: set[str]) -> str:
    """A components name for a hoisted schema: its own name, else its file's, numbered
    past the names taken."""
    stem = pointer.rstrip("/").rsplit("/", 1)[-1] or path.stem
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", stem) or "Schema"
    name, n = stem, 1
    while name in taken:
        n += 1
        name = f"{stem}_{n}"
    taken.add(name)
    return name


def has_external_ref(node: Any) -> bool:
    """Whether any `$ref` of the document points outside it, or an example's
    `externalValue` names a local file."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                return True
            if _local(node.get("externalValue")):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def escaped(key: Any) -> str:
    """A key as a JSON pointer segment (RFC 6901)."""
    return str(key).replace("~", "~0").replace("/", "~1")
