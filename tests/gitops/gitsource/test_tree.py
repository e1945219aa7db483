"""Manifests at a ref without a checkout: blobs, materialised trees, load_repo on them."""

from __future__ import annotations

from pathlib import Path

import git
import pytest

from reconciler.gitops.gitsource import GitSourceError, files_at_ref, load_at_ref, materialize
from tests.gitops.gitsource.conftest import POLICY, commit_all, top, write


def test_files_at_ref_reads_an_older_commit_without_touching_the_work_tree(repo: git.Repo) -> None:
    root = top(repo)
    first = repo.head.commit.hexsha
    write(root, "teams/search/policy.yaml", POLICY.format(name="search"))
    commit_all(repo, "search")
    files = files_at_ref(root, first)
    assert sorted(files) == [Path("sealkeep.yaml"), Path("teams/payments/policy.yaml")]
    assert b"payments" in files[Path("teams/payments/policy.yaml")]
    assert (root / "teams/search/policy.yaml").exists()
    assert repo.head.commit.hexsha != first


def test_files_at_ref_accepts_branches_and_tags(repo: git.Repo) -> None:
    root = top(repo)
    repo.create_tag("v1")
    repo.git.switch("-c", "feature")
    write(root, "teams/search/policy.yaml", POLICY.format(name="search"))
    commit_all(repo, "search")
    repo.git.switch("main")
    assert Path("teams/search/policy.yaml") in files_at_ref(root, "feature")
    assert Path("teams/search/policy.yaml") not in files_at_ref(root, "v1")
    assert not (root / "teams/search/policy.yaml").exists()


def test_files_at_ref_filters_suffixes_and_skips_symlinks(repo: git.Repo) -> None:
    root = top(repo)
    write(root, "teams/notes.txt", "hello")
    (root / "teams/link.yaml").symlink_to("/etc/passwd")
    commit_all(repo, "extra")
    assert Path("teams/notes.txt") not in files_at_ref(root, "HEAD")
    assert Path("teams/link.yaml") not in files_at_ref(root, "HEAD")
    assert Path("teams/notes.txt") in files_at_ref(root, "HEAD", suffixes=None)


def test_a_subfolder_root_sees_only_its_own_files(repo: git.Repo) -> None:
    root = top(repo)
    write(root, "examples/platform/sealkeep.yaml", "manifests: [.]\n")
    write(root, "examples/platform/p.yaml", POLICY.format(name="sub"))
    commit_all(repo, "example")
    files = files_at_ref(root / "examples/platform", "HEAD")
    assert sorted(files) == [Path("p.yaml"), Path("sealkeep.yaml")]


def test_unknown_ref_is_a_clear_error(repo: git.Repo) -> None:
    with pytest.raises(GitSourceError, match="unknown Git ref 'nope'"):
        files_at_ref(top(repo), "nope")


def test_not_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    with pytest.raises(GitSourceError, match="not inside a Git repository"):
        files_at_ref(folder, "HEAD")


def test_load_at_ref_loads_the_manifests_of_that_commit(repo: git.Repo) -> None:
    root = top(repo)
    first = repo.head.commit.hexsha
    write(root, "teams/search/policy.yaml", POLICY.format(name="search"))
    commit_all(repo, "search")
    with load_at_ref(root, first) as result:
        assert result.ok, result.diagnostics
        assert result.desired is not None
        assert {o.name for o in result.desired} == {"payments"}
    with load_at_ref(root, "HEAD") as result:
        assert result.desired is not None
        assert {o.name for o in result.desired} == {"payments", "search"}


def test_load_at_ref_reports_problems_with_repo_relative_paths(repo: git.Repo) -> None:
    root = top(repo)
    write(root, "teams/bad.yaml", "apiVersion: sealkeep.io/v1\nkind: Nope\n")
    commit_all(repo, "bad")
    with load_at_ref(root, "HEAD") as result:
        assert not result.ok
        assert [d.path for d in result.diagnostics] == ["teams/bad.yaml"]


def test_materialize_removes_its_folder_afterwards(repo: git.Repo) -> None:
    with materialize(top(repo), "HEAD") as folder:
        assert (folder / "teams/payments/policy.yaml").is_file()
    assert not folder.exists()
