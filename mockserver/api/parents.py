"""Operations under an item a behaviour reads, answered from the document: first the item.

`/v1/runs/{run_id}/data` has no behaviour (its answer is the document's), but the run it
names does: getRunById knows whether it exists. So an operation that hangs under an item
template whose GET a behaviour serves (the template itself, or the longest one its own
template extends) calls that read first: its 404 is the answer, as the document's
NotFound promises for a run nobody created. Documents without behaviours are untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from apicontract.operations import Operation
from mockserver.engine.arguments import Takes
from mockserver.engine.generic import DocumentHandler

Handler = Callable[..., Any]


def item_reads(
    operations: Iterable[Operation], handlers: Mapping[str, Handler]
) -> dict[str, Handler]:
    """The behaviours reading an item, by the item's template (`.../{param}`)."""
    found: dict[str, Handler] = {}
    for op in operations:
        read = handlers.get(f"{op.method} {op.template}") or handlers.get(op.id)
        if op.method == "GET" and op.template.endswith("}") and read is not None:
            found[op.template] = read
    return found


def parent_read(operation: Operation, reads: Mapping[str, Handler]) -> Handler | None:
    """The read of the item `operation` hangs under, where it documents a 404 to answer."""
    if operation.answer_for(404) is None:
        return None
    parents = [
        t for t in reads if operation.template == t or operation.template.startswith(t + "/")
    ]
    return reads[max(parents, key=len)] if parents else None


def under(parent: Handler, handler: DocumentHandler) -> DocumentHandler:
    """`handler`, once `parent` has read the item (an ApiError 404 when it does not exist)."""

    takes = Takes.of(parent)

    async def answer(kwargs: dict[str, Any]) -> Any:
        await parent(**takes.picked(kwargs))
        return await handler(**kwargs)

    return DocumentHandler(answer)
