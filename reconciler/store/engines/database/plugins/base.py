"""The database plugin interface, the connection details it is built from, and its errors.

A plugin owns a small connection pool to one database and runs the statements the engine
hands it. Every error it raises is a `PluginError` whose message has been scrubbed of
passwords, because drivers echo the failing SQL (which may hold `IDENTIFIED BY '...'`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

REDACTED = "[redacted]"


@dataclass(frozen=True)
class ConnectionDetails:
    """What a plugin needs to connect: the templated URL and the root credentials.

    `password` is the live root password; it is never logged or put in an error.
    """

    connection_url: str
    username: str = ""
    password: str = ""
    max_open_connections: int = 4
    disable_escaping: bool = False
    password_authentication: str = "password"
    connect_timeout: int = 5


class PluginError(Exception):
    """A database operation failed; the message is safe to show (passwords removed)."""


_SECRET_PATTERNS = [
    re.compile(r"(?i)(identified\s+(?:with\s+\S+\s+)?by\s+(?:password\s+)?)('[^']*'|\"[^\"]*\")"),
    re.compile(r"(?i)(password\s*(?:=\s*|\(\s*|\s+))('[^']*'|\"[^\"]*\")"),
    re.compile(r"(?i)(password\s*=\s*)([^\s'\"]+)"),
    re.compile(r"(://[^:/@\s]*:)([^@\s]+)(@)"),
]


def scrub(message: str, secrets: Iterable[str] = ()) -> str:
    """Remove known secret values and anything that looks like a quoted password."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        message = message.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        message = pattern.sub(
            lambda m: m.group(1) + REDACTED + (m.group(3) if m.lastindex == 3 else ""), message
        )
    return message


def plugin_error(exc: BaseException, secrets: Iterable[str] = ()) -> PluginError:
    """A PluginError carrying the driver's message, scrubbed; the cause is not chained."""
    text = str(exc).strip() or type(exc).__name__
    return PluginError(scrub(text, secrets))


@dataclass(frozen=True)
class UserStatements:
    """The statements a dynamic role runs; empty lists mean "use the plugin's default"."""

    creation: list[str]
    rollback: list[str]


class DatabasePlugin(Protocol):
    """One database connection (pool) as the engine sees it.

    Every method raises PluginError on failure. `revoke_user` is idempotent: a user that no
    longer exists counts as revoked, so the lease manager may retry it safely.
    """

    def verify(self) -> None:
        """Connect and run a trivial query."""
        ...

    def create_user(
        self, statements: UserStatements, username: str, password: str, expiration: str
    ) -> None:
        """Run the creation statements; on failure run the rollback statements, then raise."""
        ...

    def renew_user(self, statements: list[str], username: str, expiration: str) -> None:
        """Extend the user's validity to `expiration` (Go layout, UTC)."""
        ...

    def revoke_user(self, statements: list[str], username: str) -> None:
        """Terminate the user's sessions, then run the statements or the default drop."""
        ...

    def rotate_root(self, statements: list[str], new_password: str) -> None:
        """Change the configured root user's password on the database."""
        ...

    def set_static_password(self, statements: list[str], username: str, password: str) -> None:
        """Set an existing user's password (static role rotation)."""
        ...

    def close(self) -> None:
        """Close every pooled connection."""
        ...
