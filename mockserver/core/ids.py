"""Ids: run ids from a (seedable) random source, workspace ids derived from API keys."""

from __future__ import annotations

import functools
import hashlib
import random
import uuid

_WORKSPACE_NS = uuid.UUID("0b7e6a52-3c1d-4f7e-8d2a-5e9f1c4b7a30")


class IdSource:
    """Random version-4 UUIDs; the same seed gives the same sequence."""

    def __init__(self, seed: int | str | None = None) -> None:
        self._random = random.Random(seed)

    def new(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


# Every /v1 request derives its workspace (journal, faults, handler); keys are few.
@functools.lru_cache(maxsize=4096)
def workspace_of(api_key: str) -> str:
    """A stable, non-reversible workspace id for a key (the key itself is never stored)."""
    digest = hashlib.sha256(api_key.encode("utf-8", "surrogatepass")).hexdigest()
    return str(uuid.uuid5(_WORKSPACE_NS, digest))


def delivery_id(run_id: str) -> str:
    """A run's one logical webhook delivery: stable across retries and restarts."""
    return str(uuid.uuid5(_WORKSPACE_NS, f"delivery:{run_id}"))
