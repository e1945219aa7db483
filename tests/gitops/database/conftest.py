"""Fixtures for reconciling database kinds against the real PostgreSQL on loopback.

With SEALKEEP_REQUIRE_SERVICES=1 an unreachable PostgreSQL fails the tests; otherwise they
skip with the reason. Every database user a test creates starts with the session `PREFIX`,
and the session finalizer fails the run if any is left behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import hvac
import psycopg
import pytest
from psycopg import sql

from tests.conftest import services_required
from tests.store.engines.database.support import PG_DB, PG_HOST, PG_PORT, PREFIX
from tests.support.servers import ServerProcess, start_dev_server


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[psycopg.Connection]:
    """An autocommit superuser connection to the `test` database."""
    try:
        conn = psycopg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", dbname=PG_DB, autocommit=True,
            connect_timeout=5,
        )  # fmt: skip
    except psycopg.Error as exc:
        reason = f"PostgreSQL at {PG_HOST}:{PG_PORT} is not reachable: {exc}"
        if services_required():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    yield conn
    leftovers = [
        str(row[0])
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


@pytest.fixture
def audited_server(tmp_path: Path) -> Iterator[tuple[ServerProcess, Path]]:
    """A dev server of the test's own with a file audit device; yields it and the log path.

    The audit log is how a test sees which fields a write carried (values as HMACs).
    """
    (tmp_path / "server").mkdir()
    server = start_dev_server(tmp_path / "server")
    log = tmp_path / "audit.log"
    client: hvac.Client = server.client()
    client.sys.enable_audit_device("file", path="file", options={"file_path": str(log)})
    try:
        yield server, log
    finally:
        server.stop()
