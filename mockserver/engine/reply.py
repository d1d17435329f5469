"""A handler's or the engine's answer: a JSON body, its status and extra headers.

Handlers return a plain dict or list (a 200) or a Reply; errors are exceptions
(problems.py) that become Replies. The compiled engine writes a Reply in one pass; the
connexion engine hands it to connexion as its (body, status, headers) convention.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Send

from mockserver.engine.asgi import send_json


@dataclass(frozen=True, slots=True)
class Reply:
    body: Any
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)

    def as_connexion(self) -> tuple[Any, int, dict[str, str]]:
        return self.body, self.status, dict(self.headers)


async def send_reply(send: Send, reply: Reply) -> None:
    await send_json(send, reply.status, reply.body, dict(reply.headers))
