"""The database engine against the real PostgreSQL: config, roles, creds, renew, revoke."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg import sql

from reconciler.store.errors import BadRequest, InternalError, NotFound
from reconciler.store.logical import Operation, Secret
from tests.store.engines.database.proxy import PausableProxy
from tests.store.engines.database.support import (
    PG_PORT,
    PREFIX,
    Mount,
    pg_password_is,
    pg_role,
    pg_select_one,
    pg_url,
    unique,
)

PLUGIN = "postgresql-database-plugin"
CREATE = [
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"
    ' GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{name}}";'
]


@pytest.fixture
def root(pg_admin: psycopg.Connection) -> Iterator[tuple[str, str]]:
    """A dedicated superuser the engine connects as (never the machine's postgres)."""
    name, password = unique("root"), "initial-Root-pw-1"
    ident = sql.Identifier(name)
    pg_admin.execute(sql.SQL("CREATE ROLE {} SUPERUSER LOGIN PASSWORD {}").format(
        ident, sql.Literal(password)))  # fmt: skip
    yield name, password
    pg_admin.execute(sql.SQL("DROP OWNED BY {}").format(ident))
    pg_admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(ident))


def configure(mount: Mount, root: tuple[str, str], port: int = PG_PORT, **extra: object) -> None:
    """Write the `pg` connection for the test's root user."""
    data: dict[str, object] = {
        "plugin_name": PLUGIN,
        "connection_url": pg_url(port),
        "username": root[0],
        "password": root[1],
        "allowed_roles": "readonly,app-*",
    }
    data.update(extra)
    mount.write("config/pg", **data)


def issue(mount: Mount, role: str = "readonly") -> tuple[str, str, Secret]:
    """Read creds/<role>; return (username, password, secret)."""
    response = mount.read(f"creds/{role}")
    assert response.data is not None and response.secret is not None
    return response.data["username"], response.data["password"], response.secret


@pytest.fixture
def ready(mount: Mount, root: tuple[str, str]) -> Mount:
    """A mount with the `pg` connection and the `readonly` role."""
    configure(mount, root)
    mount.write("roles/readonly", db_name="pg", creation_statements=CREATE,
                default_ttl="1h", max_ttl="2h")  # fmt: skip
    return mount


def test_config_read_never_returns_the_password(ready: Mount, root: tuple[str, str]) -> None:
    data = ready.read("config/pg").data
    assert data is not None
    assert data["plugin_name"] == PLUGIN
    assert data["allowed_roles"] == ["readonly", "app-*"]
    assert data["connection_details"]["username"] == root[0]
    assert "password" not in data["connection_details"]
    assert root[1] not in repr(data)
    keys = ready.call(Operation.LIST, "config/")
    assert keys is not None and keys.data == {"keys": ["pg"]}


def test_password_in_url_warns_and_is_redacted(mount: Mount) -> None:
    url = "postgresql://someone:Sup3r-secret@127.0.0.1:5432/test"
    response = mount.write("config/lit", plugin_name=PLUGIN, connection_url=url,
                           verify_connection=False)  # fmt: skip
    assert response is not None and "Password found in connection_url" in response.warnings[0]
    data = mount.read("config/lit").data
    assert data is not None
    assert "Sup3r-secret" not in data["connection_details"]["connection_url"]


def test_verify_failure_is_a_400_without_the_password(mount: Mount, root: tuple[str, str]) -> None:
    with pytest.raises(BadRequest) as caught:
        configure(mount, root, port=1)
    assert str(caught.value).startswith("error creating database object: ")
    assert root[1] not in str(caught.value)
    with pytest.raises(NotFound):
        mount.read("config/pg")


def test_unknown_plugin_and_missing_plugin_name(mount: Mount) -> None:
    with pytest.raises(BadRequest, match="plugin not found"):
        mount.write("config/x", plugin_name="oracle-database-plugin", connection_url="x")
    with pytest.raises(BadRequest, match="plugin_name must be provided"):
        mount.write("config/x", connection_url="x")


def test_role_crud_and_rules(ready: Mount) -> None:
    data = ready.read("roles/readonly").data
    assert data == {
        "db_name": "pg", "creation_statements": CREATE, "revocation_statements": [],
        "rollback_statements": [], "renew_statements": [], "default_ttl": 3600,
        "max_ttl": 7200, "credential_type": "password", "credential_config": {},
    }  # fmt: skip
    with pytest.raises(BadRequest, match="database name is required"):
        ready.write("roles/nodb", creation_statements=CREATE)
    ready.write("roles/readonly", default_ttl=60)
    assert ready.read("roles/readonly").data["creation_statements"] == CREATE  # type: ignore[index]
    keys = ready.call(Operation.LIST, "roles")
    assert keys is not None and keys.data == {"keys": ["readonly"]}
    ready.call(Operation.DELETE, "roles/readonly")
    with pytest.raises(NotFound):
        ready.read("roles/readonly")


def test_creds_errors(ready: Mount) -> None:
    with pytest.raises(BadRequest, match="unknown role: nope"):
        ready.read("creds/nope")
    ready.write("roles/other", db_name="pg", creation_statements=CREATE)
    with pytest.raises(InternalError, match='"other" is not an allowed role'):
        ready.read("creds/other")
    ready.write("roles/app-missing", db_name="ghost", creation_statements=CREATE)
    with pytest.raises(InternalError, match='connection with name: "ghost"'):
        ready.read("creds/app-missing")


def test_issued_user_logs_in_and_revoke_drops_it(
    ready: Mount, pg_admin: psycopg.Connection
) -> None:
    username, password, secret = issue(ready)
    assert re.fullmatch(rf"v-{PREFIX}-readonly-[A-Za-z0-9]{{20}}-\d{{10}}", username)
    assert secret.ttl == 3600 and secret.max_ttl == 7200 and secret.renewable
    assert password not in repr(secret.internal)
    assert pg_select_one(username, password) == 1
    assert pg_password_is(pg_admin, username, password)
    role = pg_role(pg_admin, username)
    assert role is not None and role[0]
    valid_until = role[1]
    assert isinstance(valid_until, datetime)
    assert abs(valid_until.timestamp() - (time.time() + 3605)) < 10

    session = psycopg.connect(host="127.0.0.1", port=PG_PORT, user=username,
                              password=password, dbname="test")  # fmt: skip
    ready.backend.revoke_secret(secret)
    assert pg_role(pg_admin, username) is None
    with pytest.raises(psycopg.OperationalError):
        session.execute("SELECT 1")  # the open session was terminated first
    session.close()
    with pytest.raises(psycopg.OperationalError):
        pg_select_one(username, password)
    ready.backend.revoke_secret(secret)  # idempotent: the lease manager may retry


def test_renew_extends_valid_until_within_max_ttl(
    ready: Mount, pg_admin: psycopg.Connection
) -> None:
    _, _, secret = issue(ready)
    renewed = ready.backend.renew_secret(secret, 5400)
    assert renewed.ttl == 5400
    role = pg_role(pg_admin, secret.internal["username"])
    assert role is not None and isinstance(role[1], datetime)
    assert abs(role[1].timestamp() - (time.time() + 5405)) < 10
    capped = ready.backend.renew_secret(secret, 100000)
    assert 7190 <= capped.ttl <= 7200  # max_ttl counts from the issue time
    ready.backend.revoke_secret(secret)


def test_default_revoke_drops_owned_objects(ready: Mount, pg_admin: psycopg.Connection) -> None:
    owner = [*CREATE, 'GRANT CREATE ON SCHEMA public TO "{{name}}";']
    ready.write("roles/app-owner", db_name="pg", creation_statements=owner)
    username, password, secret = issue(ready, "app-owner")
    table = sql.Identifier(unique("table"))
    with psycopg.connect(host="127.0.0.1", port=PG_PORT, user=username, password=password,
                         dbname="test", autocommit=True) as conn:  # fmt: skip
        conn.execute(sql.SQL("CREATE TABLE {} (id int)").format(table))
    ready.backend.revoke_secret(secret)
    assert pg_role(pg_admin, username) is None
    pg_admin.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(table))


def test_custom_revocation_statements(ready: Mount, pg_admin: psycopg.Connection) -> None:
    ready.write("roles/app-custom", db_name="pg", creation_statements=CREATE,
                revocation_statements=['DROP ROLE IF EXISTS "{{name}}";'])  # fmt: skip
    username, _, secret = issue(ready, "app-custom")
    ready.backend.revoke_secret(secret)
    assert pg_role(pg_admin, username) is None


def test_failed_creation_leaves_no_user_and_no_password_in_error(
    ready: Mount, pg_admin: psycopg.Connection
) -> None:
    bad = ["CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}';", "SELECT * FROM nowhere;"]
    ready.write("roles/app-bad", db_name="pg", creation_statements=bad,
                rollback_statements=['DROP ROLE IF EXISTS "{{name}}";'])  # fmt: skip
    with pytest.raises(InternalError, match="failed to create user") as caught:
        ready.read("creds/app-bad")
    assert not re.search(r"PASSWORD '[A-Za-z0-9-]{20}'", str(caught.value))
    leftovers = pg_admin.execute(
        "SELECT count(*) FROM pg_roles WHERE rolname LIKE %s", (f"v-{PREFIX}-app-bad%",)
    ).fetchone()
    assert leftovers == (0,)


def test_rotate_root_changes_the_password(
    ready: Mount, root: tuple[str, str], pg_admin: psycopg.Connection
) -> None:
    assert pg_password_is(pg_admin, root[0], root[1])
    assert ready.write("rotate-root/pg") is None
    stored = ready.stored("config/pg")["password"]
    assert stored != root[1]
    assert not pg_password_is(pg_admin, root[0], root[1])
    assert pg_password_is(pg_admin, root[0], stored)
    assert stored not in repr(ready.read("config/pg").data)
    username, _, secret = issue(ready)  # the engine reconnects with the new password
    ready.backend.revoke_secret(secret)
    assert pg_role(pg_admin, username) is None


def test_rotate_root_needs_a_templated_url(mount: Mount, root: tuple[str, str]) -> None:
    url = f"postgresql://{root[0]}@127.0.0.1:{PG_PORT}/test"
    mount.write("config/plain", plugin_name=PLUGIN, connection_url=url, username=root[0],
                password=root[1])  # fmt: skip
    with pytest.raises(BadRequest, match="templating"):
        mount.write("rotate-root/plain")


def _pool_sessions(admin: psycopg.Connection, app: str) -> int:
    row = admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app,)
    ).fetchone()
    return int(row[0]) if row else 0


def _eventually_zero(admin: psycopg.Connection, app: str) -> bool:
    deadline = time.time() + 5
    while time.time() < deadline:
        if _pool_sessions(admin, app) == 0:
            return True
        time.sleep(0.05)
    return False


def test_reset_and_delete_close_the_pool(
    mount: Mount, root: tuple[str, str], pg_admin: psycopg.Connection
) -> None:
    app = unique("app")
    configure(mount, root, connection_url=pg_url(app=app))
    assert _pool_sessions(pg_admin, app) == 1
    mount.write("reset/pg")
    assert _eventually_zero(pg_admin, app)
    mount.write("roles/readonly", db_name="pg", creation_statements=CREATE)
    _, _, secret = issue(mount)
    mount.backend.revoke_secret(secret)
    assert _pool_sessions(pg_admin, app) >= 1
    mount.call(Operation.DELETE, "config/pg")
    assert _eventually_zero(pg_admin, app)


def test_unreachable_database_keeps_the_lease_until_it_returns(
    mount: Mount,
    root: tuple[str, str],
    pg_admin: psycopg.Connection,
    proxy_factory: Callable[[int], PausableProxy],
) -> None:
    proxy = proxy_factory(PG_PORT)
    configure(mount, root, port=proxy.port)
    mount.write("roles/readonly", db_name="pg", creation_statements=CREATE)
    username, password, secret = issue(mount)
    proxy.pause()
    with pytest.raises(InternalError, match="failed to revoke user") as caught:
        mount.backend.revoke_secret(secret)
    assert password not in str(caught.value) and root[1] not in str(caught.value)
    assert pg_role(pg_admin, username) is not None  # nothing half-done
    proxy.resume()
    mount.backend.revoke_secret(secret)
    assert pg_role(pg_admin, username) is None


def test_scram_password_authentication_sends_a_verifier(
    mount: Mount, root: tuple[str, str], pg_admin: psycopg.Connection
) -> None:
    configure(mount, root, password_authentication="scram-sha-256")
    mount.write("roles/readonly", db_name="pg", creation_statements=CREATE)
    username, password, secret = issue(mount)
    assert pg_password_is(pg_admin, username, password)
    mount.backend.revoke_secret(secret)


def test_expiration_is_rendered_in_go_layout(ready: Mount, pg_admin: psycopg.Connection) -> None:
    ready.write("roles/app-exp", db_name="pg", default_ttl=120, creation_statements=[
        "CREATE ROLE \"{{name}}\" LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
    ])  # fmt: skip
    username, _, secret = issue(ready, "app-exp")
    role = pg_role(pg_admin, username)
    assert role is not None and isinstance(role[1], datetime)
    expected = datetime.now(UTC).timestamp() + 125
    assert abs(role[1].timestamp() - expected) < 5
    ready.backend.revoke_secret(secret)
