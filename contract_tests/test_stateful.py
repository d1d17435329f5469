"""Stateful: schemathesis' state machine over the spec's links (create -> poll, get by id,
stop, events), every response checked as in conformance, with the configured workflow."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from hypothesis import settings
from hypothesis.errors import FlakyStrategyDefinition
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from contract_tests import fuzzing, rules
from contract_tests.api import Api
from contract_tests.exchange import Exchange
from contract_tests.options import current
from contract_tests.receiver import Receiver
from contract_tests.rules import require

schema = fuzzing.load(current(), modes=list(GenerationMode))
LINKED = {"getRun", "getRunById", "stopRun", "getRunEvents"}
# why the state machine stopped early, if it did (printed in the session summary)
CUT_SHORT: list[str] = []


class Links(fuzzing.state_machine(schema)):  # type: ignore[misc]
    api: ClassVar[Api]
    # (operationId, status) of every call, and the last exchange of each operation
    answered: ClassVar[Counter[tuple[str, int]]] = Counter()
    last: ClassVar[dict[str, Exchange]] = {}

    def before_call(self, case: Any) -> None:
        fuzzing.steer(case, self.api.workflow_id, self.api.run_input)

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"base_url": self.api.base_url, "headers": {"X-API-Key": self.api.key}}

    def call(self, case: Any, **kwargs: Any) -> Any:
        operation = case.operation.definition.raw.get("operationId")
        creates = operation in fuzzing.CREATE_OPERATIONS
        if creates:
            self.api.budget.take()
        response = super().call(case, **kwargs)
        if creates and response.status_code >= 300:
            self.api.budget.refund()  # only runs created count
        self.answered[(operation, response.status_code)] += 1
        self.last[operation] = Exchange.of_schemathesis(response, self.api.secrets)
        return response

    def validate_response(
        self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        __tracebackhide__ = True
        # schemathesis reads an SSE schema as the frame ({event, id, data}); the spec's is
        # the JSON inside `data` (RunEvent), which test_channels.py checks frame by frame.
        events = case.operation.definition.raw.get("operationId") == "getRunEvents"
        try:
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=[response_schema_conformance] if events else None,
                transport_kwargs=kwargs,
            )
        except FailureGroup as group:
            # kept, not raised: the scenario goes on, and hypothesis never replays a
            # scenario whose answers a real backend may not repeat
            for violation in fuzzing.violations(group, response, self.api.secrets):
                rules.note(violation)


def successes(operations: set[str]) -> int:
    return sum(n for (op, status), n in Links.answered.items() if op in operations and status < 300)


def scenarios(api: Api) -> int:
    """The profile's scenarios, fewer against a slow backend: a scenario waits for about
    1.5 runs (events, sync creates), and the waiting stays near the profile's time box."""
    effort = current().effort
    pace = api.pace.typical()
    if pace is None or pace <= 0:
        return effort.stateful_examples
    fitting = int(effort.time_box_s / (1.5 * pace))
    return max(effort.min_examples, min(effort.stateful_examples, fitting))


def test_linked_operations_conform(api: Api, receiver: Receiver) -> None:
    effort = current().effort
    Links.api = api
    fuzzing.OBSERVED.callback_url = receiver.new_url()[0]
    try:
        Links.run(
            settings=settings(
                max_examples=scenarios(api),
                stateful_step_count=effort.stateful_steps,
            )
        )
    except FlakyStrategyDefinition as exc:
        # Which links a scenario may follow depends on the backend's answers, so against a
        # backend with random timings hypothesis may see its own draws differ between
        # scenarios: the suite's making, not a defect. The scenarios run were judged.
        CUT_SHORT.append(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    by_operation = ", ".join(
        f"{op} {status}: {n}" for (op, status), n in sorted(Links.answered.items())
    )
    require(
        rules.LINKS,
        successes({"createRun", "createSyncRun"}) > 0 and successes(LINKED) > 0,
        f"calls by operation and status: {by_operation or 'none'} "
        f"(workflow {api.workflow_id}); no create led to a 2xx linked call",
        *[Links.last[op] for op in ("createRun", "getRun") if op in Links.last],
    )
