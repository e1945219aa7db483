"""The `auth/token/` paths: create, lookup, renew and revoke tokens over the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reconciler.store.auth.token_entry import TokenEntry
from reconciler.store.auth.tokens import TokenParams, TokenStore, fill_auth, lookup_data
from reconciler.store.errors import BadRequest, InvalidToken, NotFound, PermissionDenied
from reconciler.store.framework import (
    Backend,
    Field,
    FieldData,
    FieldType,
    MountContext,
    PathSpec,
)
from reconciler.store.logical import Auth, Operation, Request, Response
from reconciler.store.timefmt import now

SudoCheck = Callable[[Request, str], bool]

S, INT, B, D = FieldType.STRING, FieldType.INT, FieldType.BOOL, FieldType.DURATION
CREATE_FIELDS = {
    "id": Field(S, ""),
    "role_name": Field(S, ""),
    "policies": Field(FieldType.COMMA_STRINGS, []),
    "meta": Field(FieldType.KV_MAP, {}),
    "no_parent": Field(B, False),
    "no_default_policy": Field(B, False),
    "renewable": Field(B, True),
    "ttl": Field(D, 0),
    "lease": Field(D, 0),
    "explicit_max_ttl": Field(D, 0),
    "display_name": Field(S, ""),
    "num_uses": Field(INT, 0),
    "period": Field(D, 0),
    "type": Field(S, "service"),
    "entity_alias": Field(S, ""),
}
ROLE_FIELDS = {
    "allowed_policies": Field(FieldType.COMMA_STRINGS, []),
    "disallowed_policies": Field(FieldType.COMMA_STRINGS, []),
    "orphan": Field(B, False),
    "renewable": Field(B, True),
    "path_suffix": Field(S, ""),
    "token_period": Field(D, 0),
    "period": Field(D, 0),
    "token_explicit_max_ttl": Field(D, 0),
    "explicit_max_ttl": Field(D, 0),
    "token_type": Field(S, "default-service"),
    "token_bound_cidrs": Field(FieldType.COMMA_STRINGS, []),
    "token_no_default_policy": Field(B, False),
    "token_num_uses": Field(INT, 0),
}
_CUSTOM_ID = re.compile(r"[^.]+")


def _display_name(raw: str) -> str:
    """Vault's token display name: "token", or "token-<name>" sanitized (one trailing "-" cut)."""
    if not raw:
        return "token"
    return ("token-" + re.sub(r"[^a-zA-Z0-9-]", "-", raw)).removesuffix("-")


class TokenBackend(Backend):
    """Token auth: every path of Vault's `auth/token/` that a client needs."""

    type_name = "token"
    mount_class = "auth"

    def __init__(self, ctx: MountContext, tokens: TokenStore, has_sudo: SudoCheck) -> None:
        self.tokens = tokens
        self.has_sudo = has_sudo
        super().__init__(ctx)

    def paths(self) -> list[PathSpec]:
        """Vault's token store path table."""
        upd, rd, ls, dl = Operation.UPDATE, Operation.READ, Operation.LIST, Operation.DELETE
        token = {"token": Field(S, "")}
        accessor = {"accessor": Field(S, "")}
        increment = {"increment": Field(D, 0)}
        return [
            PathSpec(r"create-orphan", {upd: self.create_orphan}, CREATE_FIELDS),
            PathSpec(r"create/(?P<role_name>[^/]+)", {upd: self.create}, CREATE_FIELDS),
            PathSpec(r"create", {upd: self.create}, CREATE_FIELDS),
            PathSpec(r"lookup-self", {rd: self.lookup_self, upd: self.lookup_self}, token),
            PathSpec(r"lookup-accessor", {upd: self.lookup_accessor}, accessor),
            PathSpec(r"lookup", {rd: self.lookup, upd: self.lookup}, token),
            PathSpec(r"renew-self", {upd: self.renew_self}, increment),
            PathSpec(r"renew-accessor", {upd: self.renew_accessor}, {**accessor, **increment}),
            PathSpec(r"renew", {upd: self.renew}, {**token, **increment}),
            PathSpec(r"revoke-self", {upd: self.revoke_self}),
            PathSpec(r"revoke-accessor", {upd: self.revoke_accessor}, accessor),
            PathSpec(r"revoke-orphan", {upd: self.revoke_orphan}, token, sudo=True),
            PathSpec(r"revoke", {upd: self.revoke}, token),
            PathSpec(r"accessors/?", {ls: self.list_accessors}, sudo=True),
            PathSpec(r"roles/?", {ls: self.list_roles}),
            PathSpec(
                r"roles/(?P<name>[^/]+)",
                {rd: self.read_role, upd: self.write_role, dl: self.delete_role},
                ROLE_FIELDS,
                existence_check=lambda _r, d: (
                    self.storage.get(f"roles/{d.get('name')}") is not None
                ),
            ),
            PathSpec(r"tidy", {upd: self.tidy}),
        ]

    # -- create ----------------------------------------------------------------------------

    def create_orphan(self, req: Request, data: FieldData) -> Response:
        """auth/token/create-orphan: like create, with no parent."""
        return self._create(req, data, orphan=True)

    def create(self, req: Request, data: FieldData) -> Response:
        """auth/token/create and create/:role_name."""
        return self._create(req, data, orphan=False)

    def _create(self, req: Request, data: FieldData, orphan: bool) -> Response:
        parent: TokenEntry = req.token_entry
        role = self._role(data.get("role_name")) if data.get("role_name") else None
        custom_id = data.get("id")
        if custom_id and not req.is_root:
            raise BadRequest("root or sudo privileges required to specify token id")
        if custom_id and (
            custom_id.startswith(("hvs.", "s.")) or not _CUSTOM_ID.fullmatch(custom_id)
        ):
            raise BadRequest("custom token ID cannot have the 'hvs.' or 's.' prefix or a '.'")
        no_parent = orphan or bool(data.get("no_parent")) or bool(role and role.get("orphan"))
        if data.get("no_parent") and not self.has_sudo(req, req.path):
            raise PermissionDenied("root or sudo privileges required to create orphan token")
        policies = self._policies(req, data, role)
        params = TokenParams(
            policies=policies,
            path=req.path,
            display_name=_display_name(data.get("display_name")),
            meta=data.get("meta"),
            ttl=data.get("ttl") or data.get("lease"),
            explicit_max_ttl=data.get("explicit_max_ttl") or _role_int(role, "explicit_max_ttl"),
            period=data.get("period") or _role_int(role, "period"),
            num_uses=data.get("num_uses") or _role_int(role, "token_num_uses"),
            renewable=bool(data.get("renewable")) and (role is None or role.get("renewable", True)),
            no_default_policy=bool(data.get("no_default_policy")),
            parent=None if no_parent else parent,
            entity_id=parent.entity_id if parent else "",
            role=role["name"] if role else "",
            bound_cidrs=list(role.get("token_bound_cidrs", [])) if role else [],
            token_id=custom_id,
            max_ttl=self.ctx.system.max_lease_ttl(),
        )
        if params.num_uses < 0:
            raise BadRequest("number of uses cannot be negative")
        token_id, entry = self.tokens.create(params)
        auth = Auth(display_name=entry.display_name)
        fill_auth(auth, token_id, entry)
        return Response(auth=auth)

    def _policies(self, req: Request, data: FieldData, role: dict[str, Any] | None) -> list[str]:
        parent_policies = [p for p in req.policies if p != "default"] or ["default"]
        wanted = data.get("policies") if data.present("policies") else []
        if role is not None:
            allowed = role.get("allowed_policies", [])
            if not wanted:
                wanted = list(allowed) or parent_policies
            elif allowed and not set(wanted) <= set(allowed) | {"default"}:
                raise BadRequest("token policies must be subset of the role's allowed policies")
            if set(wanted) & set(role.get("disallowed_policies", [])):
                raise BadRequest("token policies must not include disallowed policies")
            return wanted
        if not wanted:
            return list(req.policies)
        if not req.is_root and not set(wanted) <= set(req.policies) | {"default"}:
            raise BadRequest("child policies must be subset of parent")
        return wanted

    def _role(self, name: str) -> dict[str, Any]:
        role = self.storage.get_json(f"roles/{name.lower()}")
        if role is None:
            raise BadRequest(f'unknown role "{name}"')
        return role

    # -- lookup ----------------------------------------------------------------------------

    def lookup_self(self, req: Request, _data: FieldData) -> Response:
        """auth/token/lookup-self."""
        entry = req.token_entry
        return Response(data=lookup_data(entry, req.token, self._identity_policies(entry)))

    def lookup(self, req: Request, data: FieldData) -> Response:
        """auth/token/lookup: unknown token -> 403 `bad token`."""
        token_id = data.get("token")
        if not token_id:
            raise BadRequest("missing token ID")
        entry = self.tokens.lookup(token_id)
        if entry is None:
            raise PermissionDenied("bad token")
        return Response(data=lookup_data(entry, token_id, self._identity_policies(entry)))

    def lookup_accessor(self, _req: Request, data: FieldData) -> Response:
        """auth/token/lookup-accessor: the lookup object with an empty `id`."""
        entry = self.tokens.lookup_accessor(data.get("accessor"))
        if entry is None:
            raise BadRequest("invalid accessor")
        return Response(data=lookup_data(entry, "", self._identity_policies(entry)))

    def _identity_policies(self, entry: TokenEntry | None) -> tuple[str, ...]:
        return () if entry is None else self.tokens.identity_policies(entry.entity_id)

    # -- renew -----------------------------------------------------------------------------

    def renew_self(self, req: Request, data: FieldData) -> Response:
        """auth/token/renew-self."""
        return self._renew(req.token_entry, req.token, data.get("increment"))

    def renew(self, _req: Request, data: FieldData) -> Response:
        """auth/token/renew."""
        token_id = data.get("token")
        entry = self.tokens.lookup(token_id) if token_id else None
        if entry is None:
            raise BadRequest("token not found")
        return self._renew(entry, token_id, data.get("increment"))

    def renew_accessor(self, _req: Request, data: FieldData) -> Response:
        """auth/token/renew-accessor: like renew, without revealing the token."""
        entry = self.tokens.lookup_accessor(data.get("accessor"))
        if entry is None:
            raise BadRequest("invalid accessor")
        return self._renew(entry, "", data.get("increment"))

    def _renew(self, entry: TokenEntry, token_id: str, increment: int) -> Response:
        entry, warnings = self.tokens.renew(entry, increment)
        auth = Auth(display_name=entry.display_name)
        fill_auth(auth, token_id, entry)
        auth.lease_duration = max(int(entry.expire_time - now()), 0)
        return Response(auth=auth, warnings=warnings)

    # -- revoke ----------------------------------------------------------------------------

    def revoke_self(self, req: Request, _data: FieldData) -> None:
        """auth/token/revoke-self: the token, its children and their leases."""
        self.tokens.revoke_tree(req.token_entry.id_hash)

    def revoke(self, _req: Request, data: FieldData) -> None:
        """auth/token/revoke (unknown tokens: still 204)."""
        token_id = data.get("token")
        if not token_id:
            raise BadRequest("missing token ID")
        entry = self.tokens.lookup(token_id)
        if entry is not None:
            self.tokens.revoke_tree(entry.id_hash)

    def revoke_accessor(self, _req: Request, data: FieldData) -> Response | None:
        """auth/token/revoke-accessor; unknown accessor -> 200 with a warning."""
        entry = self.tokens.lookup_accessor(data.get("accessor"))
        if entry is None:
            return Response(warnings=["No token found with this accessor"])
        self.tokens.revoke_tree(entry.id_hash)
        return None

    def revoke_orphan(self, _req: Request, data: FieldData) -> None:
        """auth/token/revoke-orphan (sudo): children become orphans."""
        entry = self.tokens.lookup(data.get("token"))
        if entry is None:
            raise InvalidToken()
        self.tokens.revoke_orphan(entry.id_hash)

    def list_accessors(self, _req: Request, _data: FieldData) -> Response:
        """LIST auth/token/accessors (sudo)."""
        keys = self.tokens.accessors()
        if not keys:
            raise NotFound()
        return Response(data={"keys": keys})

    def tidy(self, _req: Request, _data: FieldData) -> Response:
        """auth/token/tidy: expired tokens are swept in the background already."""
        return Response(status=202, warnings=["Tidy operation successfully started."])

    # -- roles -----------------------------------------------------------------------------

    def list_roles(self, _req: Request, _data: FieldData) -> Response:
        """LIST auth/token/roles."""
        keys = self.storage.list("roles/")
        if not keys:
            raise NotFound()
        return Response(data={"keys": keys})

    def read_role(self, _req: Request, data: FieldData) -> Response:
        """GET auth/token/roles/:name."""
        role = self.storage.get_json(f"roles/{data.get('name').lower()}")
        if role is None:
            raise NotFound()
        return Response(data=role)

    def write_role(self, _req: Request, data: FieldData) -> None:
        """POST auth/token/roles/:name."""
        name = data.get("name").lower()
        role: dict[str, Any] = {"name": name}
        for key in ROLE_FIELDS:
            role[key] = data.get(key)
        role["period"] = role["token_period"] = data.get("token_period") or data.get("period")
        role["explicit_max_ttl"] = role["token_explicit_max_ttl"] = data.get(
            "token_explicit_max_ttl"
        ) or data.get("explicit_max_ttl")
        self.storage.put_json(f"roles/{name}", role)

    def delete_role(self, _req: Request, data: FieldData) -> None:
        """DELETE auth/token/roles/:name."""
        self.storage.delete(f"roles/{data.get('name').lower()}")


def _role_int(role: dict[str, Any] | None, key: str) -> int:
    return int(role.get(key) or 0) if role else 0
