"""Waiting on a condition with a deadline: how tests synchronise with other processes (never a bare sleep)."""

from __future__ import annotations

import time


def wait_for(condition, timeout: float = 60.0, what: str = "condition", *, every: float = 0.02):
    """Polls `condition` until it returns something truthy and returns that; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)  # the poll period; the deadline, not the sleep, decides
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
