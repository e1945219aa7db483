"""The mount table: which backend serves which path, persisted in the barrier.

Secret engines live at `<path>/`, auth methods at `auth/<path>/`. Each mount gets its own
storage prefix (`logical/<uuid>/` or `auth/<uuid>/`), so one engine can never read another's
data. Lookup is a longest-prefix match over a dict keyed by every prefix of the request path,
which is cheap for the few dozen mounts a store has.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from typing import Any

from reconciler.store.errors import BadRequest
from reconciler.store.framework import Backend, MountEntry

PROTECTED_PREFIXES = ("sys/", "auth/", "cubbyhole/", "identity/")
TABLE_KEYS = {"secret": "core/mounts", "auth": "core/auth"}
# Types Vault reports no deprecation_status for: the built-in ones and the `generic` alias.
BUILTIN_TYPES = ("system", "token", "cubbyhole", "identity", "generic")


def normalize_mount_path(path: str) -> str:
    """Strip slashes at both ends and add one trailing slash; reject traversal."""
    clean = path.strip("/")
    if not clean or ".." in clean.split("/") or "//" in clean:
        raise BadRequest(f'invalid mount path "{path}"')
    return clean + "/"


class Mount:
    """A live mount: its table row and the backend instance serving it."""

    __slots__ = ("backend", "entry", "route_prefix")

    def __init__(self, entry: MountEntry, backend: Backend) -> None:
        self.entry = entry
        self.backend = backend
        self.route_prefix = ("auth/" if entry.mount_class == "auth" else "") + entry.path


class MountTable:
    """All mounts by their routing prefix (e.g. `secret/`, `auth/approle/`, `sys/`)."""

    def __init__(self) -> None:
        self._by_prefix: dict[str, Mount] = {}
        self._lock = threading.RLock()

    def add(self, mount: Mount) -> None:
        """Register a mount; raises BadRequest on a prefix conflict in either direction."""
        prefix = mount.route_prefix
        with self._lock:
            for existing in self._by_prefix:
                if existing.startswith(prefix) or prefix.startswith(existing):
                    raise BadRequest(f"path is already in use at {existing}")
            self._by_prefix[prefix] = mount

    def remove(self, route_prefix: str) -> Mount | None:
        """Unregister and return the mount at `route_prefix`, if any."""
        with self._lock:
            return self._by_prefix.pop(route_prefix, None)

    def get(self, route_prefix: str) -> Mount | None:
        """The mount registered exactly at `route_prefix`."""
        return self._by_prefix.get(route_prefix)

    def match(self, path: str) -> Mount | None:
        """The mount with the longest prefix of `path` (which may lack a trailing slash)."""
        probe = path if path.endswith("/") else path + "/"
        end = len(probe)
        while end > 0:
            mount = self._by_prefix.get(probe[:end])
            if mount is not None:
                return mount
            end = probe.rfind("/", 0, end - 1) + 1
        return None

    def entries(self, mount_class: str) -> list[MountEntry]:
        """Table rows of one class, sorted by path."""
        rows = [m.entry for m in self._by_prefix.values() if m.entry.mount_class == mount_class]
        return sorted(rows, key=lambda e: e.path)

    def mounts(self) -> list[Mount]:
        """Every live mount."""
        return list(self._by_prefix.values())

    def clear(self) -> list[Mount]:
        """Drop every mount (on seal) and return them so the caller can clean up."""
        with self._lock:
            mounts = list(self._by_prefix.values())
            self._by_prefix.clear()
            return mounts


def entry_to_json(entry: MountEntry) -> dict[str, Any]:
    """The stored form of a mount row."""
    return asdict(entry)


def entry_from_json(doc: dict[str, Any]) -> MountEntry:
    """Decode a stored mount row."""
    return MountEntry(**doc)


def mount_info(entry: MountEntry) -> dict[str, Any]:
    """Vault's mount info object for sys/mounts and sys/auth."""
    config: dict[str, Any] = {
        "default_lease_ttl": int(entry.config.get("default_lease_ttl", 0)),
        "max_lease_ttl": int(entry.config.get("max_lease_ttl", 0)),
        "force_no_cache": False,
    }
    for key in (
        "audit_non_hmac_request_keys",
        "audit_non_hmac_response_keys",
        "listing_visibility",
        "user_lockout_config",
    ):
        if entry.config.get(key):
            config[key] = entry.config[key]
    if entry.mount_class == "auth":
        config["token_type"] = "default-service"
    if entry.type == "system":
        config["passthrough_request_headers"] = ["Accept"]
    info: dict[str, Any] = {
        "type": entry.type,
        "description": entry.description,
        "accessor": entry.accessor,
        "local": entry.local,
        "seal_wrap": entry.seal_wrap,
        "external_entropy_access": False,
        "options": entry.options or None,
        "uuid": entry.uuid,
        "plugin_version": "",
        "running_plugin_version": f"v{_version()}+builtin.sealkeep",
        "running_sha256": "",
        "config": config,
    }
    if entry.type not in BUILTIN_TYPES:  # as Vault: only pluggable types have a status
        info["deprecation_status"] = "supported"
    return info


def _version() -> str:
    from reconciler import __version__

    return __version__
