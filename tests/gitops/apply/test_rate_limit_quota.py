"""The RateLimitQuota kind end to end against the real dev server: plan shows it, apply
creates it, the quota then limits clients, a second plan is empty, edits and prune work."""

from __future__ import annotations

from pathlib import Path

import hvac
import requests

from reconciler.gitops.plan.model import Action
from reconciler.gitops.plan.render_text import render_text
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import Repo, manifest
from tests.support.openbao import OpenBao
from tests.support.servers import ServerProcess


def quota(name: str, **spec: object) -> dict[str, object]:
    """A RateLimitQuota manifest."""
    return manifest("RateLimitQuota", name, spec)


def test_plan_shows_apply_creates_then_plan_is_empty(
    reconcile: Reconcile, vault: hvac.Client, dev_server: ServerProcess, unique: str
) -> None:
    name = f"{unique}-reads"
    reconcile.repo.write(
        "quotas.yaml", quota(name, rate=2, interval="1h", path=f"{unique}-kv/data/app")
    )
    try:
        plan = reconcile.plan()
        created = [c for c in plan.changes if str(c.ref) == f"RateLimitQuota/{name}"]
        assert [c.action for c in created] == [Action.CREATE]
        assert f"RateLimitQuota/{name}" in render_text(plan)
        assert reconcile.apply(plan).ok
        live = vault.sys.read_quota(name)["data"]
        assert (live["rate"], live["interval"], live["path"]) == (2, 3600, f"{unique}-kv/data/app")
        assert not reconcile.plan().has_changes, "a second plan is empty"
        url = f"{dev_server.url}/v1/{unique}-kv/data/app"
        headers = {"X-Vault-Token": vault.token}
        codes = [requests.get(url, headers=headers, timeout=10).status_code for _ in range(3)]
        assert codes[-1] == 429, "the applied quota limits clients"
    finally:
        vault.sys.delete_quota(name)


def test_an_edit_updates_in_place_and_prune_deletes(
    reconcile: Reconcile, vault: hvac.Client, unique: str
) -> None:
    name = f"{unique}-logins"
    path = f"auth/{unique}-approle/login"  # not the mount: the reconciler reads its roles
    reconcile.repo.write("quotas.yaml", quota(name, rate=5, path=path))
    try:
        reconcile.converge()
        assert vault.sys.read_quota(name)["data"]["path"] == path
        reconcile.repo.write(
            "quotas.yaml", quota(name, rate=1.5, interval="1m", block_interval="5m", path=path)
        )
        plan = reconcile.plan()
        [change] = [c for c in plan.changes if str(c.ref) == f"RateLimitQuota/{name}"]
        assert change.action is Action.UPDATE
        changed = {f.path for f in change.fields}
        assert changed == {"rate", "interval", "block_interval"}
        assert reconcile.apply(plan).ok
        live = vault.sys.read_quota(name)["data"]
        assert (live["rate"], live["interval"], live["block_interval"]) == (1.5, 60, 300)
        assert not reconcile.plan().has_changes
        reconcile.repo.remove("quotas.yaml")
        pruned = reconcile.plan(prune=True)
        assert (Action.DELETE, f"RateLimitQuota/{name}") in [
            (c.action, str(c.ref)) for c in pruned.changes
        ]
        assert reconcile.apply(pruned).ok
        assert vault.read(f"sys/quotas/rate-limit/{name}") is None
    finally:
        if vault.read(f"sys/quotas/rate-limit/{name}") is not None:
            vault.sys.delete_quota(name)


def test_a_quota_made_by_hand_is_unmanaged(
    reconcile: Reconcile, vault: hvac.Client, unique: str
) -> None:
    reconcile.converge()
    vault.sys.create_or_update_quota(f"{unique}-hand", rate=100, path=f"{unique}-kv")
    try:
        plan = reconcile.plan()
        assert f"RateLimitQuota/{unique}-hand" in {str(r) for r in plan.unmanaged}
        assert not [c for c in plan.changes if c.ref.kind == "RateLimitQuota"]
    finally:
        vault.sys.delete_quota(f"{unique}-hand")


def test_the_kind_converges_on_openbao_too(tmp_path: Path, openbao: OpenBao, unique: str) -> None:
    repo = Repo(tmp_path / "repo")
    repo.write(
        "all.yaml",
        manifest("SecretsEngine", f"{unique}-kv", {"path": f"{unique}-kv", "type": "kv-v2"}),
        quota(f"{unique}-kv", rate=2.5, interval="1m", block_interval="5m", path=f"{unique}-kv"),
        quota(f"{unique}-glob", rate=100, path=f"{unique}-kv/data/*"),
    )
    client = openbao.client()
    reconcile = Reconcile(repo, client, f"{unique}-state")
    try:
        reconcile.converge()
        assert client.sys.read_quota(f"{unique}-kv")["data"]["path"] == f"{unique}-kv/"
        assert not reconcile.plan().has_changes, "OpenBao reads back what was planned"
    finally:
        for name in (f"{unique}-kv", f"{unique}-glob"):
            client.sys.delete_quota(name)
        for mount in (f"{unique}-kv", f"{unique}-state"):
            client.sys.disable_secrets_engine(mount)
