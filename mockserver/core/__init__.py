"""The pure core: lifecycle, scenarios, planning, workflows, faults, rendering.

Standard library only; callers pass the time.
"""
