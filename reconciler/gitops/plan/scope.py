"""Which objects a `--changed-only` plan reads: those declared in files changed since the
last commit applied to the store, and managed objects Git no longer declares.

Anything that could change the meaning of every file (the repo config, `.sops.yaml`) or an
unknown starting commit makes the plan read everything, with a note saying why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.gitops.gitsource import GitSourceError
from reconciler.gitops.live.inventory import AppliedCommit, Inventory
from reconciler.gitops.live.model import ObjectRef
from reconciler.gitops.manifests import DesiredState, ObjectKey
from reconciler.gitops.manifests.config import CONFIG_FILE
from reconciler.gitops.plan.provenance import in_git, paths_changed_since

GLOBAL_FILES = frozenset({CONFIG_FILE, ".sops.yaml"})


@dataclass(frozen=True)
class Scope:
    """Keys to plan (None: every object), the commit they are compared from, and why a
    changed-only plan fell back to planning every file (`note`)."""

    keys: frozenset[ObjectKey] | None = None
    since: str | None = None
    note: str | None = None

    @property
    def partial(self) -> bool:
        """Whether some objects are left unread."""
        return self.keys is not None


def _everything(note: str) -> Scope:
    return Scope(None, None, f"--changed-only planned every file: {note}")


def changed_scope(
    root: Path, ref: str | None, desired: DesiredState, since: AppliedCommit | None
) -> Scope:
    """The Scope of a changed-only plan of `ref` (None: the working tree) under `root`."""
    if not in_git(root):
        return _everything(f"{root} is not in a Git repository")
    if since is None:
        return _everything("the store has no applied commit recorded yet")
    try:
        paths = paths_changed_since(root, since.commit, ref)
    except GitSourceError:
        return _everything(f"the last applied commit {since.commit[:12]} is not in this clone")
    touched = sorted(paths & GLOBAL_FILES)
    if touched:
        return _everything(f"{', '.join(touched)} changed since {since.commit[:12]}")
    keys = frozenset(key for key, span in desired.spans.items() if span.path in paths)
    return Scope(keys, since.commit)


def scoped_refs(
    wanted: Mapping[ObjectKey, ObjectRef], scope: Scope
) -> tuple[dict[ObjectKey, ObjectRef], tuple[ObjectRef, ...]]:
    """(the refs to plan, the refs left unread) of `wanted` under `scope`."""
    if scope.keys is None:
        return dict(wanted), ()
    inside = {key: ref for key, ref in wanted.items() if key in scope.keys}
    outside = tuple(ref for key, ref in wanted.items() if key not in scope.keys)
    return inside, outside


def scoped_inventory(inventory: Inventory, desired: DesiredState, scope: Scope) -> Inventory:
    """The managed entries a scoped plan considers: objects in changed files, and objects Git
    no longer declares (so removals still become orphans or deletes)."""
    if scope.keys is None:
        return inventory
    declared = {str(key) for key in desired.objects}
    inside = {str(key) for key in scope.keys}
    entries = {
        key: entry
        for key, entry in inventory.entries.items()
        if key in inside or key not in declared
    }
    return Inventory(entries=entries)


def unchanged_files(desired: DesiredState, scope: Scope) -> int:
    """How many manifest files a scoped plan left unread."""
    if scope.keys is None:
        return 0
    return len({span.path for key, span in desired.spans.items() if key not in scope.keys})
