"""An authorised KV read's latency alone, and while clients flood wrong userpass passwords.

One `sealkeep server` on a SQLite file, user lock-out disabled on the userpass mount so every
wrong password is hashed. One client reads a KV v2 secret with a non-root token
(ACL checked) `--reads` times, first alone, then while `--flooders` threads send wrong
passwords to `auth/userpass/login/<user>` with no token (each an argon2id verification).
Reported: read p50/p99 alone and under flood, logins answered during the flood, and the
ratio p50 under flood / p50 alone (goal: <= 3).

    python bench/bench_login_flood.py --reads 300 --flooders 8
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.servers import ServerProcess, init_and_unseal, start_sqlite_server

POLICY = 'path "secret/data/bench/*" { capabilities = ["read"] }'


def _setup(server: ServerProcess) -> str:
    """A userpass user, a KV secret, and a read-only token for it."""
    root = server.client()
    root.sys.enable_secrets_engine("kv", path="secret", options={"version": "2"})
    root.sys.enable_auth_method("userpass")
    root.auth.userpass.create_or_update_user("flooded", password="the-right-one")
    # Lock-out would refuse the flooded user after five failures, without hashing: the
    # benchmark measures the hashing, so it is off on this mount.
    root.sys.tune_auth_method("userpass", user_lockout_config={"lockout_disable": True})
    root.secrets.kv.v2.create_or_update_secret("bench/app", secret={"k": "v"})
    root.sys.create_or_update_policy("bench-read", POLICY)
    return str(root.auth.token.create(policies=["bench-read"])["auth"]["client_token"])


def _read_latencies(url: str, token: str, count: int) -> list[float]:
    session = requests.Session()
    session.headers["X-Vault-Token"] = token
    out = []
    for _ in range(count):
        start = time.perf_counter()
        response = session.get(f"{url}/v1/secret/data/bench/app", timeout=60)
        out.append(time.perf_counter() - start)
        response.raise_for_status()
    return out


def _flood(url: str, stop: threading.Event, answered: list[int]) -> None:
    session = requests.Session()
    while not stop.is_set():
        response = session.post(
            f"{url}/v1/auth/userpass/login/flooded", json={"password": "wrong"}, timeout=60
        )
        if response.status_code == 400:
            answered.append(1)


def _summary(name: str, samples: list[float]) -> float:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{name:>14}: p50 {p50 * 1000:8.2f} ms  p99 {p99 * 1000:8.2f} ms  n={len(ordered)}")
    return p50


def main() -> int:
    """Run both phases on one server and print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--flooders", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_sqlite_server(Path(tmp))
        try:
            init_and_unseal(server)
            token = _setup(server)
            _read_latencies(server.url, token, 20)  # warm up
            alone = _summary("alone", _read_latencies(server.url, token, args.reads))
            stop, answered = threading.Event(), []
            threads = [
                threading.Thread(target=_flood, args=(server.url, stop, answered))
                for _ in range(args.flooders)
            ]
            for thread in threads:
                thread.start()
            time.sleep(1.0)  # let the flood fill the workers
            began = time.perf_counter()
            flooded = _summary("under flood", _read_latencies(server.url, token, args.reads))
            elapsed = time.perf_counter() - began
            stop.set()
            for thread in threads:
                thread.join()
            print(f"logins answered during the flood: {len(answered)} ({elapsed:.1f} s of reads)")
            print(f"ratio p50 under flood / p50 alone: {flooded / alone:.2f} (goal <= 3)")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
