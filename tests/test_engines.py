"""The compiled engine answers as connexion does: the same generated requests, both engines.

For every operation of the bundled spec, schemathesis draws positive and negative cases
(a bounded, derandomized count); each is sent to two in-process mocks built alike (same
seed, manual clock), one per engine, and their answers must agree in status, content
type, the headers a client reads, and body. Both mocks see the same requests in the same
order, so their ids and times agree without normalizing anything; a difference is a
finding, named with the request that showed it. The golden corpus (test_wire_golden.py)
pins hand-written cases of the same comparison.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from apicontract import spec
from mockserver import Settings, create_app
from mockserver.core.clock import ManualClock
from mockserver.core.workflows import BUILTIN
from mockserver.settings import EngineKind

SEED = 20261205
KEY = "engines-key"
EXAMPLES = 25  # per operation and generation mode: ~450 requests to each engine
# Every request is the same on both sides; these make them possible at all on a frozen
# manual clock: a run lasts 0 s, so sync creates return at once and event streams end.
FIXED = {"X-API-Key": KEY, "Prefer": "duration=0s"}
# What a client reads besides status and body (Date and Server are not the mock's).
READ = ("content-type", "allow", "retry-after", "preference-applied", "location")


def _schema() -> Any:
    schema = schemathesis.openapi.from_dict(spec.load(Settings().spec_path).document)
    # The key is FIXED's (a missing or refused one is drawn below, by hand).
    schema.config.generation.update(modes=list(GenerationMode), with_security_parameters=False)
    return schema


OPERATIONS = [result.ok() for result in _schema().get_all_operations()]


def _client(engine: EngineKind) -> Any:
    app = create_app(Settings(seed=SEED, engine=engine), clock=ManualClock())
    return app.test_client()


@pytest.fixture(scope="module")
def engines() -> Iterator[dict[str, Any]]:
    with _client("compiled") as compiled, _client("connexion") as connexion:
        # Two engines indeed (else every comparison below holds trivially): the one
        # answer they are known to differ on (see `both`) tells them apart.
        odd = {"method": "GET", "url": "/v1/workflows/%0A", "headers": FIXED}
        assert compiled.request(**odd).status_code == 422
        assert connexion.request(**odd).status_code == 404
        yield {"compiled": compiled, "connexion": connexion}


def answer(client: Any, request: dict[str, Any]) -> dict[str, Any]:
    got = client.request(**request, follow_redirects=False)
    kind = got.headers.get("content-type", "")
    body: Any = got.text
    if "json" in kind:
        with contextlib.suppress(ValueError):
            body = got.json()
    return {
        "status": got.status_code,
        "headers": {name: got.headers[name] for name in READ if name in got.headers},
        "body": body,
    }


def both(engines: dict[str, Any], request: dict[str, Any]) -> None:
    compiled = answer(engines["compiled"], request)
    connexion = answer(engines["connexion"], request)
    shown = json.dumps(request, default=repr)[:1500]
    if "\n" in unquote(urlsplit(request["url"]).path):
        # The one difference kept: connexion mounts its API with starlette's `{path:path}`
        # pattern, `.*`, which no newline matches, so a path parameter holding one is a
        # 404 there. The spec's path matches any segment and the parameter is invalid:
        # the compiled engine's 422 is the contract's answer.
        assert connexion["status"] == 404, f"connexion now routes a newline: {shown}"
        assert compiled["status"] == 422, shown
        return
    assert compiled == connexion, f"the engines differ on {shown}"


def request_of(case: Any, key: str | None = KEY, prefer: str = FIXED["Prefer"]) -> dict[str, Any]:
    sent = case.as_transport_kwargs(base_url="http://testserver")
    headers = {
        name: value
        for name, value in sent.get("headers", {}).items()
        if name.lower() not in ("x-schemathesis-testcaseid", "prefer", "x-api-key")
    }
    headers.update(FIXED)
    headers["Prefer"] = prefer
    if key is None:
        del headers["X-API-Key"]
    else:
        headers["X-API-Key"] = key
    if sent.get("cookies"):  # the spec has no cookie parameter; sent as a header all the same
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in sent["cookies"].items())
    request = {k: v for k, v in sent.items() if k in ("method", "url", "params")}
    request["headers"] = headers
    if "json" in sent:
        request["json"] = sent["json"]
    elif "data" in sent:
        request["content"] = sent["data"]
    return request


@pytest.fixture(scope="module")
def known(engines: dict[str, Any]) -> dict[str, str]:
    """A workflow and a (finished) run that exist on both mocks, for cases to name."""
    workflow = BUILTIN[0].id
    create = {
        "method": "POST",
        "url": f"/v1/workflows/{workflow}/runs",
        "headers": FIXED,
        "json": {"input": {"User Question": "same on both?"}},
    }
    ids = {name: client.request(**create).json()["id"] for name, client in engines.items()}
    assert ids["compiled"] == ids["connexion"]  # same seed, same requests: same ids
    return {"workflow_id": workflow, "run_id": ids["compiled"]}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.definition.raw["operationId"])
def test_both_engines_answer_generated_requests_alike(
    engines: dict[str, Any], known: dict[str, str], operation: Any, mode: GenerationMode
) -> None:
    sent = 0

    @settings(
        max_examples=EXAMPLES,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), name_known=st.booleans())
    def alike(case: Any, name_known: bool) -> None:
        nonlocal sent
        if name_known and mode is GenerationMode.POSITIVE:
            # Random ids name nothing (404); half the valid cases name what exists.
            for name in case.path_parameters or {}:
                if name in known:
                    case.path_parameters[name] = known[name]
        both(engines, request_of(case))
        sent += 1

    with contextlib.suppress(Unsatisfiable):  # nothing to make invalid (GET /v1/nodes)
        alike()
    assert sent or mode is GenerationMode.NEGATIVE


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.definition.raw["operationId"])
@pytest.mark.parametrize("key", [None, "invalid-key"], ids=["no key", "refused key"])
def test_both_engines_refuse_a_missing_or_refused_key_alike(
    engines: dict[str, Any], known: dict[str, str], operation: Any, key: str | None
) -> None:
    @settings(max_examples=1, database=None, deadline=None, derandomize=True)
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def refused(case: Any) -> None:
        request = request_of(case, key)
        both(engines, request)
        assert answer(engines["compiled"], request)["status"] == 401

    refused()


# The mock's own features, on each operation: an injected fault (answered before the key
# is checked, on both engines), a delay, and how a run goes (`duration=0s` keeps every
# run finished at once, as above; a paused run would hold a stream open on this clock).
PREFERS = [
    "duration=0s, fault=429",
    "duration=0s, fault=503, latency=1ms",
    "duration=0s, outcome=failed",
    "duration=0s, fail_at=answer",
]


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.definition.raw["operationId"])
@pytest.mark.parametrize("prefer", PREFERS)
def test_both_engines_honour_prefer_alike(
    engines: dict[str, Any], known: dict[str, str], operation: Any, prefer: str
) -> None:
    @settings(max_examples=2, database=None, deadline=None, derandomize=True)
    @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
    def honoured(case: Any) -> None:
        for name in case.path_parameters or {}:
            if name in known:
                case.path_parameters[name] = known[name]
        both(engines, request_of(case, key=None if "fault" in prefer else KEY, prefer=prefer))

    honoured()
