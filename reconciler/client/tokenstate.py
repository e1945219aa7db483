"""When the token `sealkeep login` saved expires, so a 403 can say "expired" rather than "wrong".

The server answers an expired token exactly as a wrong one (403, `permission denied`), so
the client remembers, at login, the SHA-256 of the token it saved and its expiry time, in
`$XDG_STATE_HOME/sealkeep/token-expiry.json` (owner-only). Never the token itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path


def record_file() -> Path:
    """Where the expiry of the last saved token is kept."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "sealkeep" / "token-expiry.json"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def remember(token: str, ttl_seconds: int) -> None:
    """Record that `token` expires `ttl_seconds` from now (0: never; the record is dropped)."""
    path = record_file()
    if ttl_seconds <= 0:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    entry = {"sha256": _digest(token), "expires_at": time.time() + ttl_seconds}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(entry, handle)


def expired_at(token: str) -> str:
    """The UTC time `token` expired at, when it is the recorded one and has expired; else ""."""
    try:
        entry = json.loads(record_file().read_text())
        expires = float(entry["expires_at"])
        matches = entry["sha256"] == _digest(token)
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    if not matches or time.time() < expires:
        return ""
    return datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
