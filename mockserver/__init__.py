"""Spec-first mock server for the Noxus workflow-runs API."""

from mockserver.app import create_app
from mockserver.settings import Settings

__all__ = ["Settings", "create_app"]
