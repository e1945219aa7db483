"""Auth roles (AppRole, JWT, Kubernetes, AWS) at `auth/<mount>/role/<name>`.

Each kind declares its managed fields once (default and normaliser); the desired payload and
the live read are both projected through that table, and apply writes every field, so
removing a field from a manifest resets it to the store's default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

import hvac

from reconciler.gitops.live.handlers import StoreView, read_data
from reconciler.gitops.live.model import Fields, ObjectRef, ObjectState
from reconciler.gitops.live.normalise import (
    TOKEN_TABLE,
    FieldTable,
    as_bool,
    as_cidrs,
    as_claims,
    as_int,
    as_str,
    as_str_map,
    as_strs,
    plain,
    project,
    token_payload,
)
from reconciler.gitops.live.payloads import (
    AppRolePayload,
    AwsAuthRolePayload,
    JWTRolePayload,
    KubernetesRolePayload,
    RolePayload,
)
from reconciler.gitops.manifests import kinds as k

APPROLE_TABLE: FieldTable = {
    "bind_secret_id": (True, as_bool),
    "secret_id_ttl": (0, as_int),
    "secret_id_num_uses": (0, as_int),
    "secret_id_bound_cidrs": ((), as_cidrs),
    **TOKEN_TABLE,
}
JWT_ROLE_TABLE: FieldTable = {
    "role_type": ("jwt", as_str),
    "user_claim": ("sub", as_str),
    "bound_audiences": ((), as_strs),
    "bound_subject": ("", as_str),
    "bound_claims": ({}, as_claims),
    "bound_claims_type": ("string", as_str),
    "claim_mappings": ({}, as_str_map),
    **TOKEN_TABLE,
}
KUBERNETES_ROLE_TABLE: FieldTable = {
    "bound_service_account_names": ((), as_strs),
    "bound_service_account_namespaces": ((), as_strs),
    "audience": ("", as_str),
    **TOKEN_TABLE,
}
AWS_ROLE_TABLE: FieldTable = {
    "auth_type": ("iam", as_str),
    "bound_iam_principal_arn": ((), as_strs),
    "resolve_aws_unique_ids": (True, as_bool),
    **TOKEN_TABLE,
}


def _approle(obj: k.Manifest) -> AppRolePayload:
    role = cast(k.AppRole, obj)
    return {
        "bind_secret_id": role.bind_secret_id,
        "secret_id_ttl": role.secret_id_ttl,
        "secret_id_num_uses": role.secret_id_num_uses,
        "secret_id_bound_cidrs": role.secret_id_bound_cidrs,
        **token_payload(role.token),
    }


def _jwt_role(obj: k.Manifest) -> JWTRolePayload:
    role = cast(k.JWTRole, obj)
    return {
        "role_type": role.role_type,
        "user_claim": role.user_claim,
        "bound_audiences": role.bound_audiences,
        "bound_subject": role.bound_subject,
        "bound_claims": role.bound_claims,
        "bound_claims_type": role.bound_claims_type,
        "claim_mappings": role.claim_mappings,
        **token_payload(role.token),
    }


def _kubernetes_role(obj: k.Manifest) -> KubernetesRolePayload:
    role = cast(k.KubernetesRole, obj)
    return {
        "bound_service_account_names": role.bound_service_account_names,
        "bound_service_account_namespaces": role.bound_service_account_namespaces,
        "audience": role.audience,
        **token_payload(role.token),
    }


def _aws_role(obj: k.Manifest) -> AwsAuthRolePayload:
    role = cast(k.AwsAuthRole, obj)
    return {
        "auth_type": role.auth_type,
        "bound_iam_principal_arn": role.bound_iam_principal_arn,
        "resolve_aws_unique_ids": role.resolve_aws_unique_ids,
        **token_payload(role.token),
    }


class _RoleHandler:
    """Shared behaviour: address, projection through the table, full-payload writes."""

    kind: ClassVar[str] = ""
    replace_on: ClassVar[frozenset[str]] = frozenset()
    table: ClassVar[FieldTable] = {}

    def payload(self, obj: k.Manifest) -> RolePayload:
        """The request fields the manifest sets (None: unset)."""
        raise LookupError(self.kind)

    def ref(self, obj: k.Manifest, view: StoreView) -> ObjectRef:
        """`auth/<mount>/role/<name>`."""
        mount = cast(k.AppRole, obj).mount
        return ObjectRef(self.kind, obj.name, f"auth/{mount}/role/{obj.name}")

    def desired(self, obj: k.Manifest, ref: ObjectRef, secret: Fields | None) -> ObjectState:
        """Every managed field, defaults filled in."""
        return ObjectState(ref, project(self.payload(obj), self.table))

    def read(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> ObjectState | None:
        """One GET of the role."""
        data = read_data(client, ref.address)
        return None if data is None else ObjectState(ref, project(data, self.table))

    def write(self, client: hvac.Client, state: ObjectState, exists: bool, view: StoreView) -> None:
        """Write every managed field."""
        body: Mapping[str, Any] = {a: plain(b) for a, b in state.fields.items()}
        client.write_data(state.ref.address, data=dict(body))

    def delete(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> None:
        """Delete the role."""
        client.delete(ref.address)


class AppRoleHandler(_RoleHandler):
    """An AppRole role."""

    kind: ClassVar[str] = "AppRole"
    table: ClassVar[FieldTable] = APPROLE_TABLE

    def payload(self, obj: k.Manifest) -> AppRolePayload:
        """The AppRole request fields."""
        return _approle(obj)


class JWTRoleHandler(_RoleHandler):
    """A jwt role."""

    kind: ClassVar[str] = "JWTRole"
    table: ClassVar[FieldTable] = JWT_ROLE_TABLE

    def payload(self, obj: k.Manifest) -> JWTRolePayload:
        """The jwt role request fields."""
        return _jwt_role(obj)


class KubernetesRoleHandler(_RoleHandler):
    """A kubernetes role."""

    kind: ClassVar[str] = "KubernetesRole"
    table: ClassVar[FieldTable] = KUBERNETES_ROLE_TABLE

    def payload(self, obj: k.Manifest) -> KubernetesRolePayload:
        """The kubernetes role request fields."""
        return _kubernetes_role(obj)


class AwsAuthRoleHandler(_RoleHandler):
    """An aws auth role (iam login type)."""

    kind: ClassVar[str] = "AwsAuthRole"
    table: ClassVar[FieldTable] = AWS_ROLE_TABLE

    def payload(self, obj: k.Manifest) -> AwsAuthRolePayload:
        """The aws role request fields."""
        return _aws_role(obj)
