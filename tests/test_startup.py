"""Start-up: the imports `mockserver serve` defers, the spec validated once per spec, and
the server protocol sending each answer's head with its body."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from apicontract import spec
from apicontract.spec import Spec
from mockserver import Settings
from mockserver.app import CONTROL_SPEC
from mockserver.engine import specification

DEFERRED_CHECK = """
import asyncio, sys
from mockserver.app import create_app
from mockserver.settings import Settings
app = create_app(Settings())

async def call(path, body=b""):
    sent = []
    async def receive():
        return {"type": "http.request", "body": body}
    async def send(message):
        sent.append(message)
    headers = [(b"x-api-key", b"k"), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    method = "POST" if body else "GET"
    scope = {"type": "http", "method": method, "path": path, "headers": headers,
             "query_string": b""}
    await app(scope, receive, send)
    return sent[0]["status"]

runs = "/v1/workflows/239baa8b-4361-5782-9277-a817111bd274/runs"
print("create:", asyncio.run(call(runs, b'{"input": {}}')), "connexion" in sys.modules)
print("health:", asyncio.run(call("/_mock/health")), "connexion" in sys.modules)
"""


def test_a_start_serving_v1_never_imports_connexion() -> None:
    done = subprocess.run(
        [sys.executable, "-c", DEFERRED_CHECK], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    # /v1 is the compiled public API; the control API builds connexion on first use.
    assert "create: 200 False" in done.stdout
    assert "health: 200 True" in done.stdout


def test_the_served_spec_is_parsed_once_per_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(specification, "_specs", {})
    parsed: list[Path] = []

    def counting(path: Path) -> Any:
        parsed.append(path)
        return spec.load_yaml(path)

    monkeypatch.setattr(specification, "load_yaml", counting)
    served = tmp_path / "openapi.yaml"
    served.write_bytes(Settings().spec_path.read_bytes())
    first = specification.served(served)
    monkeypatch.setattr(specification, "_specs", {})  # as a new process would start
    again = specification.served(served)
    assert len(parsed) == 1  # the second start read the cached JSON
    assert again.raw == first.raw == spec.load_yaml(Settings().spec_path)
    served.write_text(served.read_text() + "\nx-changed: true\n")
    assert specification.served(served).raw["x-changed"] is True
    assert len(parsed) == 2  # a changed file is parsed again
    numbered = tmp_path / "numbered.yaml"
    numbered.write_text(
        "openapi: 3.0.3\ninfo: {title: t, version: 1}\nx-when: 2026-01-01\nx-codes: {200: ok}\n"
    )
    assert specification.served(numbered).raw["x-when"] == "2026-01-01"  # text, as YAML 1.2
    monkeypatch.setattr(specification, "_specs", {})
    specification.served(numbered)
    assert len(parsed) == 4  # JSON cannot hold a number as a key: never cached


def test_a_broken_spec_is_refused_at_start_naming_the_place(tmp_path: Path) -> None:
    document = spec.load_yaml(Settings().spec_path)
    document["paths"]["/v1/nodes"]["get"]["responses"] = "not a responses object"
    broken = tmp_path / "openapi.yaml"
    broken.write_text(json.dumps(document))  # JSON is YAML
    from mockserver.app import create_app

    with pytest.raises(specification.SpecError, match="not a valid OpenAPI document") as got:
        create_app(Settings(spec_path=broken))
    assert str(broken) in str(got.value)
    assert "/paths/~1v1~1nodes/get/responses" in str(got.value)


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_the_metaschema_check_knows_both_versions(version: str) -> None:
    from apicontract import metaschema

    minimal = {"openapi": version, "info": {"title": "t", "version": "1"}, "paths": {}}
    assert metaschema.problems(minimal) == []
    (missing,) = metaschema.problems({**minimal, "info": {"title": "t"}})
    assert missing.startswith("/info: ") and "version" in missing
    assert metaschema.problems({**minimal, "openapi": "2.0"}) == [
        "/openapi: '2.0' is not OpenAPI 3.0 or 3.1"
    ]


def test_the_bundled_specs_are_valid_openapi() -> None:
    for path in (Settings().spec_path, CONTROL_SPEC):
        specification.check(Spec(path, spec.load_yaml(path)))


def test_v1_is_served_while_connexion_is_being_built() -> None:
    import time as clock

    from mockserver.app import create_app

    app = create_app(Settings())
    real = app.rest._build

    def slow() -> Any:
        clock.sleep(1.0)  # a build as slow as a loaded machine's
        return real()

    app.rest._build = slow
    finished: list[str] = []

    async def call(path: str) -> None:
        sent: list[Any] = []

        async def receive() -> Any:
            return {"type": "http.request", "body": b""}

        async def send(message: Any) -> None:
            sent.append(message)

        headers = [(b"x-api-key", b"k")]
        scope = {"type": "http", "method": "GET", "path": path, "headers": headers}
        await app({**scope, "query_string": b""}, receive, send)
        assert sent[0]["status"] == 200, sent
        finished.append(path)

    async def both() -> None:
        health = asyncio.create_task(call("/_mock/health"))  # starts the build
        await asyncio.sleep(0.1)
        await call("/v1/nodes")  # answered while the build runs
        await health

    asyncio.run(both())
    assert finished == ["/v1/nodes", "/_mock/health"]


def test_the_cache_folder_is_the_one_mockserver_cache_dir_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCKSERVER_CACHE_DIR", str(tmp_path / "chosen"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    served = tmp_path / "openapi.yaml"
    served.write_text(Settings().spec_path.read_text() + "\nx-cache-probe: 1\n")
    specification.served(served)
    assert len(list((tmp_path / "chosen" / "parsed-specs").iterdir())) == 1
    assert not (tmp_path / "xdg").exists()
