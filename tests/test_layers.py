"""The house rules between the rooms, read from the import statements of every module.

The rooms: apicontract (the contract core), mockserver.core (pure), mockserver.storage,
mockserver.engine (HTTP), mockserver.api (handlers), mockserver.control (control API and
dashboard), mockserver.reference (connexion), contract_proxy, contract_tests (the suite).
core imports only the standard library and core; the contract core imports no room of the
product; storage knows no HTTP; the mock never imports the suite nor the proxy (but for
the CLI's `proxy` command); the suite imports nothing of the mock; and no module of the
house reaches itself through imports (no cycle), lazy imports included.
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


HTTP_ROOMS = ("mockserver.engine", "mockserver.api", "mockserver.control", "mockserver.reference")
PRODUCT = ("mockserver", "contract_tests", "contract_proxy")


@pytest.mark.parametrize("path", modules("mockserver/storage"), ids=lambda p: p.name)
def test_storage_knows_no_http(path: Path) -> None:
    web = {n for n in imports_of(path) if n.startswith((*HTTP_ROOMS, "connexion", "starlette"))}
    assert not web, f"{path.name} imports {sorted(web)}"


@pytest.mark.parametrize("path", modules("apicontract"), ids=lambda p: p.name)
def test_contract_core_imports_no_room_of_the_product(path: Path) -> None:
    product = {n for n in imports_of(path) if top(n) in PRODUCT}
    assert not product, f"{path.name} imports {sorted(product)}"


@pytest.mark.parametrize("path", modules("mockserver"), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_mock_imports_neither_the_suite_nor_the_proxy(path: Path) -> None:
    allowed = {"contract_proxy"} if path == ROOT / "mockserver" / "cli.py" else set()
    found = {n for n in imports_of(path) if top(n) in {"contract_tests", "contract_proxy"}}
    assert {top(n) for n in found} <= allowed, f"{path.name} imports {sorted(found)}"


@pytest.mark.parametrize("path", modules("mockserver/engine"), ids=lambda p: p.name)
def test_the_engine_imports_no_handler_nor_connexion(path: Path) -> None:
    found = {
        n
        for n in imports_of(path)
        if n.startswith(("mockserver.api", "mockserver.control", "mockserver.reference"))
        or top(n) == "connexion"
    }
    assert not found, f"{path.name} imports {sorted(found)}"


@pytest.mark.parametrize("path", modules("contract_tests"), ids=lambda p: p.name)
def test_contract_suite_imports_nothing_of_the_mock(path: Path) -> None:
    mock = {n for n in imports_of(path) if top(n) == "mockserver"}
    assert not mock, f"{path.name} imports {sorted(mock)}"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Each module of `folders` and the modules of the house it imports (a `from package
    import name` counts as importing the module `package.name` where there is one)."""
    paths = [p for folder in folders for p in modules(folder)]
    names = {module_name(p) for p in paths}
    return {
        module_name(p): {n for n in imports_of(p) if n in names and n != module_name(p)}
        - {n for n in imports_of(p) if n in names and module_name(p).startswith(n + ".")}
        for p in paths
    }


HOUSE = ("apicontract", "mockserver", "contract_proxy", "contract_tests")


def test_the_house_has_no_import_cycle() -> None:
    graph = import_graph(HOUSE)

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == target or (nxt not in seen and reaches(nxt, target, seen | {nxt})):
                return True
        return False

    cyclic = sorted(m for m in graph if reaches(m, m, {m}))
    assert not cyclic, f"import cycle through {cyclic}"


def test_the_cycle_check_sees_a_cycle() -> None:
    # the check must be able to fail: two probe modules importing each other
    first, second = (ROOT / "mockserver" / "core" / f"_probe_{n}.py" for n in ("a", "b"))
    first.write_text("from mockserver.core import _probe_b\n")
    second.write_text("def f():\n    from mockserver.core._probe_a import x\n")
    try:
        graph = import_graph(("mockserver/core",))
        assert "mockserver.core._probe_b" in graph["mockserver.core._probe_a"]
        assert "mockserver.core._probe_a" in graph["mockserver.core._probe_b"]
    finally:
        first.unlink()
        second.unlink()


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
