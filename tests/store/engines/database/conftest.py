"""Fixtures for the database engine tests: the real PostgreSQL and MariaDB on loopback.

With SEALKEEP_REQUIRE_SERVICES=1 an unreachable database fails the tests; otherwise they
skip with the reason. Every user a test creates starts with `PREFIX` (or `v-<PREFIX>` for
generated names), and a session finalizer checks that none is left behind.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import NoReturn

import psycopg
import pymysql
import pytest
from psycopg import sql
from pymysql.connections import Connection as MySQLConnection

from reconciler.store.storage.memory import MemoryStorage
from tests.store.engines.database.proxy import PausableProxy
from tests.store.engines.database.support import (
    MY_HOST,
    MY_PORT,
    PG_DB,
    PG_HOST,
    PG_PORT,
    PREFIX,
    Mount,
)


def _unavailable(what: str, exc: Exception) -> NoReturn:
    reason = f"{what} is not reachable: {exc}"
    if os.environ.get("SEALKEEP_REQUIRE_SERVICES") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[psycopg.Connection]:
    """An autocommit superuser connection to the `test` database."""
    try:
        conn = psycopg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", dbname=PG_DB, autocommit=True,
            connect_timeout=5,
        )  # fmt: skip
    except psycopg.Error as exc:
        _unavailable("PostgreSQL at 127.0.0.1:5432", exc)
    yield conn
    leftovers = [
        row[0]
        for row in conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname LIKE %s OR rolname LIKE %s",
            (f"{PREFIX}%", f"v-{PREFIX}%"),
        ).fetchall()
    ]
    for name in leftovers:
        conn.execute(sql.SQL("DROP OWNED BY {0}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE {0}").format(sql.Identifier(name)))
    conn.close()
    assert not leftovers, f"tests left PostgreSQL roles behind: {leftovers}"


@pytest.fixture(scope="session")
def my_admin() -> Iterator[MySQLConnection]:
    """An autocommit root connection to MariaDB."""
    try:
        conn = pymysql.connect(
            host=MY_HOST, port=MY_PORT, user="root", password="", autocommit=True,
            connect_timeout=5,
        )  # fmt: skip
    except pymysql.MySQLError as exc:
        _unavailable("MariaDB at 127.0.0.1:3306", exc)
    yield conn
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT User, Host FROM mysql.user WHERE User LIKE %s OR User LIKE %s",
            (f"{PREFIX}%", f"v-{PREFIX}%"),
        )
        leftovers = [(str(u), str(h)) for u, h in cursor.fetchall()]
        for user, host in leftovers:
            cursor.execute("DROP USER %s@%s", (user, host))
    conn.close()
    assert not leftovers, f"tests left MariaDB users behind: {leftovers}"


@pytest.fixture
def mount_factory() -> Iterator[Callable[..., Mount]]:
    """Build mounts; every one is cleaned up (pools closed) at teardown."""
    mounts: list[Mount] = []

    def make(storage: MemoryStorage | None = None) -> Mount:
        mount = Mount(storage)
        mounts.append(mount)
        return mount

    yield make
    for mount in mounts:
        mount.backend.cleanup()


@pytest.fixture
def mount(mount_factory: Callable[..., Mount]) -> Mount:
    """One fresh mount."""
    return mount_factory()


@pytest.fixture
def proxy_factory() -> Iterator[Callable[[int], PausableProxy]]:
    """Start loopback proxies to a port; all are closed at teardown."""
    proxies: list[PausableProxy] = []

    def make(port: int) -> PausableProxy:
        proxy = PausableProxy("127.0.0.1", port)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()
