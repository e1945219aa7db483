"""Leases survive a restart: a SQLite server stopped mid-lease still drops the users on time.

One lease falls due while the server is down (and then sealed): it is revoked as soon as the
store is unsealed. Another is still running at unseal: it is revoked at its expiry, not before.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import hvac
import psycopg
import pytest

from tests.server.db_support import configure_pg, pg_role, wait_until
from tests.store.engines.database.support import pg_role as pg_role_row
from tests.support.servers import ServerProcess, init_and_unseal, start_sqlite_server


@pytest.fixture
def servers() -> Iterator[list[ServerProcess]]:
    """Every server process the test starts; all are stopped at teardown."""
    started: list[ServerProcess] = []
    yield started
    for server in started:
        server.stop()


def test_leases_are_revoked_on_time_after_restart_and_unseal(
    tmp_path: Path, servers: list[ServerProcess], pg_admin: psycopg.Connection
) -> None:
    db_path = tmp_path / "store.db"
    first = start_sqlite_server(tmp_path, db_path)
    servers.append(first)
    keys = init_and_unseal(first)
    root = first.root_token
    client = first.client()
    client.sys.enable_secrets_engine("database", path="database")
    configure_pg(client, "database")
    short = pg_role(client, "database", ttl="4s", max_ttl="1h")
    longer = pg_role(client, "database", ttl="9s", max_ttl="1h")
    issued = time.monotonic()
    due_down = client.secrets.database.generate_credentials(short)["data"]["username"]
    due_later = client.secrets.database.generate_credentials(longer)["data"]["username"]
    assert first.stop() == 0

    second = start_sqlite_server(tmp_path, db_path)
    servers.append(second)
    second.root_token = root
    assert second.client().sys.is_sealed()
    time.sleep(max(0.0, issued + 4.5 - time.monotonic()))
    # Due, but nothing can revoke it while the store is sealed.
    assert pg_role_row(pg_admin, due_down) is not None

    second.client("").sys.submit_unseal_keys(keys[:2])
    waited = wait_until(lambda: pg_role_row(pg_admin, due_down) is None, timeout=5)
    assert waited <= 2.5, f"revoked {waited:.1f}s after unseal"
    assert pg_role_row(pg_admin, due_later) is not None
    assert time.monotonic() - issued < 8.5, "the host is too slow for this timing check"

    wait_until(lambda: pg_role_row(pg_admin, due_later) is None, timeout=8)
    revoked_at = time.monotonic() - issued
    assert 8.5 <= revoked_at <= 11.5, f"revoked {revoked_at:.1f}s after issue (TTL 9s)"
    with pytest.raises(hvac.exceptions.InvalidPath):
        second.client().sys.list_leases("database/creds/")
