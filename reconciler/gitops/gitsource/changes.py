"""Which files a change touches between two refs: added, modified, deleted or renamed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import git

from reconciler.gitops.gitsource.repo import GitRepo, open_repo


class ChangeStatus(Enum):
    """How a file changed; the value is Git's status letter."""

    ADDED = "A"
    MODIFIED = "M"
    DELETED = "D"
    RENAMED = "R"


@dataclass(frozen=True, order=True)
class ChangedFile:
    """One changed file, paths relative to the Sealkeep root.

    Invariant: `old_path` is set only for RENAMED; for DELETED, `path` is the removed file.
    """

    path: Path
    status: ChangeStatus
    old_path: Path | None = None

    def __str__(self) -> str:
        if self.old_path is not None:
            return f"{self.status.value} {self.old_path} -> {self.path}"
        return f"{self.status.value} {self.path}"


def _status(diff: git.Diff) -> ChangeStatus:
    if diff.new_file:
        return ChangeStatus.ADDED
    if diff.deleted_file:
        return ChangeStatus.DELETED
    if diff.renamed_file:
        return ChangeStatus.RENAMED
    return ChangeStatus.MODIFIED


def _as_changed(repo: GitRepo, diff: git.Diff) -> ChangedFile | None:
    status = _status(diff)
    raw = diff.a_path if status is ChangeStatus.DELETED else diff.b_path
    path = repo.to_root(raw or "")
    old = repo.to_root(diff.a_path or "") if status is ChangeStatus.RENAMED else None
    if path is None and old is None:
        return None
    if path is None and old is not None:
        # Renamed out of the root: from the root's point of view the file was deleted.
        return ChangedFile(Path(old), ChangeStatus.DELETED)
    if status is ChangeStatus.RENAMED and old is None:
        return ChangedFile(Path(str(path)), ChangeStatus.ADDED)
    return ChangedFile(Path(str(path)), status, Path(old) if old is not None else None)


def changed_files(
    repo_root: Path, base: str, head: str, *, since_merge_base: bool = True
) -> list[ChangedFile]:
    """Files under `repo_root` that differ from `base` to `head`, sorted by path.

    With `since_merge_base` (the default, as a pull request shows it: `base...head`), the
    comparison starts at the merge base, so commits that landed on `base` meanwhile are not
    counted as the change's own. Renames are detected as Git does (50% similarity).
    """
    repo = open_repo(repo_root)
    head_commit = repo.commit(head)
    base_commit = repo.commit(base)
    if since_merge_base:
        bases = repo.repo.merge_base(base_commit, head_commit)
        if bases and isinstance(bases[0], git.Commit):
            base_commit = bases[0]
    diffs = base_commit.diff(head_commit, paths=repo.pathspec or None, M=True)
    found = (_as_changed(repo, d) for d in diffs)
    return sorted(c for c in found if c is not None)
