"""Webhook deliveries: one logical delivery per terminal run, retried, signed, recorded.

The outbox knows which runs expect a webhook. The dispatcher (one asyncio task, started
with the app) sleeps until the next of those runs is due to move, or until a change wakes
it, then hands each finished run to the sender. Sending happens in its own task, so it
never blocks a request, and shutdown cancels it instead of waiting on a dead receiver.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mockserver.core import render
from mockserver.core.faults import WEBHOOK, Faults
from mockserver.core.ids import delivery_id
from mockserver.core.models import Attempt, Delivery
from mockserver.core.webhook_policy import DELIVERY_HEADER, SIGNATURE_HEADER, signature
from mockserver.engine.asgi import WORKER_HEADER
from mockserver.engine.encoding import dumps
from mockserver.state import MockState

if TYPE_CHECKING:
    import httpx

logger = logging.getLogger("mockserver.webhooks")

# Due runs handed over per look; more wait for the next look, at once.
DUE_BATCH = 100


def _wall() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class Dispatcher:
    def __init__(self, state: MockState) -> None:
        self._state = state
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self._client: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._run())

    def _http(self) -> httpx.AsyncClient:
        # Made for the first delivery: many sessions send none, and httpx is a slow import
        # (a tenth of a second) that no start should wait for.
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(timeout=self._state.settings.webhook_timeout_s)
        return self._client

    async def stop(self) -> None:
        pending = [t for t in (self._loop_task, *self._tasks) if t is not None]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()

    async def _run(self) -> None:
        # A backend that went away (Redis restarting) must not end the dispatcher.
        while True:
            try:
                await self._dispatch()
            except self._state.backend.unavailable as exc:
                logger.warning("webhook dispatcher: state unavailable (%s); retrying", exc)
                await asyncio.sleep(1.0)

    async def _dispatch(self) -> None:
        state = self._state
        lease = self._lease_s()
        loop = asyncio.get_running_loop()
        next_orphan_check = loop.time()
        while True:
            if loop.time() >= next_orphan_check:
                # Deliveries left pending by a process that died (or by our own crash).
                for delivery in await state.outbox.orphans(lease):
                    self._send(delivery, await state.faults_for(delivery.workspace, WEBHOOK))
                next_orphan_check = loop.time() + lease / 2
            # Shared: others may die holding deliveries; look for orphans on time.
            waits: list[float] = [lease / 2] if state.backend.shared else []
            clock = await state.reading()
            # Ends are stored on each workspace's clock: the most advanced one bounds them.
            until = clock.now + await state.backend.time.max_offset()
            due = await state.outbox.due(until, DUE_BATCH)
            if len(due) == DUE_BATCH:
                waits.append(0.0)  # more are due: come back at once
            for workspace, run_id in due:
                wait = await self._hand_over(workspace, run_id, lease)
                if wait is not None:
                    waits.append(wait)
            later = await state.outbox.next_end(after=until)
            if later is not None and (real := clock.real_delay(later - until)) is not None:
                waits.append(real)
            await state.changes.wait(min(waits) if waits else None)

    async def _hand_over(self, workspace: str, run_id: str, lease: float) -> float | None:
        """Start the delivery of a run that ended; else the real seconds until it does."""
        state = self._state
        run = await state.runs.get(workspace, run_id)
        if run is None or run.callback_url is None:
            await state.outbox.drop(run_id)
            return None
        clock = await state.reading(workspace)
        snap = run.timeline.snapshot_at(clock.now)
        if not snap.terminal:  # its workspace's clock is behind the most advanced one
            due = run.timeline.next_moment_after(clock.now)
            return None if due is None else clock.real_delay(due - clock.now)
        workflow = state.catalogue.get(run.workflow_id)
        if workflow is None:
            await state.outbox.drop(run_id)
            return None
        body = dumps(render.webhook_payload(run, workflow, snap))
        delivery = Delivery(delivery_id(run.id), run.id, workspace, run.callback_url, body)
        if await state.outbox.start(delivery, lease):
            faults = Faults.from_request(run.faults).over(
                await state.faults_for(workspace, WEBHOOK)
            )
            self._send(delivery, faults)
        return None

    def _lease_s(self) -> float:
        return self._state.settings.webhook_lease_s

    async def _pause(self, delivery: Delivery, seconds: float) -> None:
        """Sleep between attempts, renewing the delivery's lease so nobody takes it over."""
        lease = self._lease_s()
        end = asyncio.get_running_loop().time() + seconds
        while (left := end - asyncio.get_running_loop().time()) > 0:
            await asyncio.sleep(min(left, lease / 3))
            await self._state.outbox.save(delivery, lease)

    def _send(self, delivery: Delivery, faults: Faults) -> None:
        task = asyncio.create_task(self._deliver(delivery, faults))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, delivery: Delivery, faults: Faults) -> None:
        settings = self._state.settings
        outbox = self._state.outbox
        lease = self._lease_s()
        client = self._http()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "noxus-runs-mock",
            DELIVERY_HEADER: delivery.id,
        }
        if self._state.backend.shared:
            # Which process sent it (replicas and workers share deliveries), like on answers.
            headers[WORKER_HEADER] = str(os.getpid())
        if settings.webhook_secret:
            headers[SIGNATURE_HEADER] = signature(settings.webhook_secret, delivery.body)
        if faults.webhook_delay_s:
            await asyncio.sleep(faults.webhook_delay_s)
        injected = faults.webhook_fail_times or 0
        first = len(delivery.attempts) + 1  # a resumed delivery goes on counting
        for number in range(first, settings.webhook_max_attempts + 1):
            attempt = Attempt(number, _wall())
            delivery.attempts.append(attempt)
            if number <= injected:
                attempt.error = "injected failure (not sent)"
            else:
                try:
                    response = await client.post(
                        delivery.url, content=delivery.body, headers=headers
                    )
                    attempt.status_code = response.status_code
                    if response.is_success:
                        delivery.state = "delivered"
                        await outbox.save(delivery, lease)
                        await self._duplicate(delivery, headers, faults.webhook_duplicates or 0)
                        return
                except _http_error() as exc:
                    attempt.error = (
                        f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                    )
            await outbox.save(delivery, lease)
            if number < settings.webhook_max_attempts:
                await self._pause(delivery, settings.webhook_backoff_s * 2 ** (number - 1))
        delivery.state = "failed"
        await outbox.save(delivery, lease)

    async def _duplicate(self, delivery: Delivery, headers: dict[str, str], copies: int) -> None:
        """Injected fault: send the delivered body again, same delivery id."""
        client = self._http()
        for _ in range(copies):
            attempt = Attempt(len(delivery.attempts) + 1, _wall(), error="injected duplicate")
            delivery.attempts.append(attempt)
            with contextlib.suppress(*_http_error()):
                attempt.status_code = (
                    await client.post(delivery.url, content=delivery.body, headers=headers)
                ).status_code


def _http_error() -> tuple[type[Exception], ...]:
    """What a failed attempt raises; InvalidURL (not an HTTPError): a callback_url the
    document allowed (any string) that is no URL fails its attempts, it does not crash."""
    import httpx  # imported by then: the client was made first

    return httpx.HTTPError, httpx.InvalidURL


@contextlib.asynccontextmanager
async def running(state: MockState) -> AsyncIterator[None]:
    """The app lifespan: the backend is open and the dispatcher runs while the app serves."""
    await state.backend.start()
    dispatcher = Dispatcher(state)
    await dispatcher.start()
    try:
        yield
    finally:
        await dispatcher.stop()
        await state.backend.close()
