"""Key-path rules shared by both KV engines.

A key becomes part of a storage key, so a crafted path must never step outside the mount's
folder or collide with another key's entries.
"""

from __future__ import annotations

from reconciler.store.errors import BadRequest

_FORBIDDEN_SEGMENTS = {"", ".", ".."}


def validate_key(path: str) -> str:
    """Return `path` if it is a usable key, else raise a 400 naming it.

    A key is `/`-separated segments, none empty (so no leading, trailing or doubled `/`) and
    none `.` or `..` (so no path can escape its mount's storage folder).
    """
    if any(segment in _FORBIDDEN_SEGMENTS for segment in path.split("/")):
        raise BadRequest(
            f'invalid key path "{path}": a key must not start or end with "/" '
            'or contain empty, "." or ".." segments'
        )
    return path


def validate_prefix(prefix: str) -> str:
    """Return a LIST prefix normalised to "" or "<key>/", raising a 400 for a bad one."""
    trimmed = prefix.rstrip("/")
    if trimmed == "":
        return ""
    validate_key(trimmed)
    return trimmed + "/"
