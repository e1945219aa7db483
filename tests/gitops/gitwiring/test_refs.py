"""--ref reads any commit, branch or tag without checking it out; --base lists the files
the change touches beside the plan, in every rendering."""

from __future__ import annotations

import json

import hvac

from tests.gitops.gitwiring.conftest import GitRepo
from tests.gitops.plan.repo import manifest


def _branch_changes_policy_and_secret(g: GitRepo) -> str:
    u = g.unique
    g.git.git.switch("-c", "feature")
    rules = [{"path": f"{u}-kv/data/api/*", "capabilities": ["read", "list"]}]
    g.repo.write("policy.yaml", manifest("Policy", f"{u}-api", {"rules": rules}))
    g.repo.secret(f"{u}-api", f"{u}-kv", "api/config", {"password": "rotated-" + u, "port": 5432})
    sha = g.commit("feature: widen the policy, rotate the password")
    g.git.git.switch("main")
    return sha


def test_plan_of_a_branch_shows_its_changes_and_files_without_checkout(gitrepo: GitRepo) -> None:
    g, u = gitrepo, gitrepo.unique
    g.ok("apply", "--auto-approve")
    sha = _branch_changes_policy_and_secret(g)
    before = (g.root / "manifests" / "policy.yaml").read_text()

    text = g.ok("plan", "--ref", "feature", "--base", "main").output
    assert f"~ Policy/{u}-api" in text and f"~ Secret/{u}-api" in text
    assert "Plan: 0 to add, 2 to change, 0 to replace, 0 to destroy." in text
    assert f"Commit {sha[:12]} (feature) by Test Author <author@example.test>" in text
    assert "Files changed in this pull request (against main" in text
    assert "  modified  manifests/policy.yaml" in text
    assert f"  modified  manifests/secrets/{u}-api.yaml" in text
    assert "rotated-" not in text

    markdown = g.ok("plan", "--ref", "feature", "--base", "main", "--format", "markdown").output
    assert "#### Files changed in this pull request" in markdown
    assert "| `manifests/policy.yaml` | modified |" in markdown

    raw = json.loads(g.ok("plan", "--ref", "feature", "--base", "main", "--format", "json").output)
    assert raw["commit"] == sha and raw["source"]["ref"] == "feature"
    assert [f["path"] for f in raw["files_changed"]["files"]] == [
        "manifests/policy.yaml",
        f"manifests/secrets/{u}-api.yaml",
    ]
    # The working tree is still main's, untouched; its own plan has nothing to do.
    assert g.git.active_branch.name == "main"
    assert (g.root / "manifests" / "policy.yaml").read_text() == before
    assert "No changes." in g.ok("plan").output


def test_apply_of_a_ref_decrypts_from_that_commit(gitrepo: GitRepo, vault: hvac.Client) -> None:
    g, u = gitrepo, gitrepo.unique
    g.ok("apply", "--auto-approve")
    _branch_changes_policy_and_secret(g)
    refused = g.run("apply", "--ref", "feature", "--auto-approve")
    assert refused.exit_code == 1 and "--allow-other-branch" in refused.output
    g.ok("apply", "--ref", "feature", "--auto-approve", "--allow-other-branch")
    read = vault.secrets.kv.v2.read_secret_version(
        path="api/config", mount_point=f"{u}-kv", raise_on_deleted_version=True
    )
    assert read["data"]["data"]["password"] == "rotated-" + u
    assert "No changes." in g.ok("plan", "--ref", "feature").output


def test_validate_a_ref_and_unknown_refs(gitrepo: GitRepo) -> None:
    g = gitrepo
    g.git.git.switch("-c", "broken")
    g.repo.write("bad.yaml", manifest("AppRole", "bad", {"token_policies": ["nope"]}))
    g.commit("a role naming a missing policy")
    g.git.git.switch("main")
    assert "OK:" in g.ok("validate", "--ref", "main").output
    bad = g.run("validate", "--ref", "broken")
    assert bad.exit_code == 1 and "manifests/bad.yaml:" in bad.output
    unknown = g.run("plan", "--ref", "no-such-branch")
    assert unknown.exit_code == 1 and "unknown Git ref 'no-such-branch'" in unknown.output


def test_a_renamed_and_a_deleted_file_are_listed(gitrepo: GitRepo) -> None:
    g, u = gitrepo, gitrepo.unique
    g.git.git.switch("-c", "tidy")
    g.git.git.mv("manifests/roles.yaml", "manifests/approles.yaml")
    g.git.git.rm(f"manifests/secrets/{u}-api.yaml")
    g.commit("rename the roles file, drop the secret")
    raw = json.loads(g.ok("plan", "--ref", "tidy", "--base", "main", "--format", "json").output)
    statuses = {f["path"]: (f["status"], f["old_path"]) for f in raw["files_changed"]["files"]}
    assert statuses == {
        "manifests/approles.yaml": ("renamed", "manifests/roles.yaml"),
        f"manifests/secrets/{u}-api.yaml": ("deleted", None),
    }
