"""Server RSS holding 100k KV v2 secrets on the SQLite store (target <= 150 MB).

The store is filled in-process through `Core.handle` (with fsync off for the fill only, to
keep the setup short), then the real server is started on that file, unsealed, lists the
whole folder and reads a sample of secrets over HTTP; its resident set size is read from
/proc. Durability of the fill is not what is measured here.

    python bench/bench_rss.py --secrets 100000 --reads 10000
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reconciler.store.core import Core
from reconciler.store.logical import Operation, Request
from reconciler.store.storage.sqlite import SqliteStorage
from tests.support.servers import start_sqlite_server

VALUE = {"password": "p" * 32, "username": "svc-user", "url": "postgres://db.internal:5432/app"}


def fill(db: Path, count: int) -> tuple[list[str], str]:
    """Initialise a store at `db` and write `count` secrets; returns unseal keys and token."""
    storage = SqliteStorage(str(db))
    storage._conn.execute("PRAGMA synchronous=OFF")  # setup speed only
    core = Core(storage)
    keys, root = core.initialize(1, 1)
    core.seal.submit(keys[0].hex(), reset=False)
    core.after_unseal()
    for i in range(count):
        path = f"secret/data/team{i % 100}/app{i}"
        core.handle(Request(Operation.UPDATE, path, {"data": VALUE}, token=root))
    core.close()
    return [k.hex() for k in keys], root


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--secrets", type=int, default=100_000)
    parser.add_argument("--reads", type=int, default=10_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sealkeep-bench-"))
    started = time.perf_counter()
    keys, root = fill(work / "store.db", args.secrets)
    fill_seconds = time.perf_counter() - started
    server = start_sqlite_server(work, work / "store.db")
    try:
        idle = rss_mb(server.process.pid)
        server.client("").sys.submit_unseal_keys(keys)
        session = requests.Session()
        headers = {"X-Vault-Token": root}
        listed = 0
        for team in range(100):
            resp = session.request(
                "LIST", f"{server.url}/v1/secret/metadata/team{team}", headers=headers
            )
            listed += len(resp.json()["data"]["keys"])
        for i in random.sample(range(args.secrets), min(args.reads, args.secrets)):
            resp = session.get(f"{server.url}/v1/secret/data/team{i % 100}/app{i}", headers=headers)
            resp.raise_for_status()
        result = {
            "secrets": args.secrets,
            "listed": listed,
            "reads": args.reads,
            "fill_seconds": round(fill_seconds, 1),
            "rss_sealed_mb": round(idle, 1),
            "rss_after_reads_mb": round(rss_mb(server.process.pid), 1),
            "db_size_mb": round(sum(p.stat().st_size for p in work.glob("store.db*")) / 2**20, 1),
        }
        print(json.dumps(result, indent=2))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
