"""All settings in one frozen object; defaults live here and nowhere else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from apicontract.document import bundled_path

ClockKind = Literal["system", "manual"]
# compiled: /v1 on the mock's own engine (fast); connexion: the whole spec on stock
# connexion, the reference the compiled engine is checked against (tests/test_engines.py).
EngineKind = Literal["compiled", "connexion"]
ENV_PREFIX = "MOCKSERVER_"


class SettingsError(ValueError):
    """A setting has a value the server cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 4010
    # Simulated seconds per real second; 10 makes a 3.5 s run take 0.35 s.
    speed: float = 1.0
    # Same seed and manual clock: same ids and timestamps, byte for byte.
    seed: int | None = None
    # Empty: any non-empty key is accepted and is its own workspace.
    api_keys: tuple[str, ...] = ()
    workflows_file: Path | None = None
    validate_responses: bool = True
    cors_origins: tuple[str, ...] = ("*",)
    clock: ClockKind = "system"
    queue_delay_s: float = 0.5
    node_duration_s: float = 1.0
    # Unknown workflow ids get a generated workflow unless strict (then 404).
    strict_workflows: bool = False
    sync_cap_s: float = 120.0
    # Real seconds between SSE comment keep-alives on a quiet stream.
    sse_keepalive_s: float = 15.0
    # Webhooks: HMAC-SHA256 signature when a secret is set; retries on errors and non-2xx
    # after backoff * 2**(attempt-1) real seconds, at most max_attempts in all.
    webhook_secret: str | None = None
    webhook_max_attempts: int = 5
    webhook_backoff_s: float = 0.5
    webhook_timeout_s: float = 5.0
    # With a state file: a delivery claimed by a process that dies is taken over by
    # another (or by the restarted one) once its lease has not been renewed for this long.
    webhook_lease_s: float = 10.0
    # When set, the control API (/_mock, but health) needs it in X-Admin-Token.
    admin_token: str | None = None
    # Hosts (fnmatch patterns, e.g. "*.example.com", "127.0.0.1") webhooks may go to;
    # empty: any. A shared mock should set it so it cannot be used to reach other hosts.
    webhook_allow: tuple[str, ...] = ()
    # Limits, each answered with a documented 4xx (see docs/errors.md).
    max_body_bytes: int = 1_048_576
    max_header_bytes: int = 16_384
    max_json_depth: int = 32
    # Beyond this many stored runs, the oldest finished ones are evicted (journaled);
    # unfinished runs are never evicted: creation answers 503 instead.
    max_runs: int = 10_000
    # A cassette recorded by `mockserver proxy --record`: matching creates replay it.
    replay_path: Path | None = None
    max_streams: int = 2_000
    # Where state lives: None, in memory; a path, a SQLite file (WAL) that survives
    # restarts and is shared by worker processes; `redis://host:port/db`, a Redis server
    # shared by replicas on any machine.
    state: str | None = None
    workers: int = 1
    spec_path: Path = field(default_factory=bundled_path)
    engine: EngineKind = "compiled"

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise SettingsError(f"speed must be > 0, got {self.speed}")
        if not 0 <= self.port <= 65535:
            raise SettingsError(f"port must be 0..65535, got {self.port}")
        if any(not key for key in self.api_keys):
            raise SettingsError("api keys must be non-empty")
        if self.clock not in ("system", "manual"):
            raise SettingsError(f"clock must be 'system' or 'manual', got {self.clock!r}")
        if self.engine not in ("compiled", "connexion"):
            raise SettingsError(f"engine must be 'compiled' or 'connexion', got {self.engine!r}")
        if self.queue_delay_s < 0 or self.node_duration_s < 0:
            raise SettingsError("durations must be >= 0")
        if min(self.max_body_bytes, self.max_header_bytes, self.max_json_depth) < 1:
            raise SettingsError("limits must be >= 1")
        if self.workers < 1:
            raise SettingsError("workers must be >= 1")
        if self.workers > 1 and self.state is None:
            raise SettingsError(
                "--workers > 1 needs --state FILE or URL, so the workers share their runs"
            )
        if self.max_runs < 1 or self.max_streams < 1:
            raise SettingsError("max_runs and max_streams must be >= 1")
        if self.webhook_max_attempts < 1:
            raise SettingsError("webhook_max_attempts must be >= 1")
        if self.webhook_backoff_s < 0 or self.webhook_timeout_s <= 0:
            raise SettingsError("webhook backoff must be >= 0 and timeout > 0")

    def with_changes(self, **changes: Any) -> Settings:
        """Apply the changes whose value is not None ("not given" differs from falsy)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def to_env(self) -> dict[str, str]:
        """These settings as MOCKSERVER_* variables (what from_env reads back)."""
        env = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, tuple):
                value = ",".join(value)
            env[ENV_PREFIX + f.name.upper()] = str(value)
        return env

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read `MOCKSERVER_<FIELD>` variables, e.g. MOCKSERVER_SPEED=5."""
        env = os.environ if environ is None else environ
        changes: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            changes[f.name] = _cast(f.name, cls.__dataclass_fields__[f.name].default, raw)
        try:
            return cls().with_changes(**changes)
        except SettingsError as exc:
            # Name the variable that is wrong on its own; else all of them (a combination).
            culprits = [name for name in changes if _refused(cls, name, changes[name])]
            named = ", ".join(
                f"{ENV_PREFIX}{name.upper()}={env[ENV_PREFIX + name.upper()]!r}"
                for name in culprits or changes
            )
            raise SettingsError(f"{named}: {exc}") from None


def _refused(cls: type[Settings], name: str, value: Any) -> bool:
    try:
        cls().with_changes(**{name: value})
    except SettingsError:
        return True
    return False


def _cast(name: str, default: Any, raw: str) -> Any:
    try:
        if isinstance(default, bool):
            if raw.lower() in ("1", "true", "yes", "on"):
                return True
            if raw.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if isinstance(default, int) and name != "seed":
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if name == "seed":
            return int(raw)
        if name in ("workflows_file", "spec_path", "replay_path"):
            return Path(raw)
        return raw
    except ValueError as exc:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not valid") from exc
