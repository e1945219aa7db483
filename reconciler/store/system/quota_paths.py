"""sys/quotas/rate-limit/<name> and sys/quotas/config (Vault's rate-limit quota API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.store.errors import BadRequest, NotFound
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Response
from reconciler.store.quotas import QuotaConfig, QuotaManager, RateLimitRule, positive_rate

if TYPE_CHECKING:
    from reconciler.store.core import Core
    from reconciler.store.mounts import MountTable

READ, UPDATE, DELETE, LIST = Operation.READ, Operation.UPDATE, Operation.DELETE, Operation.LIST
# Auth methods whose logins name a role, so a quota may be limited to one role (as in Vault).
ROLE_AUTH_TYPES = frozenset({"approle", "jwt", "kubernetes"})

RULE_FIELDS = {
    "name": Field(FieldType.STRING, ""),
    "type": Field(FieldType.STRING, "rate-limit"),
    "path": Field(FieldType.STRING, ""),
    "role": Field(FieldType.STRING, ""),
    "rate": Field(FieldType.ANY, None),
    "interval": Field(FieldType.DURATION, 0),
    "block_interval": Field(FieldType.DURATION, 0),
    "inheritable": Field(FieldType.BOOL, None),
}
CONFIG_FIELDS = {
    "enable_rate_limit_audit_logging": Field(FieldType.BOOL, None),
    "enable_rate_limit_response_headers": Field(FieldType.BOOL, None),
    "rate_limit_exempt_paths": Field(FieldType.COMMA_STRINGS, None),
}


def paths(core: Core) -> list[PathSpec]:
    """Quota rules (create, read, update, delete, list) and the quota config."""
    return [
        PathSpec(r"quotas/rate-limit/?", {LIST: lambda r, d: _list(core)}),
        PathSpec(
            r"quotas/rate-limit/(?P<name>[^/]+)",
            {
                READ: lambda r, d: _read(core, d),
                UPDATE: lambda r, d: _write(core, d),
                DELETE: lambda r, d: _delete(core, d),
            },
            RULE_FIELDS,
            existence_check=lambda r, d: _quotas(core).get(d.get("name")) is not None,
        ),
        PathSpec(
            r"quotas/config",
            {READ: lambda r, d: _read_config(core), UPDATE: lambda r, d: _write_config(core, d)},
            CONFIG_FIELDS,
        ),
    ]


def _quotas(core: Core) -> QuotaManager:
    return core.require_runtime().quotas


def _list(core: Core) -> Response:
    names = _quotas(core).names()
    if not names:
        raise NotFound()
    return Response(data={"keys": names})


def _read(core: Core, data: FieldData) -> Response:
    rule = _quotas(core).get(data.get("name"))
    if rule is None:
        raise NotFound()
    return Response(data=rule.to_json())


def _delete(core: Core, data: FieldData) -> None:
    _quotas(core).delete(data.get("name"))


def _non_negative(data: FieldData, name: str) -> int:
    seconds = int(data.get(name))
    if seconds < 0:
        raise BadRequest(
            f'Field validation failed: error converting input for field "{name}": '
            f"cannot provide negative value '{seconds}'"
        )
    return seconds


def _write(core: Core, data: FieldData) -> None:
    """Create or replace a quota: as in Vault, every field not sent takes its default."""
    manager = _quotas(core)
    name = data.get("name")
    try:
        rate = positive_rate(data.get("rate"))
    except (TypeError, ValueError):
        raise BadRequest("'rate' is invalid") from None
    interval = _non_negative(data, "interval") or 1
    block = _non_negative(data, "block_interval")
    mounts = core.require_runtime().mounts
    path = normalize_quota_path(mounts, data.get("path"))
    role = data.get("role")
    _check_role(mounts, path, role)
    for other in manager.rules():
        if other.name != name and other.path == path and other.role == role:
            raise BadRequest(
                f'quota rule with similar properties exists under the name "{other.name}"'
            )
    inheritable = data.get("inheritable")
    if inheritable is None:  # Vault's default: only the root (global) quota is inherited
        inheritable = path == ""
    manager.put(RateLimitRule(name, rate, path, interval, block, role, bool(inheritable)))


def normalize_quota_path(mounts: MountTable, raw: str) -> str:
    """Vault's form of a quota path: "" (global), a mount, or mount + suffix without "/"."""
    if raw == "":
        return ""
    probe = raw if raw.endswith(("/", "*")) else raw + "/"
    probe = probe.removeprefix("/")
    mount = mounts.match(probe.rstrip("*"))
    if mount is None:
        raise BadRequest(f'invalid mount path "{probe}"')
    suffix = probe[len(mount.route_prefix) :].removesuffix("/")
    return mount.route_prefix + suffix


def _check_role(mounts: MountTable, path: str, role: str) -> None:
    if not role:
        return
    mount = mounts.get(path) if path.endswith("/") else None
    if mount is None or mount.entry.mount_class != "auth":
        raise BadRequest(
            f'Mount path "{path}" is not a valid auth method and therefore unsuitable for use '
            "with role-based quotas"
        )
    if mount.entry.type not in ROLE_AUTH_TYPES:
        raise BadRequest(f'Mount path "{path}" does not support use with role-based quotas')


def _read_config(core: Core) -> Response:
    return Response(data=_quotas(core).config.to_json())


def _write_config(core: Core, data: FieldData) -> None:
    manager = _quotas(core)
    current = manager.config
    updated = QuotaConfig(
        enable_rate_limit_audit_logging=_keep(
            data, "enable_rate_limit_audit_logging", current.enable_rate_limit_audit_logging
        ),
        enable_rate_limit_response_headers=_keep(
            data, "enable_rate_limit_response_headers", current.enable_rate_limit_response_headers
        ),
        rate_limit_exempt_paths=list(
            data.get("rate_limit_exempt_paths")
            if data.present("rate_limit_exempt_paths")
            else current.rate_limit_exempt_paths
        ),
    )
    manager.set_config(updated)


def _keep(data: FieldData, name: str, current: bool) -> bool:
    return bool(data.get(name)) if data.present(name) else current
