"""The request fields a manifest asks the store to set, one typed shape per kind.

A handler builds its kind's payload from the manifest (None: the manifest leaves the field
unset, so the store's default applies) and projects it through the kind's field table into
the normalised `Fields` that plan compares and apply writes. Field names are the Vault API's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypedDict


class TokenPayload(TypedDict):
    """The `token_*` fields every auth role shares (durations in seconds)."""

    token_policies: tuple[str, ...]
    token_ttl: int | None
    token_max_ttl: int | None
    token_explicit_max_ttl: int | None
    token_period: int | None
    token_num_uses: int | None
    token_bound_cidrs: tuple[str, ...]
    token_no_default_policy: bool | None
    token_type: str | None


class AppRolePayload(TokenPayload):
    """An AppRole role's fields."""

    bind_secret_id: bool | None
    secret_id_ttl: int | None
    secret_id_num_uses: int | None
    secret_id_bound_cidrs: tuple[str, ...]


class JWTRolePayload(TokenPayload):
    """A jwt role's fields."""

    role_type: str
    user_claim: str
    bound_audiences: tuple[str, ...]
    bound_subject: str | None
    bound_claims: Mapping[str, str | tuple[str, ...]]
    bound_claims_type: str | None
    claim_mappings: Mapping[str, str]


class KubernetesRolePayload(TokenPayload):
    """A kubernetes role's fields."""

    bound_service_account_names: tuple[str, ...]
    bound_service_account_namespaces: tuple[str, ...]
    audience: str | None


class DatabaseRolePayload(TypedDict):
    """A dynamic database role's fields (TTLs in seconds)."""

    db_name: str
    creation_statements: tuple[str, ...]
    revocation_statements: tuple[str, ...]
    rollback_statements: tuple[str, ...]
    renew_statements: tuple[str, ...]
    default_ttl: int | None
    max_ttl: int | None


class DatabaseStaticRolePayload(TypedDict):
    """A static database role's fields: one of `rotation_period` or `rotation_schedule`."""

    db_name: str
    username: str
    rotation_period: int | None
    rotation_schedule: str | None
    rotation_statements: tuple[str, ...]


class AwsAuthRolePayload(TokenPayload):
    """An aws (iam) role's fields."""

    auth_type: str
    bound_iam_principal_arn: tuple[str, ...]
    resolve_aws_unique_ids: bool | None


RolePayload = AppRolePayload | JWTRolePayload | KubernetesRolePayload | AwsAuthRolePayload
"""An auth role's fields."""

DatabaseTablePayload = DatabaseRolePayload | DatabaseStaticRolePayload
"""A database role's fields."""
