"""The compiled engine: per-operation work is done once, and bodies the fast encoder
refuses still go out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from connexion.decorators.main import BaseDecorator

from mockserver.engine import encoding
from tests.conftest import KEY, QA

RUNS = f"/v1/workflows/{QA.id}/runs"


def test_handlers_are_not_introspected_per_request(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = client.post(RUNS, json={"input": {"User Question": "q"}}, headers=KEY)
    assert created.status_code == 200
    poll = f"{RUNS}/{created.json()['id']}"
    assert client.get(poll, headers=KEY).status_code == 200  # the poll is now decorated
    # connexion's operations call decorate() (signature introspection, fresh parameter
    # and response decorators) on every request; the compiled engine never does.
    calls: list[object] = []
    original = BaseDecorator.decorate

    def counting(self: Any, function: Any) -> Any:
        calls.append(function)
        return original(self, function)

    monkeypatch.setattr(BaseDecorator, "decorate", counting)
    for _ in range(3):
        polled = client.get(poll, headers=KEY)
        assert polled.status_code == 200
        assert polled.json()["id"] == created.json()["id"]
    assert calls == []


def test_a_huge_integer_in_input_is_echoed_exactly(client: Any) -> None:
    huge = 10**30  # beyond orjson's 64-bit integers: the standard library encodes it
    created = client.post(RUNS, json={"input": {"User Question": "q", "n": huge}}, headers=KEY)
    assert created.status_code == 200
    assert created.json()["input"]["n"] == huge


def test_encoding_falls_back_and_keeps_every_value() -> None:
    body = {"a": 10**30, "b": "é", "c": [1, None, True], "d": float("inf")}
    assert json.loads(encoding.dumps(body)) == body
    assert encoding.dumps({"id": "x", "n": 1}) == b'{"id":"x","n":1}'
