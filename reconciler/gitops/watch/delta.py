"""What changed between two plans: problems and planned changes that appeared or went away.

A plan is reduced to a Snapshot: its problems as text, and each planned change as the block
the text renderer prints (never a secret value), keyed by the object it changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from reconciler.gitops.plan.model import Plan
from reconciler.gitops.plan.render_text import change_heading, change_lines


@dataclass(frozen=True)
class Snapshot:
    """One validate-and-plan: problems, and change blocks by `Kind/name`.

    Invariant: `summary` is the plan's summary line, or None when no plan could be made.
    """

    problems: tuple[str, ...] = ()
    changes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    summary: str | None = None


def snapshot_of(
    problems: Iterable[str], plan: Plan | None, keep: Snapshot | None = None
) -> Snapshot:
    """A Snapshot of `plan`; without a plan, `keep`'s changes stand (they are not known)."""
    if plan is None:
        kept = keep or Snapshot()
        return Snapshot(tuple(problems), kept.changes, None)
    changes = {str(c.ref): (change_heading(c), *change_lines(c)) for c in plan.changes}
    return Snapshot(tuple(problems), changes, plan.summary().line())


@dataclass(frozen=True)
class Delta:
    """The difference from one Snapshot to the next."""

    new_problems: tuple[str, ...] = ()
    fixed_problems: tuple[str, ...] = ()
    new_changes: tuple[tuple[str, ...], ...] = ()
    altered_changes: tuple[tuple[str, ...], ...] = ()
    dropped_changes: tuple[str, ...] = ()
    summary: str | None = None

    @property
    def empty(self) -> bool:
        """True when nothing differs."""
        return not (
            self.new_problems or self.fixed_problems or self.new_changes
            or self.altered_changes or self.dropped_changes
        )  # fmt: skip


def compare(before: Snapshot, after: Snapshot) -> Delta:
    """What `after` adds to, changes in, and removes from `before`."""
    old_problems = set(before.problems)
    new_problems = set(after.problems)
    new = [after.changes[k] for k in after.changes if k not in before.changes]
    altered = [
        after.changes[k]
        for k in after.changes
        if k in before.changes and before.changes[k] != after.changes[k]
    ]
    dropped = [before.changes[k][0] for k in before.changes if k not in after.changes]
    return Delta(
        new_problems=tuple(p for p in after.problems if p not in old_problems),
        fixed_problems=tuple(p for p in before.problems if p not in new_problems),
        new_changes=tuple(new),
        altered_changes=tuple(altered),
        dropped_changes=tuple(dropped),
        summary=after.summary,
    )
