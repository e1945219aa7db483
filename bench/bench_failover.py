"""HA failover on PostgreSQL: 3 nodes, a writer storm through a standby, kill -9 of the active
node; per trial, acknowledged writes lost (goal 0) and seconds until writes succeed again
(goal <= 5 s); then the same with sys/step-down (goal <= 1 s).

    python bench/bench_failover.py --trials 10

Needs the PostgreSQL of the machine (127.0.0.1:5432, user postgres, database test).
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import hvac
import psycopg
import requests
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.servers import ServerProcess, free_port, start_server

URL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"


def node(work: Path, table: str, name: str) -> ServerProcess:
    port = free_port()
    config = work / f"{name}.hcl"
    config.write_text(
        f'storage "postgresql" {{\n  connection_url = "{URL}"\n  table = "{table}"\n'
        f'  ha_enabled = "true"\n  ha_table = "{table}_ha"\n}}\n'
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n'
        f'api_addr = "http://127.0.0.1:{port}"\n'
    )
    return start_server(["--config", str(config)], work / f"{name}.log", port)


def health(server: ServerProcess) -> int:
    try:
        return requests.get(f"{server.url}/v1/sys/health", timeout=2).status_code
    except requests.RequestException:
        return -1


def active_of(nodes: list[ServerProcess]) -> ServerProcess:
    while True:
        live = [n for n in nodes if n.process.poll() is None and health(n) == 200]
        if len(live) == 1:
            return live[0]
        time.sleep(0.05)


class Storm:
    """Writes numbered secrets through one node; records acknowledgements and their times."""

    def __init__(self, entry: ServerProcess, prefix: str) -> None:
        self.client = entry.client()
        self.prefix = prefix
        self.acked: list[tuple[int, float]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self) -> None:
        number = 0
        while not self.stop.is_set():
            try:
                path = f"{self.prefix}/{number}"
                self.client.secrets.kv.v2.create_or_update_secret(
                    path, {"n": str(number)}, mount_point="kv"
                )
                self.acked.append((number, time.monotonic()))
                number += 1
            except (hvac.exceptions.VaultError, requests.RequestException):
                time.sleep(0.02)


def trial(
    nodes: list[ServerProcess], work: Path, table: str, number: int, kill: bool
) -> dict[str, float]:
    active = active_of(nodes)
    entry = next(n for n in nodes if n is not active and n.process.poll() is None)
    storm = Storm(entry, f"t{number}")
    storm.thread.start()
    while len(storm.acked) < 30:
        time.sleep(0.01)
    cut = time.monotonic()
    if kill:
        active.stop(signal.SIGKILL)
    else:
        active.client().sys.step_down()
    while not [t for _, t in storm.acked if t > cut]:
        time.sleep(0.01)
    resumed = min(t for _, t in storm.acked if t > cut) - cut
    time.sleep(0.5)
    storm.stop.set()
    storm.thread.join()
    reader = active_of([n for n in nodes if n.process.poll() is None]).client()
    lost = 0
    for n, _ in storm.acked:
        try:
            reader.secrets.kv.v2.read_secret_version(
                f"t{number}/{n}", mount_point="kv", raise_on_deleted_version=True
            )
        except hvac.exceptions.InvalidPath:
            lost += 1
    if kill:  # bring a third node back for the next trial
        index = nodes.index(active)
        nodes[index] = node(work, table, f"n{number}-{uuid.uuid4().hex[:4]}")
        nodes[index].root_token = active.root_token
        unseal(nodes[index], KEYS)
    return {"acknowledged": len(storm.acked), "lost": lost, "seconds_to_resume": round(resumed, 3)}


KEYS: list[str] = []


def unseal(server: ServerProcess, keys: list[str]) -> None:
    server.client("").sys.submit_unseal_keys(keys[:2])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trials", type=int, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sealkeep-failover-"))
    table = f"bench_{uuid.uuid4().hex[:8]}"
    nodes = [node(work, table, f"n{i}") for i in range(3)]
    init = nodes[0].client("").sys.initialize(secret_shares=3, secret_threshold=2)
    KEYS.extend(init["keys"])
    for n in nodes:
        n.root_token = init["root_token"]
        unseal(n, KEYS)
    active_of(nodes).client().sys.enable_secrets_engine("kv", path="kv", options={"version": "2"})
    results: dict[str, list[dict[str, float]]] = {"kill_9": [], "step_down": []}
    try:
        for number in range(args.trials):
            results["kill_9"].append(trial(nodes, work, table, number, kill=True))
        for number in range(args.trials):
            results["step_down"].append(trial(nodes, work, table, 1000 + number, kill=False))
    finally:
        for n in nodes:
            n.stop(signal.SIGKILL)
        with psycopg.connect(URL, autocommit=True) as conn:
            for name in (table, f"{table}_ha"):
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {0}").format(sql.Identifier(name)))
    summary = {
        kind: {
            "trials": len(runs),
            "acknowledged_writes": sum(r["acknowledged"] for r in runs),
            "lost_writes": sum(r["lost"] for r in runs),
            "resume_s_median": statistics.median(r["seconds_to_resume"] for r in runs),
            "resume_s_max": max(r["seconds_to_resume"] for r in runs),
        }
        for kind, runs in results.items()
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
