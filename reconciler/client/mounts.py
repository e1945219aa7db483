"""Secrets engines (`sys/mounts`) and auth methods (`sys/auth`): enable, disable, list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import hvac

from reconciler.client.errors import ClientInputError
from reconciler.client.results import JSONDict, Result, as_json

MountKind = Literal["secrets", "auth"]


@dataclass(frozen=True)
class MountRequest:
    """What to enable: type, path (the type when empty), description, TTLs, KV version."""

    type: str
    path: str = ""
    description: str = ""
    version: int | None = None
    default_lease_ttl: str | None = None
    max_lease_ttl: str | None = None

    @property
    def mount_path(self) -> str:
        """The path without slashes around it, defaulting to the type."""
        return (self.path or self.type).strip("/")


@dataclass(frozen=True)
class MountRow:
    """One mount as the list table shows it."""

    path: str
    type: str
    accessor: str
    description: str
    default_lease_ttl: str
    max_lease_ttl: str
    options: str
    uuid: str


def _config(request: MountRequest) -> dict[str, str] | None:
    config = {
        "default_lease_ttl": request.default_lease_ttl,
        "max_lease_ttl": request.max_lease_ttl,
    }
    kept = {k: v for k, v in config.items() if v}
    return kept or None


def _check(request: MountRequest) -> None:
    if not request.type.strip():
        raise ClientInputError("the engine type is empty")
    if not request.mount_path:
        raise ClientInputError("-path is empty")


def enable_secrets(client: hvac.Client, request: MountRequest) -> str:
    """Mount a secrets engine; returns the mount path. `version` is for kv only."""
    _check(request)
    if request.version is not None and request.type not in ("kv", "generic"):
        raise ClientInputError(f"-version applies to kv only, not {request.type!r}")
    options = {"version": str(request.version)} if request.version is not None else None
    client.sys.enable_secrets_engine(
        request.type,
        path=request.mount_path,
        description=request.description or None,
        config=_config(request),
        options=options,
    )
    return request.mount_path


def enable_auth(client: hvac.Client, request: MountRequest) -> str:
    """Enable an auth method; returns its path (below `auth/`)."""
    _check(request)
    if request.version is not None:
        raise ClientInputError("-version applies to kv secrets engines only")
    client.sys.enable_auth_method(
        request.type,
        path=request.mount_path,
        description=request.description or None,
        config=_config(request),
    )
    return request.mount_path


def disable(client: hvac.Client, kind: MountKind, path: str) -> None:
    """Unmount a secrets engine (and its data) or disable an auth method."""
    clean = path.strip("/")
    if kind == "auth":
        clean = clean.removeprefix("auth/")
    if not clean:
        raise ClientInputError("give the path to disable")
    if kind == "auth":
        client.sys.disable_auth_method(clean)
    else:
        client.sys.disable_secrets_engine(clean)


def _row(path: str, entry: dict[str, Any]) -> MountRow:
    config = entry.get("config") or {}
    options = entry.get("options") or {}
    return MountRow(
        path=path,
        type=str(entry.get("type", "")),
        accessor=str(entry.get("accessor", "")),
        description=str(entry.get("description") or ""),
        default_lease_ttl=str(config.get("default_lease_ttl", 0)),
        max_lease_ttl=str(config.get("max_lease_ttl", 0)),
        options=",".join(f"{k}={v}" for k, v in sorted(options.items())) or "-",
        uuid=str(entry.get("uuid", "")),
    )


def list_mounts(client: hvac.Client, kind: MountKind) -> tuple[Result, list[MountRow]]:
    """Every mount of `kind`, sorted by path, with the full answer for JSON output."""
    if kind == "auth":
        answer = client.sys.list_auth_methods()
    else:
        answer = client.sys.list_mounted_secrets_engines()
    raw = as_json(answer)
    table: JSONDict = raw.get("data") or {}
    rows = [_row(path, entry) for path, entry in sorted(table.items()) if isinstance(entry, dict)]
    return Result(raw=raw, data=table), rows
