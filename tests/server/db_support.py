"""Helpers for the database tests over HTTP: connections, roles and polling."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import hvac

from tests.store.engines.database.support import PG_PORT, PREFIX, my_url, pg_url

PG_PLUGIN = "postgresql-database-plugin"
MY_PLUGIN = "mysql-database-plugin"
PG_CREATE = [
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';"
]
MY_CREATE = [
    "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';",
    "GRANT SELECT ON *.* TO '{{name}}'@'%';",
]


def role_name(label: str = "") -> str:
    """A role name that starts with the session prefix, so generated users can be found.

    The default PostgreSQL username template keeps 8 characters of it (the prefix is 7).
    """
    return f"{PREFIX}{secrets.token_hex(3)}{label}"


def configure_pg(
    client: hvac.Client,
    mount: str,
    port: int = PG_PORT,
    username: str = "postgres",
    password: str = "not-checked-by-trust-auth",
    **extra: object,
) -> None:
    """Write connection `pg` (PostgreSQL, every role of the session prefix allowed)."""
    options: dict[str, object] = {"allowed_roles": [f"{PREFIX}*"]}
    options.update(extra)
    client.secrets.database.configure(
        "pg",
        PG_PLUGIN,
        mount_point=mount,
        connection_url=pg_url(port),
        username=username,
        password=password,
        **options,
    )


def configure_mysql(client: hvac.Client, mount: str) -> None:
    """Write connection `my` (MariaDB as root, which has no password on this machine)."""
    client.secrets.database.configure(
        "my",
        MY_PLUGIN,
        mount_point=mount,
        connection_url=my_url(),
        username="root",
        password="",
        allowed_roles=[f"{PREFIX}*"],
    )


def pg_role(
    client: hvac.Client, mount: str, ttl: str = "1h", max_ttl: str = "24h", label: str = ""
) -> str:
    """Create a PostgreSQL role on connection `pg`; returns its name."""
    name = role_name(label)
    client.secrets.database.create_role(
        name, "pg", PG_CREATE, default_ttl=ttl, max_ttl=max_ttl, mount_point=mount
    )
    return name


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.2) -> float:
    """Poll `check` until it holds; returns the seconds waited, or raises AssertionError."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(step)
    return time.monotonic() - start
