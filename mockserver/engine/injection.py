"""Fault injection on the public API: latency and 429/503 answers with Retry-After.

Asked after routing (it needs the operationId) and before security, so an injected
failure costs the handler nothing. Draws come from a per-workspace rng seeded from the
mock's seed: the same seed and requests give the same faults.
"""

from __future__ import annotations

import asyncio

from mockserver.core.faults import FaultBook, Faults
from mockserver.engine.asked import Asked
from mockserver.engine.problems import Answer
from mockserver.engine.reply import Reply
from mockserver.state import MockState


async def injected_fault(state: MockState, asked: Asked, operation: str) -> Answer | None:
    """Sleeps the drawn latency; the injected error answer, or None to go on."""
    workspace = asked.workspace
    wanted = asked.prefer.faults
    rules = await state.backend.faults.rules()
    if not rules and wanted.latency_ms is None and wanted.status is None:
        return None  # nothing asked, no rule set: most calls, spared building Faults
    faults = Faults.from_request(wanted).over(FaultBook(rules).effective(workspace, operation))
    rng = state.fault_rng(workspace)
    delay = faults.latency_s(rng)
    if delay:
        await asyncio.sleep(delay)
    status = faults.error(rng)
    if status is None:
        return None
    retry_after = faults.retry_after_s if faults.retry_after_s is not None else 1
    detail = {"detail": f"Injected fault: {status} (mock fault injection)"}
    return Reply(detail, status, {"Retry-After": str(retry_after)})
