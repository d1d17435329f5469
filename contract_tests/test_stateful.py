"""Stateful: schemathesis' state machine over the spec's links (create -> poll, get by id,
stop, events), every response checked as in conformance."""

from __future__ import annotations

from collections import Counter
from typing import Any, ClassVar

from hypothesis import settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from contract_tests import fuzzing, rules
from contract_tests.api import Api
from contract_tests.options import current
from contract_tests.receiver import Receiver
from contract_tests.rules import require

schema = fuzzing.load(current(), modes=list(GenerationMode))
LINKED = {"getRun", "getRunById", "stopRun", "getRunEvents"}


class Links(fuzzing.state_machine(schema)):  # type: ignore[misc]
    api: ClassVar[Api]
    answered: ClassVar[Counter[str]] = Counter()

    def before_call(self, case: Any) -> None:
        fuzzing.steer(case)

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        return {"base_url": self.api.base_url, "headers": {"X-API-Key": self.api.key}}

    def call(self, case: Any, **kwargs: Any) -> Any:
        operation = case.operation.definition.raw.get("operationId")
        if operation in fuzzing.CREATE_OPERATIONS:
            self.api.budget.take()
        response = super().call(case, **kwargs)
        if response.status_code < 300:
            self.answered[operation] += 1
        return response

    def validate_response(
        self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
    ) -> None:
        __tracebackhide__ = True
        # schemathesis reads an SSE schema as the frame ({event, id, data}); the spec's is
        # the JSON inside `data` (RunEvent), which test_channels.py checks frame by frame.
        events = case.operation.definition.raw.get("operationId") == "getRunEvents"
        case.validate_response(
            response,
            additional_checks=additional_checks,
            excluded_checks=[response_schema_conformance] if events else None,
            transport_kwargs=kwargs,
        )


def test_linked_operations_conform(api: Api, receiver: Receiver) -> None:
    effort = current().effort
    Links.api = api
    fuzzing.OBSERVED.callback_url = receiver.new_url()[0]
    Links.run(
        settings=settings(
            max_examples=effort.stateful_examples,
            stateful_step_count=effort.stateful_steps,
        )
    )
    linked = sum(Links.answered[name] for name in LINKED)
    require(
        rules.LINKS,
        Links.answered["createRun"] > 0 and linked > 0,
        f"2xx answers by operation: {dict(Links.answered)}",
    )
