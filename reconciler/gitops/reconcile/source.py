"""A private clone of the watched repo, kept at the branch head (gitpython).

The mirror is the reconciler's own cache: each sync fetches the branch and checks its head
out (detached, forced, untracked files removed), so the tree always equals that commit and
the plan records it as its commit.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import git

from reconciler.gitops.gitsource import GitSourceError
from reconciler.gitops.reconcile.options import redact_url


@dataclass(frozen=True)
class Checkout:
    """The mirror at one commit: `root` is the Sealkeep root inside the work tree."""

    commit: str
    root: Path


def _git_message(exc: git.GitCommandError) -> str:
    stderr = str(exc.stderr or "").strip().splitlines()
    return stderr[-1].removeprefix("stderr: ").strip(" '") if stderr else str(exc.status)


class GitMirror:
    """Clone `url` into `folder` once, then fetch `branch` and check out its head."""

    def __init__(self, url: str, branch: str, folder: Path, subdir: str = ".") -> None:
        self.url = url
        self.branch = branch
        self.folder = folder
        self.subdir = subdir

    def _open(self) -> git.Repo:
        if self.folder.exists():
            try:
                repo = git.Repo(self.folder)
                if any(r.name == "origin" and r.url == self.url for r in repo.remotes):
                    return repo
            except (git.InvalidGitRepositoryError, git.NoSuchPathError):
                pass
            # Not our clone of this URL (or a clone cut short): start again.
            shutil.rmtree(self.folder)
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        return git.Repo.clone_from(self.url, self.folder, no_checkout=True)

    def sync(self) -> Checkout:
        """Fetch the branch and check its head out; GitSourceError says what failed."""
        shown = redact_url(self.url)
        try:
            repo = self._open()
            refspec = f"+refs/heads/{self.branch}:refs/remotes/origin/{self.branch}"
            repo.remotes.origin.fetch(refspec, prune=True)
        except git.GitCommandError as exc:
            message = _git_message(exc)
            if "couldn't find remote ref" in message:
                raise GitSourceError(f"branch '{self.branch}' not found in {shown}") from None
            raise GitSourceError(f"cannot fetch {shown}: {message}") from None
        try:
            head = repo.commit(f"refs/remotes/origin/{self.branch}")
        except (git.BadName, ValueError):
            raise GitSourceError(f"branch '{self.branch}' not found in {shown}") from None
        repo.git.checkout("--force", "--detach", head.hexsha)
        repo.git.clean("-ffdx")
        root = (self.folder / self.subdir).resolve()
        if not root.is_dir():
            raise GitSourceError(f"{shown} has no folder '{self.subdir}' at {head.hexsha[:12]}")
        return Checkout(head.hexsha, root)
