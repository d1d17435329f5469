"""A change of one run's timeline: atomic in the backend, answered as the API documents."""

from __future__ import annotations

from mockserver.core.lifecycle import IllegalMove
from mockserver.core.models import Run
from mockserver.engine.problems import ApiError
from mockserver.state import MockState
from mockserver.storage.protocols import Edit


async def change_run(state: MockState, run_id: str, edit: Edit) -> Run:
    """Apply `edit` in the backend; 404 if the run is gone, 409 if the move is illegal.

    The backend applies it to the run as stored at that instant (compare-and-set), so of
    concurrent stops or resumes across replicas exactly one wins and the others see 409.
    """
    try:
        changed = await state.runs.change(run_id, edit)
    except IllegalMove as exc:
        raise ApiError(409, str(exc)) from exc
    if changed is None:
        raise ApiError(404, "Run not found")
    if changed.callback_url:
        await state.outbox.reschedule(changed.id, changed.timeline.ends_at)
    state.changes.notify()
    return changed
