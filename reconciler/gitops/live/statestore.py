"""The reconciler's own state in the store: a KV v2 mount (default `sealkeep-state/`).

It holds the fingerprint key, the apply lock, the managed-object inventory and the apply
history. Everything goes over the Vault API, so a real Vault or OpenBao works the same.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import hvac
import hvac.exceptions

from reconciler.gitops.live.handlers import await_kv_ready, read_data
from reconciler.gitops.live.model import Fingerprinter

DEFAULT_STATE_MOUNT = "sealkeep-state"
FINGERPRINT_KEY = "config/fingerprint-key"


# OpenBao refuses a request body holding more than 1,000 JSON strings (keys and values,
# `max_request_json_strings`); a larger record (an inventory shard, a long apply's history)
# is stored as one JSON string under PACKED instead, and unpacked on read.
PACKED = "sealkeep_packed_json"
MAX_STRINGS = 500


def count_strings(value: Any) -> int:
    """How many JSON strings (object keys included) `value` encodes to."""
    if isinstance(value, str):
        return 1
    if isinstance(value, Mapping):
        return sum(1 + count_strings(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(count_strings(v) for v in value)
    return 0


def packed(data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` as written: as is, or as one JSON string when it has too many strings."""
    if count_strings(data) <= MAX_STRINGS:
        return dict(data)
    return {PACKED: json.dumps(data, sort_keys=True, separators=(",", ":"))}


def unpacked(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """The record `packed` wrote."""
    if set(data) == {PACKED}:
        return cast(Mapping[str, Any], json.loads(str(data[PACKED])))
    return data


@dataclass(frozen=True)
class StateStore:
    """The state mount `mount` through `client`; paths are relative to the mount."""

    client: hvac.Client
    mount: str = DEFAULT_STATE_MOUNT

    def exists(self) -> bool:
        """Whether the mount is there."""
        mounts = read_data(self.client, "sys/mounts") or {}
        return f"{self.mount}/" in mounts

    def ensure(self) -> None:
        """Create the KV v2 mount when it is missing."""
        if not self.exists():
            body = {"type": "kv", "options": {"version": "2"}, "description": "sealkeep state"}
            self.client.write_data(f"sys/mounts/{self.mount}", data=body)
            await_kv_ready(self.client, self.mount)

    def read(self, path: str) -> tuple[Mapping[str, Any], int] | None:
        """(data, version) of the current version at `path`, or None."""
        data = read_data(self.client, f"{self.mount}/data/{path}")
        if data is None or not isinstance(data.get("data"), Mapping):
            return None
        meta = data.get("metadata") or {}
        return unpacked(data["data"]), int(meta.get("version") or 0)

    def write(self, path: str, data: Mapping[str, Any], cas: int | None = None) -> int:
        """Write a new version (check-and-set when `cas` is given); returns its number."""
        body: dict[str, Any] = {"data": packed(data)}
        if cas is not None:
            body["options"] = {"cas": cas}
        response = self.client.write_data(f"{self.mount}/data/{path}", data=body)
        meta = (response or {}).get("data") or {}
        return int(meta.get("version") or 0)

    def list(self, path: str) -> list[str]:
        """Keys under `path` (empty when none)."""
        response = self.client.list(f"{self.mount}/metadata/{path}")
        return [str(k) for k in ((response or {}).get("data") or {}).get("keys") or []]

    def fingerprinter(self, create: bool) -> Fingerprinter:
        """The store's fingerprint key; created when missing and `create` allows it.

        Without write access (or with `create` False and no key yet) a random key is used
        for this run only and the fingerprinter says so (`ephemeral`).
        """
        found = self.read(FINGERPRINT_KEY) if self.exists() else None
        if found is not None:
            return Fingerprinter(base64.b64decode(str(found[0]["key"])))
        key = os.urandom(32)
        if not create:
            return Fingerprinter(key, ephemeral=True)
        try:
            self.ensure()
            self.write(FINGERPRINT_KEY, {"key": base64.b64encode(key).decode()}, cas=0)
        except hvac.exceptions.Forbidden:
            return Fingerprinter(key, ephemeral=True)
        except hvac.exceptions.InvalidRequest:
            # Another run created it first: use theirs.
            found = self.read(FINGERPRINT_KEY)
            if found is None:
                raise
            return Fingerprinter(base64.b64decode(str(found[0]["key"])))
        return Fingerprinter(key)
