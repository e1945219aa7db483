"""Where the broker keeps each device's chain key and checkpoints: its storage view, inside
the barrier, so nobody who can only write the log files (or read the disk) learns or moves them.

    chainkey/<device uuid>               32 random bytes, hex
    checkpoints/<device uuid>/<seg>      the newest checkpoint of segment <seg> (zero-padded)
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from reconciler.store.audit.chain import ChainKey
from reconciler.store.audit.checkpoints import Checkpoint
from reconciler.store.storage.view import StorageView

log = logging.getLogger(__name__)

KEY_PREFIX = "chainkey/"
CHECKPOINT_PREFIX = "checkpoints/"
KEY_BYTES = 32
EXPORT_VERSION = 1


def new_key() -> ChainKey:
    """A fresh random chain key."""
    return ChainKey(os.urandom(KEY_BYTES))


def key_path(device_uuid: str) -> str:
    """Storage key of a device's chain key."""
    return KEY_PREFIX + device_uuid


def checkpoint_path(device_uuid: str, seg: int) -> str:
    """Storage key of one segment's checkpoint (zero-padded so listing sorts by segment)."""
    return f"{CHECKPOINT_PREFIX}{device_uuid}/{seg:010d}"


def put_key(view: StorageView, device_uuid: str, key: ChainKey) -> None:
    """Store a device's chain key (inside a transaction when `view` is one)."""
    view.put(key_path(device_uuid), key.raw.hex().encode())


def put_checkpoint(view: StorageView, device_uuid: str, cp: Checkpoint) -> None:
    """Store (overwrite) the checkpoint of `cp.seg`."""
    view.put_json(checkpoint_path(device_uuid, cp.seg), cp.to_json())


def load_key(view: StorageView, device_uuid: str) -> ChainKey:
    """The device's chain key; a device enabled before keyed chains existed gets one now."""
    raw = view.get(key_path(device_uuid))
    if raw is not None:
        return ChainKey(bytes.fromhex(raw.decode()))
    key = new_key()
    put_key(view, device_uuid, key)
    return key


def checkpoints(view: StorageView, device_uuid: str) -> list[Checkpoint]:
    """Every stored checkpoint of the device, oldest segment first."""
    prefix = f"{CHECKPOINT_PREFIX}{device_uuid}/"
    out = []
    for name in sorted(view.list(prefix)):
        doc = view.get_json(prefix + name)
        if doc is not None:
            out.append(Checkpoint.from_json(doc))
    return out


def drop(view: StorageView, device_uuid: str) -> None:
    """Remove a device's key and checkpoints (inside the disable transaction)."""
    view.delete(key_path(device_uuid))
    view.delete_all(f"{CHECKPOINT_PREFIX}{device_uuid}/")


@dataclass(frozen=True)
class ChainMaterial:
    """What an auditor needs to prove a device's files authentic: its key and checkpoints.

    The export format is versioned; `key` is hex. Whoever holds it can also forge lines, so
    it goes only to auditors (the API path and the export are sudo-protected).
    """

    device: str
    device_uuid: str
    key: ChainKey
    checkpoints: tuple[Checkpoint, ...]

    def to_json(self) -> dict[str, Any]:
        """The exported form (API response data and `audit export-key` file)."""
        return {
            "format": "sealkeep-audit-chain",
            "v": EXPORT_VERSION,
            "device": self.device,
            "device_uuid": self.device_uuid,
            "chain_key": self.key.raw.hex(),
            "checkpoints": [cp.to_json() for cp in self.checkpoints],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ChainMaterial:
        """Decode an export; raises ValueError naming what is wrong."""
        if doc.get("format") != "sealkeep-audit-chain" or doc.get("v") != EXPORT_VERSION:
            raise ValueError("not a Sealkeep audit chain export (format/v fields)")
        try:
            key = ChainKey(bytes.fromhex(str(doc["chain_key"])))
            cps = tuple(Checkpoint.from_json(item) for item in doc.get("checkpoints", []))
            return cls(str(doc.get("device", "")), str(doc.get("device_uuid", "")), key, cps)
        except KeyError as exc:
            raise ValueError(f"the export lacks {exc}") from None
