"""Runs as resources: each create makes a new run holding what it sent, and a run id
nobody created is 404 on every run operation (on its own, not only when the stateful phase
happens to try it)."""

from __future__ import annotations

import uuid

from contract_tests import rules
from contract_tests.api import Api
from contract_tests.contract import concrete, operations
from contract_tests.error_body import check_error_body
from contract_tests.exchange import Exchange
from contract_tests.history import valid_body
from contract_tests.rules import check

CREATES = 3
RUN_OPERATIONS = [(m, p) for m, p, _ in operations() if "{run_id}" in p]


def test_each_create_makes_a_new_run_holding_what_it_sent(api: Api) -> None:
    seen: dict[str, Exchange] = {}
    for _ in range(CREATES):
        created = api.create()
        body = valid_body(created, "SimplifiedRun")
        check(
            rules.DISTINCT_RUNS,
            body["id"] not in seen,
            f"the create answered run id {body['id']}, the id of an earlier create's run",
            seen.get(body["id"], created),
            created,
        )
        seen.setdefault(body["id"], created)
        for exchange in (created, api.poll(body["id"])):
            held = valid_body(exchange, "SimplifiedRun")
            check(
                rules.ECHO,
                held.get("workflow_id") == api.workflow_id and held.get("input") == api.run_input,
                f"sent workflow_id {api.workflow_id} and input {api.run_input}; the run holds "
                f"workflow_id {held.get('workflow_id')} and input {held.get('input')}",
                created,
                *([exchange] if exchange is not created else []),
            )


def test_an_unknown_run_is_404_on_every_run_operation(api: Api) -> None:
    unknown = str(uuid.uuid4())
    for method, path in RUN_OPERATIONS:
        url = concrete(path, workflow_id=api.workflow_id, run_id=unknown)
        answer = api.peek(method, url)
        if check(
            rules.UNKNOWN_RUN,
            answer.status == 404,
            f"{method} {path} answered {answer.status} for run {unknown}, which nobody created",
            answer,
        ):
            check_error_body(answer)
