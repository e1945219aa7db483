"""The AppRole auth method (`auth/approle/`): machine logins with a role ID and secret ID.

Roles carry the bindings (secret ID required, CIDRs) and the token settings; secret IDs are
generated per role, stored only as HMACs, expire, and are spent by `num_uses`. A failed login
says `invalid role or secret ID` whichever part was wrong, so a caller learns nothing.
"""

from __future__ import annotations

import copy
import re
import time
import uuid
from typing import ClassVar, Literal

from reconciler.store.auth.approle_secret_ids import SecretIDPaths
from reconciler.store.auth.approle_store import AppRoleStore, Role
from reconciler.store.auth.cidr import addr_allowed, parse_cidrs
from reconciler.store.auth.token_fields import login_display_name, token_fields
from reconciler.store.errors import BadRequest, InvalidCredentials, NotFound
from reconciler.store.framework import Backend, Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Auth, Operation, Request, Response
from reconciler.store.timefmt import now

INVALID_CREDENTIALS = "invalid role or secret ID"
ROLE = r"(?P<role_name>[A-Za-z0-9 ._-]{1,4096})"
LEGACY = ("policies", "period")

ROLE_FIELDS: dict[str, Field] = {
    "role_name": Field(FieldType.STRING, ""),
    "role_id": Field(FieldType.STRING, ""),
    "bind_secret_id": Field(FieldType.BOOL, True),
    "secret_id_bound_cidrs": Field(FieldType.COMMA_STRINGS, []),
    "bound_cidr_list": Field(FieldType.COMMA_STRINGS, [], "deprecated: secret_id_bound_cidrs"),
    "secret_id_num_uses": Field(FieldType.INT, 0),
    "secret_id_ttl": Field(FieldType.DURATION, 0),
    "local_secret_ids": Field(FieldType.BOOL, False),
    **token_fields(LEGACY),
}

# Per-field sub-endpoints (`role/<name>/token-ttl`): URL segment -> the fields it shows.
FIELD_ENDPOINTS: dict[str, tuple[str, ...]] = {
    "policies": ("policies", "token_policies"),
    "token-policies": ("token_policies",),
    "bind-secret-id": ("bind_secret_id",),
    "secret-id-bound-cidrs": ("secret_id_bound_cidrs",),
    "bound-cidr-list": ("secret_id_bound_cidrs",),
    "token-bound-cidrs": ("token_bound_cidrs",),
    "secret-id-num-uses": ("secret_id_num_uses",),
    "secret-id-ttl": ("secret_id_ttl",),
    "token-num-uses": ("token_num_uses",),
    "token-ttl": ("token_ttl",),
    "token-max-ttl": ("token_max_ttl",),
    "period": ("period", "token_period"),
    "token-period": ("token_period",),
    "local-secret-ids": ("local_secret_ids",),
}
_READ_ONLY = {"local-secret-ids"}

LOGIN_FIELDS: dict[str, Field] = {
    "role_id": Field(FieldType.STRING, ""),
    "secret_id": Field(FieldType.STRING, ""),
}

TIDY_INTERVAL = 60.0


def _apply_role_fields(role: Role, data: FieldData, creating: bool) -> None:
    """Copy the present fields onto `role`, validating each (token fields included)."""
    if data.present("bind_secret_id"):
        role.bind_secret_id = data.get("bind_secret_id")
    for name in ("secret_id_bound_cidrs", "bound_cidr_list"):
        if data.present(name):
            role.secret_id_bound_cidrs = parse_cidrs(data.get(name), name)
    if data.present("secret_id_num_uses"):
        role.secret_id_num_uses = data.get("secret_id_num_uses")
        if role.secret_id_num_uses < 0:
            raise BadRequest("secret_id_num_uses cannot be negative")
    if data.present("secret_id_ttl"):
        role.secret_id_ttl = data.get("secret_id_ttl")
        if role.secret_id_ttl < 0:
            raise BadRequest("secret_id_ttl cannot be negative")
    if data.present("local_secret_ids"):
        wanted = data.get("local_secret_ids")
        if not creating and wanted != role.local_secret_ids:
            raise BadRequest("local_secret_ids can only be modified during role creation")
        role.local_secret_ids = wanted
    role.token.update(data, LEGACY)
    if not role.bind_secret_id and not role.secret_id_bound_cidrs and not role.token.bound_cidrs:
        raise BadRequest("at least one constraint should be enabled on the role")


class AppRoleBackend(Backend):
    """AppRole: roles, role IDs, secret IDs and the login that trades them for a token."""

    type_name: ClassVar[str] = "approle"
    mount_class: ClassVar[Literal["secret", "auth"]] = "auth"

    def paths(self) -> list[PathSpec]:
        """The AppRole path table (§5 of the API subset)."""
        self.store = AppRoleStore(self.storage)
        self._last_tidy = time.monotonic()
        secret_ids = SecretIDPaths(self.store, self._require_role)
        role_spec = PathSpec(
            rf"role/{ROLE}",
            {
                Operation.READ: self._read_role,
                Operation.UPDATE: self._write_role,
                Operation.DELETE: self._delete_role,
            },
            ROLE_FIELDS,
            existence_check=self._role_exists,
        )
        return [
            PathSpec("login", {Operation.UPDATE: self._login}, LOGIN_FIELDS, unauthenticated=True),
            PathSpec("role/?", {Operation.LIST: self._list_roles}),
            role_spec,
            PathSpec(
                rf"role/{ROLE}/role-id",
                {Operation.READ: self._read_role_id, Operation.UPDATE: self._write_role_id},
                # No body means no role_id: a 400 ("missing role_id"), not a crash on None.
                {"role_name": Field(), "role_id": Field(FieldType.STRING, "")},
            ),
            *secret_ids.specs(ROLE),
            PathSpec(
                rf"role/{ROLE}/(?P<field>{'|'.join(map(re.escape, FIELD_ENDPOINTS))})",
                {
                    Operation.READ: self._read_field,
                    Operation.UPDATE: self._write_field,
                    Operation.DELETE: self._reset_field,
                },
                {**ROLE_FIELDS, "field": Field()},
            ),
            PathSpec("tidy/secret-id", {Operation.UPDATE: self._tidy}),
        ]

    # -- roles -----------------------------------------------------------------------------

    def _name(self, data: FieldData) -> str:
        name = str(data.get("role_name")).lower()
        if name in (".", ".."):
            raise BadRequest(f"invalid role name {name!r}")
        return name

    def _require_role(self, data: FieldData) -> Role:
        name = self._name(data)
        role = self.store.get_role(name)
        if role is None:
            raise NotFound(f'role "{name}" does not exist')
        return role

    def _role_exists(self, req: Request, data: FieldData) -> bool:
        return self.store.get_role(self._name(data)) is not None

    def _list_roles(self, req: Request, data: FieldData) -> Response:
        names = self.store.list_roles()
        if not names:
            raise NotFound()
        return Response(data={"keys": names})

    def _read_role(self, req: Request, data: FieldData) -> Response:
        role = self.store.get_role(self._name(data))
        if role is None:
            raise NotFound()
        return Response(data=role.render())

    def _write_role(self, req: Request, data: FieldData) -> None:
        name = self._name(data)
        existing = self.store.get_role(name)
        role = copy.deepcopy(existing) if existing else Role(name, str(uuid.uuid4()))
        if data.present("role_id"):
            self._set_role_id(role, data.get("role_id"))
        _apply_role_fields(role, data, creating=existing is None)
        self.store.put_role(role, existing.role_id if existing else "")

    def _delete_role(self, req: Request, data: FieldData) -> None:
        role = self.store.get_role(self._name(data))
        if role is not None:
            self.store.delete_role(role)

    def _set_role_id(self, role: Role, role_id: str) -> None:
        role_id = role_id.strip()
        if not role_id:
            raise BadRequest("missing role_id")
        if self.store.role_id_taken(role_id, role.name):
            raise BadRequest("role_id already in use")
        role.role_id = role_id

    def _read_role_id(self, req: Request, data: FieldData) -> Response:
        return Response(data={"role_id": self._require_role(data).role_id})

    def _write_role_id(self, req: Request, data: FieldData) -> None:
        role = self._require_role(data)
        previous = role.role_id
        self._set_role_id(role, data.get("role_id"))
        self.store.put_role(role, previous)

    # -- per-field sub-endpoints ----------------------------------------------------------

    def _read_field(self, req: Request, data: FieldData) -> Response:
        rendered = self._require_role(data).render()
        shown = FIELD_ENDPOINTS[data.get("field")]
        return Response(
            data={name: rendered.get(name, rendered.get(f"token_{name}")) for name in shown}
        )

    def _write_field(self, req: Request, data: FieldData) -> None:
        segment = data.get("field")
        if segment in _READ_ONLY:
            raise BadRequest(f'"{segment}" can only be set when the role is created')
        role = copy.deepcopy(self._require_role(data))
        accepted = {"role_name", *FIELD_ENDPOINTS[segment]}
        if segment == "bound-cidr-list":
            accepted.add("bound_cidr_list")
        body = {k: v for k, v in data.raw.items() if k in accepted}
        _apply_role_fields(role, FieldData(body, ROLE_FIELDS, data.params), creating=False)
        self.store.put_role(role, role.role_id)

    def _reset_field(self, req: Request, data: FieldData) -> None:
        segment = data.get("field")
        if segment in _READ_ONLY:
            raise BadRequest(f'"{segment}" can only be set when the role is created')
        role = copy.deepcopy(self._require_role(data))
        name = FIELD_ENDPOINTS[segment][-1]
        body = {name: ROLE_FIELDS[name].default}
        _apply_role_fields(role, FieldData(body, ROLE_FIELDS, data.params), creating=False)
        self.store.put_role(role, role.role_id)

    # -- login -----------------------------------------------------------------------------

    def login_role(self, req: Request, rel_path: str) -> str | None:
        """The name of the role whose role_id a login gives (role-based quotas)."""
        role_id = req.data.get("role_id") if rel_path == "login" else None
        role = self.store.role_by_id(role_id.strip()) if isinstance(role_id, str) else None
        return None if role is None else role.name

    def _login(self, req: Request, data: FieldData) -> Response:
        role_id = data.get("role_id").strip()
        if not role_id:
            raise BadRequest("missing role_id")
        role = self.store.role_by_id(role_id)
        if role is None:
            raise BadRequest(INVALID_CREDENTIALS)
        if not addr_allowed(req.remote_addr, role.secret_id_bound_cidrs):
            raise BadRequest(
                f'source address "{req.remote_addr}" unauthorized by CIDR restrictions on the role'
            )
        metadata: dict[str, str] = {}
        bound_cidrs = role.token.bound_cidrs
        if role.bind_secret_id:
            secret_id = data.get("secret_id")
            if not secret_id:
                raise BadRequest("missing secret_id")
            entry = self.store.get_secret_id(role, secret_id)
            # Check the secret ID's CIDRs before spending a use, so a caller from the wrong
            # network cannot burn someone else's secret ID.
            if entry is not None and not addr_allowed(req.remote_addr, entry.cidr_list):
                raise BadRequest(
                    f'source address "{req.remote_addr}" unauthorized through CIDR '
                    "restrictions on the secret ID"
                )
            spent = self.store.consume(role, secret_id, now())
            if spent is None:  # a real role's wrong secret ID: counts toward the lock-out
                raise InvalidCredentials(INVALID_CREDENTIALS)
            metadata = dict(spent.metadata)
            bound_cidrs = spent.token_bound_cidrs or bound_cidrs
        return Response(auth=self._auth(role, metadata, bound_cidrs))

    def _auth(self, role: Role, metadata: dict[str, str], bound_cidrs: list[str]) -> Auth:
        auth = role.token.fill(Auth())
        auth.metadata = {**metadata, "role_name": role.name}
        auth.alias_name = role.role_id
        auth.display_name = login_display_name(self.ctx.mount.path, "")
        auth.bound_cidrs = list(bound_cidrs)
        return auth

    # -- housekeeping ----------------------------------------------------------------------

    def _tidy(self, req: Request, data: FieldData) -> Response:
        self.store.tidy(now())
        return Response(
            status=202,
            warnings=[
                "Tidy operation successfully started. Any information from the operation "
                "will be printed to Vault's server logs."
            ],
        )

    def periodic(self) -> None:
        """Remove expired secret IDs about once a minute."""
        if time.monotonic() - self._last_tidy >= TIDY_INTERVAL:
            self._last_tidy = time.monotonic()
            self.store.tidy(now())
