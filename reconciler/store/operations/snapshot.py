"""Snapshots: a consistent, still-encrypted copy of all storage, and restoring one.

A snapshot is a gzipped tar, shaped as Vault's raft snapshots are so `bao operator raft
snapshot save|restore` accept it:

    meta.json           {"sealkeep_snapshot": 1, "created": ..., "keyring_term": ..., ...}
    entries.jsonl       one ["<key>", "<base64 of the stored bytes>"] per line, in key order
    SHA256SUMS          "<sha256>  <file>" for the two files above
    SHA256SUMS.sealed   SHA256SUMS encrypted by the barrier of the store that took it

Entries are copied as stored, barrier-encrypted, so a snapshot reveals nothing without the
unseal keys, and restoring it needs the shares of the store it was taken from. The sealed
checksums tell a snapshot of this store from one of another (which only a forced restore
takes, as in Vault). A snapshot is read and checked whole before anything is written; the
restore itself is one storage transaction.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import tarfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.store.errors import BadRequest
from reconciler.store.storage.base import Storage
from reconciler.store.storage.migrate import walk

FORMAT = 1
SEALED_SUMS = "SHA256SUMS.sealed"
SEALED_SUMS_PATH = "core/snapshot/SHA256SUMS"  # the barrier path the checksums are bound to
MAX_SNAPSHOT_BYTES = 4 * 1024**3  # uncompressed; a guard against a gzip bomb


class Snapshottable(Protocol):
    """A backend that can list every entry as of one instant without blocking writers."""

    def snapshot_items(self) -> Iterator[tuple[str, bytes]]:
        """Every (key, value), in key order, from one consistent read."""
        ...


@dataclass(frozen=True)
class SnapshotHeader:
    """What a snapshot says about itself."""

    created: float
    keyring_term: int
    cluster_id: str
    storage_type: str

    def to_json(self) -> dict[str, Any]:
        """The header line."""
        return {
            "sealkeep_snapshot": FORMAT,
            "created": self.created,
            "keyring_term": self.keyring_term,
            "cluster_id": self.cluster_id,
            "storage_type": self.storage_type,
        }


def consistent_items(storage: Storage) -> Iterator[tuple[str, bytes]]:
    """Every entry from one consistent view: the backend's own snapshot read when it has one
    (writers go on), else a walk inside a transaction (writers wait)."""
    snapshot = getattr(storage, "snapshot_items", None)
    if snapshot is not None:
        yield from snapshot()
        return
    with storage.transaction() as txn:
        items = [(key, txn.get(key)) for key in walk(txn)]
    for key, value in items:
        if value is not None:
            yield key, value


def write_snapshot(
    header: SnapshotHeader, items: Iterable[tuple[str, bytes]], seal: Callable[[bytes], bytes]
) -> bytes:
    """The snapshot file's bytes; `seal` encrypts the checksums with this store's barrier."""
    meta = json.dumps(header.to_json(), sort_keys=True).encode() + b"\n"
    entries = b"".join(
        json.dumps([key, base64.b64encode(value).decode()]).encode() + b"\n" for key, value in items
    )
    sums = _sums({"meta.json": meta, "entries.jsonl": entries})
    members = {
        "meta.json": meta,
        "entries.jsonl": entries,
        "SHA256SUMS": sums,
        SEALED_SUMS: seal(sums),  # last, as Vault's CLI expects it
    }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz", compresslevel=6) as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(header.created)
            info.mode = 0o600
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


@dataclass(frozen=True)
class Snapshot:
    """A decoded, checksum-verified snapshot."""

    header: SnapshotHeader
    items: list[tuple[str, bytes]]
    sums: bytes
    sealed_sums: bytes

    def taken_by(self, open_sealed: Callable[[bytes], bytes]) -> bool:
        """True when `open_sealed` (this store's barrier) opens the sealed checksums."""
        try:
            return open_sealed(self.sealed_sums) == self.sums
        except Exception:  # any failure to open means "not made with these keys"
            return False


def read_snapshot(blob: bytes) -> Snapshot:
    """Decode and check a snapshot; BadRequest naming what is wrong, before any write."""
    members = _members(blob)
    for name in ("meta.json", "entries.jsonl", "SHA256SUMS", SEALED_SUMS):
        if name not in members:
            raise BadRequest(f"snapshot is incomplete: it has no {name}")
    sums = _sums({"meta.json": members["meta.json"], "entries.jsonl": members["entries.jsonl"]})
    if sums != members["SHA256SUMS"]:
        raise BadRequest("snapshot checksum does not match: the file is damaged or was edited")
    header = _header(members["meta.json"])
    lines = members["entries.jsonl"].split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    items = [_entry(line, number) for number, line in enumerate(lines, start=1)]
    return Snapshot(header, items, sums, members[SEALED_SUMS])


def restore_items(storage: Storage, items: list[tuple[str, bytes]]) -> None:
    """Replace everything in `storage` with `items`, in one transaction."""
    replace = getattr(storage, "replace_all", None)
    if replace is not None:
        replace(items)
        return
    with storage.transaction() as txn:
        for key in list(walk(txn)):
            txn.delete(key)
        for key, value in items:
            txn.put(key, value)


def now() -> float:
    """The creation time written into a snapshot header."""
    return time.time()


def _sums(files: dict[str, bytes]) -> bytes:
    return "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in files.items()
    ).encode()


def _members(blob: bytes) -> dict[str, bytes]:
    """The regular files of the archive by name, within the size guard."""
    out: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(blob), mode="r:gz") as archive:
            for info in archive:
                total += info.size
                if total > MAX_SNAPSHOT_BYTES:
                    raise BadRequest("snapshot is larger than the allowed size")
                extracted = archive.extractfile(info) if info.isfile() else None
                if extracted is not None:
                    out[info.name] = extracted.read()
    except (tarfile.TarError, OSError, EOFError):
        raise BadRequest(
            "not a Sealkeep snapshot, or a truncated one: not a complete tar.gz"
        ) from None
    return out


def _json_line(line: bytes, what: str) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        raise BadRequest(f"snapshot {what} is not valid JSON") from None


def _header(line: bytes) -> SnapshotHeader:
    doc = _json_line(line, "header")
    if not isinstance(doc, dict) or doc.get("sealkeep_snapshot") != FORMAT:
        raise BadRequest(f"not a Sealkeep snapshot (format {FORMAT} expected)")
    try:
        return SnapshotHeader(
            created=float(doc["created"]),
            keyring_term=int(doc["keyring_term"]),
            cluster_id=str(doc["cluster_id"]),
            storage_type=str(doc["storage_type"]),
        )
    except (KeyError, TypeError, ValueError):
        raise BadRequest("snapshot header is incomplete") from None


def _entry(line: bytes, number: int) -> tuple[str, bytes]:
    doc = _json_line(line, f"line {number}")
    if not (isinstance(doc, list) and len(doc) == 2 and all(isinstance(v, str) for v in doc)):
        raise BadRequest(f"snapshot line {number} is not an entry")
    try:
        return doc[0], base64.b64decode(doc[1], validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"snapshot line {number} has a value that is not base64") from None
