"""Run operations: create (async and sync), poll, list, get by id, stop."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from connexion import request

from mockserver.core import render
from mockserver.core.ids import workspace_of
from mockserver.core.lifecycle import IllegalMove
from mockserver.core.models import Run
from mockserver.core.planning import plan, select_nodes
from mockserver.core.webhook_policy import webhook_allowed
from mockserver.core.workflows import Workflow
from mockserver.state import MockState
from mockserver.web.asked import asked_of
from mockserver.web.errors import ApiError, ErrorItem, ValidationProblem

Response = tuple[dict[str, Any], int, dict[str, str]] | dict[str, Any]


class Runs:
    def __init__(self, state: MockState) -> None:
        self._state = state

    def _workflow(self, workflow_id: str) -> Workflow:
        workflow = self._state.catalogue.get(workflow_id)
        if workflow is None:
            raise ApiError(404, f"Workflow {workflow_id} not found")
        return workflow

    def _run(self, user: str, run_id: str, workflow_id: str | None = None) -> Run:
        run = self._state.store.get(workspace_of(user), run_id)
        if run is None or (workflow_id is not None and run.workflow_id != workflow_id):
            raise ApiError(404, "Run not found")
        return run

    def _make_room(self) -> None:
        """Keep the store under its cap by evicting finished runs, journaling each."""
        state = self._state
        if len(state.store) < state.settings.max_runs:
            return
        batch = max(1, state.settings.max_runs // 100)  # amortise the scan
        awaiting_webhook = frozenset(run_id for _, run_id in state.outbox.expected())
        for run in state.store.evict_finished(batch, state.now, awaiting_webhook):
            state.journal.note("EVICT", f"/v1/runs/{run.id}", 410, run.workspace)
        if len(state.store) >= state.settings.max_runs:
            msg = "The mock holds its maximum of unfinished runs; retry later"
            raise ApiError(503, msg, retry_after=5)

    def _create(
        self, workflow_id: str, body: dict[str, Any], user: str
    ) -> tuple[Run, dict[str, str]]:
        state = self._state
        workspace = workspace_of(user)
        workflow = self._workflow(workflow_id)
        callback = body.get("callback_url")
        if callback and not webhook_allowed(callback, state.settings.webhook_allow):
            msg = "Webhook host is not allowed by this mock (--webhook-allow)"
            raise ValidationProblem([ErrorItem(["body", "callback_url"], msg, "value_error")])
        self._make_room()
        node_ids = body.get("node_ids")
        selected, unknown = select_nodes(workflow, node_ids, body.get("single_node_id"))
        if unknown:
            # Schema-valid but naming nothing that exists: "not found", like a run id.
            names = ", ".join(repr(node) for node in unknown)
            raise ApiError(404, f"Unknown node id {names} in workflow {workflow_id}")
        prefs = asked_of(request.scope).prefer
        asked = prefs.scenario
        # A Prefer naming a node this run does not execute is not honoured (RFC 7240).
        for key in ("fail_at", "pause_at"):
            node = getattr(asked, key)
            if node is not None and node not in selected:
                asked = replace(asked, **{key: None})
                if key == "fail_at" and "outcome=failed" not in prefs.applied:
                    asked = replace(asked, outcome=None)  # the failure was only implied
                prefs = replace(
                    prefs, applied=tuple(a for a in prefs.applied if not a.startswith(key))
                )
        scenario = asked.over(workflow.scenario_for(body)).over(state.default_scenario)
        timeline = plan(workflow, selected, created_at=state.now(workspace), scenario=scenario)
        run = state.store.add(
            Run(
                id=state.ids(workspace).new(),
                workspace=workspace,
                workflow_id=workflow_id,
                input=body["input"],
                timeline=timeline,
                node_ids=tuple(node_ids) if node_ids is not None else None,
                single_node_id=body.get("single_node_id"),
                workflow_version_id=body.get("workflow_version_id"),
                callback_url=body.get("callback_url"),
                faults=prefs.faults,
            )
        )
        if run.callback_url:
            state.outbox.expect(run.workspace, run.id)
            state.changes.notify()  # the webhook dispatcher learns of the new run
        headers = {"Preference-Applied": ", ".join(prefs.applied)} if prefs.applied else {}
        return run, headers

    def _view(
        self, run: Run, *, output_only: bool = False, use_output_ids: bool = False
    ) -> dict[str, Any]:
        workflow = self._workflow(run.workflow_id)
        snap = run.timeline.snapshot_at(self._state.now(run.workspace))
        body = render.run_output if output_only else render.simplified_run
        return body(run, workflow, snap, by_id=use_output_ids)

    async def create(self, workflow_id: str, body: dict[str, Any], user: str) -> Response:
        run, headers = self._create(workflow_id, body, user)
        return self._view(run), 200, headers

    async def create_sync(
        self,
        workflow_id: str,
        body: dict[str, Any],
        user: str,
        output_only: bool = False,
        use_output_ids: bool = False,
    ) -> Response:
        run, headers = self._create(workflow_id, body, user)
        state = self._state
        deadline = state.now(run.workspace) + state.settings.sync_cap_s
        # Sleep until the run's next moment (or the cap); a stop, a resume or a clock
        # move wakes us early to look again.
        while True:
            run = self._run(user, run.id)
            now = state.now(run.workspace)
            if run.timeline.snapshot_at(now).terminal or now >= deadline:
                break
            due = run.timeline.next_moment_after(now)
            await state.changes.wait(state.clock.real_delay(min(due or deadline, deadline) - now))
        return self._view(run, output_only=output_only, use_output_ids=use_output_ids), 200, headers

    async def poll(
        self,
        workflow_id: str,
        run_id: str,
        user: str,
        output_only: bool = False,
        use_output_ids: bool = False,
    ) -> Response:
        run = self._run(user, run_id, workflow_id)
        return self._view(run, output_only=output_only, use_output_ids=use_output_ids)

    async def get_by_id(self, run_id: str, user: str) -> Response:
        run = self._run(user, run_id)
        return render.run_no_io(run, run.timeline.snapshot_at(self._state.now(run.workspace)))

    async def list(
        self,
        workflow_id: str,
        user: str,
        page: int = 1,
        size: int | None = None,
        page_size: int | None = None,
    ) -> Response:
        self._workflow(workflow_id)
        runs = self._state.store.of_workflow(workspace_of(user), workflow_id)
        size = size or page_size or 50
        chosen = runs[(page - 1) * size : page * size]
        items = [self._view(run) for run in chosen]
        return render.page(items, total=len(runs), page=page, size=size)

    async def stop(self, run_id: str, user: str) -> Response:
        run = self._run(user, run_id)
        try:
            timeline = run.timeline.stop(self._state.now(run.workspace))
        except IllegalMove as exc:
            raise ApiError(409, str(exc)) from exc
        stopped = self._state.store.replace_timeline(run, timeline)
        self._state.changes.notify()
        return self._view(stopped)
