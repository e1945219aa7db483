"""The database engine against the real MariaDB (mysql-database-plugin)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pymysql
import pytest
from pymysql.connections import Connection as MySQLConnection

from reconciler.store.errors import BadRequest, InternalError
from tests.store.engines.database.proxy import PausableProxy
from tests.store.engines.database.support import (
    MY_PORT,
    PREFIX,
    Mount,
    my_exec,
    my_select_one,
    my_url,
    my_user_exists,
    unique,
)

PLUGIN = "mysql-database-plugin"
CREATE = [
    "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';"
    "GRANT SELECT ON mysql.db TO '{{name}}'@'%';"
]


@pytest.fixture
def my_users(my_admin: MySQLConnection) -> Iterator[Callable[[str, str], str]]:
    """Create 'name'@'%' accounts for a test (dropped at teardown)."""
    made: list[str] = []

    def make(label: str, password: str) -> str:
        name = unique(label)
        my_exec(my_admin, "CREATE USER %s@'%%' IDENTIFIED BY %s", (name, password))
        made.append(name)
        return name

    yield make
    for name in made:
        my_exec(my_admin, "DROP USER IF EXISTS %s@'%%'", (name,))


@pytest.fixture
def root(my_users: Callable[[str, str], str], my_admin: MySQLConnection) -> tuple[str, str]:
    """A dedicated administrative account (never the machine's root)."""
    name = my_users("root", "initial-Root-pw-1")
    my_exec(my_admin, "GRANT ALL PRIVILEGES ON *.* TO %s@'%%' WITH GRANT OPTION", (name,))
    return name, "initial-Root-pw-1"


def configure(mount: Mount, root: tuple[str, str], port: int = MY_PORT) -> None:
    """The `my` connection as the test's admin account."""
    mount.write("config/my", plugin_name=PLUGIN, connection_url=my_url(port), username=root[0],
                password=root[1], allowed_roles="*")  # fmt: skip


@pytest.fixture
def ready(mount: Mount, root: tuple[str, str]) -> Mount:
    """A mount with the `my` connection and the `readonly` role."""
    configure(mount, root)
    mount.write("roles/readonly", db_name="my", creation_statements=CREATE, default_ttl=600)
    return mount


def test_issue_login_revoke(ready: Mount, my_admin: MySQLConnection) -> None:
    response = ready.read("creds/readonly")
    assert response.data is not None and response.secret is not None
    username, password = response.data["username"], response.data["password"]
    assert len(username) <= 32
    assert re.fullmatch(rf"v-{PREFIX}-readonly-[A-Za-z0-9]{{1,20}}", username)
    assert my_select_one(username, password) == 1
    session = pymysql.connect(host="127.0.0.1", port=MY_PORT, user=username, password=password)
    ready.backend.renew_secret(response.secret, 300)  # MySQL has no expiry: a no-op
    ready.backend.revoke_secret(response.secret)
    assert not my_user_exists(my_admin, username)
    with pytest.raises(pymysql.MySQLError), session.cursor() as cursor:
        cursor.execute("SELECT 1")  # the session was killed before the drop
    session.close()
    with pytest.raises(pymysql.MySQLError):
        my_select_one(username, password)
    ready.backend.revoke_secret(response.secret)  # idempotent


def test_rollback_statements_undo_a_failed_creation(
    ready: Mount, my_admin: MySQLConnection
) -> None:
    bad = [
        "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';",
        "GRANT SELECT ON nowhere.nothing TO '{{name}}'@'%';",
    ]
    ready.write("roles/bad", db_name="my", creation_statements=bad,
                rollback_statements=["DROP USER IF EXISTS '{{name}}'@'%';"])  # fmt: skip
    with pytest.raises(InternalError, match="failed to create user"):
        ready.read("creds/bad")
    with my_admin.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM mysql.user WHERE User LIKE %s", (f"v-{PREFIX}-bad%",))
        assert cursor.fetchone() == (0,)


def test_driver_errors_echoing_sql_are_scrubbed(ready: Mount) -> None:
    bad = ["CREATE USER '{{name}}'@'%' BOGUS IDENTIFIED BY '{{password}}';"]
    ready.write("roles/bogus", db_name="my", creation_statements=bad)
    with pytest.raises(InternalError) as caught:
        ready.read("creds/bogus")
    message = str(caught.value)
    assert "IDENTIFIED BY" in message  # MariaDB echoed the statement...
    assert "[redacted]" in message  # ...and the password in it was removed
    assert not re.search(r"IDENTIFIED BY '[A-Za-z0-9-]{20}'", message)


def test_verify_failure_names_the_problem_without_the_password(
    mount: Mount, root: tuple[str, str]
) -> None:
    with pytest.raises(BadRequest, match="error creating database object") as caught:
        mount.write("config/my", plugin_name=PLUGIN, connection_url=my_url(),
                    username=root[0], password="Wrong-password-1")  # fmt: skip
    assert "Wrong-password-1" not in str(caught.value)


def test_rotate_root_old_password_stops_working(ready: Mount, root: tuple[str, str]) -> None:
    ready.write("rotate-root/my")
    new = ready.stored("config/my")["password"]
    assert new != root[1]
    with pytest.raises(pymysql.MySQLError):
        my_select_one(root[0], root[1])
    assert my_select_one(root[0], new) == 1
    response = ready.read("creds/readonly")  # the engine works with the new password
    assert response.secret is not None
    ready.backend.revoke_secret(response.secret)


def test_static_role_rotation(
    mount: Mount, root: tuple[str, str], my_users: Callable[[str, str], str]
) -> None:
    configure(mount, root)
    user = my_users("static", "Old-password-1")
    mount.write("static-roles/app", db_name="my", username=user, rotation_period=3600)
    first = mount.read("static-creds/app").data["password"]  # type: ignore[index]
    with pytest.raises(pymysql.MySQLError):
        my_select_one(user, "Old-password-1")
    assert my_select_one(user, first) == 1
    mount.write("rotate-role/app")
    second = mount.read("static-creds/app").data["password"]  # type: ignore[index]
    with pytest.raises(pymysql.MySQLError):
        my_select_one(user, first)
    assert my_select_one(user, second) == 1


def test_unreachable_database_revoke_raises_then_succeeds(
    mount: Mount, root: tuple[str, str], my_admin: MySQLConnection,
    proxy_factory: Callable[[int], PausableProxy],
) -> None:  # fmt: skip
    proxy = proxy_factory(MY_PORT)
    configure(mount, root, port=proxy.port)
    mount.write("roles/readonly", db_name="my", creation_statements=CREATE)
    response = mount.read("creds/readonly")
    assert response.data is not None and response.secret is not None
    proxy.pause()
    with pytest.raises(InternalError, match="failed to revoke user"):
        mount.backend.revoke_secret(response.secret)
    assert my_user_exists(my_admin, response.data["username"])
    proxy.resume()
    mount.backend.revoke_secret(response.secret)
    assert not my_user_exists(my_admin, response.data["username"])
