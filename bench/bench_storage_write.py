"""Durable write throughput: SqliteStorage.put against a bare sqlite3 insert-and-commit loop.

Both sides use the same PRAGMAs (WAL, synchronous=FULL) and commit every write, so the ratio
is the cost of the storage layer itself (locking, upsert, Python calls), not of fsync.

    python bench/bench_storage_write.py --n 2000
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable

from reconciler.store.storage.sqlite import PRAGMAS, SqliteStorage

VALUE_SIZE = 200


def _keys(n: int) -> list[str]:
    return [f"bench/{i % 97:02d}/entry-{i:08d}" for i in range(n)]


def bench_storage(path: str, keys: list[str], value: bytes) -> float:
    """Seconds to put every key through SqliteStorage (each put committed and fsynced)."""
    storage = SqliteStorage(path)
    try:
        start = time.perf_counter()
        for key in keys:
            storage.put(key, value)
        return time.perf_counter() - start
    finally:
        storage.close()


def bench_raw(path: str, keys: list[str], value: bytes) -> float:
    """Seconds for the same writes as plain INSERT + COMMIT on a raw connection."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in PRAGMAS:
            conn.execute(pragma)
        conn.execute(
            "CREATE TABLE entries (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID"
        )
        start = time.perf_counter()
        for key in keys:
            conn.execute("BEGIN")
            conn.execute("INSERT OR REPLACE INTO entries (key, value) VALUES (?, ?)", (key, value))
            conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        conn.close()


def _run(name: str, bench: Callable[[str, list[str], bytes], float], folder: str, n: int) -> float:
    path = os.path.join(folder, f"{name}.db")
    seconds = bench(path, _keys(n), os.urandom(VALUE_SIZE))
    rate = n / seconds
    print(f"{name:>14}: {n} writes in {seconds:.3f}s = {rate:,.0f} writes/s")
    return rate


def main(argv: list[str] | None = None) -> int:
    """Run both loops in one temporary folder and print writes/s and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="number of writes per run")
    parser.add_argument("--dir", default=None, help="folder for the database files")
    args = parser.parse_args(argv)
    if args.n < 1:
        parser.error("--n must be at least 1")
    with tempfile.TemporaryDirectory(dir=args.dir) as folder:
        raw = _run("raw sqlite3", bench_raw, folder, args.n)
        ours = _run("SqliteStorage", bench_storage, folder, args.n)
    print(f"{'ratio':>14}: SqliteStorage runs at {ours / raw:.2f}x the raw loop")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
