"""Data files only their owner may read or write.

The store's files hold every secret (encrypted) and every secret's path (in the clear), so
they are created 0600. A data file other users can write is refused at startup: whoever can
write it can roll the store back or swap its entries, so the error says how to fix it rather
than serving from it.
"""

from __future__ import annotations

import logging
import os
import stat

log = logging.getLogger("sealkeep.storage")

PRIVATE_MODE = 0o600
# SQLite keeps part of the database beside it; they count as the data file.
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


class UnsafePermissions(ValueError):
    """A data file that other users can write (the message names it and the fix)."""


def prepare_private_file(path: str, companions: tuple[str, ...] = SQLITE_COMPANIONS) -> None:
    """Create `path` 0600 if missing; refuse it (and its companions) if others can write."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        pass
    else:
        os.close(fd)  # made now with the mode asked for, whatever the umask
    for suffix in companions:
        check_private(path + suffix)


def check_private(path: str) -> None:
    """Refuse a regular file other users can write; warn when they can read it."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(info.st_mode):
        return
    mode = stat.S_IMODE(info.st_mode)
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UnsafePermissions(
            f"{path}: other users can write this data file (mode {mode:04o}); "
            f"make it private with `chmod 600 {path}` and start again"
        )
    if mode & (stat.S_IRGRP | stat.S_IROTH):
        log.warning("%s: other users can read this data file (mode %04o)", path, mode)


def private_umask() -> int:
    """Make every file this process creates from now on private (0600 / 0700); returns
    the previous umask. Called once by the server at startup."""
    return os.umask(0o077)
