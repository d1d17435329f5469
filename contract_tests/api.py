"""The implementation's public API as the suite calls it: every call returns an Exchange."""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from contract_tests import sse
from contract_tests.budget import Pace, RunBudget
from contract_tests.exchange import Exchange
from contract_tests.sse import EventStream

MAIN = object()  # "use the suite's own key"


class Api:
    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        secrets: Mapping[str, str],
        budget: RunBudget,
        workflow_id: str,
        run_input: dict[str, Any],
        timeout: float,
        pace: Pace | None = None,
        sends_prefer: bool = True,
    ) -> None:
        self.base_url = base_url
        self.pace = pace or Pace()
        self.key = key
        self.secrets = secrets
        self.budget = budget
        self.workflow_id = workflow_id
        self.run_input = run_input
        self.timeout = timeout
        # Prefer is the mock's (x-mock): to any other backend the suite does not send it
        self.sends_prefer = sends_prefer
        self._client = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def as_key(self, key: str) -> Api:
        """The same API seen with another key (another workspace), on the same connections
        (keys travel per request), so closing this one closes them all."""
        other = copy.copy(self)
        other.key = key
        return other

    def call(
        self,
        method: str,
        path: str,
        *,
        key: Any = MAIN,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Exchange:
        sent = dict(headers or {})
        chosen = self.key if key is MAIN else key
        if chosen is not None:
            sent["X-API-Key"] = chosen
        started = time.monotonic()
        response = self._client.request(method, path, headers=sent, **kwargs)
        return Exchange.of(response, self.secrets, sent=started)

    def peek(self, method: str, path: str) -> Exchange:
        """A call whose answer is read only up to its first chunk: an SSE stream need not end."""
        started = time.monotonic()
        headers = {"X-API-Key": self.key}
        with self._client.stream(method, path, headers=headers) as response:
            first = next(response.iter_bytes(), b"")
        return Exchange.of(response, self.secrets, sent=started, body=first)

    def create(
        self,
        *,
        prefer: str | None = None,
        callback_url: str | None = None,
        sync: bool = False,
        key: Any = MAIN,
    ) -> Exchange:
        """Create a run of the chosen workflow (counts against --max-runs)."""
        self.budget.take()
        body: dict[str, Any] = {"input": self.run_input}
        if callback_url is not None:
            body["callback_url"] = callback_url
        headers = {"Prefer": prefer} if prefer and self.sends_prefer else {}
        suffix = "/sync" if sync else ""
        # A transport error leaves the run counted: it may have been created all the same.
        created = self.call(
            "POST", f"/v1/workflows/{self.workflow_id}/runs{suffix}", key=key, json=body,
            headers=headers,
        )  # fmt: skip
        if created.status >= 300:
            self.budget.refund()
        return created

    def poll(self, run_id: str, **params: Any) -> Exchange:
        return self.call("GET", f"/v1/workflows/{self.workflow_id}/runs/{run_id}", params=params)

    def run_by_id(self, run_id: str) -> Exchange:
        return self.call("GET", f"/v1/runs/{run_id}")

    def stop(self, run_id: str) -> Exchange:
        return self.call("POST", f"/v1/runs/{run_id}/stop")

    def events(
        self, run_id: str, *, etag: str | None = None, last_event_id: str | None = None
    ) -> EventStream:
        """Read the run's SSE stream until it ends or --run-timeout passes."""
        headers = {"X-API-Key": self.key, "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        url = f"/v1/runs/{run_id}/events" + (f"?etag={etag}" if etag is not None else "")
        return sse.read(self._client, url, headers, secrets=self.secrets, timeout=self.timeout)

    def page(self, page: int, size: int) -> Exchange:
        params = {"page": page, "size": size}
        return self.call("GET", f"/v1/workflows/{self.workflow_id}/runs", params=params)

    def poll_until_terminal(
        self, run_id: str, interval: float, terminal: frozenset[str]
    ) -> list[Exchange]:
        """Poll every `interval` s until terminal or --run-timeout; the polls, in order.

        After 20 polls the interval grows (up to 1 s), so a slow real backend is not hammered.
        """
        polls: list[Exchange] = []
        deadline = time.monotonic() + self.timeout
        while True:
            polls.append(self.poll(run_id))
            body = polls[-1].json_or_none()
            done = polls[-1].status != 200 or not isinstance(body, dict)
            if not done and body.get("status") in terminal:
                self._observe(body)
            if done or body.get("status") in terminal or time.monotonic() > deadline:
                return polls
            if len(polls) > 20:
                interval = min(1.0, max(interval, 0.01) * 1.2)
            time.sleep(interval)

    def _observe(self, body: dict[str, Any]) -> None:
        try:
            created = datetime.fromisoformat(body["created_at"])
            finished = datetime.fromisoformat(body["finished_at"])
        except (KeyError, TypeError, ValueError):
            return
        self.pace.observe((finished - created).total_seconds())


def prefer(outcome: str | None, duration: str | None) -> str | None:
    """A `Prefer` header (RFC 7240); implementations that do not support it ignore it."""
    tokens = [f"outcome={outcome}" if outcome else "", f"duration={duration}" if duration else ""]
    return ", ".join(t for t in tokens if t) or None


def applied(exchange: Exchange, name: str) -> str | None:
    """The value of `name` the implementation says it honoured (Preference-Applied)."""
    for token in (exchange.header("preference-applied") or "").split(","):
        key, _, value = token.strip().partition("=")
        if key == name:
            return value
    return None
