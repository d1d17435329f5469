"""connexion is used through its documented API only, so pyproject.toml takes a range.

The house imports from connexion's documented modules only, never a private name, and
its subclasses of connexion's classes override only the hooks the docs show overriding
(the validators' `_parse` / `_validate`, docs: Validation, "Custom validators").
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The modules connexion's docs show importing from (and `connexion` itself).
DOCUMENTED = {
    "connexion",
    "connexion.context",
    "connexion.datastructures",
    "connexion.exceptions",
    "connexion.jsonifier",
    "connexion.lifecycle",
    "connexion.middleware",
    "connexion.options",
    "connexion.resolver",
    "connexion.security",
    "connexion.validators",
}
HOOKS = {"_parse", "_validate"}  # the overrides the docs' custom validator example shows


def _sources() -> list[Path]:
    return sorted(p for p in (ROOT / "mockserver").rglob("*.py"))


def _connexion_names(tree: ast.AST) -> dict[str, str]:
    """Names bound by `from connexion... import name`, each with its module."""
    return {
        alias.asname or alias.name: node.module or ""
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("connexion")
        for alias in node.names
    }


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_documented_connexion_modules_and_public_names(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("connexion"):
            if node.module not in DOCUMENTED:
                found.append(f"from {node.module}")
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Import):
            found += [
                a.name
                for a in node.names
                if a.name.startswith("connexion.") and a.name not in DOCUMENTED
            ]
    assert not found, f"{path.name} uses connexion beyond its documented API: {found}"


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_subclasses_of_connexion_override_only_documented_hooks(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    theirs = _connexion_names(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        if not any(isinstance(b, ast.Name) and b.id in theirs for b in node.bases):
            continue
        for item in node.body:
            name = getattr(item, "name", "")
            if name.startswith("_") and not name.startswith("__") and name not in HOOKS:
                found.append(f"{node.name}.{name}")
            if isinstance(item, ast.Assign | ast.AnnAssign):
                targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                found += [
                    f"{node.name}.{t.id}"
                    for t in targets
                    if isinstance(t, ast.Name) and t.id.startswith("_")
                ]
    assert not found, f"{path.name} overrides connexion's private parts: {found}"


def test_the_check_sees_a_private_override(tmp_path: Path) -> None:
    source = (
        "from connexion.security import ApiKeySecurityHandler\n"
        "class K(ApiKeySecurityHandler):\n"
        "    def _resolve_func(self, s): ...\n"
    )
    fake = tmp_path / "fake.py"
    fake.write_text(source)
    with pytest.raises(AssertionError, match=r"K\._resolve_func"):
        test_subclasses_of_connexion_override_only_documented_hooks(fake)
    fake.write_text("from connexion.apps.asynchronous import AsyncApi\n")
    with pytest.raises(AssertionError, match="from connexion.apps.asynchronous"):
        test_only_documented_connexion_modules_and_public_names(fake)
