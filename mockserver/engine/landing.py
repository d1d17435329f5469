"""What a browser meets first: `/` points to Swagger UI, and the spec Swagger UI reads
names this very mock as its server.

connexion serves /openapi.json with `servers: [{url: ""}]` (its base path), which Swagger
UI's Servers dropdown shows as one empty entry; here the served spec names the origin the
browser asked (from the Host header when it looks like a host, else the mock's own).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.types import Receive, Scope, Send

from mockserver.engine.asgi import header, send_json

_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
UI = "/ui/"


class Landing:
    def __init__(self, app: Any, document: dict[str, Any], fallback_origin: str) -> None:
        self.app = app
        self.document = document
        self.fallback_origin = fallback_origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path") if scope["type"] == "http" else None
        if scope.get("method") not in ("GET", "HEAD") or path not in (
            "/",
            "/openapi.json",
            "/openapi.yaml",
        ):
            await self.app(scope, receive, send)
            return
        if path == "/":
            await send_json(send, 307, {"detail": f"See {UI}"}, {"Location": UI})
            return
        served = {
            **self.document,
            "servers": [{"url": self._origin(scope), "description": "this mock"}],
        }
        if path == "/openapi.json":
            await send_json(send, 200, served)
            return
        import yaml

        raw = yaml.safe_dump(served, sort_keys=False, allow_unicode=True).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/yaml"),
                    (b"content-length", str(len(raw)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": raw})

    def _origin(self, scope: Scope) -> str:
        host = header(scope, b"host")
        if host is None or not _HOST.match(host):
            return self.fallback_origin
        return f"{scope.get('scheme', 'http')}://{host}"
