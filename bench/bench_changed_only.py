"""Benchmark `plan --changed-only` against a full plan after one file changed.

Generates the reconcile benchmark's repo (N Secrets as real SOPS files, P Policies, R
AppRoles), commits it to a real Git repo, applies it to a SQLite-backed server over HTTP,
rewrites one Secret and commits, then times in this process:

- `plan --changed-only` (only the changed file's object is read and decrypted; the manifest
  cache, filled by the apply, spares parsing every unchanged file);
- a full plan (every object read, every SOPS file decrypted).

    python bench/bench_changed_only.py                      # 10,000 / 1,000 / 500
    python bench/bench_changed_only.py --secrets 1000 --policies 100 --approles 50
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import git

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_reconcile import generate  # noqa: E402
from reconciler.gitops.apply.runner import ApplyOptions, apply_plan  # noqa: E402
from reconciler.gitops.plan.build import PlanContext, make_plan  # noqa: E402
from tests.support.servers import init_and_unseal, start_sqlite_server  # noqa: E402


def _commit(repo: git.Repo, message: str) -> None:
    repo.git.add(A=True)
    repo.git.commit("-q", "-m", message)


def _timed_plan(ctx: PlanContext, client: object) -> tuple[float, int, int]:
    start = time.perf_counter()
    plan = make_plan(ctx, client=client)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    skipped = len(plan.unchanged.refs) if plan.unchanged is not None else 0
    return seconds, len(plan.changes), skipped


def run(args: argparse.Namespace) -> None:
    """The whole benchmark."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        repo = generate(folder / "repo", args.secrets, args.policies, args.approles)
        checkout = git.Repo.init(repo.root, initial_branch="main")
        with checkout.config_writer() as config:
            config.set_value("user", "name", "bench")
            config.set_value("user", "email", "bench@example.invalid")
        _commit(checkout, "generated repo")
        # Never the user's own cache: the apply fills this one, the plans below find it warm.
        os.environ["XDG_CACHE_HOME"] = str(folder / "xdg-cache")
        server = start_sqlite_server(folder)
        try:
            init_and_unseal(server)
            client = server.client()
            ctx = PlanContext(root=repo.root, identities=repo.identities, environ={})
            start = time.perf_counter()
            result = apply_plan(
                make_plan(ctx, client=client), client,
                ApplyOptions(root=repo.root, identities=repo.identities),
            )  # fmt: skip
            assert result.ok
            print(f"apply from empty: {time.perf_counter() - start:.1f}s")
            repo.secret("secret-7", "bench-kv", "app0/s7", {"username": "u7", "password": "new"})
            _commit(checkout, "rotate one secret")
            changed = PlanContext(
                root=repo.root, identities=repo.identities, environ={}, changed_only=True
            )
            for label, plan_ctx in (("--changed-only", changed), ("full", ctx)):
                seconds, changes, skipped = _timed_plan(plan_ctx, client)
                print(f"plan {label}: {seconds:.2f}s ({changes} change, {skipped} skipped)")
        finally:
            server.stop()


def main() -> None:
    """Parse the scale and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secrets", type=int, default=10_000)
    parser.add_argument("--policies", type=int, default=1_000)
    parser.add_argument("--approles", type=int, default=500)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
