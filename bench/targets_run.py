"""`bench_reconcile.py --target openbao`: the reconciler against Sealkeep (SQLite store) and a
real OpenBao dev server in one run, each with one connection (the sequential baseline) and
with the default pool (`SEALKEEP_CONNECTIONS`, 8): apply from empty, plan in sync (in a child
process, for its own peak RSS), the live read alone (every listing and read a plan or export
makes, nothing decrypted), and `export --secrets` of the same server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hvac

from reconciler.gitops.apply.runner import ApplyOptions, apply_plan
from reconciler.gitops.export import ExportOptions, export_server
from reconciler.gitops.export.discover import discover
from reconciler.gitops.live.session import CONNECTIONS_ENV, DEFAULT_CONNECTIONS
from reconciler.gitops.plan.build import PlanContext, make_plan
from tests.gitops.plan.repo import Repo
from tests.support.openbao import start_openbao
from tests.support.servers import init_and_unseal, start_sqlite_server


@dataclass
class Server:
    """A started server: address, root token, how to stop it."""

    url: str
    token: str
    stop: Callable[[], object]


def _start(kind: str, folder: Path) -> Server:
    folder.mkdir(parents=True)
    if kind == "openbao":
        bao = start_openbao(folder)
        return Server(bao.url, bao.root_token, bao.stop)
    server = start_sqlite_server(folder)
    init_and_unseal(server)
    return Server(server.url, server.root_token, server.stop)


def _plan_in_child(bench: str, repo: Repo, server: Server, connections: int) -> dict[str, float]:
    child = subprocess.run(
        [sys.executable, bench, "--plan-child", str(repo.root), server.url, server.token,
         repo.key.identity],
        capture_output=True, text=True, check=True,
        env={**os.environ, CONNECTIONS_ENV: str(connections)},
    )  # fmt: skip
    figures: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    assert figures["changes"] == 0, figures
    return figures


def _export_seconds(repo: Repo, client: hvac.Client, into: Path) -> float:
    into.mkdir()
    rule = f"creation_rules:\n  - path_regex: \\.sops\\.yaml$\n    age: {repo.key.recipient}\n"
    (into / ".sops.yaml").write_text(rule, encoding="utf-8")
    start = time.perf_counter()
    export_server(client, ExportOptions(to=into, secrets=True))
    return time.perf_counter() - start


def measure(bench: str, repo: Repo, kind: str, connections: int, folder: Path) -> dict[str, float]:
    """Apply from empty, plan in sync and export on a fresh server of `kind`."""
    os.environ[CONNECTIONS_ENV] = str(connections)
    server = _start(kind, folder / "server")
    try:
        client = hvac.Client(url=server.url, token=server.token)
        ctx = PlanContext(root=repo.root, identities=repo.identities, environ={})
        start = time.perf_counter()
        plan = make_plan(ctx, client=client)
        result = apply_plan(plan, client, ApplyOptions(root=repo.root, identities=repo.identities))
        applied = time.perf_counter() - start
        assert result.ok, [o for o in result.outcomes if o.status != "applied"][:3]
        figures = _plan_in_child(bench, repo, server, connections)
        start = time.perf_counter()
        read = len(discover(client, secrets=True))  # every listing and read, nothing else
        reads = time.perf_counter() - start
        exported = _export_seconds(repo, client, folder / "export")
        return {"apply": applied, "plan": figures["seconds"], "rss_mb": figures["rss_mb"],
                "export": exported, "changes": len(plan.changes), "reads": reads,
                "objects": read}  # fmt: skip
    finally:
        server.stop()
        os.environ.pop(CONNECTIONS_ENV, None)


def compare(bench: str, repo: Repo) -> None:
    """Both targets, sequential then pooled; prints one line each and the ratios."""
    for kind in ("sealkeep", "openbao"):
        runs = {}
        for connections in (1, DEFAULT_CONNECTIONS):
            with tempfile.TemporaryDirectory() as tmp:
                runs[connections] = measure(bench, repo, kind, connections, Path(tmp))
            f = runs[connections]
            print(
                f"{kind:<8} connections {connections}: apply from empty {f['apply']:.1f}s "
                f"({f['changes']:.0f} changes), plan in sync {f['plan']:.1f}s "
                f"(peak RSS {f['rss_mb']:.0f} MB), live read of {f['objects']:.0f} objects "
                f"{f['reads']:.1f}s, export --secrets {f['export']:.1f}s"
            )
        one, pool = runs[1], runs[DEFAULT_CONNECTIONS]
        print(
            f"{kind:<8} pooled / sequential: plan in sync {pool['plan'] / one['plan']:.2f}x "
            f"(goal <= 0.35), apply from empty {pool['apply'] / one['apply']:.2f}x (goal <= 0.4), "
            f"live read alone {pool['reads'] / one['reads']:.2f}x"
        )
