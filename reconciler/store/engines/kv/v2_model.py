"""KV v2's stored records: mount config, key metadata and per-version metadata.

Each record is encoded explicitly with a format version (`"v": 1`) so the on-disk form can
evolve. Times are unix seconds (floats); `None` means "unset" and renders as `""`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from reconciler.store.errors import BadRequest, multierror
from reconciler.store.timefmt import rfc3339nano
from reconciler.vocabulary.durations import format_go_duration

FORMAT_VERSION = 1
DEFAULT_MAX_VERSIONS = 10
MAX_CUSTOM_METADATA_KEYS = 64
MAX_CUSTOM_METADATA_KEY_BYTES = 128
MAX_CUSTOM_METADATA_VALUE_BYTES = 512
_CUSTOM_METADATA_PREFIX = "custom_metadata validation failed"


def render_time(ts: float | None) -> str:
    """RFC3339Nano UTC for a set time, `""` for an unset one (Vault's wire form)."""
    return "" if ts is None else rfc3339nano(ts)


@dataclass
class MountConfig:
    """The mount-wide settings (`<mount>/config`).

    `max_versions` 0 means the default (10); `delete_version_after` is seconds, 0 = off and
    negative = disabled even where a key sets its own.
    """

    max_versions: int = 0
    cas_required: bool = False
    delete_version_after: int = 0

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "v": FORMAT_VERSION,
            "max_versions": self.max_versions,
            "cas_required": self.cas_required,
            "delete_version_after": self.delete_version_after,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any] | None) -> MountConfig:
        """Decode the stored form; a mount never configured gets the defaults."""
        if doc is None:
            return cls()
        return cls(
            max_versions=int(doc["max_versions"]),
            cas_required=bool(doc["cas_required"]),
            delete_version_after=int(doc["delete_version_after"]),
        )

    def render(self) -> dict[str, Any]:
        """The `GET config` response data."""
        return {
            "max_versions": self.max_versions,
            "cas_required": self.cas_required,
            "delete_version_after": format_go_duration(self.delete_version_after),
        }


@dataclass
class VersionMeta:
    """One version's life cycle. A destroyed version has no data left in storage."""

    created: float
    deletion: float | None = None
    destroyed: bool = False

    def is_deleted(self, now: float) -> bool:
        """True once the (soft) deletion time has passed."""
        return self.deletion is not None and self.deletion <= now

    def is_live(self, now: float) -> bool:
        """True when the version's data can be read."""
        return not self.destroyed and not self.is_deleted(now)

    def render(self) -> dict[str, Any]:
        """The per-version entry of `GET metadata`."""
        return {
            "created_time": render_time(self.created),
            "deletion_time": render_time(self.deletion),
            "destroyed": self.destroyed,
        }


@dataclass
class KeyMetadata:
    """Everything about one key except its versions' data.

    Invariants: version numbers are contiguous from `min(versions)` to `current_version`;
    `oldest_version` is 0 until pruning removed a version, then the lowest kept version.
    """

    created_time: float
    updated_time: float
    current_version: int = 0
    oldest_version: int = 0
    max_versions: int = 0
    cas_required: bool = False
    delete_version_after: int = 0
    custom_metadata: dict[str, str] = field(default_factory=dict)
    versions: dict[int, VersionMeta] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "v": FORMAT_VERSION,
            "created_time": self.created_time,
            "updated_time": self.updated_time,
            "current_version": self.current_version,
            "oldest_version": self.oldest_version,
            "max_versions": self.max_versions,
            "cas_required": self.cas_required,
            "delete_version_after": self.delete_version_after,
            "custom_metadata": self.custom_metadata,
            "versions": {
                str(n): [vm.created, vm.deletion, vm.destroyed] for n, vm in self.versions.items()
            },
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> KeyMetadata:
        """Decode the stored form."""
        return cls(
            created_time=float(doc["created_time"]),
            updated_time=float(doc["updated_time"]),
            current_version=int(doc["current_version"]),
            oldest_version=int(doc["oldest_version"]),
            max_versions=int(doc["max_versions"]),
            cas_required=bool(doc["cas_required"]),
            delete_version_after=int(doc["delete_version_after"]),
            custom_metadata=dict(doc["custom_metadata"]),
            versions={
                int(n): VersionMeta(created=c, deletion=d, destroyed=x)
                for n, (c, d, x) in doc["versions"].items()
            },
        )

    def custom_metadata_or_null(self) -> dict[str, str] | None:
        """Vault reports a key without custom metadata as `null`, not `{}`."""
        return dict(self.custom_metadata) if self.custom_metadata else None

    def version_response(self, number: int) -> dict[str, Any]:
        """The `metadata` object of a data read, or the data of a write."""
        vm = self.versions[number]
        return {
            "created_time": render_time(vm.created),
            "custom_metadata": self.custom_metadata_or_null(),
            "deletion_time": render_time(vm.deletion),
            "destroyed": vm.destroyed,
            "version": number,
        }

    def render(self) -> dict[str, Any]:
        """The `GET metadata/<path>` response data."""
        return {
            "cas_required": self.cas_required,
            "created_time": render_time(self.created_time),
            "current_version": self.current_version,
            "custom_metadata": self.custom_metadata_or_null(),
            "delete_version_after": format_go_duration(self.delete_version_after),
            "max_versions": self.max_versions,
            "oldest_version": self.oldest_version,
            "updated_time": render_time(self.updated_time),
            "versions": {str(n): vm.render() for n, vm in sorted(self.versions.items())},
        }

    def has_live_version(self, now: float) -> bool:
        """True when at least one version can still be read."""
        return any(vm.is_live(now) for vm in self.versions.values())


def max_versions_for(config: MountConfig, meta: KeyMetadata) -> int:
    """The effective limit: the key's, else the mount's, else 10."""
    return meta.max_versions or config.max_versions or DEFAULT_MAX_VERSIONS


def deletion_time_for(created: float, config: MountConfig, meta: KeyMetadata) -> float | None:
    """When a new version is soft-deleted automatically, or None.

    The smaller non-zero of the key's and the mount's `delete_version_after` wins; a negative
    result (the mount disabled it) means never, as in Vault.
    """
    mount, key = config.delete_version_after, meta.delete_version_after
    chosen = key
    if chosen == 0 or (mount != 0 and mount < chosen):
        chosen = mount
    if chosen <= 0:
        return None
    return created + chosen


def validate_custom_metadata(custom: dict[str, str]) -> None:
    """Raise a 400 listing every violation of Vault's custom_metadata limits.

    Only keys are named in messages, never values (they may be sensitive).
    """
    if len(custom) > MAX_CUSTOM_METADATA_KEYS:
        raise BadRequest(
            multierror(
                f"{_CUSTOM_METADATA_PREFIX}: payload must contain at most "
                f"{MAX_CUSTOM_METADATA_KEYS} keys, provided {len(custom)}"
            )
        )
    problems: list[str] = []
    for key in sorted(custom):
        problems.extend(_custom_metadata_problems(key, custom[key]))
    if problems:
        raise BadRequest(multierror(*problems))


def _custom_metadata_problems(key: str, value: str) -> list[str]:
    problems: list[str] = []
    key_len, value_len = len(key.encode()), len(value.encode())
    if not 0 < key_len <= MAX_CUSTOM_METADATA_KEY_BYTES:
        problems.append(
            f"{_CUSTOM_METADATA_PREFIX}: length of key {_quote(key)} is {key_len} but must be "
            f"0 < len(key) <= {MAX_CUSTOM_METADATA_KEY_BYTES}"
        )
    if not 0 < value_len <= MAX_CUSTOM_METADATA_VALUE_BYTES:
        problems.append(
            f"{_CUSTOM_METADATA_PREFIX}: length of value for key {_quote(key)} is {value_len} but "
            f"must be 0 < len(value) <= {MAX_CUSTOM_METADATA_VALUE_BYTES}"
        )
    if not key.isprintable():
        problems.append(
            f"{_CUSTOM_METADATA_PREFIX}: key {_quote(key)} ({key}) contains unprintable characters"
        )
    if not value.isprintable():
        problems.append(
            f"{_CUSTOM_METADATA_PREFIX}: value for key {_quote(key)} "
            "contains unprintable characters"
        )
    return problems


def _quote(text: str) -> str:
    """Quote like Go's %q, so messages match Vault's."""
    return json.dumps(text, ensure_ascii=False)


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch: objects merge recursively, `null` removes a key."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result
