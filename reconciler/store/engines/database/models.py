"""The engine's stored objects: connections, dynamic roles and static roles.

Each is a dataclass stored as JSON with a format version (`v`), encoded and decoded here
only. Storage keys: `config/<name>`, `role/<name>`, `static-role/<name>`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Self, TypeVar

from reconciler.store.engines.database.plugins import ConnectionDetails
from reconciler.store.engines.database.templates import redact_url
from reconciler.store.storage.view import StorageView
from reconciler.store.timefmt import ZERO_TIME, rfc3339nano
from reconciler.vocabulary.durations import format_go_duration

FORMAT_VERSION = 1
CONFIG_PREFIX = "config/"
ROLE_PREFIX = "role/"
STATIC_ROLE_PREFIX = "static-role/"

M = TypeVar("M", bound="_Stored")


class _Stored:
    """JSON encoding shared by the stored dataclasses; unknown keys are ignored on load."""

    def encode(self) -> dict[str, Any]:
        """The storage form, with its format version."""
        return {"v": FORMAT_VERSION, **dataclasses.asdict(self)}  # type: ignore[call-overload]

    @classmethod
    def decode(cls, raw: dict[str, Any]) -> Self:
        """Rebuild from the storage form."""
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in raw.items() if k in names})


def load(storage: StorageView, kind: type[M], key: str) -> M | None:
    """The stored object at `key`, or None."""
    raw = storage.get_json(key)
    return None if raw is None else kind.decode(raw)


def save(storage: StorageView, key: str, value: _Stored) -> None:
    """Store `value` at `key`."""
    storage.put_json(key, value.encode())


@dataclass
class ConnectionConfig(_Stored):
    """A database connection. `password` is the live root password and is never read back."""

    name: str
    plugin_name: str
    plugin_version: str = ""
    connection_url: str = ""
    username: str = ""
    password: str = ""
    allowed_roles: list[str] = field(default_factory=list)
    root_rotation_statements: list[str] = field(default_factory=list)
    password_policy: str = ""
    verify_connection: bool = True
    max_open_connections: int = 4
    max_idle_connections: int = 0
    max_connection_lifetime: int = 0
    username_template: str = ""
    disable_escaping: bool = False
    password_authentication: str = "password"

    def details(self) -> ConnectionDetails:
        """What the plugin needs to connect."""
        return ConnectionDetails(
            connection_url=self.connection_url,
            username=self.username,
            password=self.password,
            max_open_connections=self.max_open_connections,
            disable_escaping=self.disable_escaping,
            password_authentication=self.password_authentication,
        )

    def read_data(self) -> dict[str, Any]:
        """The read response: connection details without the password."""
        details: dict[str, Any] = {
            "connection_url": redact_url(self.connection_url),
            "username": self.username,
            "max_open_connections": self.max_open_connections,
            "max_idle_connections": self.max_idle_connections,
            "max_connection_lifetime": format_go_duration(self.max_connection_lifetime),
            "disable_escaping": self.disable_escaping,
            "password_authentication": self.password_authentication,
        }
        if self.username_template:
            details["username_template"] = self.username_template
        return {
            "plugin_name": self.plugin_name,
            "plugin_version": self.plugin_version,
            "connection_details": details,
            "allowed_roles": list(self.allowed_roles),
            "root_credentials_rotate_statements": list(self.root_rotation_statements),
            "password_policy": self.password_policy,
            "verify_connection": self.verify_connection,
        }


@dataclass
class Role(_Stored):
    """A dynamic role: statements run to create, renew and drop a per-lease user."""

    name: str
    db_name: str
    creation_statements: list[str] = field(default_factory=list)
    revocation_statements: list[str] = field(default_factory=list)
    rollback_statements: list[str] = field(default_factory=list)
    renew_statements: list[str] = field(default_factory=list)
    default_ttl: int = 0
    max_ttl: int = 0
    credential_type: str = "password"
    credential_config: dict[str, str] = field(default_factory=dict)

    def read_data(self) -> dict[str, Any]:
        """The read response (Vault's shape; lists are [] when empty)."""
        return {
            "db_name": self.db_name,
            "creation_statements": list(self.creation_statements),
            "revocation_statements": list(self.revocation_statements),
            "rollback_statements": list(self.rollback_statements),
            "renew_statements": list(self.renew_statements),
            "default_ttl": self.default_ttl,
            "max_ttl": self.max_ttl,
            "credential_type": self.credential_type,
            "credential_config": dict(self.credential_config),
        }


@dataclass
class StaticRole(_Stored):
    """An existing database user whose password the store owns and rotates.

    `password` is the current password (the last rotation that succeeded on the database);
    a failed rotation leaves it unchanged and records `last_error` and `retry_at`.
    """

    name: str
    db_name: str
    username: str
    rotation_period: int = 0
    rotation_schedule: str = ""
    rotation_window: int = 0
    rotation_statements: list[str] = field(default_factory=list)
    credential_type: str = "password"
    password: str = ""
    last_vault_rotation: float = 0.0
    next_rotation: float = 0.0
    last_error: str = ""
    failures: int = 0
    retry_at: float = 0.0

    def last_rotation_text(self) -> str:
        """`last_vault_rotation` as RFC3339Nano (Go's zero time when never rotated)."""
        return rfc3339nano(self.last_vault_rotation) if self.last_vault_rotation else ZERO_TIME

    def read_data(self) -> dict[str, Any]:
        """The static-roles read response (no password)."""
        data: dict[str, Any] = {
            "db_name": self.db_name,
            "username": self.username,
            "rotation_statements": list(self.rotation_statements),
            "last_vault_rotation": self.last_rotation_text(),
            "credential_type": self.credential_type,
        }
        if self.rotation_schedule:
            data["rotation_schedule"] = self.rotation_schedule
            data["rotation_window"] = self.rotation_window
        else:
            data["rotation_period"] = self.rotation_period
        if self.last_error:
            data["last_rotation_error"] = self.last_error
        return data
