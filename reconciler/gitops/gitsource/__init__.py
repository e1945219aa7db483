"""Manifests at a Git ref, changed files between refs, and commit provenance (gitpython).

Nothing here checks out a ref or touches the work tree: trees are read from Git's objects.
"""

from reconciler.gitops.gitsource.changes import ChangedFile, ChangeStatus, changed_files
from reconciler.gitops.gitsource.errors import GitSourceError, UnsafeWorkingTree
from reconciler.gitops.gitsource.provenance import Provenance, ensure_clean_branch, provenance
from reconciler.gitops.gitsource.repo import GitRepo, open_repo
from reconciler.gitops.gitsource.tree import (
    MANIFEST_SUFFIXES,
    files_at_ref,
    load_at_ref,
    materialize,
    write_files,
)

__all__ = [
    "MANIFEST_SUFFIXES",
    "ChangeStatus",
    "ChangedFile",
    "GitRepo",
    "GitSourceError",
    "Provenance",
    "UnsafeWorkingTree",
    "changed_files",
    "ensure_clean_branch",
    "files_at_ref",
    "load_at_ref",
    "materialize",
    "open_repo",
    "provenance",
    "write_files",
]
