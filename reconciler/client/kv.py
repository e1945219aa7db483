"""The KV engines (v1 and v2) behind one set of functions, as `vault kv` does.

Every function first finds the mount and its version through `sys/internal/ui/mounts/<path>`
(`locate`), so a user may write `secret/app/db` or `-mount secret app/db`, then calls the v1 or
v2 API.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import hvac
import hvac.exceptions

from reconciler.client.errors import ClientInputError, ClientNotFound
from reconciler.client.kvmodel import DEFAULT_MOUNT, KvLocation, KvSecret
from reconciler.client.results import JSONDict, Listing, Result, as_json, listing_of
from reconciler.client.wrapping import wrapping

__all__ = ["DEFAULT_MOUNT", "KvLocation", "KvSecret", "MetadataUpdate", "get", "locate"]


def _mount_info(client: hvac.Client, full: str) -> tuple[str, str, str] | None:
    """(mount path, type, version) of the mount holding `full`, None when there is none."""
    try:
        answer = client.read(f"sys/internal/ui/mounts/{full}")
    except hvac.exceptions.InvalidRequest:
        return None
    if not answer or not answer.get("data"):
        return None
    data = answer["data"]
    options = data.get("options") or {}
    return str(data["path"]).strip("/"), str(data.get("type", "")), str(options.get("version", "1"))


def _guess(path: str, mount: str | None) -> KvLocation:
    """When the token may not look up mounts, assume KV v2 as the dev server mounts it."""
    if mount is not None:
        return KvLocation(mount, path, 2)
    first, _, rest = path.partition("/")
    return KvLocation(first, rest, 2)


def locate(client: hvac.Client, path: str, mount: str | None = None) -> KvLocation:
    """Where `path` lives. With `mount`, `path` is below it; without, `path` may start with a
    mount (`secret/app/db`) or be below the default mount `secret/`.
    """
    path = path.strip("/")
    mount = mount.strip("/") if mount is not None else None
    full = f"{mount}/{path}".strip("/") if mount is not None else path
    try:
        info = _mount_info(client, full)
        if info is None and mount is None:
            full = f"{DEFAULT_MOUNT}/{path}".strip("/")
            info = _mount_info(client, full)
    except hvac.exceptions.Forbidden:
        return _guess(path, mount)
    if info is None:
        # Name the path as given: `full` may be the DEFAULT_MOUNT retry (`secret/secret/x`).
        given = f"{mount}/{path}".strip("/") if mount is not None else path
        raise ClientInputError(
            f"no KV mount holds {given!r}",
            hint="start the path with a KV mount (see `sealkeep secrets list`) or pass --mount",
        )
    mount_path, kind, version = info
    if kind not in ("kv", "generic"):
        raise ClientInputError(f"{mount_path}/ is a {kind!r} mount, not kv")
    return KvLocation(mount_path, full[len(mount_path) :].strip("/"), 2 if version == "2" else 1)


def _need_v2(loc: KvLocation, what: str) -> None:
    if loc.version != 2:
        raise ClientInputError(f"{what} needs KV version 2; {loc.mount}/ is KV version 1")


def _need_key(loc: KvLocation) -> None:
    if not loc.path:
        raise ClientInputError(f"give a secret path below {loc.mount}/")


def get(
    client: hvac.Client,
    path: str,
    mount: str | None,
    version: int | None = None,
    wrap_ttl: str | None = None,
) -> KvSecret:
    """Read a secret (for v2, `version` or the latest); a deleted v2 version has data None.

    With `wrap_ttl` the read (not the mount lookup) is wrapped: `raw` then holds only the
    wrapping token's `wrap_info`, and `data` is None.
    """
    loc = locate(client, path, mount)
    _need_key(loc)
    if version is not None:
        _need_v2(loc, "-version")
    try:
        with wrapping(client, wrap_ttl):
            raw = _read(client, loc, version)
    except hvac.exceptions.InvalidPath:
        raise ClientNotFound(f"no value found at {loc.display}") from None
    if raw.get("wrap_info"):
        return KvSecret(raw=raw, data=None, metadata={}, location=loc)
    if loc.version == 1:
        return KvSecret(raw=raw, data=raw.get("data") or {}, metadata={}, location=loc)
    body = raw.get("data") or {}
    if not body:
        raise ClientNotFound(f"no value found at {loc.display}")
    metadata = body.get("metadata") or {}
    return KvSecret(raw=raw, data=body.get("data"), metadata=metadata, location=loc)


def _read(client: hvac.Client, loc: KvLocation, version: int | None) -> JSONDict:
    if loc.version == 1:
        return as_json(client.secrets.kv.v1.read_secret(loc.path, mount_point=loc.mount))
    return as_json(
        client.secrets.kv.v2.read_secret_version(
            loc.path, version=version, mount_point=loc.mount, raise_on_deleted_version=False
        )
    )


def put(
    client: hvac.Client, path: str, mount: str | None, data: dict[str, Any], cas: int | None
) -> tuple[KvLocation, Result]:
    """Write a whole secret (a new version on v2; `cas` checks the current version)."""
    loc = locate(client, path, mount)
    _need_key(loc)
    if not data:
        raise ClientInputError("nothing to write: give key=value arguments")
    if loc.version == 1:
        if cas is not None:
            _need_v2(loc, "-cas")
        client.secrets.kv.v1.create_or_update_secret(loc.path, data, mount_point=loc.mount)
        return loc, Result(raw={}, data={})
    raw = as_json(
        client.secrets.kv.v2.create_or_update_secret(
            loc.path, secret=data, cas=cas, mount_point=loc.mount
        )
    )
    return loc, Result(raw=raw, data=raw.get("data") or {})


def patch(
    client: hvac.Client, path: str, mount: str | None, data: dict[str, Any], cas: int | None
) -> tuple[KvLocation, Result]:
    """Merge `data` into the latest version with an HTTP PATCH (KV v2 only)."""
    loc = locate(client, path, mount)
    _need_key(loc)
    _need_v2(loc, "patch")
    if not data:
        raise ClientInputError("nothing to patch: give key=value arguments")
    body: JSONDict = {"data": data}
    if cas is not None:
        body["options"] = {"cas": cas}
    try:
        raw = as_json(
            client.adapter.request(
                "PATCH",
                f"/v1/{loc.mount}/data/{loc.path}",
                json=body,
                headers={"Content-Type": "application/merge-patch+json"},
            )
        )
    except hvac.exceptions.InvalidPath:
        raise ClientNotFound(f"no value found at {loc.display}; patch needs one") from None
    return loc, Result(raw=raw, data=raw.get("data") or {})


def list_keys(client: hvac.Client, path: str, mount: str | None) -> Listing:
    """Keys directly below the path (folders end in `/`)."""
    loc = locate(client, path, mount)
    engine = client.secrets.kv.v1 if loc.version == 1 else client.secrets.kv.v2
    try:
        return listing_of(engine.list_secrets(loc.path, mount_point=loc.mount))
    except hvac.exceptions.InvalidPath:
        raise ClientNotFound(f"no keys under {loc.display}/") from None


def delete(client: hvac.Client, path: str, mount: str | None, versions: list[int]) -> KvLocation:
    """Delete the latest version (or `versions`) on v2, the secret on v1."""
    loc = locate(client, path, mount)
    _need_key(loc)
    if loc.version == 1:
        if versions:
            _need_v2(loc, "-versions")
        client.secrets.kv.v1.delete_secret(loc.path, mount_point=loc.mount)
    elif versions:
        client.secrets.kv.v2.delete_secret_versions(loc.path, versions, mount_point=loc.mount)
    else:
        client.secrets.kv.v2.delete_latest_version_of_secret(loc.path, mount_point=loc.mount)
    return loc


def undelete(client: hvac.Client, path: str, mount: str | None, versions: list[int]) -> KvLocation:
    """Restore soft-deleted `versions` (KV v2)."""
    loc = locate(client, path, mount)
    _need_key(loc)
    _need_v2(loc, "undelete")
    if not versions:
        raise ClientInputError("undelete needs -versions")
    client.secrets.kv.v2.undelete_secret_versions(loc.path, versions, mount_point=loc.mount)
    return loc


def destroy(client: hvac.Client, path: str, mount: str | None, versions: list[int]) -> KvLocation:
    """Remove `versions` for good (KV v2)."""
    loc = locate(client, path, mount)
    _need_key(loc)
    _need_v2(loc, "destroy")
    if not versions:
        raise ClientInputError("destroy needs -versions")
    client.secrets.kv.v2.destroy_secret_versions(loc.path, versions, mount_point=loc.mount)
    return loc


def metadata_get(client: hvac.Client, path: str, mount: str | None) -> Result:
    """A v2 secret's metadata: versions, max_versions, cas_required, custom_metadata."""
    loc = locate(client, path, mount)
    _need_key(loc)
    _need_v2(loc, "metadata")
    try:
        raw = as_json(client.secrets.kv.v2.read_secret_metadata(loc.path, mount_point=loc.mount))
    except hvac.exceptions.InvalidPath:
        raise ClientNotFound(f"no metadata found at {loc.display}") from None
    return Result(raw=raw, data=raw.get("data") or {})


@dataclass(frozen=True)
class MetadataUpdate:
    """The metadata fields to set; None leaves a field as it is."""

    max_versions: int | None = None
    cas_required: bool | None = None
    delete_version_after: str | None = None
    custom_metadata: dict[str, str] | None = None


def metadata_put(
    client: hvac.Client, path: str, mount: str | None, update: MetadataUpdate
) -> KvLocation:
    """Set the given metadata fields of a v2 secret (others unchanged)."""
    loc = locate(client, path, mount)
    _need_key(loc)
    _need_v2(loc, "metadata")
    body = {k: v for k, v in vars(update).items() if v is not None}
    if not body:
        raise ClientInputError("metadata put: give at least one field to set")
    client.write_data(f"{loc.mount}/metadata/{loc.path}", data=body)
    return loc


def metadata_delete(client: hvac.Client, path: str, mount: str | None) -> KvLocation:
    """Delete a v2 secret's metadata and every version."""
    loc = locate(client, path, mount)
    _need_key(loc)
    _need_v2(loc, "metadata")
    client.secrets.kv.v2.delete_metadata_and_all_versions(loc.path, mount_point=loc.mount)
    return loc
