"""The MySQL / MariaDB plugin (`mysql-database-plugin` and its variants), on PyMySQL.

Connection URLs are Go DSNs as Vault takes them (`{{username}}:{{password}}@tcp(host:3306)/db`)
or `mysql://user:pass@host:3306/db` URLs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import pymysql
from pymysql.connections import Connection

from reconciler.store.engines.database.plugins.base import (
    ConnectionDetails,
    PluginError,
    UserStatements,
    plugin_error,
)
from reconciler.store.engines.database.plugins.pool import Pool
from reconciler.store.engines.database.templates import (
    expand_statements,
    render_connection_url,
    user_values,
)

T = TypeVar("T")

_GO_DSN = re.compile(
    r"^(?:(?P<user>[^:@]*)(?::(?P<password>.*))?@)?"
    r"(?:(?P<net>tcp|unix)\((?P<addr>[^)]*)\))?/(?P<db>[^?]*)(?:\?(?P<params>.*))?$"
)
_ER_UNKNOWN_THREAD = 1094


@dataclass(frozen=True)
class MySQLTarget:
    """Where and as whom to connect, parsed from a rendered connection URL."""

    user: str
    password: str
    host: str = "127.0.0.1"
    port: int = 3306
    database: str = ""
    unix_socket: str = ""


def parse_mysql_url(url: str) -> MySQLTarget:
    """Parse a Go DSN or a `mysql://` URL; percent-escapes are undone (Vault escapes them)."""
    if "://" in url:
        parts = urlsplit(url)
        return MySQLTarget(
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
            database=parts.path.lstrip("/"),
        )
    match = _GO_DSN.match(url)
    if match is None:
        raise PluginError("invalid connection_url: expected user:password@tcp(host:port)/dbname")
    user, password = unquote(match.group("user") or ""), unquote(match.group("password") or "")
    addr, database = match.group("addr") or "", match.group("db") or ""
    if match.group("net") == "unix":
        return MySQLTarget(user, password, database=database, unix_socket=addr)
    host, _, port = (addr or "127.0.0.1:3306").rpartition(":")
    if not host:
        host, port = port, "3306"
    return MySQLTarget(user, password, host or "127.0.0.1", int(port or 3306), database)


class MySQLPlugin:
    """Runs statements against MySQL or MariaDB through a small PyMySQL pool."""

    def __init__(self, details: ConnectionDetails) -> None:
        self.details = details
        url = render_connection_url(
            details.connection_url, details.username, details.password, details.disable_escaping
        )
        self._target = parse_mysql_url(url)
        self._pool: Pool[Connection] = Pool(
            self._connect, _close, _is_disconnect, details.max_open_connections
        )

    def _connect(self) -> Connection:
        target = self._target
        return pymysql.connect(
            host=target.host,
            port=target.port,
            user=target.user,
            password=target.password,
            database=target.database or None,
            unix_socket=target.unix_socket or None,
            connect_timeout=self.details.connect_timeout,
            autocommit=True,
        )

    def _run(self, operation: Callable[[Connection], T], *secrets: str) -> T:
        try:
            return self._pool.run(operation)
        except PluginError:
            raise
        except Exception as exc:
            raise plugin_error(
                exc, (self.details.password, self._target.password, *secrets)
            ) from None

    def verify(self) -> None:
        """Connect and run `SELECT 1`."""
        self._run(lambda conn: _execute(conn, ["SELECT 1"]))

    def create_user(
        self, statements: UserStatements, username: str, password: str, expiration: str
    ) -> None:
        """Run the creation statements; MySQL DDL commits itself, so rollback is by statements."""
        if not statements.creation:
            raise PluginError("empty creation statements")
        values = user_values(username, password, expiration)
        queries = expand_statements(statements.creation, values)
        rollback = expand_statements(statements.rollback, values)

        def create(conn: Connection) -> None:
            try:
                _execute(conn, queries)
            except pymysql.MySQLError:
                _best_effort(conn, rollback)
                raise

        self._run(create, password)

    def renew_user(self, statements: list[str], username: str, expiration: str) -> None:
        """Run the renew statements; MySQL has no login expiry, so none means nothing to do."""
        if statements:
            queries = expand_statements(statements, user_values(username, "", expiration))
            self._run(lambda conn: _execute(conn, queries))

    def revoke_user(self, statements: list[str], username: str) -> None:
        """Lock the account, kill its sessions, then run the statements or DROP USER."""

        def revoke(conn: Connection) -> None:
            hosts = _user_hosts(conn, username)
            if not hosts:
                return
            for host in hosts:
                _execute(conn, ["ALTER USER %s@%s ACCOUNT LOCK"], (username, host))
            _kill_sessions(conn, username)
            if statements:
                _execute(conn, expand_statements(statements, user_values(username)))
            else:
                for host in hosts:
                    _execute(conn, ["DROP USER %s@%s"], (username, host))

        self._run(revoke)

    def rotate_root(self, statements: list[str], new_password: str) -> None:
        """Change the root user's password on every host entry it has."""
        self.set_static_password(
            statements, self.details.username or self._target.user, new_password
        )

    def set_static_password(self, statements: list[str], username: str, password: str) -> None:
        """Set an existing user's password (default: ALTER USER on each of its hosts)."""

        def change(conn: Connection) -> None:
            if statements:
                _execute(conn, expand_statements(statements, user_values(username, password)))
                return
            hosts = _user_hosts(conn, username)
            if not hosts:
                raise PluginError(f"user {username!r} does not exist")
            for host in hosts:
                _execute(conn, ["ALTER USER %s@%s IDENTIFIED BY %s"], (username, host, password))

        self._run(change, password)

    def close(self) -> None:
        """Close the pool."""
        self._pool.close()


def _close(conn: Connection) -> None:
    conn.close()


def _is_disconnect(exc: BaseException) -> bool:
    return isinstance(exc, pymysql.OperationalError | pymysql.InterfaceError) and not isinstance(
        exc, pymysql.ProgrammingError
    )


def _execute(conn: Connection, queries: list[str], args: tuple[str, ...] | None = None) -> None:
    with conn.cursor() as cursor:
        for query in queries:
            cursor.execute(query, args)


def _best_effort(conn: Connection, queries: list[str]) -> None:
    # The creation error is what the caller must see; a failed rollback must not mask it.
    for query in queries:
        try:
            _execute(conn, [query])
        except pymysql.MySQLError:
            continue


def _user_hosts(conn: Connection, username: str) -> list[str]:
    with conn.cursor() as cursor:
        cursor.execute("SELECT Host FROM mysql.user WHERE User = %s", (username,))
        return [str(row[0]) for row in cursor.fetchall()]


def _kill_sessions(conn: Connection, username: str) -> None:
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT ID FROM information_schema.PROCESSLIST "
            "WHERE USER = %s AND ID <> CONNECTION_ID()",
            (username,),
        )
        ids = [int(row[0]) for row in cursor.fetchall()]
        for session in ids:
            try:
                cursor.execute(f"KILL CONNECTION {session}")
            except pymysql.MySQLError as exc:
                # The session may have ended between the query and the kill.
                if exc.args and exc.args[0] == _ER_UNKNOWN_THREAD:
                    continue
                raise
