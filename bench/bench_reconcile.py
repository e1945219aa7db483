"""Benchmark the reconciler on the SQLite store over HTTP.

Generates a repo of N Secrets (real SOPS files, real age key), P Policies and R AppRoles,
starts a SQLite-backed server, and measures in one run:

- apply from empty (plan + apply, as `sealkeep apply --auto-approve` does);
- plan when in sync, in a child process so its peak RSS is its own: first with an empty
  manifest cache (cold: every file parsed and validated, the cache filled), then again with
  the cache the first one left (warm: unchanged files are not parsed again);
- the unavoidable reads alone: list + read each object once with one client, sequentially;

then prints the ratio plan / reads for both (target <= 1.5).

    python bench/bench_reconcile.py                       # 10,000 / 1,000 / 500
    python bench/bench_reconcile.py --secrets 1000 --policies 100 --approles 50
    python bench/bench_reconcile.py --target openbao --secrets 1000 --policies 100 --approles 50
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import hvac

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reconciler.gitops.apply.runner import ApplyOptions, apply_plan  # noqa: E402
from reconciler.gitops.plan.build import PlanContext, load_checked, make_plan, plan_loaded  # noqa: E402
from tests.gitops.plan.repo import Repo, manifest  # noqa: E402
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
    """Child process: one plan in sync; prints seconds, loading seconds and peak RSS."""
    client = hvac.Client(url=url, token=token)
    ctx = PlanContext(root=Path(root), identities=[identity], environ={})
    # make_plan for the working tree, with the loading timed on its own.
    start = time.perf_counter()
    result = load_checked(ctx.root)
    load_seconds = time.perf_counter() - start
    plan = plan_loaded(ctx, result, client)
    seconds = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures = {"seconds": seconds, "load_seconds": load_seconds, "rss_mb": rss_mb}
    print(json.dumps({**figures, "changes": len(plan.changes)}))


def _plan_in_child(repo: Repo, url: str, token: str, cache: Path) -> dict[str, float]:
    """Run `plan_child` with XDG_CACHE_HOME=`cache`; its figures (asserting no change)."""
    child = subprocess.run(
        [sys.executable, __file__, "--plan-child", str(repo.root), url, token,
         repo.key.identity],
        capture_output=True, text=True, check=True,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
    )  # fmt: skip
    figures: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    assert figures["changes"] == 0, figures
    return figures


def run(args: argparse.Namespace) -> None:
    """The whole benchmark."""
    if args.target == "openbao":
        from bench.targets_run import compare

        with tempfile.TemporaryDirectory() as tmp:
            repo = generate(Path(tmp) / "repo", args.secrets, args.policies, args.approles)
            os.environ["XDG_CACHE_HOME"] = str(Path(tmp) / "cache")
            compare(__file__, repo)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        repo = generate(folder / "repo", args.secrets, args.policies, args.approles)
        print(f"generated {args.secrets} secrets, {args.policies} policies, {args.approles} "
              f"approles in {time.perf_counter() - start:.1f}s")  # fmt: skip
        # Never the user's own cache; the plan children get an empty one of their own.
        os.environ["XDG_CACHE_HOME"] = str(folder / "apply-cache")
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
            before, requests = unavoidable_reads(server.client())
            cache = folder / "xdg-cache"  # empty: the first plan runs cold
            cold = _plan_in_child(repo, server.url, server.root_token, cache)
            warm = _plan_in_child(repo, server.url, server.root_token, cache)
            after, _ = unavoidable_reads(server.client())
            reads = (before + after) / 2
            print(
                f"unavoidable reads: {reads:.1f}s ({requests} requests; "
                f"{before:.1f}s before the plans, {after:.1f}s after)"
            )
            for label, figures in (("cold cache", cold), ("warm cache", warm)):
                print(
                    f"plan in sync, {label}: {figures['seconds']:.1f}s "
                    f"(loading {figures['load_seconds']:.2f}s), "
                    f"peak RSS {figures['rss_mb']:.0f} MB, "
                    f"ratio plan/reads {figures['seconds'] / reads:.2f} (target <= 1.5)"
                )
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
    parser.add_argument(
        "--target", choices=("sqlite", "openbao"), default="sqlite",
        help="openbao: Sealkeep and a real OpenBao side by side, sequential vs pooled, "
        "with export (use --secrets 1000 --policies 100 --approles 50)",
    )  # fmt: skip
    run(parser.parse_args())


if __name__ == "__main__":
    main()
