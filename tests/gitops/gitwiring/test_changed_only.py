"""plan --changed-only reads only objects from files changed since the last applied commit;
a full plan still finds drift everywhere."""

from __future__ import annotations

import json

import hvac
import pytest

from tests.gitops.gitwiring.conftest import GitRepo
from tests.gitops.plan.repo import manifest


def _widen_policy(g: GitRepo) -> None:
    u = g.unique
    rules = [{"path": f"{u}-kv/data/api/*", "capabilities": ["read", "list"]}]
    g.repo.write("policy.yaml", manifest("Policy", f"{u}-api", {"rules": rules}))


def test_only_changed_files_are_read_and_the_rest_is_reported_skipped(
    gitrepo: GitRepo, vault: hvac.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    g, u = gitrepo, gitrepo.unique
    g.ok("apply", "--auto-approve")
    applied = g.git.head.commit.hexsha
    idle = g.ok("plan", "--changed-only").output
    assert "No changes." in idle
    assert f"Skipped (unchanged since {applied[:12]}): 5 object(s) in 4 file(s)" in idle

    _widen_policy(g)
    g.commit("widen the policy")
    # Drift on an object in an unchanged file: a changed-only plan does not read it...
    vault.secrets.kv.v2.create_or_update_secret(
        path="api/config", mount_point=f"{u}-kv", secret={"password": "by-hand"}
    )
    # ... nor decrypt unchanged SOPS files: no age key is needed for this plan.
    monkeypatch.delenv("SOPS_AGE_KEY")
    raw = json.loads(g.ok("plan", "--changed-only", "--format", "json").output)
    assert [(c["action"], c["kind"]) for c in raw["changes"]] == [("~", "Policy")]
    assert raw["unchanged"]["since"] == applied and raw["unchanged"]["files"] == 3
    assert f"Secret/{u}-api" in {f"{o['kind']}/{o['name']}" for o in raw["unchanged"]["objects"]}
    assert raw["unmanaged"] == []

    # ... while a full plan still finds the drift (and needs the key to decrypt).
    full = g.run("plan")
    assert full.exit_code == 1 and "cannot decrypt" in full.output
    monkeypatch.setenv("SOPS_AGE_KEY", g.repo.key.identity)
    full_text = g.ok("plan").output
    assert f"~ Secret/{u}-api" in full_text and f"~ Policy/{u}-api" in full_text
    assert "by-hand" not in full_text


def test_removed_files_still_show_their_objects(gitrepo: GitRepo) -> None:
    g, u = gitrepo, gitrepo.unique
    g.ok("apply", "--auto-approve")
    g.git.git.rm(f"manifests/secrets/{u}-api.yaml")
    g.commit("drop the secret")
    text = g.ok("plan", "--changed-only").output
    assert "Managed but removed from Git (kept; use --prune to delete):" in text
    assert f"Secret/{u}-api" in text
    pruned = g.ok("plan", "--changed-only", "--prune").output
    assert f"- Secret/{u}-api" in pruned


def test_everything_is_planned_without_a_starting_commit_or_when_the_config_changed(
    gitrepo: GitRepo,
) -> None:
    g = gitrepo
    first = g.ok("plan", "--changed-only").output
    assert "Note: --changed-only planned every file: the store has no applied commit" in first
    assert "Plan: 5 to add" in first
    g.ok("apply", "--auto-approve")
    (g.root / "sealkeep.yaml").write_text("manifests: [manifests]\nbranch: main\n")
    g.commit("config: spell out the branch")
    again = g.ok("plan", "--changed-only").output
    assert "planned every file: sealkeep.yaml changed since" in again
    assert "Skipped (unchanged" not in again


def test_an_apply_advances_the_commit_changed_only_starts_from(gitrepo: GitRepo) -> None:
    g = gitrepo
    g.ok("apply", "--auto-approve")
    _widen_policy(g)
    head = g.commit("widen the policy")
    assert "Apply complete: 1 change(s)" in g.ok("apply", "--auto-approve", "--changed-only").output
    after = g.ok("plan", "--changed-only").output
    assert f"unchanged since {head[:12]}): 5 object(s)" in after
