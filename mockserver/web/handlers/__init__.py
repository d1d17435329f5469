"""Thin HTTP handlers, one module per resource; operationIds map to them in app.py."""
