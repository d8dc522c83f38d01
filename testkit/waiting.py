"""Waiting for something another thread does."""

from __future__ import annotations

import time

WAIT = 120  # seconds; generous because the test machine may be busy


def wait_until(condition, timeout: float = WAIT, poll: float = 0.02) -> None:
    """Return once condition() is true; fail the test ("timed out") after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(poll)
