"""The rules on a run's webhook deliveries: one logical delivery, retried under one id."""

from __future__ import annotations

import time
from typing import Any

from contract_tests import rules
from contract_tests.contract import schema_errors
from contract_tests.exchange import Exchange
from contract_tests.receiver import Delivery, Receiver
from contract_tests.rules import require

SETTLE_S = 0.5  # after the acknowledged delivery, how long a duplicate has to show up


def check_deliveries(
    receiver: Receiver, token: str, run: dict[str, Any], created: Exchange, timeout: float
) -> Delivery:
    """Wait for the webhook of terminal `run` (bounded) and check every attempt; the
    acknowledged delivery."""
    __tracebackhide__ = True
    receiver.wait_for(token, 1, timeout)
    time.sleep(SETTLE_S)
    hits = receiver.deliveries(token)
    acknowledged = [d for d in hits if d.answered < 300]
    require(
        rules.HOOK_ONCE,
        len(acknowledged) == 1,
        f"{len(acknowledged)} acknowledged deliveries ({len(hits)} attempts) for run {run['id']}",
        created,
        *hits,
    )
    ids = {d.delivery_id for d in hits}
    require(
        rules.HOOK_RETRY,
        len(ids) == 1 and None not in ids,
        f"attempts carry delivery ids {sorted(map(str, ids))}; expected one, the same on each",
        created,
        *hits,
    )
    require(
        rules.HOOK_ONCE,
        hits[-1] is acknowledged[0],
        "attempts went on after one was acknowledged",
        created,
        *hits,
    )
    delivery = acknowledged[0]
    try:
        payload = delivery.json()
    except ValueError:
        payload = None
    errors = schema_errors("WebhookPayload", payload) if isinstance(payload, dict) else ["not JSON"]
    require(rules.HOOK_SCHEMA, not errors, f"not a WebhookPayload: {errors}", created, delivery)
    same = payload["run_id"] == run["id"] and payload["workflow_id"] == run["workflow_id"]
    require(rules.HOOK_SCHEMA, same, "run_id / workflow_id are not this run's", created, delivery)
    return delivery


def require_retried(hits: list[Delivery], refused: int, created: Exchange) -> None:
    require(
        rules.HOOK_RETRY,
        len(hits) > refused,
        f"the receiver refused {refused} attempt(s); {len(hits)} attempt(s) arrived in all",
        created,
        *hits,
    )
