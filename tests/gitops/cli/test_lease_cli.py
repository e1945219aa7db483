"""`sealkeep lease ...` against the real dev server, on leases of real PostgreSQL credentials.

The database engine issues renewable leases; the fixture points it at the PostgreSQL on
127.0.0.1 (skipped when it is not there, failed when SEALKEEP_REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

import hvac
import psycopg
import pytest
from psycopg import sql

from tests.gitops.cli.store_cli import env_for, run
from tests.support.servers import ServerProcess

CREATE = "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"


@dataclass(frozen=True)
class Creds:
    """A database mount with one role; `issue()` reads new credentials and returns the lease."""

    vault: hvac.Client
    mount: str
    role: str

    def issue(self) -> str:
        """A fresh lease ID for creds/<role>."""
        return str(self.vault.read(f"{self.mount}/creds/{self.role}")["lease_id"])


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(
            host="127.0.0.1", port=5432, user="postgres", dbname="test", autocommit=True,
            connect_timeout=5,
        )  # fmt: skip
    except psycopg.Error as exc:
        if os.environ.get("SEALKEEP_REQUIRE_SERVICES") == "1":
            pytest.fail(f"PostgreSQL is not reachable: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL is not reachable: {exc}")


@pytest.fixture
def creds(vault: hvac.Client, unique: str) -> Iterator[Creds]:
    """A `database` mount at `unique` on PostgreSQL with role `unique[:8]`; cleaned up after."""
    admin, root, role = _admin(), f"{unique}_root", unique[:8]
    admin.execute(sql.SQL("CREATE ROLE {} SUPERUSER LOGIN PASSWORD 'Root-pw-1'").format(
        sql.Identifier(root)))  # fmt: skip
    vault.sys.enable_secrets_engine("database", path=unique)
    vault.write_data(f"{unique}/config/pg", data={
        "plugin_name": "postgresql-database-plugin", "allowed_roles": role,
        "connection_url": "postgresql://{{username}}:{{password}}@127.0.0.1:5432/test",
        "username": root, "password": "Root-pw-1",
    })  # fmt: skip
    vault.write_data(f"{unique}/roles/{role}", data={
        "db_name": "pg", "creation_statements": CREATE, "default_ttl": "1h", "max_ttl": "2h",
    })  # fmt: skip
    yield Creds(vault, unique, role)
    vault.sys.revoke_force(f"{unique}/")
    vault.sys.disable_secrets_engine(unique)
    leftovers = admin.execute(
        "SELECT rolname FROM pg_roles WHERE rolname LIKE %s OR rolname = %s",
        (f"v-%-{role}-%", root),
    ).fetchall()
    for (name,) in leftovers:
        admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
    admin.close()


@pytest.fixture
def env(dev_server: ServerProcess) -> dict[str, str]:
    """Root env for the dev server."""
    return env_for(dev_server)


def test_lookup_table_and_json(env: dict[str, str], creds: Creds) -> None:
    lease_id = creds.issue()
    table = run(["lease", "lookup", lease_id], env)
    assert table.code == 0, table.stderr
    assert "expire_time" in table.stdout and lease_id in table.stdout
    doc = json.loads(run(["lease", "lookup", "-format", "json", lease_id], env).stdout)
    assert doc["data"]["id"] == lease_id and doc["data"]["renewable"] is True


def test_renew(env: dict[str, str], creds: Creds) -> None:
    lease_id = creds.issue()
    table = run(["lease", "renew", "-increment", "30m", lease_id], env)
    assert table.code == 0, table.stderr
    assert "lease_duration" in table.stdout
    doc = json.loads(run(["lease", "renew", "-i", "20m", "-format", "json", lease_id], env).stdout)
    assert doc["lease_id"] == lease_id and 1190 <= doc["lease_duration"] <= 1200


def test_revoke_one_by_prefix_and_by_force(env: dict[str, str], creds: Creds) -> None:
    lease_id = creds.issue()
    revoked = run(["lease", "revoke", lease_id], env)
    assert revoked.code == 0, revoked.stderr
    assert run(["lease", "lookup", lease_id], env).code == 1
    second = creds.issue()
    by_prefix = run(["lease", "revoke", "-prefix", f"{creds.mount}/creds/"], env)
    assert by_prefix.code == 0, by_prefix.stderr
    assert run(["lease", "lookup", second], env).code == 1
    third = creds.issue()
    forced = run(["lease", "revoke", "-prefix", "-force", f"{creds.mount}/"], env)
    assert forced.code == 0, forced.stderr
    assert run(["lease", "lookup", third], env).code == 1


def test_bad_input(env: dict[str, str], unique: str) -> None:
    force = run(["lease", "revoke", "-force", f"{unique}/x"], env)
    assert force.code == 1 and "-force needs -prefix" in force.stderr
    empty = run(["lease", "lookup", "/"], env)
    assert empty.code == 1 and "lease ID" in empty.stderr
    unknown = run(["lease", "lookup", f"{unique}/nothing/abc"], env)
    assert unknown.code == 1 and "invalid lease" in unknown.stderr
    renew = run(["lease", "renew", f"{unique}/nothing/abc"], env)
    assert renew.code == 1


def test_forbidden(dev_server: ServerProcess, vault: hvac.Client, unique: str) -> None:
    weak = vault.auth.token.create(policies=["default"], ttl="5m")["auth"]["client_token"]
    result = run(["lease", "revoke", "-prefix", f"{unique}/"], env_for(dev_server, weak))
    assert result.code == 1 and "permission denied" in result.stderr
