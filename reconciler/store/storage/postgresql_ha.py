"""The HA lock on PostgreSQL, in Vault's `vault_ha_locks` table: one row with a TTL.

The active node holds the row (`ha_identity` = its node id, `ha_value` = its api_addr) and
renews `valid_until` well before it passes; a node may take the row only when it is free or
expired, in one atomic upsert, so two nodes can never both succeed. A crashed active node's
row expires within `ttl` seconds and a standby takes over. The clock is PostgreSQL's
(`now()`), so the nodes' own clocks never decide who is active.
"""

from __future__ import annotations

import threading

import psycopg
from psycopg import sql

from reconciler.store.operations.ha import Holder

LOCK_KEY = "core/lock"
DEFAULT_TTL = 4.0


class PostgresHALock:
    """Acquire, renew, release and read the HA lock row. Thread-safe (one connection, a lock).

    Every method answers False/None instead of raising when PostgreSQL cannot be reached:
    a node that cannot prove it holds the lock must behave as if it does not.
    """

    def __init__(
        self,
        connection_url: str,
        table: str,
        identity: str,
        api_addr: str,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        self.identity = identity
        self.api_addr = api_addr
        self.ttl = ttl
        self._url = connection_url
        self._lock = threading.Lock()
        name = sql.Identifier(table)
        self._create = sql.SQL(
            "CREATE TABLE IF NOT EXISTS {t} ("
            ' ha_key TEXT COLLATE "C" NOT NULL,'
            ' ha_identity TEXT COLLATE "C" NOT NULL,'
            ' ha_value TEXT COLLATE "C",'
            " valid_until TIMESTAMP WITH TIME ZONE NOT NULL,"
            " CONSTRAINT {pk} PRIMARY KEY (ha_key))"
        ).format(t=name, pk=sql.Identifier(f"{table}_pkey"))
        self._acquire = sql.SQL(
            "INSERT INTO {t} AS held (ha_key, ha_identity, ha_value, valid_until)"
            " VALUES (%(key)s, %(me)s, %(addr)s, now() + make_interval(secs => %(ttl)s))"
            " ON CONFLICT (ha_key) DO UPDATE SET ha_identity = excluded.ha_identity,"
            " ha_value = excluded.ha_value, valid_until = excluded.valid_until"
            " WHERE held.valid_until < now() OR held.ha_identity = excluded.ha_identity"
            " RETURNING ha_identity"
        ).format(t=name)
        self._renew = sql.SQL(
            "UPDATE {t} SET valid_until = now() + make_interval(secs => %(ttl)s)"
            " WHERE ha_key = %(key)s AND ha_identity = %(me)s AND valid_until >= now()"
            " RETURNING ha_identity"
        ).format(t=name)
        self._release = sql.SQL(
            "DELETE FROM {t} WHERE ha_key = %(key)s AND ha_identity = %(me)s"
        ).format(t=name)
        self._read = sql.SQL(
            "SELECT ha_identity, ha_value FROM {t} WHERE ha_key = %(key)s AND valid_until >= now()"
        ).format(t=name)
        self._conn: psycopg.Connection | None = None
        conn = self._connection()
        if conn is not None:
            with self._lock:
                conn.execute(self._create)

    def _params(self) -> dict[str, object]:
        return {"key": LOCK_KEY, "me": self.identity, "addr": self.api_addr, "ttl": self.ttl}

    def _connection(self) -> psycopg.Connection | None:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = psycopg.connect(self._url, autocommit=True, connect_timeout=2)
            except psycopg.OperationalError:
                self._conn = None
        return self._conn

    def _one(self, statement: sql.Composed, *, returns: bool = True) -> tuple[object, ...] | None:
        with self._lock:
            conn = self._connection()
            if conn is None:
                return None
            try:
                cursor = conn.execute(statement, self._params())
                return cursor.fetchone() if returns else None
            except psycopg.OperationalError:
                conn.close()
                return None

    def try_acquire(self) -> bool:
        """Take the lock if it is free, expired or already ours."""
        return self._one(self._acquire) is not None

    def renew(self) -> bool:
        """Extend our hold; False when we no longer hold it (or cannot tell)."""
        return self._one(self._renew) is not None

    def release(self) -> None:
        """Give the lock up (step-down, seal, shutdown)."""
        self._one(self._release, returns=False)

    def holder(self) -> Holder | None:
        """The current holder, or None when the lock is free or unreadable."""
        row = self._one(self._read)
        return None if row is None else Holder(str(row[0]), str(row[1] or ""))

    def close(self) -> None:
        """Close the lock's connection."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
