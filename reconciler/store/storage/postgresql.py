"""PostgreSQL storage, configured and laid out as Vault's `postgresql` backend.

The table is Vault's (`vault_kv_store`: parent_path, path, key, value), so a DBA finds what
they expect, and it is created when missing. A key `a/b/c` is stored as path `/a/b/`, key
`c`, parent_path `/a/`: listing a folder reads its leaves by `path` and its sub-folders by
`parent_path`, both indexed.

One connection in autocommit mode behind a lock: every `put` is its own committed
transaction, so an acknowledged write is in PostgreSQL's WAL. A lost connection is
reopened and the statement retried with backoff (reads and single writes are idempotent);
inside a `transaction()` nothing is retried: the block fails, PostgreSQL rolls it back, and
the caller sees `Unavailable` (503), never a half-written entry.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

import psycopg
from psycopg import sql

from reconciler.store.errors import Unavailable
from reconciler.store.storage.base import Transaction

DEFAULT_TABLE = "vault_kv_store"
DEFAULT_HA_TABLE = "vault_ha_locks"
RETRY_DELAYS = (0.05, 0.2, 0.5, 1.0, 2.0)
T = TypeVar("T")


def split_key(full: str) -> tuple[str, str, str]:
    """(parent_path, path, key) for a storage key, as Vault's backend splits it."""
    pieces = full.split("/")
    key = pieces[-1]
    if len(pieces) == 1:
        return "", "/", key
    path = "/" + "/".join(pieces[:-1]) + "/"
    parent = "/" if len(pieces) == 2 else "/" + "/".join(pieces[:-2]) + "/"
    return parent, path, key


def _join_key(path: str, leaf: str) -> str:
    """The storage key back from Vault's (path, key) columns."""
    return path[1:] + leaf


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


class _Statements:
    """The SQL for one table name, quoted once."""

    def __init__(self, table: str) -> None:
        name = sql.Identifier(table)
        self.create = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {t} ("
            ' parent_path TEXT COLLATE "C" NOT NULL,'
            ' path TEXT COLLATE "C",'
            ' key TEXT COLLATE "C",'
            " value BYTEA,"
            " CONSTRAINT {pk} PRIMARY KEY (path, key))"
        ).format(t=name, pk=sql.Identifier(f"{table}_pkey"))
        self.index = sql.SQL("CREATE INDEX IF NOT EXISTS {i} ON {t} (parent_path)").format(
            i=sql.Identifier(f"{table}_parent_path_idx"), t=name
        )
        self.get = sql.SQL("SELECT value FROM {t} WHERE path = %s AND key = %s").format(t=name)
        self.put = sql.SQL(
            "INSERT INTO {t} (parent_path, path, key, value) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (path, key) DO UPDATE SET parent_path = excluded.parent_path,"
            " value = excluded.value"
        ).format(t=name)
        self.delete = sql.SQL("DELETE FROM {t} WHERE path = %s AND key = %s").format(t=name)
        self.leaves = sql.SQL("SELECT key FROM {t} WHERE path = %s AND key <> ''").format(t=name)
        self.folders = sql.SQL(
            "SELECT DISTINCT substring(substr(path, length(%s) + 1) from '^[^/]+/')"
            " FROM {t} WHERE parent_path LIKE %s ESCAPE '\\'"
        ).format(t=name)
        self.all_keys = sql.SQL("SELECT path, key FROM {t} ORDER BY path, key").format(t=name)
        self.all_items = sql.SQL(
            'SELECT path, key, value FROM {t} ORDER BY (substr(path, 2) || key) COLLATE "C"'
        ).format(t=name)
        self.delete_all = sql.SQL("DELETE FROM {t}").format(t=name)


class _Ops:
    """get/put/delete/list on one connection; callers hold the lock."""

    def __init__(self, conn: psycopg.Connection, statements: _Statements) -> None:
        self.conn = conn
        self.sql = statements

    def get(self, key: str) -> bytes | None:
        _, path, leaf = split_key(key)
        row = self.conn.execute(self.sql.get, (path, leaf)).fetchone()
        return None if row is None else bytes(row[0])

    def put(self, key: str, value: bytes) -> None:
        parent, path, leaf = split_key(key)
        self.conn.execute(self.sql.put, (parent, path, leaf, value))

    def delete(self, key: str) -> None:
        _, path, leaf = split_key(key)
        self.conn.execute(self.sql.delete, (path, leaf))

    def list(self, prefix: str) -> list[str]:
        folder = "/" + prefix
        leaves = [row[0] for row in self.conn.execute(self.sql.leaves, (folder,))]
        subfolders = [
            row[0]
            for row in self.conn.execute(self.sql.folders, (folder, _like_prefix(folder)))
            if row[0]
        ]
        return sorted(set(leaves) | set(subfolders))


class PostgresStorage:
    """A `Storage` in one PostgreSQL table. Thread-safe; every put is committed on return.

    Invariants: the connection is in autocommit mode outside `transaction()`; the lock is
    held for a whole `transaction()` block, so other threads never interleave with it.
    """

    def __init__(self, connection_url: str, table: str = DEFAULT_TABLE) -> None:
        self.connection_url = connection_url
        self.table = table
        self._sql = _Statements(table)
        self._lock = threading.RLock()
        self._conn = self._connect()
        self._ops = _Ops(self._conn, self._sql)
        with self._lock:
            self._conn.execute(self._sql.create)
            self._conn.execute(self._sql.index)

    def _connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(self.connection_url, autocommit=True, connect_timeout=5)
        except psycopg.OperationalError as exc:
            raise Unavailable(f"storage: cannot reach PostgreSQL: {_brief(exc)}") from None

    def _retrying(self, operation: Callable[[_Ops], T]) -> T:
        """Run one idempotent statement, reconnecting with backoff when the link drops."""
        with self._lock:
            for delay in (*RETRY_DELAYS, None):
                try:
                    if self._conn.closed:
                        self._reconnect()
                    return operation(self._ops)
                except psycopg.OperationalError as exc:
                    if delay is None:
                        raise Unavailable(
                            f"storage: PostgreSQL unavailable: {_brief(exc)}"
                        ) from None
                    time.sleep(delay)
                    self._conn.close()
                except Unavailable:
                    if delay is None:
                        raise
                    time.sleep(delay)
        raise AssertionError("unreachable")

    def _reconnect(self) -> None:
        self._conn = self._connect()
        self._ops = _Ops(self._conn, self._sql)

    def get(self, key: str) -> bytes | None:
        """The value at `key`, or None."""
        return self._retrying(lambda ops: ops.get(key))

    def put(self, key: str, value: bytes) -> None:
        """Store `value` at `key`; committed when this returns."""
        self._retrying(lambda ops: ops.put(key, value))

    def delete(self, key: str) -> None:
        """Remove `key`; no error when missing."""
        self._retrying(lambda ops: ops.delete(key))

    def list(self, prefix: str) -> list[str]:
        """Immediate children of `prefix`, sorted; folders end with "/"."""
        return self._retrying(lambda ops: ops.list(prefix))

    def keys(self) -> Iterator[str]:
        """Every key, in order (snapshots and migration)."""
        rows = self._retrying(lambda ops: ops.conn.execute(self._sql.all_keys).fetchall())
        for path, leaf in rows:
            yield _join_key(path, leaf)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """BEGIN ... COMMIT on the shared connection; ROLLBACK when the block raises.

        A connection lost inside the block is not retried (the writes before it are gone with
        the rolled-back transaction): the caller gets `Unavailable` and nothing was written.
        """
        with self._lock:
            if self._conn.closed:
                self._retrying(lambda ops: None)
            if self._conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                raise RuntimeError("nested storage transactions are not supported")
            try:
                with self._conn.transaction():
                    yield self._ops
            except psycopg.OperationalError as exc:
                raise Unavailable(f"storage: PostgreSQL unavailable: {_brief(exc)}") from None

    def snapshot_items(self) -> Iterator[tuple[str, bytes]]:
        """Every entry from one REPEATABLE READ transaction on a second connection, so
        writers go on while the snapshot reads one point in time."""
        reader = self._connect()
        try:
            with reader.transaction():
                reader.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                cursor = reader.execute(self._sql.all_items)
                while rows := cursor.fetchmany(1000):
                    for path, leaf, value in rows:
                        yield _join_key(path, leaf), bytes(value)
        finally:
            reader.close()

    def replace_all(self, items: list[tuple[str, bytes]]) -> None:
        """Replace every entry with `items` in one transaction (a snapshot restore)."""
        rows = [(*split_key(key), value) for key, value in items]
        with self.transaction():
            self._conn.execute(self._sql.delete_all)
            with self._conn.cursor() as cursor:
                cursor.executemany(self._sql.put, rows)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._conn.close()


def _brief(exc: Exception) -> str:
    """The first line of a driver error (never the connection URL, which may hold a password)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def open_postgresql(options: Mapping[str, str]) -> PostgresStorage:
    """Open from the config block's options (`connection_url`, `table`)."""
    url = options.get("connection_url", "")
    if not url:
        raise ValueError("storage 'postgresql' needs option 'connection_url'")
    return PostgresStorage(url, options.get("table") or DEFAULT_TABLE)
