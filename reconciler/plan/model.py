"""The Plan: ordered Changes, each with the live fingerprint it was computed against.

A Plan is computed once and never recomputed by apply. It carries no secret value: a
Secret's change names its keys and shows a keyed fingerprint (HMAC) per value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Literal

from reconciler.live.model import Fields, ObjectRef

FORMAT_VERSION = 1


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
class Plan:
    """A saved, reviewable plan.

    `changes` are in execution order (creates and updates by dependency tier, then deletes
    in reverse); `adopt` and `forget` only touch the inventory; `unmanaged` and `orphans`
    are reported and left alone (orphans are deleted only by a plan made with prune).
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
    def has_changes(self) -> bool:
        """Whether apply would change the store or the inventory."""
        return bool(self.changes or self.adopt or self.forget)
