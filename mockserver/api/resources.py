"""Inferred state: a served document's collection and item paths kept as resources.

A template `C` with `C/{id}` beside it is a collection: POST to `C` creates a resource
(the validated body, the rest of the answer's schema made, an id of the item parameter's
type put in), GET `C/{id}` returns it, PUT replaces it, PATCH merges into it, DELETE
removes it (then 404, where the operation documents one), GET `C` lists what was created
(inside the document's page envelope when the answer is an object holding an array, one
page of it: `page` and a page size, with the envelope's counts). Per workspace (the
caller's credential), through the backend's ResourceStore. `Prefer: code=N` still picks
the generic answer, as with Prism.

Where a behaviour reads the item (`over`), what was created through the document is
answered as stored and what was deleted is a 404; any other id is the behaviour's.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from apicontract.operations import Operation
from mockserver.core.ids import workspace_of
from mockserver.core.samples import Unsatisfiable
from mockserver.engine.arguments import Takes
from mockserver.engine.asked import Asked
from mockserver.engine.encoding import dumps
from mockserver.engine.generic import DocumentHandler, GenericAnswers, Result, first_success
from mockserver.engine.problems import ApiError
from mockserver.storage.protocols import ResourceStore

# Query parameters read as a page size when the list operation declares one.
PAGE_SIZES = ("limit", "page_size", "per_page", "size", "count", "max_results")
PAGE_NUMBERS = ("page", "page_number")
MAX_LISTED = 1000
# Beside a collection: the ids deleted from it (read by `over` before the behaviour).
REMOVED = "#removed"
_NOT_FOUND = {
    "code": 404,
    "status": 404,
    "message": "Not Found",
    "detail": "Not Found",
    "title": "Not Found",
    "error": "Not Found",
}


@dataclass(frozen=True, slots=True)
class Role:
    kind: str  # create, list, read, replace, update, remove
    collection: str  # the collection's path template
    param: str  # the item path's parameter
    id_schema: Any


_ITEM_ROLES = {"GET": "read", "PUT": "replace", "PATCH": "update", "DELETE": "remove"}
_COLLECTION_ROLES = {"POST": "create", "GET": "list"}


def roles_of(operations: Iterable[Operation]) -> dict[str, Role]:
    """The stateful role of each operation of a collection/item pair, by operation id:
    `C/{id}` beside `C`, or `C/{id}.json` beside `C.json` (a suffix shared by both)."""
    listed = tuple(operations)
    templates = {op.template.rstrip("/") for op in listed}
    roles: dict[str, Role] = {}
    for item in listed:
        found = _collection_of(item.template.rstrip("/"))
        if found is None or found[0] not in templates:
            continue
        parent, param = found
        schema = next((p.schema for p in item.parameters if p.name == param), {"type": "string"})
        creates = any(op.method == "POST" and op.template.rstrip("/") == parent for op in listed)
        if not creates:
            continue
        for op in listed:
            kind = None
            if op.template.rstrip("/") == parent:
                kind = _COLLECTION_ROLES.get(op.method)
            elif op.template == item.template:
                kind = _ITEM_ROLES.get(op.method)
            if kind is not None:
                roles[op.id] = Role(kind, parent, param, schema)
    return roles


def _collection_of(template: str) -> tuple[str, str] | None:
    """The collection template an item template belongs to, and the item's parameter."""
    parent, _, last = template.rpartition("/")
    if not last.startswith("{") or "}" not in last:
        return None
    param, _, suffix = last[1:].partition("}")
    if "{" in suffix or not param:
        return None
    return parent + suffix, param


class Resources:
    def __init__(self, store: ResourceStore, answers: GenericAnswers, seed: Any) -> None:
        self.store = store
        self.answers = answers
        self.seed = seed

    def handler(self, operation: Operation, role: Role) -> Any:
        """The operation's handler: keyword arguments as every handler gets them."""
        return DocumentHandler(lambda kwargs: self._serve(operation, role, kwargs))

    def over(self, operation: Operation, role: Role, behaviour: Callable[..., Any]) -> Any:
        """The item's read where a behaviour serves it too: an item created through the
        document is answered as stored, one deleted is a 404, any other the behaviour's."""
        takes = Takes.of(behaviour)

        async def read(**kwargs: Any) -> Any:
            workspace = _workspace(kwargs)
            values = {p.name: kwargs.get(p.arg) for p in operation.parameters}
            collection = _filled(role.collection, values)
            key = str(values.get(role.param))
            stored = await self.store.get(workspace, collection, key)
            if stored is not None:
                return self._shown(
                    operation, first_success(operation), stored, dumps(values).decode()
                )
            if await self.store.get(workspace, collection + REMOVED, key) is not None:
                raise ApiError(404, f"{role.param} {key} was deleted")
            return await behaviour(**takes.picked(kwargs))

        return read

    async def _serve(self, operation: Operation, role: Role, kwargs: dict[str, Any]) -> Result:
        asked: Asked = kwargs["asked"]
        prefer = asked.prefer
        values = {p.name: kwargs.get(p.arg) for p in operation.parameters}
        body = kwargs.get("body")
        request = dumps([values, body]).decode()
        if prefer.code is not None and operation.answer_for(prefer.code) is not None:
            return self.answers.answer(operation, prefer.code, prefer, values, request)
        workspace = _workspace(kwargs)
        collection = _filled(role.collection, values)
        status = first_success(operation)
        key = str(values.get(role.param))
        fields = body if isinstance(body, dict) else {}
        if role.kind == "create":
            made_id = await self._new_id(workspace, role, collection)
            hints = {**fields, role.param: made_id, "id": made_id}
            return await self._kept(
                operation, status, hints, request, workspace, collection, made_id
            )
        if role.kind == "list":
            return await self._list(operation, status, values, request, workspace, collection)
        stored = await self.store.get(workspace, collection, key)
        if role.kind == "replace":
            hints = {**(stored or {}), **fields, role.param: values.get(role.param)}
            return await self._kept(
                operation, status, hints, request, workspace, collection, values[role.param]
            )
        if stored is None:
            return self._not_found(operation, values, request)
        if role.kind == "update":
            merged = {**stored, **fields}
            return await self._kept(
                operation, status, merged, request, workspace, collection, values[role.param]
            )
        if role.kind == "remove":
            await self.store.delete(workspace, collection, key)
            await self.store.put(workspace, collection + REMOVED, key, True)
            # Made, not the example: the answer names the item deleted.
            shown = stored if isinstance(stored, dict) else {}
            return self.answers.made(operation, status, {**shown, **values}, request)
        # read
        return self._shown(operation, status, stored, request)

    async def _new_id(self, workspace: str, role: Role, collection: str) -> Any:
        """An id of the item parameter's type: the collection's next number for an
        integer, else made from its schema (a UUID for a plain string)."""
        number = await self.store.number(workspace, collection)
        sampler = self.answers.sampler(random.Random(f"{self.seed}|{collection}|{number}"))
        try:
            schema = sampler.resolved(role.id_schema)
        except Unsatisfiable:
            schema = {}
        schema = schema if isinstance(schema, dict) else {}
        if schema.get("type") in ("integer", "number"):
            return number
        if any(k in schema for k in ("format", "pattern", "enum", "const")):
            with contextlib.suppress(Unsatisfiable):  # a pattern no string is made for
                return sampler.sample(schema)
        return sampler.sample({"type": "string", "format": "uuid"})

    async def _kept(
        self,
        operation: Operation,
        status: int,
        hints: dict[str, Any],
        request: str,
        workspace: str,
        collection: str,
        key: Any,
    ) -> Result:
        """Made from `hints` (what the caller sent, the id) and stored under `key`."""
        answer = self.answers.made(operation, status, hints, request)
        body = answer[0] if isinstance(answer, tuple) else None
        kept = body if isinstance(body, dict) else hints
        await self.store.put(workspace, collection, str(key), kept)
        return answer

    async def _list(
        self,
        operation: Operation,
        status: int,
        values: dict[str, Any],
        request: str,
        workspace: str,
        collection: str,
    ) -> Result:
        size = _named(values, PAGE_SIZES)
        page = max(1, _named(values, PAGE_NUMBERS) or 1)
        every = await self.store.all(workspace, collection, MAX_LISTED)
        per_page = max(1, min(size or MAX_LISTED, MAX_LISTED))
        items = every[(page - 1) * per_page : page * per_page]
        # The envelope's counts, where it has them by these names.
        counts = {"total": len(every), "page": page, "pages": math.ceil(len(every) / per_page)}
        values = {**values, **counts, "size": per_page}
        documented = operation.answer_for(status)
        schema = documented.schemas.get("application/json") if documented else None
        if schema is None:
            return self.answers.made(operation, status, values, request)
        shaped = self.answers.sampler(random.Random(request)).resolved(schema)
        if isinstance(shaped, dict) and shaped.get("type") == "array":
            body: Any = items
        else:
            made = self.answers.made(operation, status, values, request)
            body = made[0] if isinstance(made, tuple) else None
            if not isinstance(body, dict):
                return made
            array = next((n for n, v in body.items() if isinstance(v, list)), None)
            if array is None:
                return made
            body[array] = items
        if self.answers.conforms(operation, status, "application/json", body):
            return body, status, {}
        return self.answers.made(operation, status, values, request)

    def _shown(self, operation: Operation, status: int, stored: Any, request: str) -> Result:
        if self.answers.conforms(operation, status, "application/json", stored):
            return stored, status, {}
        # The item's answer has another shape than the create's: made, the stored reflected.
        return self.answers.made(operation, status, stored, request)

    def _not_found(self, operation: Operation, values: dict[str, Any], request: str) -> Result:
        if operation.answer_for(404) is None:
            return self.answers.made(operation, first_success(operation), values, request)
        return self.answers.made(operation, 404, _NOT_FOUND, request)


def _workspace(kwargs: dict[str, Any]) -> str:
    """The caller's workspace: from its credential, else the one the request asked for."""
    user = kwargs.get("user")
    asked: Asked = kwargs["asked"]
    return workspace_of(user) if user else (asked.workspace or "")


def _named(values: dict[str, Any], names: tuple[str, ...]) -> int | None:
    """The first integer parameter value by one of `names` (any letter case)."""
    return next((v for n, v in values.items() if n.lower() in names and isinstance(v, int)), None)


def _filled(template: str, values: dict[str, Any]) -> str:
    for name, value in values.items():
        template = template.replace(f"{{{name}}}", str(value))
    return template
