"""Fault injection on the public API: latency and 429/503 answers with Retry-After.

Sits after connexion's routing (it needs the operationId) and before security, so an
injected failure costs the handler nothing. Draws come from a per-workspace rng seeded
from the mock's seed: the same seed and requests give the same faults.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mockserver.core.faults import Faults
from mockserver.state import MockState
from mockserver.web.asgi import send_json
from mockserver.web.asked import asked_of


class FaultInjection:
    def __init__(self, app: Any, state: MockState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        routing = scope.get("extensions", {}).get("connexion_routing", {})
        operation = routing.get("operation_id")
        if scope["type"] != "http" or operation is None or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        request = asked_of(scope)
        workspace = request.workspace
        faults = Faults.from_request(request.prefer.faults).over(
            await self.state.faults_for(workspace, operation)
        )
        rng = self.state.fault_rng(workspace)
        delay = faults.latency_s(rng)
        if delay:
            await asyncio.sleep(delay)
        status = faults.error(rng)
        if status is None:
            await self.app(scope, receive, send)
            return
        retry_after = faults.retry_after_s if faults.retry_after_s is not None else 1
        detail = {"detail": f"Injected fault: {status} (mock fault injection)"}
        await send_json(send, status, detail, {"Retry-After": str(retry_after)})
