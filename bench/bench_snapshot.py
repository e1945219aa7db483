"""Snapshot save and restore time for a store of N secrets (issue 16: 100k).

The store is filled in process (KV v2 writes through Core.handle on SQLite, in batches under
one deferred fsync), then timed: a snapshot of all storage (consistent read, tar.gz with
sealed checksums), a restore into a fresh SQLite file, and a restore into PostgreSQL when it
is reachable. Also reports the file size and entries per second.

    python bench/bench_snapshot.py --secrets 100000
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reconciler.store.core import Core
from reconciler.store.logical import Operation, Request
from reconciler.store.operations.snapshot import read_snapshot, restore_items
from reconciler.store.storage.factory import open_storage

PG_URL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"


def fill(core: Core, secrets: int) -> None:
    """`secrets` KV v2 secrets, written in batches that share one fsync."""
    core.require_runtime().enable("kv/", "kv", "secret", {"options": {"version": "2"}})
    storage = core.storage
    for first in range(0, secrets, 1000):
        with storage.deferred_sync():  # type: ignore[attr-defined]
            for n in range(first, min(first + 1000, secrets)):
                data = {"data": {"password": f"p-{n:08d}" * 4, "user": f"svc-{n}"}}
                core.handle(Request(Operation.UPDATE, f"kv/data/app/{n}", data, token="root"))


def timed(action):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = action()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--secrets", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sealkeep-snapshot-bench-"))
    try:
        core = Core(open_storage("sqlite", {"path": str(work / "source.db")}))
        core.dev_setup("root")
        _, fill_s = timed(lambda: fill(core, args.secrets))
        blob, save_s = timed(core.take_snapshot)
        snapshot, read_s = timed(lambda: read_snapshot(blob))
        entries = len(snapshot.items)
        sqlite_target = open_storage("sqlite", {"path": str(work / "restored.db")})
        _, sqlite_s = timed(lambda: restore_items(sqlite_target, snapshot.items))
        sqlite_target.close()
        result = {
            "secrets": args.secrets,
            "entries": entries,
            "fill_s": round(fill_s, 1),
            "snapshot_bytes": len(blob),
            "save_s": round(save_s, 2),
            "read_and_check_s": round(read_s, 2),
            "restore_sqlite_s": round(sqlite_s, 2),
            "save_entries_per_s": round(entries / save_s),
        }
        try:
            table = f"bench_{uuid.uuid4().hex[:8]}"
            pg = open_storage("postgresql", {"connection_url": PG_URL, "table": table})
            _, pg_s = timed(lambda: restore_items(pg, snapshot.items))
            result["restore_postgresql_s"] = round(pg_s, 2)
            pg._conn.execute(f'DROP TABLE "{table}"')  # type: ignore[attr-defined]
            pg.close()
        except Exception as exc:  # PostgreSQL is optional for this benchmark
            result["restore_postgresql_s"] = f"skipped: {type(exc).__name__}"
        core.close()
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
