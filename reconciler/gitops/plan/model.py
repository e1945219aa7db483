"""The Plan: ordered Changes, each with the live fingerprint it was computed against.

A Plan is computed once and never recomputed by apply. It carries no secret value: a
Secret's change names its keys and shows a keyed fingerprint (HMAC) per value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from reconciler.gitops.live.model import Fields, ObjectRef
from reconciler.gitops.manifests.config import DEFAULT_MAX_DESTROY_SHARE
from reconciler.gitops.manifests.diagnostics import Diagnostic
from reconciler.gitops.manifests.source import Span

FORMAT_VERSION = 2
# Deleting one of these drops everything under it (secrets, roles, the audit trail).
GUARDED_KINDS = frozenset({"SecretsEngine", "AuthMethod", "AuditDevice"})
MOUNT_KINDS = frozenset({"SecretsEngine", "AuthMethod"})
# Kinds holding key material: deleting or replacing one destroys what it encrypted for good.
KEY_KINDS = frozenset({"TransitKey"})


class Action(Enum):
    """What apply does to one object; the value is the symbol shown in a plan."""

    CREATE = "+"
    UPDATE = "~"
    DELETE = "-"
    REPLACE = "±"

    @property
    def verb(self) -> str:
        """`create`, `update`, `delete` or `replace`."""
        return self.name.lower()


@dataclass(frozen=True)
class FieldChange:
    """One field that differs; `before`/`after` are display text (never a secret value)."""

    path: str
    before: str
    after: str


KeyChangeKind = Literal["added", "changed", "removed"]


@dataclass(frozen=True)
class KeyChange:
    """One key of a Secret that differs, with the fingerprints of its values."""

    key: str
    change: KeyChangeKind
    before: str | None = None
    after: str | None = None


@dataclass(frozen=True)
class Change:
    """One object to create, update, replace or delete.

    Invariants: `before` is the live fingerprint the change was computed against (None when
    the object was absent); `after` the fingerprint apply will leave (None for a delete);
    `desired` holds the non-sensitive fields to write; `source` names the SOPS file (relative
    to the repo root) a sensitive kind's values are read from at apply time.
    """

    action: Action
    ref: ObjectRef
    before: str | None
    after: str | None
    fields: tuple[FieldChange, ...] = ()
    keys: tuple[KeyChange, ...] = ()
    notes: tuple[str, ...] = ()
    desired: Fields | None = None
    source: str | None = None
    adopt: bool = False


@dataclass(frozen=True)
class Adoption:
    """An object Git declares that already matches the store but is not yet managed."""

    ref: ObjectRef
    fingerprint: str


@dataclass(frozen=True)
class TargetInfo:
    """The store a plan was computed against."""

    name: str
    address: str


@dataclass(frozen=True)
class PlanSource:
    """The Git commit a plan was computed from, and who made it.

    `ref` is the `--ref` asked for (None: the working tree at `commit`); `dirty` is true when
    the working tree had uncommitted changes under the root, so the plan is not exactly
    `commit`; `branch` is the checked-out branch (None when detached or reading a ref).
    """

    commit: str
    author: str
    committer: str
    message: str
    dirty: bool = False
    branch: str | None = None
    ref: str | None = None

    @property
    def short(self) -> str:
        """The abbreviated commit SHA."""
        return self.commit[:12]

    @property
    def subject(self) -> str:
        """The first line of the commit message."""
        return self.message.splitlines()[0] if self.message else ""


FileStatus = Literal["added", "modified", "deleted", "renamed"]


@dataclass(frozen=True)
class FileChange:
    """One manifest file a change touches, relative to the repo root (`old_path` on renames)."""

    path: str
    status: FileStatus
    old_path: str | None = None

    def __str__(self) -> str:
        if self.old_path is not None:
            return f"{self.status}: {self.old_path} -> {self.path}"
        return f"{self.status}: {self.path}"


@dataclass(frozen=True)
class FilesChanged:
    """The manifest files that differ from `base` (the pull request's target) to the plan's
    tree, as the pull request shows them: from the merge base of the two."""

    base: str
    base_commit: str
    files: tuple[FileChange, ...] = ()


@dataclass(frozen=True)
class Unchanged:
    """Objects a `--changed-only` plan neither read nor diffed: their files did not change
    since `since`, the last commit applied to the store."""

    since: str
    refs: tuple[ObjectRef, ...] = ()
    files: int = 0


@dataclass(frozen=True)
class Summary:
    """Counts per action, as the summary line shows them."""

    add: int
    change: int
    replace: int
    destroy: int

    @property
    def total(self) -> int:
        """All changes."""
        return self.add + self.change + self.replace + self.destroy

    def line(self) -> str:
        """`Plan: 3 to add, 1 to change, 0 to replace, 1 to destroy.`"""
        return (
            f"Plan: {self.add} to add, {self.change} to change, "
            f"{self.replace} to replace, {self.destroy} to destroy."
        )


@dataclass(frozen=True)
class DestroyGuard:
    """The deletion guard a plan was made under, so apply can check a saved plan alone.

    `allowed` is `--allow-destroy`; `managed` the number of managed objects when planned;
    `max_share` the share of them a plan may delete without `allowed` (sealkeep.yaml's
    `apply.max_destroy_share`).
    """

    allowed: bool = False
    managed: int = 0
    max_share: float = DEFAULT_MAX_DESTROY_SHARE


@dataclass(frozen=True)
class KeptMount:
    """A mount prune would delete but keeps: it holds `unmanaged` objects nobody manages."""

    ref: ObjectRef
    unmanaged: int


@dataclass(frozen=True)
class Plan:
    """A saved, reviewable plan.

    `changes` are in execution order (creates and updates by dependency tier, then deletes
    in reverse); `adopt` and `forget` only touch the inventory; `unmanaged` and `orphans`
    are reported and left alone (orphans are deleted only by a plan made with prune).
    `source` names the commit (None outside Git); `files_changed` is set by `--base`;
    `unchanged` by `--changed-only`, whose plan reads no object outside the changed files;
    `notes` say how the plan was made when it matters (e.g. why it planned every file).
    `destroy` is the deletion guard apply checks (see `refused`); `kept` the mounts prune
    leaves because they hold unmanaged data. `locations` ("Kind/name" -> where Git declares
    it) names the file of a failed change (a plan file keeps those of its changes);
    `warnings` (load diagnostics) serve the renderers and are not saved in a plan file.
    """

    created_at: str
    target: TargetInfo
    state_mount: str
    root: str
    changes: tuple[Change, ...] = ()
    adopt: tuple[Adoption, ...] = ()
    forget: tuple[ObjectRef, ...] = ()
    unmanaged: tuple[ObjectRef, ...] = ()
    orphans: tuple[ObjectRef, ...] = ()
    skipped: tuple[ObjectRef, ...] = ()
    commit: str | None = None
    prune: bool = False
    ephemeral_fingerprints: bool = False
    format_version: int = FORMAT_VERSION
    extra: Mapping[str, str] = field(default_factory=dict)
    source: PlanSource | None = None
    files_changed: FilesChanged | None = None
    unchanged: Unchanged | None = None
    notes: tuple[str, ...] = ()
    destroy: DestroyGuard = field(default_factory=DestroyGuard)
    kept: tuple[KeptMount, ...] = ()
    locations: Mapping[str, Span] = field(default_factory=dict, compare=False)
    warnings: tuple[Diagnostic, ...] = field(default=(), compare=False)

    def summary(self) -> Summary:
        """Counts per action."""
        counts = {a: 0 for a in Action}
        for change in self.changes:
            counts[change.action] += 1
        return Summary(
            counts[Action.CREATE],
            counts[Action.UPDATE],
            counts[Action.REPLACE],
            counts[Action.DELETE],
        )

    @property
    def deletes(self) -> tuple[Change, ...]:
        """The changes that delete an object, in execution order."""
        return tuple(c for c in self.changes if c.action is Action.DELETE)

    def destroy_reasons(self) -> list[str]:
        """Why apply refuses this plan without `--allow-destroy` (empty: it does not)."""
        deletes = self.deletes
        reasons = [
            f"it deletes {c.ref.kind} {c.ref.name} ({c.ref.address}) and all it holds"
            for c in deletes
            if c.ref.kind in GUARDED_KINDS
        ]
        reasons += [
            f"it {c.action.verb}s {c.ref.kind} {c.ref.name} "
            f"({c.ref.address}), destroying its key material"
            for c in self.changes
            if c.action in (Action.DELETE, Action.REPLACE) and c.ref.kind in KEY_KINDS
        ]
        # Replacing a mount deletes it first: what Git does not declare under it is lost.
        reasons += [
            f"it replaces {c.ref.kind} {c.ref.name} ({c.ref.address}), deleting all it holds"
            for c in self.changes
            if c.action is Action.REPLACE and c.ref.kind in MOUNT_KINDS
        ]
        limit = self.destroy.max_share * self.destroy.managed
        # One ordinary object is never a mass deletion, whatever the repo's size.
        if len(deletes) > 1 and len(deletes) > limit:
            reasons.append(
                f"it deletes {len(deletes)} of {self.destroy.managed} managed object(s), "
                f"more than {self.destroy.max_share:.0%} (apply.max_destroy_share)"
            )
        return reasons

    @property
    def refused(self) -> bool:
        """Whether apply refuses this plan: it destroys too much and was not made with
        `--allow-destroy`."""
        return not self.destroy.allowed and bool(self.destroy_reasons())

    @property
    def has_changes(self) -> bool:
        """Whether apply would change the store or the inventory."""
        return bool(self.changes or self.adopt or self.forget)
