"""The listener's limits: timeouts, request size and a cap on connections.

Named as Vault's `listener "tcp"` options where Vault has one. The defaults close a client
that sends its headers slowly (slowloris) or not at all within `http_read_header_timeout`
(10 s), and an idle keep-alive connection within `http_idle_timeout` (30 s; Vault: 5 m).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.vocabulary.durations import parse_duration

MIB = 1024 * 1024


@dataclass(frozen=True)
class ListenerLimits:
    """Timeouts in seconds and sizes in bytes; every one is positive."""

    http_idle_timeout: int = 30  # a keep-alive connection with no request is closed after
    http_read_header_timeout: int = 10  # from connection (or first byte) to complete headers
    http_read_timeout: int = 30  # from complete headers to the complete body
    max_request_size: int = 32 * MIB  # larger bodies get 413
    max_request_duration: int = 30  # longest wait for the request lock or a worker, then 503
    max_connections: int = 1024  # connections past this are closed on accept


_DURATIONS = (
    "http_idle_timeout",
    "http_read_header_timeout",
    "http_read_timeout",
    "max_request_duration",
)
_COUNTS = ("max_request_size", "max_connections")


def limits_from(block: dict[str, Any]) -> ListenerLimits:
    """Read the limits of a `listener "tcp"` block; ValueError names the bad setting."""
    values: dict[str, int] = {}
    for name in _DURATIONS + _COUNTS:
        if name not in block:
            continue
        raw = block[name]
        try:
            value = parse_duration(raw) if name in _DURATIONS else _count(raw)
        except ValueError as exc:
            raise ValueError(f"listener: {name}: {exc}") from None
        if value <= 0:
            raise ValueError(f"listener: {name}: must be positive, got {raw!r}")
        values[name] = value
    return ListenerLimits(**values)


def _count(raw: object) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise ValueError(f"expected a whole number, got {raw!r}")
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"expected a whole number, got {raw!r}") from None
