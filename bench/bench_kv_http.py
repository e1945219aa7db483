"""KV v2 reads over HTTP with a non-root token (ACL checked) on the SQLite store.

Measured with `wrk` (Debian package) against three servers in the same run:
  bare   - a fixed-response Starlette endpoint on uvicorn (bench/bare_app.py)
  store  - `sealkeep server` on SQLite, a non-root token reading one KV v2 secret
  audit  - the same store with one file audit device enabled
and reported as requests/s, p50/p99, and ratios to `bare`. Targets: store/bare >= 0.5 with
p99 <= 10 ms; audit/bare >= 0.35.

    python bench/bench_kv_http.py --seconds 10 --connections 8
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.servers import free_port, init_and_unseal, start_sqlite_server

POLICY = 'path "secret/data/bench/*" { capabilities = ["read"] }'


def run_wrk(url: str, token: str, seconds: int, connections: int) -> dict[str, float]:
    """Run wrk once and parse requests/s and latency percentiles (ms)."""
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"X-Vault-Token: {token}",
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50_ms": _latency(out, "50%"),
        "p99_ms": _latency(out, "99%"),
        "non_2xx": float(errors.group(1)) if errors else 0.0,
    }


def _latency(out: str, label: str) -> float:
    value, unit = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)", out).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def start_bare() -> tuple[subprocess.Popen[bytes], str]:
    """The baseline server."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("bare_app.py")), str(port)]
    )
    url = f"http://127.0.0.1:{port}/v1/secret/data/bench/db"
    for _ in range(100):
        try:
            requests.get(url, timeout=1)
            return process, url
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("bare server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="sealkeep-bench-"))
    bare, bare_url = start_bare()
    server = start_sqlite_server(work)
    try:
        init_and_unseal(server)
        root = server.client()
        if "secret/" not in root.sys.list_mounted_secrets_engines()["data"]:
            # A non-dev server starts with no KV mount, as Vault's does.
            root.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
        root.secrets.kv.v2.create_or_update_secret(
            "bench/db", secret={"password": "0123456789abcdef"}
        )
        root.sys.create_or_update_acl_policy("bench", POLICY)
        token = root.auth.token.create(policies=["bench"], ttl="1h")["auth"]["client_token"]
        store_url = f"{server.url}/v1/secret/data/bench/db"
        results = {
            "bare": run_wrk(bare_url, token, args.seconds, args.connections),
            "store": run_wrk(store_url, token, args.seconds, args.connections),
        }
        root.sys.enable_audit_device("file", options={"file_path": str(work / "audit.log")})
        results["audit"] = run_wrk(store_url, token, args.seconds, args.connections)
        results["store_ratio"] = {"value": results["store"]["rps"] / results["bare"]["rps"]}
        results["audit_ratio"] = {"value": results["audit"]["rps"] / results["bare"]["rps"]}
        print(json.dumps(results, indent=2))
    finally:
        server.stop()
        bare.terminate()
        bare.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
