"""JSON encoding for storage entries and HTTP bodies, with orjson on the hot path.

orjson is several times faster than the standard library both ways; it refuses integers
outside 64 bits, which a user may legitimately store in a KV secret, so those fall back to
the standard library rather than failing.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON bytes."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads(raw: bytes | str) -> Any:
    """Decode JSON bytes or text."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        # orjson rejects integers beyond 64 bits; the standard library reads them.
        return json.loads(raw)
