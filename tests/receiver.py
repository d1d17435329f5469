"""A real local HTTP receiver for webhook tests (127.0.0.1, a thread, stopped on exit)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


@dataclass
class Receiver:
    url: str
    # Answer 500 to this many requests before answering 200.
    fail_first: int = 0
    hits: list[Received] = field(default_factory=list)
    got_one: threading.Event = field(default_factory=threading.Event)


@contextmanager
def receiver(fail_first: int = 0, port: int = 0) -> Iterator[Receiver]:
    state = Receiver("", fail_first)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.hits.append(Received({k.lower(): v for k, v in self.headers.items()}, raw))
            code = 500 if len(state.hits) <= state.fail_first else 200
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if code == 200:
                state.got_one.set()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
