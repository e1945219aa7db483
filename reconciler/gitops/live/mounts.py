"""Secrets engines, auth methods and audit devices: read from the `sys/` listings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, cast

import hvac

from reconciler.gitops.live.handlers import (
    ListedEntry,
    StoreView,
    await_kv_ready,
    kv_version_of,
    read_data,
)
from reconciler.gitops.live.model import Fields, FieldValue, ObjectRef, ObjectState
from reconciler.gitops.live.normalise import FieldTable, as_bool, as_str, as_strs, plain, project
from reconciler.gitops.manifests import kinds as k


def _pems(value: Any) -> FieldValue:
    return tuple(str(v).strip() for v in as_strs(value) or ())  # type: ignore[union-attr]


JWT_CONFIG: FieldTable = {
    "jwks_url": ("", as_str),
    "jwks_ca_pem": ("", as_str),
    "jwt_validation_pubkeys": ((), _pems),
    "oidc_discovery_url": ("", as_str),
    "oidc_discovery_ca_pem": ("", as_str),
    "bound_issuer": ("", as_str),
    "default_role": ("", as_str),
    "jwt_supported_algs": ((), as_strs),
}
KUBERNETES_CONFIG: FieldTable = {
    "kubernetes_host": ("", as_str),
    "kubernetes_ca_cert": ("", as_str),
    "pem_keys": ((), _pems),
    "issuer": ("", as_str),
    "disable_iss_validation": (False, as_bool),
    "disable_local_ca_jwt": (False, as_bool),
}
CONFIG_TABLES: Mapping[str, FieldTable] = {"jwt": JWT_CONFIG, "kubernetes": KUBERNETES_CONFIG}


def _ttls(entry: ListedEntry) -> dict[str, FieldValue]:
    config = entry.get("config") or {}
    return {
        "default_lease_ttl": int(config.get("default_lease_ttl") or 0),
        "max_lease_ttl": int(config.get("max_lease_ttl") or 0),
    }


class SecretsEngineHandler:
    """A secrets engine at `sys/mounts/<path>`; type or kv version changes replace it."""

    kind: ClassVar[str] = "SecretsEngine"
    replace_on: ClassVar[frozenset[str]] = frozenset({"type", "kv_version"})

    def ref(self, obj: k.Manifest, view: StoreView) -> ObjectRef:
        """`sys/mounts/<path>`."""
        engine = cast(k.SecretsEngine, obj)
        return ObjectRef(self.kind, engine.name, f"sys/mounts/{engine.path}")

    def desired(self, obj: k.Manifest, ref: ObjectRef, secret: Fields | None) -> ObjectState:
        """Type (kv-v2 as kv + version 2), description, lease TTLs, other options."""
        engine = cast(k.SecretsEngine, obj)
        options = {a: b for a, b in engine.options.items() if a != "version"}
        fields: dict[str, FieldValue] = {
            "type": "kv" if engine.type == "kv-v2" else engine.type,
            "kv_version": engine.kv_version,
            "description": engine.description,
            "default_lease_ttl": engine.default_lease_ttl or 0,
            "max_lease_ttl": engine.max_lease_ttl or 0,
            "options": options,
        }
        return ObjectState(ref, fields)

    def read(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> ObjectState | None:
        """From the `sys/mounts` listing (no request of its own)."""
        entry = view.mounts.get(ref.address.removeprefix("sys/mounts/"))
        if entry is None:
            return None
        options = {str(a): str(b) for a, b in (entry.get("options") or {}).items()}
        options.pop("version", None)
        fields: dict[str, FieldValue] = {
            "type": "kv" if entry.get("type") == "kv-v2" else str(entry.get("type")),
            "kv_version": kv_version_of(entry),
            "description": str(entry.get("description") or ""),
            **_ttls(entry),
            "options": options,
        }
        return ObjectState(ref, fields)

    def write(self, client: hvac.Client, state: ObjectState, exists: bool, view: StoreView) -> None:
        """Mount (create) or tune (update)."""
        f = state.fields
        path = state.ref.address
        options = dict(cast(Mapping[str, str], f["options"]))
        if f["kv_version"]:
            options["version"] = str(f["kv_version"])
        ttls = {"default_lease_ttl": f["default_lease_ttl"], "max_lease_ttl": f["max_lease_ttl"]}
        if exists:
            body = {"description": f["description"], **ttls, "options": options}
            client.write_data(f"{path}/tune", data=body)
            return
        body = {"type": f["type"], "description": f["description"], "config": ttls}
        client.write_data(path, data={**body, "options": options})
        if f["kv_version"] == 2:
            await_kv_ready(client, path.removeprefix("sys/mounts/"))

    def delete(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> None:
        """Unmount (its data goes with it)."""
        client.delete(ref.address)


class AuthMethodHandler:
    """An auth method at `sys/auth/<path>`, with `auth/<path>/config` for jwt and kubernetes."""

    kind: ClassVar[str] = "AuthMethod"
    replace_on: ClassVar[frozenset[str]] = frozenset({"type"})

    def ref(self, obj: k.Manifest, view: StoreView) -> ObjectRef:
        """`sys/auth/<path>`."""
        method = cast(k.AuthMethod, obj)
        return ObjectRef(self.kind, method.name, f"sys/auth/{method.path}")

    def desired(self, obj: k.Manifest, ref: ObjectRef, secret: Fields | None) -> ObjectState:
        """Type, description, lease TTLs and the method's config (None: left as it is)."""
        method = cast(k.AuthMethod, obj)
        config = None
        if method.config is not None and method.type in CONFIG_TABLES:
            config = project(vars(method.config), CONFIG_TABLES[method.type])
        fields: dict[str, FieldValue] = {
            "type": method.type,
            "description": method.description,
            "default_lease_ttl": method.default_lease_ttl or 0,
            "max_lease_ttl": method.max_lease_ttl or 0,
            "config": config,
        }
        return ObjectState(ref, fields)

    def read(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> ObjectState | None:
        """From the `sys/auth` listing, plus one read of the config for jwt and kubernetes."""
        path = ref.address.removeprefix("sys/auth/")
        entry = view.auth.get(path)
        if entry is None:
            return None
        kind = str(entry.get("type"))
        config = None
        if kind in CONFIG_TABLES:
            raw = read_data(client, f"auth/{path}/config")
            config = project(raw, CONFIG_TABLES[kind]) if raw else None
            if config is not None and not any(config.values()):
                config = None
        fields: dict[str, FieldValue] = {
            "type": kind,
            "description": str(entry.get("description") or ""),
            **_ttls(entry),
            "config": config,
        }
        return ObjectState(ref, fields)

    def write(self, client: hvac.Client, state: ObjectState, exists: bool, view: StoreView) -> None:
        """Enable or tune the method, then write its config when one is managed."""
        f = state.fields
        path = state.ref.address.removeprefix("sys/auth/")
        ttls = {"default_lease_ttl": f["default_lease_ttl"], "max_lease_ttl": f["max_lease_ttl"]}
        if exists:
            client.write_data(
                f"sys/auth/{path}/tune", data={"description": f["description"], **ttls}
            )
        else:
            body = {"type": f["type"], "description": f["description"], "config": ttls}
            client.write_data(f"sys/auth/{path}", data=body)
        config = f["config"]
        if not isinstance(config, Mapping):
            return
        body = {a: plain(b) for a, b in config.items() if b not in ("", ())}
        try:
            client.write_data(f"auth/{path}/config", data=body)
        except Exception:
            # Creation is all or nothing: a method enabled here whose config the server
            # refused is disabled again, so the next plan creates it, never adopts it.
            if not exists:
                client.delete(state.ref.address)
            raise

    def delete(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> None:
        """Disable the method (its roles go with it)."""
        client.delete(ref.address)


class AuditDeviceHandler:
    """An audit device at `sys/audit/<path>`; devices cannot be tuned, so any change replaces."""

    kind: ClassVar[str] = "AuditDevice"
    replace_on: ClassVar[frozenset[str]] = frozenset({"type", "description", "options"})

    def ref(self, obj: k.Manifest, view: StoreView) -> ObjectRef:
        """`sys/audit/<path>`."""
        device = cast(k.AuditDevice, obj)
        return ObjectRef(self.kind, device.name, f"sys/audit/{device.path}")

    def desired(self, obj: k.Manifest, ref: ObjectRef, secret: Fields | None) -> ObjectState:
        """Type, description and options (strings)."""
        device = cast(k.AuditDevice, obj)
        fields: dict[str, FieldValue] = {
            "type": device.type,
            "description": device.description,
            "options": dict(device.options),
        }
        return ObjectState(ref, fields)

    def read(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> ObjectState | None:
        """From the `sys/audit` listing."""
        entry = view.audit.get(ref.address.removeprefix("sys/audit/"))
        if entry is None:
            return None
        options = {str(a): str(b) for a, b in (entry.get("options") or {}).items()}
        fields: dict[str, FieldValue] = {
            "type": str(entry.get("type")),
            "description": str(entry.get("description") or ""),
            "options": options,
        }
        return ObjectState(ref, fields)

    def write(self, client: hvac.Client, state: ObjectState, exists: bool, view: StoreView) -> None:
        """Enable the device (updates are replacements: delete, then this)."""
        f = state.fields
        body = {"type": f["type"], "description": f["description"], "options": f["options"]}
        client.write_data(state.ref.address, data=body)

    def delete(self, client: hvac.Client, ref: ObjectRef, view: StoreView) -> None:
        """Disable the device."""
        client.delete(ref.address)
