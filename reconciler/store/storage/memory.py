"""In-memory storage for `--dev` and tests: nothing survives the process."""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from reconciler.store.storage.base import Transaction, children


class MemoryStorage:
    """A sorted dict of bytes; transactions buffer writes and apply them on commit."""

    def __init__(self) -> None:
        self._data: dict[str, bytes] = {}
        self._keys: list[str] = []  # kept sorted so list(prefix) is a range scan
        self._lock = threading.RLock()

    def get(self, key: str) -> bytes | None:
        """The value at `key`, or None."""
        return self._data.get(key)

    def put(self, key: str, value: bytes) -> None:
        """Store `value` at `key`."""
        with self._lock:
            if key not in self._data:
                bisect.insort(self._keys, key)
            self._data[key] = bytes(value)

    def delete(self, key: str) -> None:
        """Remove `key`; no error when missing."""
        with self._lock:
            if self._data.pop(key, None) is not None:
                index = bisect.bisect_left(self._keys, key)
                del self._keys[index]

    def list(self, prefix: str) -> list[str]:
        """Immediate children of `prefix`, sorted; folders end with "/"."""
        with self._lock:
            start = bisect.bisect_left(self._keys, prefix)
            end = bisect.bisect_left(self._keys, prefix + "\U0010ffff")
            return children(self._keys[start:end], prefix)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Buffer writes; apply them all at once when the block exits without error."""
        with self._lock:
            txn = _BufferedTransaction(self)
            yield txn
            for key, value in txn.writes.items():
                if value is None:
                    self.delete(key)
                else:
                    self.put(key, value)

    def snapshot_items(self) -> Iterator[tuple[str, bytes]]:
        """Every entry as of now, in key order (copied under the lock)."""
        with self._lock:
            items = [(key, self._data[key]) for key in self._keys]
        yield from items

    def replace_all(self, items: list[tuple[str, bytes]]) -> None:
        """Replace every entry with `items` at once (a snapshot restore)."""
        with self._lock:
            self._data = {key: bytes(value) for key, value in items}
            self._keys = sorted(self._data)

    def close(self) -> None:
        """Drop everything."""
        with self._lock:
            self._data.clear()
            self._keys.clear()


class _BufferedTransaction:
    """Reads see the transaction's own writes; nothing reaches storage until commit."""

    def __init__(self, base: MemoryStorage) -> None:
        self.base = base
        self.writes: dict[str, bytes | None] = {}

    def get(self, key: str) -> bytes | None:
        if key in self.writes:
            return self.writes[key]
        return self.base.get(key)

    def put(self, key: str, value: bytes) -> None:
        self.writes[key] = bytes(value)

    def delete(self, key: str) -> None:
        self.writes[key] = None

    def list(self, prefix: str) -> list[str]:
        base = {prefix + child for child in self.base.list(prefix) if not child.endswith("/")}
        folders = {child for child in self.base.list(prefix) if child.endswith("/")}
        for key, value in self.writes.items():
            if key.startswith(prefix):
                if value is None:
                    base.discard(key)
                else:
                    base.add(key)
        return sorted(set(children(sorted(base), prefix)) | folders)
