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
