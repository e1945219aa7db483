"""KV v2 key settings: metadata/ (read, write, patch, delete-all, list) and config."""

from __future__ import annotations

from typing import Any

from reconciler.store.engines.kv import v2_store as store
from reconciler.store.engines.kv.keys import validate_prefix
from reconciler.store.engines.kv.v2_common import (
    PATH_FIELD,
    V2Part,
    invalid_path,
    key_param,
    root_warning,
)
from reconciler.store.engines.kv.v2_model import (
    KeyMetadata,
    MountConfig,
    merge_patch,
    validate_custom_metadata,
)
from reconciler.store.errors import BadRequest, NotFound
from reconciler.store.framework import Field, FieldData, FieldType, PathSpec, coerce
from reconciler.store.logical import Operation, Request, Response

CAS_IGNORED = (
    '"cas_required" set to false, but is mandated by backend config. This value will be ignored.'
)

_SETTINGS_FIELDS = {
    "max_versions": Field(FieldType.INT, 0, "Versions to keep; 0 = the mount's setting."),
    "cas_required": Field(FieldType.BOOL, False, "Require check-and-set on every write."),
    "delete_version_after": Field(FieldType.DURATION, 0, "Soft-delete versions after this."),
}
_SETTINGS = ("max_versions", "cas_required", "delete_version_after")


def _custom_metadata(data: FieldData, keep_nulls: bool) -> dict[str, str | None]:
    """`custom_metadata` with values coerced to strings; nulls kept only for a patch."""
    raw = coerce("custom_metadata", FieldType.MAP, data.raw["custom_metadata"])
    out: dict[str, str | None] = {}
    for name, value in raw.items():
        if value is None:
            if keep_nulls:
                out[str(name)] = None
            continue
        out[str(name)] = coerce("custom_metadata", FieldType.STRING, value)
    return out


def _settings(data: FieldData) -> dict[str, Any]:
    """The settings the caller supplied, coerced, with their limits checked."""
    values = {name: data.get(name) for name in _SETTINGS if data.present(name)}
    if values.get("max_versions", 0) < 0:
        raise BadRequest("max_versions must be greater than or equal to 0")
    return values


def _cas_warnings(values: dict[str, Any], config: MountConfig) -> list[str]:
    if "cas_required" in values and config.cas_required and not values["cas_required"]:
        return [CAS_IGNORED]
    return []


def _respond(warnings: list[str]) -> Response | None:
    return Response(warnings=warnings) if warnings else None


class MetadataPaths(V2Part):
    """Handlers for `metadata/<key>`, `metadata` (list root) and `config`."""

    def specs(self) -> list[PathSpec]:
        """The path table entries for these endpoints."""
        return [
            PathSpec(
                pattern=r"config",
                operations={Operation.READ: self.read_config, Operation.UPDATE: self.write_config},
                fields=dict(_SETTINGS_FIELDS),
                description="The mount-wide K/V v2 settings.",
            ),
            PathSpec(
                pattern=r"metadata(?:/(?P<path>.*))?",
                operations={
                    Operation.LIST: self.list,
                    Operation.READ: self.read,
                    Operation.UPDATE: self.write,
                    Operation.PATCH: self.patch,
                    Operation.DELETE: self.delete_all,
                },
                fields={
                    "path": PATH_FIELD,
                    **_SETTINGS_FIELDS,
                    "custom_metadata": Field(FieldType.MAP, None, "User key/value pairs."),
                    "exclude_deleted": Field(
                        FieldType.BOOL, False, "Omit keys with no live version."
                    ),
                },
                existence_check=self.exists,
                description="A key's settings and version history; list keys.",
            ),
        ]

    def _key_or_response(self, req: Request, data: FieldData) -> str | Response:
        """The key, or the 404 Vault gives for a bare or empty prefix."""
        if "path" not in data.params:
            return root_warning()
        key = key_param(data)
        return key if key else invalid_path(req)

    def exists(self, req: Request, data: FieldData) -> bool:
        """True when the key has metadata (so a write is `update`, not `create`)."""
        key = key_param(data)
        return bool(key) and store.load_meta(self.storage, key) is not None

    def list(self, req: Request, data: FieldData) -> Response:
        """LIST metadata/<prefix>: immediate children, folders ending with "/"."""
        prefix = validate_prefix(str(data.get("path") or ""))
        keys = store.list_keys(self.storage, prefix)
        if data.get("exclude_deleted"):
            keys = [k for k in keys if k.endswith("/") or self._has_live(prefix + k)]
        if not keys:
            raise NotFound()
        return Response(data={"keys": keys})

    def _has_live(self, key: str) -> bool:
        meta = store.load_meta(self.storage, key)
        return meta is not None and meta.has_live_version(self.clock())

    def read(self, req: Request, data: FieldData) -> Response:
        """GET metadata/<key>."""
        key = self._key_or_response(req, data)
        if isinstance(key, Response):
            return key
        meta = store.load_meta(self.storage, key)
        if meta is None:
            raise NotFound()
        return Response(data=meta.render())

    def write(self, req: Request, data: FieldData) -> Response | None:
        """POST metadata/<key>: set the supplied settings, creating the key if needed."""
        key = self._key_or_response(req, data)
        if isinstance(key, Response):
            return key
        values = _settings(data)
        custom = None
        if data.present("custom_metadata"):
            custom = {k: v for k, v in _custom_metadata(data, False).items() if v is not None}
            validate_custom_metadata(custom)
        if not values and custom is None:
            return None  # Vault creates nothing when no setting was given
        now = self.clock()
        with self.storage.transaction() as txn:
            warnings = _cas_warnings(values, store.load_config(txn))
            meta = store.load_meta(txn, key) or KeyMetadata(created_time=now, updated_time=now)
            _apply(meta, values, custom)
            store.save_meta(txn, key, meta)
        return _respond(warnings)

    def patch(self, req: Request, data: FieldData) -> Response | None:
        """PATCH metadata/<key>: merge-patch the settings of an existing key."""
        key = self._key_or_response(req, data)
        if isinstance(key, Response):
            return key
        values = _settings(data)
        patch = _custom_metadata(data, True) if data.present("custom_metadata") else None
        with self.storage.transaction() as txn:
            meta = store.load_meta(txn, key)
            if meta is None:
                raise NotFound()
            warnings = _cas_warnings(values, store.load_config(txn))
            custom = None
            if patch is not None:
                custom = merge_patch(meta.custom_metadata, patch)
                validate_custom_metadata(custom)
            _apply(meta, values, custom)
            store.save_meta(txn, key, meta)
        return _respond(warnings)

    def delete_all(self, req: Request, data: FieldData) -> Response | None:
        """DELETE metadata/<key>: every version and the metadata, permanently."""
        key = self._key_or_response(req, data)
        if isinstance(key, Response):
            return key
        with self.storage.transaction() as txn:
            meta = store.load_meta(txn, key)
            if meta is not None:
                store.delete_key(txn, key, meta)
        return None

    def read_config(self, req: Request, data: FieldData) -> Response:
        """GET config."""
        return Response(data=store.load_config(self.storage).render())

    def write_config(self, req: Request, data: FieldData) -> None:
        """POST config: update only the supplied settings."""
        values = _settings(data)
        with self.storage.transaction() as txn:
            config = store.load_config(txn)
            for name, value in values.items():
                setattr(config, name, value)
            store.save_config(txn, config)


def _apply(meta: KeyMetadata, values: dict[str, Any], custom: dict[str, str] | None) -> None:
    for name, value in values.items():
        setattr(meta, name, value)
    if custom is not None:
        meta.custom_metadata = custom
