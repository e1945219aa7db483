"""A content-addressed cache of per-file load results, so unchanged manifests are not re-parsed.

Layout: `$XDG_CACHE_HOME/sealkeep/manifests/<namespace>/entries.sqlite3` (default `~/.cache`):
one table, key -> entry, in SQLite's WAL mode; a load reads its entries in one transaction
and writes the new ones in another. (A measured choice, see bench/RESULTS.md: the cache makes
a warm load of 10,000 Secrets and 1,000 Policies several times faster than no cache.)

- `key` is the SHA-256 of the file's bytes (for an HCL policy file, of its stem and bytes:
  the policy is named after the file). Entries hold no file path: spans and diagnostics are
  stored as line/column and given the file's path when read, so identical files share one.
- `namespace` hashes everything else a result depends on: this format's version, the
  Python, PyYAML and jsonschema versions, every file of the `schemas/` folder and the source
  of the code that parses and checks (this package and the shared vocabulary).
  Entries of any other namespace are never read, and their folders are removed on a write.
- An entry's form is in `reconciler.gitops.manifests.cache_codec`; a corrupt, truncated or
  foreign entry is a miss (and rewritten), and a file that is not a readable database is
  replaced by a new one on the next write.
- Past `ManifestCache.MAX_BYTES`, a write keeps only the entries its load used.
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
import sqlite3
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from reconciler.gitops.manifests.cache_codec import FORMAT, CorruptEntry, decode, encode, entry_key
from reconciler.gitops.manifests.fileload import FileLoad

__all__ = ["NO_CACHE_ENV", "ManifestCache", "cache_root", "entry_key", "namespace"]

NO_CACHE_ENV = "SEALKEEP_NO_CACHE"
DATABASE = "entries.sqlite3"
_SCHEMA = "CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, entry BLOB NOT NULL)"
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

    `get` looks entries up in the database (opened on the first lookup, read in one
    transaction); `put` and `store` collect new entries; `flush` writes them in one
    transaction and closes the database. `hits`, `misses` and `writes` count this instance's
    lookups and stored entries.
    """

    MAX_BYTES = 64 << 20

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        self.writes = 0
        self._db: sqlite3.Connection | None = None
        self._opened = False
        self._damaged = False
        self._used: dict[str, bytes] = {}
        self._new: dict[str, bytes] = {}

    @classmethod
    def open(
        cls, schemas_dir: Path, environ: Mapping[str, str] | None = None
    ) -> ManifestCache | None:
        """The cache for these schemas, or None when `SEALKEEP_NO_CACHE` is set."""
        env = os.environ if environ is None else environ
        if env.get(NO_CACHE_ENV, "") not in ("", "0"):
            return None
        return cls(cache_root(env) / namespace(schemas_dir))

    @property
    def path(self) -> Path:
        """The database file."""
        return self.folder / DATABASE

    def _reader(self) -> sqlite3.Connection | None:
        """The database in a read transaction, opened on first use; None when there is none
        yet (a lookup never creates it) or it cannot be read."""
        if not self._opened:
            self._opened = True
            if self.path.is_file():
                try:
                    self._db = _connect(self.path)
                    self._db.execute("BEGIN")
                except sqlite3.Error:
                    self._broken()
        return self._db

    def _broken(self) -> None:
        """Stop reading a damaged database; the next `flush` replaces it."""
        self._damaged = True
        self._close()

    def get(self, key: str, rel: str, raw: bytes) -> FileLoad | None:
        """The cached result for `key`, read as file `rel` (whose bytes are `raw`), or None."""
        db = self._reader()
        row = None
        if db is not None:
            try:
                row = db.execute("SELECT entry FROM entries WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error:
                self._broken()
        if row is not None:
            try:
                load = decode(row[0], rel, raw)
            except (CorruptEntry, UnicodeDecodeError, TypeError):
                load = None
            if load is not None:
                self.hits += 1
                self._used[key] = row[0]
                return load
        self.misses += 1
        return None

    def end_reads(self) -> None:
        """Close the database after the last lookup: worker processes are forked next, and
        SQLite connections must not cross a fork. A later lookup opens it again."""
        self._close()
        self._opened = self._damaged

    def put(self, key: str, rel: str, load: FileLoad) -> None:
        """Keep `load` to be stored under `key` by the next `flush`."""
        try:
            self._new[key] = encode(load, rel)
        except (CorruptEntry, ValueError):
            return

    def store(self, key: str, entry: bytes) -> None:
        """Keep an already encoded entry to be stored under `key` by the next `flush`."""
        self._new[key] = entry

    def flush(self) -> None:
        """Write the new entries in one transaction and close the database; silently gives up
        when it cannot be written (another process holding it past the timeout, a read-only
        folder)."""
        self._close()  # ends the read transaction
        if not self._new and not self._damaged:
            return
        try:
            self._write()
        except (OSError, sqlite3.Error):
            return
        finally:
            self._close()
        self.writes += len(self._new)
        self._new.clear()

    def _write(self) -> None:
        if not self.folder.is_dir():
            self._remove_other_namespaces()
            self.folder.mkdir(parents=True, exist_ok=True)
        if self._damaged:
            _remove_database(self.path)
            # Entries this load decoded are known good: they go into the new database too.
            self._new = {**self._used, **self._new}
        self._db = _connect(self.path)
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR REPLACE INTO entries (key, entry) VALUES (?, ?)", self._new.items()
            )
            if _size(self._db) > self.MAX_BYTES:
                self._keep_only({*self._used, *self._new})
        self._damaged = False

    def _keep_only(self, keys: set[str]) -> None:
        """Delete every entry but `keys` (those this load used or wrote)."""
        assert self._db is not None
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key TEXT PRIMARY KEY)")
        self._db.executemany("INSERT OR IGNORE INTO keep (key) VALUES (?)", ((k,) for k in keys))
        self._db.execute("DELETE FROM entries WHERE key NOT IN (SELECT key FROM keep)")

    def _close(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None

    def _remove_other_namespaces(self) -> None:
        """Drop entries no version of this code can read again (schemas or code changed)."""
        parent = self.folder.parent
        if not parent.is_dir():
            return
        for other in parent.iterdir():
            if other.is_dir() and other.name != self.folder.name and len(other.name) == 32:
                shutil.rmtree(other, ignore_errors=True)


def _connect(path: Path) -> sqlite3.Connection:
    """Open (or create) the database: WAL, so a reader never waits for a writer."""
    db = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    try:
        # Entries are ~2.5 KB: 4 KB pages hold one each (40% of the file unused), 16 KB six.
        db.execute("PRAGMA page_size=16384")
        db.execute("PRAGMA journal_mode=WAL")
        # A cache: losing the last write to a power cut is a miss, not a fault.
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute(_SCHEMA)
    except sqlite3.Error:
        db.close()
        raise
    return db


def _size(db: sqlite3.Connection) -> int:
    """Bytes in use: pages in the file, less the free ones."""
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0]
    return int((pages - free) * db.execute("PRAGMA page_size").fetchone()[0])


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(OSError):
            os.unlink(f"{path}{suffix}")
