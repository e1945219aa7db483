"""Database connections, roles and static roles on a database mount.

Addresses: `<mount>/config/<name>`, `<mount>/roles/<name>`, `<mount>/static-roles/<name>`.
Each kind declares its managed fields once (default and normaliser), so the manifest and the
live read land in the same shape and apply writes every managed field.

Two values are never read back and so never diffed: a connection's root password (the store
owns it after creation; `reconciler.gitops.plan.connections` decides when Git's value is sent) and
a static role's password (the store rotates it; nothing here ever reads `static-creds`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

import hvac

from reconciler.gitops.live.handlers import StoreView, read_data
from reconciler.gitops.live.model import Fields, FieldValue, ObjectRef, ObjectState, Sensitive
from reconciler.gitops.live.normalise import (
    FieldTable,
    as_bool,
    as_int,
    as_str,
    as_strs,
    plain,
    project,
)
from reconciler.gitops.live.payloads import (
    DatabaseRolePayload,
    DatabaseStaticRolePayload,
    DatabaseTablePayload,
)
from reconciler.gitops.live.unreturned import drop_unreturned
from reconciler.gitops.manifests import kinds as k

PASSWORD = "password"


def as_statements(value: Any) -> FieldValue:
    """SQL statements in order; one string is one statement (commas are SQL, not separators)."""
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


CONNECTION_TABLE: FieldTable = {
    "plugin_name": ("", as_str),
    "connection_url": ("", as_str),
    "username": ("", as_str),
    "allowed_roles": ((), as_strs),
    "verify_connection": (True, as_bool),
    "max_open_connections": (4, as_int),
    "password_policy": ("", as_str),
    "root_rotation_statements": ((), as_statements),
}
ROLE_TABLE: FieldTable = {
    "db_name": ("", as_str),
    "creation_statements": ((), as_statements),
    "revocation_statements": ((), as_statements),
    "rollback_statements": ((), as_statements),
    "renew_statements": ((), as_statements),
    "default_ttl": (0, as_int),
    "max_ttl": (0, as_int),
}
STATIC_ROLE_TABLE: FieldTable = {
    "db_name": ("", as_str),
    "username": ("", as_str),
    "rotation_period": (0, as_int),
    "rotation_schedule": ("", as_str),
    "rotation_statements": ((), as_statements),
}


def mount_of(address: str, segment: str) -> str:
    """The mount path of an address `<mount>/<segment>/<name>` (mounts may hold slashes)."""
    return address.rpartition(f"/{segment}/")[0]


def _read(
    client: hvac.Client, address: str, segment: str, view: StoreView
) -> Mapping[str, Any] | None:
    # A missing mount means a missing object; no request to a path nothing serves.
    if mount_of(address, segment) not in view.mounts:
        return None
    return read_data(client, address)


class DatabaseConnectionHandler:
    """A connection at `<mount>/config/<name>`; its password is write-only.

    The desired state carries Git's password (decrypted) in `secret`; the live state never
    has one. Which of the two fingerprints a plan records, and whether the password is sent,
    is the stale-root rule in `reconciler.gitops.plan.connections`, not this handler's business:
    `write` sends a password exactly when the state it is given holds one.
    """

    kind: ClassVar[str] = "DatabaseConnection"
    replace_on: ClassVar[frozenset[str]] = frozenset()

    def ref(self, obj: k.Manifest, view: StoreView) -> ObjectRef:
        """`<mount>/config/<name>`."""
        conn = cast(k.DatabaseConnection, obj)
        return ObjectRef(self.kind, conn.name, f"{conn.mount}/config/{conn.name}")

    def desired(self, obj: k.Manifest, ref: ObjectRef, secret: Fields | None) -> ObjectState:
        """The managed fields; `secret` (Git's password, when set) rides along, sensitive."""
        conn = cast(k.DatabaseConnection, obj)
        payload = {
            "plugin_name": conn.plugin_name,
            "connection_url": conn.connection_url,
            "username": conn.username,
            "allowed_roles": conn.allowed_roles,
            "verify_connection": conn.verify_connection,
            "max_open_connections": conn.max_open_connections,
            "password_policy": conn.password_policy,
            "root_rotation_statements": conn.root_rotation_statements,
        }
        wrapped = Sensitive(dict(secret)) if secret else None
        return ObjectState(ref, project(payload, CONNECTION_TABLE), wrapped)

    def read(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> ObjectState | None:
        """One GET of the config (the store never returns the password)."""
        data = _read(client, ref.address, "config", view)
        if data is None:
            return None
        details = data.get("connection_details") or {}
        raw = {
            "plugin_name": data.get("plugin_name"),
            "connection_url": details.get("connection_url"),
            "username": details.get("username"),
            "allowed_roles": data.get("allowed_roles"),
            "verify_connection": data.get("verify_connection"),
            "max_open_connections": details.get("max_open_connections"),
            "password_policy": data.get("password_policy"),
            "root_rotation_statements": data.get("root_credentials_rotate_statements"),
        }
        fields = drop_unreturned(self.kind, raw, project(raw, CONNECTION_TABLE))
        return ObjectState(ref, fields)

    def write(self, client: hvac.Client, state: ObjectState, exists: bool, view: StoreView) -> None:
        """Write every managed field, and the password only when `state` holds one.

        The store merges a write with what it keeps, so leaving the password out keeps the
        stored (possibly rotated) root credential.
        """
        body = {name: plain(value) for name, value in state.fields.items()}
        password = state.secret_values().get(PASSWORD)
        if password is not None:
            body[PASSWORD] = password
        client.write_data(state.ref.address, data=body)

    def delete(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> None:
        """Delete the connection (and the store's copy of its root credential)."""
        client.delete(ref.address)


class _TableHandler:
    """Shared by roles and static roles: address segment, table projection, delete."""

    kind: ClassVar[str] = ""
    segment: ClassVar[str] = ""
    replace_on: ClassVar[frozenset[str]] = frozenset()
    table: ClassVar[FieldTable] = {}

    def payload(self, obj: k.Manifest) -> DatabaseTablePayload:
        """The request fields the manifest sets (None: unset)."""
        raise LookupError(self.kind)

    def ref(self, obj: k.Manifest, view: StoreView) -> ObjectRef:
        """`<mount>/<segment>/<name>`."""
        mount = cast(k.DatabaseRole, obj).mount
        return ObjectRef(self.kind, obj.name, f"{mount}/{self.segment}/{obj.name}")

    def desired(self, obj: k.Manifest, ref: ObjectRef, secret: Fields | None) -> ObjectState:
        """Every managed field, defaults filled in."""
        return ObjectState(ref, project(self.payload(obj), self.table))

    def read(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> ObjectState | None:
        """One GET of the role."""
        data = _read(client, ref.address, self.segment, view)
        return None if data is None else ObjectState(ref, project(data, self.table))

    def delete(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> None:
        """Delete the role."""
        client.delete(ref.address)


class DatabaseRoleHandler(_TableHandler):
    """A dynamic role at `<mount>/roles/<name>`; TTLs in seconds."""

    kind: ClassVar[str] = "DatabaseRole"
    segment: ClassVar[str] = "roles"
    table: ClassVar[FieldTable] = ROLE_TABLE

    def payload(self, obj: k.Manifest) -> DatabaseRolePayload:
        """The role's request fields."""
        role = cast(k.DatabaseRole, obj)
        return {
            "db_name": role.db_name,
            "creation_statements": role.creation_statements,
            "revocation_statements": role.revocation_statements,
            "rollback_statements": role.rollback_statements,
            "renew_statements": role.renew_statements,
            "default_ttl": role.default_ttl,
            "max_ttl": role.max_ttl,
        }

    def write(self, client: hvac.Client, state: ObjectState, exists: bool, view: StoreView) -> None:
        """Write every managed field."""
        body = {name: plain(value) for name, value in state.fields.items()}
        client.write_data(state.ref.address, data=body)


class DatabaseStaticRoleHandler(_TableHandler):
    """A static role at `<mount>/static-roles/<name>`; its password is never read.

    The store refuses to change a static role's username, so a new username replaces it.
    """

    kind: ClassVar[str] = "DatabaseStaticRole"
    segment: ClassVar[str] = "static-roles"
    replace_on: ClassVar[frozenset[str]] = frozenset({"username"})
    table: ClassVar[FieldTable] = STATIC_ROLE_TABLE

    def payload(self, obj: k.Manifest) -> DatabaseStaticRolePayload:
        """The static role's request fields."""
        role = cast(k.DatabaseStaticRole, obj)
        return {
            "db_name": role.db_name,
            "username": role.username,
            "rotation_period": role.rotation_period,
            "rotation_schedule": role.rotation_schedule,
            "rotation_statements": role.rotation_statements,
        }

    def write(self, client: hvac.Client, state: ObjectState, exists: bool, view: StoreView) -> None:
        """Write the role with exactly one of rotation_schedule or rotation_period (the store
        takes the two as mutually exclusive); creating it rotates the password at once."""
        f = state.fields
        body: dict[str, Any] = {
            "db_name": f["db_name"],
            "username": f["username"],
            "rotation_statements": plain(f["rotation_statements"]),
        }
        if f["rotation_schedule"]:
            body["rotation_schedule"] = f["rotation_schedule"]
        else:
            body["rotation_period"] = f["rotation_period"]
        client.write_data(state.ref.address, data=body)
