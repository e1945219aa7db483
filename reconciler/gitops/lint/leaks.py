"""SK009-SK011: store tokens, unseal keys and age private keys committed to the repo.

The working tree is scanned (tracked and untracked-but-not-ignored files), then the commits in
scope (see HistoryScope): a key added by one commit and deleted by the next is still in Git's
history, so it is still leaked.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import git

from reconciler.gitops.gitsource import GitRepo, GitSourceError, open_repo
from reconciler.gitops.lint.context import LintContext
from reconciler.gitops.lint.model import Finding
from reconciler.gitops.lint.patterns import Leak, find_leaks, find_leaks_in_lines
from reconciler.gitops.manifests import Span

MAX_FILE_BYTES = 2 * 1024 * 1024
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".tox"})
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_RULE_IDS = ("SK009", "SK010", "SK011")


@dataclass(frozen=True)
class _Seen:
    rule_id: str
    path: str
    digest: str


def _git_repo(root: Path) -> GitRepo | None:
    try:
        return open_repo(root)
    except GitSourceError:
        return None


def _walk(root: Path) -> Iterator[str]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            yield Path(folder, name).relative_to(root).as_posix()


def working_files(root: Path, repo: GitRepo | None) -> Iterator[str]:
    """Files to scan under `root` (POSIX, relative): Git's view when in a repo, else a walk."""
    if repo is None:
        yield from _walk(root)
        return
    listed = repo.repo.git.ls_files(
        "--cached", "--others", "--exclude-standard", "-z", "--", *repo.pathspec
    )
    for name in sorted(set(filter(None, listed.split("\0")))):
        relative = repo.to_root(name)
        if relative is not None and (root / relative).is_file():
            yield relative.as_posix()


def _read_text(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES or path.is_symlink():
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def _finding(leak: Leak, path: str, where: str) -> Finding:
    message = f"{leak.what} is committed{where}: revoke it, then remove it from the repo"
    return Finding.at(Span(path, leak.line, leak.column), leak.rule_id, message)


def _added_lines(patch: str) -> list[tuple[int, str]]:
    added: list[tuple[int, str]] = []
    number = 0
    for line in patch.splitlines():
        hunk = _HUNK.match(line)
        if hunk is not None:
            number = int(hunk.group(1))
        elif line.startswith("+") and not line.startswith("+++"):
            added.append((number, line[1:]))
            number += 1
        elif not line.startswith("-"):
            number += 1
    return added


def _commits(ctx: LintContext, repo: GitRepo) -> list[git.Commit]:
    scope = ctx.history
    limit = scope.max_commits
    try:
        if scope.all_history:
            return list(repo.repo.iter_commits("HEAD", max_count=limit))
        base = scope.base or ctx.result.config.branch
        if scope.base is None and base not in {h.name for h in repo.repo.heads}:
            return []
        return list(repo.repo.iter_commits(f"{base}..HEAD", max_count=limit))
    except (git.GitCommandError, ValueError) as exc:
        if scope.base is not None:
            raise GitSourceError(f"cannot read the history from {scope.base!r}: {exc}") from None
        return []


def _commit_leaks(repo: GitRepo, commit: git.Commit) -> Iterator[tuple[str, Leak]]:
    parent = commit.parents[0] if commit.parents else git.NULL_TREE
    diffs = commit.diff(parent, paths=repo.pathspec or None, create_patch=True, R=True)
    for diff in diffs:
        relative = repo.to_root(diff.b_path or "") if diff.b_path else None
        if relative is None or diff.deleted_file or not isinstance(diff.diff, bytes):
            continue
        patch = diff.diff.decode("utf-8", errors="replace")
        for leak in find_leaks_in_lines(relative.as_posix(), _added_lines(patch)):
            yield relative.as_posix(), leak


def check_committed_credentials(ctx: LintContext) -> Iterator[Finding]:
    """Scan the working tree, then the commits in scope, for tokens and keys."""
    repo = _git_repo(ctx.root)
    seen: set[_Seen] = set()
    for path in working_files(ctx.root, repo):
        text = _read_text(ctx.root / path)
        for leak in find_leaks(path, text) if text is not None else ():
            seen.add(_Seen(leak.rule_id, path, leak.digest))
            yield _finding(leak, path, "")
    if repo is None:
        return
    for commit in _commits(ctx, repo):
        for path, leak in _commit_leaks(repo, commit):
            key = _Seen(leak.rule_id, path, leak.digest)
            if key not in seen:
                seen.add(key)
                yield _finding(leak, path, f" in commit {commit.hexsha[:12]} (still in history)")
