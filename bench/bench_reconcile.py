"""Benchmark the reconciler on the SQLite store over HTTP.

Generates a repo of N Secrets (real SOPS files, real age key), P Policies and R AppRoles,
starts a SQLite-backed server, and measures in one run:

- apply from empty (plan + apply, as `sealkeep apply --auto-approve` does);
- plan when in sync, in a child process so its peak RSS is its own;
- the unavoidable reads alone: list + read each object once with one client, sequentially;

then prints the ratio plan / reads (target <= 1.5).

    python bench/bench_reconcile.py                       # 10,000 / 1,000 / 500
    python bench/bench_reconcile.py --secrets 1000 --policies 100 --approles 50
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hvac

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reconciler.apply.runner import ApplyOptions, apply_plan  # noqa: E402
from reconciler.plan.build import PlanContext, make_plan  # noqa: E402
from tests.reconciler.plan.repo import Repo, manifest  # noqa: E402
from tests.support.servers import init_and_unseal, start_sqlite_server  # noqa: E402

FOLDER = 100


def generate(root: Path, secrets: int, policies: int, approles: int) -> Repo:
    """Write the repo: one kv-v2 mount, one approle mount, and the objects."""
    repo = Repo(root)
    repo.write(
        "mounts.yaml",
        manifest("SecretsEngine", "bench-kv", {"path": "bench-kv", "type": "kv-v2"}),
        manifest("AuthMethod", "bench-approle", {"path": "bench-approle", "type": "approle"}),
    )
    docs = []
    for i in range(policies):
        rules = [
            {"path": f"bench-kv/data/app{i % 100}/*", "capabilities": ["read", "list"]},
            {"path": f"bench-kv/metadata/app{i % 100}/*", "capabilities": ["list"]},
        ]
        docs.append(manifest("Policy", f"policy-{i}", {"rules": rules}))
    repo.write("policies.yaml", *docs)
    roles = [
        manifest(
            "AppRole",
            f"role-{i}",
            {
                "mount": "bench-approle",
                "token_policies": [f"policy-{i % max(policies, 1)}"],
                "token_ttl": "1h",
            },
        )
        for i in range(approles)
    ]
    repo.write("approles.yaml", *roles)
    for i in range(secrets):
        data = {"username": f"user{i}", "password": f"pw-{i}-{time.time_ns()}"}
        repo.secret(f"secret-{i}", "bench-kv", f"app{i // FOLDER}/s{i}", data)
    return repo


def unavoidable_reads(client: hvac.Client) -> tuple[float, int]:
    """List + read each object once with one client; (seconds, requests)."""
    start = time.perf_counter()
    count = 0
    for path in ("sys/mounts", "sys/auth", "sys/audit"):
        client.read(path)
        count += 1
    policies = client.list("sys/policies/acl")["data"]["keys"]
    roles = client.list("auth/bench-approle/role")["data"]["keys"]
    folders = client.list("bench-kv/metadata")["data"]["keys"]
    count += 3
    for name in policies:
        client.read(f"sys/policies/acl/{name}")
    for name in roles:
        client.read(f"auth/bench-approle/role/{name}")
    count += len(policies) + len(roles)
    for folder in folders:
        keys = client.list(f"bench-kv/metadata/{folder}")["data"]["keys"]
        count += 1 + len(keys)
        for key in keys:
            client.read(f"bench-kv/data/{folder}{key}")
    return time.perf_counter() - start, count


def plan_child(root: str, url: str, token: str, identity: str) -> None:
    """Child process: one plan in sync; prints seconds and peak RSS as JSON."""
    client = hvac.Client(url=url, token=token)
    ctx = PlanContext(root=Path(root), identities=[identity], environ={})
    start = time.perf_counter()
    plan = make_plan(ctx, client=client)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "changes": len(plan.changes)}))


def run(args: argparse.Namespace) -> None:
    """The whole benchmark."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        repo = generate(folder / "repo", args.secrets, args.policies, args.approles)
        print(f"generated {args.secrets} secrets, {args.policies} policies, {args.approles} "
              f"approles in {time.perf_counter() - start:.1f}s")  # fmt: skip
        server = start_sqlite_server(folder)
        try:
            init_and_unseal(server)
            client = server.client()
            ctx = PlanContext(root=repo.root, identities=repo.identities, environ={})
            start = time.perf_counter()
            plan = make_plan(ctx, client=client)
            planned = time.perf_counter() - start
            result = apply_plan(
                plan, client, ApplyOptions(root=repo.root, identities=repo.identities)
            )
            applied = time.perf_counter() - start
            assert result.ok, [o for o in result.outcomes if o.status != "applied"][:3]
            print(
                f"apply from empty: {applied:.1f}s "
                f"({len(plan.changes)} changes; plan {planned:.1f}s)"
            )
            child = subprocess.run(
                [sys.executable, __file__, "--plan-child", str(repo.root), server.url,
                 server.root_token, repo.key.identity],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            figures = json.loads(child.stdout.strip().splitlines()[-1])
            assert figures["changes"] == 0, figures
            reads, requests = unavoidable_reads(server.client())
            print(f"plan in sync: {figures['seconds']:.1f}s, peak RSS {figures['rss_mb']:.0f} MB")
            print(f"unavoidable reads: {reads:.1f}s ({requests} requests)")
            print(f"ratio plan/reads: {figures['seconds'] / reads:.2f} (target <= 1.5)")
        finally:
            server.stop()


def main() -> None:
    """Parse the scale and run."""
    if len(sys.argv) > 1 and sys.argv[1] == "--plan-child":
        plan_child(*sys.argv[2:6])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", type=int, default=10_000)
    parser.add_argument("--policies", type=int, default=1_000)
    parser.add_argument("--approles", type=int, default=500)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
