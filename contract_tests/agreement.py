"""The channels rule: poll, SSE and webhook tell the same end of one run. Plain functions:
the suite's channel test and the proxy (on live traffic) both call them."""

from __future__ import annotations

from typing import Any

from contract_tests import rules
from contract_tests.exchange import Exchange
from contract_tests.receiver import Delivery
from contract_tests.rules import Evidence, require


def require_sse_agrees(status: str, sse_status: str, poll: Exchange, stream: Evidence) -> None:
    __tracebackhide__ = True
    require(
        rules.AGREE,
        sse_status == status,
        f"poll says {status}, SSE says {sse_status}",
        poll,
        stream,
    )


def require_webhook_agrees(
    status: str, outputs: dict[str, Any], poll: Exchange, delivery: Delivery
) -> None:
    """`outputs`: the terminal poll's output (keyed by label, as without use_output_ids)."""
    __tracebackhide__ = True
    payload = delivery.json()
    require(
        rules.AGREE,
        payload["status"] == status and (status != "completed" or payload["outputs"] == outputs),
        f"poll says {status} with output {outputs}; the webhook says {payload['status']} "
        f"with outputs {payload['outputs']}",
        poll,
        delivery,
    )
