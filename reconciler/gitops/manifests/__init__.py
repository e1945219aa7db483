"""Manifests: read YAML with line numbers, validate (schema + references), typed kinds.

`load_repo(root)` is the entry point; it returns a LoadResult holding the DesiredState (or
None) and every Diagnostic found, sorted by file and line.
"""

from reconciler.gitops.manifests.config import (
    ApplyConfig,
    ConfigError,
    LintConfig,
    RepoConfig,
    RepoNotFound,
    Target,
    TargetAuth,
    find_repo_root,
    load_config,
)
from reconciler.gitops.manifests.diagnostics import Diagnostic, Severity
from reconciler.gitops.manifests.kinds import (
    ALL_KINDS,
    API_VERSION,
    AppRole,
    AuditDevice,
    AuthMethod,
    AwsAuthRole,
    DatabaseConnection,
    DatabaseRole,
    DatabaseStaticRole,
    JwtAuthConfig,
    JWTRole,
    KubernetesAuthConfig,
    KubernetesRole,
    Manifest,
    Metadata,
    ObjectKey,
    Policy,
    PolicyRule,
    RateLimitQuota,
    Secret,
    SecretsEngine,
    TokenSettings,
)
from reconciler.gitops.manifests.loader import DesiredState, LoadResult, load_repo
from reconciler.gitops.manifests.source import Span

__all__ = [
    "ALL_KINDS",
    "API_VERSION",
    "AppRole",
    "ApplyConfig",
    "AuditDevice",
    "AuthMethod",
    "AwsAuthRole",
    "ConfigError",
    "DatabaseConnection",
    "DatabaseRole",
    "DatabaseStaticRole",
    "DesiredState",
    "Diagnostic",
    "JWTRole",
    "JwtAuthConfig",
    "KubernetesAuthConfig",
    "KubernetesRole",
    "LintConfig",
    "LoadResult",
    "Manifest",
    "Metadata",
    "ObjectKey",
    "Policy",
    "PolicyRule",
    "RateLimitQuota",
    "RepoConfig",
    "RepoNotFound",
    "Secret",
    "SecretsEngine",
    "Severity",
    "Span",
    "Target",
    "TargetAuth",
    "TokenSettings",
    "find_repo_root",
    "load_config",
    "load_repo",
]
