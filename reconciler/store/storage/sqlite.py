"""SQLite storage: one file, WAL journal, every acknowledged write fsynced.

The default backend. One connection is shared by all threads behind a lock: SQLite serialises
writers anyway, and one connection keeps the statement cache warm (Python's `sqlite3` reuses
the prepared statement for each constant SQL string below), which matters for `get`, the
server's hot path.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from reconciler.store.storage.base import Transaction
from reconciler.store.storage.groupcommit import GroupCommit
from reconciler.store.storage.private_files import prepare_private_file

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID"
)
_GET = "SELECT value FROM entries WHERE key = ?"
_PUT = (
    "INSERT INTO entries (key, value) VALUES (?, ?)"
    " ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
_DELETE = "DELETE FROM entries WHERE key = ?"
_RANGE = "SELECT key FROM entries WHERE key >= ? AND key < ? ORDER BY key"
_RANGE_OPEN = "SELECT key FROM entries WHERE key >= ? ORDER BY key"

# Durability first: FULL makes every commit fsync the WAL, so a put that returned survives a
# kill -9 or a power cut. busy_timeout lets a second process (a backup, a CLI) wait its turn.
PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=OFF",
)
# The store's own connection: SQLite does not fsync at commit (NORMAL), GroupCommit fsyncs
# the WAL itself before a write is acknowledged, once for all writers waiting (same
# guarantee as FULL; checkpoints keep NORMAL's own WAL-then-database syncs).
STORE_PRAGMAS = tuple(p.replace("synchronous=FULL", "synchronous=NORMAL") for p in PRAGMAS)


def _after(prefix: str) -> str | None:
    """The smallest string greater than every key starting with `prefix` (None: unbounded)."""
    if not prefix:
        return None
    if prefix.endswith("/"):
        # "/" + 1 is "0": every key under "a/" sorts in ["a/", "a0"), with no sentinel gaps.
        return prefix[:-1] + "0"
    return prefix + "\U0010ffff"


class _Ops:
    """The SQL behind get/put/delete/list on one connection; callers hold the lock."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, key: str) -> bytes | None:
        row = self.conn.execute(_GET, (key,)).fetchone()
        return None if row is None else row[0]

    def put(self, key: str, value: bytes) -> None:
        self.conn.execute(_PUT, (key, value))

    def delete(self, key: str) -> None:
        self.conn.execute(_DELETE, (key,))

    def list(self, prefix: str) -> list[str]:
        """Range-scan `prefix`, jumping over each sub-folder once it has been seen.

        A folder with many nested descendants costs one row and one new query, so listing
        stays linear in the number of immediate children, not in the size of the subtree.
        """
        out: list[str] = []
        start = prefix
        end = _after(prefix)
        while True:
            folder = self._scan(start, end, prefix, out)
            if folder is None:
                return out
            out.append(folder)
            start = _after(prefix + folder) or ""

    def _scan(self, start: str, end: str | None, prefix: str, out: list[str]) -> str | None:
        """Append leaves from `start` on; stop at the first sub-folder and return its name."""
        cursor = (
            self.conn.execute(_RANGE_OPEN, (start,))
            if end is None
            else self.conn.execute(_RANGE, (start, end))
        )
        try:
            for (key,) in cursor:
                rest = key[len(prefix) :]
                if not rest:
                    continue  # the prefix itself is a key, not a child
                slash = rest.find("/")
                if slash >= 0:
                    return rest[: slash + 1]
                out.append(rest)
            return None
        finally:
            cursor.close()


class SqliteStorage:
    """A `Storage` in one SQLite file. Thread-safe; every put/delete is durable on return.

    Invariants: one connection in autocommit mode (each statement outside `transaction()` is
    its own committed, fsynced transaction); the lock is held for the whole of a
    `transaction()` block, so other threads never see its partial writes.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        if path != ":memory:":
            prepare_private_file(path)  # 0600, and never a file others can write
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, cached_statements=64
        )
        for pragma in STORE_PRAGMAS:
            self._conn.execute(pragma)
        self._conn.execute(_SCHEMA)
        self._ops = _Ops(self._conn)
        self._lock = threading.RLock()
        self.group = GroupCommit(self._fsync_wal)
        self._wal_fd: int | None = None
        self._local = threading.local()  # per thread: deferral depth, last pending write

    def get(self, key: str) -> bytes | None:
        """The value at `key`, or None."""
        with self._lock:  # inlined rather than via _Ops: this is the server's hot path
            row = self._conn.execute(_GET, (key,)).fetchone()
        return None if row is None else row[0]

    def put(self, key: str, value: bytes) -> None:
        """Store `value` at `key`; on disk when this returns (or, inside `deferred_sync`,
        when that block ends)."""
        with self._lock:
            self._ops.put(key, value)
            seq = self.group.note_write()
        self._durable(seq)

    def delete(self, key: str) -> None:
        """Remove `key`; no error when missing. Durable as `put` is."""
        with self._lock:
            self._ops.delete(key)
            seq = self.group.note_write()
        self._durable(seq)

    def _durable(self, seq: int) -> None:
        if getattr(self._local, "depth", 0):
            self._local.pending = seq
        else:
            self.group.wait_durable(seq)

    @contextmanager
    def deferred_sync(self) -> Iterator[None]:
        """Writes in the block are committed at once and made durable when it ends, in one
        fsync shared with other threads' blocks ending then (group commit)."""
        local = self._local
        local.depth = getattr(local, "depth", 0) + 1
        try:
            yield
        finally:
            local.depth -= 1
            pending = getattr(local, "pending", 0)
            if local.depth == 0 and pending:
                local.pending = 0
                self.group.wait_durable(pending)

    def _fsync_wal(self) -> None:
        if self.path == ":memory:":
            return
        if self._wal_fd is None:
            self._wal_fd = os.open(f"{self.path}-wal", os.O_RDONLY)
            # The WAL file's own directory entry must be durable too, once.
            folder = os.open(os.path.dirname(os.path.abspath(self.path)), os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
        os.fsync(self._wal_fd)

    def list(self, prefix: str) -> list[str]:
        """Immediate children of `prefix`, sorted; folders end with "/"."""
        with self._lock:
            return self._ops.list(prefix)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """BEGIN IMMEDIATE ... COMMIT; ROLLBACK when the block raises.

        Reads inside the block see its own writes (same connection). Nesting is refused:
        SQLite has no nested BEGIN, and silently joining an outer transaction would make
        an inner "commit" meaningless.
        """
        with self._lock:
            if self._conn.in_transaction:
                raise RuntimeError("nested storage transactions are not supported")
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTransaction(self._ops)
                self._conn.execute("COMMIT")
                seq = self.group.note_write()
            except BaseException:
                # SQLite may already have rolled back (disk full, I/O error); a second
                # ROLLBACK would raise and hide the original error.
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
        self._durable(seq)

    def snapshot_items(self) -> Iterator[tuple[str, bytes]]:
        """Every entry from one read transaction on a second connection.

        In WAL mode a reader sees the database as of its first read while writers go on,
        so a snapshot neither blocks the server nor mixes two points in time.
        """
        reader = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
        try:
            reader.execute("BEGIN")
            cursor = reader.execute("SELECT key, value FROM entries ORDER BY key")
            while rows := cursor.fetchmany(1000):
                yield from ((str(key), bytes(value)) for key, value in rows)
            reader.execute("COMMIT")
        finally:
            reader.close()

    def replace_all(self, items: list[tuple[str, bytes]]) -> None:
        """Replace every entry with `items` in one transaction (a snapshot restore)."""
        with self.transaction():
            self._conn.execute("DELETE FROM entries")
            self._conn.executemany(_PUT, items)

    def close(self) -> None:
        """Close the connection; later calls raise `sqlite3.ProgrammingError`."""
        if self._wal_fd is not None:
            os.close(self._wal_fd)
            self._wal_fd = None
        with self._lock:
            self._conn.close()


class _SqliteTransaction:
    """The operations of an open transaction; the storage's lock is already held."""

    def __init__(self, ops: _Ops) -> None:
        self._ops = ops

    def get(self, key: str) -> bytes | None:
        """The value at `key` as this transaction sees it."""
        return self._ops.get(key)

    def put(self, key: str, value: bytes) -> None:
        """Write `value` at `key` when the transaction commits."""
        self._ops.put(key, value)

    def delete(self, key: str) -> None:
        """Remove `key` when the transaction commits."""
        self._ops.delete(key)

    def list(self, prefix: str) -> list[str]:
        """Immediate children of `prefix`, including this transaction's writes."""
        return self._ops.list(prefix)
