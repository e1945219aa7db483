"""Which commit a plan was made from, who wrote it, and which files a change touches.

Everything here reads Git objects (gitsource); nothing checks out a ref. Outside Git a
working-tree plan simply has no source; asking for a ref there is an error.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import git

from reconciler.gitops.gitsource import (
    ChangedFile,
    ChangeStatus,
    GitSourceError,
    changed_files,
    open_repo,
    provenance,
)
from reconciler.gitops.plan.model import FileChange, FilesChanged, FileStatus, PlanSource

STATUS_NAMES: dict[ChangeStatus, FileStatus] = {
    ChangeStatus.ADDED: "added",
    ChangeStatus.MODIFIED: "modified",
    ChangeStatus.DELETED: "deleted",
    ChangeStatus.RENAMED: "renamed",
}


def head_commit(root: Path) -> str | None:
    """The HEAD commit of the Git checkout holding `root`, or None outside Git."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None


def _person(actor: git.Actor) -> str:
    return f"{actor.name} <{actor.email}>" if actor.email else str(actor.name)


def _message(commit: git.Commit) -> str:
    raw = commit.message
    return (raw if isinstance(raw, str) else raw.decode(errors="replace")).strip()


def in_git(root: Path) -> bool:
    """Whether `root` is inside a Git work tree."""
    try:
        open_repo(root)
    except GitSourceError:
        return False
    return True


def source_at_ref(root: Path, ref: str) -> PlanSource:
    """The commit `ref` names (a branch, tag or SHA); GitSourceError when unknown."""
    commit = open_repo(root).commit(ref)
    return PlanSource(
        commit=commit.hexsha,
        author=_person(commit.author),
        committer=_person(commit.committer),
        message=_message(commit),
        ref=ref,
    )


def working_tree_source(root: Path) -> PlanSource | None:
    """The HEAD commit and the state of the working tree; None outside Git or before the
    first commit (a plan of plain folders keeps working)."""
    if not in_git(root):
        return None
    try:
        found = provenance(root)
    except GitSourceError:
        return None
    return PlanSource(
        commit=found.commit,
        author=found.author,
        committer=found.committer,
        message=found.message,
        dirty=found.dirty,
        branch=found.branch,
    )


def plan_source(root: Path, ref: str | None) -> PlanSource | None:
    """The source of a plan of `ref`, or of the working tree when `ref` is None."""
    return working_tree_source(root) if ref is None else source_at_ref(root, ref)


def _file_change(changed: ChangedFile) -> FileChange:
    old = changed.old_path.as_posix() if changed.old_path is not None else None
    return FileChange(changed.path.as_posix(), STATUS_NAMES[changed.status], old)


def files_changed(root: Path, base: str, head: str) -> FilesChanged:
    """The manifest-folder files `head` changes against `base`, from their merge base, as a
    pull request shows them (commits that landed on `base` meanwhile are not counted)."""
    repo = open_repo(root)
    base_commit = repo.commit(base)
    bases = repo.repo.merge_base(base_commit, repo.commit(head))
    start = bases[0] if bases and isinstance(bases[0], git.Commit) else base_commit
    found = changed_files(root, base, head)
    return FilesChanged(base, start.hexsha, tuple(_file_change(c) for c in found))


def paths_changed_since(root: Path, since: str, ref: str | None) -> set[str]:
    """Root-relative paths that differ between commit `since` and the planned tree.

    For the working tree (`ref` None) uncommitted files count too. Both sides of a rename
    are included. GitSourceError when `since` is not in this repository (e.g. a shallow
    clone): the caller then plans everything.
    """
    head = ref or "HEAD"
    found: set[str] = set()
    for changed in changed_files(root, since, head, since_merge_base=False):
        found.add(changed.path.as_posix())
        if changed.old_path is not None:
            found.add(changed.old_path.as_posix())
    if ref is None:
        repo = open_repo(root)
        for path in provenance(root).dirty_files:
            relative = repo.to_root(path)
            if relative is not None:
                found.add(relative.as_posix())
    return found
