"""The SQLite store's files are private (0600) and a file others can write is refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reconciler.store.storage.private_files import UnsafePermissions
from reconciler.store.storage.sqlite import SqliteStorage


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_wal_and_shm_are_private(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask would make them 0644
    try:
        db = tmp_path / "store.db"
        storage = SqliteStorage(str(db))
        storage.put("sys/x", b"value")
        assert _mode(db) == 0o600
        for companion in ("store.db-wal", "store.db-shm"):
            assert (tmp_path / companion).exists()
            assert _mode(tmp_path / companion) == 0o600
        storage.close()
    finally:
        os.umask(old)


@pytest.mark.parametrize("mode", [0o664, 0o646, 0o666])
def test_a_database_other_users_can_write_is_refused(tmp_path: Path, mode: int) -> None:
    db = tmp_path / "store.db"
    SqliteStorage(str(db)).close()
    db.chmod(mode)
    with pytest.raises(UnsafePermissions, match="chmod 600") as refused:
        SqliteStorage(str(db))
    assert str(db) in str(refused.value)
    assert _mode(db) == mode  # refused, not silently changed


def test_a_wal_file_other_users_can_write_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    (tmp_path / "store.db-wal").write_bytes(b"")
    (tmp_path / "store.db-wal").chmod(0o666)
    with pytest.raises(UnsafePermissions, match=r"store\.db-wal"):
        SqliteStorage(str(db))
