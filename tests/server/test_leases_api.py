"""sys/leases/* end to end: database credentials' leases over hvac, against real PostgreSQL.

Every lease here backs a real database user, so "revoked" is checked where it matters: the
user no longer exists in pg_roles and cannot log in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import hvac
import psycopg
import pytest

from tests.server.db_support import configure_pg, pg_role, wait_until
from tests.store.engines.database.proxy import PausableProxy
from tests.store.engines.database.support import PG_PORT, pg_select_one
from tests.store.engines.database.support import pg_role as pg_role_row
from tests.support.servers import ServerProcess

LOOKUP_KEYS = {"id", "issue_time", "expire_time", "last_renewal", "renewable", "ttl"}
CREATOR = 'path "auth/token/create" { capabilities = ["update"] }\n'
ROOT_PASSWORD = "Proxy-root-pw-4411"


def _creds(client: hvac.Client, mount: str, role: str) -> dict[str, Any]:
    return dict(client.secrets.database.generate_credentials(role, mount_point=mount))


def _gone(admin: psycopg.Connection, username: str) -> Callable[[], bool]:
    return lambda: pg_role_row(admin, username) is None


def _assert_dropped(admin: psycopg.Connection, creds: dict[str, Any]) -> None:
    username, password = creds["data"]["username"], creds["data"]["password"]
    assert pg_role_row(admin, username) is None
    with pytest.raises(psycopg.OperationalError):
        pg_select_one(username, password)


@pytest.fixture
def role(vault: hvac.Client, db_mount: str, pg_admin: psycopg.Connection) -> str:
    """A PostgreSQL role (TTL 1h, max 2h) on a fresh mount."""
    configure_pg(vault, db_mount)
    return pg_role(vault, db_mount, ttl="1h", max_ttl="2h")


def _wait_lease_gone(vault: hvac.Client, lease_id: str) -> None:
    """Wait for a background revocation to finish: it drops the user, then the lease."""

    def gone() -> bool:
        try:
            vault.sys.read_lease(lease_id)
        except hvac.exceptions.InvalidRequest as exc:
            return "invalid lease" in str(exc)
        return False

    wait_until(gone, timeout=5)


def test_lookup_shape_and_list_needs_sudo(
    dev_server: ServerProcess, vault: hvac.Client, db_mount: str, role: str, unique: str
) -> None:
    creds = _creds(vault, db_mount, role)
    lease = vault.sys.read_lease(creds["lease_id"])["data"]
    assert set(lease) == LOOKUP_KEYS
    assert lease["id"] == creds["lease_id"] and lease["renewable"] is True
    assert lease["last_renewal"] is None and 3590 <= lease["ttl"] <= 3600
    assert lease["issue_time"].endswith("Z") and lease["expire_time"] > lease["issue_time"]

    prefix = f"{db_mount}/creds/{role}/"
    suffix = creds["lease_id"].rsplit("/", 1)[1]
    assert vault.sys.list_leases(prefix)["data"]["keys"] == [suffix]
    assert vault.sys.list_leases(f"{db_mount}/creds/")["data"]["keys"] == [f"{role}/"]

    rules = 'path "sys/leases/lookup/*" { capabilities = ["list"] }'
    vault.sys.create_or_update_policy(unique, rules)
    plain = vault.auth.token.create(policies=[unique], ttl="5m")["auth"]["client_token"]
    with pytest.raises(hvac.exceptions.Forbidden):
        dev_server.client(plain).sys.list_leases(prefix)
    vault.sys.create_or_update_policy(unique, rules.replace('"list"', '"list", "sudo"'))
    assert dev_server.client(plain).sys.list_leases(prefix)["data"]["keys"] == [suffix]

    with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid lease"):
        vault.sys.read_lease(f"{prefix}doesnotexist")
    with pytest.raises(hvac.exceptions.InvalidRequest, match="lease_id must be specified"):
        vault.write("sys/leases/lookup")


def test_renew_honours_increment_and_caps_at_max_ttl(
    vault: hvac.Client, db_mount: str, role: str
) -> None:
    creds = _creds(vault, db_mount, role)
    renewed = vault.sys.renew_lease(creds["lease_id"], increment=600)
    assert renewed["lease_id"] == creds["lease_id"] and renewed["renewable"] is True
    assert 595 <= renewed["lease_duration"] <= 600 and renewed["warnings"] is None
    lease = vault.sys.read_lease(creds["lease_id"])["data"]
    assert lease["last_renewal"] is not None and 595 <= lease["ttl"] <= 600

    capped = vault.sys.renew_lease(creds["lease_id"], increment="10h")
    assert 7190 <= capped["lease_duration"] <= 7200
    assert len(capped["warnings"]) == 1
    assert capped["warnings"][0].startswith('TTL of "36000s" exceeded the effective max_ttl')
    with pytest.raises(hvac.exceptions.InvalidRequest, match="lease not found"):
        vault.sys.renew_lease(f"{db_mount}/creds/{role}/nope")
    vault.sys.revoke_lease(creds["lease_id"])


def test_revoke_revoke_prefix_and_revoke_force_drop_users(
    vault: hvac.Client, db_mount: str, role: str, pg_admin: psycopg.Connection
) -> None:
    one = _creds(vault, db_mount, role)
    assert pg_select_one(one["data"]["username"], one["data"]["password"]) == 1
    assert vault.sys.revoke_lease(one["lease_id"]).status_code == 204
    _assert_dropped(pg_admin, one)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid lease"):
        vault.sys.read_lease(one["lease_id"])
    # An unknown lease is still 204, as in Vault.
    assert vault.sys.revoke_lease(one["lease_id"]).status_code == 204

    pair = [_creds(vault, db_mount, role) for _ in range(2)]
    assert vault.sys.revoke_prefix(f"{db_mount}/creds/{role}").status_code == 204
    for creds in pair:
        _assert_dropped(pg_admin, creds)

    forced = _creds(vault, db_mount, role)
    assert vault.sys.revoke_force(f"{db_mount}/creds").status_code == 204
    _assert_dropped(pg_admin, forced)
    with pytest.raises(hvac.exceptions.InvalidPath):
        vault.sys.list_leases(f"{db_mount}/creds/")


def test_lease_expires_in_the_background(
    vault: hvac.Client, db_mount: str, pg_admin: psycopg.Connection
) -> None:
    configure_pg(vault, db_mount)
    short = pg_role(vault, db_mount, ttl="2s", max_ttl="1h")
    creds = _creds(vault, db_mount, short)
    assert creds["lease_duration"] == 2
    assert pg_select_one(creds["data"]["username"], creds["data"]["password"]) == 1
    waited = wait_until(_gone(pg_admin, creds["data"]["username"]), timeout=8)
    assert waited <= 5  # due at 2 s, the ticker runs every second
    _assert_dropped(pg_admin, creds)
    _wait_lease_gone(vault, creds["lease_id"])


def test_revoking_the_issuing_token_revokes_its_leases(
    dev_server: ServerProcess, vault: hvac.Client, db_mount: str, role: str, unique: str,
    pg_admin: psycopg.Connection,
) -> None:  # fmt: skip
    rules = f'path "{db_mount}/creds/*" {{ capabilities = ["read"] }}\n' + CREATOR
    vault.sys.create_or_update_policy(unique, rules)
    token = vault.auth.token.create(policies=[unique], ttl="10m")["auth"]["client_token"]
    mine = _creds(dev_server.client(token), db_mount, role)
    vault.auth.token.revoke(token)
    _assert_dropped(pg_admin, mine)

    parent = vault.auth.token.create(policies=[unique], ttl="10m")["auth"]["client_token"]
    child = dev_server.client(parent).auth.token.create(policies=[unique], ttl="5m")
    childs = _creds(dev_server.client(child["auth"]["client_token"]), db_mount, role)
    assert pg_role_row(pg_admin, childs["data"]["username"]) is not None
    vault.auth.token.revoke(parent)
    _assert_dropped(pg_admin, childs)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid lease"):
        vault.sys.read_lease(childs["lease_id"])


def test_disabling_the_mount_revokes_its_leases(
    vault: hvac.Client, db_mount: str, role: str, pg_admin: psycopg.Connection
) -> None:
    issued = [_creds(vault, db_mount, role) for _ in range(2)]
    vault.sys.disable_secrets_engine(db_mount)
    for creds in issued:
        _assert_dropped(pg_admin, creds)
        with pytest.raises(hvac.exceptions.InvalidRequest, match="invalid lease"):
            vault.sys.read_lease(creds["lease_id"])


def test_database_down_at_revoke_keeps_the_lease_until_it_is_back(
    vault: hvac.Client,
    db_mount: str,
    pg_admin: psycopg.Connection,
    proxy_factory: Callable[[int], PausableProxy],
) -> None:
    proxy = proxy_factory(PG_PORT)
    configure_pg(vault, db_mount, port=proxy.port, password=ROOT_PASSWORD)
    short = pg_role(vault, db_mount, ttl="3s", max_ttl="1h")
    creds = _creds(vault, db_mount, short)
    username = creds["data"]["username"]
    proxy.pause()

    with pytest.raises(hvac.exceptions.VaultError, match="failed to revoke lease") as caught:
        vault.sys.revoke_lease(creds["lease_id"])
    assert ROOT_PASSWORD not in str(caught.value)
    lease = vault.sys.read_lease(creds["lease_id"])["data"]
    assert lease["revocation_attempts"] >= 1
    assert lease["revocation_error"] and ROOT_PASSWORD not in lease["revocation_error"]
    assert pg_role_row(pg_admin, username) is not None

    # Past its expiry the background retries keep failing and the lease stays reported.
    def retried() -> bool:
        lease = vault.sys.read_lease(creds["lease_id"])["data"]
        return bool(lease["ttl"] == 0 and lease["revocation_attempts"] >= 2)

    wait_until(retried, timeout=8)
    assert pg_role_row(pg_admin, username) is not None

    proxy.resume()
    wait_until(_gone(pg_admin, username), timeout=20)
    _wait_lease_gone(vault, creds["lease_id"])
