"""Start-up: the imports `mockserver serve` defers, the spec validated once per spec, and
the server protocol sending each answer's head with its body."""

from __future__ import annotations

import asyncio
import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import connexion.spec
import pytest
from connexion.exceptions import InvalidSpecification

from contract_tests import spec
from mockserver import Settings
from mockserver.app import CONTROL_SPEC
from mockserver.web import connexion_glue, specification
from mockserver.web.wire import _HeadWithBody

DEFERRED_CHECK = """
import sys
from mockserver import deferred
deferred.install()
from mockserver.app import create_app
from mockserver.settings import Settings
app = create_app(Settings())
loaded = [m for m in ("starlette.testclient", "requests", "httpx")
          if m in sys.modules and not isinstance(sys.modules[m], deferred._Deferred)]
print("loaded:", loaded)
import requests, connexion.apps.abstract as abstract
print("works:", requests.codes.ok, type(abstract.TestClient(app)).__name__)
"""


def test_the_serve_path_defers_what_serving_never_uses() -> None:
    done = subprocess.run(
        [sys.executable, "-c", DEFERRED_CHECK], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "loaded: []" in done.stdout
    # A deferred name still works when used: imported then.
    assert "works: 200 TestClient" in done.stdout


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """An empty validation cache, and a record of every real validation."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(specification, "_passed", set())
    connexion_glue.remember_valid_specs()
    validated: list[object] = []
    original = connexion.spec.create_spec_validator

    def counting(document: Any) -> Any:
        validated.append(document)
        return original(document)

    monkeypatch.setattr(connexion.spec, "create_spec_validator", counting)
    return validated


def test_the_bundled_specs_pass_connexions_validation(fresh_cache: list[object]) -> None:
    for document in (spec.load(Settings().spec_path).document, spec.load_yaml(CONTROL_SPEC)):
        connexion.spec.Specification.from_dict(copy.deepcopy(document))
    assert len(fresh_cache) == 2  # validated for real, not remembered
    assert len(list(specification.cache_dir().iterdir())) == 2


def test_a_spec_is_validated_once_and_a_changed_one_again(
    fresh_cache: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    document = spec.load(Settings().spec_path).document
    connexion.spec.Specification.from_dict(copy.deepcopy(document))
    monkeypatch.setattr(specification, "_passed", set())  # as a new process would start
    connexion.spec.Specification.from_dict(copy.deepcopy(document))
    assert len(fresh_cache) == 1  # the second start read the cache
    changed = copy.deepcopy(document)
    changed["paths"]["/v1/nodes"]["get"]["responses"] = "not a responses object"
    with pytest.raises(InvalidSpecification):
        connexion.spec.Specification.from_dict(changed)
    assert len(fresh_cache) == 2


class _Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0


def test_an_answers_head_goes_out_with_its_body() -> None:
    async def scenario() -> list[list[bytes]]:
        seen = []
        raw = _Transport()
        wire = _HeadWithBody(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
        wire.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        seen.append(list(raw.writes))  # held
        wire.write(b"{}")
        seen.append(list(raw.writes))  # one write: head and body
        wire.write(b"HTTP/1.1 204 No Content\r\n\r\n")  # a head no body follows
        await asyncio.sleep(0)
        seen.append(list(raw.writes))  # out after one pass of the loop
        wire.write(b"HTTP/1.1 200 OK\r\n\r\n")
        wire.close()
        seen.append(list(raw.writes))  # closing sends what is held first
        assert wire.get_write_buffer_size() == 0  # the rest is the transport's
        return seen

    held, joined, alone, closed = asyncio.run(scenario())
    assert held == []
    assert joined == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    assert alone[-1] == b"HTTP/1.1 204 No Content\r\n\r\n"
    assert closed[-1] == b"HTTP/1.1 200 OK\r\n\r\n"
