"""Where an apply comes from: the commit, who wrote it, and whether the tree matches it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

from reconciler.gitops.gitsource.errors import GitSourceError, UnsafeWorkingTree
from reconciler.gitops.gitsource.repo import GitRepo, open_repo

_SHOWN_DIRTY = 5


@dataclass(frozen=True)
class Provenance:
    """The commit HEAD points at and the state of the work tree under the Sealkeep root.

    `branch` is None when HEAD is detached; `dirty` is true when tracked files under the root
    differ from HEAD or untracked (not ignored) files exist there, listed in `dirty_files`.
    """

    commit: str
    author: str
    committer: str
    message: str
    dirty: bool
    branch: str | None
    dirty_files: tuple[str, ...] = ()

    @property
    def short(self) -> str:
        """The abbreviated commit SHA."""
        return self.commit[:12]


def _person(actor: git.Actor) -> str:
    return f"{actor.name} <{actor.email}>" if actor.email else str(actor.name)


def _dirty_files(repo: GitRepo) -> tuple[str, ...]:
    spec = repo.pathspec
    changed = {d.a_path or d.b_path or "" for d in repo.repo.index.diff(None, paths=spec or None)}
    staged = {d.a_path or d.b_path or "" for d in repo.repo.index.diff("HEAD", paths=spec or None)}
    untracked = {u for u in repo.repo.untracked_files if repo.to_root(u) is not None}
    return tuple(sorted(changed | staged | untracked))


def provenance(repo_root: Path) -> Provenance:
    """The provenance of the work tree holding `repo_root`; GitSourceError without a commit."""
    repo = open_repo(repo_root)
    try:
        head = repo.repo.head.commit
    except ValueError:
        raise GitSourceError(f"{repo.top} has no commit yet; commit the manifests first") from None
    branch = None if repo.repo.head.is_detached else repo.repo.active_branch.name
    dirty = _dirty_files(repo)
    message = head.message if isinstance(head.message, str) else head.message.decode()
    return Provenance(
        commit=head.hexsha,
        author=_person(head.author),
        committer=_person(head.committer),
        message=message.strip(),
        dirty=bool(dirty),
        branch=branch,
        dirty_files=dirty,
    )


def ensure_clean_branch(
    repo_root: Path,
    expected_branch: str,
    *,
    allow_dirty: bool = False,
    allow_other_branch: bool = False,
) -> Provenance:
    """The provenance, after checking the tree is clean and on `expected_branch`.

    Raises UnsafeWorkingTree naming the files or the branch, and the flag that overrides it.
    """
    found = provenance(repo_root)
    if found.dirty and not allow_dirty:
        shown = ", ".join(found.dirty_files[:_SHOWN_DIRTY])
        more = len(found.dirty_files) - _SHOWN_DIRTY
        extra = f" and {more} more" if more > 0 else ""
        raise UnsafeWorkingTree(
            f"the working tree has uncommitted changes ({shown}{extra}): commit them so the "
            "apply record names what was applied, or pass --allow-dirty"
        )
    if found.branch != expected_branch and not allow_other_branch:
        where = f"branch '{found.branch}'" if found.branch else f"a detached HEAD ({found.short})"
        raise UnsafeWorkingTree(
            f"on {where}, but sealkeep.yaml says changes are applied from '{expected_branch}': "
            "switch branches, or pass --allow-other-branch"
        )
    return found
