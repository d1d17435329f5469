"""The rules on a run's webhook deliveries: one logical delivery, retried under one id."""

from __future__ import annotations

import time
from typing import Any

from contract_tests import rules
from contract_tests.contract import delivery_id_header, schema_errors, terminal
from contract_tests.exchange import Exchange
from contract_tests.receiver import Delivery, Receiver
from contract_tests.rules import check, require

SETTLE_S = 0.5  # after the acknowledged delivery, how long a duplicate has to show up


def check_deliveries(
    receiver: Receiver, token: str, run: dict[str, Any], created: Exchange, timeout: float
) -> Delivery:
    """Wait for the webhook of terminal `run` (bounded) and check every attempt; the
    acknowledged delivery.

    Delivery is at least once (the callback's description): a copy of the same delivery
    (same id, same body) after the acknowledgement is allowed; a second delivery id is not.
    """
    __tracebackhide__ = True
    receiver.wait_for(token, 1, timeout)
    time.sleep(SETTLE_S)
    return judge_deliveries(receiver.deliveries(token), run, created)


def judge_deliveries(hits: list[Delivery], run: dict[str, Any], created: Exchange) -> Delivery:
    """The rules on every attempt seen so far for `run` (its `id` and `workflow_id`); the
    acknowledged delivery. Plain: the suite's receiver and the proxy both call it."""
    __tracebackhide__ = True
    acknowledged = [d for d in hits if d.answered < 300]
    ids = {d.delivery_id for d in hits}
    # attempts came, all refused by the receiver, none after: a retry defect, not a count one
    require(
        rules.HOOK_RETRY,
        bool(acknowledged) or not hits,
        f"the receiver refused {len(hits)} attempt(s) for run {run['id']}; "
        "no later attempt arrived",
        created,
        *hits,
    )
    require(
        rules.HOOK_ONCE,
        bool(acknowledged) and len({d.delivery_id for d in acknowledged}) == 1,
        f"{len(acknowledged)} acknowledged attempts ({len(hits)} in all) for run {run['id']}, "
        f"delivery ids {sorted(map(str, ids))}",
        created,
        *hits,
    )
    header = delivery_id_header()
    missing = [n for n, d in enumerate(hits, 1) if not d.delivery_id]
    check(rules.HOOK_SCHEMA, not missing, f"attempt(s) {missing} lack {header}", created, *hits)
    check(
        rules.HOOK_RETRY,
        len(ids) == 1 and len({d.raw for d in hits}) == 1,
        f"attempts carry delivery ids {sorted(map(str, ids))} and "
        f"{len({d.raw for d in hits})} distinct bodies; expected one of each",
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


def check_after_terminal(hits: list[Delivery], views: list[tuple[Exchange, Any]]) -> None:
    """No delivery before the run ended: an answer to a poll sent after the first delivery
    reached the receiver cannot say the run is still live (`views`: the run as seen, the
    create first)."""
    __tracebackhide__ = True
    first = min((d.arrived for d in hits if d.arrived), default=None)
    if first is None:
        return
    live = [
        (exchange, body)
        for exchange, body in views
        if exchange.sent > first
        and exchange.status == 200
        and isinstance(body, dict)
        and isinstance(body.get("status"), str)
        and body["status"] not in terminal()
    ]
    early = hits[0]
    after = max(0.0, first - views[0][0].sent)
    check(
        rules.HOOK_AFTER,
        not live,
        f"the webhook (status {_status_of(early)!r}) arrived {after:.2f} s "
        f"after the create was sent, and {len(live)} later poll(s) still saw the run live "
        f"({', '.join(sorted({str(b.get('status')) for _, b in live}))})",
        views[0][0],
        early,
        *[exchange for exchange, _ in live[:1]],
    )


def _status_of(delivery: Delivery) -> Any:
    try:
        payload = delivery.json()
    except ValueError:
        return None
    return payload.get("status") if isinstance(payload, dict) else None


def require_retried(hits: list[Delivery], refused: int, created: Exchange) -> None:
    require(
        rules.HOOK_RETRY,
        len(hits) > refused,
        f"the receiver refused {refused} attempt(s); {len(hits)} attempt(s) arrived in all",
        created,
        *hits,
    )
