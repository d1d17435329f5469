"""The app factory: the spec, the handlers and the state, wired once."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

from apicontract import spec
from apicontract.operations import METHODS, Operation, operations_of
from apicontract.responses import ResponseChecker
from apicontract.spec import RefError
from mockserver.api import events, platform, runs, webhooks, workflows
from mockserver.api.parents import item_reads, parent_read, under
from mockserver.api.resources import Resources, roles_of
from mockserver.core import lifecycle
from mockserver.core.clock import SimClock
from mockserver.core.scenario import Scenario
from mockserver.core.workflows import BUILTIN, Catalogue
from mockserver.engine import specification
from mockserver.engine.generic import GenericAnswers
from mockserver.engine.public import Handler, PublicApi
from mockserver.engine.server import MockServer, OnDemand
from mockserver.engine.specification import SpecError
from mockserver.settings import Settings
from mockserver.state import MockState
from mockserver.storage.location import open_backend

logger = logging.getLogger("mockserver")
CONTROL_SPEC = Path(__file__).resolve().parent / "control" / "control.yaml"


def build_state(settings: Settings, clock: SimClock | None = None) -> MockState:
    """Raises WorkflowsFileError (with line numbers) for a bad --workflows file, SpecError
    for a spec the mock cannot serve."""
    base = Scenario(
        outcome="completed",
        queue_delay_s=settings.queue_delay_s,
        node_duration_s=settings.node_duration_s,
    )
    known = BUILTIN
    if settings.workflows_file is not None:
        from mockserver import workflows_file

        loaded = workflows_file.load(settings.workflows_file)
        known, base = loaded.catalogue_workflows(), loaded.defaults.over(base)
    served = specification.served(settings.spec_path)
    try:
        # A document without RunStatus x-transitions gets the documented run lifecycle.
        transitions = served.transitions if _has_transitions(served.raw) else lifecycle.LEGAL_MOVES
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise SpecError(f"{settings.spec_path}: RunStatus x-transitions: {exc}") from exc
    if transitions != lifecycle.LEGAL_MOVES:
        # The lifecycle's timelines make only these moves; a spec promising others is wrong.
        raise SpecError(
            f"{settings.spec_path}: RunStatus x-transitions {transitions} differ from "
            f"the mock's lifecycle {lifecycle.LEGAL_MOVES}"
        )
    return MockState(
        settings=settings,
        spec=served,
        catalogue=Catalogue(known, strict=settings.strict_workflows),
        default_scenario=base,
        backend=open_backend(settings, clock),
    )


def _has_transitions(document: Any) -> bool:
    schemas = (document.get("components") or {}).get("schemas") or {}
    status = schemas.get("RunStatus")
    return isinstance(status, dict) and "x-transitions" in status


def create_app(settings: Settings | None = None, *, clock: SimClock | None = None) -> MockServer:
    """Build the mock. `clock` overrides the one the settings choose (tests pass a ManualClock)."""
    settings = settings or Settings()
    try:
        return _created(settings, clock)
    except RefError as exc:
        raise SpecError(f"{settings.spec_path}: {exc}") from exc


def _created(settings: Settings, clock: SimClock | None) -> MockServer:
    state = build_state(settings, clock)
    specification.check(state.spec)  # OpenAPI 3.0 / 3.1, before serving
    run_ops = runs.Runs(state)
    # Bound by method and path template so a regenerated document (other operationIds)
    # keeps them; the operationId is the alternative for a document with other paths.
    bound: dict[tuple[str, str], Handler] = {
        ("createRun", "POST /v1/workflows/{workflow_id}/runs"): run_ops.create,
        ("createSyncRun", "POST /v1/workflows/{workflow_id}/runs/sync"): run_ops.create_sync,
        ("getRun", "GET /v1/workflows/{workflow_id}/runs/{run_id}"): run_ops.poll,
        ("listRuns", "GET /v1/workflows/{workflow_id}/runs"): run_ops.list,
        ("getRunById", "GET /v1/runs/{run_id}"): run_ops.get_by_id,
        ("stopRun", "POST /v1/runs/{run_id}/stop"): run_ops.stop,
        ("getRunEvents", "GET /v1/runs/{run_id}/events"): events.RunEvents(state).stream,
        ("getWorkflow", "GET /v1/workflows/{workflow_id}"): workflows.Workflows(state).get,
        ("listNodes", "GET /v1/nodes"): platform.list_nodes,
        ("getMe", "GET /v1/admin/me"): platform.get_me,
    }
    # Every operation's handler by "METHOD template" (and a behaviour's by operationId too):
    # both engines call these.
    public = {key: handler for keys, handler in bound.items() for key in keys}
    answers = GenericAnswers(state.spec.raw, ResponseChecker(state.spec), settings.seed)
    _serve_from_document(state, public, answers)
    rest = OnDemand(lambda: _connexion_app(state, public))
    if settings.engine == "connexion":
        # The reference engine: /v1 too is connexion's (behind the mock's fault injection),
        # resolved onto the same handlers, the document-served ones included.
        from mockserver.reference.front import ReferenceFront

        served: Any = ReferenceFront(state, rest)
    else:
        served = PublicApi(state, public, answers)
    return MockServer(state, served, rest, lifespan=lambda: webhooks.running(state))


def _serve_from_document(
    state: MockState, public: dict[str, Handler], answers: GenericAnswers
) -> None:
    """Every operation no behaviour serves gets its handler from the document, in
    `public` (so both engines call the same): inferred state where its paths make a
    resource, else the generic answer; under an item a behaviour reads, after that read.
    A behaviour's read of an item the document lets callers create answers those first."""
    kept = Resources(state.backend.resources, answers, state.settings.seed)
    operations = operations_of(state.spec)
    roles = roles_of(operations)

    def bound(operation: Operation) -> Handler | None:
        return public.get(f"{operation.method} {operation.template}") or public.get(operation.id)

    created = {
        role.collection
        for op in operations
        if (role := roles.get(op.id)) is not None and role.kind == "create" and bound(op) is None
    }
    for operation in operations:
        role, behaviour = roles.get(operation.id), bound(operation)
        if behaviour and role and role.kind == "read" and role.collection in created:
            public[f"{operation.method} {operation.template}"] = kept.over(
                operation, role, behaviour
            )
    reads = item_reads(operations, public)
    for operation in operations:
        if bound(operation) is not None:
            continue
        role = roles.get(operation.id)
        handler = kept.handler(operation, role) if role else answers.handler(operation)
        parent = parent_read(operation, reads)
        public[f"{operation.method} {operation.template}"] = (
            handler if parent is None else under(parent, handler)
        )


def _connexion_app(state: MockState, public: dict[str, Handler]) -> Any:
    """Both specs on stock connexion: the public API (all of it with `--engine
    connexion`; else for Swagger UI and its /openapi.json, the gate sending /v1 to the
    compiled engine), the control API, the dashboard and Swagger UI."""
    with warnings.catch_warnings():
        # starlette 1.x warns when connexion imports its test client; nothing to act on.
        warnings.filterwarnings("ignore", message=r".*starlette\.testclient.*")
        import connexion  # noqa: F401
    from connexion import AsyncApp
    from connexion.options import SwaggerUIOptions
    from connexion.resolver import Resolver

    from mockserver.control import dashboard
    from mockserver.control import handlers as control
    from mockserver.reference import errors
    from mockserver.reference.connexion_glue import (
        FastJsonifier,
        Keyed,
        handlers_of,
        validator_map,
        with_key_info,
    )

    settings = state.settings
    ctl = control.Control(state)
    board = dashboard.Dashboard(state)
    private: dict[str, Handler] = {
        "health": ctl.health,
        "reset": ctl.reset,
        "listWorkflows": ctl.workflows,
        "getClock": ctl.get_clock,
        "advanceClock": ctl.advance_clock,
        "freezeClock": ctl.freeze_clock,
        "setSpeed": ctl.set_speed,
        "advanceRun": ctl.advance_run,
        "resumeRun": ctl.resume_run,
        "forceRun": ctl.force_run,
        "getJournal": ctl.journal,
        "listWebhookDeliveries": ctl.webhooks,
        "listFaults": ctl.list_faults,
        "setFaults": ctl.set_faults,
        "clearFaults": ctl.clear_faults,
        "dashboardPage": board.page,
        "dashboardAsset": board.asset,
        "dashboardOverview": board.overview,
        "dashboardRun": board.run,
        "dashboardStream": board.stream,
    }
    app = AsyncApp(__name__, jsonifier=FastJsonifier())
    common: dict[str, Any] = {
        "strict_validation": True,
        "validate_responses": settings.validate_responses,
        "validator_map": validator_map(settings.max_json_depth),
    }
    document = with_key_info(state.spec.document)
    received = handlers_of(document, public)
    if settings.engine == "connexion" or _connexion_reads(document, received):
        app.add_api(document, resolver=Resolver(function_resolver=received.__getitem__), **common)
    else:
        # connexion reads OpenAPI 3.0 with an operationId everywhere; the compiled engine
        # serves any other document's /v1, and the control API and dashboard stay up.
        logger.warning(
            "%s: no Swagger UI for this document (connexion reads OpenAPI 3.0 with an "
            "operationId on every operation); the API itself is served",
            state.spec.path,
        )
    control_spec = spec.load_yaml(CONTROL_SPEC)
    app.add_api(
        control_spec,
        resolver=Resolver(function_resolver=handlers_of(control_spec, private).__getitem__),
        # /_mock/ui is the dashboard, not connexion's Swagger UI of the control spec.
        swagger_ui_options=SwaggerUIOptions(swagger_ui=False),
        **common,
    )
    errors.install(app, state.backend.unavailable)
    return Keyed(app, settings.api_keys)


def _connexion_reads(document: Any, handlers: dict[str, Handler]) -> bool:
    """Whether connexion can mount `document`: OpenAPI 3.0, every operation named and
    resolved."""
    if not str(document.get("openapi", "")).startswith("3.0"):
        return False
    return all(
        isinstance(operation, dict) and operation.get("operationId") in handlers
        for item in document.get("paths", {}).values()
        for method, operation in item.items()
        if method in METHODS
    )
