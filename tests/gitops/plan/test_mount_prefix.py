"""A target's mount_prefix: the same repo reconciled under a prefix of a shared store."""

from __future__ import annotations

from pathlib import Path

import hvac

from reconciler.gitops.manifests import kinds as k
from reconciler.gitops.manifests import load_repo
from reconciler.gitops.plan.prefix import with_mount_prefix
from tests.gitops.plan.conftest import Reconcile
from tests.gitops.plan.repo import basic_repo, manifest


def _prefixed_repo(tmp_path: Path, vault: hvac.Client, u: str, prefix: str) -> Reconcile:
    repo = basic_repo(tmp_path / "repo", u)
    (repo.root / "policies").mkdir()
    (repo.root / "policies" / f"{u}-hcl.hcl").write_text(
        f'path "{u}-kv/data/api/*" {{\n  capabilities = ["read"]\n}}\n'
        f'path "auth/{u}-approle/login" {{\n  capabilities = ["update"]\n}}\n'
        'path "sys/mounts" {\n  capabilities = ["read"]\n}\n'
    )
    (repo.root / "sealkeep.yaml").write_text(
        "manifests: [manifests]\n"
        f"targets:\n  - name: shared\n    address: {vault.url}\n    auth: {{method: token}}\n"
        f"    mount_prefix: {prefix}\n"
        "default_target: shared\n"
    )
    return Reconcile(repo, vault, f"{u}-state")


def test_every_mount_and_mount_path_moves_under_the_prefix(
    tmp_path: Path, vault: hvac.Client, unique: str
) -> None:
    u = unique
    rec = _prefixed_repo(tmp_path, vault, u, "team-a/")
    desired = with_mount_prefix(load_repo(rec.repo.root).desired, "team-a/")
    assert desired.get("SecretsEngine", f"{u}-kv").path == f"team-a/{u}-kv"
    assert desired.get("AuthMethod", f"{u}-approle").path == f"team-a/{u}-approle"
    assert desired.get("AppRole", f"{u}-api").mount == f"team-a/{u}-approle"
    assert desired.get("Secret", f"{u}-api").mount == f"team-a/{u}-kv"
    yaml_policy = desired.get("Policy", f"{u}-api")
    assert isinstance(yaml_policy, k.Policy)
    assert [r.path for r in yaml_policy.rules] == [f"team-a/{u}-kv/data/api/*"]
    hcl = desired.get("Policy", f"{u}-hcl").hcl or ""
    assert f'"team-a/{u}-kv/data/api/*"' in hcl
    assert f'"auth/team-a/{u}-approle/login"' in hcl
    assert '"sys/mounts"' in hcl, "sys paths are not under any mount"
    assert (
        with_mount_prefix(load_repo(rec.repo.root).desired, None)
        == load_repo(rec.repo.root).desired
    )


def test_apply_under_a_prefix_then_plan_again_finds_nothing(
    tmp_path: Path, vault: hvac.Client, unique: str
) -> None:
    prefix = f"{unique}-tenant"
    rec = _prefixed_repo(tmp_path, vault, unique, prefix)
    result = rec.apply(rec.plan())
    assert result.ok, [o.error for o in result.outcomes if o.error]
    mounts = vault.sys.list_mounted_secrets_engines()["data"]
    assert f"{prefix}/{unique}-kv/" in mounts and f"{unique}-kv/" not in mounts
    assert f"{prefix}/{unique}-approle/" in vault.sys.list_auth_methods()["data"]
    read = vault.secrets.kv.v2.read_secret_version(
        "api/config", mount_point=f"{prefix}/{unique}-kv", raise_on_deleted_version=True
    )
    assert read["data"]["data"]["password"] == "hunter2-" + unique
    policy = vault.sys.read_acl_policy(f"{unique}-api")["data"]["policy"]
    assert f"{prefix}/{unique}-kv/data/api/" in policy
    assert not rec.plan().has_changes


def test_a_repo_reads_another_prefix_as_unrelated(
    tmp_path: Path, vault: hvac.Client, unique: str
) -> None:
    rec = _prefixed_repo(tmp_path, vault, unique, f"{unique}-one")
    assert rec.apply(rec.plan()).ok
    rec.repo.write(
        "extra.yaml",
        manifest("SecretsEngine", f"{unique}-more", {"path": f"{unique}-more", "type": "kv-v2"}),
    )
    plan = rec.plan()
    created = [c.ref.address for c in plan.changes if c.action.value == "+"]
    assert created == [f"sys/mounts/{unique}-one/{unique}-more"]
