"""KV v2's storage layout, inside the mount's own storage view.

    config                          the mount's MountConfig
    metadata/<key>                  the key's KeyMetadata (all version metadata included)
    versions/<sha256(key)>/<n>      version n's data

Reading the latest version is two gets (metadata, then that version). Version data lives
under a hash of the key so that the versions of `a` and of `a/b` never share a folder, and
deleting one key's versions can never touch another's. Every change that touches both a
version and the metadata runs in one `storage.transaction()`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from reconciler.store.engines.kv.v2_model import (
    FORMAT_VERSION,
    KeyMetadata,
    MountConfig,
    VersionMeta,
    deletion_time_for,
    max_versions_for,
)
from reconciler.store.storage.view import StorageView

CONFIG_KEY = "config"
METADATA_PREFIX = "metadata/"
VERSIONS_PREFIX = "versions/"


def version_key(key: str, number: int) -> str:
    """Where version `number` of `key` is stored."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{VERSIONS_PREFIX}{digest}/{number}"


def load_config(view: StorageView) -> MountConfig:
    """The mount config (defaults when never written)."""
    return MountConfig.from_json(view.get_json(CONFIG_KEY))


def save_config(view: StorageView, config: MountConfig) -> None:
    """Store the mount config."""
    view.put_json(CONFIG_KEY, config.to_json())


def load_meta(view: StorageView, key: str) -> KeyMetadata | None:
    """The key's metadata, or None when the key does not exist."""
    doc = view.get_json(METADATA_PREFIX + key)
    return None if doc is None else KeyMetadata.from_json(doc)


def save_meta(view: StorageView, key: str, meta: KeyMetadata) -> None:
    """Store the key's metadata."""
    view.put_json(METADATA_PREFIX + key, meta.to_json())


def load_version(view: StorageView, key: str, number: int) -> dict[str, Any] | None:
    """The data of one version, or None when it was destroyed or pruned."""
    doc = view.get_json(version_key(key, number))
    return None if doc is None else dict(doc["data"])


def list_keys(view: StorageView, prefix: str) -> list[str]:
    """Immediate children of a key prefix ("" or ending "/"); folders end with "/"."""
    return view.list(METADATA_PREFIX + prefix)


def add_version(
    txn: StorageView,
    key: str,
    meta: KeyMetadata,
    config: MountConfig,
    data: dict[str, Any],
    now: float,
) -> int:
    """Write a new version and the updated metadata; prune past the limit.

    `txn` must be a transaction view, so the version and the metadata commit together.
    Returns the new version number.
    """
    number = meta.current_version + 1
    txn.put_json(version_key(key, number), {"v": FORMAT_VERSION, "data": data})
    meta.versions[number] = VersionMeta(created=now, deletion=deletion_time_for(now, config, meta))
    meta.current_version = number
    meta.updated_time = now
    _prune(txn, key, meta, max_versions_for(config, meta))
    save_meta(txn, key, meta)
    return number


def _prune(txn: StorageView, key: str, meta: KeyMetadata, limit: int) -> None:
    if len(meta.versions) <= limit:
        return
    for number in sorted(meta.versions)[: len(meta.versions) - limit]:
        del meta.versions[number]
        txn.delete(version_key(key, number))
    meta.oldest_version = min(meta.versions)


def destroy_versions(txn: StorageView, key: str, meta: KeyMetadata, numbers: list[int]) -> None:
    """Mark versions destroyed and remove their data; metadata keeps `destroyed: true`."""
    for number in numbers:
        vm = meta.versions.get(number)
        if vm is None or vm.destroyed:
            continue
        vm.destroyed = True
        txn.delete(version_key(key, number))
    save_meta(txn, key, meta)


def delete_key(txn: StorageView, key: str, meta: KeyMetadata) -> None:
    """Remove every version's data and the metadata itself."""
    for number in meta.versions:
        txn.delete(version_key(key, number))
    txn.delete(METADATA_PREFIX + key)
