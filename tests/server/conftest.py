"""Fixtures for the end-to-end database, lease and audit tests over HTTP.

The real PostgreSQL and MariaDB on loopback: with SEALKEEP_REQUIRE_SERVICES=1 an unreachable
database fails the tests, otherwise they skip. Every user these tests make carries the
session's `PREFIX` (role names start with it, so generated names read `v-<who>-<PREFIX>...`),
and a session finalizer checks that none is left behind.
"""

from __future__ import annotations

from collections.abc import Iterator

import hvac
import pytest

from tests.support.databases import my_admin, pg_admin, postgres_storage_options, proxy_factory

__all__ = ["db_mount", "my_admin", "pg_admin", "postgres_storage_options", "proxy_factory"]


@pytest.fixture
def db_mount(vault: hvac.Client, unique: str) -> Iterator[str]:
    """A fresh `database` engine on the shared dev server; disabling it revokes its leases."""
    vault.sys.enable_secrets_engine("database", path=unique)
    yield unique
    vault.sys.disable_secrets_engine(unique)
