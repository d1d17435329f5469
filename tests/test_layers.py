"""The house rules between the floors, read from the import statements of every module.

core imports only the standard library and core; storage never imports web; the
contract suite imports nothing of the mock (so it ships and runs alone); no cycles in core.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, absolute (relative imports resolved), at any depth."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def top(name: str) -> str:
    return name.split(".")[0]


def test_imports_of_sees_plain_relative_and_nested_imports(tmp_path: Path) -> None:
    # the checker itself must be able to fail: a probe file inside the tree
    probe = ROOT / "mockserver" / "core" / "_probe_layers.py"
    probe.write_text("import yaml\nfrom . import lifecycle\ndef f():\n    import httpx\n")
    try:
        assert {"yaml", "mockserver.core", "mockserver.core.lifecycle", "httpx"} <= imports_of(
            probe
        )
    finally:
        probe.unlink()


@pytest.mark.parametrize("path", modules("mockserver/core"), ids=lambda p: p.name)
def test_core_imports_only_the_standard_library_and_core(path: Path) -> None:
    outside = {
        name
        for name in imports_of(path)
        if top(name) not in sys.stdlib_module_names
        and not name.startswith("mockserver.core")
        and name not in {"__future__", "mockserver"}
    }
    assert not outside, f"{path.name} imports {sorted(outside)}"


@pytest.mark.parametrize("path", modules("mockserver/storage"), ids=lambda p: p.name)
def test_storage_does_not_import_web(path: Path) -> None:
    web = {n for n in imports_of(path) if n.startswith(("mockserver.web", "connexion"))}
    assert not web, f"{path.name} imports {sorted(web)}"


@pytest.mark.parametrize("path", modules("contract_tests"), ids=lambda p: p.name)
def test_contract_suite_imports_nothing_of_the_mock(path: Path) -> None:
    mock = {n for n in imports_of(path) if top(n) == "mockserver"}
    assert not mock, f"{path.name} imports {sorted(mock)}"


def test_core_has_no_import_cycle() -> None:
    graph = {
        f"mockserver.core.{p.stem}": {
            n for n in imports_of(p) if n.startswith("mockserver.core.") and n.count(".") == 2
        }
        for p in modules("mockserver/core")
        if p.stem != "__init__"
    }

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == target or (nxt not in seen and reaches(nxt, target, seen | {nxt})):
                return True
        return False

    cyclic = sorted(m for m in graph if reaches(m, m, {m}))
    assert not cyclic, f"import cycle through {cyclic}"


def test_contract_suite_compiles_the_spec_without_the_mock() -> None:
    # A child interpreter where `import mockserver` fails: the suite's spec still loads.
    code = (
        "import sys; sys.modules['mockserver'] = None\n"
        "from contract_tests import contract\n"
        "assert contract.schema_errors('RunStatus', 'queued') == []\n"
        "assert contract.schema_errors('RunStatus', 'nope')\n"
        "assert not any(m == 'mockserver' or m.startswith('mockserver.') for m in sys.modules"
        " if sys.modules[m] is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
