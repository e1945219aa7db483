"""The PostgreSQL plugin (`postgresql-database-plugin`), on psycopg 3."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from reconciler.store.engines.database.plugins.base import (
    ConnectionDetails,
    PluginError,
    UserStatements,
    plugin_error,
)
from reconciler.store.engines.database.plugins.pool import Pool
from reconciler.store.engines.database.plugins.scram import scram_sha256_verifier
from reconciler.store.engines.database.templates import (
    expand_statements,
    render_connection_url,
    user_values,
)

T = TypeVar("T")

DEFAULT_RENEW = ["ALTER ROLE \"{{name}}\" VALID UNTIL '{{expiration}}';"]
DEFAULT_PASSWORD_CHANGE = ["ALTER ROLE \"{{name}}\" WITH PASSWORD '{{password}}';"]


class PostgresPlugin:
    """Runs statements against one PostgreSQL database through a small psycopg pool."""

    def __init__(self, details: ConnectionDetails) -> None:
        self.details = details
        url = render_connection_url(
            details.connection_url, details.username, details.password, details.disable_escaping
        )
        self._conninfo = url
        self._pool: Pool[psycopg.Connection] = Pool(
            self._connect, _close, _is_disconnect, details.max_open_connections
        )

    # -- connections -----------------------------------------------------------------------

    def _connect(self, dbname: str | None = None) -> psycopg.Connection:
        conninfo = (
            self._conninfo if dbname is None else make_conninfo(self._conninfo, dbname=dbname)
        )
        options: dict[str, object] = {"autocommit": True}
        if "connect_timeout" not in conninfo_to_dict(conninfo):
            options["connect_timeout"] = self.details.connect_timeout
        return psycopg.connect(conninfo, **options)  # type: ignore[arg-type]

    def _run(self, operation: Callable[[psycopg.Connection], T], *secrets: str) -> T:
        try:
            return self._pool.run(operation)
        except PluginError:
            raise
        except Exception as exc:
            raise plugin_error(exc, (self.details.password, *secrets)) from None

    def _password_value(self, password: str) -> str:
        # With scram-sha-256 the server only ever sees a verifier, never the password.
        if self.details.password_authentication == "scram-sha-256":
            return scram_sha256_verifier(password)
        return password

    # -- the plugin interface --------------------------------------------------------------

    def verify(self) -> None:
        """Connect and run `SELECT 1`."""
        self._run(lambda conn: conn.execute("SELECT 1").fetchone())

    def create_user(
        self, statements: UserStatements, username: str, password: str, expiration: str
    ) -> None:
        """Run the creation statements in one transaction; roll back by statements on error."""
        if not statements.creation:
            raise PluginError("empty creation statements")
        values = user_values(username, self._password_value(password), expiration)
        queries = expand_statements(statements.creation, values)
        rollback = expand_statements(statements.rollback, values)

        def create(conn: psycopg.Connection) -> None:
            try:
                _in_transaction(conn, queries)
            except psycopg.Error:
                if rollback and not conn.broken:
                    _best_effort(conn, rollback)
                raise

        self._run(create, password, values["password"])

    def renew_user(self, statements: list[str], username: str, expiration: str) -> None:
        """Run the renew statements (default: `ALTER ROLE ... VALID UNTIL`)."""
        queries = expand_statements(
            statements or DEFAULT_RENEW, user_values(username, "", expiration)
        )
        self._run(lambda conn: _in_transaction(conn, queries))

    def revoke_user(self, statements: list[str], username: str) -> None:
        """Terminate the user's sessions, run the statements or drop the role, in one commit."""

        def revoke(conn: psycopg.Connection) -> None:
            found = _role_lookup(conn, username)
            if found is None:
                return
            oid, other_databases = found
            role = sql.Identifier(username)
            queries: list[sql.Composable] = []
            if statements:
                rendered = expand_statements(statements, user_values(username))
                queries = [sql.SQL(query) for query in rendered]  # type: ignore[arg-type]
            else:
                for dbname in other_databases:
                    with self._connect(dbname) as other:
                        _drop_owned(other, role)
                drops = [*_DROP_OWNED, sql.SQL("DROP ROLE IF EXISTS {}")]
                queries = [query.format(role) for query in drops]
            # Pipelined: one round trip for the whole revocation instead of one per query.
            with conn.pipeline():
                with conn.transaction():
                    _terminate_sessions(conn, oid)
                    for query in queries:
                        conn.execute(query)
                # A login that slipped in before the commit survives DROP ROLE; end it too.
                _terminate_sessions(conn, oid)

        self._run(revoke)

    def rotate_root(self, statements: list[str], new_password: str) -> None:
        """Change the root user's password (default: `ALTER ROLE ... WITH PASSWORD`)."""
        self.set_static_password(statements, self.details.username, new_password)

    def set_static_password(self, statements: list[str], username: str, password: str) -> None:
        """Set an existing role's password."""
        value = self._password_value(password)
        queries = expand_statements(
            statements or DEFAULT_PASSWORD_CHANGE, user_values(username, value)
        )
        self._run(lambda conn: _in_transaction(conn, queries), password, value)

    def close(self) -> None:
        """Close the pool."""
        self._pool.close()


def _close(conn: psycopg.Connection) -> None:
    conn.close()


def _is_disconnect(exc: BaseException) -> bool:
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def _in_transaction(conn: psycopg.Connection, queries: list[str]) -> None:
    if len(queries) == 1:  # autocommit is already atomic for one statement: skip BEGIN/COMMIT
        conn.execute(queries[0])  # type: ignore[call-overload]
        return
    # Pipelined so the statements and the commit cost one round trip, not one each.
    with conn.pipeline(), conn.transaction():
        for query in queries:
            conn.execute(query)  # type: ignore[call-overload]


def _best_effort(conn: psycopg.Connection, queries: list[str]) -> None:
    # The creation error is what the caller must see; a failed rollback must not mask it.
    for query in queries:
        try:
            conn.execute(query)  # type: ignore[call-overload]
        except psycopg.Error:
            if conn.broken:
                return


def _role_lookup(conn: psycopg.Connection, username: str) -> tuple[int, list[str]] | None:
    """The role's oid and the other databases where it owns objects or holds privileges."""
    row = conn.execute(
        "SELECT r.oid, ARRAY(SELECT DISTINCT d.datname FROM pg_shdepend s "
        "JOIN pg_database d ON d.oid = s.dbid WHERE s.refobjid = r.oid "
        "AND d.datname <> current_database() AND d.datallowconn) "
        "FROM pg_roles r WHERE r.rolname = %s",
        (username,),
    ).fetchone()
    return None if row is None else (int(row[0]), list(row[1]))


def _terminate_sessions(conn: psycopg.Connection, oid: int) -> None:
    # By role oid, so sessions are still found after the role (and its name) is gone.
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE usesysid = %s AND pid <> pg_backend_pid()",
        (oid,),
    )


_DROP_OWNED = [sql.SQL("REASSIGN OWNED BY {} TO CURRENT_USER"), sql.SQL("DROP OWNED BY {}")]


def _drop_owned(conn: psycopg.Connection, role: sql.Identifier) -> None:
    for query in _DROP_OWNED:
        conn.execute(query.format(role))
