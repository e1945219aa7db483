"""Objects the target manages in its own config: diffed read-only, never planned as changes.

Once apply has seen the target refuse a kind through its API by policy (OpenBao's audit
devices), a plan sets that kind's changes aside as notes naming what differs, with the hint:
Git still documents the object, the server's config file owns it.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.gitops.live.serverconfig import hint
from reconciler.gitops.plan.model import Change


def _note(change: Change) -> str:
    differs = ", ".join(sorted({f.path for f in change.fields})) or "it is missing"
    what = "missing on the server" if change.before is None else f"differs ({differs})"
    return f"{change.ref} ({change.ref.address}) {what}, read-only: {hint(change.ref.kind)}"


def set_aside(
    changes: Sequence[Change], kinds: frozenset[str]
) -> tuple[tuple[Change, ...], tuple[str, ...]]:
    """(the changes apply may make, one read-only note per change of a server-managed kind)."""
    kept = tuple(c for c in changes if c.ref.kind not in kinds)
    notes = tuple(_note(c) for c in changes if c.ref.kind in kinds)
    return kept, notes
