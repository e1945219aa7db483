"""apply refuses a dirty tree, another branch, and a saved plan whose commit moved; every
apply record names the commit, its author, committer and message, and whether it was dirty."""

from __future__ import annotations

from pathlib import Path

import hvac
from click.testing import CliRunner

from reconciler.cli.history import history
from reconciler.gitops.apply.history import read_history
from reconciler.gitops.live.inventory import last_applied_commit
from reconciler.gitops.live.statestore import StateStore
from tests.gitops.gitwiring.conftest import GitRepo
from tests.gitops.plan.repo import manifest

RULES = {"rules": [{"path": "nowhere/*", "capabilities": ["read"]}]}


def _state(g: GitRepo, vault: hvac.Client) -> StateStore:
    return StateStore(vault, f"{g.unique}-state")


def test_apply_refuses_a_dirty_tree_unless_allowed(gitrepo: GitRepo, vault: hvac.Client) -> None:
    g, u = gitrepo, gitrepo.unique
    g.repo.write("extra.yaml", manifest("Policy", f"{u}-extra", RULES))
    refused = g.run("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert "uncommitted changes (manifests/extra.yaml)" in refused.output
    assert "--allow-dirty" in refused.output
    assert not _state(g, vault).exists()

    g.ok("apply", "--auto-approve", "--allow-dirty")
    [record] = read_history(_state(g, vault))
    assert record.source is not None and record.source.dirty
    # A dirty apply is not a commit applied in full: --changed-only cannot start from it.
    assert last_applied_commit(_state(g, vault)) is None


def test_apply_refuses_another_branch_unless_allowed(gitrepo: GitRepo) -> None:
    g = gitrepo
    g.git.git.switch("-c", "experiment")
    refused = g.run("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert "on branch 'experiment', but sealkeep.yaml says changes are applied from 'main'" in (
        refused.output
    )
    assert "Apply complete" in g.ok("apply", "--auto-approve", "--allow-other-branch").output


def test_the_apply_record_carries_the_commit_provenance(
    gitrepo: GitRepo, vault: hvac.Client
) -> None:
    g = gitrepo
    head = g.git.head.commit.hexsha
    g.ok("apply", "--auto-approve")
    [record] = read_history(_state(g, vault))
    assert record.commit == head
    assert record.source is not None
    assert record.source.author == "Test Author <author@example.test>"
    assert record.source.committer == "Test Committer <committer@example.test>"
    assert record.source.message == "initial manifests"
    assert record.source.branch == "main" and not record.source.dirty
    applied = last_applied_commit(_state(g, vault))
    assert applied is not None and applied.commit == head and applied.apply_id == record.apply_id
    shown = CliRunner().invoke(history, ["-C", str(g.root)], catch_exceptions=False).output
    assert f"commit {head[:12]}" in shown
    assert "Test Author <author@example.test>: initial manifests" in shown


def test_a_saved_plan_must_match_the_current_commit(gitrepo: GitRepo, tmp_path: Path) -> None:
    g, u = gitrepo, gitrepo.unique
    out = tmp_path / "plan.json"
    g.ok("plan", "--out", str(out))
    g.repo.write("extra.yaml", manifest("Policy", f"{u}-extra", RULES))
    moved = g.commit("another commit after the plan")
    stale = g.run("apply", str(out))
    assert stale.exit_code == 1
    assert f"but {g.root} is now at {moved[:12]}" in stale.output

    g.ok("plan", "--out", str(out))
    assert "Apply complete: 6 change(s)" in g.ok("apply", str(out)).output


def test_a_saved_plan_of_a_ref_applies_that_exact_commit(gitrepo: GitRepo, tmp_path: Path) -> None:
    g, u = gitrepo, gitrepo.unique
    out = tmp_path / "plan.json"
    g.ok("plan", "--ref", "main", "--out", str(out))
    # The working tree may be anything: the plan decrypts main's commit, materialised.
    g.repo.secret(f"{u}-api", f"{u}-kv", "api/config", {"password": "not-committed"})
    assert "Apply complete: 5 change(s)" in g.ok("apply", str(out)).output

    g.ok("plan", "--ref", "main", "--out", str(out))
    g.repo.write("extra.yaml", manifest("Policy", f"{u}-extra", RULES))
    g.commit("main moves on")
    stale = g.run("apply", str(out))
    assert stale.exit_code == 1 and "of main, which now points at" in stale.output
