"""The load benchmark: our mock against Prism's static mock and a bare Starlette ceiling.

`make bench` (or `python -m bench`) runs it; see docs/performance.md.
"""
