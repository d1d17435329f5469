"""The control API (/_mock, its own spec control.yaml) and the dashboard (/_mock/ui)."""
