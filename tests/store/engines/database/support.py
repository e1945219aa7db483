"""Checks against the real databases: can this user log in, does it exist, which password."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import psycopg
import pymysql
from pymysql.connections import Connection as MySQLConnection

from reconciler.store.engines.database import DatabaseBackend
from reconciler.store.engines.database.plugins.scram import scram_matches
from reconciler.store.framework import MountContext, MountEntry, SystemView
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.storage.memory import MemoryStorage
from reconciler.store.storage.view import StorageView

# Unique per test session, so concurrent runs on the same databases never see (or clean up)
# each other's users; 7 characters so it survives the default templates' `truncate 8`.
PREFIX = f"skt{secrets.token_hex(2)}"
DISPLAY_NAME = PREFIX  # generated names become v-<PREFIX>-<role>-...
PG_HOST, PG_PORT, PG_DB = "127.0.0.1", 5432, "test"
MY_HOST, MY_PORT = "127.0.0.1", 3306
SYSTEM_TTL = 2764800


def unique(label: str) -> str:
    """A test user name: the prefix, a label and a random suffix."""
    return f"{PREFIX}_{label}_{secrets.token_hex(3)}"


def pg_url(port: int = PG_PORT, app: str = "sealkeep") -> str:
    """A templated PostgreSQL connection URL."""
    return (
        f"postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{port}/{PG_DB}"
        f"?sslmode=disable&application_name={app}"
    )


def my_url(port: int = MY_PORT) -> str:
    """A templated Go-style MySQL DSN, as Vault takes it."""
    return f"{{{{username}}}}:{{{{password}}}}@tcp(127.0.0.1:{port})/"


def pg_select_one(username: str, password: str) -> int:
    """Log in as `username` and run SELECT 1 (raises psycopg.OperationalError on failure)."""
    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=username, password=password, dbname=PG_DB,
        connect_timeout=5,
    ) as conn:  # fmt: skip
        row = conn.execute("SELECT 1").fetchone()
        assert row is not None
        return int(row[0])


def pg_role(admin: psycopg.Connection, username: str) -> tuple[bool, object] | None:
    """(can login, valid until) for a role, or None when it does not exist."""
    row = admin.execute(
        "SELECT rolcanlogin, rolvaliduntil FROM pg_roles WHERE rolname = %s", (username,)
    ).fetchone()
    return None if row is None else (bool(row[0]), row[1])


def pg_password_is(admin: psycopg.Connection, username: str, password: str) -> bool:
    """True when the role's stored SCRAM verifier was made from `password`.

    The machine's PostgreSQL trusts loopback logins, so the password is checked here.
    """
    row = admin.execute(
        "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (username,)
    ).fetchone()
    return row is not None and row[0] is not None and scram_matches(password, str(row[0]))


def my_select_one(username: str, password: str) -> int:
    """Log in to MariaDB as `username` and run SELECT 1 (raises on failure)."""
    conn = pymysql.connect(
        host=MY_HOST, port=MY_PORT, user=username, password=password, connect_timeout=5
    )
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
            row = cursor.fetchone()
            assert row is not None
            return int(row[0])
    finally:
        conn.close()


def my_user_exists(admin: MySQLConnection, username: str) -> bool:
    """True when any `username`@host account exists."""
    with admin.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM mysql.user WHERE User = %s", (username,))
        row = cursor.fetchone()
        return bool(row and row[0])


def my_exec(admin: MySQLConnection, query: str, args: tuple[str, ...] | None = None) -> None:
    """Run one statement as root."""
    with admin.cursor() as cursor:
        cursor.execute(query, args)


class Mount:
    """A database engine mounted at `database/` over real in-memory storage."""

    def __init__(self, storage: MemoryStorage | None = None) -> None:
        self.storage = storage or MemoryStorage()
        self.view = StorageView(self.storage, "logical/db-mount/")
        entry = MountEntry(path="database/", type="database", accessor="database_1a2b3c4d",
                           uuid=str(uuid.uuid4()))  # fmt: skip
        system = SystemView(entry, SYSTEM_TTL, SYSTEM_TTL)
        self.backend = DatabaseBackend(MountContext(self.view, entry, system))

    def call(self, op: Operation, rel: str, data: dict[str, Any] | None = None) -> Response | None:
        """Send one request to the backend, as the core would after routing."""
        req = Request(operation=op, path=f"database/{rel}", data=data or {})
        req.display_name = DISPLAY_NAME
        req.mount_point, req.mount_type = "database/", "database"
        return self.backend.handle(req, rel)

    def write(self, rel: str, **data: Any) -> Response | None:
        """An update (POST)."""
        return self.call(Operation.UPDATE, rel, data)

    def read(self, rel: str) -> Response:
        """A read that must return a body."""
        response = self.call(Operation.READ, rel)
        assert response is not None
        return response

    def stored(self, key: str) -> dict[str, Any]:
        """The engine's stored JSON at `key` (to check what it keeps, e.g. the root password)."""
        value = self.view.get_json(key)
        assert value is not None
        return dict(value)
