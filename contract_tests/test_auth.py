"""Auth and isolation: every /v1 operation refuses a missing or refused key with 401, and
a run created under key A is invisible to key B.

This replaces schemathesis' `ignored_auth` check, which counts any accepted key as a
defect: the contract lets an implementation accept keys it was not told about (the mock
accepts any non-empty key), and does not say which keys are refused. So a refused key is
judged only with one the user says must be refused (--wrong-api-key); only the mock's own
`x-mock` part says its `invalid-...` keys are, so the suite uses one on the mock it starts.
"""

from __future__ import annotations

from typing import Any

import pytest

from contract_tests import rules
from contract_tests.api import Api, prefer
from contract_tests.contract import concrete, operations
from contract_tests.error_body import check_error_body
from contract_tests.exchange import Exchange
from contract_tests.history import created_id, valid_body
from contract_tests.options import Options
from contract_tests.prerequisite import Prerequisite
from contract_tests.rules import Rule, check, require

OPERATIONS = operations()


@pytest.fixture(scope="module")
def made_run(api: Api) -> Prerequisite[str]:
    """A run of key A (only its id is needed here: its lifecycle is judged elsewhere)."""
    return Prerequisite.of(lambda: created_id(api.create(prefer=prefer("completed", "60s"))))


def run_for(request: pytest.FixtureRequest, path: str) -> str:
    """A run id for `path`: key A's run where the path names one, else none is made."""
    if "{run_id}" not in path:
        return ""
    made: Prerequisite[str] = request.getfixturevalue("made_run")
    return made.get(request.node.name)


def call(api: Api, method: str, path: str, run_id: str, key: str | None) -> Exchange:
    url = concrete(path, workflow_id=api.workflow_id, run_id=run_id)
    creates = method == "POST" and url.endswith(("/runs", "/sync"))
    body: Any = {"input": api.run_input} if creates else None
    return api.call(method, url, key=key, json=body)


def require_refused(rule: Rule, exchange: Exchange) -> None:
    __tracebackhide__ = True
    # a 5xx is no answer about the key at all: blamed on the server, not on auth
    require(
        rules.NO_SERVER_ERROR,
        exchange.status < 500,
        f"answered {exchange.status} to a request without a usable key",
        exchange,
    )
    require(rule, exchange.status == 401, f"answered {exchange.status}, expected 401", exchange)
    check_error_body(exchange)


def test_the_given_key_is_accepted(api: Api) -> None:
    me = api.call("GET", "/v1/admin/me")
    require(rules.KEY_ACCEPTED, me.status == 200, f"GET /v1/admin/me answered {me.status}", me)
    valid_body(me, "ApiKey")


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in OPERATIONS])
def test_a_missing_key_is_refused(
    api: Api, request: pytest.FixtureRequest, method: str, path: str
) -> None:
    run_id = run_for(request, path)
    require_refused(rules.MISSING_KEY, call(api, method, path, run_id, key=None))


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in OPERATIONS])
def test_a_wrong_key_is_refused(
    api: Api, options: Options, request: pytest.FixtureRequest, method: str, path: str
) -> None:
    if options.wrong_api_key is None:
        pytest.skip(
            "not checked: the contract does not say which keys are refused; "
            "give --wrong-api-key KEY, a key this implementation must refuse"
        )
    run_id = run_for(request, path)
    require_refused(rules.WRONG_KEY, call(api, method, path, run_id, key=options.wrong_api_key))


def test_a_run_is_invisible_to_another_workspace(
    api: Api, options: Options, made_run: Prerequisite[str]
) -> None:
    if not options.other_api_key:
        pytest.skip("give --other-api-key (a second workspace's key) to check isolation")
    other = api.as_key(options.other_api_key)
    if other.call("GET", "/v1/admin/me").status != 200:
        pytest.skip("the --other-api-key is refused: isolation cannot be checked with it")
    run_id = made_run.get("test_a_run_is_invisible_to_another_workspace")
    wf = api.workflow_id
    for method, path in [
        ("GET", f"/v1/workflows/{wf}/runs/{run_id}"),
        ("GET", f"/v1/runs/{run_id}"),
        ("GET", f"/v1/runs/{run_id}/events"),
        ("POST", f"/v1/runs/{run_id}/stop"),
    ]:
        seen = other.call(method, path)
        check(rules.ISOLATION, seen.status == 404, f"key B got {seen.status}", seen)
    listed = other.call("GET", f"/v1/workflows/{wf}/runs", params={"size": 100})
    ids = [item.get("id") for item in (listed.json_or_none() or {}).get("items", [])]
    check(rules.ISOLATION, run_id not in ids, "key B lists key A's run", listed)
    # Interference only: the run may have ended on its own (completed or failed) meanwhile;
    # key A never stopped it, so `stopped` can only come from key B's refused stop.
    mine = api.poll(run_id)
    status = (mine.json_or_none() or {}).get("status")
    check(
        rules.ISOLATION,
        status != "stopped",
        f"key A's run is {status!r} after key B's stop was answered 404",
        mine,
    )
