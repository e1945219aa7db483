"""Typed manifest kinds: one frozen dataclass per kind, built only from schema-valid documents.

Durations are whole seconds (None when the manifest leaves them unset, so the store's default
applies); lists are tuples; secret values stay as their `ENC[...]` ciphertext.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal, NamedTuple

API_VERSION = "sealkeep.io/v1"

Capability = Literal[
    "create", "read", "update", "patch", "delete", "list", "sudo", "deny", "subscribe", "recover"
]
ParameterValue = str | int | float | bool


class ObjectKey(NamedTuple):
    """Identifies a desired object: its kind and `metadata.name`."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, kw_only=True)
class Metadata:
    """`metadata`: the object's name (unique per kind), owner, labels and annotations."""

    name: str
    owner: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """Base of every kind; `kind` is the manifest's `kind:` value."""

    kind: ClassVar[str] = ""
    metadata: Metadata

    @property
    def name(self) -> str:
        """`metadata.name`."""
        return self.metadata.name

    @property
    def key(self) -> ObjectKey:
        """(kind, name): unique across the desired state."""
        return ObjectKey(self.kind, self.metadata.name)


@dataclass(frozen=True, kw_only=True)
class TokenSettings:
    """The `token_*` fields shared by every auth role (durations in seconds)."""

    policies: tuple[str, ...] = ()
    ttl: int | None = None
    max_ttl: int | None = None
    explicit_max_ttl: int | None = None
    period: int | None = None
    num_uses: int | None = None
    bound_cidrs: tuple[str, ...] = ()
    no_default_policy: bool | None = None
    type: str | None = None


@dataclass(frozen=True, kw_only=True)
class SecretsEngine(Manifest):
    """A secrets engine mount; `version` is set only for type kv (kv-v2 means version 2)."""

    kind: ClassVar[str] = "SecretsEngine"
    path: str
    type: str
    version: int | None = None
    description: str = ""
    default_lease_ttl: int | None = None
    max_lease_ttl: int | None = None
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def kv_version(self) -> int | None:
        """1 or 2 for a kv mount, None for any other engine."""
        if self.type == "kv-v2":
            return 2
        if self.type == "kv":
            return self.version or int(self.options.get("version", "1"))
        return None


@dataclass(frozen=True, kw_only=True)
class JwtAuthConfig:
    """`auth/<mount>/config` of a jwt method: exactly one key source is set."""

    jwks_url: str | None = None
    jwks_ca_pem: str | None = None
    jwt_validation_pubkeys: tuple[str, ...] = ()
    oidc_discovery_url: str | None = None
    oidc_discovery_ca_pem: str | None = None
    bound_issuer: str | None = None
    default_role: str | None = None
    jwt_supported_algs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class KubernetesAuthConfig:
    """`auth/<mount>/config` of a kubernetes method."""

    kubernetes_host: str
    kubernetes_ca_cert: str | None = None
    pem_keys: tuple[str, ...] = ()
    issuer: str | None = None
    disable_iss_validation: bool | None = None
    disable_local_ca_jwt: bool | None = None


@dataclass(frozen=True, kw_only=True)
class AuthMethod(Manifest):
    """An auth method mount; `config` is set only for jwt and kubernetes methods."""

    kind: ClassVar[str] = "AuthMethod"
    path: str
    type: Literal["approle", "jwt", "kubernetes", "userpass", "token", "aws"]
    description: str = ""
    default_lease_ttl: int | None = None
    max_lease_ttl: int | None = None
    config: JwtAuthConfig | KubernetesAuthConfig | None = None


@dataclass(frozen=True, kw_only=True)
class PolicyRule:
    """One `path` stanza of a policy."""

    path: str
    capabilities: tuple[Capability, ...]
    allowed_parameters: Mapping[str, tuple[ParameterValue, ...]] | None = None
    denied_parameters: Mapping[str, tuple[ParameterValue, ...]] | None = None
    required_parameters: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Policy(Manifest):
    """An ACL policy: exactly one of `rules` (YAML) or `hcl` (Vault HCL text) is set.

    Policies read from `policies/*.hcl` have `hcl` set and `metadata.name` = the file stem.
    """

    kind: ClassVar[str] = "Policy"
    rules: tuple[PolicyRule, ...] = ()
    hcl: str | None = None


@dataclass(frozen=True, kw_only=True)
class AppRole(Manifest):
    """An AppRole role on the approle auth mount `mount`."""

    kind: ClassVar[str] = "AppRole"
    mount: str = "approle"
    token: TokenSettings = field(default_factory=TokenSettings)
    bind_secret_id: bool | None = None
    secret_id_ttl: int | None = None
    secret_id_num_uses: int | None = None
    secret_id_bound_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class JWTRole(Manifest):
    """A jwt role (role_type jwt) on the jwt auth mount `mount`; binds at least one claim."""

    kind: ClassVar[str] = "JWTRole"
    mount: str = "jwt"
    role_type: Literal["jwt"] = "jwt"
    user_claim: str
    bound_audiences: tuple[str, ...] = ()
    bound_subject: str | None = None
    bound_claims: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)
    bound_claims_type: Literal["string", "glob"] | None = None
    claim_mappings: Mapping[str, str] = field(default_factory=dict)
    token: TokenSettings = field(default_factory=TokenSettings)


@dataclass(frozen=True, kw_only=True)
class KubernetesRole(Manifest):
    """A role on the kubernetes auth mount `mount`."""

    kind: ClassVar[str] = "KubernetesRole"
    mount: str = "kubernetes"
    bound_service_account_names: tuple[str, ...]
    bound_service_account_namespaces: tuple[str, ...]
    audience: str | None = None
    token: TokenSettings = field(default_factory=TokenSettings)


@dataclass(frozen=True, kw_only=True)
class AwsAuthRole(Manifest):
    """An `iam` role on the aws auth mount `mount`: the IAM principals (ARNs, `*` globs)
    that may log in, and the token they get."""

    kind: ClassVar[str] = "AwsAuthRole"
    mount: str = "aws"
    auth_type: Literal["iam"] = "iam"
    bound_iam_principal_arn: tuple[str, ...]
    resolve_aws_unique_ids: bool | None = None
    token: TokenSettings = field(default_factory=TokenSettings)


@dataclass(frozen=True, kw_only=True)
class Secret(Manifest):
    """A kv secret from a SOPS file: `data` maps each key to its `ENC[...]` ciphertext.

    Decrypting needs the whole SOPS file (its MAC covers every value), which is the file
    named by the object's span in the DesiredState.
    """

    kind: ClassVar[str] = "Secret"
    mount: str
    path: str
    data: Mapping[str, str]


@dataclass(frozen=True, kw_only=True)
class AuditDevice(Manifest):
    """An audit device; options are as Vault takes them (strings)."""

    kind: ClassVar[str] = "AuditDevice"
    path: str
    type: Literal["file", "socket"]
    description: str = ""
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class DatabaseConnection(Manifest):
    """A database connection; `password` is the `ENC[...]` ciphertext, or None when unset."""

    kind: ClassVar[str] = "DatabaseConnection"
    mount: str = "database"
    plugin_name: Literal["postgresql-database-plugin", "mysql-database-plugin"]
    connection_url: str
    username: str | None = None
    password: str | None = None
    allowed_roles: tuple[str, ...] = ()
    verify_connection: bool | None = None
    max_open_connections: int | None = None
    password_policy: str | None = None
    root_rotation_statements: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DatabaseRole(Manifest):
    """A dynamic database role on connection `db_name`."""

    kind: ClassVar[str] = "DatabaseRole"
    mount: str = "database"
    db_name: str
    creation_statements: tuple[str, ...]
    revocation_statements: tuple[str, ...] = ()
    rollback_statements: tuple[str, ...] = ()
    renew_statements: tuple[str, ...] = ()
    default_ttl: int | None = None
    max_ttl: int | None = None


@dataclass(frozen=True, kw_only=True)
class DatabaseStaticRole(Manifest):
    """A static role: exactly one of `rotation_period` (seconds) or `rotation_schedule` (cron)."""

    kind: ClassVar[str] = "DatabaseStaticRole"
    mount: str = "database"
    db_name: str
    username: str
    rotation_period: int | None = None
    rotation_schedule: str | None = None
    rotation_statements: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RateLimitQuota(Manifest):
    """A rate-limit quota: at most `rate` requests per `interval` seconds per client address.

    `path` is "" (every request), a mount (`secret`, `auth/approle`), an API path under one, or
    a glob ending in `*`; `role` (an auth method's role) needs `path` to be that auth mount.
    """

    kind: ClassVar[str] = "RateLimitQuota"
    rate: float
    path: str = ""
    interval: int | None = None
    block_interval: int | None = None
    role: str = ""


@dataclass(frozen=True, kw_only=True)
class TransitKey(Manifest):
    """A named key of a transit engine (`<mount>/keys/<key_name>`).

    `type`, `derived` and `convergent_encryption` are fixed at creation (a change replaces
    the key and destroys its material); `exportable` and `allow_plaintext_backup` can only be
    turned on. Unset fields take the store's defaults. `key_name` defaults to metadata.name.
    """

    kind: ClassVar[str] = "TransitKey"
    mount: str = "transit"
    key_name: str = ""
    type: str = "aes256-gcm96"
    derived: bool = False
    convergent_encryption: bool = False
    exportable: bool = False
    allow_plaintext_backup: bool = False
    deletion_allowed: bool = False
    min_decryption_version: int = 1
    min_encryption_version: int = 0
    auto_rotate_period: int = 0


AuthRole = AppRole | JWTRole | KubernetesRole | AwsAuthRole
AUTH_ROLE_KINDS: tuple[type[AuthRole], ...] = (
    AppRole,
    JWTRole,
    KubernetesRole,
    AwsAuthRole,
)
ALL_KINDS: tuple[type[Manifest], ...] = (
    SecretsEngine,
    AuthMethod,
    AuditDevice,
    Policy,
    AppRole,
    JWTRole,
    KubernetesRole,
    AwsAuthRole,
    Secret,
    DatabaseConnection,
    DatabaseRole,
    DatabaseStaticRole,
    RateLimitQuota,
    TransitKey,
)
KIND_BY_NAME: Mapping[str, type[Manifest]] = {k.kind: k for k in ALL_KINDS}
