"""Conformance: every operation, examples + coverage + fuzzing, positive and negative data,
every response check (schemathesis), plus the suite's own checks (see fuzzing.py)."""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from contract_tests import fuzzing, rules
from contract_tests.api import Api
from contract_tests.budget import RunBudget
from contract_tests.options import current
from contract_tests.receiver import Receiver
from contract_tests.rules import require

schema = fuzzing.load(current(), modes=list(GenerationMode))
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])


@pytest.fixture(scope="module", autouse=True)
def aimed(receiver: Receiver) -> None:
    fuzzing.OBSERVED.callback_url = receiver.new_url()[0]


@schema.parametrize()  # type: ignore[untyped-decorator]
def test_operation_conforms(case: Any, api: Api) -> None:
    operation = case.operation.definition.raw.get("operationId")
    creates = operation in fuzzing.CREATE_OPERATIONS
    budget: RunBudget = api.budget
    if creates and budget.left <= 0:
        pytest.skip(f"--max-runs {budget.limit} reached: no more runs may be created")
    fuzzing.steer(case, api.workflow_id, api.run_input)
    # A sync create that may be accepted blocks for a whole run at the backend's pace: only
    # the profile's first few are sent (the others are counted in the summary).
    costly = operation == fuzzing.SYNC_OPERATION and fuzzing.may_create(case, api.workflow_id)
    if costly and not fuzzing.SYNC_RUNS.take(current().effort.sync_runs):
        return
    sent = {"base_url": api.base_url, "headers": {"X-API-Key": api.key}}
    response = case.call(**sent)
    if creates and response.status_code < 300:
        budget.spend()
    try:
        case.validate_response(response, headers=sent["headers"], transport_kwargs=sent)
    except FailureGroup as group:
        # kept, not raised: hypothesis would replay the case (a real backend may not repeat
        # it) and the other examples would not run
        for violation in fuzzing.violations(group, response, api.secrets):
            rules.note(violation)


def test_some_cases_were_answered_2xx(api: Api) -> None:
    """Runs after the cases above (file order); alone it still probes the API itself."""
    probe = api.call("GET", f"/v1/workflows/{api.workflow_id}/runs", params={"size": 1})
    seen = fuzzing.OBSERVED
    require(
        rules.SOME_2XX,
        probe.status < 300 and (seen.total == 0 or seen.successes > 0),
        f"{seen.total} generated cases got no 2xx at all (statuses {seen.statuses}); "
        f"the probe got {probe.status}: is the API key right?",
        probe,
    )
