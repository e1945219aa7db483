"""Build typed kinds from documents that already passed their schema.

The schema has checked every type, so these readers only narrow and convert: durations to
seconds, lists to tuples, statements to a tuple of strings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from reconciler.gitops.manifests import kinds as k
from reconciler.vocabulary.durations import parse_duration

Fields = Mapping[str, Any]


def _str(spec: Fields, key: str) -> str | None:
    value = spec.get(key)
    return None if value is None else str(value)


def _dur(spec: Fields, key: str) -> int | None:
    value = spec.get(key)
    return None if value is None else parse_duration(value)


def _int(spec: Fields, key: str) -> int | None:
    value = spec.get(key)
    return None if value is None else int(value)


def _bool(spec: Fields, key: str) -> bool | None:
    value = spec.get(key)
    return None if value is None else bool(value)


def _strs(spec: Fields, key: str) -> tuple[str, ...]:
    value = spec.get(key)
    if value is None:
        return ()
    # Statements may be one string or a list of them.
    return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)


def _map(spec: Fields, key: str) -> dict[str, str]:
    return {str(a): str(b) for a, b in (spec.get(key) or {}).items()}


def metadata(doc: Fields) -> k.Metadata:
    """The typed `metadata` block of a document."""
    meta = doc["metadata"]
    return k.Metadata(
        name=str(meta["name"]),
        owner=_str(meta, "owner"),
        labels=_map(meta, "labels"),
        annotations=_map(meta, "annotations"),
    )


def token_settings(spec: Fields) -> k.TokenSettings:
    """The `token_*` fields of an auth role."""
    return k.TokenSettings(
        policies=_strs(spec, "token_policies"),
        ttl=_dur(spec, "token_ttl"),
        max_ttl=_dur(spec, "token_max_ttl"),
        explicit_max_ttl=_dur(spec, "token_explicit_max_ttl"),
        period=_dur(spec, "token_period"),
        num_uses=_int(spec, "token_num_uses"),
        bound_cidrs=_strs(spec, "token_bound_cidrs"),
        no_default_policy=_bool(spec, "token_no_default_policy"),
        type=_str(spec, "token_type"),
    )


def _secrets_engine(meta: k.Metadata, spec: Fields) -> k.SecretsEngine:
    return k.SecretsEngine(
        metadata=meta,
        path=str(spec["path"]).rstrip("/"),
        type=str(spec["type"]),
        version=_int(spec, "version"),
        description=_str(spec, "description") or "",
        default_lease_ttl=_dur(spec, "default_lease_ttl"),
        max_lease_ttl=_dur(spec, "max_lease_ttl"),
        options=_map(spec, "options"),
    )


def _auth_config(
    kind: str, config: Fields | None
) -> k.JwtAuthConfig | k.KubernetesAuthConfig | None:
    if config is None:
        return None
    if kind == "jwt":
        return k.JwtAuthConfig(
            jwks_url=_str(config, "jwks_url"),
            jwks_ca_pem=_str(config, "jwks_ca_pem"),
            jwt_validation_pubkeys=_strs(config, "jwt_validation_pubkeys"),
            oidc_discovery_url=_str(config, "oidc_discovery_url"),
            oidc_discovery_ca_pem=_str(config, "oidc_discovery_ca_pem"),
            bound_issuer=_str(config, "bound_issuer"),
            default_role=_str(config, "default_role"),
            jwt_supported_algs=_strs(config, "jwt_supported_algs"),
        )
    return k.KubernetesAuthConfig(
        kubernetes_host=str(config["kubernetes_host"]),
        kubernetes_ca_cert=_str(config, "kubernetes_ca_cert"),
        pem_keys=_strs(config, "pem_keys"),
        issuer=_str(config, "issuer"),
        disable_iss_validation=_bool(config, "disable_iss_validation"),
        disable_local_ca_jwt=_bool(config, "disable_local_ca_jwt"),
    )


def _auth_method(meta: k.Metadata, spec: Fields) -> k.AuthMethod:
    method = str(spec["type"])
    return k.AuthMethod(
        metadata=meta,
        path=str(spec["path"]).rstrip("/"),
        type=cast(Any, method),
        description=_str(spec, "description") or "",
        default_lease_ttl=_dur(spec, "default_lease_ttl"),
        max_lease_ttl=_dur(spec, "max_lease_ttl"),
        config=_auth_config(method, spec.get("config")),
    )


def _parameters(rule: Fields, key: str) -> dict[str, tuple[k.ParameterValue, ...]] | None:
    value = rule.get(key)
    return None if value is None else {str(a): tuple(b) for a, b in value.items()}


def _policy(meta: k.Metadata, spec: Fields) -> k.Policy:
    rules = tuple(
        k.PolicyRule(
            path=str(rule["path"]),
            capabilities=tuple(rule["capabilities"]),
            allowed_parameters=_parameters(rule, "allowed_parameters"),
            denied_parameters=_parameters(rule, "denied_parameters"),
            required_parameters=_strs(rule, "required_parameters"),
        )
        for rule in spec.get("rules") or ()
    )
    return k.Policy(metadata=meta, rules=rules, hcl=_str(spec, "hcl"))


def _approle(meta: k.Metadata, spec: Fields) -> k.AppRole:
    return k.AppRole(
        metadata=meta,
        mount=_mount(spec, "approle"),
        token=token_settings(spec),
        bind_secret_id=_bool(spec, "bind_secret_id"),
        secret_id_ttl=_dur(spec, "secret_id_ttl"),
        secret_id_num_uses=_int(spec, "secret_id_num_uses"),
        secret_id_bound_cidrs=_strs(spec, "secret_id_bound_cidrs"),
    )


def _jwt_role(meta: k.Metadata, spec: Fields) -> k.JWTRole:
    claims = {
        str(name): (value if isinstance(value, str) else tuple(value))
        for name, value in (spec.get("bound_claims") or {}).items()
    }
    return k.JWTRole(
        metadata=meta,
        mount=_mount(spec, "jwt"),
        user_claim=str(spec["user_claim"]),
        bound_audiences=_strs(spec, "bound_audiences"),
        bound_subject=_str(spec, "bound_subject"),
        bound_claims=claims,
        bound_claims_type=cast(Any, _str(spec, "bound_claims_type")),
        claim_mappings=_map(spec, "claim_mappings"),
        token=token_settings(spec),
    )


def _kubernetes_role(meta: k.Metadata, spec: Fields) -> k.KubernetesRole:
    return k.KubernetesRole(
        metadata=meta,
        mount=_mount(spec, "kubernetes"),
        bound_service_account_names=_strs(spec, "bound_service_account_names"),
        bound_service_account_namespaces=_strs(spec, "bound_service_account_namespaces"),
        audience=_str(spec, "audience"),
        token=token_settings(spec),
    )


def _aws_auth_role(meta: k.Metadata, spec: Fields) -> k.AwsAuthRole:
    return k.AwsAuthRole(
        metadata=meta,
        mount=_mount(spec, "aws"),
        bound_iam_principal_arn=_strs(spec, "bound_iam_principal_arn"),
        resolve_aws_unique_ids=_bool(spec, "resolve_aws_unique_ids"),
        token=token_settings(spec),
    )


def _secret(meta: k.Metadata, spec: Fields) -> k.Secret:
    return k.Secret(
        metadata=meta, mount=_mount(spec, ""), path=str(spec["path"]), data=_map(spec, "data")
    )


def _audit_device(meta: k.Metadata, spec: Fields) -> k.AuditDevice:
    options = {
        str(key): (str(value).lower() if isinstance(value, bool) else str(value))
        for key, value in (spec.get("options") or {}).items()
    }
    return k.AuditDevice(
        metadata=meta,
        path=str(spec["path"]).rstrip("/"),
        type=cast(Any, str(spec["type"])),
        description=_str(spec, "description") or "",
        options=options,
    )


def _database_connection(meta: k.Metadata, spec: Fields) -> k.DatabaseConnection:
    return k.DatabaseConnection(
        metadata=meta,
        mount=_mount(spec, "database"),
        plugin_name=cast(Any, str(spec["plugin_name"])),
        connection_url=str(spec["connection_url"]),
        username=_str(spec, "username"),
        password=_str(spec, "password"),
        allowed_roles=_strs(spec, "allowed_roles"),
        verify_connection=_bool(spec, "verify_connection"),
        max_open_connections=_int(spec, "max_open_connections"),
        password_policy=_str(spec, "password_policy"),
        root_rotation_statements=_strs(spec, "root_rotation_statements"),
    )


def _database_role(meta: k.Metadata, spec: Fields) -> k.DatabaseRole:
    return k.DatabaseRole(
        metadata=meta,
        mount=_mount(spec, "database"),
        db_name=str(spec["db_name"]),
        creation_statements=_strs(spec, "creation_statements"),
        revocation_statements=_strs(spec, "revocation_statements"),
        rollback_statements=_strs(spec, "rollback_statements"),
        renew_statements=_strs(spec, "renew_statements"),
        default_ttl=_dur(spec, "default_ttl"),
        max_ttl=_dur(spec, "max_ttl"),
    )


def _database_static_role(meta: k.Metadata, spec: Fields) -> k.DatabaseStaticRole:
    return k.DatabaseStaticRole(
        metadata=meta,
        mount=_mount(spec, "database"),
        db_name=str(spec["db_name"]),
        username=str(spec["username"]),
        rotation_period=_dur(spec, "rotation_period"),
        rotation_schedule=_str(spec, "rotation_schedule"),
        rotation_statements=_strs(spec, "rotation_statements"),
    )


def _rate_limit_quota(meta: k.Metadata, spec: Fields) -> k.RateLimitQuota:
    rate = spec["rate"]
    return k.RateLimitQuota(
        metadata=meta,
        rate=float(rate),
        path=str(spec.get("path") or "").lstrip("/"),
        interval=_dur(spec, "interval"),
        block_interval=_dur(spec, "block_interval"),
        role=str(spec.get("role") or ""),
    )


def _transit_key(meta: k.Metadata, spec: Fields) -> k.TransitKey:
    return k.TransitKey(
        metadata=meta,
        mount=_mount(spec, "transit"),
        key_name=str(spec.get("name") or meta.name),
        type=str(spec.get("type") or "aes256-gcm96"),
        derived=bool(spec.get("derived", False)),
        convergent_encryption=bool(spec.get("convergent_encryption", False)),
        exportable=bool(spec.get("exportable", False)),
        allow_plaintext_backup=bool(spec.get("allow_plaintext_backup", False)),
        deletion_allowed=bool(spec.get("deletion_allowed", False)),
        min_decryption_version=int(spec.get("min_decryption_version", 1)),
        min_encryption_version=int(spec.get("min_encryption_version", 0)),
        auto_rotate_period=_dur(spec, "auto_rotate_period") or 0,
    )


def _mount(spec: Fields, default: str) -> str:
    return str(spec.get("mount") or default).rstrip("/")


_BUILDERS: Mapping[str, Callable[[k.Metadata, Fields], k.Manifest]] = {
    "SecretsEngine": _secrets_engine,
    "AuthMethod": _auth_method,
    "Policy": _policy,
    "AppRole": _approle,
    "JWTRole": _jwt_role,
    "KubernetesRole": _kubernetes_role,
    "AwsAuthRole": _aws_auth_role,
    "Secret": _secret,
    "AuditDevice": _audit_device,
    "DatabaseConnection": _database_connection,
    "DatabaseRole": _database_role,
    "DatabaseStaticRole": _database_static_role,
    "RateLimitQuota": _rate_limit_quota,
    "TransitKey": _transit_key,
}


def build_manifest(doc: Fields) -> k.Manifest:
    """The typed object for a schema-valid document (its `kind` must be a known kind)."""
    return _BUILDERS[str(doc["kind"])](metadata(doc), doc["spec"])
