"""Sealkeep against OpenBao, same load generator, same durability, in one run (issue 14).

Four workloads, each driven by `wrk` for `--seconds` with `--connections` clients:
  kv-read        GET a KV v2 secret with an ACL (non-root) token
  kv-write       POST new KV v2 versions with an ACL token
  approle-login  POST auth/approle/login (a secret id with unlimited uses)
  transit        POST transit/encrypt/<key>
Both servers keep data durably and log every request to a file audit device: Sealkeep on SQLite
(the audit device enabled through the API), OpenBao on raft with the device declared in its
config (OpenBao 2.x refuses API-created audit devices). Reported per workload: requests/s, p99
and server CPU per request (from /proc: user + system time of the server process), and the
ratios Sealkeep / OpenBao.

    python bench/bench_vs_openbao.py --seconds 10 --connections 8    (needs wrk and bao)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import hvac
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.openbao import bao_binary
from tests.support.servers import free_port, init_and_unseal, start_sqlite_server

POLICY = """
path "secret/data/bench/*" { capabilities = ["create", "read", "update"] }
path "transit/encrypt/bench" { capabilities = ["update"] }
"""
WRITE_LUA = """
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", "/v1/secret/data/bench/w" .. counter, nil,
                    '{"data":{"password":"' .. counter .. '","username":"bench-user"}}')
end
"""


@dataclass
class Target:
    """A server under test: its address, an ACL token, AppRole credentials and its pid."""

    name: str
    url: str
    token: str
    role_id: str
    secret_id: str
    pid: int


def prepare(client: hvac.Client) -> tuple[str, str, str]:
    """Mounts, a policy, an ACL token, a secret to read and an AppRole; returns
    (token, role_id, secret_id)."""
    mounts = client.sys.list_mounted_secrets_engines()["data"]
    if "secret/" not in mounts:
        client.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    client.sys.enable_secrets_engine("transit", path="transit")
    client.secrets.transit.create_key("bench", mount_point="transit")
    client.sys.create_or_update_policy("bench", POLICY)
    client.secrets.kv.v2.create_or_update_secret(
        "bench/db", {"password": "x" * 32}, mount_point="secret"
    )
    client.sys.enable_auth_method("approle")
    client.auth.approle.create_or_update_approle(
        "bench", token_policies=["bench"], token_ttl="10m", secret_id_num_uses=0
    )
    role_id = client.auth.approle.read_role_id("bench")["data"]["role_id"]
    secret_id = client.auth.approle.generate_secret_id("bench")["data"]["secret_id"]
    token = client.auth.token.create(policies=["bench"], ttl="2h")["auth"]["client_token"]
    return token, role_id, secret_id


def start_openbao(work: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """OpenBao on raft with a file audit device declared in its config; initialised, unsealed."""
    port, cluster = free_port(), free_port()
    (work / "raft").mkdir()
    config = work / "openbao.hcl"
    audit_log = work / "openbao-audit.log"
    config.write_text(
        f'storage "raft" {{\n  path = "{work / "raft"}"\n  node_id = "bench"\n}}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n'
        f'api_addr = "http://127.0.0.1:{port}"\ncluster_addr = "http://127.0.0.1:{cluster}"\n'
        "disable_mlock = true\n"
        f'audit "file" "bench" {{\n  options {{\n    file_path = "{audit_log}"\n  }}\n}}\n'
    )
    log = (work / "openbao.log").open("wb")
    process = subprocess.Popen(
        [bao_binary(), "server", f"-config={config}"], stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(f"{url}/v1/sys/health", timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    client = hvac.Client(url=url)
    init = client.sys.initialize(secret_shares=1, secret_threshold=1)
    client.sys.submit_unseal_key(init["keys"][0])
    for _ in range(200):  # raft elects itself leader shortly after unseal
        if requests.get(f"{url}/v1/sys/health", timeout=1).status_code == 200:
            break
        time.sleep(0.1)
    return process, url, init["root_token"]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(
    target: Target, workload: str, seconds: int, connections: int, work: Path
) -> dict[str, float]:
    """One workload against one target; requests/s, p99 (ms), CPU ms per request."""
    headers = ["-H", f"X-Vault-Token: {target.token}", "-H", "Content-Type: application/json"]
    script: list[str] = []
    url = f"{target.url}/v1/secret/data/bench/db"
    if workload == "kv-write":
        (work / "write.lua").write_text(WRITE_LUA)
        script, url = ["-s", str(work / "write.lua")], target.url
    elif workload == "approle-login":
        body = json.dumps({"role_id": target.role_id, "secret_id": target.secret_id})
        (work / "login.lua").write_text(f"wrk.method = \"POST\"\nwrk.body = '{body}'\n")
        script, url, headers = (
            ["-s", str(work / "login.lua")],
            f"{target.url}/v1/auth/approle/login",
            headers[2:],
        )
    elif workload == "transit":
        (work / "transit.lua").write_text(
            'wrk.method = "POST"\nwrk.body = \'{"plaintext":"aGVsbG8gd29ybGQ="}\'\n'
        )
        script, url = ["-s", str(work / "transit.lua")], f"{target.url}/v1/transit/encrypt/bench"
    threads = min(2, connections)
    before = cpu_seconds(target.pid)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        *headers,
        *script,
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    used = cpu_seconds(target.pid) - before
    if "Non-2xx" in out:
        raise RuntimeError(f"{target.name} {workload}: errors\n{out}")
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    p99 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return {
        "rps": round(rps),
        "p99_ms": round(p99, 2),
        "cpu_ms_per_request": round(used * 1000 / total, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sealkeep-vs-openbao-"))
    sealkeep = start_sqlite_server(work)
    bao_process = None
    try:
        init_and_unseal(sealkeep)
        root = sealkeep.client()
        root.sys.enable_audit_device(
            "file", options={"file_path": str(work / "sealkeep-audit.log")}
        )
        token, role_id, secret_id = prepare(root)
        targets = [
            Target("sealkeep", sealkeep.url, token, role_id, secret_id, sealkeep.process.pid)
        ]
        bao_process, bao_url, bao_root = start_openbao(work)
        token, role_id, secret_id = prepare(hvac.Client(url=bao_url, token=bao_root))
        targets.append(Target("openbao", bao_url, token, role_id, secret_id, bao_process.pid))
        results: dict[str, dict[str, dict[str, float]]] = {}
        for workload in ("kv-read", "kv-write", "approle-login", "transit"):
            results[workload] = {
                t.name: wrk(t, workload, args.seconds, args.connections, work) for t in targets
            }
            ours, theirs = results[workload]["sealkeep"], results[workload]["openbao"]
            results[workload]["ratio_sealkeep_to_openbao"] = {
                key: round(ours[key] / theirs[key], 2) if theirs[key] else 0.0 for key in ours
            }
        print(json.dumps(results, indent=2))
    finally:
        sealkeep.stop()
        if bao_process is not None:
            bao_process.terminate()
            bao_process.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
