"""SQLite-specific guarantees: durability across kill -9, cheap folder listing, threads."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.store.storage.base import children
from reconciler.store.storage.sqlite import SqliteStorage

REPO = Path(__file__).resolve().parents[3]

CHILD = textwrap.dedent(
    """
    import sys
    from reconciler.store.storage.sqlite import SqliteStorage

    storage = SqliteStorage(sys.argv[1])
    i = 0
    while True:
        key = f"acked/{i:07d}"
        storage.put(key, key.encode() * 3)
        print(key, flush=True)  # acknowledged only once put returned
        i += 1
    """
)


def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    path = str(tmp_path / "store.db")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, path], stdout=subprocess.PIPE, text=True, env=env
    )
    assert child.stdout is not None
    acked: list[str] = []
    try:
        while len(acked) < 150:
            line = child.stdout.readline()
            assert line, "the writer exited early"
            acked.append(line.strip())
        child.send_signal(signal.SIGKILL)
        acked.extend(line.strip() for line in child.stdout)  # printed before the kill
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    reopened = SqliteStorage(path)
    try:
        missing = [key for key in acked if reopened.get(key) != key.encode() * 3]
        assert missing == []
    finally:
        reopened.close()


class _StatementCounter:
    """Counts SELECTs on the storage's connection (white box: the skip-ahead listing)."""

    def __init__(self, storage: SqliteStorage) -> None:
        self.selects = 0
        storage._conn.set_trace_callback(self._trace)

    def _trace(self, statement: str) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.selects += 1


def test_list_skips_over_large_subfolders(tmp_path: Path) -> None:
    storage = SqliteStorage(str(tmp_path / "store.db"))
    try:
        with storage.transaction() as txn:
            for i in range(100_000):
                txn.put(f"big/{'ab'[i % 2]}/nested/{i:06d}", b"v")
            txn.put("big/leaf1", b"v")
            txn.put("big/leaf2", b"v")
        counter = _StatementCounter(storage)
        assert storage.list("big/") == ["a/", "b/", "leaf1", "leaf2"]
        # one query per sub-folder plus the final one, never one per descendant
        assert counter.selects == 3
    finally:
        storage.close()


def test_nested_transaction_is_refused(tmp_path: Path) -> None:
    storage = SqliteStorage(str(tmp_path / "store.db"))
    try:
        with storage.transaction() as txn:
            txn.put("a", b"1")
            with pytest.raises(RuntimeError, match="nested"), storage.transaction():
                pass
        assert storage.get("a") == b"1"
    finally:
        storage.close()


def test_every_acknowledged_write_is_fsynced(tmp_path: Path) -> None:
    """SQLite does not fsync at commit (NORMAL); the storage fsyncs the WAL itself before a
    put returns, or before a deferred block ends."""
    storage = SqliteStorage(str(tmp_path / "store.db"))
    try:
        assert storage._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert storage._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        storage.put("a", b"1")
        assert storage.group.fsyncs == 1
        with storage.deferred_sync():
            storage.put("b", b"2")
            storage.delete("a")
            assert storage.group.fsyncs == 1  # not yet: the block has not ended
        assert storage.group.fsyncs == 2
    finally:
        storage.close()


def test_concurrent_writers_share_one_fsync(tmp_path: Path) -> None:
    storage = SqliteStorage(str(tmp_path / "store.db"))
    writers = 8
    all_written = threading.Barrier(writers)

    def write(n: int) -> None:
        with storage.deferred_sync():
            storage.put(f"k{n}", b"v")
            all_written.wait()  # every write is committed before any block ends

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert storage.group.fsyncs == 1  # one fsync made all eight durable
        assert storage.list("") == [f"k{n}" for n in range(writers)]
    finally:
        storage.close()


def test_concurrent_writers_and_transactions(tmp_path: Path) -> None:
    storage = SqliteStorage(str(tmp_path / "store.db"))
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(50):
                if i % 5 == 0:
                    with storage.transaction() as txn:
                        txn.put(f"w{n}/t{i}", b"t")
                        assert txn.get(f"w{n}/t{i}") == b"t"
                else:
                    storage.put(f"w{n}/p{i}", b"p")
                    assert storage.get(f"w{n}/p{i}") == b"p"
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert storage.list("") == [f"w{n}/" for n in range(6)]
        assert all(len(storage.list(f"w{n}/")) == 50 for n in range(6))
    finally:
        storage.close()


def test_closed_storage_raises(tmp_path: Path) -> None:
    storage = SqliteStorage(str(tmp_path / "store.db"))
    storage.close()
    with pytest.raises(Exception, match="closed"):
        storage.get("a")


@given(st.sets(st.text(alphabet="ab/0-.", min_size=1, max_size=8), max_size=30))
@settings(max_examples=150, deadline=None)
def test_list_matches_reference_children(keys: set[str]) -> None:
    storage = SqliteStorage(":memory:")
    try:
        for key in keys:
            storage.put(key, b"v")
        ordered = sorted(keys)
        prefixes = {""} | {key[: i + 1] for key in keys for i, c in enumerate(key) if c == "/"}
        for prefix in prefixes | {"a", "a/b"}:
            assert storage.list(prefix) == children(ordered, prefix), prefix
    finally:
        storage.close()
