"""A content-addressed cache of per-file load results, so unchanged manifests are not re-parsed.

Layout: `$XDG_CACHE_HOME/sealkeep/manifests/<namespace>/<pack>.pack` (default `~/.cache`):
entries are looked up by `key` in packs (`reconciler.gitops.manifests.cache_pack`), as creating a
file per entry costs seconds on a cold cache of ten thousand files.

- `key` is the SHA-256 of the file's bytes (for an HCL policy file, of its stem and bytes:
  the policy is named after the file). Entries hold no file path: spans and diagnostics are
  stored as line/column and given the file's path when read, so identical files share one.
- `namespace` hashes everything else a result depends on: this format's version, the
  Python, PyYAML and jsonschema versions, every file of the `schemas/` folder and the source
  of the code that parses and checks (this package and the store's HCL policy parser).
  Entries of any other namespace are never read, and their folders are removed on a write.
- An entry's form is in `reconciler.gitops.manifests.cache_codec`; a corrupt, truncated or foreign
  entry is ignored (and rewritten).
- Packs are written to a temporary file and renamed into place, so readers never see a
  partial one, and never change afterwards; a load that parsed files adds one pack, and
  too many packs are merged into one, which drops what the merging load did not use once
  the packs together exceed `ManifestCache.MAX_BYTES`.
- The cache holds only what manifest files hold: the loader never decrypts, so a Secret
  contributes its `ENC[...]` ciphertext, exactly as committed to Git.
- `SEALKEEP_NO_CACHE=1` turns the cache off; deleting the folder is always safe.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import marshal
import os
import shutil
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from reconciler.gitops.manifests.cache_codec import FORMAT, CorruptEntry, decode, encode, entry_key
from reconciler.gitops.manifests.cache_pack import (
    PACK_SUFFIX,
    Blob,
    CorruptPack,
    Pack,
    decode_pack,
    encode_pack,
    pack_name,
    write_atomically,
)
from reconciler.gitops.manifests.fileload import FileLoad

__all__ = ["NO_CACHE_ENV", "ManifestCache", "cache_root", "entry_key", "namespace"]

NO_CACHE_ENV = "SEALKEEP_NO_CACHE"
_CODE_DIRS = ("gitops/manifests", "vocabulary")
_LIBRARIES = ("PyYAML", "jsonschema", "referencing")


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/sealkeep/manifests` (an absolute XDG_CACHE_HOME only, as the XDG
    spec says), else `~/.cache/sealkeep/manifests`."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    folder = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return folder / "sealkeep" / "manifests"


class _Digest(Protocol):
    def update(self, data: bytes, /) -> None:
        """Feed `data` to the hash."""


def _hash_tree(digest: _Digest, folder: Path, pattern: str) -> None:
    for path in sorted(folder.glob(pattern)):
        if path.is_file():
            digest.update(f"{path.name}\0{path.stat().st_size}\0".encode())
            digest.update(path.read_bytes())


@functools.cache
def namespace(schemas_dir: Path) -> str:
    """The hash naming the folder of entries valid for this code, these libraries and schemas."""
    digest = hashlib.sha256(f"sealkeep-manifests\0{FORMAT}\0{sys.version}\0".encode())
    digest.update(f"marshal {marshal.version}\0".encode())
    for library in _LIBRARIES:
        digest.update(f"{library} {importlib.metadata.version(library)}\0".encode())
    _hash_tree(digest, schemas_dir, "*")
    package = Path(__file__).resolve().parents[2]
    for sub in _CODE_DIRS:
        _hash_tree(digest, package / sub, "*.py")
    return digest.hexdigest()[:32]


class ManifestCache:
    """Per-file load results under one namespace folder; every failure is a cache miss.

    `get` looks entries up in the packs on disk (read once, on the first lookup); `put`
    collects new entries; `flush` writes them as one pack. When that would make more than
    `MAX_PACKS` packs, `flush` merges them all into one (keeping only the entries this load
    used if they all exceed `MAX_BYTES`) and removes the merged packs and any damaged one.
    `hits`, `misses` and `writes` count this instance's lookups and stored entries.
    """

    MAX_PACKS = 8
    MAX_BYTES = 64 << 20

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self._packs: list[Pack] | None = None
        self._damaged: list[str] = []
        self._used: dict[str, Blob] = {}
        self._new: dict[str, Blob] = {}

    @classmethod
    def open(
        cls, schemas_dir: Path, environ: Mapping[str, str] | None = None
    ) -> ManifestCache | None:
        """The cache for these schemas, or None when `SEALKEEP_NO_CACHE` is set."""
        env = os.environ if environ is None else environ
        if env.get(NO_CACHE_ENV, "") not in ("", "0"):
            return None
        return cls(cache_root(env) / namespace(schemas_dir))

    def packs(self) -> list[Pack]:
        """The packs on disk, read on first use (damaged ones noted and skipped)."""
        if self._packs is None:
            self._packs = []
            try:
                names = sorted(n for n in os.listdir(self.folder) if n.endswith(PACK_SUFFIX))
            except OSError:
                names = []
            for name in names:
                try:
                    self._packs.append(decode_pack(name, (self.folder / name).read_bytes()))
                except CorruptPack:
                    self._damaged.append(name)
                except OSError:
                    continue  # removed meanwhile by another process's merge
        return self._packs

    def get(self, key: str, rel: str, raw: bytes) -> FileLoad | None:
        """The cached result for `key`, read as file `rel` (whose bytes are `raw`), or None."""
        for pack in self.packs():
            entry = pack.entry(key)
            if entry is None:
                continue
            try:
                load = decode(entry, rel, raw)
            except (CorruptEntry, UnicodeDecodeError):
                continue
            self.hits += 1
            self._used[key] = entry
            return load
        self.misses += 1
        return None

    def put(self, key: str, rel: str, load: FileLoad) -> None:
        """Keep `load` to be stored under `key` by the next `flush`."""
        try:
            self._new[key] = encode(load, rel)
        except (CorruptEntry, ValueError):
            return

    def store(self, key: str, entry: Blob) -> None:
        """Keep an already encoded entry to be stored under `key` by the next `flush`."""
        self._new[key] = entry

    def flush(self) -> None:
        """Write the new entries as one pack (merging packs when there are too many);
        silently gives up when the folder cannot be written."""
        packs = self.packs()
        merge = len(packs) + 1 > self.MAX_PACKS
        if not self._new and not merge and not self._damaged:
            return
        try:
            self._write(packs if merge else [])
        except OSError:
            return
        self._new.clear()

    def _write(self, merged: list[Pack]) -> None:
        entries: dict[str, Blob] = {}
        if merged:
            for pack in merged:
                entries.update(pack.entries())
            # Entries this load decoded are known good: they win over any damaged copy.
            entries.update(self._used)
            entries = _within(entries, self._used, self.MAX_BYTES)
            _remove_leftovers(self.folder)
        entries.update(self._new)
        if not self.folder.is_dir():
            self._remove_other_namespaces()
            self.folder.mkdir(parents=True, exist_ok=True)
        written = None
        if entries:
            data = encode_pack(entries)
            written = pack_name(data)
            suffix = f".{os.getpid()}.{os.urandom(6).hex()}.tmp"
            write_atomically(str(self.folder / written), data, suffix)
            self.writes += len(self._new)
        stale = {p.name for p in merged} | set(self._damaged)
        stale.discard(written)  # a damaged pack may have had the name of the one just written
        for name in sorted(stale):
            with contextlib.suppress(OSError):
                os.unlink(self.folder / name)
        self._damaged.clear()

    def _remove_other_namespaces(self) -> None:
        """Drop entries no version of this code can read again (schemas or code changed)."""
        parent = self.folder.parent
        if not parent.is_dir():
            return
        for other in parent.iterdir():
            if other.is_dir() and other.name != self.folder.name and len(other.name) == 32:
                shutil.rmtree(other, ignore_errors=True)


def _within(entries: dict[str, Blob], used: Mapping[str, Blob], limit: int) -> dict[str, Blob]:
    """`entries` if they fit in `limit` bytes, else those this load used."""
    if sum(len(data) for data in entries.values()) <= limit:
        return entries
    return {key: data for key, data in entries.items() if key in used}


def _remove_leftovers(folder: Path, age: float = 3600.0) -> None:
    """Remove temporary files an interrupted writer left behind over an hour ago."""
    now = time.time()
    for path in folder.glob("*.tmp"):
        with contextlib.suppress(OSError):
            if now - path.stat().st_mtime > age:
                path.unlink()
