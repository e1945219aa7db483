"""Live objects back into manifests: one spec builder per kind, each the inverse of its
handler's `desired` (fields at their default are left out, as a person would write them)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from reconciler.gitops.live.database import CONNECTION_TABLE, ROLE_TABLE, STATIC_ROLE_TABLE
from reconciler.gitops.live.model import FieldValue, ObjectState
from reconciler.gitops.live.mounts import CONFIG_TABLES
from reconciler.gitops.live.normalise import FieldTable, plain
from reconciler.gitops.live.quotas import QUOTA_FIELDS
from reconciler.gitops.live.roles import (
    APPROLE_TABLE,
    AWS_ROLE_TABLE,
    JWT_ROLE_TABLE,
    KUBERNETES_ROLE_TABLE,
)
from reconciler.gitops.live.transit import TRANSIT_KEY_FIELDS

API_VERSION = "sealkeep.io/v1"
SECRETS_ENGINE_TYPES = frozenset(
    {"kv", "database", "transit", "pki", "ssh", "totp", "kubernetes", "ldap"}
)
AUTH_TYPES = frozenset({"approle", "jwt", "kubernetes", "userpass", "token", "aws"})
ROLE_TABLES: Mapping[str, FieldTable] = {
    "AppRole": APPROLE_TABLE,
    "JWTRole": JWT_ROLE_TABLE,
    "KubernetesRole": KUBERNETES_ROLE_TABLE,
    "AwsAuthRole": AWS_ROLE_TABLE,
    "DatabaseConnection": CONNECTION_TABLE,
    "DatabaseRole": ROLE_TABLE,
    "DatabaseStaticRole": STATIC_ROLE_TABLE,
}
EMPTY: tuple[FieldValue, ...] = ("", (), {}, None, 0)


class NotExportable(Exception):
    """A live object no manifest kind can describe (e.g. a mount type the schemas lack)."""


def manifest_name(text: str) -> str:
    """A valid metadata.name for `text`: lower case, `/` and other signs as `-`."""
    name = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return name[:128] or "unnamed"


def _trim(fields: Mapping[str, FieldValue], table: FieldTable | None = None) -> dict[str, Any]:
    """The fields that differ from their default (from `table`, else the empty values)."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        default = table[name][0] if table and name in table else None
        if value == default or (default is None and value in EMPTY):
            continue
        out[name] = plain(value)
    return out


def _mount_common(fields: Mapping[str, FieldValue], path: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"path": path}
    for name in ("description", "default_lease_ttl", "max_lease_ttl"):
        if fields.get(name) not in EMPTY:
            spec[name] = plain(fields[name])
    return spec


def _secrets_engine(state: ObjectState) -> dict[str, Any]:
    f = state.fields
    kind = str(f["type"])
    if kind not in SECRETS_ENGINE_TYPES:
        raise NotExportable(f"secrets engine type {kind!r} has no manifest kind")
    spec = _mount_common(f, state.ref.address.removeprefix("sys/mounts/"))
    spec["type"] = "kv-v2" if kind == "kv" and f.get("kv_version") == 2 else kind
    if kind == "kv" and f.get("kv_version") == 1:
        spec["version"] = 1
    if f.get("options"):
        spec["options"] = plain(f["options"])
    return spec


def _auth_method(state: ObjectState) -> dict[str, Any]:
    f = state.fields
    kind = str(f["type"])
    if kind not in AUTH_TYPES:
        raise NotExportable(f"auth method type {kind!r} has no manifest kind")
    spec = _mount_common(f, state.ref.address.removeprefix("sys/auth/"))
    spec["type"] = kind
    config = f.get("config")
    if isinstance(config, Mapping) and kind in CONFIG_TABLES:
        trimmed = _trim(config, CONFIG_TABLES[kind])
        if trimmed:
            spec["config"] = trimmed
    return spec


def _audit_device(state: ObjectState) -> dict[str, Any]:
    f = state.fields
    spec: dict[str, Any] = {"path": state.ref.address.removeprefix("sys/audit/")}
    spec["type"] = f["type"]
    if f.get("description"):
        spec["description"] = f["description"]
    if f.get("options"):
        spec["options"] = plain(f["options"])
    return spec


def _quota(state: ObjectState) -> dict[str, Any]:
    spec = _trim(state.fields, QUOTA_FIELDS)
    spec["rate"] = plain(state.fields["rate"])
    return spec


def _mounted(state: ObjectState) -> dict[str, Any]:
    """Roles and database objects: their mount, then every non-default field."""
    address = state.ref.address
    if address.startswith("auth/"):
        mount = address.removeprefix("auth/").rpartition("/role/")[0]
    else:
        mount = re.sub(r"/(config|roles|static-roles)/[^/]+$", "", address)
    return {"mount": mount, **_trim(state.fields, ROLE_TABLES[state.ref.kind])}


def _transit_key(state: ObjectState) -> dict[str, Any]:
    mount, _, key = state.ref.address.rpartition("/keys/")
    # The key's own name, always: metadata.name may be sanitised or suffixed on a clash.
    return {"mount": mount, "name": key, **_trim(state.fields, TRANSIT_KEY_FIELDS)}


SPECS: Mapping[str, Callable[[ObjectState], dict[str, Any]]] = {
    "TransitKey": _transit_key,
    "SecretsEngine": _secrets_engine,
    "AuthMethod": _auth_method,
    "AuditDevice": _audit_device,
    "RateLimitQuota": _quota,
    **{kind: _mounted for kind in ROLE_TABLES},
}


def manifest(state: ObjectState, name: str) -> dict[str, Any]:
    """The manifest (apiVersion, kind, metadata, spec) describing `state`."""
    build = SPECS.get(state.ref.kind)
    if build is None:
        raise NotExportable(f"{state.ref.kind} is exported elsewhere or not at all")
    return {
        "apiVersion": API_VERSION,
        "kind": state.ref.kind,
        "metadata": {"name": name},
        "spec": build(state),
    }
