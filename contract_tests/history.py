"""A run as the suite saw it over time (create, then polls), and the lifecycle rules on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from contract_tests import rules
from contract_tests.contract import reachable, schema_errors, terminal
from contract_tests.exchange import Exchange
from contract_tests.rules import check, require


def timestamp(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def valid_body(exchange: Exchange, component: str, status: int = 200) -> dict[str, Any]:
    """The JSON body of `exchange`, having checked its status and its schema."""
    __tracebackhide__ = True
    body = exchange.json_or_none()
    require(
        rules.RESPONSE_SCHEMA,
        exchange.status == status and isinstance(body, dict),
        f"expected {status} with a JSON object, got {exchange.status}",
        exchange,
    )
    errors = schema_errors(component, body)
    require(rules.RESPONSE_SCHEMA, not errors, f"not a {component}: {errors}", exchange)
    return body  # type: ignore[no-any-return]


def created_id(exchange: Exchange) -> str:
    """The id of the run a create made: all a fixture that only needs a run checks."""
    __tracebackhide__ = True
    body = exchange.json_or_none()
    run_id = body.get("id") if isinstance(body, dict) else None
    require(
        rules.RESPONSE_SCHEMA,
        exchange.status == 200 and isinstance(run_id, str) and bool(run_id),
        f"expected 200 with a run's id, got {exchange.status}",
        exchange,
    )
    return str(run_id)


@dataclass
class RunHistory:
    """Every view of one run, oldest first; the first is the create response."""

    views: list[tuple[Exchange, dict[str, Any]]] = field(default_factory=list)

    @classmethod
    def created(cls, exchange: Exchange) -> RunHistory:
        history = cls()
        body = valid_body(exchange, "SimplifiedRun")
        # first: a run created in another status explains what its view then breaks
        check(
            rules.CREATED_QUEUED,
            body["status"] == "queued",
            f"created with status {body['status']!r}",
            exchange,
        )
        history._keep(exchange, body)
        return history

    @property
    def run_id(self) -> str:
        return str(self.views[0][1]["id"])

    @property
    def last(self) -> dict[str, Any]:
        return self.views[-1][1]

    def add(self, exchange: Exchange) -> dict[str, Any]:
        return self._keep(exchange, valid_body(exchange, "SimplifiedRun"))

    def _keep(self, exchange: Exchange, body: dict[str, Any]) -> dict[str, Any]:
        """Keep one more view; the lifecycle rules on it and on the step to it (each rule
        is judged on its own: one view may break several)."""
        self.views.append((exchange, body))
        self._check_view(exchange, body)
        if len(self.views) > 1:
            self._check_step(self.views[-2], self.views[-1])
        return body

    def _with_create(self, *exchanges: Exchange) -> tuple[Exchange, ...]:
        """Evidence starts with the create call: it reproduces the run (and its Prefer)."""
        created = self.views[0][0]
        return exchanges if exchanges[0] is created else (created, *exchanges)

    def _check_view(self, exchange: Exchange, body: dict[str, Any]) -> None:
        status, progress = body["status"], body.get("progress")
        check(
            rules.PROGRESS,
            type(progress) is int and 0 <= progress <= 100,
            f"progress {progress!r} is not an integer 0..100",
            *self._with_create(exchange),
        )
        check(
            rules.PROGRESS,
            status != "completed" or progress == 100,
            f"completed with progress {progress}",
            *self._with_create(exchange),
        )
        created, finished = timestamp(body["created_at"]), timestamp(body.get("finished_at"))
        check(
            rules.FINISHED_AT,
            (finished is not None) == (status in terminal()),
            f"status {status!r} with finished_at {body.get('finished_at')!r}",
            *self._with_create(exchange),
        )
        check(
            rules.FINISHED_AT,
            finished is None or created is None or finished >= created,
            f"finished_at {body.get('finished_at')} is before created_at {body['created_at']}",
            *self._with_create(exchange),
        )
        output = body.get("output")
        if status == "completed":
            check(
                rules.OUTPUT,
                isinstance(output, dict) and bool(output),
                f"completed with output {output!r}",
                *self._with_create(exchange),
            )
        elif status not in terminal():
            check(
                rules.OUTPUT,
                output in ({}, None),
                f"{status} with output {output!r}",
                *self._with_create(exchange),
            )

    def _check_step(
        self, before: tuple[Exchange, dict[str, Any]], after: tuple[Exchange, dict[str, Any]]
    ) -> None:
        (old_x, old), (new_x, new) = before, after
        if old["status"] in terminal():
            same = ("status", "progress", "finished_at", "output", "created_at")
            changed = [k for k in same if old.get(k) != new.get(k)]
            check(
                rules.TERMINAL_FINAL,
                not changed,
                f"{old['status']} run changed {changed}: "
                + ", ".join(f"{k} {old.get(k)!r} -> {new.get(k)!r}" for k in changed),
                *self._with_create(old_x, new_x),
            )
        elif old["status"] != new["status"]:
            check(
                rules.LEGAL_MOVES,
                new["status"] in reachable(old["status"]),
                f"{old['status']} -> {new['status']} is not reachable by legal moves",
                *self._with_create(old_x, new_x),
            )
        check(
            rules.PROGRESS,
            new["progress"] >= old["progress"],
            f"progress went down {old['progress']} -> {new['progress']}",
            *self._with_create(old_x, new_x),
        )

    def require_terminal(self) -> str:
        exchange, body = self.views[-1]
        require(
            rules.ENDS,
            body["status"] in terminal(),
            f"still {body['status']!r} when the suite stopped waiting",
            *self._with_create(exchange),
        )
        return str(body["status"])
