"""Fixtures for tests that use the machine's PostgreSQL and MariaDB on loopback.

With SEALKEEP_REQUIRE_SERVICES=1 an unreachable database fails the tests, otherwise they skip
with the reason. Every user the tests make carries the session's `PREFIX` (generated names read
`v-<who>-<PREFIX>...`), and each admin fixture checks at the end that none was left behind.
Import the fixtures into a conftest to use them there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import NoReturn

import psycopg
import pymysql
import pytest
from psycopg import sql
from pymysql.connections import Connection as MySQLConnection

from tests.conftest import services_required
from tests.store.engines.database.proxy import PausableProxy
from tests.store.engines.database.support import MY_HOST, MY_PORT, PG_DB, PG_HOST, PG_PORT, PREFIX

# Test users start with PREFIX; generated ones are `v-<display name>-<role name>-...` where
# every role name starts with PREFIX.
TEST_USERS = (f"{PREFIX}%", f"v-%{PREFIX}%")


def unavailable(what: str, exc: Exception) -> NoReturn:
    """Fail (services required) or skip, naming the database and the error type."""
    reason = f"{what} is not reachable: {type(exc).__name__}"
    if services_required():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[psycopg.Connection]:
    """An autocommit superuser connection; at the end, no test user may remain."""
    try:
        conn = psycopg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", dbname=PG_DB, autocommit=True,
            connect_timeout=5,
        )  # fmt: skip
    except psycopg.Error as exc:
        unavailable("PostgreSQL at 127.0.0.1:5432", exc)
    yield conn
    rows = conn.execute(
        "SELECT rolname FROM pg_roles WHERE rolname LIKE %s OR rolname LIKE %s", TEST_USERS
    ).fetchall()
    leftovers = [str(row[0]) for row in rows]
    for name in leftovers:
        conn.execute(sql.SQL("DROP OWNED BY {0}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP ROLE {0}").format(sql.Identifier(name)))
    conn.close()
    assert not leftovers, f"tests left PostgreSQL roles behind: {leftovers}"


@pytest.fixture(scope="session")
def my_admin() -> Iterator[MySQLConnection]:
    """An autocommit root connection to MariaDB; at the end, no test user may remain."""
    try:
        conn = pymysql.connect(
            host=MY_HOST, port=MY_PORT, user="root", password="", autocommit=True,
            connect_timeout=5,
        )  # fmt: skip
    except pymysql.MySQLError as exc:
        unavailable("MariaDB at 127.0.0.1:3306", exc)
    yield conn
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT User, Host FROM mysql.user WHERE User LIKE %s OR User LIKE %s", TEST_USERS
        )
        leftovers = [(str(u), str(h)) for u, h in cursor.fetchall()]
        for user, host in leftovers:
            cursor.execute("DROP USER %s@%s", (user, host))
    conn.close()
    assert not leftovers, f"tests left MariaDB users behind: {leftovers}"


@pytest.fixture
def proxy_factory() -> Iterator[Callable[[int], PausableProxy]]:
    """Loopback proxies a test can pause to make a database unreachable; closed at teardown."""
    proxies: list[PausableProxy] = []

    def make(port: int) -> PausableProxy:
        proxy = PausableProxy("127.0.0.1", port)
        proxies.append(proxy)
        return proxy

    yield make
    for proxy in proxies:
        proxy.close()


PG_STORAGE_URL = f"postgres://postgres@{PG_HOST}:{PG_PORT}/{PG_DB}?sslmode=disable"


@pytest.fixture
def postgres_storage_options(pg_admin: psycopg.Connection) -> Iterator[dict[str, str]]:
    """`storage "postgresql"` options with a table of this test's own, dropped afterwards."""
    table = f"{PREFIX}_kv_{uuid.uuid4().hex[:8]}"
    yield {"connection_url": PG_STORAGE_URL, "table": table}
    pg_admin.execute(sql.SQL("DROP TABLE IF EXISTS {0}").format(sql.Identifier(table)))
