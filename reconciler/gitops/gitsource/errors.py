"""Errors of the Git layer: every message names the repo or the ref and says what to do."""

from __future__ import annotations

from reconciler.vocabulary.errors import SealkeepError


class GitSourceError(SealkeepError):
    """A Git repository, ref or tree cannot be read as asked.

    Invariant: the message is safe to show to a user as written (it holds no file content).
    """


class UnsafeWorkingTree(GitSourceError):
    """The working tree is dirty, or on a branch other than the configured one."""
