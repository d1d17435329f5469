"""schemathesis set-up shared by the conformance and stateful tests.

- Every built-in check runs except `ignored_auth`: it counts any accepted key as a defect,
  while the contract lets an implementation accept any non-empty key (the mock does).
  The suite's own auth rules (test_auth.py) check what the contract does promise.
- Two checks of the suite's own: a 422 carries the documented `detail` list, and every
  response is counted so that a run that saw no 2xx at all fails (a wrong key must not
  pass silently: schemathesis accepts a documented 401 as a valid answer).
- `Prefer` is not generated but fixed to `duration=1s` (short runs where honoured).
- Generated bodies are steered, keeping valid values valid and invalid ones invalid:
  an http(s) `callback_url` points at the suite's receiver (the implementation must not
  be sent to post webhooks to random hosts), and valid `node_ids` / `single_node_id`
  become null (which nodes exist is not in the spec; unknown ones are a documented 422).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

import schemathesis
from schemathesis import GenerationMode

from contract_tests import rules
from contract_tests.contract import SPEC_PATH, schema_errors
from contract_tests.options import Options

CREATE_OPERATIONS = {"createRun", "createSyncRun"}
EXCLUDED_CHECKS = ["ignored_auth"]
SHORT_RUN = "duration=1s"


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


def steer(case: Any) -> None:
    """Applied to every case before it is sent (hooks do not reach the coverage phase)."""
    body = case.body
    if not isinstance(body, dict):
        return
    if _valid("callback_url", body) and body["callback_url"] is not None:
        body["callback_url"] = OBSERVED.callback_url or body["callback_url"]
    for name in ("node_ids", "single_node_id"):
        if _valid(name, body):
            body[name] = None


def _valid(name: str, body: dict[str, Any]) -> bool:
    """Whether body[name] is present and valid by itself, as the spec says."""
    return name in body and not schema_errors("RunRequest", {"input": {}, name: body[name]})


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

    with patch.object(stateful, "is_likely_root_transition", likely_root):
        return schema.as_state_machine()


def load(options: Options, modes: list[GenerationMode]) -> Any:
    """The spec as schemathesis sees it, for `options`; the base URL is set per session."""
    schema = schemathesis.openapi.from_path(str(SPEC_PATH))
    schema.config.update(
        # `Prefer` (mock-only, ignored by real backends) is fixed to short runs: a sync
        # create blocks until its run ends, so a real-time mock would spend minutes there.
        parameters={"workflow_id": options.workflow_id, "Prefer": SHORT_RUN},
        request_timeout=options.run_timeout,
    )
    schema.config.generation.update(
        modes=modes,
        max_examples=options.effort.fuzz_examples,
        deterministic=options.effort.derandomize,
        # X-API-Key is always the suite's key (sent with each call); missing and refused
        # keys are the auth rules' business (test_auth.py), like ignored_auth above.
        with_security_parameters=False,
    )
    schema.config.checks.update(excluded_check_names=EXCLUDED_CHECKS)
    return schema
