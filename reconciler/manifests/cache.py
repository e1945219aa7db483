"""A content-addressed cache of per-file load results, so unchanged manifests are not re-parsed.

Layout: `$XDG_CACHE_HOME/sealkeep/manifests/<namespace>/<aa>/<key>` (default `~/.cache`).

- `key` is the SHA-256 of the file's bytes (for an HCL policy file, of its stem and bytes:
  the policy is named after the file). Entries hold no file path: spans and diagnostics are
  stored as line/column and given the file's path when read, so identical files share one.
- `namespace` hashes everything else a result depends on: this format's version, the
  Python, PyYAML and jsonschema versions, every file of the `schemas/` folder and the source
  of the code that parses and checks (this package and the store's HCL policy parser).
  Entries of any other namespace are never read, and their folders are removed on a write.
- An entry's form is in `reconciler.manifests.cache_codec`; a corrupt, truncated or foreign
  entry is ignored (and rewritten).
- Entries are written to a temporary file and renamed into place, so readers never see a
  partial entry.
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
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from reconciler.manifests.cache_codec import FORMAT, CorruptEntry, decode, encode, entry_key
from reconciler.manifests.fileload import FileLoad, read_bytes

__all__ = ["NO_CACHE_ENV", "ManifestCache", "cache_root", "entry_key", "namespace"]

NO_CACHE_ENV = "SEALKEEP_NO_CACHE"
_CODE_DIRS = ("manifests", "store/policy")
_LIBRARIES = ("PyYAML", "jsonschema", "referencing")


def cache_root(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/sealkeep/manifests` (an absolute XDG_CACHE_HOME only, as the XDG
    spec says), else `~/.cache/sealkeep/manifests`."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "")
    folder = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return folder / "sealkeep" / "manifests"


class _Digest(Protocol):
    def update(self, data: bytes, /) -> None: ...


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
    package = Path(__file__).resolve().parents[1]
    for sub in _CODE_DIRS:
        _hash_tree(digest, package / sub, "*.py")
    return digest.hexdigest()[:32]


def write_atomically(target: str, data: bytes, suffix: str) -> None:
    """Write `data` to `target + suffix`, then rename it to `target` (`suffix` must be unique
    to the writer: the file is created exclusively)."""
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


class ManifestCache:
    """Per-file load results under one namespace folder; every failure is a cache miss.

    `hits`, `misses` and `writes` count this instance's lookups and stored entries.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        self.writes = 0
        # A cache that did not exist yet cannot hit: skip the lookups.
        self._empty = not folder.is_dir()
        self._folders: set[str] = set()
        self._failed = False
        self._token = f".{os.getpid()}.{os.urandom(6).hex()}"

    @classmethod
    def open(
        cls, schemas_dir: Path, environ: Mapping[str, str] | None = None
    ) -> ManifestCache | None:
        """The cache for these schemas, or None when `SEALKEEP_NO_CACHE` is set."""
        env = os.environ if environ is None else environ
        if env.get(NO_CACHE_ENV, "") not in ("", "0"):
            return None
        return cls(cache_root(env) / namespace(schemas_dir))

    def _path(self, key: str) -> str:
        return os.path.join(self.folder, key[:2], key)

    def get(self, key: str, rel: str, raw: bytes) -> FileLoad | None:
        """The cached result for `key`, read as file `rel` (whose bytes are `raw`), or None."""
        if self._empty:
            self.misses += 1
            return None
        try:
            load = decode(read_bytes(self._path(key)), rel, raw)
        except (OSError, CorruptEntry, UnicodeDecodeError):
            self.misses += 1
            return None
        self.hits += 1
        return load

    def put(self, key: str, rel: str, load: FileLoad) -> None:
        """Store `load` under `key`, atomically; silently gives up once a write fails."""
        if self._failed:
            return
        try:
            entry = encode(load, rel)
        except (CorruptEntry, ValueError):
            return
        try:
            self._write(key, entry)
        except OSError:
            self._failed = True

    def _write(self, key: str, entry: bytes) -> None:
        folder = os.path.join(self.folder, key[:2])
        if folder not in self._folders:
            if not self.folder.is_dir():
                self._remove_other_namespaces()
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        self.writes += 1
        write_atomically(os.path.join(folder, key), entry, f"{self._token}.{self.writes}.tmp")

    def _remove_other_namespaces(self) -> None:
        """Drop entries no version of this code can read again (schemas or code changed)."""
        parent = self.folder.parent
        if not parent.is_dir():
            return
        for other in parent.iterdir():
            if other.is_dir() and other.name != self.folder.name and len(other.name) == 32:
                shutil.rmtree(other, ignore_errors=True)
