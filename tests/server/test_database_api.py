"""The database secrets engine end to end: hvac -> HTTP -> server -> real PostgreSQL/MariaDB."""

from __future__ import annotations

import json
from collections.abc import Iterator

import hvac
import psycopg
import pytest
from psycopg import sql
from pymysql.connections import Connection as MySQLConnection

from tests.server.db_support import (
    MY_CREATE,
    MY_PLUGIN,
    PG_CREATE,
    PG_PLUGIN,
    configure_mysql,
    configure_pg,
    pg_role,
    role_name,
)
from tests.store.engines.database.support import (
    PREFIX,
    my_select_one,
    my_user_exists,
    pg_password_is,
    pg_select_one,
    pg_url,
    unique,
)
from tests.store.engines.database.support import pg_role as pg_role_row
from tests.support.servers import ServerProcess, free_port

ROOT_PASSWORD = "Initial-root-Pw-7781"


@pytest.fixture
def pg_root(pg_admin: psycopg.Connection) -> Iterator[tuple[str, str]]:
    """A dedicated superuser for the engine, so rotate-root never touches `postgres`."""
    name = unique("root")
    ident = sql.Identifier(name)
    pg_admin.execute(
        sql.SQL("CREATE ROLE {} SUPERUSER LOGIN PASSWORD {}").format(
            ident, sql.Literal(ROOT_PASSWORD)
        )
    )
    yield name, ROOT_PASSWORD
    pg_admin.execute(sql.SQL("DROP OWNED BY {}").format(ident))
    pg_admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(ident))


def test_config_verify_connection_failure_hides_the_password(
    vault: hvac.Client, db_mount: str
) -> None:
    url = pg_url(free_port())
    with pytest.raises(hvac.exceptions.InvalidRequest) as caught:
        vault.secrets.database.configure(
            "bad", PG_PLUGIN, mount_point=db_mount, connection_url=url,
            username="postgres", password=ROOT_PASSWORD, verify_connection=True,
        )  # fmt: skip
    message = str(caught.value)
    assert message.startswith("error creating database object: ")
    assert ROOT_PASSWORD not in message
    with pytest.raises(hvac.exceptions.InvalidPath):
        vault.secrets.database.read_connection("bad", mount_point=db_mount)
    # Without verification the same (unreachable) connection is saved.
    vault.secrets.database.configure(
        "bad", PG_PLUGIN, mount_point=db_mount, connection_url=url,
        username="postgres", password=ROOT_PASSWORD, verify_connection=False,
    )  # fmt: skip
    assert vault.secrets.database.list_connections(mount_point=db_mount)["data"]["keys"] == ["bad"]


def test_read_never_returns_the_password_and_rotate_root_replaces_it(
    vault: hvac.Client, db_mount: str, pg_root: tuple[str, str], pg_admin: psycopg.Connection
) -> None:
    configure_pg(vault, db_mount, username=pg_root[0], password=pg_root[1])
    read = vault.secrets.database.read_connection("pg", mount_point=db_mount)
    assert ROOT_PASSWORD not in json.dumps(read)
    details = read["data"]["connection_details"]
    assert details["connection_url"] == pg_url() and details["username"] == pg_root[0]
    assert "password" not in details
    assert read["data"]["plugin_name"] == PG_PLUGIN
    assert read["data"]["allowed_roles"] == [f"{PREFIX}*"]
    assert pg_password_is(pg_admin, pg_root[0], ROOT_PASSWORD)

    resp = vault.secrets.database.rotate_root_credentials("pg", mount_point=db_mount)
    assert resp.status_code == 204
    assert not pg_password_is(pg_admin, pg_root[0], ROOT_PASSWORD)
    assert ROOT_PASSWORD not in json.dumps(
        vault.secrets.database.read_connection("pg", mount_point=db_mount)
    )
    # The engine still works with the password only it knows now.
    role = pg_role(vault, db_mount)
    creds = vault.secrets.database.generate_credentials(role, mount_point=db_mount)
    assert pg_select_one(creds["data"]["username"], creds["data"]["password"]) == 1
    vault.sys.revoke_lease(creds["lease_id"])
    assert pg_role_row(pg_admin, creds["data"]["username"]) is None


def test_roles_crud_and_exact_read_shape(vault: hvac.Client, db_mount: str) -> None:
    configure_pg(vault, db_mount, verify_connection=False)
    name = role_name()
    vault.secrets.database.create_role(
        name, "pg", PG_CREATE, default_ttl="1h", max_ttl="24h",
        revocation_statements=['DROP ROLE IF EXISTS "{{name}}";'],
        renew_statements=["ALTER ROLE \"{{name}}\" VALID UNTIL '{{expiration}}';"],
        mount_point=db_mount,
    )  # fmt: skip
    read = vault.secrets.database.read_role(name, mount_point=db_mount)["data"]
    assert read == {
        "db_name": "pg",
        "creation_statements": PG_CREATE,
        "revocation_statements": ['DROP ROLE IF EXISTS "{{name}}";'],
        "rollback_statements": [],
        "renew_statements": ["ALTER ROLE \"{{name}}\" VALID UNTIL '{{expiration}}';"],
        "default_ttl": 3600,
        "max_ttl": 86400,
        "credential_type": "password",
        "credential_config": {},
    }
    assert vault.secrets.database.list_roles(mount_point=db_mount)["data"]["keys"] == [name]
    with pytest.raises(hvac.exceptions.InvalidRequest, match="database name is required"):
        vault.write(f"{db_mount}/roles/{role_name()}", creation_statements=PG_CREATE)
    assert vault.secrets.database.delete_role(name, mount_point=db_mount).status_code == 204
    with pytest.raises(hvac.exceptions.InvalidPath):
        vault.secrets.database.read_role(name, mount_point=db_mount)


def test_postgres_creds_log_in_renew_extends_valid_until_and_revoke_drops(
    vault: hvac.Client, db_mount: str, pg_admin: psycopg.Connection
) -> None:
    configure_pg(vault, db_mount)
    role = pg_role(vault, db_mount, ttl="60s", max_ttl="1h")
    creds = vault.secrets.database.generate_credentials(role, mount_point=db_mount)
    assert creds["lease_id"].startswith(f"{db_mount}/creds/{role}/")
    assert creds["renewable"] is True and creds["lease_duration"] == 60
    username, password = creds["data"]["username"], creds["data"]["password"]
    assert username.startswith(f"v-root-{role[:8]}-")
    assert pg_select_one(username, password) == 1
    before = pg_role_row(pg_admin, username)
    assert before is not None and before[0] is True

    renewed = vault.sys.renew_lease(creds["lease_id"], increment=1800)
    assert 1795 <= renewed["lease_duration"] <= 1800
    after = pg_role_row(pg_admin, username)
    assert after is not None and before[1] is not None and after[1] is not None
    assert (after[1] - before[1]).total_seconds() >= 1700

    vault.sys.revoke_lease(creds["lease_id"])
    assert pg_role_row(pg_admin, username) is None
    with pytest.raises(psycopg.OperationalError):
        pg_select_one(username, password)


def test_mariadb_creds_log_in_and_revoke_drops(
    vault: hvac.Client, db_mount: str, my_admin: MySQLConnection
) -> None:
    configure_mysql(vault, db_mount)
    role = role_name()
    vault.secrets.database.create_role(
        role, "my", MY_CREATE, default_ttl="5m", max_ttl="1h", mount_point=db_mount
    )
    assert (
        vault.secrets.database.read_connection("my", mount_point=db_mount)["data"]["plugin_name"]
        == MY_PLUGIN
    )
    creds = vault.secrets.database.generate_credentials(role, mount_point=db_mount)
    username, password = creds["data"]["username"], creds["data"]["password"]
    assert username.startswith(f"v-root-{role[:10]}-") and len(username) <= 32
    assert my_select_one(username, password) == 1
    with pytest.raises(Exception, match="Access denied"):
        my_select_one(username, password + "x")
    vault.sys.revoke_lease(creds["lease_id"])
    assert not my_user_exists(my_admin, username)
    with pytest.raises(Exception, match="Access denied"):
        my_select_one(username, password)


def test_static_role_creds_and_rotate_role(
    vault: hvac.Client, db_mount: str, pg_admin: psycopg.Connection
) -> None:
    configure_pg(vault, db_mount)
    user = unique("static")
    ident = sql.Identifier(user)
    pg_admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'before-rotation'").format(ident))
    try:
        name = role_name("st")
        resp = vault.secrets.database.create_static_role(
            name, "pg", user, ["ALTER USER \"{{name}}\" WITH PASSWORD '{{password}}';"],
            rotation_period=3600, mount_point=db_mount,
        )  # fmt: skip
        assert resp.status_code == 204
        assert not pg_password_is(pg_admin, user, "before-rotation")
        read = vault.secrets.database.read_static_role(name, mount_point=db_mount)["data"]
        assert read["username"] == user and read["db_name"] == "pg"
        assert read["rotation_period"] == 3600 and read["credential_type"] == "password"
        assert "password" not in read
        first = vault.secrets.database.get_static_credentials(name, mount_point=db_mount)["data"]
        assert first["username"] == user and first["rotation_period"] == 3600
        assert 3590 <= first["ttl"] <= 3600
        assert first["last_vault_rotation"] == read["last_vault_rotation"]
        assert pg_password_is(pg_admin, user, first["password"])

        vault.secrets.database.rotate_static_role_credentials(name, mount_point=db_mount)
        second = vault.secrets.database.get_static_credentials(name, mount_point=db_mount)["data"]
        assert second["password"] != first["password"]
        assert pg_password_is(pg_admin, user, second["password"])
        assert second["last_vault_rotation"] > first["last_vault_rotation"]
        keys = vault.secrets.database.list_static_roles(mount_point=db_mount)["data"]["keys"]
        assert keys == [name]
        with pytest.raises(hvac.exceptions.InvalidRequest, match="must be unique"):
            vault.secrets.database.create_role(name, "pg", PG_CREATE, mount_point=db_mount)
        vault.secrets.database.delete_static_role(name, mount_point=db_mount)
    finally:
        pg_admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(ident))


def test_not_allowed_role_is_500_and_unknown_role_400(vault: hvac.Client, db_mount: str) -> None:
    configure_pg(vault, db_mount, verify_connection=False, allowed_roles=["only-this"])
    role = pg_role(vault, db_mount)
    with pytest.raises(hvac.exceptions.InternalServerError, match=f'"{role}" is not an allowed'):
        vault.secrets.database.generate_credentials(role, mount_point=db_mount)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="unknown role: nope"):
        vault.secrets.database.generate_credentials("nope", mount_point=db_mount)


def test_display_names_flow_into_generated_usernames(
    dev_server: ServerProcess, vault: hvac.Client, db_mount: str, unique: str,
    pg_admin: psycopg.Connection,
) -> None:  # fmt: skip
    configure_pg(vault, db_mount)
    role = pg_role(vault, db_mount)
    policy = f'path "{db_mount}/creds/{role}" {{ capabilities = ["read"] }}'
    vault.sys.create_or_update_policy(unique, policy)

    token = vault.auth.token.create(policies=[unique], ttl="5m", display_name="ci")["auth"]
    as_token = dev_server.client(token["client_token"])
    by_token = as_token.secrets.database.generate_credentials(role, mount_point=db_mount)
    assert by_token["data"]["username"].startswith(f"v-token-ci-{role[:8]}-")

    # Vault names a login token after the auth mount's path: mounted at `approle-...`, the
    # first 8 characters of the display name are `approle-`.
    auth_path = f"approle-{unique}"
    vault.sys.enable_auth_method("approle", path=auth_path)
    try:
        vault.auth.approle.create_or_update_approle(unique, token_policies=[unique],
                                                    mount_point=auth_path)  # fmt: skip
        role_id = vault.auth.approle.read_role_id(unique, mount_point=auth_path)["data"]["role_id"]
        secret_id = vault.auth.approle.generate_secret_id(unique, mount_point=auth_path)["data"]
        app = dev_server.client("")
        app.auth.approle.login(role_id, secret_id["secret_id"], mount_point=auth_path)
        by_app = app.secrets.database.generate_credentials(role, mount_point=db_mount)
        assert by_app["data"]["username"].startswith(f"v-approle--{role[:8]}-")
        for creds in (by_token, by_app):
            assert pg_select_one(creds["data"]["username"], creds["data"]["password"]) == 1
    finally:
        # Disabling the auth method revokes the app's token, and so its lease.
        vault.sys.disable_auth_method(auth_path)
    assert pg_role_row(pg_admin, by_app["data"]["username"]) is None
    vault.auth.token.revoke(token["client_token"])
    assert pg_role_row(pg_admin, by_token["data"]["username"]) is None
