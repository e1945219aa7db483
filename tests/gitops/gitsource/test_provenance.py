"""Provenance of the work tree and the clean-branch check apply relies on."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from reconciler.gitops.gitsource import (
    GitSourceError,
    UnsafeWorkingTree,
    ensure_clean_branch,
    provenance,
)
from tests.gitops.gitsource.conftest import POLICY, top, write


def test_provenance_of_a_clean_tree(repo: git.Repo) -> None:
    found = provenance(top(repo))
    assert found.commit == repo.head.commit.hexsha
    assert found.author == "Test Author <author@example.test>"
    assert found.committer == "Test Committer <committer@example.test>"
    assert found.message == "initial manifests"
    assert found.branch == "main"
    assert not found.dirty
    assert found.short == found.commit[:12]


def test_modified_staged_and_untracked_files_make_the_tree_dirty(repo: git.Repo) -> None:
    root = top(repo)
    write(root, "teams/payments/policy.yaml", POLICY.format(name="edited"))
    assert provenance(root).dirty_files == ("teams/payments/policy.yaml",)
    repo.git.add("teams/payments/policy.yaml")
    assert provenance(root).dirty
    repo.git.commit("-m", "edit")
    write(root, "teams/untracked.yaml", POLICY.format(name="u"))
    assert provenance(root).dirty_files == ("teams/untracked.yaml",)


def test_ignored_files_and_files_outside_a_subfolder_root_do_not_count(repo: git.Repo) -> None:
    root = top(repo)
    write(root, ".gitignore", "*.plan.json\n")
    repo.git.add(".gitignore")
    repo.git.commit("-m", "ignore plans")
    write(root, "teams/out.plan.json", "{}")
    assert not provenance(root).dirty
    write(root, "README.md", "notes")
    assert provenance(root / "teams").dirty is False
    assert provenance(root).dirty


def test_ensure_clean_branch_refuses_a_dirty_tree_unless_allowed(repo: git.Repo) -> None:
    root = top(repo)
    write(root, "teams/payments/policy.yaml", POLICY.format(name="edited"))
    with pytest.raises(UnsafeWorkingTree, match=r"uncommitted changes \(teams/payments/policy"):
        ensure_clean_branch(root, "main")
    assert ensure_clean_branch(root, "main", allow_dirty=True).dirty


def test_ensure_clean_branch_refuses_another_branch_unless_allowed(repo: git.Repo) -> None:
    root = top(repo)
    repo.git.switch("-c", "feature")
    with pytest.raises(
        UnsafeWorkingTree, match=r"on branch 'feature'.*'main'.*--allow-other-branch"
    ):
        ensure_clean_branch(root, "main")
    assert ensure_clean_branch(root, "main", allow_other_branch=True).branch == "feature"


def test_a_detached_head_is_not_the_configured_branch(repo: git.Repo) -> None:
    root = top(repo)
    repo.git.checkout("--detach")
    found = provenance(root)
    assert found.branch is None
    with pytest.raises(UnsafeWorkingTree, match="detached HEAD"):
        ensure_clean_branch(root, "main")


def test_a_repository_without_commits_is_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    git.Repo.init(empty, initial_branch="main")
    with pytest.raises(GitSourceError, match="no commit yet"):
        provenance(empty)
