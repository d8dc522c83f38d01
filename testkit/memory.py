"""This process's resident memory, for tests and benchmarks that watch it."""

from __future__ import annotations

from pathlib import Path

STATUS = Path("/proc/self/status")
RSS_READABLE = STATUS.is_file()  # Linux; elsewhere the memory tests are skipped


def rss_mb() -> float:
    """VmRSS of this process in MB."""
    for line in STATUS.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in {STATUS}")
