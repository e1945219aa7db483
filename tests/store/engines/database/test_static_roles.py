"""Static roles against the real PostgreSQL: rotation on create, on demand, on schedule."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from psycopg import sql

from reconciler.store.errors import BadRequest, InternalError
from reconciler.store.logical import Operation
from tests.store.engines.database.proxy import PausableProxy
from tests.store.engines.database.support import (
    PG_PORT,
    Mount,
    pg_password_is,
    pg_url,
    unique,
)

PLUGIN = "postgresql-database-plugin"


@pytest.fixture
def pg_users(pg_admin: psycopg.Connection) -> Iterator[Callable[[str, str], str]]:
    """Create login roles for a test (dropped at teardown)."""
    made: list[str] = []

    def make(label: str, password: str) -> str:
        name = unique(label)
        pg_admin.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
            sql.Identifier(name), sql.Literal(password)))  # fmt: skip
        made.append(name)
        return name

    yield make
    for name in made:
        pg_admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def root(pg_users: Callable[[str, str], str], pg_admin: psycopg.Connection) -> tuple[str, str]:
    """A dedicated superuser for the engine."""
    name = pg_users("root", "initial-Root-pw-1")
    pg_admin.execute(sql.SQL("ALTER ROLE {} SUPERUSER").format(sql.Identifier(name)))
    return name, "initial-Root-pw-1"


def configure(mount: Mount, root: tuple[str, str], port: int = PG_PORT) -> None:
    """The `pg` connection, allowing every role."""
    mount.write("config/pg", plugin_name=PLUGIN, connection_url=pg_url(port), username=root[0],
                password=root[1], allowed_roles="*")  # fmt: skip


def password_of(mount: Mount, role: str) -> str:
    """The current password from static-creds."""
    data = mount.read(f"static-creds/{role}").data
    assert data is not None
    return str(data["password"])


def test_create_rotates_and_creds_shape(
    mount: Mount, root: tuple[str, str], pg_users: Callable[[str, str], str],
    pg_admin: psycopg.Connection,
) -> None:  # fmt: skip
    configure(mount, root)
    user = pg_users("static", "Old-password-1")
    assert (
        mount.write("static-roles/app", db_name="pg", username=user, rotation_period="1h") is None
    )
    data = mount.read("static-creds/app").data
    assert data is not None
    assert data["username"] == user and data["rotation_period"] == 3600
    assert 3590 <= data["ttl"] <= 3600
    assert data["last_vault_rotation"].endswith("Z")
    assert not pg_password_is(pg_admin, user, "Old-password-1")
    assert pg_password_is(pg_admin, user, data["password"])
    role = mount.read("static-roles/app").data
    assert role is not None and "password" not in role and role["username"] == user
    keys = mount.call(Operation.LIST, "static-roles/")
    assert keys is not None and keys.data == {"keys": ["app"]}


def test_rotate_role_changes_the_password(
    mount: Mount, root: tuple[str, str], pg_users: Callable[[str, str], str],
    pg_admin: psycopg.Connection,
) -> None:  # fmt: skip
    configure(mount, root)
    user = pg_users("static", "Old-password-1")
    mount.write("static-roles/app", db_name="pg", username=user, rotation_period=86400)
    first = password_of(mount, "app")
    assert mount.write("rotate-role/app") is None
    second = password_of(mount, "app")
    assert first != second
    assert pg_password_is(pg_admin, user, second)
    assert not pg_password_is(pg_admin, user, first)


def test_validation(
    mount: Mount, root: tuple[str, str], pg_users: Callable[[str, str], str]
) -> None:
    configure(mount, root)
    user = pg_users("static", "Old-password-1")
    with pytest.raises(BadRequest, match="5 seconds or more"):
        mount.write("static-roles/app", db_name="pg", username=user, rotation_period=2)
    with pytest.raises(BadRequest, match="could not parse rotation_schedule"):
        mount.write("static-roles/app", db_name="pg", username=user, rotation_schedule="* *")
    with pytest.raises(BadRequest, match="one of rotation_schedule or rotation_period"):
        mount.write("static-roles/app", db_name="pg", username=user)
    mount.write("static-roles/app", db_name="pg", username=user, rotation_schedule="0 * * * *")
    with pytest.raises(BadRequest, match="cannot update static account username"):
        mount.write("static-roles/app", username="someone-else")
    with pytest.raises(BadRequest, match="Role and Static Role names must be unique"):
        mount.write("roles/app", db_name="pg", creation_statements=["SELECT 1"])
    mount.write("roles/dyn", db_name="pg", creation_statements=["SELECT 1"])
    with pytest.raises(BadRequest, match="Role and Static Role names must be unique"):
        mount.write("static-roles/dyn", db_name="pg", username=user, rotation_period=60)
    data = mount.read("static-creds/app").data
    assert data is not None and data["rotation_schedule"] == "0 * * * *"
    assert 0 < data["ttl"] <= 3600


def test_due_rotation_runs_and_catches_up_after_restart(
    mount_factory: Callable[..., Mount], root: tuple[str, str],
    pg_users: Callable[[str, str], str], pg_admin: psycopg.Connection,
) -> None:  # fmt: skip
    first = mount_factory()
    configure(first, root)
    user = pg_users("static", "Old-password-1")
    first.write("static-roles/app", db_name="pg", username=user, rotation_period=5)
    before = password_of(first, "app")
    first.backend.periodic()
    assert password_of(first, "app") == before  # not due yet
    first.backend.cleanup()  # sealed: nothing runs while it is down
    time.sleep(5.2)
    second = mount_factory(first.storage)  # unsealed again over the same storage
    second.backend.periodic()
    after = password_of(second, "app")
    assert after != before
    assert pg_password_is(pg_admin, user, after)
    assert not pg_password_is(pg_admin, user, before)


def test_failed_rotation_keeps_the_old_password_and_retries(
    mount: Mount, root: tuple[str, str], pg_users: Callable[[str, str], str],
    pg_admin: psycopg.Connection, proxy_factory: Callable[[int], PausableProxy],
) -> None:  # fmt: skip
    proxy = proxy_factory(PG_PORT)
    configure(mount, root, port=proxy.port)
    user = pg_users("static", "Old-password-1")
    mount.write("static-roles/app", db_name="pg", username=user, rotation_period=5)
    current = password_of(mount, "app")
    proxy.pause()
    with pytest.raises(InternalError, match="failed to rotate credentials") as caught:
        mount.write("rotate-role/app")
    assert current not in str(caught.value)
    assert password_of(mount, "app") == current
    assert pg_password_is(pg_admin, user, current)
    role = mount.read("static-roles/app").data
    assert role is not None and "error setting credentials" in role["last_rotation_error"]
    proxy.resume()
    time.sleep(1.1)  # the first retry waits one second
    mount.backend.periodic()
    rotated = password_of(mount, "app")
    assert rotated != current
    assert pg_password_is(pg_admin, user, rotated)
    role = mount.read("static-roles/app").data
    assert role is not None and "last_rotation_error" not in role
