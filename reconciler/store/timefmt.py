"""Timestamps in Vault's wire formats."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import lru_cache

ZERO_TIME = "0001-01-01T00:00:00Z"


def rfc3339nano(ts: float) -> str:
    """Render a unix timestamp as RFC3339 with nanoseconds, UTC (Vault's `created_time`)."""
    whole = int(ts)
    nanos = round((ts - whole) * 1e9)
    if nanos >= 1_000_000_000:
        whole, nanos = whole + 1, nanos - 1_000_000_000
    base = _seconds(whole)
    frac = f".{nanos:09d}".rstrip("0").rstrip(".")
    return f"{base}{frac}Z"


def rfc3339_seconds(whole: int) -> str:
    """`rfc3339nano` of a whole number of seconds (no fraction), without the arithmetic."""
    return _seconds(whole) + "Z"


@lru_cache(maxsize=4096)
def _seconds(whole: int) -> str:
    # Formatting dominates a KV read's metadata rendering; recent seconds repeat a lot.
    return datetime.fromtimestamp(whole, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def now() -> float:
    """The current unix time; one place so tests and engines agree."""
    return time.time()
