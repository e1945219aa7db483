"""changed_files between refs: added, modified, deleted, renamed; merge-base semantics."""

from __future__ import annotations

from pathlib import Path

import git

from reconciler.gitops.gitsource import ChangedFile, ChangeStatus, changed_files
from tests.gitops.gitsource.conftest import ENGINE, POLICY, commit_all, top, write


def test_added_modified_deleted_and_renamed(repo: git.Repo) -> None:
    root = top(repo)
    write(root, "teams/search/policy.yaml", POLICY.format(name="search"))
    write(root, "teams/identity/policy.yaml", POLICY.format(name="identity"))
    commit_all(repo, "more teams")
    repo.git.switch("-c", "change")
    write(root, "teams/payments/policy.yaml", POLICY.format(name="payments-v2"))
    (root / "teams/search/policy.yaml").unlink()
    repo.git.mv("teams/identity/policy.yaml", "teams/identity/renamed.yaml")
    write(root, "teams/new.yaml", ENGINE.format(name="new"))
    commit_all(repo, "change")
    found = changed_files(root, "main", "change")
    assert found == [
        ChangedFile(
            Path("teams/identity/renamed.yaml"),
            ChangeStatus.RENAMED,
            Path("teams/identity/policy.yaml"),
        ),
        ChangedFile(Path("teams/new.yaml"), ChangeStatus.ADDED),
        ChangedFile(Path("teams/payments/policy.yaml"), ChangeStatus.MODIFIED),
        ChangedFile(Path("teams/search/policy.yaml"), ChangeStatus.DELETED),
    ]
    assert str(found[0]) == "R teams/identity/policy.yaml -> teams/identity/renamed.yaml"


def test_commits_landing_on_base_meanwhile_are_not_the_change(repo: git.Repo) -> None:
    root = top(repo)
    repo.git.switch("-c", "feature")
    write(root, "teams/feature.yaml", POLICY.format(name="feature"))
    commit_all(repo, "feature")
    repo.git.switch("main")
    write(root, "teams/hotfix.yaml", ENGINE.format(name="hotfix"))
    commit_all(repo, "hotfix on main")
    assert [c.path for c in changed_files(root, "main", "feature")] == [Path("teams/feature.yaml")]
    direct = changed_files(root, "main", "feature", since_merge_base=False)
    assert {(c.path, c.status) for c in direct} == {
        (Path("teams/feature.yaml"), ChangeStatus.ADDED),
        (Path("teams/hotfix.yaml"), ChangeStatus.DELETED),
    }


def test_paths_are_relative_to_a_subfolder_root(repo: git.Repo) -> None:
    root = top(repo)
    base = repo.head.commit.hexsha
    write(root, "examples/platform/p.yaml", POLICY.format(name="p"))
    write(root, "elsewhere.yaml", POLICY.format(name="x"))
    commit_all(repo, "example")
    found = changed_files(root / "examples/platform", base, "HEAD")
    assert found == [ChangedFile(Path("p.yaml"), ChangeStatus.ADDED)]


def test_no_change_is_an_empty_list(repo: git.Repo) -> None:
    assert changed_files(top(repo), "HEAD", "HEAD") == []
