"""Durable KV v2 writes per second over HTTP, as a ratio to a raw SQLite loop.

Both sides give the same guarantee: every acknowledged write is fsynced. The raw loop uses
SQLite's synchronous=FULL (one fsync per commit); the store commits with synchronous=NORMAL and
fsyncs the WAL itself before answering, once for all the writers that finished meanwhile
(group commit), so concurrent clients share fsyncs. The store's side is the real server on
loopback, written to by hvac-style HTTP requests with a non-root token (ACL checked), so the
ratio includes HTTP, ACL, the barrier's encryption and the KV v2 version + metadata
transaction. Target (issue 16): HTTP ratio >= 0.6 with concurrent writers. It also times
the same writes through `Core.handle` in-process, to separate the store's cost from the HTTP
stack's.

    python bench/bench_kv_write.py --n 2000 --seconds 10   (needs wrk: apt-get install wrk)
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reconciler.store.core import Core
from reconciler.store.logical import Operation, Request
from reconciler.store.storage.factory import open_storage
from reconciler.store.storage.sqlite import PRAGMAS
from tests.support.servers import init_and_unseal, start_sqlite_server

POLICY = 'path "secret/data/bench/*" { capabilities = ["create", "update"] }'
VALUE = {"password": "x" * 64, "username": "bench-user", "host": "db.internal:5432"}


def raw_sqlite(path: Path, n: int) -> float:
    """Insert-and-commit `n` rows of the same size; returns rows per second."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        conn.execute(pragma)
    conn.execute("CREATE TABLE entries (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID")
    payload = json.dumps({"data": VALUE}).encode() * 2  # a version entry plus its metadata
    start = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO entries VALUES (?, ?)", (f"k/{i}", payload))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


WRK_SCRIPT = """
counter = 0
request = function()
  counter = counter + 1
  local body = '{"data":{"password":"%s","username":"bench-user"}}'
  return wrk.format("POST", "/v1/secret/data/bench/" .. counter, nil, string.format(body, counter))
end
"""


def store_writes(url: str, token: str, seconds: int, work: Path, connections: int) -> float:
    """KV v2 writes through the server for `seconds`, driven by wrk (a C load generator)."""
    script = work / "write.lua"
    script.write_text(WRK_SCRIPT)
    threads = min(2, connections)  # wrk needs at least one connection per thread
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", str(script)]
    cmd += ["-H", f"X-Vault-Token: {token}", "-H", "Content-Type: application/json", url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"writes failed:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def core_writes(path: Path, n: int) -> float:
    """`n` KV v2 writes through `Core.handle` in-process: the store's cost without HTTP."""
    core = Core(open_storage("sqlite", {"path": str(path)}))
    core.dev_setup("root")

    def call(op: Operation, req_path: str, data: dict, token: str = "root") -> object:
        return core.handle(Request(op, req_path, data, token=token, remote_addr="127.0.0.1"))

    call(Operation.UPDATE, "sys/policies/acl/bench", {"policy": POLICY})
    token = call(Operation.UPDATE, "auth/token/create", {"policies": ["bench"]}).auth.client_token
    start = time.perf_counter()
    for i in range(n):
        call(Operation.UPDATE, f"secret/data/bench/{i}", {"data": VALUE}, token)
    rate = n / (time.perf_counter() - start)
    core.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--connections", type=int, default=8, help="concurrent writers (group commit shares fsyncs)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sealkeep-bench-"))
    server = start_sqlite_server(work)
    try:
        init_and_unseal(server)
        root = server.client()
        root.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
        root.sys.create_or_update_acl_policy("bench", POLICY)
        token = root.auth.token.create(policies=["bench"], ttl="1h")["auth"]["client_token"]
        raw = raw_sqlite(work / "raw.db", args.n)
        in_process = core_writes(work / "core.db", args.n)
        over_http = store_writes(server.url, token, args.seconds, work, args.connections)
        result = {
            "connections": args.connections,
            "raw_sqlite_commits_per_s": round(raw),
            "core_writes_per_s": round(in_process),
            "http_writes_per_s": round(over_http),
            "core_ratio": round(in_process / raw, 3),
            "http_ratio": round(over_http / raw, 3),
        }
        print(json.dumps(result, indent=2))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
