"""sys/mounts, sys/auth and their tune paths, sys/remount and sys/internal/ui/mounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reconciler.store.errors import BadRequest, InvalidToken
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.lockout import LOCKOUT_TYPES, api_form
from reconciler.store.logical import Operation, Request, Response
from reconciler.store.mounts import mount_info, normalize_mount_path

if TYPE_CHECKING:
    from reconciler.store.core import Core
    from reconciler.store.mounts import Mount

READ, UPDATE, DELETE = Operation.READ, Operation.UPDATE, Operation.DELETE
ENABLE_FIELDS = {
    "type": Field(FieldType.STRING, ""),
    "description": Field(FieldType.STRING, ""),
    "config": Field(FieldType.MAP, {}),
    "options": Field(FieldType.KV_MAP, {}),
    "local": Field(FieldType.BOOL, False),
    "seal_wrap": Field(FieldType.BOOL, False),
    "plugin_name": Field(FieldType.STRING, ""),
    "plugin_version": Field(FieldType.STRING, ""),
    "external_entropy_access": Field(FieldType.BOOL, False),
}
TUNE_FIELDS = {
    "default_lease_ttl": Field(FieldType.ANY),
    "max_lease_ttl": Field(FieldType.ANY),
    "description": Field(FieldType.STRING),
    "audit_non_hmac_request_keys": Field(FieldType.COMMA_STRINGS),
    "audit_non_hmac_response_keys": Field(FieldType.COMMA_STRINGS),
    "listing_visibility": Field(FieldType.STRING),
    "passthrough_request_headers": Field(FieldType.COMMA_STRINGS),
    "allowed_response_headers": Field(FieldType.COMMA_STRINGS),
    "options": Field(FieldType.KV_MAP, {}),
    "token_type": Field(FieldType.STRING),
    "user_lockout_config": Field(FieldType.ANY),
}


def paths(core: Core) -> list[PathSpec]:
    """The mount-table paths of sys/."""
    return [
        PathSpec(r"mounts/?", {READ: lambda r, d: _list(core, "secret")}),
        PathSpec(
            r"mounts/(?P<path>.+?)/tune/?",
            {
                READ: lambda r, d: _read_tune(core, d, "secret"),
                UPDATE: lambda r, d: _tune(core, d, "secret"),
            },
            TUNE_FIELDS,
        ),
        PathSpec(
            r"mounts/(?P<path>.+)",
            {
                READ: lambda r, d: _read_one(core, d, "secret"),
                UPDATE: lambda r, d: _enable(core, d, "secret"),
                DELETE: lambda r, d: _disable(core, d, "secret"),
            },
            ENABLE_FIELDS,
        ),
        PathSpec(r"auth/?", {READ: lambda r, d: _list(core, "auth")}),
        PathSpec(
            r"auth/(?P<path>.+?)/tune/?",
            {
                READ: lambda r, d: _read_tune(core, d, "auth"),
                UPDATE: lambda r, d: _tune(core, d, "auth"),
            },
            TUNE_FIELDS,
            sudo=True,
        ),
        PathSpec(
            r"auth/(?P<path>.+)",
            {
                READ: lambda r, d: _read_one(core, d, "auth"),
                UPDATE: lambda r, d: _enable(core, d, "auth"),
                DELETE: lambda r, d: _disable(core, d, "auth"),
            },
            ENABLE_FIELDS,
            sudo=True,
        ),
        # As in Vault, any valid token may discover a mount's type and KV version (the vault
        # and sealkeep `kv` commands need it); the handler checks the token itself.
        PathSpec(
            r"internal/ui/mounts/(?P<path>.+)",
            {READ: lambda r, d: _ui_mount(core, r, d)},
            unauthenticated=True,
        ),
    ]


def _list(core: Core, mount_class: str) -> Response:
    runtime = core.require_runtime()
    data = {f"{e.path}": mount_info(e) for e in runtime.mounts.entries(mount_class)}
    return Response(data=data, inject_top_level=True)


def _find(core: Core, path: str, mount_class: str) -> Mount:
    runtime = core.require_runtime()
    clean = normalize_mount_path(path)
    prefix = ("auth/" if mount_class == "auth" else "") + clean
    mount = runtime.mounts.get(prefix)
    if mount is None:
        noun = "auth mount" if mount_class == "auth" else "secret engine mount"
        raise BadRequest(f"No {noun} at {clean}")
    return mount


def _read_one(core: Core, data: FieldData, mount_class: str) -> Response:
    mount = _find(core, data.get("path"), mount_class)
    return Response(data=mount_info(mount.entry), inject_top_level=True)


def _enable(core: Core, data: FieldData, mount_class: str) -> None:
    runtime = core.require_runtime()
    fields: dict[str, Any] = {
        "description": data.get("description"),
        "config": data.get("config"),
        "options": data.get("options"),
        "local": data.get("local"),
    }
    runtime.enable(data.get("path"), data.get("type"), mount_class, fields)


def _disable(core: Core, data: FieldData, mount_class: str) -> None:
    path = normalize_mount_path(data.get("path"))
    if mount_class == "auth" and path == "token/":
        raise BadRequest("token credential backend cannot be disabled")
    if mount_class == "secret" and path in ("sys/", "cubbyhole/", "identity/"):
        raise BadRequest(f"cannot unmount {path!r}".replace("'", '"'))
    core.require_runtime().disable(path, mount_class)


def _read_tune(core: Core, data: FieldData, mount_class: str) -> Response:
    mount = _find(core, data.get("path"), mount_class)
    system = mount.backend.ctx.system
    body: dict[str, Any] = {
        "default_lease_ttl": system.default_lease_ttl(),
        "max_lease_ttl": system.max_lease_ttl(),
        "force_no_cache": False,
        "description": mount.entry.description,
    }
    if mount.entry.options:
        body["options"] = mount.entry.options
    if mount_class == "auth":
        body["token_type"] = "default-service"
    for key in ("audit_non_hmac_request_keys", "audit_non_hmac_response_keys"):
        if mount.entry.config.get(key):
            body[key] = mount.entry.config[key]
    body.update(mount.entry.config.get("user_lockout_config") or {})
    return Response(data=body, inject_top_level=True)


def _tune(core: Core, data: FieldData, mount_class: str) -> None:
    mount = _find(core, data.get("path"), mount_class)
    # Coerced as declared (a bad value is a 400 before anything changes).
    fields = {k: data.get(k) for k in TUNE_FIELDS if data.raw.get(k) is not None}
    if "user_lockout_config" in fields:
        fields["user_lockout_config"] = _lockout_tune(mount, fields["user_lockout_config"])
    core.require_runtime().tune(mount, fields)


def _lockout_tune(mount: Mount, given: Any) -> dict[str, Any]:
    """A partial `user_lockout_config` merged over the stored one (fields not sent stay)."""
    if mount.entry.mount_class != "auth" or mount.entry.type not in LOCKOUT_TYPES:
        raise BadRequest(
            f'tuning of user lockout configuration for auth type "{mount.entry.type}" not allowed'
        )
    if not isinstance(given, dict):
        return given  # refused with Vault's message when the config is parsed
    return {**api_form(mount.entry.config.get("user_lockout_config") or {}), **given}


def _ui_mount(core: Core, req: Request, data: FieldData) -> Response:
    runtime = core.require_runtime()
    if runtime.tokens.lookup(req.token) is None:
        raise InvalidToken()
    mount = runtime.mounts.match(data.get("path"))
    if mount is None or mount.entry.mount_class != "secret":
        raise BadRequest(f'no secret engine mount at "{data.get("path")}/"')
    # The mount's info as sys/mounts shows it, and its path (deprecation_status included).
    return Response(data={"path": mount.entry.path, **mount_info(mount.entry)})
