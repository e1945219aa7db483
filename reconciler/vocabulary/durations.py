"""Go-style durations, as Vault accepts them ("90s", "15m", "1h30m", "2d", or plain seconds)."""

from __future__ import annotations

import math
import re

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)")
# Go's time.Duration is int64 nanoseconds: about 292 years either way.
MAX_SECONDS = (2**63 - 1) // 1_000_000_000


def _in_range(value: object, seconds: float) -> int:
    """Whole seconds, or a ValueError for NaN, infinities and values past Go's range."""
    if not math.isfinite(seconds) or abs(seconds) > MAX_SECONDS:
        raise ValueError(
            f"invalid duration {value!r}: out of range (at most {MAX_SECONDS} seconds either way)"
        )
    return int(seconds)


def parse_duration(value: object) -> int:
    """Return whole seconds for an int, a numeric string or a Go duration string.

    Raises ValueError with a message naming the bad value.
    """
    if isinstance(value, bool):
        raise ValueError(f"invalid duration {value!r}")
    if isinstance(value, int | float):
        return _in_range(value, value)
    if not isinstance(value, str):
        raise ValueError(f"invalid duration {value!r}")
    text = value.strip()
    if text == "":
        return 0
    if re.fullmatch(r"-?\d+", text):
        if len(text) > 24:  # past any range; int() of it would be slow for no reason
            raise ValueError(f"invalid duration {text[:24]!r}...: out of range")
        return _in_range(value, int(text))
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    pos = 0
    total = 0.0
    for match in _PART.finditer(body):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(body) or pos == 0:
        raise ValueError(f"invalid duration {value!r}")
    return _in_range(value, sign * total)


def format_go_duration(seconds: int) -> str:
    """Render seconds the way Go's time.Duration.String does ("0s", "1h0m0s", "1m30s")."""
    if seconds == 0:
        return "0s"
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{sign}{minutes}m{secs}s"
    return f"{sign}{secs}s"
