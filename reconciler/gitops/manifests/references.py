"""Cross-object checks: every name or mount an object refers to must be declared in the repo.

What is declared is gathered from every document, including those that failed their schema,
so one broken file does not cascade into "not declared" errors elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from reconciler.gitops.manifests import kinds as k
from reconciler.gitops.manifests.diagnostics import Diagnostic
from reconciler.gitops.manifests.source import Document, JsonPath, Span

KV_TYPES = frozenset({"kv", "kv-v2"})
# Vault attaches `default` to every token unless told not to; it always exists.
BUILTIN_POLICIES = frozenset({"default"})


@dataclass(frozen=True)
class Loaded:
    """A typed object, the document it came from (None for an HCL file) and its span."""

    obj: k.Manifest
    doc: Document | None
    span: Span

    def at(self, path: JsonPath) -> Span:
        """The span of `path` in the document, or of the nearest key above it."""
        if self.doc is None:
            return self.span
        return self.doc.spans.get(path) or self.doc.key_span(path)

    def problem(self, path: JsonPath, message: str) -> Diagnostic:
        """A diagnostic about this object at `path`."""
        return Diagnostic.at(
            self.at(path), message, kind=self.obj.kind, name=self.obj.name, json_path=path
        )


@dataclass
class Catalog:
    """Names per kind, and mount types per path, declared anywhere in the repo."""

    names: dict[str, set[str]] = field(default_factory=dict)
    engines: dict[str, str | None] = field(default_factory=dict)
    auth: dict[str, str | None] = field(default_factory=dict)

    def declare(self, kind: str, name: str, spec: object) -> None:
        """Record a document's (kind, name) and, for mounts, its path and type (best effort)."""
        self.names.setdefault(kind, set()).add(name)
        if kind not in ("SecretsEngine", "AuthMethod") or not isinstance(spec, Mapping):
            return
        path, mount_type = spec.get("path"), spec.get("type")
        if isinstance(path, str):
            table = self.engines if kind == "SecretsEngine" else self.auth
            table.setdefault(path.rstrip("/"), mount_type if isinstance(mount_type, str) else None)

    def has(self, kind: str, name: str) -> bool:
        """True when some document declares (kind, name)."""
        return name in self.names.get(kind, set())


def _token_policies(item: Loaded, catalog: Catalog, policies_dir: str) -> list[Diagnostic]:
    if not isinstance(item.obj, k.AuthRole):
        return []
    found = []
    for index, policy in enumerate(item.obj.token.policies):
        if policy in BUILTIN_POLICIES or catalog.has("Policy", policy):
            continue
        message = (
            f"policy '{policy}' is not declared "
            f"(no Policy/{policy} manifest or {policies_dir}/{policy}.hcl)"
        )
        found.append(item.problem(("spec", "token_policies", index), message))
    return found


_AUTH_TYPE = {
    "AppRole": "approle",
    "JWTRole": "jwt",
    "KubernetesRole": "kubernetes",
    "AwsAuthRole": "aws",
}


def _auth_mount(item: Loaded, catalog: Catalog) -> list[Diagnostic]:
    if not isinstance(item.obj, k.AuthRole):
        return []
    wanted, mount = _AUTH_TYPE[item.obj.kind], item.obj.mount
    if mount not in catalog.auth:
        message = (
            f"auth mount '{mount}' is not declared "
            f"(add an AuthMethod with path {mount} and type {wanted})"
        )
        return [item.problem(("spec", "mount"), message)]
    actual = catalog.auth[mount]
    if actual is not None and actual != wanted:
        return [item.problem(("spec", "mount"), f"auth mount '{mount}' is {actual}, not {wanted}")]
    return []


_FAMILY_TYPES = {
    "kv": KV_TYPES,
    "database": frozenset({"database"}),
    "transit": frozenset({"transit"}),
}
_FAMILY_SUGGESTION = {"kv": "kv-v2", "database": "database", "transit": "transit"}


def _engine(item: Loaded, catalog: Catalog, mount: str, family: str) -> list[Diagnostic]:
    suggested = _FAMILY_SUGGESTION[family]
    if mount not in catalog.engines:
        message = (
            f"{family} mount '{mount}' is not declared "
            f"(add a SecretsEngine with path {mount} and type {suggested})"
        )
        return [item.problem(("spec", "mount"), message)]
    actual = catalog.engines[mount]
    if actual is not None and actual not in _FAMILY_TYPES[family]:
        message = f"mount '{mount}' is a {actual} engine, not {family}"
        return [item.problem(("spec", "mount"), message)]
    return []


def _secret(item: Loaded, catalog: Catalog, _: str) -> list[Diagnostic]:
    if not isinstance(item.obj, k.Secret):
        return []
    return _engine(item, catalog, item.obj.mount, "kv")


def _database(item: Loaded, catalog: Catalog, _: str) -> list[Diagnostic]:
    obj = item.obj
    if not isinstance(obj, k.DatabaseConnection | k.DatabaseRole | k.DatabaseStaticRole):
        return []
    found = _engine(item, catalog, obj.mount, "database")
    if isinstance(obj, k.DatabaseConnection) or catalog.has("DatabaseConnection", obj.db_name):
        return found
    message = f"database connection '{obj.db_name}' is not declared (no DatabaseConnection)"
    found.append(item.problem(("spec", "db_name"), message))
    return found


def _transit_key(item: Loaded, catalog: Catalog, _: str) -> list[Diagnostic]:
    """A key's mount must be a declared transit engine."""
    if not isinstance(item.obj, k.TransitKey):
        return []
    return _engine(item, catalog, item.obj.mount, "transit")


_ROLE_QUOTA_TYPES = frozenset({"approle", "jwt", "kubernetes", "aws"})


def _rate_limit_quota(item: Loaded, catalog: Catalog, _: str) -> list[Diagnostic]:
    """A role quota's path must be a declared auth method whose logins name a role."""
    obj = item.obj
    if not isinstance(obj, k.RateLimitQuota) or not obj.role:
        return []
    mount = obj.path.strip("/").removeprefix("auth/") if obj.path.startswith("auth/") else None
    if mount is None or mount not in catalog.auth:
        message = (
            f"a quota with a role needs path to be a declared auth method "
            f"(auth/<path> of an approle, jwt, kubernetes or aws AuthMethod), not '{obj.path}'"
        )
        return [item.problem(("spec", "path"), message)]
    actual = catalog.auth[mount]
    if actual is not None and actual not in _ROLE_QUOTA_TYPES:
        message = f"auth mount '{mount}' is {actual}: its logins name no role to limit"
        return [item.problem(("spec", "role"), message)]
    return []


def _auth_role(item: Loaded, catalog: Catalog, policies_dir: str) -> list[Diagnostic]:
    return _auth_mount(item, catalog) + _token_policies(item, catalog, policies_dir)


_CHECKS: Mapping[str, Callable[[Loaded, Catalog, str], list[Diagnostic]]] = {
    "AppRole": _auth_role,
    "JWTRole": _auth_role,
    "KubernetesRole": _auth_role,
    "AwsAuthRole": _auth_role,
    "Secret": _secret,
    "DatabaseConnection": _database,
    "DatabaseRole": _database,
    "DatabaseStaticRole": _database,
    "RateLimitQuota": _rate_limit_quota,
    "TransitKey": _transit_key,
}


def _mount_clashes(items: Iterable[Loaded]) -> list[Diagnostic]:
    """Two mounts of one family (engines, auth methods, audit devices) on one path."""
    first: dict[tuple[str, str], Loaded] = {}
    found = []
    for item in items:
        obj = item.obj
        if not isinstance(obj, k.SecretsEngine | k.AuthMethod | k.AuditDevice):
            continue
        other = first.setdefault((obj.kind, obj.path), item)
        if other is not item:
            message = f"path '{obj.path}' is also used by {other.obj.key} ({other.span})"
            found.append(item.problem(("spec", "path"), message))
    return found


def reference_problems(
    items: Iterable[Loaded], catalog: Catalog, policies_dir: str = "policies"
) -> list[Diagnostic]:
    """Every dangling reference and mount clash among `items`."""
    listed = list(items)
    found = _mount_clashes(listed)
    for item in listed:
        check = _CHECKS.get(item.obj.kind)
        if check is not None:
            found.extend(check(item, catalog, policies_dir))
    return found
