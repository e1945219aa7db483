"""Dynamic roles: `roles/:name` and `creds/:name`, and the lease renew/revoke they back."""

from __future__ import annotations

from typing import Any

from reconciler.store.engines.database.connections import NAME, Connections, role_allowed
from reconciler.store.engines.database.models import (
    ROLE_PREFIX,
    STATIC_ROLE_PREFIX,
    Role,
    load,
    save,
)
from reconciler.store.engines.database.passwords import generate_password
from reconciler.store.engines.database.plugins import (
    PluginError,
    UserStatements,
    default_username_template,
)
from reconciler.store.engines.database.templates import format_expiration
from reconciler.store.engines.database.usernames import (
    TemplateError,
    UsernameInput,
    render_username,
)
from reconciler.store.errors import BadRequest, InternalError, NotFound
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec, SystemView
from reconciler.store.logical import Operation, Request, Response, Secret
from reconciler.store.storage.view import StorageView
from reconciler.store.timefmt import now

ROLE_FIELDS: dict[str, Field] = {
    "name": Field(FieldType.STRING),
    "db_name": Field(FieldType.STRING, ""),
    "creation_statements": Field(FieldType.STRINGS, []),
    "revocation_statements": Field(FieldType.STRINGS, []),
    "rollback_statements": Field(FieldType.STRINGS, []),
    "renew_statements": Field(FieldType.STRINGS, []),
    "default_ttl": Field(FieldType.DURATION, 0),
    "max_ttl": Field(FieldType.DURATION, 0),
    "credential_type": Field(FieldType.STRING, "password"),
    "credential_config": Field(FieldType.KV_MAP, {}),
}
_SETTABLE = [name for name in ROLE_FIELDS if name != "name"]


class RolePaths:
    """Dynamic role CRUD, credential issue, and the lease callbacks for issued users."""

    def __init__(self, storage: StorageView, connections: Connections, system: SystemView):
        self.storage = storage
        self.connections = connections
        self.system = system

    def specs(self) -> list[PathSpec]:
        """The dynamic role path table."""
        return [
            PathSpec(r"roles/?", {Operation.LIST: self.list_roles}),
            PathSpec(
                rf"roles/{NAME}",
                {
                    Operation.UPDATE: self.write_role,
                    Operation.READ: self.read_role,
                    Operation.DELETE: self.delete_role,
                },
                fields=ROLE_FIELDS,
                existence_check=self.role_exists,
            ),
            PathSpec(
                rf"creds/{NAME}",
                {Operation.READ: self.issue_creds},
                fields={"name": Field(FieldType.STRING)},
            ),
        ]

    def get(self, name: str) -> Role | None:
        """The stored role, or None."""
        return load(self.storage, Role, ROLE_PREFIX + name)

    def role_exists(self, req: Request, data: FieldData) -> bool:
        """Existence check for create-vs-update."""
        return self.get(data.get("name")) is not None

    def list_roles(self, req: Request, data: FieldData) -> Response:
        """LIST roles/."""
        keys = self.storage.list(ROLE_PREFIX)
        if not keys:
            raise NotFound()
        return Response(data={"keys": keys})

    def read_role(self, req: Request, data: FieldData) -> Response:
        """GET roles/:name."""
        role = self.get(data.get("name"))
        if role is None:
            raise NotFound()
        return Response(data=role.read_data())

    def delete_role(self, req: Request, data: FieldData) -> None:
        """DELETE roles/:name (issued users stay until their leases end)."""
        self.storage.delete(ROLE_PREFIX + data.get("name"))

    def write_role(self, req: Request, data: FieldData) -> None:
        """POST roles/:name: create, or update only the fields sent."""
        name = data.get("name")
        if self.storage.get(STATIC_ROLE_PREFIX + name) is not None:
            raise BadRequest("Role and Static Role names must be unique")
        role = self.get(name)
        if role is None:
            role = Role(name=name, db_name="")
            present = _SETTABLE
        else:
            present = [field for field in _SETTABLE if data.present(field)]
        for field in present:
            setattr(role, field, data.get(field))
        _validate_role(role)
        save(self.storage, ROLE_PREFIX + name, role)

    # -- credentials -----------------------------------------------------------------------

    def ttls(self, role: Role | None) -> tuple[int, int]:
        """(default ttl, max ttl) for a role, falling back to the mount/system and capped."""
        mount_max = self.system.max_lease_ttl()
        max_ttl = min(role.max_ttl, mount_max) if role and role.max_ttl else mount_max
        ttl = role.default_ttl if role and role.default_ttl else self.system.default_lease_ttl()
        return min(ttl, max_ttl), max_ttl

    def issue_creds(self, req: Request, data: FieldData) -> Response:
        """GET creds/:name: create a user on the database and return it with a lease."""
        name = data.get("name")
        role = self.get(name)
        if role is None:
            raise BadRequest(f"unknown role: {name}")
        config = self.connections.require(role.db_name)
        if not role_allowed(config.allowed_roles, name):
            raise InternalError(f'"{name}" is not an allowed role')
        ttl, max_ttl = self.ttls(role)
        template = config.username_template or default_username_template(config.plugin_name)
        try:
            username = render_username(template, UsernameInput(req.display_name, name))
        except TemplateError as exc:
            raise InternalError(f"unable to generate username: {exc}") from None
        password = generate_password()
        issued = now()
        statements = UserStatements(role.creation_statements, role.rollback_statements)
        try:
            self.connections.plugin(config).create_user(
                statements, username, password, format_expiration(issued, ttl)
            )
        except PluginError as exc:
            raise InternalError(f"failed to create user: {exc}") from None
        internal: dict[str, Any] = {
            "username": username,
            "role": name,
            "db_name": role.db_name,
            "issue_time": issued,
            # Kept so the user is still dropped the role's way if the role is deleted first.
            "revocation_statements": list(role.revocation_statements),
        }
        secret = Secret(ttl=ttl, max_ttl=max_ttl, renewable=True, internal=internal)
        return Response(data={"username": username, "password": password}, secret=secret)

    def renew(self, secret: Secret, increment: int) -> Secret:
        """Extend an issued user's validity, capped by max_ttl from the issue time."""
        internal = secret.internal
        role = self.get(str(internal.get("role", "")))
        default_ttl, max_ttl = self.ttls(role)
        current = now()
        issued = float(internal.get("issue_time", current))
        remaining = max(int(issued + max_ttl - current), 0)
        ttl = min(increment if increment > 0 else default_ttl, remaining)
        config = self.connections.require(str(internal["db_name"]))
        statements = role.renew_statements if role else []
        try:
            self.connections.plugin(config).renew_user(
                statements, str(internal["username"]), format_expiration(current, ttl)
            )
        except PluginError as exc:
            raise InternalError(f"failed to renew user: {exc}") from None
        return Secret(
            ttl=ttl, max_ttl=max_ttl, renewable=True, internal=internal, lease_id=secret.lease_id
        )

    def revoke(self, secret: Secret) -> None:
        """Drop an issued user; raises (so the lease is kept and retried) on failure."""
        internal = secret.internal
        role = self.get(str(internal.get("role", "")))
        if role is not None:
            statements = role.revocation_statements
        else:
            statements = list(internal.get("revocation_statements", []))
        config = self.connections.require(str(internal["db_name"]))
        try:
            self.connections.plugin(config).revoke_user(statements, str(internal["username"]))
        except PluginError as exc:
            raise InternalError(f"failed to revoke user: {exc}") from None


def _validate_role(role: Role) -> None:
    if not role.db_name:
        raise BadRequest("database name is required")
    if role.credential_type != "password":
        raise BadRequest(f"unsupported credential_type: {role.credential_type!r}")
    if role.max_ttl and role.default_ttl > role.max_ttl:
        raise BadRequest("ttl cannot be greater than max_ttl")
    if role.default_ttl < 0 or role.max_ttl < 0:
        raise BadRequest("ttl and max_ttl must not be negative")
