"""The app factory: the spec, the validators, the handlers and the state, wired once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import connexion
from connexion.middleware import MiddlewarePosition
from connexion.resolver import Resolver
from starlette.middleware.cors import CORSMiddleware

from mockserver import errors, spec, webhooks
from mockserver.auth import key_handler
from mockserver.clock import Clock
from mockserver.handlers import control, events, platform, runs, workflows
from mockserver.methods import MethodGuard
from mockserver.settings import Settings
from mockserver.state import MockState
from mockserver.validation import VALIDATOR_MAP

CONTROL_SPEC = Path(__file__).resolve().parent / "control.yaml"


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Any:
    """Build the mock. `clock` overrides the one the settings choose (tests pass a ManualClock)."""
    settings = settings or Settings()
    state = MockState.build(settings, spec.load(settings.spec_path), clock)
    run_ops = runs.Runs(state)
    wf_ops = workflows.Workflows(state)
    ctl = control.Control(state)
    public = {
        "createRun": run_ops.create,
        "createSyncRun": run_ops.create_sync,
        "getRun": run_ops.poll,
        "listRuns": run_ops.list,
        "getRunById": run_ops.get_by_id,
        "stopRun": run_ops.stop,
        "getRunEvents": events.RunEvents(state).stream,
        "getWorkflow": wf_ops.get,
        "listNodes": platform.list_nodes,
        "getMe": platform.get_me,
    }
    private = {
        "health": ctl.health,
        "reset": ctl.reset,
        "advanceClock": ctl.advance_clock,
        "setSpeed": ctl.set_speed,
        "listWebhookDeliveries": ctl.webhooks,
    }
    app = connexion.AsyncApp(
        __name__,
        security_map={"apiKey": key_handler(settings.api_keys)},
        lifespan=lambda _app: webhooks.running(state),
    )
    common: dict[str, Any] = {
        "strict_validation": True,
        "validate_responses": settings.validate_responses,
        "validator_map": VALIDATOR_MAP,
    }
    app.add_api(
        state.spec.document, resolver=Resolver(function_resolver=public.__getitem__), **common
    )
    app.add_api(CONTROL_SPEC, resolver=Resolver(function_resolver=private.__getitem__), **common)
    errors.install(app)
    app.add_middleware(
        MethodGuard, position=MiddlewarePosition.BEFORE_ROUTING, paths=state.spec.document["paths"]
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            position=MiddlewarePosition.BEFORE_EXCEPTION,
            allow_origins=list(settings.cors_origins),
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["Preference-Applied"],
        )
    app.mock = state  # for tests and the CLI; handlers get it through their objects
    return app
