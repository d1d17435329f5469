"""Run operations: create (async and sync), poll, list, get by id, stop."""

from __future__ import annotations

from typing import Any

from apicontract.problems import ErrorItem, ValidationProblem
from mockserver.api.change import change_run
from mockserver.core import creation, render
from mockserver.core.cassette import Cassette
from mockserver.core.clock import Reading
from mockserver.core.ids import workspace_of
from mockserver.core.models import Run
from mockserver.core.webhook_policy import webhook_allowed
from mockserver.core.workflows import Workflow
from mockserver.engine.asked import Asked
from mockserver.engine.journal import journal_entry
from mockserver.engine.problems import ApiError
from mockserver.engine.reply import Reply
from mockserver.engine.statuses import may_answer
from mockserver.state import MockState

Response = Reply | dict[str, Any]
_FURTHEST = 2**62


class Runs:
    def __init__(self, state: MockState) -> None:
        self._state = state
        path = state.settings.replay_path
        # Raises CassetteError (named) before the mock starts, as a bad workflows file does.
        self._cassette = (
            Cassette.parse(path.read_text(encoding="utf-8"), str(path)) if path else Cassette(())
        )

    def _workflow(self, workflow_id: str) -> Workflow:
        workflow = self._state.catalogue.get(workflow_id)
        if workflow is None:
            raise ApiError(404, f"Workflow {workflow_id} not found")
        return workflow

    async def _run(
        self, user: str, run_id: str, workflow_id: str | None = None
    ) -> tuple[Run, Reading]:
        """The run and the clock as its workspace sees it (one glance at the backend)."""
        run, clock = await self._state.backend.glances.run_at(workspace_of(user), run_id)
        if run is None or (workflow_id is not None and run.workflow_id != workflow_id):
            raise ApiError(404, "Run not found")
        return run, clock

    async def _make_room(self, workspace: str) -> float:
        """Keep the store under its cap by evicting finished runs, journaling each; the
        workspace's now."""
        state = self._state
        cap = state.settings.max_runs
        room, clock = await state.backend.glances.room_at(workspace, cap)
        if room:
            return clock.now
        batch = max(1, cap // 100)  # amortise the eviction
        # Offsets only move a workspace forward: what ended by the global now has ended.
        before = await state.now()
        for run in await state.runs.evict_finished(batch, before):
            await state.backend.journal.note(
                journal_entry("EVICT", f"/v1/runs/{run.id}", 410, run.workspace)
            )
        if await state.runs.count() >= cap:
            msg = "The mock holds its maximum of unfinished runs; retry later"
            raise ApiError(503, msg, retry_after=5)
        return await state.now(workspace)

    async def _create(
        self, workflow_id: str, body: dict[str, Any], user: str, asked: Asked
    ) -> tuple[Run, float, dict[str, str]]:
        state = self._state
        workspace = workspace_of(user)
        workflow = self._workflow(workflow_id)
        callback = body.get("callback_url")
        if callback and not webhook_allowed(callback, state.settings.webhook_allow):
            msg = "Webhook host is not allowed by this mock (--webhook-allow)"
            raise ValidationProblem([ErrorItem(["body", "callback_url"], msg, "value_error")])
        now = await self._make_room(workspace)
        try:
            decided = creation.decide(
                workflow_id, workflow, body, asked.prefer, state.default_scenario, self._cassette
            )
        except creation.UnknownNodes as exc:
            raise ApiError(404, f"Unknown node id {exc} in workflow {workflow_id}") from exc
        run = await state.runs.add(
            creation.new_run(
                await state.backend.ids.new(workspace),
                workspace,
                workflow_id,
                workflow,
                body,
                decided,
                now,
            )
        )
        if run.callback_url:  # stored as expected by the outbox along with the run
            state.changes.notify()  # the webhook dispatcher learns of the new run
        applied = decided.prefs.applied
        headers = {"Preference-Applied": ", ".join(applied)} if applied else {}
        return run, now, headers

    def _view(
        self, run: Run, now: float, *, output_only: bool = False, use_output_ids: bool = False
    ) -> dict[str, Any]:
        workflow = self._workflow(run.workflow_id)
        snap = run.timeline.snapshot_at(now)
        body = render.run_output if output_only else render.simplified_run
        return body(run, workflow, snap, by_id=use_output_ids)

    @may_answer(404, 422, 503)
    async def create(
        self, workflow_id: str, body: dict[str, Any], user: str, asked: Asked
    ) -> Response:
        run, now, headers = await self._create(workflow_id, body, user, asked)
        return Reply(self._view(run, now), headers=headers)

    @may_answer(404, 422, 503)
    async def create_sync(
        self,
        workflow_id: str,
        body: dict[str, Any],
        user: str,
        asked: Asked,
        output_only: bool = False,
        use_output_ids: bool = False,
    ) -> Response:
        run, now, headers = await self._create(workflow_id, body, user, asked)
        state = self._state
        deadline = now + state.settings.sync_cap_s
        # Sleep until the run's next moment (or the cap); a stop, a resume or a clock
        # move wakes us early to look again.
        while True:
            run, clock = await self._run(user, run.id)
            now = clock.now
            if run.timeline.snapshot_at(now).terminal or now >= deadline:
                break
            due = run.timeline.next_moment_after(now)
            await state.changes.wait(clock.real_delay(min(due or deadline, deadline) - now))
        view = self._view(run, now, output_only=output_only, use_output_ids=use_output_ids)
        return Reply(view, headers=headers)

    @may_answer(404)
    async def poll(
        self,
        workflow_id: str,
        run_id: str,
        user: str,
        output_only: bool = False,
        use_output_ids: bool = False,
    ) -> Response:
        run, clock = await self._run(user, run_id, workflow_id)
        return self._view(run, clock.now, output_only=output_only, use_output_ids=use_output_ids)

    @may_answer(404)
    async def get_by_id(self, run_id: str, user: str) -> Response:
        run, clock = await self._run(user, run_id)
        return render.run_no_io(run, run.timeline.snapshot_at(clock.now))

    @may_answer(404)
    async def list(
        self,
        workflow_id: str,
        user: str,
        page: int = 1,
        size: int | None = None,
        page_size: int | None = None,
    ) -> Response:
        self._workflow(workflow_id)
        workspace = workspace_of(user)
        size = size or page_size or 50
        # A page past any store's end reads nothing: the offset is capped where every
        # backend still counts (islice and SQLite stop at 2**63 - 1; a spec may not bound it).
        offset = min((page - 1) * size, _FURTHEST)
        chosen, total = await self._state.runs.page(
            workspace, offset, size, workflow_id=workflow_id
        )
        now = await self._state.now(workspace)
        items = [self._view(run, now) for run in chosen]
        return render.page(items, total=total, page=page, size=size)

    @may_answer(404, 409)
    async def stop(self, run_id: str, user: str) -> Response:
        run, clock = await self._run(user, run_id)
        now = clock.now
        stopped = await change_run(self._state, run.id, lambda found: found.timeline.stop(now))
        return self._view(stopped, now)
