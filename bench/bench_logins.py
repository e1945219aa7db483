"""AppRole and JWT logins per second, as ratios to a KV v2 read, in one run on the SQLite store.

One `sealkeep server` on a SQLite file. The same client drives all three loads: a pool of
`--workers` threads, each with its own `requests.Session`, calling for `--seconds` (and at most
`--max-requests` calls in all):
  read     - GET a KV v2 secret with a non-root token (ACL checked)
  approle  - POST auth/approle/login with a role_id and an unlimited secret_id
  jwt      - POST auth/jwt/login with an RS256 token verified against a real RSA public key
             (jwt_validation_pubkeys), bound audience and issuer checked
A login creates and persists a token, so it is a write; a read is not. Reported: requests/s,
p50/p99 latency, errors, and approle/read and jwt/read.

With `--tool wrk` the same three loads run from `wrk` instead (POST bodies from a Lua script),
which leaves more CPU to the server on a small machine.

    python bench/bench_logins.py --seconds 5 --workers 8
    python bench/bench_logins.py --tool wrk --seconds 5 --workers 8
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import jwt
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.servers import ServerProcess, init_and_unseal, start_sqlite_server

POLICY = 'path "secret/data/bench/*" { capabilities = ["read"] }'
ISSUER = "https://issuer.bench.test"
AUDIENCE = "sealkeep-bench"

Call = Callable[[requests.Session], requests.Response]


@dataclass(frozen=True)
class Target:
    """One load: the HTTP call, and the same request as wrk needs it."""

    call: Call
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] | None = None


@dataclass
class Tally:
    """What the workers of one load measured; `latencies` are seconds."""

    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def summary(self, seconds: float) -> dict[str, float]:
        """Requests/s and latency percentiles (ms)."""
        ordered = sorted(self.latencies) or [0.0]
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return {
            "rps": round(self.ok / seconds, 1),
            "p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(p99 * 1000, 2),
            "requests": self.ok,
            "errors": self.errors,
        }


def run_load(call: Call, workers: int, seconds: float, max_requests: int) -> dict[str, float]:
    """Run `call` from `workers` threads until `seconds` pass or `max_requests` were made."""
    tally = Tally()
    budget = threading.Semaphore(max_requests)
    deadline = time.monotonic() + seconds

    def worker() -> None:
        ok, errors, latencies = 0, 0, []
        with requests.Session() as session:
            while time.monotonic() < deadline and budget.acquire(blocking=False):
                start = time.perf_counter()
                try:
                    resp = call(session)
                    good = resp.status_code == 200
                except requests.RequestException:
                    good = False
                latencies.append(time.perf_counter() - start)
                ok, errors = ok + good, errors + (not good)
        with tally.lock:
            tally.ok += ok
            tally.errors += errors
            tally.latencies.extend(latencies)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(worker) for _ in range(workers)]:
            future.result()
    return tally.summary(time.monotonic() - started)


def run_wrk(target: Target, workers: int, seconds: float, work: Path) -> dict[str, float]:
    """Run wrk once against `target` (a Lua script supplies the method, headers and body)."""
    script = work / "request.lua"
    lines = [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in target.headers.items()]
    if target.body is not None:
        lines += [
            'wrk.method = "POST"',
            f"wrk.body = {json.dumps(json.dumps(target.body))}",
            'wrk.headers["Content-Type"] = "application/json"',
        ]
    script.write_text("\n".join(lines) + "\n")
    cmd = ["wrk", "-t2", f"-c{workers}", f"-d{max(1, int(seconds))}s", "--latency",
           "-s", str(script), target.url]  # fmt: skip
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    finally:
        script.unlink()  # it holds credentials
    total = re.search(r"(\d+) requests in ([\d.]+)(ms|s)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert total is not None and rps is not None, out
    return {
        "rps": float(rps.group(1)),
        "p50_ms": _wrk_latency(out, "50%"),
        "p99_ms": _wrk_latency(out, "99%"),
        "requests": int(total.group(1)),
        "errors": int(errors.group(1)) if errors else 0,
    }


def _wrk_latency(out: str, label: str) -> float:
    found = re.search(rf"{re.escape(label)}\s+([\d.]+)(us|ms|s)", out)
    assert found is not None, out
    value, unit = found.groups()
    return round(float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 2)


def rsa_key_pair() -> tuple[rsa.RSAPrivateKey, str]:
    """A fresh RSA-2048 key and its public half as PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return key, pem.decode()


def setup(server: ServerProcess) -> dict[str, Target]:
    """Mounts, roles and credentials; returns the three calls to measure."""
    root = server.client()
    root.secrets.kv.v2.create_or_update_secret("bench/db", secret={"password": "0123456789abc"})
    root.sys.create_or_update_acl_policy("bench", POLICY)
    token = root.auth.token.create(policies=["bench"], ttl="1h")["auth"]["client_token"]

    root.sys.enable_auth_method("approle")
    root.auth.approle.create_or_update_approle("bench", token_policies=["bench"], token_ttl="10m")
    role_id = root.auth.approle.read_role_id("bench")["data"]["role_id"]
    secret_id = root.auth.approle.generate_secret_id("bench")["data"]["secret_id"]

    key, public_pem = rsa_key_pair()
    root.sys.enable_auth_method("jwt")
    root.auth.jwt.configure(jwt_validation_pubkeys=[public_pem], bound_issuer=ISSUER)
    root.auth.jwt.create_role(
        "bench",
        role_type="jwt",
        user_claim="sub",
        bound_audiences=[AUDIENCE],
        allowed_redirect_uris=[],
        token_policies=["bench"],
        token_ttl="10m",
    )
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "ci-job", "iat": now, "exp": now + 3600}
    signed = jwt.encode(claims, key, algorithm="RS256")

    base = f"{server.url}/v1"
    read_url = f"{base}/secret/data/bench/db"
    headers = {"X-Vault-Token": token}
    approle = {"role_id": role_id, "secret_id": secret_id}
    jwt_body = {"role": "bench", "jwt": signed}
    return {
        "read": Target(
            lambda s: s.get(read_url, headers=headers, timeout=10), read_url, headers=headers
        ),
        "approle": Target(
            lambda s: s.post(f"{base}/auth/approle/login", json=approle, timeout=10),
            f"{base}/auth/approle/login",
            body=approle,
        ),
        "jwt": Target(
            lambda s: s.post(f"{base}/auth/jwt/login", json=jwt_body, timeout=10),
            f"{base}/auth/jwt/login",
            body=jwt_body,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--tool", choices=["python", "wrk"], default="python")
    args = parser.parse_args()
    if args.tool == "wrk" and shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="sealkeep-bench-logins-"))
    server = start_sqlite_server(work)
    try:
        init_and_unseal(server)
        calls = setup(server)
        results: dict[str, dict[str, float | str]] = {}
        for name, target in calls.items():
            with requests.Session() as session:
                target.call(session).raise_for_status()  # fail fast on a broken setup
            if args.tool == "wrk":
                results[name] = run_wrk(target, args.workers, args.seconds, work)
            else:
                results[name] = run_load(target.call, args.workers, args.seconds, args.max_requests)
        read_rps = results["read"]["rps"]
        results["approle_per_read"] = {"value": round(results["approle"]["rps"] / read_rps, 3)}
        results["jwt_per_read"] = {"value": round(results["jwt"]["rps"] / read_rps, 3)}
        results["tool"] = {"name": args.tool, "workers": args.workers, "seconds": args.seconds}
        print(json.dumps(results, indent=2))
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
