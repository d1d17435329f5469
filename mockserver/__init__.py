"""Spec-first mock server for the Noxus workflow-runs API."""

from __future__ import annotations

from typing import Any

__all__ = ["Mock", "Settings", "create_app"]


def __getattr__(name: str) -> Any:
    # Imported on first use: `import mockserver` (the CLI, `mockserver proxy`) loads no
    # app; `from mockserver import create_app` works as before.
    if name == "create_app":
        from mockserver.app import create_app

        return create_app
    if name == "Mock":
        from mockserver.embedded import Mock

        return Mock
    if name == "Settings":
        from mockserver.settings import Settings

        return Settings
    raise AttributeError(f"module 'mockserver' has no attribute {name!r}")
