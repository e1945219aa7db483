"""Scheduled snapshots: the active node writes one every `interval` into a folder and keeps
the newest `retain`.

Configured as `snapshot { interval = "1h"  path = "/var/backups/sealkeep"  retain = 24 }`.
Each file is written under a temporary name, fsynced, then renamed, so a crash never leaves
a half-written snapshot that looks complete; files are 0600 like every file the server makes.
A failed snapshot is logged and retried at the next interval; it never stops the server.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("sealkeep.snapshots")
PREFIX = "sealkeep-snapshot-"
SUFFIX = ".snap"


@dataclass(frozen=True)
class SnapshotPolicy:
    """How often, where, and how many to keep."""

    interval: int
    folder: Path
    retain: int


class SnapshotSchedule:
    """Runs `take()` (which returns the snapshot's bytes) when the interval has passed."""

    def __init__(self, policy: SnapshotPolicy, take: Callable[[], bytes]) -> None:
        self.policy = policy
        self._take = take
        self._last = time.monotonic()

    def due(self) -> bool:
        """True when the interval has passed since the last snapshot (or the start)."""
        return time.monotonic() - self._last >= self.policy.interval

    def run(self) -> Path | None:
        """Write one snapshot now and prune old ones; None (logged) when it failed."""
        self._last = time.monotonic()
        try:
            return self._write(self._take())
        except Exception:
            log.exception("scheduled snapshot failed; retrying in %s s", self.policy.interval)
            return None

    def _write(self, data: bytes) -> Path:
        folder = self.policy.folder
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        final = folder / f"{PREFIX}{stamp}-{time.time_ns() % 1_000_000:06d}{SUFFIX}"
        partial = final.with_suffix(".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(partial, final)
        self._prune()
        log.info("wrote snapshot %s (%d bytes)", final, len(data))
        return final

    def _prune(self) -> None:
        snapshots = sorted(self.policy.folder.glob(f"{PREFIX}*{SUFFIX}"))
        for old in snapshots[: max(0, len(snapshots) - self.policy.retain)]:
            old.unlink(missing_ok=True)
