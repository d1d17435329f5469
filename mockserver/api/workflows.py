"""Workflow operations."""

from __future__ import annotations

from typing import Any

from mockserver.core import render
from mockserver.core.ids import workspace_of
from mockserver.engine.problems import ApiError
from mockserver.engine.statuses import may_answer
from mockserver.state import MockState


class Workflows:
    def __init__(self, state: MockState) -> None:
        self._state = state

    @may_answer(404)
    async def get(self, workflow_id: str, user: str) -> dict[str, Any]:
        workflow = self._state.catalogue.get(workflow_id)
        if workflow is None:
            raise ApiError(404, f"Workflow {workflow_id} not found")
        return render.workflow_body(workflow, workspace_of(user))
