"""`mockserver serve`: start the mock (also `python -m mockserver`)."""

from __future__ import annotations

import argparse
import errno
import gc
import json
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockserver.engine.specification import CACHE_VARIABLE
from mockserver.settings import ENV_PREFIX, Settings, SettingsError

if TYPE_CHECKING:
    from mockserver.core.workflows import Workflow

SPEC_VARIABLE = ENV_PREFIX + "SPEC_PATH"
SHOWN_WORKFLOWS = 10  # the banner's list; GET /_mock/workflows has them all
# An open event stream (a dashboard tab, a paused run's events) never ends by itself:
# on SIGTERM/Ctrl-C the server waits this long for in-flight requests, then closes them.
SHUTDOWN_GRACE_S = 2  # whole seconds: uvicorn takes an int


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
        "--engine",
        choices=["compiled", "connexion"],
        help="what serves the spec: the compiled engine (default; fast) or stock connexion, "
        "the reference (env MOCKSERVER_ENGINE)",
    )
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
        "--state",
        metavar="FILE|URL",
        help="keep state in this SQLite file (survives restarts, shared by --workers) or in "
        "Redis at redis://HOST:PORT/DB (shared by replicas on any machine; see 'Team mock')",
    )
    serve.add_argument(
        "--workers",
        type=int,
        help="worker processes (default 1; more than 1 needs --state)",
    )
    serve.add_argument(
        "--webhook-allow",
        action="append",
        dest="webhook_allow",
        metavar="HOST",
        help="only send webhooks to hosts matching this pattern (repeatable, e.g. '*.corp.test')",
    )
    serve.add_argument(
        "--replay",
        type=Path,
        dest="replay_path",
        metavar="FILE",
        help="replay the runs of a cassette recorded by `mockserver proxy --record`",
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        dest="cors_origins",
        metavar="ORIGIN",
        help="allowed CORS origin (repeatable; default any)",
    )
    serve.add_argument(
        "--spec",
        type=Path,
        dest="spec_path",
        metavar="FILE",
        help="the OpenAPI document to serve (YAML or JSON; default: the bundled openapi.yaml)",
    )
    _name_variables(serve)
    proxy = sub.add_parser(
        "proxy",
        help="check a real backend's traffic against the contract (reverse proxy)",
        epilog=f"Environment: {SPEC_VARIABLE} (as --spec).",
    )
    proxy.add_argument("--upstream", required=True, metavar="URL", help="the backend's base URL")
    proxy.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    proxy.add_argument("--port", type=int, default=4011, help="port (default 4011)")
    proxy.add_argument(
        "--strict",
        action="store_true",
        help="answer a request the spec makes invalid with its 422 instead of forwarding it",
    )
    proxy.add_argument(
        "--junitxml", type=Path, metavar="FILE", help="write the violations as JUnit at shutdown"
    )
    proxy.add_argument(
        "--record", type=Path, metavar="FILE", help="record the runs seen into this cassette"
    )
    proxy.add_argument(
        "--public-url",
        metavar="URL",
        help="this proxy's URL as the backend reaches it, for webhooks "
        "(default http://HOST:PORT)",
    )
    proxy.add_argument(
        "--spec",
        type=Path,
        default=os.environ.get(SPEC_VARIABLE) or None,
        metavar="FILE",
        help=f"the OpenAPI document to judge against (default: the bundled openapi.yaml) "
        f"[env {SPEC_VARIABLE}]",
    )
    receive = sub.add_parser(
        "receive", help="a webhook receiver that prints each delivery (for callback_url)"
    )
    receive.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    receive.add_argument("--port", type=int, default=9000, help="port (default 9000)")
    receive.add_argument(
        "--status", type=int, default=200, help="status to answer (default 200; 500 shows retries)"
    )
    receive.add_argument(
        "--secret",
        metavar="SECRET",
        help="check X-Noxus-Signature with the mock's --webhook-secret",
    )
    team = sub.add_parser(
        "team",
        help="start N replicas sharing one Redis (other options are passed to each `serve`)",
        epilog="Each replica reads the MOCKSERVER_* variables: see `mockserver serve --help`.",
    )
    team.add_argument("--replicas", type=int, default=3, help="how many (default 3)")
    team.add_argument("--port", type=int, default=4010, help="first port (default 4010)")
    team.add_argument(
        "--redis", metavar="URL", help="redis://HOST:PORT/DB (default: start a redis-server)"
    )
    return parser


def _name_variables(serve: argparse.ArgumentParser) -> None:
    """Each flag's help names its MOCKSERVER_* variable; the epilog lists the settings
    read from the environment only."""
    flagged = set()
    for action in serve._actions:
        if action.dest in Settings.__dataclass_fields__:
            flagged.add(action.dest)
            action.help = f"{action.help} [env {ENV_PREFIX}{action.dest.upper()}]"
    defaults = Settings()
    rest = [
        f"{ENV_PREFIX}{f.name.upper()} (default {getattr(defaults, f.name)})"
        for f in fields(Settings)
        if f.name not in flagged
    ]
    serve.epilog = (
        "A flag wins over its variable. Settings with no flag, by environment only: "
        + ", ".join(rest)
        + f". {CACHE_VARIABLE}: where parsed and validated specs are kept between starts "
        "(default $XDG_CACHE_HOME/mockserver, else ~/.cache/mockserver)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """The console script: a Ctrl+C ends any command quietly."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        return 0


def _main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "team":
        from mockserver.team import run_team

        return run_team(args.replicas, args.port, args.redis, rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "proxy":
        return run_proxy(args)
    if args.command == "receive":
        return run_receiver(args)
    changes = {k: v for k, v in vars(args).items() if k != "command"}
    for name in ("api_keys", "cors_origins", "webhook_allow"):
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

    if settings.state is not None and (problem := _unreachable(settings.state)):
        print(f"error: {problem}", file=sys.stderr)
        return 2

    from mockserver.app import create_app

    try:
        app = create_app(settings)  # also checks the workflows file before any worker starts
    except Exception as exc:
        problem = _unusable_file(exc)
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        return 2
    listening = _listening(settings.host, settings.port)
    if listening is None:
        return 2
    settings = settings.with_changes(port=listening.getsockname()[1])  # --port 0: the one picked
    _announce(settings, app)
    # What exists now (spec, validators, connexion's routes) lives as long as the process:
    # keep it out of the collector's full passes, which otherwise rescan it under load.
    gc.freeze()
    if settings.workers > 1:
        # Each worker process builds its own app from the same settings, passed by
        # environment; they share runs, outbox and clock through the state file.
        os.environ.update(settings.to_env())
        listening.close()  # uvicorn binds it again for its workers (the banner needed it free)
        uvicorn.run(
            "mockserver.cli:worker_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level="warning",
            http="httptools",
            ws="none",  # no websocket route: spare importing a websocket protocol
            timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
        )
        return 0
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        http="httptools",
        ws="none",
        timeout_graceful_shutdown=SHUTDOWN_GRACE_S,
    )
    uvicorn.Server(config).run(sockets=[listening])
    return 0


def _listening(host: str, port: int) -> socket.socket | None:
    """A socket listening on host:port, made before the banner says the server is there;
    None when it cannot be had, said in one line on stderr."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            problem = (
                f"port {port} on {host} is already in use (another mock?); choose one with --port"
            )
        else:
            problem = f"cannot listen on {host}:{port}: {exc.strerror or exc}"
        print(f"error: {problem}", file=sys.stderr)
        return None
    sock.set_inheritable(True)
    return sock


def _unusable_file(exc: Exception) -> str | None:
    """What a bad spec, --workflows or --replay file raised, said for the user; None
    otherwise. (workflows_file is imported only here: a start without one needs no YAML.)"""
    from mockserver.core.cassette import CassetteError
    from mockserver.engine.specification import SpecError
    from mockserver.workflows_file import WorkflowsFileError

    if isinstance(exc, SpecError):
        return f"the spec cannot be served:\n{exc}"
    if isinstance(exc, WorkflowsFileError):
        return f"the workflows file cannot be used:\n{exc}"
    if isinstance(exc, CassetteError | OSError):
        return f"the cassette cannot be used: {exc}"
    return None


def run_proxy(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from contract_proxy.proxy import ContractProxy

    if args.spec is not None and not args.spec.is_file():
        print(f"error: --spec {args.spec}: no such file", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="proxy: %(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per relayed call
    recorder = None
    if args.record is not None:
        from contract_proxy.recorder import Recorder

        recorder = Recorder(args.record)
    listening = _listening(args.host, args.port)
    if listening is None:
        return 2
    args.port = listening.getsockname()[1]
    public = args.public_url or f"http://{args.host}:{args.port}"
    app = ContractProxy(
        args.upstream,
        public=public,
        strict=args.strict,
        junitxml=args.junitxml,
        recorder=recorder,
        spec=args.spec.resolve() if args.spec is not None else None,
    )
    print(
        f"Contract proxy on http://{args.host}:{args.port} -> {args.upstream}"
        f"{' (strict)' if args.strict else ''}\n"
        f"  Violations:   http://{args.host}:{args.port}/_mock/violations\n"
        f"  Stop with Ctrl+C.",
        flush=True,
    )
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")
    uvicorn.Server(config).run(sockets=[listening])
    return 0


def run_receiver(args: argparse.Namespace) -> int:
    from mockserver import inbox

    if not 200 <= args.status <= 599:
        print("error: --status must be an HTTP status, 200..599", file=sys.stderr)
        return 2
    listening = _listening(args.host, args.port)
    if listening is None:
        return 2
    inbox.serve(listening, args.status, args.secret)
    return 0


def worker_app() -> Any:
    """The app of one worker process (`--workers N`)."""
    from mockserver.app import create_app

    app = create_app(Settings.from_env())
    gc.freeze()  # as in the single-process server
    return app


def _unreachable(state: str) -> str | None:
    """Why a Redis state URL cannot be used now (None: it can, or it is a file)."""
    from mockserver.storage.location import is_redis

    if not is_redis(state):
        return None
    import redis

    try:
        redis.Redis.from_url(state, socket_connect_timeout=3).ping()
    except (redis.RedisError, ValueError) as exc:
        return f"cannot use Redis at {_safe(state)}: {exc}"
    return None


def _safe(url: str) -> str:
    """A URL fit to print: a password in it is masked."""
    head, at, tail = url.rpartition("@")
    return f"{head.split('//')[0]}//***@{tail}" if at else url


def _announce(settings: Settings, app: Any) -> None:
    print(banner(settings, tuple(app.mock.catalogue)), flush=True)


def banner(settings: Settings, known: tuple[Workflow, ...]) -> str:
    """What `serve` prints: where things are, the workflows with their ids, a first call."""
    base = f"http://{settings.host}:{settings.port}"
    keys = (
        "any non-empty X-API-Key"
        if not settings.api_keys
        else f"{len(settings.api_keys)} configured key(s)"
    )
    state = (
        f"  State:        {_safe(settings.state)} ({settings.workers} worker(s))\n"
        if settings.state
        else ""
    )
    shown = known[:SHOWN_WORKFLOWS]
    listed = "".join(f"    {wf.id}  {wf.name}\n" for wf in shown)
    if len(known) > len(shown):
        listed += f"    ... and {len(known) - len(shown)} more\n"
    workflow = known[0]
    label = workflow.inputs[0].label if workflow.inputs else "User Question"
    body = json.dumps({"input": {label: "What is machine learning?"}})
    return (
        f"Noxus runs mock on {base}  (speed x{settings.speed:g}, clock {settings.clock}, {keys})\n"
        f"{state}"
        f"  Swagger UI:   {base}/ui/\n"
        f"  Health:       {base}/_mock/health\n"
        f"  Workflows:    {base}/_mock/workflows\n"
        f"{listed}"
        f"  Try it:\n"
        f"    curl -s -X POST {base}/v1/workflows/{workflow.id}/runs \\\n"
        f'      -H "X-API-Key: dev-key" -H "Content-Type: application/json" \\\n'
        f"      -d '{body}'\n"
        f"  Stop with Ctrl+C."
    )
