"""`mockserver serve`: start the mock (also `python -m mockserver`)."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mockserver.settings import Settings, SettingsError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockserver", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the mock server")
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 4010; 0 picks a free one)")
    serve.add_argument("--speed", type=float, help="simulated seconds per real second (default 1)")
    serve.add_argument("--seed", type=int, help="seed for ids and outputs (deterministic runs)")
    serve.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept only this key (repeatable); default: any non-empty key",
    )
    serve.add_argument("--workflows", type=Path, dest="workflows_file", help="workflows YAML file")
    serve.add_argument("--clock", choices=["system", "manual"], help="clock kind (default system)")
    serve.add_argument(
        "--no-validate-responses",
        dest="validate_responses",
        action="store_false",
        default=None,
        help="skip checking responses against openapi.yaml (faster)",
    )
    serve.add_argument(
        "--webhook-secret",
        metavar="SECRET",
        help="sign webhooks: X-Noxus-Signature: sha256=HMAC-SHA256(secret, body)",
    )
    serve.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="require X-Admin-Token: TOKEN on the control API (/_mock, but health)",
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        dest="cors_origins",
        metavar="ORIGIN",
        help="allowed CORS origin (repeatable; default any)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    changes = {k: v for k, v in vars(args).items() if k != "command"}
    for name in ("api_keys", "cors_origins"):
        if changes.get(name) is not None:
            changes[name] = tuple(changes[name])
    try:
        settings = Settings.from_env().with_changes(**changes)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return serve(settings)


def serve(settings: Settings) -> int:
    import uvicorn

    from mockserver.app import create_app
    from mockserver.workflows_file import WorkflowsFileError

    try:
        app = create_app(settings)
    except WorkflowsFileError as exc:
        print(f"error: the workflows file cannot be used:\n{exc}", file=sys.stderr)
        return 2
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level="warning")
    server = uvicorn.Server(config)
    _announce(settings, app)
    # What exists now (spec, validators, connexion's routes) lives as long as the process:
    # keep it out of the collector's full passes, which otherwise rescan it under load.
    gc.freeze()
    server.run()
    return 0


def _announce(settings: Settings, app: Any) -> None:
    base = f"http://{settings.host}:{settings.port}"
    workflow = next(iter(app.mock.catalogue))
    keys = (
        "any non-empty X-API-Key"
        if not settings.api_keys
        else f"{len(settings.api_keys)} configured key(s)"
    )
    print(
        f"Noxus runs mock on {base}  (speed x{settings.speed:g}, clock {settings.clock}, {keys})\n"
        f"  Swagger UI:   {base}/ui/\n"
        f"  Health:       {base}/_mock/health\n"
        f"  Try it:\n"
        f"    curl -s -X POST {base}/v1/workflows/{workflow.id}/runs \\\n"
        f"      -H 'X-API-Key: dev-key' -H 'Content-Type: application/json' \\\n"
        f'      -d \'{{"input": {{"User Question": "What is machine learning?"}}}}\'\n'
        f"  Stop with Ctrl+C.",
        flush=True,
    )
