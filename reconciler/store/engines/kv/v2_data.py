"""KV v2 version paths: data/ (read, write, patch, delete latest) and subkeys/."""

from __future__ import annotations

from typing import Any

from reconciler.store.engines.kv import v2_store as store
from reconciler.store.engines.kv.v2_common import (
    PATH_FIELD,
    V2Part,
    cas_value,
    invalid_path,
    key_param,
    not_live,
)
from reconciler.store.engines.kv.v2_model import KeyMetadata, MountConfig, merge_patch
from reconciler.store.errors import BadRequest, NotFound
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec
from reconciler.store.logical import Operation, Request, Response

CAS_MISMATCH = "check-and-set parameter did not match the current version"
CAS_REQUIRED = "check-and-set parameter required for this call"


def check_cas(config: MountConfig, meta: KeyMetadata, options: dict[str, Any]) -> None:
    """Enforce check-and-set: `cas` must equal the current version; required if configured."""
    cas = cas_value(options)
    if cas is None:
        if config.cas_required or meta.cas_required:
            raise BadRequest(CAS_REQUIRED)
        return
    if cas != meta.current_version:
        raise BadRequest(CAS_MISMATCH)


def _subkeys(value: Any, depth: int, level: int = 1) -> Any:
    """The key structure of `value` with every leaf replaced by None, down to `depth`."""
    if not isinstance(value, dict) or (depth and level > depth):
        return None
    return {name: _subkeys(child, depth, level + 1) for name, child in value.items()}


class DataPaths(V2Part):
    """Handlers for `data/<key>` and `subkeys/<key>`."""

    def specs(self) -> list[PathSpec]:
        """The path table entries for these endpoints."""
        return [
            PathSpec(
                pattern=r"data/(?P<path>.*)",
                operations={
                    Operation.READ: self.read,
                    Operation.UPDATE: self.write,
                    Operation.PATCH: self.patch,
                    Operation.DELETE: self.delete_latest,
                },
                fields={
                    "path": PATH_FIELD,
                    "version": Field(FieldType.INT, 0, "Version to read; 0 = latest."),
                    "data": Field(FieldType.MAP, None, "The secret's key/value pairs."),
                    "options": Field(FieldType.MAP, None, "Write options, e.g. cas."),
                },
                existence_check=self.exists,
                description="Read, write, patch and soft-delete versions of a secret.",
            ),
            PathSpec(
                pattern=r"subkeys/(?P<path>.*)",
                operations={Operation.READ: self.subkeys},
                fields={
                    "path": PATH_FIELD,
                    "version": Field(FieldType.INT, 0, "Version to read; 0 = latest."),
                    "depth": Field(FieldType.INT, 0, "Levels to descend; 0 = all."),
                },
                description="A secret's key structure without its values.",
            ),
        ]

    def exists(self, req: Request, data: FieldData) -> bool:
        """True when the key has metadata (so a write is `update`, not `create`)."""
        key = key_param(data)
        return bool(key) and store.load_meta(self.storage, key) is not None

    def _locate(self, key: str, version: int) -> tuple[KeyMetadata, int]:
        """The metadata and the version number a read addresses; 404 when absent."""
        meta = store.load_meta(self.storage, key)
        if meta is None:
            raise NotFound()
        number = version or meta.current_version
        if number not in meta.versions:
            raise NotFound()
        return meta, number

    def read(self, req: Request, data: FieldData) -> Response:
        """GET data/<key>[?version=N]."""
        key = key_param(data)
        if not key:
            return invalid_path(req)
        meta, number = self._locate(key, data.get("version"))
        metadata = meta.version_response(number)
        if not meta.versions[number].is_live(self.clock()):
            return not_live("data", metadata)
        payload = store.load_version(self.storage, key, number)
        if payload is None:
            raise NotFound()
        return Response(data={"data": payload, "metadata": metadata})

    def write(self, req: Request, data: FieldData) -> Response:
        """POST/PUT data/<key>: a new version, subject to check-and-set."""
        key = key_param(data)
        if not key:
            return invalid_path(req)
        if not data.present("data"):
            raise BadRequest("no data provided")
        payload: dict[str, Any] = data.get("data")
        options: dict[str, Any] = data.get("options") or {}
        now = self.clock()
        with self.storage.transaction() as txn:
            config = store.load_config(txn)
            meta = store.load_meta(txn, key) or KeyMetadata(created_time=now, updated_time=now)
            check_cas(config, meta, options)
            number = store.add_version(txn, key, meta, config, payload, now)
        return Response(data=meta.version_response(number))

    def patch(self, req: Request, data: FieldData) -> Response:
        """PATCH data/<key>: merge-patch the latest live version into a new one."""
        key = key_param(data)
        if not key:
            return invalid_path(req)
        if not data.present("data"):
            raise BadRequest("no data provided")
        patch: dict[str, Any] = data.get("data")
        options: dict[str, Any] = data.get("options") or {}
        now = self.clock()
        with self.storage.transaction() as txn:
            config = store.load_config(txn)
            meta = store.load_meta(txn, key)
            if meta is None or meta.current_version not in meta.versions:
                raise NotFound()
            check_cas(config, meta, options)
            current = meta.current_version
            if not meta.versions[current].is_live(now):
                return not_live("data", meta.version_response(current))
            merged = merge_patch(store.load_version(txn, key, current) or {}, patch)
            number = store.add_version(txn, key, meta, config, merged, now)
        return Response(data=meta.version_response(number))

    def delete_latest(self, req: Request, data: FieldData) -> Response | None:
        """DELETE data/<key>: soft-delete the latest version (no-op when already gone)."""
        key = key_param(data)
        if not key:
            return invalid_path(req)
        now = self.clock()
        with self.storage.transaction() as txn:
            meta = store.load_meta(txn, key)
            if meta is None:
                return None
            vm = meta.versions.get(meta.current_version)
            if vm is None or not vm.is_live(now):
                return None
            vm.deletion = now
            store.save_meta(txn, key, meta)
        return None

    def subkeys(self, req: Request, data: FieldData) -> Response:
        """GET subkeys/<key>: the structure of a version's data, values replaced by null."""
        key = key_param(data)
        if not key:
            return invalid_path(req)
        depth = data.get("depth")
        if depth < 0:
            raise BadRequest("depth must be greater than or equal to 0")
        meta, number = self._locate(key, data.get("version"))
        metadata = meta.version_response(number)
        if not meta.versions[number].is_live(self.clock()):
            return not_live("subkeys", metadata)
        payload = store.load_version(self.storage, key, number)
        if payload is None:
            raise NotFound()
        return Response(data={"subkeys": _subkeys(payload, depth), "metadata": metadata})
