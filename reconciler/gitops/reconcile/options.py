"""What a reconcile loop is told: where the repo is, how often, and what it may do."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from reconciler.gitops.live.statestore import DEFAULT_STATE_MOUNT

_UNITS = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_seconds(text: str) -> float:
    """Seconds from `60`, `0.5`, `500ms`, `60s`, `5m`, `1h30m`; ValueError names bad input."""
    value = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    total, pos = 0.0, 0
    for match in _DURATION.finditer(value):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos == 0 or pos != len(value):
        raise ValueError(f"invalid duration {text!r} (examples: 500ms, 60s, 5m, 1h)")
    return total


def redact_url(url: str) -> str:
    """`url` without a password, so it can appear in logs and status output."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else "***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/sealkeep/reconcile`, else `~/.cache/sealkeep/reconcile`."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sealkeep" / "reconcile"


@dataclass(frozen=True, kw_only=True)
class ReconcileOptions:
    """One reconcile loop's settings.

    Invariants: `interval`, `backoff_initial` and `backoff_max` are positive seconds;
    `subdir` is the Sealkeep root inside the repository ('.' for the top); `max_runs`
    (None: forever) bounds the loop, for `--once` and tests.
    """

    repo: str
    branch: str = "main"
    interval: float = 60.0
    dry_run: bool = False
    correct_drift: bool = False
    target: str | None = None
    state_mount: str = DEFAULT_STATE_MOUNT
    subdir: str = "."
    cache_dir: Path | None = None
    backoff_initial: float = 5.0
    backoff_max: float = 300.0
    max_runs: int | None = None
    lock_timeout: float = 60.0
    identities: Sequence[str] | None = None
    environ: Mapping[str, str] | None = field(default=None, repr=False)
    actor: str = "sealkeep-reconcile"

    def env(self) -> Mapping[str, str]:
        """The environment VAULT_* and the login variables are read from."""
        return os.environ if self.environ is None else self.environ

    def mirror_dir(self) -> Path:
        """The folder this repo URL and branch are cloned into (one per URL and branch)."""
        digest = hashlib.sha256(f"{self.repo}\0{self.branch}".encode()).hexdigest()[:16]
        return (self.cache_dir or default_cache_dir()) / digest

    @property
    def shown_repo(self) -> str:
        """The repo URL as it may be shown (no password)."""
        return redact_url(self.repo)
