"""The read cache never serves a value older than the last completed write."""

from __future__ import annotations

import threading

from reconciler.store.storage.cache import ReadCache
from reconciler.store.storage.memory import MemoryStorage


class SlowReads(MemoryStorage):
    """Real memory storage whose next read pauses until the test lets it finish."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = threading.Event()
        self.release = threading.Event()
        self.pause_next = False

    def get(self, key: str) -> bytes | None:
        value = super().get(key)
        if self.pause_next:
            self.pause_next = False
            self.reading.set()
            self.release.wait(5)
        return value


def test_reads_are_served_from_cache_until_written() -> None:
    inner = MemoryStorage()
    cache = ReadCache(inner)
    cache.put("k", b"1")
    assert cache.get("k") == b"1"
    inner.put("k", b"behind-the-cache")  # not through the cache: the cached value stays
    assert cache.get("k") == b"1"
    cache.put("k", b"2")
    assert cache.get("k") == b"2"
    cache.delete("k")
    assert cache.get("k") is None


def test_transaction_writes_invalidate_after_commit_and_rollback() -> None:
    cache = ReadCache(MemoryStorage())
    cache.put("a", b"old")
    assert cache.get("a") == b"old"
    with cache.transaction() as txn:
        txn.put("a", b"new")
    assert cache.get("a") == b"new"
    try:
        with cache.transaction() as txn:
            txn.put("a", b"rolled-back")
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    assert cache.get("a") == b"new"


def test_a_read_racing_a_write_does_not_cache_the_old_value() -> None:
    inner = SlowReads()
    cache = ReadCache(inner)
    inner.put("k", b"old")
    inner.pause_next = True
    seen: list[bytes | None] = []
    reader = threading.Thread(target=lambda: seen.append(cache.get("k")))
    reader.start()
    assert inner.reading.wait(5)
    cache.put("k", b"new")  # completes while the reader still holds the old value
    inner.release.set()
    reader.join(5)
    assert seen == [b"old"]
    assert cache.get("k") == b"new", "the racing read must not have cached the old value"


def test_cache_is_bounded() -> None:
    cache = ReadCache(MemoryStorage(), max_entries=10)
    for n in range(50):
        cache.put(f"k{n}", b"v")
        cache.get(f"k{n}")
    assert len(cache._entries) <= 10
