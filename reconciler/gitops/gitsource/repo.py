"""Open the Git repository that holds a Sealkeep repo root, which may be a subfolder of it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import git

from reconciler.gitops.gitsource.errors import GitSourceError


@dataclass(frozen=True)
class GitRepo:
    """A Git repository and where the Sealkeep root sits inside its work tree.

    Invariant: `prefix` is relative to the work tree's top ('.' when the root is the top).
    """

    repo: git.Repo
    prefix: PurePosixPath

    def to_root(self, repo_path: str) -> PurePosixPath | None:
        """A path relative to the Git top as a path relative to the root (None when outside)."""
        path = PurePosixPath(repo_path)
        if self.prefix == PurePosixPath("."):
            return path
        try:
            return path.relative_to(self.prefix)
        except ValueError:
            return None

    @property
    def pathspec(self) -> list[str]:
        """The Git pathspec limiting commands to the root's folder (empty at the top)."""
        return [] if self.prefix == PurePosixPath(".") else [self.prefix.as_posix()]

    def commit(self, ref: str) -> git.Commit:
        """The commit a branch, tag, SHA or expression (`main~2`) names."""
        try:
            commit = self.repo.commit(ref)
        except (git.BadName, ValueError, git.GitCommandError):
            raise GitSourceError(f"unknown Git ref {ref!r} in {self.top}") from None
        return commit

    @property
    def top(self) -> Path:
        """The work tree's top folder."""
        return Path(self.repo.working_tree_dir or self.repo.git_dir)


def open_repo(root: Path) -> GitRepo:
    """The repository holding `root` (searching parent folders), or GitSourceError."""
    root = Path(root).resolve()
    try:
        repo = git.Repo(root, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitSourceError(f"{root} is not inside a Git repository") from None
    if repo.working_tree_dir is None:
        raise GitSourceError(f"{root} is in a bare Git repository; a work tree is needed")
    top = Path(repo.working_tree_dir).resolve()
    prefix = PurePosixPath(root.relative_to(top).as_posix()) if root != top else PurePosixPath(".")
    return GitRepo(repo, prefix)
