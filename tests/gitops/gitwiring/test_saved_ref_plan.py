"""A saved plan of a pull request's branch applies once that branch is merged (issue 13).

`apply plan.json` gets no --ref; what matters is whether the reviewed commit is on the
branch sealkeep.yaml names, not the name the plan was made under.
"""

from __future__ import annotations

import hvac

from tests.gitops.gitwiring.conftest import GitRepo
from tests.gitops.plan.repo import manifest


def _feature_widens_the_policy(g: GitRepo) -> None:
    g.git.git.switch("-c", "feature")
    rules = [{"path": f"{g.unique}-kv/data/api/*", "capabilities": ["read", "list"]}]
    g.repo.write("policy.yaml", manifest("Policy", f"{g.unique}-api", {"rules": rules}))
    g.commit("feature: widen the policy")


def _policy_text(vault: hvac.Client, name: str) -> str:
    return str(vault.sys.read_acl_policy(name)["data"]["policy"])


def test_a_plan_of_a_merged_branch_applies(gitrepo: GitRepo, vault: hvac.Client) -> None:
    g = gitrepo
    g.ok("apply", "--auto-approve")
    _feature_widens_the_policy(g)
    g.ok("plan", "--ref", "feature", "--format", "json", "--out", "plan.json")
    g.git.git.switch("main")
    g.git.git.merge("--no-ff", "-q", "-m", "merge feature", "feature")  # a merge commit
    (g.root / "plan.json").rename(g.root.parent / "plan.json")  # a clean tree
    applied = g.ok("apply", str(g.root.parent / "plan.json")).output
    assert "Apply complete" in applied
    assert '"list"' in _policy_text(vault, f"{g.unique}-api")


def test_a_plan_of_an_unmerged_branch_is_refused_without_naming_a_ref_flag(
    gitrepo: GitRepo, vault: hvac.Client
) -> None:
    g = gitrepo
    g.ok("apply", "--auto-approve")
    before = _policy_text(vault, f"{g.unique}-api")
    _feature_widens_the_policy(g)
    g.ok("plan", "--ref", "feature", "--format", "json", "--out", "plan.json")
    g.git.git.switch("main")
    (g.root / "plan.json").rename(g.root.parent / "plan.json")
    refused = g.run("apply", str(g.root.parent / "plan.json"))
    assert refused.exit_code == 1
    assert "is not on 'main'" in refused.output and "merge it first" in refused.output
    assert "--ref feature" not in refused.output
    assert _policy_text(vault, f"{g.unique}-api") == before


def test_a_plan_applies_after_its_branch_is_merged_and_deleted(
    gitrepo: GitRepo, vault: hvac.Client
) -> None:
    g = gitrepo
    g.ok("apply", "--auto-approve")
    _feature_widens_the_policy(g)
    g.ok("plan", "--ref", "feature", "--format", "json", "--out", "plan.json")
    g.git.git.switch("main")
    g.git.git.merge("-q", "feature")
    g.git.git.branch("-d", "feature")  # as a pull request's branch is, once merged
    (g.root / "plan.json").rename(g.root.parent / "plan.json")
    assert "Apply complete" in g.ok("apply", str(g.root.parent / "plan.json")).output
    assert '"list"' in _policy_text(vault, f"{g.unique}-api")
