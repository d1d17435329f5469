"""The reshaped request path: one decode of the body, one derivation of what a request asks,
the gate's header work, and response bodies read exactly."""

from __future__ import annotations

import json
from typing import Any

import pytest

from apicontract import router as routes
from mockserver.engine import asked
from mockserver.reference import connexion_glue
from tests.conftest import KEY, QA

RUNS = f"/v1/workflows/{QA.id}/runs"


def test_the_create_body_is_decoded_once(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = json.dumps({"input": {"User Question": "decoded once?"}})
    decoded: list[object] = []
    original = json.loads

    def counting(text: Any, *args: Any, **kwargs: Any) -> Any:
        if (text.encode() if isinstance(text, str) else bytes(text)) == raw.encode():
            decoded.append(text)
        return original(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting)  # the validator's and Starlette's decoder
    headers = {**KEY, "Content-Type": "application/json"}
    created = client.post(RUNS, content=raw, headers=headers)
    assert created.status_code == 200, created.text
    assert created.json()["input"] == {"User Question": "decoded once?"}
    assert len(decoded) == 1


def test_workspace_and_prefer_are_derived_once_per_request(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str | None] = []
    original = asked.parse_prefer

    def counting(header: str | None) -> Any:
        parsed.append(header)
        return original(header)

    monkeypatch.setattr(asked, "parse_prefer", counting)
    headers = {**KEY, "Prefer": "outcome=failed"}
    created = client.post(RUNS, json={"input": {}}, headers=headers)
    assert created.status_code == 200, created.text
    # Read by the gate (journal), fault injection and the create handler: parsed once.
    assert parsed == ["outcome=failed"]
    assert created.headers["preference-applied"] == "outcome=failed"


def test_a_request_is_routed_once_for_the_method_guard_and_the_public_api(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    matched: list[str] = []
    original = routes.Routes.find

    def counting(self: Any, path: str) -> Any:
        matched.append(path)
        return original(self, path)

    monkeypatch.setattr(routes.Routes, "find", counting)
    created = client.post(RUNS, json={"input": {}}, headers=KEY)
    assert created.status_code == 200, created.text
    assert matched == [RUNS]
    refused = client.put(RUNS, json={}, headers=KEY)
    assert refused.status_code == 405  # the guard's match, from the same table
    assert matched == [RUNS, RUNS]


def test_an_answer_to_a_request_without_origin_varies_on_origin(client: Any) -> None:
    # What Starlette's CORS layer adds; the gate adds it without running that layer.
    answer = client.get("/v1/nodes", headers=KEY)
    assert answer.status_code == 200
    assert answer.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in answer.headers
    with_origin = client.get("/v1/nodes", headers={**KEY, "Origin": "http://localhost:5173"})
    assert with_origin.headers["access-control-allow-origin"] == "*"


def test_the_gate_journals_refusals_with_their_status(client: Any) -> None:
    assert client.delete("/v1/nodes", headers=KEY).status_code == 405
    assert client.get("/v1/nodes", headers={**KEY, "X-Big": "x" * 20_000}).status_code == 431
    entries = client.get("/_mock/journal").json()["entries"]
    assert [(e["method"], e["status"]) for e in entries[-2:]] == [("DELETE", 405), ("GET", 431)]
    assert entries[-1]["at"].endswith("Z")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"n": 1000000000000000000000000000000}', {"n": 10**30}),  # beyond 64 bits: exact
        (b'{"n": NaN}', None),  # only the standard decoder reads it
        (b'{"n": 1.5, "s": "\xc3\xa9"}', {"n": 1.5, "s": "é"}),
    ],
)
def test_response_bodies_are_read_exactly(raw: bytes, expected: Any) -> None:
    reader = connexion_glue.JSONResponseValidator({}, schema={}, encoding="utf-8", cache=None)
    got = reader._parse(iter([raw]))
    if expected is None:
        assert got["n"] != got["n"]  # NaN
    else:
        assert got == expected
        assert type(got["n"]) is type(expected["n"])
