"""The server's PID file (Vault's `pid_file` setting): written 0600, removed at exit."""

from __future__ import annotations

import atexit
import contextlib
import os
from pathlib import Path

from reconciler.store.storage.private_files import PRIVATE_MODE


def write_pid_file(path: Path) -> None:
    """Write this process's id to `path` (0600 even if it existed) and remove it at exit."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    try:
        os.fchmod(fd, PRIVATE_MODE)  # an existing file keeps its mode through O_CREAT
        os.write(fd, f"{os.getpid()}\n".encode())
    finally:
        os.close(fd)
    atexit.register(_remove, path, os.getpid())


def _remove(path: Path, pid: int) -> None:
    # Only the process that wrote it removes it (not a forked child).
    if os.getpid() == pid:
        with contextlib.suppress(OSError):
            path.unlink()
