"""schemathesis set-up shared by the conformance and stateful tests.

- Every built-in check runs except `ignored_auth`: it counts any accepted key as a defect,
  while the contract lets an implementation accept any non-empty key (the mock does).
  The suite's own auth rules (test_auth.py) check what the contract does promise.
- Two checks of the suite's own: a 422 carries the documented `detail` list, and every
  response is counted so that a run that saw no 2xx at all fails (a wrong key must not
  pass silently: schemathesis accepts a documented 401 as a valid answer).
- schemathesis sees the public contract only (`contract.public_document()`): what the
  spec marks `x-mock`, such as the `Prefer` header, is never generated or sent.
- Generated requests are steered, keeping valid values valid and invalid ones invalid:
  a valid `workflow_id` becomes the configured one (--workflow-id) and a valid `input`
  the configured one (--run-input), so a backend that only knows its own workflows is
  exercised, not just answering 404; an http(s) `callback_url` points at the suite's
  receiver (the implementation must not be sent to post webhooks to random hosts), and
  valid `node_ids` / `single_node_id` become null (which nodes exist is not in the spec;
  unknown ones are a documented 404).
- A schemathesis failure is reported as the suite rule its check stands for
  (`rules.CHECKS`), with the exchange and a curl line that reads keys from `$CONTRACT_*`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

import schemathesis
from schemathesis import GenerationMode
from schemathesis.core.failures import CustomFailure, Failure, FailureGroup

from contract_tests import rules
from contract_tests.contract import public_document, resolve, schema_errors
from contract_tests.exchange import Exchange
from contract_tests.options import Options
from contract_tests.rules import ContractViolation

SYNC_OPERATION = "createSyncRun"
CREATE_OPERATIONS = {"createRun", SYNC_OPERATION}
EXCLUDED_CHECKS = ["ignored_auth"]


@dataclass
class Observed:
    """Status codes the checks saw, and where webhooks from generated runs should go."""

    statuses: dict[int, int] = field(default_factory=dict)
    callback_url: str | None = None

    @property
    def successes(self) -> int:
        return sum(n for code, n in self.statuses.items() if 200 <= code < 300)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())


OBSERVED = Observed()


@dataclass
class Quota:
    """How many of some costly cases were sent, and how many were held back."""

    sent: int = 0
    held: int = 0

    def take(self, limit: int) -> bool:
        if self.sent < limit:
            self.sent += 1
            return True
        self.held += 1
        return False


SYNC_RUNS = Quota()


def may_create(case: Any, workflow_id: str) -> bool:
    """Whether a create case (steered) may start a run: the configured workflow and a body
    valid by the spec. schemathesis' "negative" cases qualify too when what makes them
    invalid is something an implementation may accept (e.g. an unknown query parameter)."""
    path = case.path_parameters or {}
    body = case.body
    return (
        path.get("workflow_id") == workflow_id
        and isinstance(body, dict)
        and not schema_errors("RunRequest", body)
        and all(_flag_ok(case, name, value) for name, value in (case.query or {}).items())
    )


def _flag_ok(case: Any, name: str, value: Any) -> bool:
    """A boolean query parameter (`output_only`, ...) holds a boolean; others may pass."""
    for declared in case.operation.definition.raw.get("parameters", []):
        found = resolve(declared["$ref"][1:]) if "$ref" in declared else declared
        if found.get("name") == name and found.get("schema", {}).get("type") == "boolean":
            return str(value).lower() in {"true", "false"}
    return True


@schemathesis.check
def validation_error_detail(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 422 body is the documented detail list; every status is counted."""
    OBSERVED.statuses[response.status_code] = OBSERVED.statuses.get(response.status_code, 0) + 1
    if response.status_code != 422:
        return None
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    items_ok = isinstance(detail, list) and bool(detail) and all(_is_error_item(i) for i in detail)
    if not items_ok:
        raise AssertionError(
            f"[{rules.ERROR_SHAPE.id}] {rules.ERROR_SHAPE.text}; got {response.text[:300]!r}"
        )
    return True


def _is_error_item(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and isinstance(item.get("loc"), list)
        and all(isinstance(part, str | int) for part in item["loc"])
        and isinstance(item.get("msg"), str)
        and isinstance(item.get("type"), str)
    )


def steer(case: Any, workflow_id: str, run_input: dict[str, Any]) -> None:
    """Applied to every case before it is sent (hooks do not reach the coverage phase)."""
    path = case.path_parameters
    if isinstance(path, dict) and "workflow_id" in path and _uuid(path["workflow_id"]):
        path["workflow_id"] = workflow_id
    body = case.body
    if not isinstance(body, dict):
        return
    if _valid("input", body):
        body["input"] = dict(run_input)
    if _valid("callback_url", body) and body["callback_url"] is not None:
        body["callback_url"] = OBSERVED.callback_url or body["callback_url"]
    for name in ("node_ids", "single_node_id"):
        if _valid(name, body):
            body[name] = None


def _uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str) and len(value) == 36


def _valid(name: str, body: dict[str, Any]) -> bool:
    """Whether body[name] is present and valid by itself, as the spec says."""
    return name in body and not schema_errors("RunRequest", {"input": {}, name: body[name]})


def violations(
    group: FailureGroup, response: Any, secrets: Mapping[str, str]
) -> list[ContractViolation]:
    """schemathesis' failures on one response, one violation per suite rule they break."""
    by_rule: dict[str, list[Failure]] = {}
    for failure in group.exceptions:
        by_rule.setdefault(_rule_of(failure).id, []).append(failure)
    exchange = Exchange.of_schemathesis(response, secrets)
    found = []
    for rule_id, failures in by_rule.items():
        rule = rules.by_id(rule_id)
        assert rule is not None
        problem = "; ".join(_said(f) for f in failures)
        found.append(ContractViolation(rule, problem, [exchange]))
    return found


def _said(failure: Failure) -> str:
    """A failure's title and message, without schemathesis' empty parts (`Server error:`)."""
    title = (failure.title or "").strip()
    message = re.sub(r"^\[[\w.-]+\]\s*", "", (failure.message or "").strip())
    return f"{title}: {message}" if title and message else title or message


def _rule_of(failure: Failure) -> rules.Rule:
    if isinstance(failure, CustomFailure):  # our own checks name their rule first
        found = re.match(r"\[([\w.-]+)\]", failure.message or failure.title)
        rule = rules.by_id(found.group(1)) if found else None
        if rule is not None:
            return rule
    for check in type(failure).checks:
        if check in rules.CHECKS:
            return rules.CHECKS[check]
    return rules.RESPONSE_SCHEMA if "schema" in failure.title.lower() else rules.DOCUMENTED_STATUS


def state_machine(schema: Any) -> Any:
    """The link-following state machine, with the create operations as its entry points.

    schemathesis 4.32 starts scenarios only where it expects success; it sees `workflow_id`
    as a resource nothing produces and so never starts with a create, leaving every link
    unused. Here the workflow id is given (--workflow-id), so the creates are sound roots.
    """
    import schemathesis.specs.openapi.stateful as stateful

    original = stateful.is_likely_root_transition

    def likely_root(operation: Any, node: Any, produced: Any) -> bool:
        if operation.definition.raw.get("operationId") in CREATE_OPERATIONS:
            return True
        return bool(original(operation, node, produced))

    # The spec's links only (as fuzz/schemathesis.toml): inferred ones would spread the
    # steps over every operation of the document, and start scenarios from made-up ids.
    schema.config.phases.stateful.inference.algorithms = []
    with patch.object(stateful, "is_likely_root_transition", likely_root):
        return schema.as_state_machine()


def load(options: Options, modes: list[GenerationMode], max_examples: int | None = None) -> Any:
    """The spec as schemathesis sees it, for `options`; the base URL is set per session."""
    schema = schemathesis.openapi.from_dict(public_document())
    schema.config.update(
        parameters={"workflow_id": options.workflow_id}, request_timeout=options.run_timeout
    )
    schema.config.generation.update(
        modes=modes,
        max_examples=max_examples or options.effort.fuzz_examples,
        deterministic=options.effort.derandomize,
        # X-API-Key is always the suite's key (sent with each call); missing and refused
        # keys are the auth rules' business (test_auth.py), like ignored_auth above.
        with_security_parameters=False,
    )
    schema.config.checks.update(excluded_check_names=EXCLUDED_CHECKS)
    return schema
