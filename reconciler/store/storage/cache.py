"""A bounded read cache of decrypted entries in front of the barrier.

It saves a storage read and an AES-GCM decryption on hot keys (token entries, KV metadata).
It lives in the unsealed runtime and is dropped on seal. Correctness under concurrent writers
comes from a generation counter: a read may only fill the cache if no write finished while it
was reading, so a stale value can never be cached after a newer one was stored.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from reconciler.store.storage.base import Storage, Transaction

_MISSING = object()


class ReadCache:
    """get/put/delete/list/transaction over `inner`, caching up to `max_entries` reads."""

    def __init__(self, inner: Storage, max_entries: int = 10_000) -> None:
        self._inner = inner
        self._max = max_entries
        self._entries: OrderedDict[str, bytes | None] = OrderedDict()
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """The value at `key`, from the cache when present."""
        with self._lock:
            hit = self._entries.get(key, _MISSING)
            if hit is not _MISSING:
                self._entries.move_to_end(key)
                return hit  # type: ignore[return-value]
            generation = self._generation
        value = self._inner.get(key)
        with self._lock:
            if generation == self._generation:
                self._entries[key] = value
                if len(self._entries) > self._max:
                    self._entries.popitem(last=False)
        return value

    def _invalidate(self, keys: list[str]) -> None:
        with self._lock:
            self._generation += 1
            for key in keys:
                self._entries.pop(key, None)

    def put(self, key: str, value: bytes) -> None:
        """Store through to the barrier, then forget the cached value."""
        self._inner.put(key, value)
        self._invalidate([key])

    def delete(self, key: str) -> None:
        """Delete through to the barrier, then forget the cached value."""
        self._inner.delete(key)
        self._invalidate([key])

    def list(self, prefix: str) -> list[str]:
        """Listing is never cached."""
        return self._inner.list(prefix)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """A barrier transaction; keys it wrote are forgotten once it committed."""
        written: list[str] = []
        try:
            with self._inner.transaction() as txn:
                yield _TrackingTransaction(txn, written)
        finally:
            self._invalidate(written)

    def clear(self) -> None:
        """Drop every cached value (on seal)."""
        self._invalidate(list(self._entries))

    def close(self) -> None:
        """Storage protocol: the cache owns nothing to close."""
        self.clear()


class _TrackingTransaction:
    """Passes through to the transaction, remembering which keys were written."""

    def __init__(self, txn: Transaction, written: list[str]) -> None:
        self._txn = txn
        self._written = written

    def get(self, key: str) -> bytes | None:
        return self._txn.get(key)

    def put(self, key: str, value: bytes) -> None:
        self._written.append(key)
        self._txn.put(key, value)

    def delete(self, key: str) -> None:
        self._written.append(key)
        self._txn.delete(key)

    def list(self, prefix: str) -> list[str]:
        return self._txn.list(prefix)
