"""Packs: immutable files holding many manifest cache entries, found by their content key.

Writing ten thousand small files costs seconds on a cold cache (file creation dominates),
so entries are stored in packs: one file per load that parsed something, written to a
temporary name and renamed into place, never changed afterwards.

A pack is `PACK_MAGIC`, the index length (4 bytes, little-endian), a BLAKE2b digest of the
index, the index (`marshal` of {key: (offset, length)}) and the entries back to back. Each
entry carries its own digest (see `cache_codec`), so a damaged entry is found on its own; a
pack whose header or index is damaged is ignored as a whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass

PACK_MAGIC = b"SKMP"
PACK_SUFFIX = ".pack"
_LENGTH = struct.Struct("<I")
_DIGEST = 16
_HEADER = len(PACK_MAGIC) + _LENGTH.size + _DIGEST


Blob = bytes | memoryview
"""Entry bytes: a view into a pack read from disk (no copy), or freshly encoded bytes."""


class CorruptPack(Exception):
    """A pack whose header or index cannot be read; it is ignored and later removed."""


@dataclass(frozen=True)
class Pack:
    """One pack read from disk: its entries by key (`entry` gives a view, never a copy)."""

    name: str
    data: memoryview
    index: Mapping[str, tuple[int, int]]
    base: int

    def entry(self, key: str) -> Blob | None:
        """The bytes stored under `key`, or None (a damaged index gives damaged bytes, which
        the entry's own digest rejects)."""
        where = self.index.get(key)
        if where is None:
            return None
        offset, length = where
        start = self.base + offset
        return self.data[start : start + length]

    def entries(self) -> dict[str, Blob]:
        """Every entry, by key."""
        found: dict[str, Blob] = {}
        for key in self.index:
            data = self.entry(key)
            if data is not None:
                found[key] = data
        return found


def encode_pack(entries: Mapping[str, Blob]) -> bytes:
    """A pack holding `entries` (key -> entry bytes)."""
    index: dict[str, tuple[int, int]] = {}
    offset = 0
    for key, data in entries.items():
        index[key] = (offset, len(data))
        offset += len(data)
    blob = marshal.dumps(index)
    digest = hashlib.blake2b(blob, digest_size=_DIGEST).digest()
    return b"".join((PACK_MAGIC, _LENGTH.pack(len(blob)), digest, blob, *entries.values()))


def decode_pack(name: str, data: bytes) -> Pack:
    """The pack in `data`; raises CorruptPack when its header or index is damaged."""
    if len(data) < _HEADER or data[: len(PACK_MAGIC)] != PACK_MAGIC:
        raise CorruptPack(f"{name}: not a pack")
    (size,) = _LENGTH.unpack_from(data, len(PACK_MAGIC))
    blob = data[_HEADER : _HEADER + size]
    if hashlib.blake2b(blob, digest_size=_DIGEST).digest() != data[_HEADER - _DIGEST : _HEADER]:
        raise CorruptPack(f"{name}: index digest mismatch")
    try:
        index = marshal.loads(blob)
    except (ValueError, EOFError, TypeError) as exc:
        raise CorruptPack(f"{name}: {exc}") from None
    if not isinstance(index, dict):
        raise CorruptPack(f"{name}: index is not a mapping")
    return Pack(name, memoryview(data), index, _HEADER + size)


def write_atomically(target: str, data: bytes, suffix: str) -> None:
    """Write `data` to `target + suffix`, then rename it to `target` (`suffix` must be unique
    to the writer: the temporary file is created exclusively)."""
    temporary = f"{target}{suffix}"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def pack_name(data: bytes) -> str:
    """The file name of a pack: named after its content, so equal packs share a name."""
    return f"{hashlib.blake2b(data, digest_size=12).hexdigest()}{PACK_SUFFIX}"
