"""Counts in words for the pages' captions: "1 drawing", "3 drawings"."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and the noun in the number it needs: counted(1, "digit") == "1 digit",
    counted(2, "digit") == "2 digits"; `plural` when adding "s" is wrong."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"
